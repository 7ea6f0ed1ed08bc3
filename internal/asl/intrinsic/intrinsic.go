// Package intrinsic owns the intrinsic functions of the Amazon States Language (States.Format,
// States.Array, States.Hash, ...): parsing a call such as
// "States.Format('{} items', States.ArrayLength($.items))" once, and evaluating it against a
// state's input, the context object and the workflow variables.
//
// Arguments are JSON values as encoding/json decodes them. Evaluation never mutates them, and every
// runtime failure is a *fault.Error: States.IntrinsicFailure for bad arguments, States.Runtime for a
// path argument that selects nothing (see PathError). The package knows nothing of payload
// templates or states; internal/asl/template decides where calls may appear.
package intrinsic

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ceap/ceap/internal/asl/fault"
	"github.com/ceap/ceap/internal/asl/jsonpath"
)

// MaxNesting is how deeply intrinsic calls may nest within one field (AWS: "You can nest up to 10
// intrinsic functions within a field").
const MaxNesting = 10

// SyntaxError reports an invalid intrinsic call and the byte offset where parsing failed.
type SyntaxError struct {
	Expr string
	Pos  int
	Msg  string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid intrinsic function %q at position %d: %s", e.Expr, e.Pos, e.Msg)
}

// PathError is returned by Eval when a path argument selects nothing. It unwraps both to the
// jsonpath error and to a *fault.Error named States.Runtime, so callers can either match the
// failure or rebuild the cause with the field name, as AWS does.
type PathError struct {
	Path string
	Err  error
}

func (e *PathError) Error() string {
	return fmt.Sprintf("the JSONPath '%s' could not be found: %v", e.Path, e.Err)
}

// Unwrap returns the jsonpath error and the States.Runtime fault.
func (e *PathError) Unwrap() []error {
	return []error{e.Err, &fault.Error{Name: fault.Runtime, Cause: fmt.Sprintf("The JSONPath '%s' could not be found in the input", e.Path)}}
}

// Env is what a call may read while it is evaluated.
type Env struct {
	Input   any
	Context any
	Vars    func(name string) (any, bool)
	Rand    func() float64 // nil -> math/rand; makes MathRandom and UUID testable
}

// Call is a parsed intrinsic function call. It is immutable and safe for concurrent use.
type Call struct {
	src  string
	fn   *function
	args []arg
}

type argKind uint8

const (
	argLiteral argKind = iota
	argPath
	argCall
)

type arg struct {
	kind  argKind
	value any      // argLiteral
	holes []string // argLiteral strings: the text around each unescaped "{}" (for States.Format)
	path  *jsonpath.Path
	call  *Call
}

// IsIntrinsic reports whether s looks like an intrinsic function call: "States.Name(...)".
func IsIntrinsic(s string) bool {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "States.") || !strings.HasSuffix(s, ")") {
		return false
	}
	open := strings.IndexByte(s, '(')
	return open > len("States.")
}

// Parse parses an intrinsic function call, checking the function name, the argument count and
// every path argument.
func Parse(expr string) (*Call, error) {
	p := &parser{src: expr}
	p.skipSpaces()
	c, err := p.parseCall(1)
	if err != nil {
		return nil, err
	}
	p.skipSpaces()
	if !p.eof() {
		return nil, p.errorf("unexpected %q after the call", p.src[p.pos])
	}
	c.src = strings.TrimSpace(expr)
	return c, nil
}

// String returns the call's source text.
func (c *Call) String() string { return c.src }

// Name returns the function name, such as "States.Format".
func (c *Call) Name() string { return c.fn.name }

// UsesContext reports whether any argument, at any depth, is a context-object path ("$$...").
func (c *Call) UsesContext() bool {
	for i := range c.args {
		a := &c.args[i]
		if (a.kind == argPath && a.path.Context()) || (a.kind == argCall && a.call.UsesContext()) {
			return true
		}
	}
	return false
}

// Eval evaluates the call. Failures are *fault.Error values (see the package comment).
func (c *Call) Eval(env Env) (any, error) {
	vals := make([]any, len(c.args))
	for i := range c.args {
		v, err := c.args[i].eval(env)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	out, err := c.fn.eval(c, vals, env)
	if err != nil {
		var fe *fault.Error
		if errors.As(err, &fe) {
			return nil, err
		}
		return nil, intrinsicFailure(c.fn.name, err)
	}
	return out, nil
}

func (a *arg) eval(env Env) (any, error) {
	switch a.kind {
	case argPath:
		v, err := a.path.GetFrom(env.Input, env.Context, env.Vars)
		if err != nil {
			return nil, &PathError{Path: a.path.String(), Err: err}
		}
		return v, nil
	case argCall:
		return a.call.Eval(env)
	default:
		return a.value, nil
	}
}
