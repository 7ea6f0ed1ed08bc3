package asl

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"time"

	"github.com/ceap/ceap/internal/asl/fault"
)

// TaskRunner performs the Task states of an in-memory execution. A failure is returned as a
// *fault.Error; any other error becomes States.TaskFailed with the error's text as cause.
type TaskRunner interface {
	RunTask(ctx context.Context, cmd InvokeTask) (any, error)
}

// ItemsReader is implemented by a TaskRunner that can read Map items for an ItemReader.
type ItemsReader interface {
	ReadItems(ctx context.Context, cmd ReadItems) ([]any, error)
}

// ResultsWriter is implemented by a TaskRunner that can write Map results for a
// ResultWriter; it returns the Map state's result.
type ResultsWriter interface {
	WriteResults(ctx context.Context, cmd WriteResults) (any, error)
}

// Run executes a program in memory until it ends: the driver of Express executions and of
// tests. It performs InvokeTask commands through tasks (concurrently when several are
// outstanding, inline when only one is), honours timers with sleep, and returns the final
// outcome and the whole history. Cancelling ctx stops the execution (ABORTED).
func Run(ctx context.Context, p *Program, input any, c Context, tasks TaskRunner, clk func() time.Time, sleep func(context.Context, time.Duration) error) (Outcome, []HistoryEvent) {
	s, out := p.Start(input, c, clk())
	if out.Status != StatusRunning {
		return out, out.Events
	}
	d := &driver{
		ctx: ctx, p: p, s: s, tasks: tasks, clk: clk, sleep: sleep,
		timers:  map[string]time.Time{},
		cancels: map[string]context.CancelFunc{},
		results: make(chan Event, 16),
		done:    make(chan struct{}),
	}
	defer d.close()
	history := out.Events
	d.handle(out.Commands)
	for out.Status == StatusRunning {
		ev := d.next()
		out = p.Resume(s, ev, clk())
		history = append(history, out.Events...)
		d.handle(out.Commands)
	}
	out.Events = history
	return out, history
}

type driver struct {
	ctx      context.Context
	p        *Program
	s        *Snapshot
	tasks    TaskRunner
	clk      func() time.Time
	sleep    func(context.Context, time.Duration) error
	timers   map[string]time.Time
	queued   []Command
	inline   Command // the task reported started, to run inline next
	inflight int
	cancels  map[string]context.CancelFunc
	results  chan Event
	done     chan struct{}
}

func (d *driver) close() {
	close(d.done)
	for _, cancel := range d.cancels {
		cancel()
	}
}

func (d *driver) handle(cmds []Command) {
	for _, cmd := range cmds {
		switch c := cmd.(type) {
		case StartTimer:
			d.timers[c.ID] = c.FireAt
		case CancelTimer:
			delete(d.timers, c.ID)
		case CancelTask:
			if cancel, ok := d.cancels[c.ID]; ok {
				cancel()
				delete(d.cancels, c.ID)
			}
			for i, q := range d.queued {
				if q.CommandID() == c.ID {
					d.queued = append(d.queued[:i:i], d.queued[i+1:]...)
					break
				}
			}
		case InvokeTask, ReadItems, WriteResults:
			d.queued = append(d.queued, cmd)
		}
	}
}

// next performs queued commands and waits for the next event.
func (d *driver) next() Event {
	if err := d.ctx.Err(); err != nil {
		return Stop{Cause: err.Error()}
	}
	if len(d.queued) == 1 && d.inflight == 0 && d.onlyExecutionTimer() {
		// One task and nothing else to wait for: report it started, then run it on this
		// goroutine at the next call.
		cmd := d.queued[0]
		if _, ok := cmd.(InvokeTask); ok && d.inline == nil {
			d.inline = cmd
			return TaskStarted{ID: cmd.CommandID()}
		}
		d.inline = nil
		d.queued = d.queued[:0]
		ctx := d.ctx
		if at, ok := d.earliestTimer(); ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, at.Sub(d.clk()))
			defer cancel()
		}
		if ev := d.perform(ctx, cmd); ev != nil {
			return ev
		}
		// The task outlived the execution's timeout: the timer decides.
		if _, ok := d.earliestTimer(); ok {
			return d.fire()
		}
		return Stop{Cause: "the task was cancelled"}
	}
	for _, cmd := range d.queued {
		d.start(cmd)
	}
	d.queued = d.queued[:0]
	if d.inflight == 0 {
		if _, ok := d.earliestTimer(); !ok {
			return Stop{Error: fault.Runtime, Cause: "the execution waits on nothing"}
		}
		at, _ := d.earliestTimer()
		if wait := at.Sub(d.clk()); wait > 0 {
			if err := d.sleep(d.ctx, wait); err != nil {
				return Stop{Cause: err.Error()}
			}
		}
		return d.fire()
	}
	var wake chan struct{}
	sctx, cancel := context.WithCancel(d.ctx)
	defer cancel()
	if at, ok := d.earliestTimer(); ok {
		wake = make(chan struct{})
		wait := at.Sub(d.clk())
		go func() {
			if d.sleep(sctx, wait) == nil {
				close(wake)
			}
		}()
	}
	select {
	case ev := <-d.results:
		if _, started := ev.(TaskStarted); !started {
			d.inflight--
		}
		return ev
	case <-wake:
		return d.fire()
	case <-d.ctx.Done():
		return Stop{Cause: d.ctx.Err().Error()}
	}
}

