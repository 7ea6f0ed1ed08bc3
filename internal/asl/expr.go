package asl

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ceap/ceap/internal/asl/fault"
	"github.com/ceap/ceap/internal/asl/intrinsic"
	"github.com/ceap/ceap/internal/asl/jsonpath"
)

// This file is the only place that calls the expression packages. Until internal/asl/template
// and internal/asl/jsonata are in the tree, JSONPath templates are evaluated here with
// internal/asl/jsonpath and internal/asl/intrinsic, and JSONata is refused.
// TODO: switch to template.CompileJSONPath / template.CompileJSONata once they land.

// errJSONataUnavailable is returned when a JSONata expression is compiled without the jsonata
// package.
var errJSONataUnavailable = errors.New("JSONata expressions are not available")

// evalEnv is what an expression may read.
type evalEnv struct {
	input   any
	context func() any
	vars    func(string) (any, bool)
	states  map[string]any
	rand    func() float64
}

// expr is a compiled payload template (Parameters, ResultSelector, ItemSelector, Assign,
// Arguments, Output, ...).
type expr struct {
	constant any
	isConst  bool
	obj      []field // JSONPath template object
	arr      []*expr
	path     *jsonpath.Path
	call     *intrinsic.Call
	key      string // the "key.$" field a path or call comes from
	jsonata  bool
}

type field struct {
	key string
	val *expr
}

// isJSONataExpr reports whether s is a JSONata expression string "{% ... %}".
func isJSONataExpr(s string) bool {
	t := strings.TrimSpace(s)
	return strings.HasPrefix(t, "{%") && strings.HasSuffix(t, "%}") && len(t) >= 4
}

// compileJSONPathTemplate compiles a payload template whose "key.$" fields are paths or
// intrinsic function calls.
func compileJSONPathTemplate(v any) (*expr, error) {
	switch x := v.(type) {
	case map[string]any:
		e := &expr{}
		allConst := true
		for k, fv := range x {
			if strings.HasSuffix(k, ".$") {
				s, ok := fv.(string)
				if !ok {
					return nil, fmt.Errorf("the value of field %q must be a string", k)
				}
				sub := &expr{key: k}
				if intrinsic.IsIntrinsic(s) {
					c, err := intrinsic.Parse(s)
					if err != nil {
						return nil, fmt.Errorf("field %q: %w", k, err)
					}
					sub.call = c
				} else {
					p, err := jsonpath.Compile(s)
					if err != nil {
						return nil, fmt.Errorf("field %q: %w", k, err)
					}
					sub.path = p
				}
				e.obj = append(e.obj, field{key: strings.TrimSuffix(k, ".$"), val: sub})
				allConst = false
				continue
			}
			sub, err := compileJSONPathTemplate(fv)
			if err != nil {
				return nil, err
			}
			if !sub.isConst {
				allConst = false
			}
			e.obj = append(e.obj, field{key: k, val: sub})
		}
		if allConst {
			return &expr{constant: v, isConst: true}, nil
		}
		return e, nil
	case []any:
		e := &expr{arr: make([]*expr, len(x))}
		allConst := true
		for i, item := range x {
			sub, err := compileJSONPathTemplate(item)
			if err != nil {
				return nil, err
			}
			allConst = allConst && sub.isConst
			e.arr[i] = sub
		}
		if allConst {
			return &expr{constant: v, isConst: true}, nil
		}
		return e, nil
	default:
		return &expr{constant: v, isConst: true}, nil
	}
}

// compileJSONataTemplate compiles a value whose strings may be "{% %}" expressions.
func compileJSONataTemplate(v any) (*expr, error) {
	if containsJSONata(v) {
		return nil, errJSONataUnavailable
	}
	return &expr{constant: v, isConst: true, jsonata: true}, nil
}

func containsJSONata(v any) bool {
	switch x := v.(type) {
	case string:
		return isJSONataExpr(x)
	case map[string]any:
		for _, fv := range x {
			if containsJSONata(fv) {
				return true
			}
		}
	case []any:
		for _, item := range x {
			if containsJSONata(item) {
				return true
			}
		}
	}
	return false
}

func (e *expr) isConstant() bool { return e.isConst }

// eval evaluates the template. Failures are *fault.Error values.
func (e *expr) eval(env *evalEnv) (any, error) {
	switch {
	case e.isConst:
		return e.constant, nil
	case e.call != nil:
		var ctx any
		if env.context != nil {
			ctx = env.context()
		}
		return e.call.Eval(intrinsic.Env{Input: env.input, Context: ctx, Vars: env.vars, Rand: env.rand})
	case e.path != nil:
		var ctx any
		if e.path.Context() && env.context != nil {
			ctx = env.context()
		}
		v, err := e.path.GetFrom(env.input, ctx, env.vars)
		if err != nil {
			return nil, fault.New(fault.Runtime, "The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'", e.path.String(), e.key, compactJSON(env.input))
		}
		return v, nil
	case e.arr != nil:
		out := make([]any, len(e.arr))
		for i, sub := range e.arr {
			v, err := sub.eval(env)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	default:
		out := make(map[string]any, len(e.obj))
		for _, f := range e.obj {
			v, err := f.val.eval(env)
			if err != nil {
				return nil, err
			}
			out[f.key] = v
		}
		return out, nil
	}
}

// setPath writes value at a reference path of doc without mutating doc (ResultPath).
func setPath(doc any, p *jsonpath.Path, value any) (any, error) {
	return jsonpath.Set(doc, p, value)
}
