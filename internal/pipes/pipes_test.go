package pipes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/metrics"
	"github.com/ceap/ceap/internal/store"
	"github.com/ceap/ceap/internal/store/postgres/pgtest"
	"github.com/ceap/ceap/internal/store/storetest"
)

const (
	acct  = "123456789012"
	queue = "arn:aws:sqs:us-east-1:123456789012:q"
	sm    = "arn:aws:states:us-east-1:123456789012:stateMachine:m"
	role  = "arn:aws:iam::123456789012:role/pipe"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// fakeQueue is an in-memory queue: received messages stay in flight until deleted (they are
// not redelivered, so a test sees exactly what the pipe deleted).
type fakeQueue struct {
	mu       sync.Mutex
	ready    []Message
	deleted  map[string]bool
	receives int
	failNext int // receives that fail before the queue answers again
	signal   chan struct{}
}

func newFakeQueue() *fakeQueue {
	return &fakeQueue{deleted: map[string]bool{}, signal: make(chan struct{}, 1)}
}

func (q *fakeQueue) send(bodies ...string) {
	q.mu.Lock()
	for _, b := range bodies {
		id := fmt.Sprintf("m%d", len(q.ready)+len(q.deleted)+q.receives*100)
		q.ready = append(q.ready, Message{MessageID: id, ReceiptHandle: "rh-" + b, Body: b, MD5OfBody: "md5",
			Attributes: map[string]string{"ApproximateReceiveCount": "1", "SentTimestamp": "1700000000000"}})
	}
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

func (q *fakeQueue) Receive(ctx context.Context, account, arn string, max int, wait time.Duration) ([]Message, error) {
	for {
		q.mu.Lock()
		q.receives++
		if q.failNext > 0 {
			q.failNext--
			q.mu.Unlock()
			return nil, errors.New("queue unavailable")
		}
		if n := min(max, len(q.ready)); n > 0 {
			out := append([]Message(nil), q.ready[:n]...)
			q.ready = q.ready[n:]
			q.mu.Unlock()
			return out, nil
		}
		q.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-q.signal:
		case <-time.After(20 * time.Millisecond):
			return nil, nil
		}
	}
}

func (q *fakeQueue) Delete(ctx context.Context, account, arn string, handles []string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, h := range handles {
		q.deleted[h] = true
	}
	return nil
}

func (q *fakeQueue) isDeleted(h string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.deleted[h]
}

func (q *fakeQueue) receiveCount() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.receives
}

// fakeTarget records inputs and answers with fn.
type fakeTarget struct {
	mu     sync.Mutex
	inputs []string
	sync   []bool
	fn     func(input string) (string, error)
	got    chan string
}

func newFakeTarget(fn func(string) (string, error)) *fakeTarget {
	return &fakeTarget{fn: fn, got: make(chan string, 100)}
}

func (t *fakeTarget) call(input string, sync bool) (string, error) {
	t.mu.Lock()
	t.inputs = append(t.inputs, input)
	t.sync = append(t.sync, sync)
	t.mu.Unlock()
	t.got <- input
	if t.fn != nil {
		return t.fn(input)
	}
	return "SUCCEEDED", nil
}

func (t *fakeTarget) StartSync(ctx context.Context, account, arn, input string) (string, error) {
	return t.call(input, true)
}

func (t *fakeTarget) MachineType(ctx context.Context, account, arn string) (string, error) {
	if strings.HasSuffix(arn, ":standard") {
		return "STANDARD", nil
	}
	return "EXPRESS", nil
}

func (t *fakeTarget) Start(ctx context.Context, account, arn, input string) error {
	_, err := t.call(input, false)
	return err
}

type fakeMetrics struct {
	mu  sync.Mutex
	sum map[string]float64
}

func (m *fakeMetrics) Record(account, namespace, name string, dims []metrics.Dimension, value float64, unit string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sum == nil {
		m.sum = map[string]float64{}
	}
	m.sum[namespace+"/"+name+"/"+dims[0].Value] += value
}

func (m *fakeMetrics) get(name string) float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sum[name]
}

type env struct {
	svc    *Service
	st     store.Store
	queue  *fakeQueue
	target *fakeTarget
	met    *fakeMetrics
}