func (d *driver) onlyExecutionTimer() bool {
	for id := range d.timers {
		if pd := d.s.Pending[id]; pd.Kind != TimerExecutionTimeout {
			return false
		}
	}
	return true
}

func (d *driver) earliestTimer() (time.Time, bool) {
	var at time.Time
	found := false
	for _, t := range d.timers {
		if !found || t.Before(at) {
			at, found = t, true
		}
	}
	return at, found
}

// fire removes and reports the earliest timer (ties broken by ID).
func (d *driver) fire() Event {
	ids := make([]string, 0, len(d.timers))
	for id := range d.timers {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		a, b := d.timers[ids[i]], d.timers[ids[j]]
		if !a.Equal(b) {
			return a.Before(b)
		}
		return ids[i] < ids[j]
	})
	id := ids[0]
	delete(d.timers, id)
	return TimerFired{ID: id}
}

// start runs a command on its own goroutine.
func (d *driver) start(cmd Command) {
	ctx, cancel := context.WithCancel(d.ctx)
	d.cancels[cmd.CommandID()] = cancel
	d.inflight++
	go func() {
		if _, ok := cmd.(InvokeTask); ok {
			select {
			case d.results <- TaskStarted{ID: cmd.CommandID()}:
			case <-d.done:
				return
			}
		}
		ev := d.perform(ctx, cmd)
		if ev == nil {
			ev = TaskFailed{ID: cmd.CommandID(), Error: fault.TaskFailed, Cause: "task cancelled"}
		}
		select {
		case d.results <- ev:
		case <-d.done:
		}
	}()
}

// perform runs one command and turns its result into an event; nil when ctx ended first.
func (d *driver) perform(ctx context.Context, cmd Command) Event {
	var out any
	var err error
	switch c := cmd.(type) {
	case InvokeTask:
		out, err = d.tasks.RunTask(ctx, c)
	case ReadItems:
		r, ok := d.tasks.(ItemsReader)
		if !ok {
			return TaskFailed{ID: c.ID, Error: fault.ItemReaderFailed, Cause: "no item reader is configured"}
		}
		var items []any
		items, err = r.ReadItems(ctx, c)
		out = items
	case WriteResults:
		w, ok := d.tasks.(ResultsWriter)
		if !ok {
			return TaskFailed{ID: c.ID, Error: fault.ResultWriterFailed, Cause: "no result writer is configured"}
		}
		out, err = w.WriteResults(ctx, c)
	}
	if err == nil {
		out = plainJSON(out)
	}
	if err != nil {
		if ctx.Err() != nil && d.ctx.Err() == nil && errors.Is(err, ctx.Err()) {
			return nil
		}
		var fe *fault.Error
		if errors.As(err, &fe) {
			return TaskFailed{ID: cmd.CommandID(), Error: fe.Name, Cause: fe.Cause}
		}
		return TaskFailed{ID: cmd.CommandID(), Error: fault.TaskFailed, Cause: err.Error()}
	}
	return TaskSucceeded{ID: cmd.CommandID(), Output: out}
}

// plainJSON returns v as the values encoding/json produces (maps, slices, float64, ...):
// a task runner may return any JSON-encodable Go value.
func plainJSON(v any) any {
	if isPlainJSON(v) {
		return v
	}
	data, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		return v
	}
	return out
}

func isPlainJSON(v any) bool {
	switch x := v.(type) {
	case nil, bool, string, float64:
		return true
	case []any:
		for _, item := range x {
			if !isPlainJSON(item) {
				return false
			}
		}
		return true
	case map[string]any:
		for _, item := range x {
			if !isPlainJSON(item) {
				return false
			}
		}
		return true
	}
	return false
}
