package asl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ceap/ceap/internal/asl/fault"
)

// fakeClock is a clock that moves only when the execution sleeps.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return nil
}

func TestRunSequentialTasks(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, `{"StartAt":"A","States":{
		"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"n.$":"$.n"},"ResultSelector":{"n.$":"$.n"},"Next":"B"},
		"B":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}}`)
	clk := &fakeClock{now: testStart}
	var calls []string
	tasks := funcRunner(func(_ context.Context, cmd InvokeTask) (any, error) {
		calls = append(calls, cmd.StateName)
		m := cmd.Parameters.(map[string]any)
		return map[string]any{"n": m["n"].(float64) + 1}, nil
	})
	out, hist := Run(context.Background(), p, map[string]any{"n": 1.0}, testContext(), tasks, clk.Now, clk.Sleep)
	if out.Status != StatusSucceeded {
		t.Fatalf("status %s %s %s", out.Status, out.Error, out.Cause)
	}
	if got := out.Output.(map[string]any)["n"]; got != 3.0 {
		t.Fatalf("output n = %v, want 3", got)
	}
	if strings.Join(calls, ",") != "A,B" {
		t.Fatalf("calls = %v", calls)
	}
	want := "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted TaskSucceeded TaskStateExited TaskStateEntered TaskScheduled TaskStarted TaskSucceeded TaskStateExited ExecutionSucceeded"
	if got := strings.Join(eventTypes(hist), " "); got != want {
		t.Fatalf("history = %s", got)
	}
	checkEventChain(t, hist)
}

func TestRunRetryWaitsBackoff(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
		"Retry":[{"ErrorEquals":["States.TaskFailed"],"IntervalSeconds":20,"MaxAttempts":2,"BackoffRate":2.0}],"End":true}}}`)
	clk := &fakeClock{now: testStart}
	var attempts int
	var seen []time.Time
	tasks := funcRunner(func(context.Context, InvokeTask) (any, error) {
		attempts++
		seen = append(seen, clk.Now())
		return nil, errors.New("stage broke")
	})
	out, _ := Run(context.Background(), p, map[string]any{}, testContext(), tasks, clk.Now, clk.Sleep)
	if out.Status != StatusFailed || out.Error != fault.TaskFailed || out.Cause != "stage broke" {
		t.Fatalf("outcome %s %s %s", out.Status, out.Error, out.Cause)
	}
	if attempts != 3 {
		t.Fatalf("attempts = %d, want 3", attempts)
	}
	if d1, d2 := seen[1].Sub(seen[0]), seen[2].Sub(seen[1]); d1 != 20*time.Second || d2 != 40*time.Second {
		t.Fatalf("retry delays %v %v, want 20s 40s", d1, d2)
	}
}

func TestRunParallelTasksConcurrently(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
		{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}},
		{"StartAt":"B","States":{"B":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}}]}}}`)
	clk := &fakeClock{now: testStart}
	var running, peak atomic.Int32
	release := make(chan struct{})
	tasks := funcRunner(func(_ context.Context, cmd InvokeTask) (any, error) {
		if n := running.Add(1); n > peak.Load() {
			peak.Store(n)
		}
		if running.Load() == 2 {
			close(release)
		}
		select {
		case <-release:
		case <-time.After(5 * time.Second):
		}
		running.Add(-1)
		return cmd.StateName, nil
	})
	out, _ := Run(context.Background(), p, map[string]any{}, testContext(), tasks, clk.Now, clk.Sleep)
	if out.Status != StatusSucceeded {
		t.Fatalf("status %s %s", out.Status, out.Cause)
	}
	if got, _ := json.Marshal(out.Output); string(got) != `["A","B"]` {
		t.Fatalf("output %s", got)
	}
	if peak.Load() != 2 {
		t.Fatalf("peak concurrency %d, want 2", peak.Load())
	}
}

