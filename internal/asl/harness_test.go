package asl

import (
	"context"
	"encoding/json"
	"sort"
	"testing"
	"time"
)

// testStart is the fixed start time of every test execution.
var testStart = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

func testContext() Context {
	return Context{
		ExecutionID:      "arn:aws:states:us-east-1:123456789012:execution:Machine:exec-1",
		ExecutionName:    "exec-1",
		StateMachineID:   "arn:aws:states:us-east-1:123456789012:stateMachine:Machine",
		StateMachineName: "Machine",
		RoleArn:          "arn:aws:iam::123456789012:role/Role",
		StartTime:        testStart,
	}
}

// reply is a scripted task result. Hang leaves the task unanswered so timers fire.
type reply struct {
	Output any    `json:"output,omitempty"`
	Error  string `json:"error,omitempty"`
	Cause  string `json:"cause,omitempty"`
	Hang   bool   `json:"hang,omitempty"`
}

// script answers tasks by state name, in order; the last reply repeats.
type script map[string][]reply

func (s script) next(state string, calls map[string]int) reply {
	rs := s[state]
	if len(rs) == 0 {
		return reply{Output: map[string]any{"state": state}}
	}
	i := calls[state]
	calls[state]++
	if i >= len(rs) {
		i = len(rs) - 1
	}
	return rs[i]
}

// run drives an execution deterministically: tasks are answered in the order they were
// issued, timers fire in time order when no task is pending, and the clock only moves to
// the next timer.
type run struct {
	p       *Program
	s       *Snapshot
	now     time.Time
	events  []HistoryEvent
	out     Outcome
	tasks   []Command
	timers  map[string]time.Time
	calls   map[string]int
	invokes []InvokeTask
	// roundTrip stores the snapshot as JSON and loads it back before every Resume.
	roundTrip bool
}

func newRun(t *testing.T, p *Program) *run {
	t.Helper()
	return &run{p: p, now: testStart, timers: map[string]time.Time{}, calls: map[string]int{}}
}

func (r *run) absorb(o Outcome) {
	r.out = o
	r.events = append(r.events, o.Events...)
	for _, c := range o.Commands {
		switch c := c.(type) {
		case InvokeTask:
			r.tasks = append(r.tasks, c)
			r.invokes = append(r.invokes, c)
		case ReadItems, WriteResults:
			r.tasks = append(r.tasks, c)
		case StartTimer:
			r.timers[c.ID] = c.FireAt
		case CancelTimer:
			delete(r.timers, c.ID)
		case CancelTask:
			for i, q := range r.tasks {
				if q.CommandID() == c.ID {
					r.tasks = append(r.tasks[:i:i], r.tasks[i+1:]...)
					break
				}
			}
		}
	}
}

func (r *run) start(input any) {
	s, o := r.p.Start(input, testContext(), r.now)
	r.s = s
	r.absorb(o)
}

func (r *run) resume(ev Event) {
	if r.roundTrip {
		data, err := json.Marshal(r.s)
		if err != nil {
			panic(err)
		}
		var s Snapshot
		if err := json.Unmarshal(data, &s); err != nil {
			panic(err)
		}
		r.s = &s
	}
	r.absorb(r.p.Resume(r.s, ev, r.now))
}

// drive runs the execution to its end (or until it waits on nothing but hung tasks).
func (r *run) drive(sc script, items []any) {
	for r.out.Status == StatusRunning {
		if cmd, ok := r.nextTask(sc); ok {
			switch c := cmd.(type) {
			case ReadItems:
				r.resume(TaskSucceeded{ID: c.ID, Output: items})
			case WriteResults:
				r.resume(TaskSucceeded{ID: c.ID, Output: map[string]any{"ResultWriterDetails": map[string]any{"Bucket": "results", "Key": "manifest.json"}, "Written": float64(len(c.Results))}})
			case InvokeTask:
				rep := sc.next(c.StateName, r.calls)
				if rep.Hang {
					continue
				}
				r.resume(TaskStarted{ID: c.ID})
				r.now = r.now.Add(time.Second)
				if rep.Error != "" {
					r.resume(TaskFailed{ID: c.ID, Error: rep.Error, Cause: rep.Cause})
				} else {
					r.resume(TaskSucceeded{ID: c.ID, Output: rep.Output})
				}
			}
			continue
		}
		if len(r.timers) == 0 {
			return
		}
		id := r.earliest()
		if at := r.timers[id]; at.After(r.now) {
			r.now = at
		}
		delete(r.timers, id)
		r.resume(TimerFired{ID: id})
	}
}

// nextTask pops the first task that is not hung.
func (r *run) nextTask(sc script) (Command, bool) {
	for len(r.tasks) > 0 {
		cmd := r.tasks[0]
		r.tasks = r.tasks[1:]
		if c, ok := cmd.(InvokeTask); ok {
			rs := sc[c.StateName]
			i := r.calls[c.StateName]
			if i >= len(rs) {
				i = len(rs) - 1
			}
			if len(rs) > 0 && rs[i].Hang {
				r.calls[c.StateName]++
				r.resume(TaskStarted{ID: c.ID})
				continue
			}
		}
		return cmd, true
	}
	return nil, false
}

func (r *run) earliest() string {
	ids := make([]string, 0, len(r.timers))
	for id := range r.timers {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		a, b := r.timers[ids[i]], r.timers[ids[j]]
		if !a.Equal(b) {
			return a.Before(b)
		}
		return ids[i] < ids[j]
	})
	return ids[0]
}

func mustCompile(t testing.TB, def string) *Program {
	t.Helper()
	p, err := Compile(def)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return p
}

func mustJSON(t testing.TB, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("unmarshal %s: %v", s, err)
	}
	return v
}

// execute compiles and drives a definition and returns the run.
func execute(t *testing.T, def, input string, sc script) *run {
	t.Helper()
	r := newRun(t, mustCompile(t, def))
	r.start(mustJSON(t, input))
	r.drive(sc, nil)
	return r
}

func eventTypes(evs []HistoryEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Type
	}
	return out
}

// funcRunner is a TaskRunner made of a function.
type funcRunner func(ctx context.Context, cmd InvokeTask) (any, error)

func (f funcRunner) RunTask(ctx context.Context, cmd InvokeTask) (any, error) { return f(ctx, cmd) }
