package asl

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ceap/ceap/internal/asl/fault"
)

// ErrNotRedrivable is returned by Redrive for an execution that is not FAILED, TIMED_OUT or
// ABORTED.
var ErrNotRedrivable = errors.New("execution is not redrivable")

// Start begins an execution: it records ExecutionStarted and runs every pure step until the
// execution waits on a command or ends.
func (p *Program) Start(input any, ctx Context, now time.Time) (*Snapshot, Outcome) {
	s := &Snapshot{
		Context:    ctx,
		Input:      input,
		Seed:       ctx.Seed,
		Status:     StatusRunning,
		NextThread: rootThread + 1,
		Threads:    map[int]*Thread{},
		Pending:    map[string]Pending{},
	}
	if s.Seed == 0 {
		s.Seed = seedOf(ctx.ExecutionID + "\x00" + ctx.ExecutionName)
	}
	r := newRunner(p, s, now)
	root := &Thread{ID: rootThread, State: p.root.startAt, Phase: phaseEnter, Status: StatusRunning, Input: input}
	s.Threads[rootThread] = root
	in := compactJSON(input)
	r.emit(root, HistoryEvent{Type: EventExecutionStarted, ExecutionStartedEventDetails: &ExecutionStartedEventDetails{
		Input: in, InputDetails: &DataDetails{}, RoleArn: ctx.RoleArn,
	}})
	root.LastEvent = 0 // the first state's entry follows no event, as in Step Functions
	if len(in) > maxPayloadBytes {
		root.Status = StatusFailed
		r.endExecution(StatusFailed, fault.DataLimitExceeded, "The execution input exceeds the maximum number of bytes service limit.")
		return s, r.outcome()
	}
	r.startExecutionTimer()
	r.push(rootThread)
	r.drain()
	return s, r.outcome()
}

// Resume feeds one event to a running execution and runs every pure step that follows until
// the execution waits on the outside world again or ends. Events for unknown or finished
// commands are ignored. A nil event only runs pending steps.
func (p *Program) Resume(s *Snapshot, ev Event, now time.Time) Outcome {
	r := newRunner(p, s, now)
	if s.Status != StatusRunning {
		return r.outcome()
	}
	switch e := ev.(type) {
	case Stop:
		r.endExecution(StatusAborted, e.Error, e.Cause)
	case TaskStarted:
		if t, st := r.pendingThread(e.ID, pendingTask, false); t != nil {
			r.taskStarted(t, st, e.WorkerName)
		}
	case TaskSubmitted:
		if t, st := r.pendingThread(e.ID, pendingTask, false); t != nil {
			r.taskSubmitted(t, st, e.Output)
		}
	case TaskSucceeded:
		if t, st := r.pendingThread(e.ID, pendingTask, true); t != nil {
			r.taskSucceeded(t, st, e.Output)
		} else if t, st := r.pendingThread(e.ID, pendingReadItems, true); t != nil {
			r.itemsRead(t, st, e.Output)
		} else if t, st := r.pendingThread(e.ID, pendingWrite, true); t != nil {
			r.finish(t, st, e.Output, exitOpts{selector: true})
		}
	case TaskFailed:
		if t, st := r.pendingThread(e.ID, pendingTask, true); t != nil {
			r.taskFailed(t, st, &fault.Error{Name: e.Error, Cause: e.Cause})
		} else if t, st := r.pendingThread(e.ID, pendingReadItems, true); t != nil {
			r.fail(t, st, &fault.Error{Name: fault.ItemReaderFailed, Cause: e.Cause})
		} else if t, st := r.pendingThread(e.ID, pendingWrite, true); t != nil {
			r.fail(t, st, &fault.Error{Name: fault.ResultWriterFailed, Cause: e.Cause})
		}
	case TaskHeartbeat:
		if t, st := r.pendingThread(e.ID, pendingTask, false); t != nil {
			r.heartbeat(t, st)
		}
	case TimerFired:
		r.timerFired(e.ID)
	}
	r.drain()
	return r.outcome()
}

