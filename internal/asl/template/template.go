// Package template owns the payload templates of the Amazon States Language: Parameters,
// ResultSelector, ItemSelector and the Parameters of Task and Map states in JSONPath mode, where
// keys ending in ".$" take a path or an intrinsic function call; and Arguments, Output, Assign,
// Items and every other JSONata-mode field, where any string of the form "{% ... %}" is a JSONata
// expression. A template is compiled once, when the state machine is validated, and evaluated for
// every state transition.
//
// Evaluation never mutates its inputs; values selected from the input are shared by the output,
// which callers must treat as immutable too. Every failure is a *fault.Error with the name and the
// cause AWS reports. The package knows nothing of states or of the order of the input/output
// pipeline: the interpreter decides which template runs on which document.
package template

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ceap/ceap/internal/asl/fault"
	"github.com/ceap/ceap/internal/asl/intrinsic"
	"github.com/ceap/ceap/internal/asl/jsonata"
	"github.com/ceap/ceap/internal/asl/jsonpath"
)

// PathFailure is the error name raised when a ".$" path selects nothing. The States Language
// specification names States.ParameterPathFailure, but Step Functions reports States.Runtime, with
// the cause "The JSONPath '<path>' specified for the field '<key>.$' could not be found in the
// input '<input>'", and ceap does what Step Functions does.
const PathFailure = fault.Runtime

// ErrInvalid is wrapped by the Compile functions for a template the definition validator must
// refuse.
var ErrInvalid = errors.New("invalid payload template")

// Env is what a template may read while it is evaluated.
type Env struct {
	Input   any // effective input (JSONPath mode)
	Context any // the context object
	// LazyContext, when Context is nil, builds the context object the first time a "$$" path
	// needs it, so that templates that never read it do not pay for it.
	LazyContext func() any
	Vars        func(string) (any, bool) // workflow variables
	States      map[string]any           // JSONata: $states (input, result, errorOutput, context)
	Rand        func() float64           // nil -> math/rand; for States.MathRandom, States.UUID, $random, $uuid
	Field       string                   // the ASL field being evaluated ("Output", "Arguments", ...), for causes
}

// Template is a compiled payload template. It is immutable and safe for concurrent use.
type Template struct {
	root node
}

type nodeKind uint8

const (
	kindConst nodeKind = iota
	kindObject
	kindArray
	kindPath
	kindCall
	kindJSONata
)

type node struct {
	kind   nodeKind
	value  any // kindConst
	fields []field
	items  []node
	path   *jsonpath.Path
	call   *intrinsic.Call
	expr   *jsonata.Expr
	key    string // kindPath, kindCall: the template key, with its ".$"
	where  string // kindJSONata: the position below the field, such as "/a/b[0]"
}

type field struct {
	name string
	val  node
}

// IsConstant reports whether the template evaluates to a value known at compile time.
func (t *Template) IsConstant() bool { return t.root.kind == kindConst }

// CompileJSONPath compiles a JSONPath-mode payload template. Keys ending in ".$" must hold a
// path ("$...", "$$...", "$variable...") or an intrinsic function call; the ".$" is dropped from
// the output key. Other values are literal, whatever they look like.
func CompileJSONPath(v any) (*Template, error) {
	root, err := compileJSONPath(v, "")
	if err != nil {
		return nil, err
	}
	return &Template{root: root}, nil
}