func newEnv(t *testing.T, st store.Store, node string, target *fakeTarget) *env {
	t.Helper()
	if st == nil {
		st = storetest.OpenSQLite(t)
	}
	if target == nil {
		target = newFakeTarget(nil)
	}
	e := &env{st: st, queue: newFakeQueue(), target: target, met: &fakeMetrics{}}
	e.svc = New(Config{Store: st, Source: e.queue, Target: target, Metrics: e.met, Log: quiet, Node: node, SyncInterval: 20 * time.Millisecond, Concurrency: 2, RetryDelay: 10 * time.Millisecond})
	if err := e.svc.StartBackground(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		e.svc.StopBackground(ctx)
	})
	return e
}

func i32(v int32) *int32   { return &v }
func str(v string) *string { return &v }

func createInput(name, invocation string) CreateInput {
	return CreateInput{Name: name, Source: queue, Target: sm, RoleARN: role,
		SourceParameters: SourceParameters{SqsQueueParameters: &SQSParameters{BatchSize: i32(1)}},
		TargetParameters: TargetParameters{StepFunctionStateMachineParameters: &StateMachineParameters{InvocationType: invocation}}}
}

// waitState waits until the pipe reaches state.
func waitState(t *testing.T, svc *Service, name, state string) *Pipe {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		p, err := svc.Describe(context.Background(), acct, name)
		if err == nil && p.CurrentState == state {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("pipe %s did not reach %s (now %v, err %v)", name, state, p, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func waitInput(t *testing.T, target *fakeTarget) string {
	t.Helper()
	select {
	case in := <-target.got:
		return in
	case <-time.After(5 * time.Second):
		t.Fatal("target was not invoked")
		return ""
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRequestResponseDeletesOnSuccessAndLeavesOnFailure(t *testing.T) {
	t.Parallel()
	target := newFakeTarget(func(input string) (string, error) {
		if strings.Contains(input, "bad") {
			return "FAILED", nil
		}
		return "SUCCEEDED", nil
	})
	e := newEnv(t, nil, "n1", target)
	ctx := context.Background()
	p, err := e.svc.Create(ctx, acct, "us-east-1", createInput("p", RequestResponse))
	if err != nil {
		t.Fatal(err)
	}
	if p.CurrentState != StateCreating || p.DesiredState != StateRunning || p.ARN != "arn:aws:pipes:us-east-1:123456789012:pipe/p" {
		t.Fatalf("created = %+v", p)
	}
	waitState(t, e.svc, "p", StateRunning)

	e.queue.send(`{"good":1}`)
	in := waitInput(t, target)
	var recs []map[string]any
	if err := json.Unmarshal([]byte(in), &recs); err != nil || len(recs) != 1 {
		t.Fatalf("input %s is not an array of one record (%v)", in, err)
	}
	r := recs[0]
	for k, want := range map[string]any{"body": `{"good":1}`, "receiptHandle": `rh-{"good":1}`, "eventSource": "aws:sqs", "eventSourceARN": queue, "awsRegion": "us-east-1", "md5OfBody": "md5"} {
		if r[k] != want {
			t.Errorf("record %s = %v, want %v", k, r[k], want)
		}
	}
	for _, k := range []string{"messageId", "attributes", "messageAttributes"} {
		if _, ok := r[k]; !ok {
			t.Errorf("record lacks %s", k)
		}
	}
	eventually(t, "delete after success", func() bool { return e.queue.isDeleted(`rh-{"good":1}`) })

	e.queue.send(`{"bad":1}`)
	waitInput(t, target)
	eventually(t, "ExecutionFailed metric", func() bool { return e.met.get(Namespace+"/ExecutionFailed/p") == 1 })
	if e.queue.isDeleted(`rh-{"bad":1}`) {
		t.Fatal("a failed execution's message was deleted")
	}
	if got := e.met.get(Namespace + "/Invocations/p"); got != 2 {
		t.Fatalf("Invocations = %v, want 2", got)
	}
	if got := e.met.get(Namespace + "/EventCount/p"); got != 2 {
		t.Fatalf("EventCount = %v, want 2", got)
	}
	if got := e.met.get(Namespace + "/Concurrency/" + acct); got < 2 {
		t.Fatalf("Concurrency datapoints sum to %v, want at least 1 per invocation", got)
	}
}

func TestTargetErrorLeavesMessageAndCountsThrottles(t *testing.T) {
	t.Parallel()
	target := newFakeTarget(func(string) (string, error) {
		return "", awserr.New("ExecutionLimitExceeded", "too many")
	})
	e := newEnv(t, nil, "n1", target)
	if _, err := e.svc.Create(context.Background(), acct, "us-east-1", createInput("p", FireAndForget)); err != nil {
		t.Fatal(err)
	}
	e.queue.send("x")
	waitInput(t, target)
	eventually(t, "ExecutionThrottled", func() bool { return e.met.get(Namespace+"/ExecutionThrottled/p") == 1 })
	if e.queue.isDeleted("rh-x") {
		t.Fatal("message deleted although the execution did not start")
	}
}

func TestFireAndForgetDeletesOnceStarted(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, "n1", nil)
	if _, err := e.svc.Create(context.Background(), acct, "us-east-1", createInput("p", FireAndForget)); err != nil {
		t.Fatal(err)
	}
	e.queue.send("a")
	waitInput(t, e.target)
	eventually(t, "delete", func() bool { return e.queue.isDeleted("rh-a") })
	e.target.mu.Lock()
	defer e.target.mu.Unlock()
	if e.target.sync[0] {
		t.Fatal("FIRE_AND_FORGET ran a synchronous execution")
	}
}

func TestStoppedPipeReceivesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, "n1", nil)
	ctx := context.Background()
	in := createInput("p", RequestResponse)
	in.DesiredState = StateStopped
	if _, err := e.svc.Create(ctx, acct, "us-east-1", in); err != nil {
		t.Fatal(err)
	}
	waitState(t, e.svc, "p", StateStopped)
	e.queue.send("a")
	if err := e.svc.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if n := e.queue.receiveCount(); n != 0 {
		t.Fatalf("a stopped pipe received %d times", n)
	}

	p, err := e.svc.Start(ctx, acct, "p")
	if err != nil || p.CurrentState != StateStarting || p.DesiredState != StateRunning {
		t.Fatalf("start = %+v, %v", p, err)
	}
	waitState(t, e.svc, "p", StateRunning)
	waitInput(t, e.target)

	p, err = e.svc.Stop(ctx, acct, "p")
	if err != nil || p.CurrentState != StateStopping {
		t.Fatalf("stop = %+v, %v", p, err)
	}
	waitState(t, e.svc, "p", StateStopped)
	before := e.queue.receiveCount()
	e.queue.send("b")
	e.svc.Reconcile(ctx)
	if e.queue.receiveCount() != before {
		t.Fatal("the pipe kept receiving after it stopped")
	}
	if _, err := e.svc.Stop(ctx, acct, "p"); !isCode(err, "ConflictException") {
		t.Fatalf("stop a stopped pipe: %v, want ConflictException", err)
	}

	// UpdatePipe --desired-state RUNNING, as the runbook resumes processing.
	p, err = e.svc.Update(ctx, acct, UpdateInput{Name: "p", DesiredState: StateRunning, RoleARN: role})
	if err != nil || p.CurrentState != StateUpdating {
		t.Fatalf("update = %+v, %v", p, err)
	}
	waitState(t, e.svc, "p", StateRunning)
	if in := waitInput(t, e.target); !strings.Contains(in, `"body":"b"`) {
		t.Fatalf("after resume the target got %s", in)
	}
}

func TestRestartKeepsDesiredState(t *testing.T) {
	t.Parallel()
	st := storetest.OpenSQLite(t)
	ctx := context.Background()
	first := newEnv(t, st, "n1", nil)
	if _, err := first.svc.Create(ctx, acct, "us-east-1", createInput("run", RequestResponse)); err != nil {
		t.Fatal(err)
	}
	stopped := createInput("stop", RequestResponse)
	stopped.DesiredState = StateStopped
	if _, err := first.svc.Create(ctx, acct, "us-east-1", stopped); err != nil {
		t.Fatal(err)
	}
	waitState(t, first.svc, "run", StateRunning)
	waitState(t, first.svc, "stop", StateStopped)
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := first.svc.StopBackground(sctx); err != nil {
		t.Fatal(err)
	}

	second := newEnv(t, st, "n2", nil)
	second.queue.send("after-restart")
	if in := waitInput(t, second.target); !strings.Contains(in, "after-restart") {
		t.Fatalf("target got %s", in)
	}
	p, _ := second.svc.Describe(ctx, acct, "stop")
	if p.DesiredState != StateStopped || p.CurrentState != StateStopped {
		t.Fatalf("stopped pipe after restart = %s/%s", p.DesiredState, p.CurrentState)
	}
}

func TestOneNodeRunsAPipe(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Drivers() {
		t.Run(d.Name, func(t *testing.T) {
			t.Parallel()
			st := d.Open(t)
			ctx := context.Background()
			a := newEnv(t, st, "a", nil)
			b := newEnv(t, st, "b", nil)
			if _, err := a.svc.Create(ctx, acct, "us-east-1", createInput("p", RequestResponse)); err != nil {
				t.Fatal(err)
			}
			waitState(t, a.svc, "p", StateRunning)
			for i := 0; i < 5; i++ {
				a.svc.Reconcile(ctx)
				b.svc.Reconcile(ctx)
			}
			if na, nb := runners(a.svc), runners(b.svc); na+nb != 1 {
				t.Fatalf("runners: node a %d, node b %d; want exactly one in all", na, nb)
			}
			// The node that runs the pipe stops; the other takes over once the lease is free.
			owner, other := a, b
			if runners(a.svc) == 0 {
				owner, other = b, a
			}
			sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			owner.svc.StopBackground(sctx)
			eventually(t, "the other node to take the pipe", func() bool { return runners(other.svc) == 1 })
		})
	}
}

func runners(s *Service) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.runners)
}

