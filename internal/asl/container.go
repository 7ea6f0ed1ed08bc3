package asl

import (
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
		r.launch(t, i, b.startAt, eff)
	}
}

// launch starts child thread i of container thread t.
func (r *runner) launch(t *Thread, i int, startAt string, input any) {
	id := r.s.NextThread
	r.s.NextThread++
	child := &Thread{ID: id, Parent: t.ID, Index: i, State: startAt, Phase: phaseEnter, Status: StatusRunning, Input: input, LastEvent: t.LastEvent}
	// The child workflows of a distributed Map cannot read the variables of outer scopes.
	child.Isolated = r.p.states[t.State].distributed
	r.s.Threads[id] = child
	c := t.Container
	c.Slots[i] = Slot{Thread: id, Status: StatusRunning}
	c.Running++
	if i >= c.Launched {
		c.Launched = i + 1
	}
	r.push(id)
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
// every iteration has ended.
func (r *runner) launchMore(t *Thread, st *state) {
	c := t.Container
	for c.Launched < len(c.Items) && (c.MaxConc == 0 || c.Running < c.MaxConc) {
		i := c.Launched
		input := c.Items[i]
		if st.itemSelector != nil && !c.Batched {
			item := &mapItem{index: i, value: c.Items[i]}
			extra := map[string]any(nil)
			v, err := st.itemSelector.eval(r.env(t, st, c.Input, item, extra))
			if err != nil {
				r.containerFailed(t, st, evalErr(err))
				return
			}
			input = v
		}
		r.emit(t, HistoryEvent{Type: EventMapIterStarted, MapIterationStartedEventDetails: &MapIterationEventDetails{Name: st.name, Index: i}})
		r.launch(t, i, st.processor.startAt, input)
	}
	if c.Running == 0 && c.Launched == len(c.Items) {
		r.containerSucceeded(t, st)
	}
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
	if child.LastEvent > t.LastEvent {
		t.LastEvent = child.LastEvent
	}
	if child.Status == StatusSucceeded {
		slot.Status, slot.Output = StatusSucceeded, child.Output
		delete(r.s.Threads, child.ID)
		slot.Thread = 0
		c.Done++
		if st.typ == typeMap {
			r.iterationEvent(t, st, child, EventMapIterSucceeded)
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
	r.iterationEvent(t, st, child, EventMapIterFailed)
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

func (r *runner) iterationEvent(t *Thread, st *state, child *Thread, typ string) {
	d := &MapIterationEventDetails{Name: st.name, Index: child.Index}
	e := HistoryEvent{Type: typ}
	if typ == EventMapIterSucceeded {
		e.MapIterationSucceededEventDetails = d
	} else {
		e.MapIterationFailedEventDetails = d
	}
	t.LastEvent = child.LastEvent
	r.emit(t, e)
}

// containerFailed fails a Map or Parallel state: running children are aborted, the failure is
// recorded and the state's Retry and Catch apply.
func (r *runner) containerFailed(t *Thread, st *state, e *fault.Error) {
	c := t.Container
	for i := range c.Slots {
		slot := &c.Slots[i]
		if slot.Status != StatusRunning {
			continue
		}
		r.abort(r.s.Threads[slot.Thread])
		slot.Status = StatusAborted
		if st.typ == typeMap {
			r.emit(t, HistoryEvent{Type: EventMapIterAborted, MapIterationAbortedEventDetails: &MapIterationEventDetails{Name: st.name, Index: i}})
		}
	}
	c.Running = 0
	typ := EventParallelFailed
	if st.typ == typeMap {
		typ = EventMapStateFailed
	}
	r.emit(t, HistoryEvent{Type: typ})
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
	}
	r.emit(t, HistoryEvent{Type: typ})
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