func compileJSONPath(v any, where string) (node, error) {
	switch x := v.(type) {
	case map[string]any:
		n := node{kind: kindObject, fields: make([]field, 0, len(x))}
		constant := true
		seen := make(map[string]bool, len(x))
		for _, k := range sortedKeys(x) {
			name := k
			var val node
			if strings.HasSuffix(k, ".$") {
				name = strings.TrimSuffix(k, ".$")
				var err error
				if val, err = compileDynamic(k, x[k], where); err != nil {
					return node{}, err
				}
			} else {
				var err error
				if val, err = compileJSONPath(x[k], where+"/"+k); err != nil {
					return node{}, err
				}
			}
			if seen[name] {
				return node{}, fmt.Errorf("%s: the field %q appears both with and without \".$\": %w", where+"/"+k, name, ErrInvalid)
			}
			seen[name] = true
			constant = constant && val.kind == kindConst
			n.fields = append(n.fields, field{name: name, val: val})
		}
		if constant {
			return node{kind: kindConst, value: v}, nil
		}
		return n, nil
	case []any:
		n := node{kind: kindArray, items: make([]node, len(x))}
		constant := true
		for i, e := range x {
			item, err := compileJSONPath(e, where+"["+strconv.Itoa(i)+"]")
			if err != nil {
				return node{}, err
			}
			constant = constant && item.kind == kindConst
			n.items[i] = item
		}
		if constant {
			return node{kind: kindConst, value: v}, nil
		}
		return n, nil
	}
	return node{kind: kindConst, value: v}, nil
}

// compileDynamic compiles the value of a "key.$" field.
func compileDynamic(key string, v any, where string) (node, error) {
	s, ok := v.(string)
	if !ok {
		return node{}, fmt.Errorf("%s/%s: the value for the field '%s' must be a valid JSONPath or a valid intrinsic function call: %w", where, key, key, ErrInvalid)
	}
	if intrinsic.IsIntrinsic(s) {
		c, err := intrinsic.Parse(s)
		if err != nil {
			return node{}, fmt.Errorf("%s/%s: the value for the field '%s' must be a valid intrinsic function call: %w: %w", where, key, key, ErrInvalid, err)
		}
		return node{kind: kindCall, call: c, key: key}, nil
	}
	p, err := jsonpath.Compile(s)
	if err != nil {
		return node{}, fmt.Errorf("%s/%s: the value for the field '%s' must be a valid JSONPath or a valid intrinsic function call: %w: %w", where, key, key, ErrInvalid, err)
	}
	return node{kind: kindPath, path: p, key: key}, nil
}

// CompileJSONata compiles a JSONata-mode template: every string of the form "{% ... %}",
// at any depth, is an expression; everything else is literal.
func CompileJSONata(v any) (*Template, error) {
	root, err := compileJSONata(v, "")
	if err != nil {
		return nil, err
	}
	return &Template{root: root}, nil
}

func compileJSONata(v any, where string) (node, error) {
	switch x := v.(type) {
	case string:
		src, ok := jsonata.Unwrap(x)
		if !ok {
			return node{kind: kindConst, value: v}, nil
		}
		e, err := jsonata.Compile(src)
		if err != nil {
			at := where
			if at == "" {
				at = "/"
			}
			return node{}, fmt.Errorf("%s: %w: %w", at, ErrInvalid, err)
		}
		return node{kind: kindJSONata, expr: e, where: where}, nil
	case map[string]any:
		n := node{kind: kindObject, fields: make([]field, 0, len(x))}
		constant := true
		for _, k := range sortedKeys(x) {
			val, err := compileJSONata(x[k], where+"/"+k)
			if err != nil {
				return node{}, err
			}
			constant = constant && val.kind == kindConst
			n.fields = append(n.fields, field{name: k, val: val})
		}
		if constant {
			return node{kind: kindConst, value: v}, nil
		}
		return n, nil
	case []any:
		n := node{kind: kindArray, items: make([]node, len(x))}
		constant := true
		for i, e := range x {
			item, err := compileJSONata(e, where+"["+strconv.Itoa(i)+"]")
			if err != nil {
				return node{}, err
			}
			constant = constant && item.kind == kindConst
			n.items[i] = item
		}
		if constant {
			return node{kind: kindConst, value: v}, nil
		}
		return n, nil
	}
	return node{kind: kindConst, value: v}, nil
}

// CompileValue compiles a field that holds a single value. In JSONata mode it is CompileJSONata.
// In JSONPath mode a string is a path when it starts with "$", an intrinsic call when it looks
// like one, and literal otherwise; objects and arrays are payload templates.
func CompileValue(v any, jsonataMode bool) (*Template, error) {
	if jsonataMode {
		return CompileJSONata(v)
	}
	s, ok := v.(string)
	if !ok {
		return CompileJSONPath(v)
	}
	switch {
	case intrinsic.IsIntrinsic(s):
		c, err := intrinsic.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		return &Template{root: node{kind: kindCall, call: c}}, nil
	case strings.HasPrefix(s, "$"):
		p, err := jsonpath.Compile(s)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		return &Template{root: node{kind: kindPath, path: p}}, nil
	}
	return &Template{root: node{kind: kindConst, value: v}}, nil
}