// Redrive restarts a FAILED, TIMED_OUT or ABORTED execution from the state(s) that did not
// succeed: the failed state is entered again, and for Map and Parallel states only the
// branches and iterations that did not succeed run again.
func (p *Program) Redrive(s *Snapshot, now time.Time) (Outcome, error) {
	switch s.Status {
	case StatusFailed, StatusTimedOut, StatusAborted:
	default:
		return Outcome{Snapshot: s, Status: s.Status}, fmt.Errorf("redrive in status %s: %w", s.Status, ErrNotRedrivable)
	}
	root := s.Threads[rootThread]
	if root == nil {
		return Outcome{Snapshot: s, Status: s.Status}, fmt.Errorf("redrive without a top-level thread: %w", ErrNotRedrivable)
	}
	r := newRunner(p, s, now)
	s.Context.RedriveCount++
	s.Status, s.Error, s.Cause = StatusRunning, "", ""
	r.emit(root, HistoryEvent{Type: EventExecutionRedriven, ExecutionRedrivenEventDetails: &ExecutionRedrivenEventDetails{RedriveCount: s.Context.RedriveCount}})
	r.startExecutionTimer()
	r.redriveThread(root)
	r.drain()
	return r.outcome(), nil
}

func (r *runner) redriveThread(t *Thread) {
	t.Status, t.Error, t.Cause, t.Output = StatusRunning, "", "", nil
	t.LastEvent = r.s.LastEventID
	st := r.p.states[t.State]
	c := t.Container
	if c != nil && len(c.Slots) > 0 && (st.typ == typeMap || st.typ == typeParallel) {
		t.Phase = phaseChildren
		c.Failures, c.Running = 0, 0
		for i := range c.Slots {
			slot := &c.Slots[i]
			if slot.Status == StatusSucceeded || slot.Status == "" {
				continue
			}
			child := r.s.Threads[slot.Thread]
			if child == nil {
				continue
			}
			slot.Status, slot.Output = StatusRunning, nil
			c.Running++
			r.redriveThread(child)
		}
		if st.typ == typeMap {
			r.launchMore(t, st)
		}
		return
	}
	t.Phase, t.Container = phaseEnter, nil
	r.push(t.ID)
}

func (r *runner) startExecutionTimer() {
	if r.p.timeoutSeconds > 0 {
		id := r.newID()
		r.s.Pending[id] = Pending{Kind: TimerExecutionTimeout}
		r.commands = append(r.commands, StartTimer{ID: id, FireAt: r.now.Add(time.Duration(r.p.timeoutSeconds) * time.Second), Reason: TimerExecutionTimeout})
	}
}

// pendingThread resolves a command ID to the thread waiting on it.
func (r *runner) pendingThread(id, kind string, consume bool) (*Thread, *state) {
	pd, ok := r.s.Pending[id]
	if !ok || pd.Kind != kind {
		return nil, nil
	}
	t := r.s.Threads[pd.Thread]
	if t == nil || t.Status != StatusRunning || t.Command != id {
		return nil, nil
	}
	if consume {
		delete(r.s.Pending, id)
		t.Command = ""
	}
	return t, r.p.states[t.State]
}

// taskToken derives the opaque token of a .waitForTaskToken command.
func (r *runner) taskToken(cmd string) string {
	var mac [8]byte
	binary.BigEndian.PutUint64(mac[:], splitmix(r.s.Seed^seedOf(cmd)))
	raw := r.s.Context.ExecutionID + "\x00" + cmd + "\x00" + base64.RawURLEncoding.EncodeToString(mac[:])
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// VerifyTaskToken reports whether token was issued by this execution for a task that is
// still waiting, and returns its command ID for TaskSucceeded, TaskFailed or TaskHeartbeat.
func (s *Snapshot) VerifyTaskToken(token string) (string, bool) {
	exec, cmd, ok := ParseTaskToken(token)
	if !ok || exec != s.Context.ExecutionID {
		return "", false
	}
	r := &runner{s: s}
	if r.taskToken(cmd) != token {
		return "", false
	}
	pd, ok := s.Pending[cmd]
	if !ok || pd.Kind != pendingTask {
		return "", false
	}
	return cmd, true
}

// ParseTaskToken returns the execution and command a task token was issued for.
func ParseTaskToken(token string) (executionID, commandID string, ok bool) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return "", "", false
	}
	parts := strings.Split(string(raw), "\x00")
	if len(parts) != 3 || parts[1] == "" {
		return "", "", false
	}
	return parts[0], parts[1], true
}

