package asl

import (
	"fmt"
	"hash/fnv"
	"time"

	"github.com/ceap/ceap/internal/asl/fault"
)

const (
	// maxPayloadBytes is the Step Functions quota on state input, output and task results:
	// 256 KiB of UTF-8 encoded JSON.
	maxPayloadBytes = 256 * 1024
	// maxHistoryEvents is the Step Functions quota on an execution's history: 25,000 events.
	// It also ends state machines that loop through pure states forever.
	maxHistoryEvents = 25000
	// contextTimeLayout is how the context object renders times: "2019-03-26T20:14:13.192Z".
	contextTimeLayout = "2006-01-02T15:04:05.000Z"
	rootThread        = 1
	pendingTask       = "task"
	pendingReadItems  = "read-items"
	pendingWrite      = "write-results"
	noMatchesCause    = "No Matches!"
	// runtimeCausePrefix starts the cause of States.Runtime and States.QueryEvaluationError.
	runtimeCausePrefix = "An error occurred while executing the state"
)

// runner advances one snapshot during one Start, Resume or Redrive call.
type runner struct {
	p        *Program
	s        *Snapshot
	now      time.Time
	events   []HistoryEvent
	commands []Command
	queue    []int
	current  int
	// launching marks the Map states whose launchMore loop is running.
	launching map[int]bool
}

func newRunner(p *Program, s *Snapshot, now time.Time) *runner {
	return &runner{p: p, s: s, now: now, events: make([]HistoryEvent, 0, 16)}
}

func (r *runner) outcome() Outcome {
	o := Outcome{Snapshot: r.s, Events: r.events, Commands: r.commands, Status: r.s.Status}
	switch r.s.Status {
	case StatusSucceeded:
		o.Output = r.s.Output
	case StatusFailed, StatusTimedOut, StatusAborted:
		o.Error, o.Cause = r.s.Error, r.s.Cause
	}
	return o
}

func (r *runner) newID() string {
	r.s.NextCommand++
	return fmt.Sprintf("c%d", r.s.NextCommand)
}

// rand returns the next deterministic uniform number in [0,1) of the execution.
func (r *runner) rand() float64 {
	r.s.RandCount++
	return float64(splitmix(r.s.Seed+r.s.RandCount)>>11) / (1 << 53)
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func seedOf(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

func (r *runner) push(id int) { r.queue = append(r.queue, id) }

// drain runs runnable threads until none is left. A thread runs depth-first until it waits.
func (r *runner) drain() {
	for i := 0; i < len(r.queue) && r.s.Status == StatusRunning; i++ {
		if t := r.s.Threads[r.queue[i]]; t != nil {
			r.runThread(t)
		}
	}
	r.queue = r.queue[:0]
}

// emitAfter appends an event that follows event prev without becoming its thread's latest
// event (MapIterationStarted, MapIterationSucceeded, MapStateSucceeded, ...).
func (r *runner) emitAfter(prev int64, e HistoryEvent) int64 {
	r.s.LastEventID++
	e.ID = r.s.LastEventID
	e.PreviousEventID = prev
	e.Timestamp = r.now
	r.events = append(r.events, e)
	return e.ID
}

// emit appends a history event of thread t.
func (r *runner) emit(t *Thread, e HistoryEvent) int64 {
	r.s.LastEventID++
	e.ID = r.s.LastEventID
	e.PreviousEventID = t.LastEvent
	e.Timestamp = r.now
	t.LastEvent = e.ID
	r.events = append(r.events, e)
	return e.ID
}

func (r *runner) startTimer(t *Thread, reason string, at time.Time) {
	id := r.newID()
	r.s.Pending[id] = Pending{Thread: t.ID, Kind: reason}
	t.Timers = append(t.Timers, id)
	r.commands = append(r.commands, StartTimer{ID: id, FireAt: at, Reason: reason})
}

// release cancels every outstanding command and timer of a thread.
func (r *runner) release(t *Thread) {
	if t.Command != "" {
		if r.s.Pending[t.Command].Kind == pendingTask {
			r.commands = append(r.commands, CancelTask{ID: t.Command})
		}
		delete(r.s.Pending, t.Command)
		t.Command = ""
	}
	r.cancelTimers(t)
}

func (r *runner) cancelTimers(t *Thread) {
	for _, id := range t.Timers {
		delete(r.s.Pending, id)
		r.commands = append(r.commands, CancelTimer{ID: id})
	}
	t.Timers = nil
}

// enter records the state's entry and runs it.
func (r *runner) enter(t *Thread) {
	st := r.p.states[t.State]
	t.Entered, t.Attempts, t.Retries, t.Container = r.now, nil, 0, nil
	in := t.inputJSON
	if in == "" {
		in = compactJSON(t.Input)
	}
	t.inputJSON = ""
	t.EnteredEvent = r.emit(t, HistoryEvent{Type: st.typ + "StateEntered", StateEnteredEventDetails: &StateEnteredEventDetails{
		Name: st.name, Input: in, InputDetails: &DataDetails{},
	}})
	if len(in) > maxPayloadBytes {
		r.fail(t, st, fault.New(fault.DataLimitExceeded, "The state/task '%s' input exceeds the maximum number of bytes service limit.", st.name))
		return
	}
	r.act(t, st)
}

// act performs the state's work: on entry and again on each retry.
func (r *runner) act(t *Thread, st *state) {
	t.Phase = phaseEnter
	switch st.typ {
	case typePass:
		r.pass(t, st)
	case typeTask:
		r.task(t, st)
	case typeChoice:
		r.choose(t, st)
	case typeWait:
		r.wait(t, st)
	case typeSucceed:
		in, err := r.inputPath(t, st)
		if err != nil {
			r.fail(t, st, err)
			return
		}
		r.finish(t, st, in, exitOpts{noResultPath: true, end: true})
	case typeFail:
		r.failState(t, st)
	case typeParallel:
		r.parallel(t, st)
	case typeMap:
		r.mapStart(t, st)
	}
}
