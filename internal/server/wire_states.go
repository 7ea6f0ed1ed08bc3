package server

import (
	"time"

	apisfn "github.com/ceap/ceap/internal/api/sfn"
	"github.com/ceap/ceap/internal/protocol"
	"github.com/ceap/ceap/internal/states"
)

// wireStates builds the Step Functions service, serves its API and runs its worker (timers,
// tasks, child executions) and its Express recorder. GetActivityTask long polls end as soon as
// the server begins to shut down.
func wireStates(s *Server) error {
	svc := states.New(states.Config{
		Store: s.store, Clock: s.clock, Metrics: s.metrics, Log: s.log.With("component", "states"),
		ExpressRetention: time.Duration(s.cfg.ExpressRetention),
		// TODO: Logs: the logs service's sink, once internal/logs serves PutLogEvents.
	})
	if s.http != nil {
		s.http.RegisterOnShutdown(svc.EndPolls)
	}
	s.handle(protocol.States, apisfn.New(svc, s.log.With("component", "sfn")))
	s.component(protocol.States, svc)
	return nil
}

// stateService returns the wired Step Functions service (nil before wireStates ran), for the
// services that start executions (pipes, EventBridge targets) and register task integrations
// (lambda:invoke, glue:startJobRun, sqs:sendMessage, sns:publish, aws-sdk:s3).
func (s *Server) stateService() *states.Service {
	for _, c := range s.components {
		if svc, ok := c.c.(*states.Service); ok {
			return svc
		}
	}
	return nil
}
