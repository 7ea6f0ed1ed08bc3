package server

import (
	"context"
	"fmt"

	apilogs "github.com/ceap/ceap/internal/api/logs"
	"github.com/ceap/ceap/internal/logs"
	"github.com/ceap/ceap/internal/protocol"
	"github.com/ceap/ceap/internal/states"
	"github.com/ceap/ceap/internal/store"
)

// wireLogs builds the CloudWatch Logs service, serves its API and runs its retention sweeper.
// It is wired before every service that writes logs.
func wireLogs(s *Server) error {
	ls, ok := s.store.(store.LogStore)
	if !ok {
		return fmt.Errorf("store driver %s does not implement the log store", s.store.Driver())
	}
	svc := logs.New(logs.Config{Store: ls, Clock: s.clock, Log: s.log, Region: s.cfg.Region})
	qds, ok := s.store.(store.QueryDefinitionStore)
	if !ok {
		return fmt.Errorf("store driver %s does not implement the query definition store", s.store.Driver())
	}
	queries := logs.NewQueries(svc, qds, s.log)
	s.handle(protocol.Logs, apilogs.New(svc, queries, s.log.With("component", "logs-api")))
	s.component(protocol.Logs, svc)
	s.component(protocol.Logs+"-insights", queries)
	return nil
}

// logService returns the wired logs service (nil before wireLogs ran), for the services that
// write user-visible logs (functions, jobs, state machines).
func (s *Server) logService() *logs.Service {
	for _, c := range s.components {
		if svc, ok := c.c.(*logs.Service); ok {
			return svc
		}
	}
	return nil
}

// statesLogSink adapts the logs service to the Step Functions service's LogSink.
type statesLogSink struct{ svc *logs.Service }

// Put writes execution events to a state machine's log group.
func (l statesLogSink) Put(ctx context.Context, account, group, stream string, events []states.LogEvent) error {
	out := make([]logs.Event, len(events))
	for i, e := range events {
		out[i] = logs.Event{Timestamp: e.Time.UnixMilli(), Message: e.Message}
	}
	return l.svc.Put(ctx, account, group, stream, out)
}

// statesLogs returns the sink that state machines with a loggingConfiguration write to.
func (s *Server) statesLogs() states.LogSink {
	if svc := s.logService(); svc != nil {
		return statesLogSink{svc}
	}
	return nil
}