func TestRunTaskTimeoutCancelsTask(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","TimeoutSeconds":1,"End":true}}}`)
	started, cancelled := make(chan struct{}), make(chan struct{})
	tasks := funcRunner(func(ctx context.Context, _ InvokeTask) (any, error) {
		close(started)
		<-ctx.Done()
		close(cancelled)
		return nil, ctx.Err()
	})
	// The timeout fires once the task runs.
	sleep := func(ctx context.Context, _ time.Duration) error {
		select {
		case <-started:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	out, hist := Run(context.Background(), p, map[string]any{}, testContext(), tasks, time.Now, sleep)
	if out.Status != StatusFailed || out.Error != fault.Timeout {
		t.Fatalf("outcome %s %s", out.Status, out.Error)
	}
	select {
	case <-cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("the timed-out task's context was not cancelled")
	}
	if !strings.Contains(strings.Join(eventTypes(hist), " "), "TaskTimedOut ExecutionFailed") {
		t.Fatalf("history %v", eventTypes(hist))
	}
}

func TestRunContextCancelAborts(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`)
	ctx, cancel := context.WithCancel(context.Background())
	sleep := func(ctx context.Context, _ time.Duration) error {
		cancel()
		<-ctx.Done()
		return ctx.Err()
	}
	out, hist := Run(ctx, p, map[string]any{}, testContext(), nil, time.Now, sleep)
	if out.Status != StatusAborted {
		t.Fatalf("status %s", out.Status)
	}
	if got := strings.Join(eventTypes(hist), " "); got != "ExecutionStarted WaitStateEntered WaitStateAborted ExecutionAborted" {
		t.Fatalf("history %s", got)
	}
}

func TestRunItemReader(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, `{"StartAt":"M","States":{"M":{"Type":"Map","ItemReader":{"Resource":"arn:aws:states:::s3:getObject"},
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"X","States":{"X":{"Type":"Pass","End":true}}},"End":true}}}`)
	clk := &fakeClock{now: testStart}
	out, _ := Run(context.Background(), p, map[string]any{}, testContext(), readerRunner{items: []any{1.0, 2.0}}, clk.Now, clk.Sleep)
	if got, _ := json.Marshal(out.Output); out.Status != StatusSucceeded || string(got) != "[1,2]" {
		t.Fatalf("outcome %s %s %s", out.Status, got, out.Cause)
	}
	out, _ = Run(context.Background(), p, map[string]any{}, testContext(), funcRunner(nil), clk.Now, clk.Sleep)
	if out.Status != StatusFailed || out.Error != fault.ItemReaderFailed {
		t.Fatalf("without a reader: %s %s", out.Status, out.Error)
	}
}

type readerRunner struct{ items []any }

func (readerRunner) RunTask(context.Context, InvokeTask) (any, error) { return nil, nil }
func (r readerRunner) ReadItems(context.Context, ReadItems) ([]any, error) {
	return r.items, nil
}

// TestSnapshotSurvivesJSON stores the snapshot as JSON after every step, as a durable driver
// does, and checks that the resumed execution behaves as the uninterrupted one.
func TestSnapshotSurvivesJSON(t *testing.T) {
	t.Parallel()
	for _, tc := range goldenCases() {
		if tc.redrive != nil {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			direct := newRun(t, mustCompile(t, tc.def))
			direct.start(mustJSON(t, tc.input))
			direct.drive(tc.script, tc.items)

			stored := newRun(t, direct.p)
			stored.start(mustJSON(t, tc.input))
			stored.roundTrip = true
			stored.drive(tc.script, tc.items)
			a, _ := json.Marshal(direct.events)
			b, _ := json.Marshal(stored.events)
			if string(a) != string(b) {
				t.Fatalf("histories differ after JSON round trips:\n%s\n%s", a, b)
			}
		})
	}
}

func TestStopAbortsRunningTasks(t *testing.T) {
	t.Parallel()
	r := newRun(t, mustCompile(t, `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
		{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}},
		{"StartAt":"B","States":{"B":{"Type":"Wait","Seconds":10,"End":true}}}]}}}`))
	r.start(map[string]any{})
	r.resume(Stop{Error: "User", Cause: "stopped"})
	if r.out.Status != StatusAborted || r.out.Error != "User" {
		t.Fatalf("outcome %s %s", r.out.Status, r.out.Error)
	}
	var cancelTask, cancelTimer int
	for _, c := range r.out.Commands {
		switch c.(type) {
		case CancelTask:
			cancelTask++
		case CancelTimer:
			cancelTimer++
		}
	}
	if cancelTask != 1 || cancelTimer != 1 {
		t.Fatalf("commands %v", r.out.Commands)
	}
	got := strings.Join(eventTypes(r.out.Events), " ")
	if got != "TaskStateAborted WaitStateAborted ParallelStateAborted ExecutionAborted" {
		t.Fatalf("events %s", got)
	}
	// A late result of the abandoned task changes nothing.
	before := r.s.LastEventID
	r.resume(TaskSucceeded{ID: "c1", Output: 1.0})
	if r.s.LastEventID != before || r.out.Status != StatusAborted {
		t.Fatal("a result after the end changed the execution")
	}
}

func TestHeartbeatExtendsTask(t *testing.T) {
	t.Parallel()
	r := newRun(t, mustCompile(t, `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken","Parameters":{"t.$":"$$.Task.Token"},"HeartbeatSeconds":10,"End":true}}}`))
	r.start(map[string]any{})
	inv := r.invokes[0]
	exec, cmd, ok := ParseTaskToken(inv.TaskToken)
	if !ok || exec != testContext().ExecutionID || cmd != inv.ID {
		t.Fatalf("token %q parses to %q %q %v", inv.TaskToken, exec, cmd, ok)
	}
	if cmd, ok := r.s.VerifyTaskToken(inv.TaskToken); !ok || cmd != inv.ID {
		t.Fatalf("VerifyTaskToken = %q %v", cmd, ok)
	}
	if _, ok := r.s.VerifyTaskToken(inv.TaskToken + "x"); ok {
		t.Fatal("a forged token verified")
	}
	other := newRun(t, r.p)
	ctx := testContext()
	ctx.Seed = 42
	s2, _ := other.p.Start(map[string]any{}, ctx, testStart)
	if _, ok := s2.VerifyTaskToken(inv.TaskToken); ok {
		t.Fatal("a token verified against another execution's seed")
	}
	if inv.Parameters.(map[string]any)["t"] != inv.TaskToken {
		t.Fatalf("$$.Task.Token = %v, want the command's token", inv.Parameters)
	}
	r.now = r.now.Add(8 * time.Second)
	r.resume(TaskHeartbeat{ID: inv.ID})
	var fire time.Time
	for _, c := range r.out.Commands {
		if st, ok := c.(StartTimer); ok && st.Reason == TimerHeartbeatTimeout {
			fire = st.FireAt
		}
	}
	if !fire.Equal(testStart.Add(18 * time.Second)) {
		t.Fatalf("new heartbeat timer at %v, want %v", fire, testStart.Add(18*time.Second))
	}
	r.resume(TaskSucceeded{ID: inv.ID, Output: "done"})
	if r.out.Status != StatusSucceeded {
		t.Fatalf("status %s", r.out.Status)
	}
}

