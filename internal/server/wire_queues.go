package server

import (
	apisqs "github.com/ceap/ceap/internal/api/sqs"
	"github.com/ceap/ceap/internal/protocol"
	"github.com/ceap/ceap/internal/queues"
)

// wireQueues builds the SQS service, serves its API and runs its sweeper, sampler and move
// tasks. Long polls end as soon as the server begins to shut down, so that they never hold up a
// graceful stop.
func wireQueues(s *Server) error {
	svc := queues.New(queues.Config{Store: s.store, Clock: s.clock, Metrics: s.metrics, Log: s.log.With("component", "queues"), Region: s.cfg.Region})
	h, err := apisqs.New(svc, s.log.With("component", "sqs"))
	if err != nil {
		return err
	}
	if s.http != nil {
		s.http.RegisterOnShutdown(svc.Wake)
	}
	s.handle(protocol.SQS, h)
	s.component(protocol.SQS, svc)
	return nil
}

// queueService returns the wired SQS service (nil before wireQueues ran), for the services that
// send to or receive from queues (pipes, Step Functions' sqs:sendMessage, SNS and EventBridge
// targets).
func (s *Server) queueService() *queues.Service {
	for _, c := range s.components {
		if svc, ok := c.c.(*queues.Service); ok {
			return svc
		}
	}
	return nil
}
