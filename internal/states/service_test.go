package states

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ceap/ceap/internal/asl"
	"github.com/ceap/ceap/internal/asl/fault"
	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/clock"
	"github.com/ceap/ceap/internal/store"
	"github.com/ceap/ceap/internal/store/sqlite"
)

var testCaller = Caller{Account: "123456789012", Region: "us-east-1"}

type fixture struct {
	s      *Service
	clock  *clock.Fake
	logs   *memLogs
	status *memStatus
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(t.TempDir(), "ceap.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &fixture{clock: clock.NewFake(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)), logs: &memLogs{}, status: &memStatus{}}
	f.s = New(Config{Store: db, Clock: f.clock, Logs: f.logs, Status: f.status})
	if err := f.s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.s.Stop(context.Background()) })
	return f
}

func (f *fixture) machine(t *testing.T, name, def, typ string, logging *LoggingConfiguration) string {
	t.Helper()
	role := "arn:aws:iam::123456789012:role/r"
	res, err := f.s.CreateStateMachine(context.Background(), testCaller, &MachineInput{Name: name, Definition: &def, RoleArn: &role, Type: typ, Logging: logging})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return res.ARN
}

// waitFor drives the worker until the execution leaves RUNNING.
func (f *fixture) waitFor(t *testing.T, arn string) *Execution {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		f.s.RunOnce(context.Background())
		e, err := f.s.DescribeExecution(context.Background(), testCaller, arn)
		if err != nil {
			t.Fatal(err)
		}
		if e.Status != asl.StatusRunning {
			return e
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still running", arn)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type memLogs struct {
	mu     sync.Mutex
	events map[string][]LogEvent // group -> events
}

func (m *memLogs) Put(_ context.Context, _, group, _ string, events []LogEvent) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.events == nil {
		m.events = map[string][]LogEvent{}
	}
	m.events[group] = append(m.events[group], events...)
	return nil
}

func (m *memLogs) count(group string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.events[group])
}

type memStatus struct {
	mu      sync.Mutex
	changes []string
}

func (m *memStatus) ExecutionStatusChanged(_ context.Context, c *StatusChange) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.changes = append(m.changes, c.Name+":"+c.Status)
}

func (m *memStatus) list() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.changes...)
}

// echo is a registered integration that returns its parameters, or fails when asked to.
type echo struct {
	mu    sync.Mutex
	calls []*TaskCall
}

func (e *echo) Invoke(_ context.Context, call *TaskCall) (any, error) {
	e.mu.Lock()
	e.calls = append(e.calls, call)
	e.mu.Unlock()
	if m, ok := call.Parameters.(map[string]any); ok && m["fail"] == true {
		return nil, &fault.Error{Name: "Echo.Failed", Cause: "asked to fail"}
	}
	return call.Parameters, nil
}

func TestRegisteredIntegration(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := &echo{}
	f.s.Register("arn:aws:states:::echo:say", e)
	def := `{"StartAt":"Say","States":{"Say":{"Type":"Task","Resource":"arn:aws:states:::echo:say","Parameters":{"word.$":"$.w"},"End":true}}}`
	for _, typ := range []string{TypeStandard, TypeExpress} {
		arn := f.machine(t, "echo-"+strings.ToLower(typ), def, typ, nil)
		in := `{"w":"hi"}`
		ex, err := f.s.StartExecution(context.Background(), testCaller, &StartInput{StateMachineARN: arn, Input: &in})
		if err != nil {
			t.Fatal(err)
		}
		got := f.waitFor(t, ex.ARN)
		if got.Status != asl.StatusSucceeded || got.Output == nil || *got.Output != `{"word":"hi"}` {
			t.Fatalf("%s: %s %v", typ, got.Status, got.Output)
		}
	}
	failDef := `{"StartAt":"Say","States":{"Say":{"Type":"Task","Resource":"arn:aws:states:::echo:say","Parameters":{"fail":true},"End":true}}}`
	arn := f.machine(t, "echo-fail", failDef, TypeStandard, nil)
	ex, err := f.s.StartExecution(context.Background(), testCaller, &StartInput{StateMachineARN: arn})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.waitFor(t, ex.ARN); got.Status != asl.StatusFailed || got.Error != "Echo.Failed" {
		t.Fatalf("failing task: %s %s", got.Status, got.Error)
	}
	// An unregistered service's resource fails with that service's not-found error.
	sqsDef := `{"StartAt":"Send","States":{"Send":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","Parameters":{"QueueUrl":"q","MessageBody":"m"},"End":true}}}`
	arn = f.machine(t, "nosqs", sqsDef, TypeStandard, nil)
	ex, err = f.s.StartExecution(context.Background(), testCaller, &StartInput{StateMachineARN: arn})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.waitFor(t, ex.ARN); got.Status != asl.StatusFailed || got.Error != "SQS.QueueDoesNotExistException" {
		t.Fatalf("unknown integration: %s %s", got.Status, got.Error)
	}
}

func TestWaitForTaskToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := &echo{}
	f.s.Register("arn:aws:states:::echo:say", e)
	def := `{"StartAt":"Ask","States":{"Ask":{"Type":"Task","Resource":"arn:aws:states:::echo:say.waitForTaskToken","Parameters":{"token.$":"$$.Task.Token"},"End":true}}}`
	arn := f.machine(t, "callback", def, TypeStandard, nil)
	ex, err := f.s.StartExecution(context.Background(), testCaller, &StartInput{StateMachineARN: arn})
	if err != nil {
		t.Fatal(err)
	}
	var token string
	for deadline := time.Now().Add(5 * time.Second); token == ""; {
		f.s.RunOnce(context.Background())
		e.mu.Lock()
		if len(e.calls) == 1 {
			token = e.calls[0].TaskToken
			if p := e.calls[0].Parameters.(map[string]any); p["token"] != token {
				t.Fatalf("$$.Task.Token %v is not the call's token %s", p["token"], token)
			}
		}
		e.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatal("the integration was never invoked")
		}
	}
	time.Sleep(20 * time.Millisecond)
	if got, _ := f.s.DescribeExecution(context.Background(), testCaller, ex.ARN); got.Status != asl.StatusRunning {
		t.Fatalf("the execution did not wait for the callback: %s", got.Status)
	}
	var ae *awserr.Error
	if err := f.s.SendTaskSuccess(context.Background(), Caller{Account: "999999999999", Region: "us-east-1"}, token, `{}`); !errors.As(err, &ae) || ae.Code != "InvalidToken" {
		t.Fatalf("another account's callback: %v", err)
	}
	if err := f.s.SendTaskSuccess(context.Background(), testCaller, token, `{"answer":42}`); err != nil {
		t.Fatal(err)
	}
	if got := f.waitFor(t, ex.ARN); got.Status != asl.StatusSucceeded || *got.Output != `{"answer":42}` {
		t.Fatalf("after callback: %s %v", got.Status, got.Output)
	}
	err = f.s.SendTaskFailure(context.Background(), testCaller, token, "Late", "")
	if !errors.As(err, &ae) || ae.Code != "TaskTimedOut" {
		t.Fatalf("callback after the end: %v", err)
	}
}

