package asl

import (
	"fmt"
	"strings"

	"github.com/ceap/ceap/internal/asl/fault"
)

// contextObject builds the $$ context object for thread t.
func (r *runner) contextObject(t *Thread, item *mapItem) map[string]any {
	c := &r.s.Context
	state := map[string]any{"EnteredTime": t.Entered.UTC().Format(contextTimeLayout), "Name": t.State}
	switch r.p.states[t.State].typ {
	case typeTask, typeParallel, typeMap: // the states that can retry
		state["RetryCount"] = float64(t.Retries)
	}
	m := map[string]any{
		"Execution": map[string]any{
			"Id": c.ExecutionID, "Input": r.s.Input, "Name": c.ExecutionName, "RoleArn": c.RoleArn,
			"StartTime": c.StartTime.UTC().Format(contextTimeLayout), "RedriveCount": float64(c.RedriveCount),
		},
		"State":        state,
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
	var ctx map[string]any
	e.context = func() any {
		if ctx == nil {
			ctx = r.contextObject(t, item)
		}
		return ctx
	}
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
	if !end {
		t.inputJSON = out
	}
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

// fail handles an error raised by state st: Retry, then Catch, then the thread fails.
func (r *runner) fail(t *Thread, st *state, e *fault.Error) {
	e = r.runtimeError(t, st, e)
	if e.Name == fault.QueryEvaluationError {
		r.emit(t, HistoryEvent{Type: EventEvaluationFailed, EvaluationFailedEventDetails: &EvaluationFailedEventDetails{
			Error: e.Name, Cause: e.Cause, State: st.name,
		}})
	}
	if i, ok := r.retrier(t, st, e); ok {
		rt := &st.retry[i]
		if len(t.Attempts) != len(st.retry) {
			t.Attempts = make([]int, len(st.retry))
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

// retrier returns the retrier that will run the state again for error e: the first one whose
// ErrorEquals matches, if it has attempts left.
func (r *runner) retrier(t *Thread, st *state, e *fault.Error) (int, bool) {
	for i := range st.retry {
		rt := &st.retry[i]
		if !errorMatches(rt.errorEquals, e.Name) {
			continue
		}
		used := 0
		if len(t.Attempts) == len(st.retry) {
			used = t.Attempts[i]
		}
		return i, used < rt.maxAttempts
	}
	return 0, false
}

// willRetry reports whether error e of state st will be retried.
func (r *runner) willRetry(t *Thread, st *state, e *fault.Error) bool {
	_, ok := r.retrier(t, st, r.runtimeError(t, st, e))
	return ok
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