func TestSlowTargetDoesNotStallOtherPipes(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	defer close(release)
	target := newFakeTarget(func(input string) (string, error) {
		if strings.Contains(input, "slow") {
			<-release
		}
		return "SUCCEEDED", nil
	})
	st := storetest.OpenSQLite(t)
	ctx := context.Background()
	slowQ, fastQ := newFakeQueue(), newFakeQueue()
	svc := New(Config{Store: st, Source: routeQueue{"slowq": slowQ, "fastq": fastQ}, Target: target, Log: quiet, SyncInterval: 20 * time.Millisecond, Concurrency: 1})
	svc.StartBackground(ctx)
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		svc.StopBackground(c)
	})
	for _, n := range []string{"slowq", "fastq"} {
		in := createInput(n, RequestResponse)
		in.Source = "arn:aws:sqs:us-east-1:123456789012:" + n
		if _, err := svc.Create(ctx, acct, "us-east-1", in); err != nil {
			t.Fatal(err)
		}
	}
	slowQ.send("slow")
	waitInput(t, target)
	for i := 0; i < 3; i++ {
		fastQ.send(fmt.Sprintf("fast%d", i))
		if in := waitInput(t, target); !strings.Contains(in, "fast") {
			t.Fatalf("got %s", in)
		}
	}
}

