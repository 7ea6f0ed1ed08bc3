package asl

import (
	"fmt"

	"github.com/ceap/ceap/internal/asl/fault"
)

// Concurrency limits of the Map state.
const (
	// maxInlineConcurrency is the Step Functions limit on concurrent iterations of an inline
	// Map state: 40, whatever MaxConcurrency says.
	maxInlineConcurrency = 40
	// maxDistributedConcurrency is the Step Functions limit on concurrent child workflow
	// executions of a distributed Map state: 10,000.
	maxDistributedConcurrency = 10000
)

// parallel starts one child thread per branch.
func (r *runner) parallel(t *Thread, st *state) {
	in, ferr := r.inputPath(t, st)
	if ferr != nil {
		r.fail(t, st, ferr)
		return
	}
	eff, ferr := r.effectiveInput(t, st, in)
	if ferr != nil {
		r.fail(t, st, ferr)
		return
	}
	r.emit(t, HistoryEvent{Type: EventParallelStarted})
	c := &Container{Input: eff, Slots: make([]Slot, len(st.branches)), TolCount: -1, TolPercent: -1}
	t.Container, t.Phase = c, phaseChildren
	for i, b := range st.branches {
		r.push(r.launch(t, i, b.startAt, eff, t.LastEvent).ID)
	}
}

// launch creates child thread i of container thread t; its first event follows event after.
func (r *runner) launch(t *Thread, i int, startAt string, input any, after int64) *Thread {
	id := r.s.NextThread
	r.s.NextThread++
	child := &Thread{ID: id, Parent: t.ID, Index: i, State: startAt, Phase: phaseEnter, Status: StatusRunning, Input: input, LastEvent: after}
	// The child workflows of a distributed Map cannot read the variables of outer scopes.
	child.Isolated = r.p.states[t.State].distributed
	r.s.Threads[id] = child
	c := t.Container
	c.Slots[i] = Slot{Thread: id, Status: StatusRunning}
	c.Running++
	if i >= c.Launched {
		c.Launched = i + 1
	}
	return child
}

// mapStart selects a Map state's items, or asks the driver to read them.
func (r *runner) mapStart(t *Thread, st *state) {
	in, ferr := r.inputPath(t, st)
	if ferr != nil {
		r.fail(t, st, ferr)
		return
	}
	if rd := st.itemReader; rd != nil {
		var params any
		if rd.parameters != nil {
			v, err := rd.parameters.eval(r.env(t, st, in, nil, nil))
			if err != nil {
				r.fail(t, st, evalErr(err))
				return
			}
			params = v
		}
		id := r.newID()
		r.s.Pending[id] = Pending{Thread: t.ID, Kind: pendingReadItems}
		t.Command, t.Phase, t.Effective = id, phaseItems, in
		r.commands = append(r.commands, ReadItems{ID: id, StateName: st.name, Resource: rd.resource, Parameters: params, ReaderConfig: rd.readerConfig})
		return
	}
	var items any
	switch {
	case st.lang == langJSONata && st.items != nil:
		v, err := st.items.eval(r.env(t, st, in, nil, nil))
		if err != nil {
			r.fail(t, st, evalErr(err))
			return
		}
		items = v
	case st.lang != langJSONata && st.itemsPath.set && !st.itemsPath.null:
		v, err := getPath(st.itemsPath.path, r.env(t, st, in, nil, nil))
		if err != nil {
			r.fail(t, st, fault.New(fault.Runtime, "Invalid path '%s' : No results for path: %s", st.itemsPath.path.String(), bracketPath(st.itemsPath.path.String())))
			return
		}
		items = v
	default:
		items = in
	}
	arr, ok := items.([]any)
	if !ok {
		name := fault.Runtime
		if st.lang == langJSONata {
			name = fault.QueryEvaluationError
		}
		r.fail(t, st, fault.New(name, "Map state input must be an array but was: %s", compactJSON(items)))
		return
	}
	r.startIterations(t, st, in, arr)
}

// itemsRead continues a Map state with the items its ItemReader returned.
func (r *runner) itemsRead(t *Thread, st *state, output any) {
	arr, ok := output.([]any)
	if !ok {
		r.fail(t, st, fault.New(fault.ItemReaderFailed, "The item reader returned %s instead of an array", compactJSON(output)))
		return
	}
	r.startIterations(t, st, t.Effective, arr)
}