// Eval evaluates the template. Failures are *fault.Error values: a path that selects nothing
// raises PathFailure, an intrinsic function States.IntrinsicFailure, a JSONata expression
// States.QueryEvaluationError.
func (t *Template) Eval(env Env) (any, error) {
	return t.root.eval(&env)
}

func (n *node) eval(env *Env) (any, error) {
	switch n.kind {
	case kindConst:
		return n.value, nil
	case kindObject:
		out := make(map[string]any, len(n.fields))
		for i := range n.fields {
			f := &n.fields[i]
			v, err := f.val.eval(env)
			if err != nil {
				return nil, err
			}
			out[f.name] = v
		}
		return out, nil
	case kindArray:
		out := make([]any, len(n.items))
		for i := range n.items {
			v, err := n.items[i].eval(env)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case kindPath:
		if n.path.Context() {
			env.resolveContext()
		}
		v, err := n.path.GetFrom(env.Input, env.Context, env.Vars)
		if err != nil {
			if errors.Is(err, jsonpath.ErrIndexOutOfRange) {
				// Step Functions selects null for an array index past the end.
				return nil, nil
			}
			return nil, pathFailure(n.path.String(), n.key, n.path, env)
		}
		return v, nil
	case kindCall:
		if n.call.UsesContext() {
			env.resolveContext()
		}
		v, err := n.call.Eval(intrinsic.Env{Input: env.Input, Context: env.Context, Vars: env.Vars, Rand: env.Rand})
		if err != nil {
			var pe *intrinsic.PathError
			if errors.As(err, &pe) {
				p, _ := jsonpath.Compile(pe.Path)
				return nil, pathFailure(pe.Path, n.key, p, env)
			}
			return nil, fault.As(err)
		}
		return v, nil
	case kindJSONata:
		v, err := n.expr.EvalEnv(jsonata.Env{States: env.States, Vars: env.Vars, Rand: env.Rand})
		if err != nil {
			var je *jsonata.Error
			if errors.As(err, &je) {
				return nil, je.Fault(env.Field + n.where)
			}
			return nil, fault.As(err)
		}
		return v, nil
	}
	return nil, fault.New(fault.Runtime, "unknown template node %d", n.kind)
}

// resolveContext fills Context from LazyContext once per evaluation.
func (env *Env) resolveContext() {
	if env.Context == nil && env.LazyContext != nil {
		env.Context = env.LazyContext()
		env.LazyContext = nil
	}
}

// pathFailure builds the fault for a path that selected nothing, naming the document it was
// applied to as Step Functions does.
func pathFailure(path, key string, p *jsonpath.Path, env *Env) *fault.Error {
	doc, what := env.Input, "input"
	if p != nil {
		switch {
		case p.Context():
			doc, what = env.Context, "context object"
		case p.Variable() != "":
			if env.Vars != nil {
				if _, ok := env.Vars(p.Variable()); !ok {
					return fault.New(PathFailure, "The variable '$%s' referenced by the field '%s' is not defined", p.Variable(), key)
				}
			}
			doc, what = nil, "variable"
		}
	}
	rendered, err := intrinsic.Marshal(doc)
	if err != nil {
		rendered = fmt.Sprint(doc)
	}
	if key == "" {
		return fault.New(PathFailure, "The JSONPath '%s' could not be found in the %s '%s'", path, what, rendered)
	}
	if what == "variable" {
		return fault.New(PathFailure, "The JSONPath '%s' specified for the field '%s' could not be found in the variable '$%s'", path, key, p.Variable())
	}
	return fault.New(PathFailure, "The JSONPath '%s' specified for the field '%s' could not be found in the %s '%s'", path, key, what, rendered)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
