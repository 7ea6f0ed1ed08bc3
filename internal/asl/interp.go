package asl

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
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

// ErrNotRedrivable is returned by Redrive for an execution that is not FAILED, TIMED_OUT or
// ABORTED.
var ErrNotRedrivable = errors.New("execution is not redrivable")

// runner advances one snapshot during one Start, Resume or Redrive call.
type runner struct {
	p        *Program
	s        *Snapshot
	now      time.Time
	events   []HistoryEvent
	commands []Command
	queue    []int
	current  int
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

// Start begins an execution: it records ExecutionStarted and runs every pure step until the
// execution waits on a command or ends.
func (p *Program) Start(input any, ctx Context, now time.Time) (*Snapshot, Outcome) {
	s := &Snapshot{
		Context:    ctx,
		Input:      input,
		Seed:       seedOf(ctx.ExecutionID + "\x00" + ctx.ExecutionName),
		Status:     StatusRunning,
		NextThread: rootThread + 1,
		Threads:    map[int]*Thread{},
		Pending:    map[string]Pending{},
	}
	r := newRunner(p, s, now)
	root := &Thread{ID: rootThread, State: p.root.startAt, Phase: phaseEnter, Status: StatusRunning, Input: input}
	s.Threads[rootThread] = root
	in := compactJSON(input)
	r.emit(root, HistoryEvent{Type: EventExecutionStarted, ExecutionStartedEventDetails: &ExecutionStartedEventDetails{
		Input: in, InputDetails: &DataDetails{}, RoleArn: ctx.RoleArn,
	}})
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

// taskToken derives the opaque token of a .waitForTaskToken command.
func (r *runner) taskToken(cmd string) string {
	var mac [8]byte
	binary.BigEndian.PutUint64(mac[:], splitmix(r.s.Seed^seedOf(cmd)))
	raw := r.s.Context.ExecutionID + "\x00" + cmd + "\x00" + base64.RawURLEncoding.EncodeToString(mac[:])
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
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

func (r *runner) push(id int) { r.queue = append(r.queue, id) }

// drain runs runnable threads until none is left. A thread runs depth-first until it waits.
func (r *runner) drain() {
	for i := 0; i < len(r.queue) && r.s.Status == StatusRunning; i++ {
		t := r.s.Threads[r.queue[i]]
		r.current = r.queue[i]
		for t != nil && t.Status == StatusRunning && t.Phase == phaseEnter && r.s.Status == StatusRunning {
			if r.s.LastEventID >= maxHistoryEvents {
				r.endExecution(StatusFailed, fault.Runtime, fmt.Sprintf("The execution reached the maximum number of history events (%d).", maxHistoryEvents))
				break
			}
			r.enter(t)
		}
		r.current = 0
	}
	r.queue = r.queue[:0]
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
func (r *runner) abort(t *Thread) {
	if t == nil || t.Status != StatusRunning {
		return
	}
	st := r.p.states[t.State]
	if c := t.Container; c != nil && t.Phase == phaseChildren {
		for i := range c.Slots {
			slot := &c.Slots[i]
			if slot.Status != StatusRunning {
				continue
			}
			child := r.s.Threads[slot.Thread]
			r.abort(child)
			slot.Status = StatusAborted
			if st.typ == typeMap {
				r.emit(t, HistoryEvent{Type: EventMapIterAborted, MapIterationAbortedEventDetails: &MapIterationEventDetails{Name: st.name, Index: i}})
			}
		}
		c.Running = 0
	}
	r.release(t)
	switch t.Phase {
	case phaseTask, phaseItems, phaseWrite, phaseRetry, phaseWait, phaseChildren:
		r.emit(t, HistoryEvent{Type: st.typ + "StateAborted"})
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

// enter records the state's entry and runs it.
func (r *runner) enter(t *Thread) {
	st := r.p.states[t.State]
	t.Entered, t.Attempts, t.Retries, t.Container = r.now, nil, 0, nil
	in := compactJSON(t.Input)
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

// --- evaluation helpers -------------------------------------------------------------------

// contextObject builds the $$ context object for thread t.
func (r *runner) contextObject(t *Thread, item *mapItem) map[string]any {
	c := &r.s.Context
	m := map[string]any{
		"Execution": map[string]any{
			"Id": c.ExecutionID, "Input": r.s.Input, "Name": c.ExecutionName, "RoleArn": c.RoleArn,
			"StartTime": c.StartTime.UTC().Format(contextTimeLayout), "RedriveCount": float64(c.RedriveCount),
		},
		"State": map[string]any{
			"EnteredTime": t.Entered.UTC().Format(contextTimeLayout), "Name": t.State, "RetryCount": float64(t.Retries),
		},
		"StateMachine": map[string]any{"Id": c.StateMachineID, "Name": c.StateMachineName},
	}
	if t.Token != "" {
		m["Task"] = map[string]any{"Token": t.Token}
	}
	if item != nil {
		m["Map"] = map[string]any{"Item": map[string]any{"Index": float64(item.index), "Value": item.value}}
	}
	return m
}

type mapItem struct {
	index int
	value any
}

// vars returns the variable lookup of thread t: its own scope, then its ancestors'.
func (r *runner) vars(t *Thread) func(string) (any, bool) {
	return func(name string) (any, bool) {
		for x := t; x != nil; x = r.s.Threads[x.Parent] {
			if v, ok := x.Vars[name]; ok {
				return v, true
			}
			if x.Parent == 0 || x.Isolated {
				break
			}
		}
		return nil, false
	}
}

// env builds the evaluation environment of thread t over input. For JSONata states the
// $states object holds the state's raw input plus extra members (result, errorOutput).
func (r *runner) env(t *Thread, st *state, input any, item *mapItem, extra map[string]any) *evalEnv {
	e := &evalEnv{input: input, vars: r.vars(t), rand: r.rand}
	if st.lang == langJSONata {
		ctx := r.contextObject(t, item)
		e.context = func() any { return ctx }
		e.states = map[string]any{"input": t.Input, "context": ctx}
		for k, v := range extra {
			e.states[k] = v
		}
		return e
	}
	e.context = func() any { return r.contextObject(t, item) }
	return e
}

func evalErr(err error) *fault.Error { return fault.As(err) }

// inputPath applies InputPath (JSONPath) to the state's raw input.
func (r *runner) inputPath(t *Thread, st *state) (any, *fault.Error) {
	ip := st.inputPath
	switch {
	case st.lang == langJSONata || !ip.set:
		return t.Input, nil
	case ip.null:
		return map[string]any{}, nil
	}
	v, err := getPath(ip.path, r.env(t, st, t.Input, nil, nil))
	if err != nil {
		return nil, fault.New(fault.Runtime, "Invalid path '%s' : No results for path: %s", ip.path.String(), bracketPath(ip.path.String()))
	}
	return v, nil
}

// effectiveInput applies Parameters (JSONPath) or Arguments (JSONata) to in.
func (r *runner) effectiveInput(t *Thread, st *state, in any) (any, *fault.Error) {
	tmpl := st.parameters
	if st.lang == langJSONata {
		tmpl = st.arguments
	}
	if tmpl == nil {
		return in, nil
	}
	v, err := tmpl.eval(r.env(t, st, in, nil, nil))
	if err != nil {
		return nil, evalErr(err)
	}
	return v, nil
}

// number evaluates a numberField; ok is false when the field is absent.
func (r *runner) number(t *Thread, st *state, f numberField, in any, name string) (int, *fault.Error) {
	switch {
	case !f.set:
		return 0, nil
	case f.path != nil:
		v, err := getPath(f.path, r.env(t, st, in, nil, nil))
		n, ok := v.(float64)
		if err != nil || !ok || n < 0 || n != float64(int(n)) {
			return 0, fault.New(fault.Runtime, "Invalid path '%s': The %sPath parameter does not reference a valid non-negative integer value.", f.path.String(), name)
		}
		return int(n), nil
	case f.expr != nil:
		v, err := f.expr.eval(r.env(t, st, in, nil, nil))
		if err != nil {
			return 0, evalErr(err)
		}
		n, ok := v.(float64)
		if !ok || n < 0 || n != float64(int(n)) {
			return 0, fault.New(fault.QueryEvaluationError, "The %s field evaluated to %s, which is not a non-negative integer.", name, compactJSON(v))
		}
		return int(n), nil
	}
	return int(f.literal), nil
}

// --- state exit -------------------------------------------------------------------------

// exitOpts describes how a state turns its result into its output.
type exitOpts struct {
	noResultPath bool   // Wait, Choice, Succeed: output is the effective input
	selector     bool   // apply ResultSelector (Task, Map, Parallel)
	output       *expr  // overrides st.output (a JSONata Choice rule)
	assign       *expr  // overrides st.assign (a Choice rule)
	next         string // overrides st.next (Choice)
	end          bool
	override     bool // output/assign/next overrides are in effect
}

// finish applies the output pipeline to a state's result, records the exit and transitions.
func (r *runner) finish(t *Thread, st *state, result any, o exitOpts) {
	outExpr, assignExpr, next, end := st.output, st.assign, st.next, st.end
	if o.override {
		outExpr, assignExpr, next = o.output, o.assign, o.next
	}
	if o.end {
		end = true
	}
	var output any
	var assigned map[string]any
	if st.lang == langJSONata {
		extra := map[string]any{}
		if !o.noResultPath {
			extra["result"] = result
		}
		env := r.env(t, st, result, nil, extra)
		output = result
		if outExpr != nil {
			v, err := outExpr.eval(env)
			if err != nil {
				r.fail(t, st, evalErr(err))
				return
			}
			output = v
		}
		if assignExpr != nil {
			v, err := assignExpr.eval(env)
			if err != nil {
				r.fail(t, st, evalErr(err))
				return
			}
			assigned, _ = v.(map[string]any)
		}
	} else {
		res := result
		if o.selector && st.resultSelector != nil {
			v, err := st.resultSelector.eval(r.env(t, st, result, nil, nil))
			if err != nil {
				r.fail(t, st, evalErr(err))
				return
			}
			res = v
		}
		if assignExpr != nil {
			v, err := assignExpr.eval(r.env(t, st, res, nil, nil))
			if err != nil {
				r.fail(t, st, evalErr(err))
				return
			}
			assigned, _ = v.(map[string]any)
		}
		output = res
		if !o.noResultPath {
			var ferr *fault.Error
			output, ferr = applyResultPath(st.resultPath, t.Input, res)
			if ferr != nil {
				r.fail(t, st, ferr)
				return
			}
		}
		var ferr *fault.Error
		output, ferr = r.outputPath(t, st, output)
		if ferr != nil {
			r.fail(t, st, ferr)
			return
		}
	}
	r.exit(t, st, output, assigned, next, end)
}

func applyResultPath(rp optPath, input, result any) (any, *fault.Error) {
	switch {
	case !rp.set:
		return result, nil
	case rp.null:
		return input, nil
	}
	v, err := setPath(input, rp.path, result)
	if err != nil {
		return nil, fault.New(fault.ResultPathMatchFailure, "Unable to apply ResultPath \"%s\" to input \"%s\"", rp.path.String(), compactJSON(input))
	}
	return v, nil
}

func (r *runner) outputPath(t *Thread, st *state, output any) (any, *fault.Error) {
	op := st.outputPath
	switch {
	case !op.set:
		return output, nil
	case op.null:
		return map[string]any{}, nil
	}
	v, err := getPath(op.path, r.env(t, st, output, nil, nil))
	if err != nil {
		return nil, fault.New(fault.Runtime, "Invalid path '%s' : No results for path: %s", op.path.String(), bracketPath(op.path.String()))
	}
	return v, nil
}

// exit records the state's exit, applies its assignments and moves the thread on.
func (r *runner) exit(t *Thread, st *state, output any, assigned map[string]any, next string, end bool) {
	out := compactJSON(output)
	if len(out) > maxPayloadBytes {
		r.fail(t, st, fault.New(fault.DataLimitExceeded, "The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", st.name))
		return
	}
	r.dropContainer(t)
	d := &StateExitedEventDetails{Name: st.name, Output: out, OutputDetails: &DataDetails{}}
	if len(assigned) > 0 {
		if t.Vars == nil {
			t.Vars = make(map[string]any, len(assigned))
		}
		d.AssignedVariables = make(map[string]string, len(assigned))
		for k, v := range assigned {
			t.Vars[k] = v
			d.AssignedVariables[k] = compactJSON(v)
		}
		d.AssignedVariablesDetails = &DataDetails{}
	}
	r.emit(t, HistoryEvent{Type: st.typ + "StateExited", StateExitedEventDetails: d})
	r.transition(t, next, end, output)
}

func (r *runner) transition(t *Thread, next string, end bool, output any) {
	if end {
		r.threadSucceeded(t, output)
		return
	}
	t.State, t.Input, t.Phase = next, output, phaseEnter
	if r.current != t.ID {
		r.push(t.ID)
	}
}

// --- errors -----------------------------------------------------------------------------

// fail handles an error raised by state st: Retry, then Catch, then the thread fails.
func (r *runner) fail(t *Thread, st *state, e *fault.Error) {
	e = r.runtimeError(t, st, e)
	if e.Name == fault.QueryEvaluationError {
		r.emit(t, HistoryEvent{Type: EventEvaluationFailed, EvaluationFailedEventDetails: &EvaluationFailedEventDetails{
			Error: e.Name, Cause: e.Cause, State: st.name,
		}})
	}
	for i := range st.retry {
		rt := &st.retry[i]
		if !errorMatches(rt.errorEquals, e.Name) {
			continue
		}
		if len(t.Attempts) != len(st.retry) {
			t.Attempts = make([]int, len(st.retry))
		}
		if t.Attempts[i] >= rt.maxAttempts {
			break
		}
		d := rt.delay(t.Attempts[i], r.rand())
		t.Attempts[i]++
		t.Retries++
		r.dropContainer(t)
		t.Phase = phaseRetry
		r.startTimer(t, TimerRetry, r.now.Add(d))
		return
	}
	for i := range st.catch {
		k := &st.catch[i]
		if errorMatches(k.errorEquals, e.Name) {
			r.caught(t, st, k, e)
			return
		}
	}
	r.threadFailed(t, e)
}

// caught moves a thread to a catcher's Next with the error output.
func (r *runner) caught(t *Thread, st *state, k *catcher, e *fault.Error) {
	r.dropContainer(t)
	errOut := errorOutput(e)
	var output any
	var assigned map[string]any
	if st.lang == langJSONata {
		env := r.env(t, st, errOut, nil, map[string]any{"errorOutput": errOut})
		output = errOut
		if k.output != nil {
			v, err := k.output.eval(env)
			if err != nil {
				r.threadFailed(t, evalErr(err))
				return
			}
			output = v
		}
		if k.assign != nil {
			v, err := k.assign.eval(env)
			if err != nil {
				r.threadFailed(t, evalErr(err))
				return
			}
			assigned, _ = v.(map[string]any)
		}
	} else {
		if k.assign != nil {
			v, err := k.assign.eval(r.env(t, st, errOut, nil, nil))
			if err != nil {
				r.threadFailed(t, evalErr(err))
				return
			}
			assigned, _ = v.(map[string]any)
		}
		var ferr *fault.Error
		output, ferr = applyResultPath(k.resultPath, t.Input, errOut)
		if ferr != nil {
			r.threadFailed(t, ferr)
			return
		}
	}
	r.exit(t, st, output, assigned, k.next, false)
}

// runtimeError prefixes the cause of an evaluation error as Step Functions does.
func (r *runner) runtimeError(t *Thread, st *state, e *fault.Error) *fault.Error {
	if (e.Name != fault.Runtime && e.Name != fault.QueryEvaluationError) || strings.HasPrefix(e.Cause, runtimeCausePrefix) {
		return e
	}
	return &fault.Error{Name: e.Name, Cause: fmt.Sprintf("%s '%s' (entered at the event id #%d). %s", runtimeCausePrefix, st.name, t.EnteredEvent, e.Cause)}
}

// bracketPath renders a simple dotted path in the bracket notation Step Functions uses in
// causes: "$.a.b[0]" becomes "$['a']['b'][0]". Other paths are returned unchanged.
func bracketPath(p string) string {
	if !strings.HasPrefix(p, "$") {
		return p
	}
	var b strings.Builder
	b.WriteString("$")
	for i := 1; i < len(p); {
		switch p[i] {
		case '.':
			j := i + 1
			for j < len(p) && p[j] != '.' && p[j] != '[' {
				j++
			}
			if j == i+1 {
				return p
			}
			b.WriteString("['" + p[i+1:j] + "']")
			i = j
		case '[':
			j := strings.IndexByte(p[i:], ']')
			if j < 0 {
				return p
			}
			b.WriteString(p[i : i+j+1])
			i += j + 1
		default:
			return p
		}
	}
	return b.String()
}

// errorOutput is the JSON a Catch passes on: {"Error": ..., "Cause": ...}, without an
// empty Cause.
func errorOutput(e *fault.Error) map[string]any {
	out := map[string]any{"Error": e.Name}
	if e.Cause != "" {
		out["Cause"] = e.Cause
	}
	return out
}

// dropContainer forgets a container's children (before a retry or a catch).
func (r *runner) dropContainer(t *Thread) {
	if t.Container == nil {
		return
	}
	for _, slot := range t.Container.Slots {
		if child := r.s.Threads[slot.Thread]; child != nil && slot.Thread != 0 {
			r.abort(child)
			r.dropContainer(child)
			delete(r.s.Threads, slot.Thread)
		}
	}
	t.Container = nil
}

// --- simple states ----------------------------------------------------------------------

func (r *runner) pass(t *Thread, st *state) {
	in, err := r.inputPath(t, st)
	if err != nil {
		r.fail(t, st, err)
		return
	}
	if st.lang == langJSONata {
		r.finish(t, st, t.Input, exitOpts{noResultPath: true})
		return
	}
	eff, err := r.effectiveInput(t, st, in)
	if err != nil {
		r.fail(t, st, err)
		return
	}
	if st.hasResult {
		eff = st.result
	}
	r.finish(t, st, eff, exitOpts{})
}

func (r *runner) choose(t *Thread, st *state) {
	in, ferr := r.inputPath(t, st)
	if ferr != nil {
		r.fail(t, st, ferr)
		return
	}
	env := r.env(t, st, in, nil, nil)
	for _, rule := range st.choices {
		ok, err := rule.match(env)
		if err != nil {
			r.fail(t, st, evalErr(err))
			return
		}
		if ok {
			out := rule.output
			if out == nil {
				out = st.output
			}
			r.finish(t, st, in, exitOpts{noResultPath: true, override: true, output: out, assign: rule.assign, next: rule.next})
			return
		}
	}
	if st.dflt == "" {
		r.fail(t, st, &fault.Error{Name: fault.NoChoiceMatched, Cause: noMatchesCause})
		return
	}
	r.finish(t, st, in, exitOpts{noResultPath: true, override: true, output: st.output, assign: st.assign, next: st.dflt})
}

func (r *runner) wait(t *Thread, st *state) {
	in, ferr := r.inputPath(t, st)
	if ferr != nil {
		r.fail(t, st, ferr)
		return
	}
	var fire time.Time
	if ts := st.waitTimestamp; ts != nil {
		var s string
		switch {
		case ts.path != nil:
			v, err := getPath(ts.path, r.env(t, st, in, nil, nil))
			s, _ = v.(string)
			if err != nil || s == "" {
				r.fail(t, st, fault.New(fault.Runtime, "Invalid path '%s': The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string.", ts.path.String()))
				return
			}
		case ts.expr != nil:
			v, err := ts.expr.eval(r.env(t, st, in, nil, nil))
			if err != nil {
				r.fail(t, st, evalErr(err))
				return
			}
			s, _ = v.(string)
		default:
			s = ts.literal
		}
		at, ok := parseTimestamp(s)
		if !ok {
			name := fault.Runtime
			if st.lang == langJSONata {
				name = fault.QueryEvaluationError
			}
			r.fail(t, st, fault.New(name, "The Timestamp value %q is not a valid ISO-8601 extended offset date-time.", s))
			return
		}
		fire = at
	} else {
		secs, err := r.number(t, st, st.waitSeconds, in, "Seconds")
		if err != nil {
			r.fail(t, st, err)
			return
		}
		fire = r.now.Add(time.Duration(secs) * time.Second)
	}
	if !fire.After(r.now) {
		r.finish(t, st, in, exitOpts{noResultPath: true})
		return
	}
	t.Effective, t.Phase = in, phaseWait
	r.startTimer(t, TimerWait, fire)
}

func (r *runner) failState(t *Thread, st *state) {
	e := &fault.Error{}
	for _, f := range []struct {
		field stringField
		dst   *string
	}{{st.errorField, &e.Name}, {st.causeField, &e.Cause}} {
		switch {
		case f.field.path != nil:
			v, err := getPath(f.field.path, r.env(t, st, t.Input, nil, nil))
			s, ok := v.(string)
			if err != nil || !ok {
				r.threadFailed(t, r.runtimeError(t, st, fault.New(fault.Runtime, "Invalid path '%s': The path does not reference a string value.", f.field.path.String())))
				return
			}
			*f.dst = s
		case f.field.expr != nil:
			v, err := f.field.expr.eval(r.env(t, st, t.Input, nil, nil))
			if err != nil {
				r.threadFailed(t, evalErr(err))
				return
			}
			s, ok := v.(string)
			if !ok {
				r.threadFailed(t, fault.New(fault.QueryEvaluationError, "The Fail state field evaluated to a non-string value: %s", compactJSON(v)))
				return
			}
			*f.dst = s
		default:
			*f.dst = f.field.literal
		}
	}
	r.threadFailed(t, e)
}