func (r *runner) timerFired(id string) {
	pd, ok := r.s.Pending[id]
	if !ok {
		return
	}
	delete(r.s.Pending, id)
	if pd.Kind == TimerExecutionTimeout {
		r.endExecution(StatusTimedOut, fault.Timeout, "The execution timed out.")
		return
	}
	t := r.s.Threads[pd.Thread]
	if t == nil || t.Status != StatusRunning {
		return
	}
	for i, tid := range t.Timers {
		if tid == id {
			t.Timers = append(t.Timers[:i:i], t.Timers[i+1:]...)
			break
		}
	}
	st := r.p.states[t.State]
	switch pd.Kind {
	case TimerWait:
		r.finish(t, st, t.Effective, exitOpts{noResultPath: true})
	case TimerRetry:
		r.act(t, st)
	case TimerTaskTimeout, TimerHeartbeatTimeout:
		name := fault.Timeout
		if pd.Kind == TimerHeartbeatTimeout {
			name = fault.HeartbeatTimeout
		}
		r.ensureStarted(t, st, "")
		r.emit(t, r.taskEvent(st, "TimedOut", name, "", ""))
		r.release(t)
		r.fail(t, st, &fault.Error{Name: name})
	}
}

// endExecution ends the execution with a non-success status.
func (r *runner) endExecution(status, errName, cause string) {
	root := r.s.Threads[rootThread]
	r.abort(root) // a no-op when the top level itself failed
	for id, pd := range r.s.Pending {
		if pd.Kind == TimerExecutionTimeout {
			delete(r.s.Pending, id)
			r.commands = append(r.commands, CancelTimer{ID: id})
		}
	}
	r.s.Status, r.s.Error, r.s.Cause = status, errName, cause
	d := &ErrorDetails{Error: errName, Cause: cause}
	e := HistoryEvent{}
	switch status {
	case StatusFailed:
		e.Type, e.ExecutionFailedEventDetails = EventExecutionFailed, d
	case StatusTimedOut:
		e.Type, e.ExecutionTimedOutEventDetails = EventExecutionTimedOut, d
	default:
		e.Type, e.ExecutionAbortedEventDetails = EventExecutionAborted, d
	}
	r.emit(root, e)
}

func (r *runner) executionSucceeded(root *Thread, output any) {
	for id, pd := range r.s.Pending {
		if pd.Kind == TimerExecutionTimeout {
			delete(r.s.Pending, id)
			r.commands = append(r.commands, CancelTimer{ID: id})
		}
	}
	r.s.Status, r.s.Output = StatusSucceeded, output
	r.emit(root, HistoryEvent{Type: EventExecutionSucceeded, ExecutionSucceededEventDetails: &OutputDetails{
		Output: compactJSON(output), OutputDetails: &DataDetails{},
	}})
}

// abort stops a running thread and everything below it, cancelling its commands.
func (r *runner) abort(t *Thread) { r.abortAfter(t, -1) }

// abortAfter is abort with the aborted events following event prev (-1: each thread's own
// latest event). A Map or Parallel state that fails chains the aborts of its other children
// to its own latest event, as Step Functions records them.
func (r *runner) abortAfter(t *Thread, prev int64) {
	if t == nil || t.Status != StatusRunning {
		return
	}
	after := prev
	if after < 0 {
		after = t.LastEvent
	}
	st := r.p.states[t.State]
	if c := t.Container; c != nil && t.Phase == phaseChildren {
		for i := range c.Slots {
			slot := &c.Slots[i]
			if slot.Status != StatusRunning {
				continue
			}
			r.abortAfter(r.s.Threads[slot.Thread], prev)
			slot.Status = StatusAborted
			if st.typ == typeMap {
				r.emitAfter(after, HistoryEvent{Type: EventMapIterAborted, MapIterationAbortedEventDetails: &MapIterationEventDetails{Name: st.name, Index: i}})
			}
		}
		c.Running = 0
	}
	r.release(t)
	switch t.Phase {
	case phaseTask, phaseItems, phaseWrite, phaseRetry, phaseWait, phaseChildren:
		t.LastEvent = r.emitAfter(after, HistoryEvent{Type: st.typ + "StateAborted"})
	}
	t.Status = StatusAborted
}

// threadSucceeded ends a thread with its output.
func (r *runner) threadSucceeded(t *Thread, output any) {
	t.Status, t.Phase, t.Output = StatusSucceeded, phaseDone, output
	if t.Parent == 0 {
		r.executionSucceeded(t, output)
		return
	}
	r.childDone(t)
}

// threadFailed ends a thread with an error that no Retry or Catch handled.
func (r *runner) threadFailed(t *Thread, e *fault.Error) {
	r.release(t)
	t.Status, t.Error, t.Cause = StatusFailed, e.Name, e.Cause
	if t.Parent == 0 {
		r.endExecution(StatusFailed, e.Name, e.Cause)
		return
	}
	r.childDone(t)
}
