// Package jsonata owns the JSONata query language of Step Functions: recognising "{% ... %}"
// strings, compiling the expression inside once, and evaluating it with the reserved variable
// $states (input, result, errorOutput, context) and the workflow variables in scope.
//
// It is a layer over github.com/xiatechs/jsonata-go that makes the library behave as Step
// Functions does: the functions AWS adds ($partition, $range, $hash, $random with a seed, $uuid,
// $parse) and the JSONata 2.0 functions the library lacks ($assert, $formatInteger,
// $parseInteger) are provided; $eval and the library's own non-standard functions are not
// callable; "$", "$$" and unqualified field names are rejected at the top level of an expression,
// as Step Functions rejects them when a definition is created; and every
// value that comes out is converted to the encoding/json model (float64 numbers, []any,
// map[string]any). Every runtime failure is a *fault.Error named States.QueryEvaluationError.
// Objects keep no member order, so $keys, $each and $spread list members in key order. Known
// gaps of the library: the positional (#$i) and context (@$v) variable bindings, and the order
// of the object wildcard "*", which follows Go's map order.
//
// The package never mutates the values it is given and knows nothing of states or templates. It
// never registers anything in the library's process-wide registry: expressions are copied and
// given their bindings for each evaluation, which is what makes them safe for concurrent use.
package jsonata

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	jsonatago "github.com/xiatechs/jsonata-go"
	"github.com/xiatechs/jsonata-go/jparse"

	"github.com/ceap/ceap/internal/asl/fault"
)

// ErrUnsupported is wrapped by Compile for expressions Step Functions refuses.
var ErrUnsupported = errors.New("not supported by Step Functions")

// SyntaxError reports an expression that does not parse.
type SyntaxError struct {
	Expr string
	Msg  string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSONata expression '%s': %s", e.Expr, e.Msg)
}

// Error is a failed evaluation. It unwraps to a *fault.Error named States.QueryEvaluationError;
// Fault builds the same fault with the ASL field named in the cause, as AWS writes it.
type Error struct {
	Expr      string
	Undefined bool   // the expression returned nothing
	Msg       string // what went wrong, when it is not Undefined
}

func (e *Error) Error() string { return e.Fault("").Error() }

// Unwrap returns the fault without a field name.
func (e *Error) Unwrap() error { return e.Fault("") }

// Fault returns the States.QueryEvaluationError for the expression written in field (such as
// "Output/items[0]"); an empty field leaves the field out of the cause.
func (e *Error) Fault(field string) *fault.Error {
	var b strings.Builder
	fmt.Fprintf(&b, "The JSONata expression '%s'", e.Expr)
	if field != "" {
		fmt.Fprintf(&b, " specified for the field '%s'", field)
	}
	if e.Undefined {
		b.WriteString(" returned nothing (undefined).")
	} else {
		fmt.Fprintf(&b, " threw an error during evaluation: %s", e.Msg)
	}
	return &fault.Error{Name: fault.QueryEvaluationError, Cause: b.String()}
}

// IsExpression reports whether s is a JSONata expression string: "{%" ... "%}" once
// surrounding whitespace is trimmed.
func IsExpression(s string) bool {
	_, ok := Unwrap(s)
	return ok
}

// Unwrap returns the trimmed expression inside "{% ... %}", and whether s is one.
func Unwrap(s string) (string, bool) {
	t := strings.TrimSpace(s)
	if len(t) < 4 || !strings.HasPrefix(t, "{%") || !strings.HasSuffix(t, "%}") {
		return "", false
	}
	return strings.TrimSpace(t[2 : len(t)-2]), true
}

// Expr is a compiled expression. It is immutable and safe for concurrent use.
type Expr struct {
	src        string
	base       *jsonatago.Expr // compiled without bindings; copied for each evaluation
	vars       []string        // workflow variables the expression reads
	funcs      []string        // functions the expression names, bound to private instances
	hidden     []string        // library functions the expression names that JSONata lacks
	usesStates bool
	states     []string   // the fields of $states it reads
	fast       *fieldPath // set when the expression is $variable.name.name...
	callables  sync.Pool  // of map[string]any: one private instance of each of funcs
}

// fieldPath is an expression of the form $variable.a.b, evaluated without the library while
// every step lands on an object.
type fieldPath struct {
	variable string
	names    []string
}

func simpleFieldPath(root jparse.Node) *fieldPath {
	p, ok := root.(*jparse.PathNode)
	if !ok || len(p.Steps) == 0 || p.KeepArrays {
		return nil
	}
	v, ok := p.Steps[0].(*jparse.VariableNode)
	if !ok || v.Name == "" || v.Name == "$" {
		return nil
	}
	fp := &fieldPath{variable: v.Name}
	for _, s := range p.Steps[1:] {
		n, ok := s.(*jparse.NameNode)
		if !ok {
			return nil
		}
		fp.names = append(fp.names, n.Value)
	}
	return fp
}

// eval walks the path; ok is false when the library must decide (a step met something other
// than an object, whose JSONata semantics such as mapping over arrays it leaves to the library).
func (fp *fieldPath) eval(env Env) (v any, found, ok bool) {
	var cur any
	if fp.variable == "states" {
		if env.States == nil {
			return nil, false, true
		}
		cur = env.States
	} else {
		if env.Vars == nil {
			return nil, false, true
		}
		if cur, found = env.Vars(fp.variable); !found {
			return nil, false, true
		}
	}
	for _, name := range fp.names {
		m, isMap := cur.(map[string]any)
		if !isMap {
			return nil, false, false
		}
		if cur, found = m[name]; !found {
			return nil, false, true
		}
	}
	if _, isArray := cur.([]any); isArray {
		return nil, false, false
	}
	return cur, true, true
}