type routeQueue map[string]*fakeQueue

func (r routeQueue) q(arn string) *fakeQueue { return r[arn[strings.LastIndexByte(arn, ':')+1:]] }
func (r routeQueue) Receive(ctx context.Context, account, arn string, max int, wait time.Duration) ([]Message, error) {
	return r.q(arn).Receive(ctx, account, arn, max, wait)
}
func (r routeQueue) Delete(ctx context.Context, account, arn string, h []string) error {
	return r.q(arn).Delete(ctx, account, arn, h)
}

func TestInputTemplateAndFilter(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, "n1", nil)
	in := createInput("p", RequestResponse)
	in.TargetParameters.InputTemplate = str(`{"order": <$.body.order>, "pipe": "<aws.pipes.pipe-name>", "id": "<$.messageId>"}`)
	in.SourceParameters.FilterCriteria = &FilterCriteria{Filters: []Filter{{Pattern: str(`{"body": {"kind": ["keep"]}}`)}}}
	if _, err := e.svc.Create(context.Background(), acct, "us-east-1", in); err != nil {
		t.Fatal(err)
	}
	e.queue.send(`{"kind":"drop","order":1}`)
	eventually(t, "filtered message deleted", func() bool { return e.queue.isDeleted(`rh-{"kind":"drop","order":1}`) })
	e.queue.send(`{"kind":"keep","order":{"n":2}}`)
	got := waitInput(t, e.target)
	var arr []map[string]any
	if err := json.Unmarshal([]byte(got), &arr); err != nil || len(arr) != 1 {
		t.Fatalf("input %s: %v", got, err)
	}
	if o, _ := arr[0]["order"].(map[string]any); o["n"] != float64(2) || arr[0]["pipe"] != "p" || arr[0]["id"] == "" {
		t.Fatalf("transformed = %v", arr[0])
	}
}

func TestBatchingWindowGathersABatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, "n1", nil)
	in := createInput("p", RequestResponse)
	in.SourceParameters.SqsQueueParameters = &SQSParameters{BatchSize: i32(3), MaximumBatchingWindowInSeconds: i32(2)}
	if _, err := e.svc.Create(context.Background(), acct, "us-east-1", in); err != nil {
		t.Fatal(err)
	}
	waitState(t, e.svc, "p", StateRunning)
	e.queue.send("1")
	e.queue.send("2", "3")
	var recs []map[string]any
	json.Unmarshal([]byte(waitInput(t, e.target)), &recs)
	if len(recs) != 3 {
		t.Fatalf("batch of %d records, want 3", len(recs))
	}
}

func TestDeleteRemovesThePipe(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, "n1", nil)
	ctx := context.Background()
	if _, err := e.svc.Create(ctx, acct, "us-east-1", createInput("p", RequestResponse)); err != nil {
		t.Fatal(err)
	}
	p, err := e.svc.Delete(ctx, acct, "p")
	if err != nil || p.CurrentState != StateDeleting || p.DesiredState != StateDeleted {
		t.Fatalf("delete = %+v, %v", p, err)
	}
	eventually(t, "pipe gone", func() bool {
		_, err := e.svc.Describe(ctx, acct, "p")
		return isCode(err, "NotFoundException")
	})
}

func TestValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, "n1", nil)
	ctx := context.Background()
	if _, err := e.svc.Create(ctx, acct, "us-east-1", createInput("dup", RequestResponse)); err != nil {
		t.Fatal(err)
	}
	bad := func(edit func(*CreateInput)) CreateInput {
		in := createInput("ok", RequestResponse)
		edit(&in)
		return in
	}
	for name, c := range map[string]struct {
		in   CreateInput
		code string
	}{
		"duplicate":       {createInput("dup", RequestResponse), "ConflictException"},
		"bad name":        {bad(func(in *CreateInput) { in.Name = "a b" }), "ValidationException"},
		"long name":       {bad(func(in *CreateInput) { in.Name = strings.Repeat("a", 65) }), "ValidationException"},
		"kinesis source":  {bad(func(in *CreateInput) { in.Source = "arn:aws:kinesis:us-east-1:123456789012:stream/s" }), "ValidationException"},
		"lambda target":   {bad(func(in *CreateInput) { in.Target = "arn:aws:lambda:us-east-1:123456789012:function:f" }), "ValidationException"},
		"batch size 0":    {bad(func(in *CreateInput) { in.SourceParameters.SqsQueueParameters.BatchSize = i32(0) }), "ValidationException"},
		"batch no window": {bad(func(in *CreateInput) { in.SourceParameters.SqsQueueParameters.BatchSize = i32(11) }), "ValidationException"},
		"window too long": {bad(func(in *CreateInput) {
			in.SourceParameters.SqsQueueParameters.MaximumBatchingWindowInSeconds = i32(301)
		}), "ValidationException"},
		"bad state":      {bad(func(in *CreateInput) { in.DesiredState = "PAUSED" }), "ValidationException"},
		"bad invocation": {bad(func(in *CreateInput) { in.TargetParameters.StepFunctionStateMachineParameters.InvocationType = "SYNC" }), "ValidationException"},
		"bad role":       {bad(func(in *CreateInput) { in.RoleARN = "role" }), "ValidationException"},
		"sync standard":  {bad(func(in *CreateInput) { in.Target = "arn:aws:states:us-east-1:123456789012:stateMachine:standard" }), "ValidationException"},
		"bad filter": {bad(func(in *CreateInput) {
			in.SourceParameters.FilterCriteria = &FilterCriteria{Filters: []Filter{{Pattern: str("{")}}}
		}), "ValidationException"},
	} {
		if _, err := e.svc.Create(ctx, acct, "us-east-1", c.in); !isCode(err, c.code) {
			t.Errorf("%s: %v, want %s", name, err, c.code)
		}
	}
	if _, err := e.svc.Describe(ctx, acct, "ok"); !isCode(err, "NotFoundException") {
		t.Fatalf("a rejected pipe exists: %v", err)
	}
	if _, err := e.svc.Update(ctx, acct, UpdateInput{Name: "missing", RoleARN: role}); !isCode(err, "NotFoundException") {
		t.Fatalf("update missing: %v", err)
	}
}

func TestListFiltersAndPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, "n1", nil)
	ctx := context.Background()
	for _, n := range []string{"a1", "a2", "a3", "b1"} {
		in := createInput(n, RequestResponse)
		if n == "a2" {
			in.DesiredState = StateStopped
		}
		if _, err := e.svc.Create(ctx, acct, "us-east-1", in); err != nil {
			t.Fatal(err)
		}
	}
	page, next, err := e.svc.List(ctx, acct, ListInput{NamePrefix: "a", Limit: 2})
	if err != nil || len(page) != 2 || page[0].Name != "a1" || next == "" {
		t.Fatalf("page 1 = %d pipes, next %q, %v", len(page), next, err)
	}
	page, next, err = e.svc.List(ctx, acct, ListInput{NamePrefix: "a", Limit: 2, NextToken: next})
	if err != nil || len(page) != 1 || page[0].Name != "a3" || next != "" {
		t.Fatalf("page 2 = %v, next %q, %v", page, next, err)
	}
	page, _, _ = e.svc.List(ctx, acct, ListInput{DesiredState: StateStopped})
	if len(page) != 1 || page[0].Name != "a2" {
		t.Fatalf("stopped = %v", page)
	}
	page, _, _ = e.svc.List(ctx, "999999999999", ListInput{})
	if len(page) != 0 {
		t.Fatalf("another account sees %d pipes", len(page))
	}
	if _, _, err := e.svc.List(ctx, acct, ListInput{Limit: 101}); !isCode(err, "ValidationException") {
		t.Fatalf("limit 101: %v", err)
	}
}

func TestTags(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, "n1", nil)
	ctx := context.Background()
	in := createInput("p", RequestResponse)
	in.Tags = map[string]string{"team": "ops"}
	p, err := e.svc.Create(ctx, acct, "us-east-1", in)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Tag(ctx, acct, p.ARN, map[string]string{"env": "dev"}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Untag(ctx, acct, p.ARN, []string{"team"}); err != nil {
		t.Fatal(err)
	}
	tags, err := e.svc.ListTags(ctx, acct, p.ARN)
	if err != nil || len(tags) != 1 || tags["env"] != "dev" {
		t.Fatalf("tags = %v, %v", tags, err)
	}
	if _, err := e.svc.ListTags(ctx, acct, ARN("us-east-1", acct, "none")); !isCode(err, "NotFoundException") {
		t.Fatalf("tags of missing pipe: %v", err)
	}
}

func isCode(err error, code string) bool {
	var ae *awserr.Error
	return errors.As(err, &ae) && ae.Code == code
}

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func TestReceiveFailuresBackOffAndRecover(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, "n1", nil)
	e.queue.mu.Lock()
	e.queue.failNext = 6
	e.queue.mu.Unlock()
	if _, err := e.svc.Create(context.Background(), acct, "us-east-1", createInput("p", RequestResponse)); err != nil {
		t.Fatal(err)
	}
	e.queue.send("after-outage")
	if in := waitInput(t, e.target); !strings.Contains(in, "after-outage") {
		t.Fatalf("target got %s", in)
	}
	eventually(t, "delete", func() bool { return e.queue.isDeleted("rh-after-outage") })
}

func TestSlowBatchDoesNotStallTheSamePipe(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	defer close(release)
	target := newFakeTarget(func(input string) (string, error) {
		if strings.Contains(input, "slow") {
			<-release
		}
		return "SUCCEEDED", nil
	})
	e := newEnv(t, nil, "n1", target) // Concurrency 2
	if _, err := e.svc.Create(context.Background(), acct, "us-east-1", createInput("p", RequestResponse)); err != nil {
		t.Fatal(err)
	}
	e.queue.send("slow")
	waitInput(t, target)
	for i := 0; i < 3; i++ {
		e.queue.send(fmt.Sprintf("fast%d", i))
		if in := waitInput(t, target); !strings.Contains(in, "fast") {
			t.Fatalf("got %s", in)
		}
	}
	if e.queue.isDeleted("rh-slow") {
		t.Fatal("the slow batch was deleted before its execution ended")
	}
}

