package server

import (
	"fmt"
	"path/filepath"

	apiglue "github.com/ceap/ceap/internal/api/glue"
	"github.com/ceap/ceap/internal/jobs"
	"github.com/ceap/ceap/internal/protocol"
	"github.com/ceap/ceap/internal/store"
)

// wireJobs builds the Glue jobs service (scripts from S3 through the objects service, output to
// the logs service, AWS_ENDPOINT_URL pointing back at this server), serves its API and runs its
// stale-run sweeper.
func wireJobs(s *Server) error {
	js, ok := s.store.(store.JobStore)
	if !ok {
		return fmt.Errorf("store driver %s does not implement the job store", s.store.Driver())
	}
	cfg := jobs.Config{
		Store: js, Dir: filepath.Join(s.cfg.Data, "jobs"), Clock: s.clock, Log: s.log, Region: s.cfg.Region,
		Scripts: objectsCode{s}, Metrics: s.metrics, Endpoint: s.URL(),
		Credentials: func(account string) (string, string) {
			c := s.functionCredentials(account)
			return c.AccessKeyID, c.SecretAccessKey
		},
	}
	if ls := s.logService(); ls != nil {
		cfg.Logs = ls
	}
	svc := jobs.New(cfg)
	s.handle(protocol.Glue, apiglue.New(svc, s.log.With("component", "glue-api")))
	s.component(protocol.Glue, svc)
	return nil
}

// jobService returns the wired Glue jobs service (nil before wireJobs ran), for Step Functions'
// glue:startJobRun integration.
func (s *Server) jobService() *jobs.Service {
	for _, c := range s.components {
		if svc, ok := c.c.(*jobs.Service); ok {
			return svc
		}
	}
	return nil
}