// String returns the expression's source.
func (e *Expr) String() string { return e.src }

// StatesFields returns the fields of $states the expression reads ("input", "result",
// "errorOutput", "context"), so that a validator can refuse $states.result or
// $states.errorOutput where Step Functions does not provide them.
func (e *Expr) StatesFields() []string { return e.states }

// Variables returns the names of the workflow variables the expression reads ($name), without
// $states and function names.
func (e *Expr) Variables() []string { return e.vars }

// Compile compiles the text inside "{% %}" (already trimmed).
func Compile(src string) (expr *Expr, err error) {
	defer func() {
		if r := recover(); r != nil {
			expr, err = nil, &SyntaxError{Expr: src, Msg: fmt.Sprint(r)}
		}
	}()
	if strings.TrimSpace(src) == "" {
		return nil, &SyntaxError{Expr: src, Msg: "the expression is empty"}
	}
	if err := checkNesting(src); err != nil {
		return nil, fmt.Errorf("JSONata expression '%s': %w", src, err)
	}
	protected := preprocess(protectStrings(src))
	root, err := jparse.Parse(protected)
	if err != nil {
		return nil, &SyntaxError{Expr: src, Msg: err.Error()}
	}
	if err := checkTopLevel(root); err != nil {
		return nil, fmt.Errorf("JSONata expression '%s': %w", src, err)
	}
	if err := checkRecursion(root); err != nil {
		return nil, fmt.Errorf("JSONata expression '%s': %w", src, err)
	}
	rewritten := placeholdFunctionApplications(protected, root)
	if rewritten != protected {
		if root, err = jparse.Parse(rewritten); err != nil {
			return nil, &SyntaxError{Expr: src, Msg: err.Error()}
		}
	}
	base, err := jsonatago.Compile(rewritten)
	if err != nil {
		return nil, &SyntaxError{Expr: src, Msg: err.Error()}
	}
	e := &Expr{src: src, base: base}
	for name := range referencedVariables(root) {
		switch {
		case name == "states":
			e.usesStates = true
		case isProvidedFunction(name) || isLibraryBuiltin(name):
			e.funcs = append(e.funcs, name)
		case name == "eval" || isHiddenLibraryFunction(name):
			// Step Functions accepts $eval in a definition and fails when it is called (T1006).
			e.hidden = append(e.hidden, name)
		case name == "" || name == "$":
		default:
			e.vars = append(e.vars, name)
		}
	}
	set, err := buildCallables(e.funcs, nil)
	if err != nil {
		return nil, err
	}
	e.callables.Put(set)
	e.states = statesFields(root)
	if len(e.funcs) == 0 && len(e.hidden) == 0 {
		e.fast = simpleFieldPath(root)
	}
	return e, nil
}

// Env is what an evaluation may read.
type Env struct {
	States map[string]any           // $states: input, result, errorOutput, context
	Vars   func(string) (any, bool) // workflow variables
	Rand   func() float64           // nil -> math/rand; makes $random and $uuid testable
}

// Eval evaluates the expression with $states and the workflow variables. A failure, including
// an expression that returns nothing, is an *Error that unwraps to States.QueryEvaluationError.
func (e *Expr) Eval(states map[string]any, vars func(string) (any, bool)) (any, error) {
	return e.EvalEnv(Env{States: states, Vars: vars})
}

// EvalEnv is Eval with every input spelled out.
func (e *Expr) EvalEnv(env Env) (out any, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, &Error{Expr: e.src, Msg: fmt.Sprint(r)}
		}
	}()
	if e.fast != nil {
		if v, found, ok := e.fast.eval(env); ok {
			if !found {
				return nil, &Error{Expr: e.src, Undefined: true}
			}
			return v, nil
		}
	}
	bindings := make(map[string]any, len(e.vars)+len(e.funcs)+len(e.hidden)+1)
	if e.usesStates {
		bindings["states"] = env.States
	}
	if env.Vars != nil {
		for _, name := range e.vars {
			if v, ok := env.Vars(name); ok {
				bindings[name] = v
			}
		}
	}
	for _, name := range e.hidden {
		bindings[name] = nil
	}
	if len(e.funcs) > 0 {
		// Each evaluation uses function instances no other evaluation is using (see builtins.go).
		var set map[string]any
		if env.Rand != nil {
			set, err = buildCallables(e.funcs, env.Rand)
		} else if pooled := e.callables.Get(); pooled != nil {
			set = pooled.(map[string]any)
			defer e.callables.Put(set)
		} else {
			set, err = buildCallables(e.funcs, nil)
			defer e.callables.Put(set)
		}
		if err != nil {
			return nil, &Error{Expr: e.src, Msg: err.Error()}
		}
		for name, c := range set {
			bindings[name] = c
		}
	}
	x := *e.base
	if err := x.RegisterVars(bindings); err != nil {
		return nil, &Error{Expr: e.src, Msg: err.Error()}
	}
	v, err := x.Eval(nil)
	if err != nil {
		if errors.Is(err, jsonatago.ErrUndefined) {
			return nil, &Error{Expr: e.src, Undefined: true}
		}
		return nil, &Error{Expr: e.src, Msg: libraryMessage(err)}
	}
	out, err = normalize(v)
	if err != nil {
		return nil, &Error{Expr: e.src, Msg: err.Error()}
	}
	return out, nil
}

// libraryMessage drops the position and argument dump the library appends to its messages.
func libraryMessage(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, ", position:"); i > 0 {
		msg = msg[:i]
	}
	return msg
}