func TestStateReasonShowsAnUnreadableSource(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, "n1", nil)
	e.queue.mu.Lock()
	e.queue.failNext = 1 << 30
	e.queue.mu.Unlock()
	ctx := context.Background()
	if _, err := e.svc.Create(ctx, acct, "us-east-1", createInput("p", RequestResponse)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a StateReason", func() bool {
		p, err := e.svc.Describe(ctx, acct, "p")
		return err == nil && p.CurrentState == StateRunning && strings.Contains(p.StateReason, "queue unavailable")
	})
	e.queue.mu.Lock()
	e.queue.failNext = 0
	e.queue.mu.Unlock()
	eventually(t, "the StateReason to clear", func() bool {
		p, err := e.svc.Describe(ctx, acct, "p")
		return err == nil && p.StateReason == ""
	})
}

// gate is a target whose calls block until it passes them, counting how many are at it at once.
type gate struct {
	mu      sync.Mutex
	active  int
	highest int
	passing bool          // calls pass after a short pause instead of blocking
	release chan struct{} // closed when the gate starts passing
}

func newGate() *gate { return &gate{release: make(chan struct{})} }

func (g *gate) call(string) (string, error) {
	g.mu.Lock()
	g.active++
	g.highest = max(g.highest, g.active)
	passing, release := g.passing, g.release
	g.mu.Unlock()
	if passing {
		time.Sleep(2 * time.Millisecond)
	} else {
		<-release
	}
	g.mu.Lock()
	g.active--
	g.mu.Unlock()
	return "SUCCEEDED", nil
}

// pass lets the blocked calls and every later one through.
func (g *gate) pass() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.passing {
		g.passing = true
		close(g.release)
	}
}

// block makes later calls block again and forgets the highest count.
func (g *gate) block() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.passing, g.release, g.highest = false, make(chan struct{}), 0
}

func (g *gate) counts() (active, highest int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.active, g.highest
}

func TestConcurrencyStartsAtFiveScalesWithABacklogAndFallsBack(t *testing.T) {
	t.Parallel()
	g := newGate()
	target := &fakeTarget{fn: g.call, got: make(chan string, 1000)}
	q := newFakeQueue()
	svc := New(Config{Store: storetest.OpenSQLite(t), Source: q, Target: target, Log: quiet, SyncInterval: 20 * time.Millisecond, Concurrency: 12})
	if err := svc.StartBackground(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		g.pass()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		svc.StopBackground(ctx)
	})
	if _, err := svc.Create(context.Background(), acct, "us-east-1", createInput("p", RequestResponse)); err != nil {
		t.Fatal(err)
	}
	waitState(t, svc, "p", StateRunning)
	backlog := func(prefix string, n int) {
		for i := 0; i < n; i++ {
			q.send(fmt.Sprintf("%s%d", prefix, i))
		}
	}

	// A backlog, and no batch finishes: five batches at the target and no more.
	backlog("a", 200)
	eventually(t, "five batches at the target", func() bool { a, _ := g.counts(); return a == initialConcurrency })
	time.Sleep(50 * time.Millisecond) // room for a sixth delivery that must not start
	if _, highest := g.counts(); highest != initialConcurrency {
		t.Fatalf("%d batches at once before any finished, want %d", highest, initialConcurrency)
	}

	// Batches finish while the backlog lasts: the pipe scales up, to Concurrency at most.
	g.pass()
	eventually(t, "the backlog delivered", func() bool { return len(target.got) == 200 })
	if _, highest := g.counts(); highest <= initialConcurrency || highest > 12 {
		t.Fatalf("at most %d batches at once with a backlog, want more than %d and at most 12", highest, initialConcurrency)
	}

	// The queue ran empty: a new backlog starts again at five.
	eventually(t, "an empty receive", func() bool { n := q.receiveCount(); time.Sleep(30 * time.Millisecond); return q.receiveCount() > n })
	eventually(t, "the deliveries to end", func() bool { a, _ := g.counts(); return a == 0 })
	g.block()
	backlog("b", 50)
	eventually(t, "five batches at the target again", func() bool { a, _ := g.counts(); return a == initialConcurrency })
	time.Sleep(50 * time.Millisecond)
	if _, highest := g.counts(); highest != initialConcurrency {
		t.Fatalf("%d batches at once after the queue ran empty, want %d", highest, initialConcurrency)
	}
}
