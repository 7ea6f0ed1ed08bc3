package jobs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/clock"
	"github.com/ceap/ceap/internal/logs"
	"github.com/ceap/ceap/internal/store"
	"github.com/ceap/ceap/internal/store/storetest"
)

type memLogs struct {
	mu     sync.Mutex
	events map[string][]string
}

func (m *memLogs) Put(_ context.Context, _, group, stream string, ev []logs.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range ev {
		m.events[group+"|"+stream] = append(m.events[group+"|"+stream], e.Message)
	}
	return nil
}

func (m *memLogs) get(group, stream string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.events[group+"|"+stream]...)
}

const script = `import sys, time
args = sys.argv[1:]
opts = dict(zip(args[::2], args[1::2]))
print("job", opts["--JOB_NAME"], "run", opts["--JOB_RUN_ID"])
print("input", opts.get("--input-key"), "mode", opts.get("--mode"))
if opts.get("--mode") == "fail":
    raise ValueError("bad input " + opts.get("--input-key", ""))
if opts.get("--mode") == "sleep":
    time.sleep(30)
`

type fixture struct {
	svc    *Service
	logs   *memLogs
	clock  clock.Clock
	script string
}

func newFixture(t *testing.T, c clock.Clock) *fixture {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "job.py")
	if err := os.WriteFile(p, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	lg := &memLogs{events: map[string][]string{}}
	svc := New(Config{Store: storetest.OpenSQLite(t), Dir: filepath.Join(dir, "data"), Clock: c, Logs: lg})
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Stop(context.Background()) })
	return &fixture{svc: svc, logs: lg, clock: c, script: p}
}

func (f *fixture) create(t *testing.T, name string, maxRuns int) {
	t.Helper()
	err := f.svc.CreateJob(context.Background(), "acct", &Job{Name: name, Role: "r", Command: Command{Name: "pythonshell", ScriptLocation: f.script},
		DefaultArguments: map[string]string{"--input-key": "default.json", "--mode": "ok"}, MaxConcurrentRuns: maxRuns})
	if err != nil {
		t.Fatal(err)
	}
}

func wait(t *testing.T, f *fixture, job, id string) *JobRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	jr, err := f.svc.WaitJobRun(ctx, "acct", job, id)
	if err != nil {
		t.Fatalf("wait %s: %v", id, err)
	}
	return jr
}

func TestPythonShellRunSucceedsWithMergedArguments(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.create(t, "heavy-etl-job", 1)
	id, err := f.svc.StartJobRun(context.Background(), "acct", StartJobRunInput{JobName: "heavy-etl-job", Arguments: map[string]string{"--input-key": "executions/e1/Filter/output.json"}})
	if err != nil || !strings.HasPrefix(id, "jr_") || len(id) != 67 {
		t.Fatalf("start = %q, %v", id, err)
	}
	jr := wait(t, f, "heavy-etl-job", id)
	if jr.State != Succeeded || jr.Arguments["--input-key"] != "executions/e1/Filter/output.json" || jr.Arguments["--mode"] != "ok" || jr.Completed.IsZero() {
		t.Fatalf("run = %+v", jr)
	}
	out := f.logs.get(OutputGroup, id)
	if len(out) != 2 || out[0] != "job heavy-etl-job run "+id || out[1] != "input executions/e1/Filter/output.json mode ok" {
		t.Fatalf("output log = %q", out)
	}
}

func TestFailedRunRecordsTheErrorAndItsLog(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.create(t, "etl", 1)
	id, err := f.svc.StartJobRun(context.Background(), "acct", StartJobRunInput{JobName: "etl", Arguments: map[string]string{"--mode": "fail"}})
	if err != nil {
		t.Fatal(err)
	}
	jr := wait(t, f, "etl", id)
	if jr.State != Failed || jr.ErrorMessage != "ValueError: bad input default.json" {
		t.Fatalf("run = %+v", jr)
	}
	errLog := strings.Join(f.logs.get(ErrorGroup, id), "\n")
	if !strings.Contains(errLog, "Traceback") || !strings.Contains(errLog, "ValueError: bad input") {
		t.Fatalf("error log = %q", errLog)
	}
}