func TestStatusChangesAndLogs(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	logging := &LoggingConfiguration{Level: "ALL", IncludeExecutionData: true, Destinations: []LogDestination{{CloudWatchLogsLogGroup: &LogGroupRef{LogGroupArn: "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/x:*"}}}}
	def := `{"StartAt":"P","States":{"P":{"Type":"Pass","Next":"F"},"F":{"Type":"Fail","Error":"E"}}}`
	std := f.machine(t, "std", def, TypeStandard, logging)
	exp := f.machine(t, "exp", def, TypeExpress, logging)
	if _, err := f.s.StartExecution(context.Background(), testCaller, &StartInput{StateMachineARN: std, Name: "s1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.StartSyncExecution(context.Background(), testCaller, &StartInput{StateMachineARN: exp, Name: "x1"}); err != nil {
		t.Fatal(err)
	}
	if got := f.status.list(); strings.Join(got, ",") != "s1:FAILED" {
		t.Fatalf("status changes %v, want the Standard execution's only (it fails at once)", got)
	}
	group := "/aws/vendedlogs/states/x"
	deadline := time.Now().Add(5 * time.Second)
	for f.logs.count(group) < 10 {
		if time.Now().After(deadline) {
			t.Fatalf("log events = %d, want 5 per execution", f.logs.count(group))
		}
		time.Sleep(5 * time.Millisecond)
	}
	f.logs.mu.Lock()
	first := f.logs.events[group][0].Message
	f.logs.mu.Unlock()
	if !strings.Contains(first, `"type":"ExecutionStarted"`) || !strings.Contains(first, `"execution_arn"`) {
		t.Fatalf("log record %s", first)
	}
}

func TestExpressRetention(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	arn := f.machine(t, "short", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`, TypeExpress, nil)
	res, err := f.s.StartSyncExecution(context.Background(), testCaller, &StartInput{StateMachineARN: arn})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		list, _, err := f.s.ListExecutions(context.Background(), testCaller, &ListExecutionsInput{StateMachineARN: arn})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the Express record never reached the store")
		}
		time.Sleep(5 * time.Millisecond)
	}
	for f.s.express.pendingCount() > 0 {
		time.Sleep(time.Millisecond)
	}
	h, err := f.s.GetExecutionHistory(context.Background(), testCaller, res.ARN, 0, false, true, "")
	if err != nil || len(h.Events) != 4 || h.Events[3].Type != asl.EventExecutionSucceeded {
		t.Fatalf("stored Express history = %+v, %v", h, err)
	}
	f.clock.Advance(defaultExpressRetention + time.Minute)
	for {
		_, err := f.s.DescribeExecution(context.Background(), testCaller, res.ARN)
		var ae *awserr.Error
		if errors.As(err, &ae) && ae.Code == "ExecutionDoesNotExist" {
			return
		}
		if time.Now().After(deadline.Add(5 * time.Second)) {
			t.Fatalf("the Express record outlived its retention: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestNames(t *testing.T) {
	t.Parallel()
	for name, ok := range map[string]bool{"a": true, "run-1_x.y": true, strings.Repeat("n", 80): true, strings.Repeat("n", 81): false,
		"": false, "a b": false, "a*": false, "a?": false, "a\x01": false, "a/b": false, "a:b": false, "é": true} {
		if validName(name) != ok {
			t.Errorf("validName(%q) = %v, want %v", name, !ok, ok)
		}
	}
}

func TestEndPollsEndsLongPolls(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	act, err := f.s.CreateActivity(context.Background(), testCaller, "idle", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan *ActivityTask, 1)
	go func() {
		task, _ := f.s.GetActivityTask(context.Background(), testCaller, act.ARN, "w")
		done <- task
	}()
	time.Sleep(20 * time.Millisecond)
	select {
	case <-done:
		t.Fatal("the poll returned before EndPolls with no task queued")
	default:
	}
	f.s.EndPolls()
	select {
	case task := <-done:
		if task != nil {
			t.Fatalf("got a task %+v from an empty activity", task)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("EndPolls did not end the long poll")
	}
}

// TestDeadNodeLeaseExpires: work claimed by a node that never finishes it is taken over once the
// lease runs out, and the execution completes exactly once.
func TestDeadNodeLeaseExpires(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	arn := f.machine(t, "lease", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":10,"End":true}}}`, TypeStandard, nil)
	ex, err := f.s.StartExecution(context.Background(), testCaller, &StartInput{StateMachineARN: arn})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(10 * time.Second)
	now := f.clock.Now()
	rows, err := f.s.st.WorkClaim(context.Background(), &store.WorkClaimParams{Now: now.UnixMilli(), Owner: "dead-node", LeaseUntil: now.Add(defaultLease).UnixMilli(), Limit: 10})
	if err != nil || len(rows) != 1 {
		t.Fatalf("claim as the dead node = %v, %v", rows, err)
	}
	if n := f.s.RunOnce(context.Background()); n != 0 {
		t.Fatalf("took %d leased rows before the lease ended", n)
	}
	f.clock.Advance(defaultLease)
	got := f.waitFor(t, ex.ARN)
	if got.Status != asl.StatusSucceeded {
		t.Fatalf("after the lease: %s", got.Status)
	}
	h, err := f.s.GetExecutionHistory(context.Background(), testCaller, ex.ARN, 0, false, true, "")
	if err != nil {
		t.Fatal(err)
	}
	exits := 0
	for _, e := range h.Events {
		if e.Type == "WaitStateExited" {
			exits++
		}
	}
	if exits != 1 {
		t.Fatalf("Wait exited %d times", exits)
	}
}

// TestMapOfTasks runs a Standard Map whose 60 iterations each invoke a registered integration:
// every task runs once and every result lands in the output, in order.
func TestMapOfTasks(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := &echo{}
	f.s.Register("arn:aws:states:::echo:say", e)
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","End":true,"ItemProcessor":{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"arn:aws:states:::echo:say","Parameters":{"n.$":"$"},"OutputPath":"$.n","End":true}}}}}}`
	arn := f.machine(t, "maptasks", def, TypeStandard, nil)
	var items []string
	for i := 0; i < 60; i++ {
		items = append(items, fmt.Sprint(i))
	}
	in := `{"items":[` + strings.Join(items, ",") + `]}`
	ex, err := f.s.StartExecution(context.Background(), testCaller, &StartInput{StateMachineARN: arn, Input: &in})
	if err != nil {
		t.Fatal(err)
	}
	got := f.waitFor(t, ex.ARN)
	if got.Status != asl.StatusSucceeded || *got.Output != "["+strings.Join(items, ",")+"]" {
		t.Fatalf("map of tasks: %s %v %s", got.Status, got.Output, got.Cause)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.calls) != 60 {
		t.Fatalf("%d task invocations, want 60", len(e.calls))
	}
}

// TestExecutionTimeoutAndHeartbeat: the execution's TimeoutSeconds and a task's HeartbeatSeconds
// are timers in the store that fire on the clock; a timed-out execution can be redriven.
func TestExecutionTimeoutAndHeartbeat(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	arn := f.machine(t, "slow", `{"StartAt":"W","TimeoutSeconds":5,"States":{"W":{"Type":"Wait","Seconds":60,"End":true}}}`, TypeStandard, nil)
	ex, err := f.s.StartExecution(ctx, testCaller, &StartInput{StateMachineARN: arn})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(5 * time.Second)
	if got := f.waitFor(t, ex.ARN); got.Status != asl.StatusTimedOut {
		t.Fatalf("after TimeoutSeconds: %s", got.Status)
	}
	if _, err := f.s.RedriveExecution(ctx, testCaller, ex.ARN); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(5 * time.Second)
	if got := f.waitFor(t, ex.ARN); got.Status != asl.StatusTimedOut || got.RedriveCount != 1 {
		t.Fatalf("after the redrive times out again: %s redrives %d", got.Status, got.RedriveCount)
	}

	act, err := f.s.CreateActivity(ctx, testCaller, "beats", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	arn = f.machine(t, "beating", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+act.ARN+`","HeartbeatSeconds":10,"End":true}}}`, TypeStandard, nil)
	ex, err = f.s.StartExecution(ctx, testCaller, &StartInput{StateMachineARN: arn})
	if err != nil {
		t.Fatal(err)
	}
	task, err := f.s.GetActivityTask(ctx, testCaller, act.ARN, "w")
	if err != nil || task == nil {
		t.Fatalf("activity task = %v, %v", task, err)
	}
	f.clock.Advance(8 * time.Second)
	if err := f.s.SendTaskHeartbeat(ctx, testCaller, task.Token); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(8 * time.Second)
	f.s.RunOnce(ctx)
	if got, _ := f.s.DescribeExecution(ctx, testCaller, ex.ARN); got.Status != asl.StatusRunning {
		t.Fatalf("the heartbeat did not reset the timer: %s", got.Status)
	}
	f.clock.Advance(2 * time.Second)
	if got := f.waitFor(t, ex.ARN); got.Status != asl.StatusFailed || got.Error != "States.HeartbeatTimeout" {
		t.Fatalf("after the heartbeat timeout: %s %s", got.Status, got.Error)
	}
	var ae *awserr.Error
	if err := f.s.SendTaskSuccess(ctx, testCaller, task.Token, `{}`); !errors.As(err, &ae) || ae.Code != "TaskTimedOut" {
		t.Fatalf("success after the timeout: %v", err)
	}
}

// TestExpressLogRecordsMatchHistory: an Express execution's log records are its history events
// written as Step Functions' records, with the data when includeExecutionData is set and without
// it otherwise (the records share the history's encoded details only in the first case).
func TestExpressLogRecordsMatchHistory(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	def := `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"say":"<hi> & \"bye\""},"End":true}}}`
	for _, withData := range []bool{true, false} {
		group := fmt.Sprintf("/aws/vendedlogs/states/data-%v", withData)
		logging := &LoggingConfiguration{Level: "ALL", IncludeExecutionData: withData, Destinations: []LogDestination{{CloudWatchLogsLogGroup: &LogGroupRef{LogGroupArn: "arn:aws:logs:us-east-1:123456789012:log-group:" + group + ":*"}}}}
		arn := f.machine(t, fmt.Sprintf("m-%v", withData), def, TypeExpress, logging)
		in := `{"in":"é\u2028"}`
		res, err := f.s.StartSyncExecution(context.Background(), testCaller, &StartInput{StateMachineARN: arn, Input: &in})
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for f.logs.count(group) < 4 || f.s.express.pendingCount() > 0 {
			if time.Now().After(deadline) {
				t.Fatalf("log events = %d, want 4", f.logs.count(group))
			}
			time.Sleep(5 * time.Millisecond)
		}
		h, err := f.s.GetExecutionHistory(context.Background(), testCaller, res.ARN, 0, false, true, "")
		if err != nil || len(h.Events) != 4 {
			t.Fatalf("history = %+v, %v", h, err)
		}
		f.logs.mu.Lock()
		got := append([]LogEvent(nil), f.logs.events[group]...)
		f.logs.mu.Unlock()
		var c codec
		for i, ev := range h.Events {
			if !withData {
				stripData(&ev)
			}
			if want := string(c.logRecord(&ev, res.ARN)); got[i].Message != want || !got[i].Time.Equal(ev.Timestamp) {
				t.Fatalf("withData=%v record %d = %s at %v, want %s at %v", withData, i, got[i].Message, got[i].Time, want, ev.Timestamp)
			}
		}
		if strings.Contains(got[3].Message, "bye") != withData {
			t.Fatalf("withData=%v: last record %s", withData, got[3].Message)
		}
	}
}