func TestDataLimitExceeded(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", maxPayloadBytes)
	r := execute(t, `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
		"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Never"}],"End":true},"Never":{"Type":"Succeed"}}}`, `{}`,
		script{"A": {{Output: big}}})
	if r.out.Status != StatusFailed || r.out.Error != fault.DataLimitExceeded {
		t.Fatalf("outcome %s %s: States.ALL must not catch States.DataLimitExceeded", r.out.Status, r.out.Error)
	}
	_, o := mustCompile(t, `{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}`).Start(big, testContext(), testStart)
	if o.Status != StatusFailed || o.Error != fault.DataLimitExceeded {
		t.Fatalf("large input: %s %s", o.Status, o.Error)
	}
}

func TestHistoryLimitEndsLoops(t *testing.T) {
	t.Parallel()
	_, o := mustCompile(t, `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Choice","Choices":[{"Variable":"$.x","IsPresent":true,"Next":"Done"}],"Default":"A"},"Done":{"Type":"Succeed"}}}`).
		Start(map[string]any{}, testContext(), testStart)
	if o.Status != StatusFailed || o.Error != fault.Runtime || len(o.Events) < maxHistoryEvents || len(o.Events) > maxHistoryEvents+3 {
		t.Fatalf("outcome %s %s with %d events", o.Status, o.Error, len(o.Events))
	}
}

func TestRetryJitterIsDeterministic(t *testing.T) {
	t.Parallel()
	def := `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
		"Retry":[{"ErrorEquals":["States.ALL"],"IntervalSeconds":100,"MaxAttempts":3,"JitterStrategy":"FULL"}],"End":true}}}`
	delays := func() []time.Duration {
		r := newRun(t, mustCompile(t, def))
		r.start(map[string]any{})
		var out []time.Duration
		for i := 0; i < 3; i++ {
			r.resume(TaskFailed{ID: r.invokes[len(r.invokes)-1].ID, Error: "E"})
			for _, c := range r.out.Commands {
				if st, ok := c.(StartTimer); ok && st.Reason == TimerRetry {
					out = append(out, st.FireAt.Sub(r.now))
					r.resume(TimerFired{ID: st.ID})
				}
			}
		}
		return out
	}
	a, b := delays(), delays()
	if fmt.Sprint(a) != fmt.Sprint(b) || len(a) != 3 {
		t.Fatalf("jittered delays %v and %v differ", a, b)
	}
	for i, d := range a {
		if max := 100 * time.Second << i; d < 0 || d > max {
			t.Fatalf("delay %d = %v outside [0, %v]", i, d, max)
		}
	}
}

