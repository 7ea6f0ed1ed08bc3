package asl

import (
	"time"

	"github.com/ceap/ceap/internal/asl/fault"
)

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