func TestConcurrentRunsAndStop(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.create(t, "slow", 1)
	ctx := context.Background()
	id, err := f.svc.StartJobRun(ctx, "acct", StartJobRunInput{JobName: "slow", Arguments: map[string]string{"--mode": "sleep"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.StartJobRun(ctx, "acct", StartJobRunInput{JobName: "slow"})
	if ae, ok := awserr.As(err); !ok || ae.Code != "ConcurrentRunsExceededException" {
		t.Fatalf("second run: %v", err)
	}
	ok, failed, err := f.svc.BatchStopJobRun(ctx, "acct", "slow", []string{id, "jr_missing"})
	if err != nil || len(ok) != 1 || len(failed) != 1 || failed[0].Code != "EntityNotFoundException" {
		t.Fatalf("stop = %v %v %v", ok, failed, err)
	}
	if jr := wait(t, f, "slow", id); jr.State != Stopped {
		t.Fatalf("stopped run = %+v", jr)
	}
	if _, err := f.svc.StartJobRun(ctx, "acct", StartJobRunInput{JobName: "slow"}); err != nil {
		t.Fatalf("run after stop: %v", err)
	}
}

func TestRunTimesOut(t *testing.T) {
	t.Parallel()
	fake := clock.NewFake(time.Now())
	f := newFixture(t, fake)
	f.create(t, "t", 1)
	id, err := f.svc.StartJobRun(context.Background(), "acct", StartJobRunInput{JobName: "t", Timeout: 1, Arguments: map[string]string{"--mode": "sleep"}})
	if err != nil {
		t.Fatal(err)
	}
	// Let the process start before moving the clock past the timeout.
	deadline := time.Now().Add(10 * time.Second)
	for {
		jr, err := f.svc.GetJobRun(context.Background(), "acct", "t", id)
		if err != nil {
			t.Fatal(err)
		}
		if jr.State == Running {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("run never started: %+v", jr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	fake.Advance(61 * time.Second)
	jr := wait(t, f, "t", id)
	if jr.State != Timeout || !strings.Contains(jr.ErrorMessage, "timed out after 1 minutes") || jr.ExecutionTime < 61 {
		t.Fatalf("run = %+v", jr)
	}
}

func TestGlueETLNeedsSpark(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ctx := context.Background()
	if err := f.svc.CreateJob(ctx, "acct", &Job{Name: "spark", Role: "r", Command: Command{Name: "glueetl", ScriptLocation: f.script}}); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.StartJobRun(ctx, "acct", StartJobRunInput{JobName: "spark"})
	if ae, ok := awserr.As(err); !ok || ae.Code != "InvalidInputException" || !strings.Contains(ae.Message, "Spark") {
		t.Fatalf("glueetl run: %v", err)
	}
	_, err = f.svc.GetJob(ctx, "acct", "nope")
	var ae *awserr.Error
	if !errors.As(err, &ae) || ae.Code != "EntityNotFoundException" {
		t.Fatalf("missing job: %v", err)
	}
}

func TestRunsOfADeadNodeFail(t *testing.T) {
	t.Parallel()
	fake := clock.NewFake(time.Now())
	st := storetest.OpenSQLite(t)
	ctx := context.Background()
	other := New(Config{Store: st, Dir: t.TempDir(), Clock: fake, Node: "other"})
	if err := other.CreateJob(ctx, "acct", &Job{Name: "j", Role: "r", Command: Command{Name: "pythonshell", ScriptLocation: "/nowhere.py"}, MaxConcurrentRuns: 2}); err != nil {
		t.Fatal(err)
	}
	// Another node started these runs and died: its leases are no longer renewed.
	now := fake.Now()
	for id, state := range map[string]string{"jr_running": Running, "jr_stopping": Stopping} {
		row := &store.JobRunRow{Account: "acct", JobName: "j", ID: id, State: state, Spec: []byte(`{"arguments":{},"timeout":5}`),
			Started: now.UnixMilli(), Modified: now.UnixMilli(), Owner: "dead", LeaseUntil: now.Add(leaseFor).UnixMilli()}
		if err := st.JobRunCreate(ctx, &store.JobRunCreateParams{Row: row, MaxActive: 2}); err != nil {
			t.Fatal(err)
		}
	}
	if err := other.reapStale(ctx); err != nil {
		t.Fatal(err)
	}
	if jr, _ := other.GetJobRun(ctx, "acct", "j", "jr_running"); jr.State != Running {
		t.Fatalf("a run with a live lease was ended: %+v", jr)
	}
	fake.Advance(leaseFor + time.Second)
	if err := other.reapStale(ctx); err != nil {
		t.Fatal(err)
	}
	jr, err := other.GetJobRun(ctx, "acct", "j", "jr_running")
	if err != nil || jr.State != Failed || !strings.Contains(jr.ErrorMessage, "node stopped") || jr.ExecutionTime != 31 {
		t.Fatalf("running run of the dead node = %+v, %v", jr, err)
	}
	if jr, _ := other.GetJobRun(ctx, "acct", "j", "jr_stopping"); jr.State != Stopped {
		t.Fatalf("stopping run of the dead node = %+v", jr)
	}
}

func TestFailedRunsAreRetriedUpToMaxRetries(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ctx := context.Background()
	if err := f.svc.CreateJob(ctx, "acct", &Job{Name: "r", Role: "r", Command: Command{Name: "pythonshell", ScriptLocation: f.script},
		DefaultArguments: map[string]string{"--mode": "fail"}, MaxRetries: 2}); err != nil {
		t.Fatal(err)
	}
	id, err := f.svc.StartJobRun(ctx, "acct", StartJobRunInput{JobName: "r"})
	if err != nil {
		t.Fatal(err)
	}
	last := wait(t, f, "r", id)
	for attempt := 1; attempt <= 2; attempt++ {
		next := id + "_attempt_" + string(rune('0'+attempt))
		deadline := time.Now().Add(20 * time.Second)
		for {
			if _, err := f.svc.GetJobRun(ctx, "acct", "r", next); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("attempt %d never started after %+v", attempt, last)
			}
			time.Sleep(20 * time.Millisecond)
		}
		jr := wait(t, f, "r", next)
		if jr.State != Failed || jr.Attempt != attempt || jr.PreviousRunID != last.ID {
			t.Fatalf("attempt %d = %+v", attempt, jr)
		}
		last = jr
	}
	time.Sleep(200 * time.Millisecond)
	runs, _, err := f.svc.GetJobRuns(ctx, "acct", "r", "", 0)
	if err != nil || len(runs) != 3 {
		t.Fatalf("runs = %d, %v; want 3 (the first and two retries)", len(runs), err)
	}
}

func TestUpdateJobKeepsTagsAndChangesTheRun(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ctx := context.Background()
	if err := f.svc.CreateJob(ctx, "acct", &Job{Name: "u", Role: "r", Command: Command{Name: "pythonshell", ScriptLocation: f.script},
		DefaultArguments: map[string]string{"--mode": "fail"}, Tags: map[string]string{"team": "ceap"}}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.UpdateJob(ctx, "acct", "u", &Job{Role: "r2", Command: Command{Name: "pythonshell", ScriptLocation: f.script},
		DefaultArguments: map[string]string{"--mode": "ok"}, MaxConcurrentRuns: 3}); err != nil {
		t.Fatal(err)
	}
	j, err := f.svc.GetJob(ctx, "acct", "u")
	if err != nil || j.Role != "r2" || j.Tags["team"] != "ceap" || j.MaxConcurrentRuns != 3 || j.Timeout != DefaultTimeout || !j.Modified.After(j.Created.Add(-time.Millisecond)) {
		t.Fatalf("job = %+v, %v", j, err)
	}
	names, _, err := f.svc.ListJobs(ctx, "acct", "", 0, map[string]string{"team": "ceap"})
	if err != nil || len(names) != 1 {
		t.Fatalf("list by tag = %v, %v", names, err)
	}
	if names, _, _ := f.svc.ListJobs(ctx, "acct", "", 0, map[string]string{"team": "other"}); len(names) != 0 {
		t.Fatalf("list by another tag = %v", names)
	}
	id, err := f.svc.StartJobRun(ctx, "acct", StartJobRunInput{JobName: "u"})
	if err != nil {
		t.Fatal(err)
	}
	if jr := wait(t, f, "u", id); jr.State != Succeeded {
		t.Fatalf("run after the update = %+v", jr)
	}
	if err := f.svc.UpdateJob(ctx, "acct", "missing", &Job{Role: "r", Command: Command{Name: "pythonshell", ScriptLocation: f.script}}); err == nil {
		t.Fatal("updating a missing job must fail")
	}
}
