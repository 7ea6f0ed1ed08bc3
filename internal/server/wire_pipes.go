package server

import (
	"context"
	"fmt"
	"strings"
	"time"

	apipipes "github.com/ceap/ceap/internal/api/pipes"
	"github.com/ceap/ceap/internal/pipes"
	"github.com/ceap/ceap/internal/protocol"
	"github.com/ceap/ceap/internal/queues"
	"github.com/ceap/ceap/internal/states"
)

// wirePipes builds the Pipes service on the SQS and Step Functions services, serves its API and
// runs its pipes. It is wired after both.
func wirePipes(s *Server) error {
	qs, ss := s.queueService(), s.stateService()
	if qs == nil || ss == nil {
		return fmt.Errorf("pipes need the sqs and states services wired first")
	}
	svc := pipes.New(pipes.Config{Store: s.store, Clock: s.clock, Metrics: s.metrics, Log: s.log.With("component", "pipes"),
		Source: pipeQueue{qs}, Target: pipeTarget{ss}})
	s.handle(protocol.Pipes, apipipes.New(svc, s.log.With("component", "pipes-api")))
	s.component(protocol.Pipes, svc.Component())
	return nil
}

// arnParts splits arn:partition:service:region:account:resource.
func arnParts(arn string) (region, account, resource string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return "", "", "", false
	}
	return parts[3], parts[4], parts[5], true
}

// queueRef resolves an SQS queue ARN within an account.
func queueRef(account, arn string) (queues.Ref, error) {
	_, _, name, ok := arnParts(arn)
	if !ok || name == "" {
		return queues.Ref{}, fmt.Errorf("not an SQS queue ARN: %q", arn)
	}
	return queues.Ref{Account: account, Name: name}, nil
}

// pipeQueue adapts the SQS service to pipes.QueueSource.
type pipeQueue struct{ svc *queues.Service }

func (q pipeQueue) Receive(ctx context.Context, account, arn string, max int, wait time.Duration) ([]pipes.Message, error) {
	ref, err := queueRef(account, arn)
	if err != nil {
		return nil, err
	}
	n, secs := int64(max), int64(wait/time.Second)
	msgs, err := q.svc.Receive(ctx, ref, queues.ReceiveParams{MaxMessages: &n, WaitTimeSeconds: &secs, SystemAttributes: []string{"All"}, MessageAttributes: []string{"All"}})
	if err != nil {
		return nil, err
	}
	out := make([]pipes.Message, len(msgs))
	for i, m := range msgs {
		attrs := make(map[string]pipes.MessageAttribute, len(m.MessageAttributes))
		for k, a := range m.MessageAttributes {
			attrs[k] = pipes.MessageAttribute{DataType: a.DataType, StringValue: a.StringValue, BinaryValue: a.BinaryValue, StringListValues: a.StringListValues, BinaryListValues: a.BinaryListValues}
		}
		out[i] = pipes.Message{MessageID: m.MessageID, ReceiptHandle: m.ReceiptHandle, Body: m.Body, MD5OfBody: m.MD5Body, Attributes: m.Attributes, MessageAttributes: attrs}
	}
	return out, nil
}

func (q pipeQueue) Delete(ctx context.Context, account, arn string, handles []string) error {
	ref, err := queueRef(account, arn)
	if err != nil {
		return err
	}
	entries := make([]queues.DeleteEntry, len(handles))
	for i, h := range handles {
		entries[i] = queues.DeleteEntry{ID: fmt.Sprint(i), ReceiptHandle: h}
	}
	res, err := q.svc.DeleteBatch(ctx, ref, entries, false)
	if err != nil {
		return err
	}
	for _, r := range res {
		if r != nil && r.Err != nil {
			return r.Err
		}
	}
	return nil
}

// pipeTarget adapts the Step Functions service to pipes.StateMachineTarget.
type pipeTarget struct{ svc *states.Service }

func callerOf(account, arn string) states.Caller {
	region, _, _, _ := arnParts(arn)
	return states.Caller{Account: account, Region: region}
}

func (t pipeTarget) StartSync(ctx context.Context, account, arn, input string) (string, error) {
	res, err := t.svc.StartSyncExecution(ctx, callerOf(account, arn), &states.StartInput{StateMachineARN: arn, Input: &input})
	if err != nil {
		return "", err
	}
	return res.Status, nil
}

func (t pipeTarget) MachineType(ctx context.Context, account, arn string) (string, error) {
	m, err := t.svc.DescribeStateMachine(ctx, callerOf(account, arn), arn)
	if err != nil {
		return "", err
	}
	return m.Type, nil
}

func (t pipeTarget) Start(ctx context.Context, account, arn, input string) error {
	_, err := t.svc.StartExecution(ctx, callerOf(account, arn), &states.StartInput{StateMachineARN: arn, Input: &input})
	return err
}