func TestRedriveRejectsRunning(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":5,"End":true}}}`)
	s, _ := p.Start(map[string]any{}, testContext(), testStart)
	if _, err := p.Redrive(s, testStart); !errors.Is(err, ErrNotRedrivable) {
		t.Fatalf("Redrive of a running execution: %v", err)
	}
}

func TestDistributedMapCannotReadOuterVariables(t *testing.T) {
	t.Parallel()
	def := func(mode string) string {
		return `{"StartAt":"Set","States":{
		"Set":{"Type":"Pass","Assign":{"outer":"x"},"Next":"M"},
		"M":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"` + mode + `","ExecutionType":"EXPRESS"},
		  "StartAt":"Read","States":{"Read":{"Type":"Pass","Parameters":{"v.$":"$outer"},"End":true}}},"End":true}}}`
	}
	inline := execute(t, def("INLINE"), `[1]`, nil)
	if got, _ := json.Marshal(inline.out.Output); inline.out.Status != StatusSucceeded || string(got) != `[{"v":"x"}]` {
		t.Fatalf("inline map: %s %s %s", inline.out.Status, got, inline.out.Cause)
	}
	dist := execute(t, def("DISTRIBUTED"), `[1]`, nil)
	if dist.out.Status != StatusFailed || dist.out.Error != fault.Runtime {
		t.Fatalf("distributed map read an outer variable: %s %s", dist.out.Status, dist.out.Error)
	}
}

