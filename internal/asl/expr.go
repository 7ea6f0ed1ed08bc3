package asl

import (
	"github.com/ceap/ceap/internal/asl/fault"
	"github.com/ceap/ceap/internal/asl/jsonata"
	"github.com/ceap/ceap/internal/asl/jsonpath"
	"github.com/ceap/ceap/internal/asl/template"
)

// This file is the only place that calls the expression packages (jsonpath, template and,
// through template, intrinsic and jsonata).

// evalEnv is what an expression may read. The context object is built only when a template
// that may read it is evaluated.
type evalEnv struct {
	input   any
	context func() any
	vars    func(string) (any, bool)
	states  map[string]any
	rand    func() float64
}

// expr is a compiled payload template (Parameters, ResultSelector, ItemSelector, Assign,
// Arguments, Output, Condition, ...).
type expr struct {
	t     *template.Template
	field string // the ASL field, for the causes of JSONata failures
}

// isJSONataExpr reports whether s is a JSONata expression string "{% ... %}".
func isJSONataExpr(s string) bool { return jsonata.IsExpression(s) }

// compileJSONPathTemplate compiles a payload template whose "key.$" fields are paths or
// intrinsic function calls.
func compileJSONPathTemplate(v any, field string) (*expr, error) {
	t, err := template.CompileJSONPath(v)
	if err != nil {
		return nil, err
	}
	return &expr{t: t, field: field}, nil
}

// compileJSONataTemplate compiles a value whose strings may be "{% %}" expressions.
func compileJSONataTemplate(v any, field string) (*expr, error) {
	t, err := template.CompileJSONata(v)
	if err != nil {
		return nil, err
	}
	return &expr{t: t, field: field}, nil
}

func (e *expr) isConstant() bool { return e.t.IsConstant() }

// eval evaluates the template. Failures are *fault.Error values.
func (e *expr) eval(env *evalEnv) (any, error) {
	if e.t.IsConstant() {
		return e.t.Eval(template.Env{})
	}
	v, err := e.t.Eval(template.Env{Input: env.input, LazyContext: env.context, Vars: env.vars, States: env.states, Rand: env.rand, Field: e.field})
	if err != nil {
		return nil, fault.As(err)
	}
	return v, nil
}

// setPath writes value at a reference path of doc without mutating doc (ResultPath).
func setPath(doc any, p *jsonpath.Path, value any) (any, error) {
	return jsonpath.Set(doc, p, value)
}