func (r *runner) startIterations(t *Thread, st *state, in any, items []any) {
	maxConc, ferr := r.number(t, st, st.maxConcurrency, in, "MaxConcurrency")
	if ferr != nil {
		r.fail(t, st, ferr)
		return
	}
	limit := maxInlineConcurrency
	if st.distributed {
		limit = maxDistributedConcurrency
	}
	if maxConc == 0 || maxConc > limit {
		maxConc = limit
	}
	c := &Container{Input: in, Items: items, Slots: make([]Slot, len(items)), MaxConc: maxConc, TolCount: -1, TolPercent: -1}
	if st.toleratedCount.set {
		n, ferr := r.number(t, st, st.toleratedCount, in, "ToleratedFailureCount")
		if ferr != nil {
			r.fail(t, st, ferr)
			return
		}
		c.TolCount = n
	}
	if st.toleratedPercent.set {
		n, ferr := r.number(t, st, st.toleratedPercent, in, "ToleratedFailurePercentage")
		if ferr != nil {
			r.fail(t, st, ferr)
			return
		}
		c.TolPercent = float64(n)
	}
	t.Effective = nil
	if st.itemBatcher != nil {
		batches, ferr := r.batch(t, st, in, items)
		if ferr != nil {
			r.fail(t, st, ferr)
			return
		}
		c.Items, c.Slots, c.Batched = batches, make([]Slot, len(batches)), true
	}
	r.emit(t, HistoryEvent{Type: EventMapStateStarted, MapStateStartedEventDetails: &MapStateStartedEventDetails{Length: len(c.Items)}})
	t.Container, t.Phase = c, phaseChildren
	r.launchMore(t, st)
}

// launchMore starts iterations while MaxConcurrency allows, and completes the Map state when
// every iteration has ended. Like Step Functions, it records MapIterationStarted for every
// iteration that may start, then runs each of them depth-first until it waits or ends.
func (r *runner) launchMore(t *Thread, st *state) {
	if r.launching[t.ID] {
		return // an iteration that ended inside the loop below; the loop continues
	}
	if r.launching == nil {
		r.launching = map[int]bool{}
	}
	r.launching[t.ID] = true
	c := t.Container
	for {
		// Start every iteration MaxConcurrency allows, then run them in order.
		var wave []*Thread
		for t.Status == StatusRunning && t.Container == c && c.Launched < len(c.Items) && (c.MaxConc == 0 || c.Running < c.MaxConc) {
			i := c.Launched
			input := c.Items[i]
			if st.itemSelector != nil && !c.Batched {
				v, err := st.itemSelector.eval(r.env(t, st, c.Input, &mapItem{index: i, value: c.Items[i]}, nil))
				if err != nil {
					delete(r.launching, t.ID)
					r.containerFailed(t, st, evalErr(err))
					return
				}
				input = v
			}
			// MapIterationStarted follows the map's latest event without becoming it.
			id := r.emitAfter(t.LastEvent, HistoryEvent{Type: EventMapIterStarted, MapIterationStartedEventDetails: &MapIterationEventDetails{Name: st.name, Index: i}})
			wave = append(wave, r.launch(t, i, st.processor.startAt, input, id))
		}
		if len(wave) == 0 {
			break
		}
		for _, child := range wave {
			r.runThread(child)
		}
	}
	delete(r.launching, t.ID)
	if t.Status == StatusRunning && t.Container == c && c.Running == 0 && c.Launched == len(c.Items) {
		r.containerSucceeded(t, st)
	}
}

// runThread runs a thread's pure steps now, depth-first.
func (r *runner) runThread(t *Thread) {
	saved := r.current
	r.current = t.ID
	for t.Status == StatusRunning && t.Phase == phaseEnter && r.s.Status == StatusRunning {
		if r.s.LastEventID >= maxHistoryEvents {
			r.endExecution(StatusFailed, fault.Runtime, fmt.Sprintf("The execution reached the maximum number of history events (%d).", maxHistoryEvents))
			break
		}
		r.enter(t)
	}
	r.current = saved
}

// childDone is called when a branch or iteration thread ends.
func (r *runner) childDone(child *Thread) {
	t := r.s.Threads[child.Parent]
	if t == nil || t.Status != StatusRunning || t.Container == nil {
		return
	}
	st := r.p.states[t.State]
	c := t.Container
	slot := &c.Slots[child.Index]
	c.Running--
	// The container's next event follows the last event of the child that ended.
	t.LastEvent = child.LastEvent
	if child.Status == StatusSucceeded {
		slot.Status, slot.Output = StatusSucceeded, child.Output
		delete(r.s.Threads, child.ID)
		slot.Thread = 0
		c.Done++
		if st.typ == typeMap {
			c.LastIteration = r.emitAfter(child.LastEvent, HistoryEvent{Type: EventMapIterSucceeded,
				MapIterationSucceededEventDetails: &MapIterationEventDetails{Name: st.name, Index: child.Index}})
			r.launchMore(t, st)
		} else if c.Done == len(c.Slots) {
			r.containerSucceeded(t, st)
		}
		return
	}
	slot.Status = StatusFailed
	e := &fault.Error{Name: child.Error, Cause: child.Cause}
	if st.typ != typeMap {
		r.containerFailed(t, st, e)
		return
	}
	r.emitAfter(child.LastEvent, HistoryEvent{Type: EventMapIterFailed,
		MapIterationFailedEventDetails: &MapIterationEventDetails{Name: st.name, Index: child.Index}})
	c.Failures++
	slot.Output = errorOutput(e)
	tolerant := c.TolCount >= 0 || c.TolPercent >= 0
	exceeded := !tolerant ||
		(c.TolCount >= 0 && c.Failures > c.TolCount) ||
		(c.TolPercent >= 0 && float64(c.Failures)*100 > c.TolPercent*float64(len(c.Slots)))
	if exceeded {
		if tolerant {
			e = fault.New(fault.ExceedToleratedFailure, "The specified tolerated failure threshold was exceeded")
		}
		r.containerFailed(t, st, e)
		return
	}
	r.launchMore(t, st)
}