func TestBracketPath(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"$.a.b[0]": "$['a']['b'][0]", "$": "$", "$..x": "$..x", "$['q']": "$['q']", "$.a[*]": "$['a'][*]"} {
		if got := bracketPath(in); got != want {
			t.Errorf("bracketPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestInlineMapRunsAtMost40Iterations(t *testing.T) {
	t.Parallel()
	items := make([]any, 100)
	for i := range items {
		items[i] = float64(i)
	}
	r := newRun(t, mustCompile(t, `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}},"End":true}}}`))
	r.start(items)
	if len(r.invokes) != maxInlineConcurrency {
		t.Fatalf("%d tasks started at once, want %d", len(r.invokes), maxInlineConcurrency)
	}
	r.drive(nil, nil)
	if r.out.Status != StatusSucceeded || len(r.out.Output.([]any)) != 100 {
		t.Fatalf("outcome %s", r.out.Status)
	}
}

func TestSyncIntegrationRecordsSubmission(t *testing.T) {
	t.Parallel()
	r := newRun(t, mustCompile(t, `{"StartAt":"G","States":{"G":{"Type":"Task","Resource":"arn:aws:states:::glue:startJobRun.sync","Parameters":{"JobName":"j"},"HeartbeatSeconds":60,"End":true}}}`))
	r.start(map[string]any{})
	id := r.invokes[0].ID
	r.resume(TaskStarted{ID: id})
	heartbeatTimers := 0
	for _, c := range r.out.Commands {
		if st, ok := c.(StartTimer); ok && st.Reason == TimerHeartbeatTimeout {
			heartbeatTimers++
		}
	}
	if heartbeatTimers != 1 {
		t.Fatalf("TaskStarted started %d heartbeat timers, want 1", heartbeatTimers)
	}
	r.resume(TaskSubmitted{ID: id, Output: map[string]any{"JobRunId": "jr_1"}})
	r.resume(TaskSucceeded{ID: id, Output: map[string]any{"JobRunState": "SUCCEEDED"}})
	got := strings.Join(eventTypes(r.events), " ")
	want := "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted TaskSubmitted TaskSucceeded TaskStateExited ExecutionSucceeded"
	if got != want {
		t.Fatalf("history %s", got)
	}
	sub := r.events[4].TaskSubmittedEventDetails
	if sub == nil || sub.ResourceType != "glue" || sub.Resource != "startJobRun.sync" || sub.Output != `{"JobRunId":"jr_1"}` {
		t.Fatalf("TaskSubmitted details %+v", sub)
	}
	if len(r.s.Pending) != 0 {
		t.Fatalf("pending after success: %v", r.s.Pending)
	}
}

func TestRunNormalizesTaskResults(t *testing.T) {
	t.Parallel()
	type result struct {
		Count int      `json:"count"`
		Tags  []string `json:"tags"`
	}
	p := mustCompile(t, `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","ResultSelector":{"n.$":"$.count","first.$":"$.tags[0]"},"End":true}}}`)
	clk := &fakeClock{now: testStart}
	tasks := funcRunner(func(context.Context, InvokeTask) (any, error) { return result{Count: 2, Tags: []string{"x"}}, nil })
	out, _ := Run(context.Background(), p, map[string]any{}, testContext(), tasks, clk.Now, clk.Sleep)
	if got, _ := json.Marshal(out.Output); out.Status != StatusSucceeded || string(got) != `{"first":"x","n":2}` {
		t.Fatalf("outcome %s %s %s", out.Status, got, out.Cause)
	}
}

func TestRunExecutionTimeoutStopsInlineTask(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, `{"TimeoutSeconds":1,"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}}`)
	tasks := funcRunner(func(ctx context.Context, _ InvokeTask) (any, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	// A clock that does not move: the deadline, real time, ends the task first.
	clk := &fakeClock{now: testStart}
	start := time.Now()
	out, hist := Run(context.Background(), p, map[string]any{}, testContext(), tasks, clk.Now, clk.Sleep)
	if out.Status != StatusTimedOut {
		t.Fatalf("status %s %s", out.Status, out.Cause)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("Run took %v", took)
	}
	if got := strings.Join(eventTypes(hist), " "); !strings.HasSuffix(got, "TaskStateAborted ExecutionTimedOut") {
		t.Fatalf("history %s", got)
	}
}

func TestJSONataFailureNamesTheField(t *testing.T) {
	t.Parallel()
	r := execute(t, `{"QueryLanguage":"JSONata","StartAt":"C","States":{
		"C":{"Type":"Choice","Choices":[{"Condition":"{% $states.input.x = 1 %}","Output":{"v":"{% $states.input.nope %}"},"Next":"D"}]},
		"D":{"Type":"Succeed"}}}`, `{"x":1}`, nil)
	want := "An error occurred while executing the state 'C' (entered at the event id #2). The JSONata expression '$states.input.nope' specified for the field 'Choices[0]/Output/v' returned nothing (undefined)."
	if r.out.Status != StatusFailed || r.out.Error != "States.QueryEvaluationError" || r.out.Cause != want {
		t.Fatalf("outcome %s %s %q", r.out.Status, r.out.Error, r.out.Cause)
	}
}

func TestProgramIsSafeForConcurrentExecutions(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, benchTransitions)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := testContext()
			ctx.ExecutionName = fmt.Sprintf("exec-%d", i)
			_, o := p.Start(map[string]any{"id": float64(i * 5)}, ctx, testStart)
			if o.Status != StatusSucceeded {
				errs <- o.Status + " " + o.Cause
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestRedriveAfterTimeoutRerunsOnlyUnfinishedIterations(t *testing.T) {
	t.Parallel()
	r := newRun(t, mustCompile(t, `{"TimeoutSeconds":30,"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":2,
		"ItemProcessor":{"StartAt":"W","States":{"W":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}},"End":true}}}`))
	r.start([]any{1.0, 2.0, 3.0})
	first := r.invokes[0].ID
	r.resume(TaskSucceeded{ID: first, Output: "one"})
	// Items 2 and 3 hang until the execution times out.
	r.now = r.now.Add(31 * time.Second)
	for id, pd := range r.s.Pending {
		if pd.Kind == TimerExecutionTimeout {
			r.resume(TimerFired{ID: id})
		}
	}
	if r.out.Status != StatusTimedOut {
		t.Fatalf("status %s", r.out.Status)
	}
	var cancelled int
	for _, c := range r.out.Commands {
		if _, ok := c.(CancelTask); ok {
			cancelled++
		}
	}
	if cancelled != 2 {
		t.Fatalf("%d tasks cancelled at the timeout, want 2", cancelled)
	}
	before := len(r.invokes)
	o, err := r.p.Redrive(r.s, r.now)
	if err != nil {
		t.Fatal(err)
	}
	r.absorb(o)
	if got := len(r.invokes) - before; got != 2 {
		t.Fatalf("redrive invoked %d tasks, want the 2 unfinished iterations", got)
	}
	for _, inv := range r.invokes[before:] {
		r.resume(TaskSucceeded{ID: inv.ID, Output: inv.Parameters})
	}
	if got := compactJSON(r.out.Output); r.out.Status != StatusSucceeded || got != `["one",2,3]` {
		t.Fatalf("after redrive: %s %s", r.out.Status, got)
	}
	if r.s.Context.RedriveCount != 1 {
		t.Fatalf("RedriveCount %d", r.s.Context.RedriveCount)
	}
}
