package server

import (
	"time"

	apis3 "github.com/ceap/ceap/internal/api/s3"
	"github.com/ceap/ceap/internal/protocol"
)

// wireObjects builds S3 (buckets, objects, the lifecycle sweeper and the blob collector) on the
// store and the filesystem blob store under the data directory.
func wireObjects(s *Server) error {
	h, err := apis3.Wire(apis3.WireConfig{Store: s.store, Data: s.cfg.Data, Clock: s.clock, Metrics: s.metrics, Log: s.log,
		Region: s.cfg.Region, LifecycleInterval: time.Duration(s.cfg.LifecycleInterval)})
	if err != nil {
		return err
	}
	s.handle(protocol.S3, h)
	s.component("s3", h)
	return nil
}
