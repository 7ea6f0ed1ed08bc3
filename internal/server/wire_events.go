package server

import (
	"context"
	"fmt"
	"log/slog"

	apievents "github.com/ceap/ceap/internal/api/events"
	"github.com/ceap/ceap/internal/events"
	"github.com/ceap/ceap/internal/protocol"
	"github.com/ceap/ceap/internal/queues"
	"github.com/ceap/ceap/internal/states"
	"github.com/ceap/ceap/internal/topics"
)

// wireEvents builds the EventBridge service on the SNS, SQS, Lambda and Step Functions services
// and serves its API. It is wired before states, which emits execution status changes to it
// (eventService); state machine targets reach the states service when they fire.
func wireEvents(s *Server) error {
	qs, ts := s.queueService(), s.topicService()
	if qs == nil || ts == nil {
		return fmt.Errorf("events need the sqs and sns services wired first")
	}
	svc := events.New(events.Config{Store: s.store, Clock: s.clock, Metrics: s.metrics, Log: s.log.With("component", "events"),
		Topics: eventTopics{ts}, Queues: eventQueues{qs}, Functions: lazyFunctions{s}, StateMachines: lazyStates{s}})
	s.handle(protocol.Events, apievents.New(svc, s.log.With("component", "events-api")))
	s.component(protocol.Events, svc)
	return nil
}

// eventService returns the wired EventBridge service (nil before wireEvents ran), for the
// services that emit events (Step Functions' execution status changes).
func (s *Server) eventService() *events.Service {
	for _, c := range s.components {
		if svc, ok := c.c.(*events.Service); ok {
			return svc
		}
	}
	return nil
}

// eventTopics adapts the SNS service to events.TopicPublisher.
type eventTopics struct{ svc *topics.Service }

func (t eventTopics) Publish(ctx context.Context, account, arn, message string) error {
	_, err := t.svc.Publish(ctx, account, topics.PublishInput{TopicARN: arn, Message: message})
	return err
}

// eventQueues adapts the SQS service to events.QueueSender.
type eventQueues struct{ svc *queues.Service }

func (q eventQueues) Send(ctx context.Context, account, arn, body, group string, attrs map[string]string) error {
	ref, err := queueRef(account, arn)
	if err != nil {
		return err
	}
	var qa map[string]queues.Attribute
	if len(attrs) > 0 {
		qa = make(map[string]queues.Attribute, len(attrs))
		for k, v := range attrs {
			qa[k] = queues.Attribute{DataType: "String", StringValue: &v}
		}
	}
	_, err = q.svc.Send(ctx, ref, account, queues.SendEntry{Body: body, GroupID: group, Attributes: qa})
	return err
}

// lazyStates starts executions through the Step Functions service found at call time.
type lazyStates struct{ s *Server }

func (l lazyStates) Start(ctx context.Context, account, arn, input string) error {
	svc := l.s.stateService()
	if svc == nil {
		return fmt.Errorf("the states service is not wired")
	}
	_, err := svc.StartExecution(ctx, callerOf(account, arn), &states.StartInput{StateMachineARN: arn, Input: &input})
	return err
}

// statesEvents adapts the EventBridge service to the Step Functions service's StatusListener:
// each status change of a Standard execution is emitted as a "Step Functions Execution Status
// Change" event on the account's default bus.
type statesEvents struct {
	svc *events.Service
	log *slog.Logger
}

func (e statesEvents) ExecutionStatusChanged(ctx context.Context, c *states.StatusChange) {
	ev := events.ExecutionStatusChange{ExecutionARN: c.ExecutionARN, StateMachineARN: c.StateMachineARN, Name: c.Name, Status: c.Status,
		StartDate: c.StartDate.UnixMilli(), Input: c.Input, Output: c.Output, RedriveCount: c.RedriveCount}
	at := c.StartDate
	if !c.StopDate.IsZero() {
		stop := c.StopDate.UnixMilli()
		ev.StopDate, at = &stop, c.StopDate
	}
	if c.Error != "" {
		ev.Error = &c.Error
	}
	if c.Cause != "" {
		ev.Cause = &c.Cause
	}
	ev.RedriveStatus, ev.RedriveStatusReason = events.Redrive(c.Status)
	if err := e.svc.Emit(ctx, c.Account, c.Region, ev.Event(at)); err != nil {
		e.log.Error("emit_status_change_failed", "execution", c.ExecutionARN, "status", c.Status, "err", err)
	}
}

// statesStatusListener returns the listener that the Step Functions service reports Standard
// executions' status changes to (nil before wireEvents ran).
func (s *Server) statesStatusListener() states.StatusListener {
	if svc := s.eventService(); svc != nil {
		return statesEvents{svc: svc, log: s.log.With("component", "events")}
	}
	return nil
}
