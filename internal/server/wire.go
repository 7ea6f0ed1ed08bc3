package server

import (
	"fmt"
	"time"

	apis3 "github.com/ceap/ceap/internal/api/s3"
	"github.com/ceap/ceap/internal/protocol"
)

// wirings connect each service to the store, the clock, the metrics recorder and each other, and
// register its API handler. One function per service, in dependency order.
var wirings = []struct {
	name string
	fn   func(*Server) error
}{
	{"logs", wireLogs},
	{"lambda", wireFuncs},
	{"glue", wireJobs},
	{"sqs", wireQueues},
	{"sns", wireTopics},
	{"events", wireEvents},
	{"states", wireStates},
	{"pipes", wirePipes},
	{"s3", func(s *Server) error {
		h, err := apis3.Wire(apis3.WireConfig{Store: s.store, Data: s.cfg.Data, Clock: s.clock, Metrics: s.metrics, Log: s.log, Region: s.cfg.Region, LifecycleInterval: time.Duration(s.cfg.LifecycleInterval)})
		if err == nil {
			s.handle(protocol.S3, h)
			s.component("s3", h)
		}
		return err
	}},
}

func (s *Server) wire() error {
	for _, w := range wirings {
		if err := w.fn(s); err != nil {
			return fmt.Errorf("wire %s: %w", w.name, err)
		}
	}
	return nil
}