// containerFailed fails a Map or Parallel state: running children are aborted and the
// state's Retry and Catch apply. MapStateFailed / ParallelStateFailed is recorded only when
// no retrier will run the state again, as Step Functions does.
func (r *runner) containerFailed(t *Thread, st *state, e *fault.Error) {
	c := t.Container
	last := t.LastEvent
	for i := range c.Slots {
		slot := &c.Slots[i]
		if slot.Status != StatusRunning {
			continue
		}
		r.abortAfter(r.s.Threads[slot.Thread], last)
		slot.Status = StatusAborted
		if st.typ == typeMap {
			r.emitAfter(last, HistoryEvent{Type: EventMapIterAborted, MapIterationAbortedEventDetails: &MapIterationEventDetails{Name: st.name, Index: i}})
		}
	}
	c.Running = 0
	t.LastEvent = last
	if !r.willRetry(t, st, e) {
		typ := EventParallelFailed
		if st.typ == typeMap {
			typ = EventMapStateFailed
		}
		r.emit(t, HistoryEvent{Type: typ})
	}
	r.fail(t, st, e)
}

// containerSucceeded completes a Map or Parallel state with its children's outputs.
func (r *runner) containerSucceeded(t *Thread, st *state) {
	c := t.Container
	results := make([]any, len(c.Slots))
	for i, s := range c.Slots {
		results[i] = s.Output
	}
	typ := EventParallelSucceeded
	if st.typ == typeMap {
		typ = EventMapStateSucceeded
		if c.LastIteration > 0 {
			t.LastEvent = c.LastIteration
		}
	}
	// MapStateSucceeded / ParallelStateSucceeded does not become the state's latest event:
	// the exit follows the same event it does.
	r.emitAfter(t.LastEvent, HistoryEvent{Type: typ})
	if w := st.resultWriter; w != nil {
		r.writeResults(t, st, w, results)
		return
	}
	r.finish(t, st, results, exitOpts{selector: true})
}

// writeResults asks the driver to write a Map state's results.
func (r *runner) writeResults(t *Thread, st *state, w *resultWriter, results []any) {
	var params any
	if w.parameters != nil {
		v, err := w.parameters.eval(r.env(t, st, t.Container.Input, nil, nil))
		if err != nil {
			r.fail(t, st, evalErr(err))
			return
		}
		params = v
	}
	id := r.newID()
	r.s.Pending[id] = Pending{Thread: t.ID, Kind: pendingWrite}
	t.Command, t.Phase = id, phaseWrite
	r.commands = append(r.commands, WriteResults{ID: id, StateName: st.name, Resource: w.resource, Parameters: params, WriterConfig: w.writerConfig, Results: results})
}

// batch applies ItemSelector to every item and groups the items as ItemBatcher says:
// {"Items": [...], "BatchInput": ...} with at most MaxItemsPerBatch items and
// MaxInputBytesPerBatch bytes each.
func (r *runner) batch(t *Thread, st *state, in any, items []any) ([]any, *fault.Error) {
	b := st.itemBatcher
	maxItems, ferr := r.number(t, st, b.maxItems, in, "MaxItemsPerBatch")
	if ferr != nil {
		return nil, ferr
	}
	maxBytes, ferr := r.number(t, st, b.maxBytes, in, "MaxInputBytesPerBatch")
	if ferr != nil {
		return nil, ferr
	}
	if maxBytes == 0 || maxBytes > maxPayloadBytes {
		maxBytes = maxPayloadBytes
	}
	var batchInput any
	if b.batchInput != nil {
		v, err := b.batchInput.eval(r.env(t, st, in, nil, nil))
		if err != nil {
			return nil, evalErr(err)
		}
		batchInput = v
	}
	var batches []any
	var cur []any
	size := 0
	flush := func() {
		if len(cur) == 0 {
			return
		}
		batch := map[string]any{"Items": cur}
		if batchInput != nil {
			batch["BatchInput"] = batchInput
		}
		batches = append(batches, batch)
		cur, size = nil, 0
	}
	for i, item := range items {
		if st.itemSelector != nil {
			v, err := st.itemSelector.eval(r.env(t, st, in, &mapItem{index: i, value: item}, nil))
			if err != nil {
				return nil, evalErr(err)
			}
			item = v
		}
		n := len(compactJSON(item)) + 1
		if len(cur) > 0 && ((maxItems > 0 && len(cur) >= maxItems) || size+n > maxBytes) {
			flush()
		}
		cur = append(cur, item)
		size += n
	}
	flush()
	return batches, nil
}
