// Package jsonpath owns the JSONPath dialect of the Amazon States Language: compiling path
// expressions (the Jayway-style syntax that Step Functions accepts, including context-object paths
// "$$..." and workflow-variable paths "$name..."), selecting values from JSON documents and writing
// a value at a reference path the way ResultPath does.
//
// Documents are the values encoding/json produces when it unmarshals into any: map[string]any,
// []any, float64, string, bool and nil. The package never mutates a document it is given: Set
// copies only the maps and slices along the path it changes, and Get returns parts of the
// document, not copies, which callers must treat as immutable too. It knows nothing of states, of
// intrinsic functions or of the errors the interpreter raises; callers turn its errors into
// States.* failures.
package jsonpath

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrNoMatch is wrapped by Get when a definite path selects nothing.
var ErrNoMatch = errors.New("path matched nothing")

// ErrIndexOutOfRange is wrapped, together with ErrNoMatch, when a definite path selects nothing
// because an array index lies outside the array. Payload templates treat this case leniently.
var ErrIndexOutOfRange = errors.New("array index out of range")

// ErrNotReference is returned by Set when the path is not a reference path.
var ErrNotReference = errors.New("not a reference path")

// ErrSetMismatch is wrapped by Set when an intermediate node along the path is neither an
// object nor an array that the next step can descend into.
var ErrSetMismatch = errors.New("path cannot be applied to the document")

// ErrUnknownVariable is wrapped by GetFrom when a variable path names an unknown variable.
var ErrUnknownVariable = errors.New("unknown variable")

// SyntaxError reports an invalid path expression and the byte offset where parsing failed.
type SyntaxError struct {
	Expr string
	Pos  int
	Msg  string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSONPath %q at position %d: %s", e.Expr, e.Pos, e.Msg)
}

type rootKind uint8

const (
	rootInput    rootKind = iota // $
	rootContext                  // $$
	rootVariable                 // $name
)

// Path is a compiled JSONPath expression. It is immutable and safe for concurrent use.
type Path struct {
	src       string
	root      rootKind
	variable  string
	steps     []step
	fn        function // applied to the selection; fnNone when absent
	definite  bool
	reference bool
}

// Compile parses a JSONPath expression. It must start with "$": "$" and "$.a" select from the
// input, "$$" and "$$.a" from the context object, "$name" and "$name.a" from the workflow
// variable "name".
func Compile(expr string) (*Path, error) {
	p := &parser{src: expr}
	return p.parsePath()
}

// MustCompile is Compile for expressions known to be valid; it panics on a syntax error.
func MustCompile(expr string) *Path {
	p, err := Compile(expr)
	if err != nil {
		panic(err)
	}
	return p
}

// IsContextPath reports whether expr addresses the context object ("$$" or "$$." ...).
func IsContextPath(expr string) bool {
	return len(expr) >= 2 && expr[0] == '$' && expr[1] == '$'
}

// String returns the expression the path was compiled from.
func (p *Path) String() string { return p.src }

// Context reports whether the path addresses the context object.
func (p *Path) Context() bool { return p.root == rootContext }

// Variable returns the workflow variable the path starts from, or "" for "$" and "$$" paths.
func (p *Path) Variable() string { return p.variable }

// IsReference reports whether the path is a Reference Path: only named fields and array indexes,
// no wildcards, deep scans, unions, slices, filters or functions.
func (p *Path) IsReference() bool { return p.reference }

// IsDefinite reports whether the path selects at most one node.
func (p *Path) IsDefinite() bool { return p.definite }

// Get applies the path to doc. A definite path returns the node it selects, or an error wrapping
// ErrNoMatch; an indefinite path returns a []any of every match, possibly empty. A trailing
// function such as length() is applied to that result.
func (p *Path) Get(doc any) (any, error) {
	if p.definite {
		v, m := walkDefinite(doc, p.steps)
		switch m {
		case missing:
			return nil, fmt.Errorf("%s: %w", p.src, ErrNoMatch)
		case outOfRange:
			return nil, fmt.Errorf("%s: %w: %w", p.src, ErrNoMatch, ErrIndexOutOfRange)
		}
		if p.fn != fnNone {
			return p.applyFunction(v)
		}
		return v, nil
	}
	matches := selectAll(doc, doc, p.steps)
	if p.fn != fnNone {
		return p.applyFunction(matches)
	}
	return matches, nil
}

// GetFrom applies the path to the document its root names: input for "$" paths, context for
// "$$" paths, and the value of the named variable for variable paths.
func (p *Path) GetFrom(input, context any, vars func(string) (any, bool)) (any, error) {
	switch p.root {
	case rootContext:
		return p.Get(context)
	case rootVariable:
		if vars == nil {
			return nil, fmt.Errorf("variable %q: %w", p.variable, ErrUnknownVariable)
		}
		v, ok := vars(p.variable)
		if !ok {
			return nil, fmt.Errorf("variable %q: %w", p.variable, ErrUnknownVariable)
		}
		return p.Get(v)
	default:
		return p.Get(input)
	}
}

func (p *Path) applyFunction(v any) (any, error) {
	out, err := p.fn.apply(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.src, err)
	}
	return out, nil
}

// Canonical renders the path the way Jayway prints paths in its errors, which Step Functions
// quotes in causes such as "Invalid path '$.a' : No results for path: $['a']": names in
// brackets and quotes, filters as [?].
func (p *Path) Canonical() string {
	var b strings.Builder
	switch p.root {
	case rootContext:
		b.WriteString("$$")
	case rootVariable:
		b.WriteString("$" + p.variable)
	default:
		b.WriteString("$")
	}
	quote := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }
	for _, s := range p.steps {
		if s.deep {
			b.WriteString("..")
		}
		switch s.kind {
		case stepField:
			b.WriteString("[" + quote(s.name) + "]")
		case stepIndex:
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
		case stepWildcard:
			b.WriteString("[*]")
		case stepNames:
			parts := make([]string, len(s.names))
			for i, n := range s.names {
				parts[i] = quote(n)
			}
			b.WriteString("[" + strings.Join(parts, ",") + "]")
		case stepIndexes:
			parts := make([]string, len(s.indexes))
			for i, n := range s.indexes {
				parts[i] = strconv.Itoa(n)
			}
			b.WriteString("[" + strings.Join(parts, ",") + "]")
		case stepSlice:
			b.WriteString("[")
			if s.slice.hasStart {
				b.WriteString(strconv.Itoa(s.slice.start))
			}
			b.WriteString(":")
			if s.slice.hasEnd {
				b.WriteString(strconv.Itoa(s.slice.end))
			}
			if s.slice.step != 0 {
				b.WriteString(":" + strconv.Itoa(s.slice.step))
			}
			b.WriteString("]")
		case stepFilter:
			b.WriteString("[?]")
		}
	}
	if p.fn != fnNone {
		b.WriteString("." + p.fn.String() + "()")
	}
	return b.String()
}
