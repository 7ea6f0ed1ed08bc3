package jsonata

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/xiatechs/jsonata-go/jparse"
)

// protectStrings rewrites '.' and '/' inside string literals as \u escapes. The library
// rewrites quoted path steps and strips /* comments */ with regular expressions before parsing,
// and those would otherwise corrupt literals such as "Mr." or "a/*b".
func protectStrings(src string) string {
	if !strings.ContainsAny(src, `'"`) {
		return src
	}
	var b strings.Builder
	b.Grow(len(src) + 16)
	var quote byte
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case quote == 0:
			if c == '\'' || c == '"' {
				quote = c
			} else if c == '`' {
				// A backquoted name runs to the next backquote, untouched.
				if j := strings.IndexByte(src[i+1:], '`'); j >= 0 {
					b.WriteString(src[i : i+j+2])
					i += j + 1
					continue
				}
			}
			b.WriteByte(c)
		case c == '\\' && i+1 < len(src):
			b.WriteByte(c)
			b.WriteByte(src[i+1])
			i++
		case c == quote:
			quote = 0
			b.WriteByte(c)
		case c == '.':
			b.WriteString(`\u002e`)
		case c == '/':
			b.WriteString(`\u002f`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// checkTopLevel enforces the States Language rule that an expression must not reference "$",
// "$$" or an unqualified field name at its top level, the way Step Functions applies it when a
// definition is created: only the first step of a path reads the top-level context (later steps,
// predicates, sort terms and groupings read the value before them), while function arguments,
// operands, object keys and values, and lambda bodies (which keep the context of the expression
// that defines them) read it too. Wildcards and descendants are not refused.
func checkTopLevel(n jparse.Node) error {
	switch x := n.(type) {
	case nil:
		return nil
	case *jparse.NameNode:
		return fmt.Errorf("Reference to '%s' at the top level is not supported: %w", x.Value, ErrUnsupported)
	case *jparse.VariableNode:
		switch x.Name {
		case "":
			return fmt.Errorf("Reference to '$' at the top level is not supported: %w", ErrUnsupported)
		case "$":
			return fmt.Errorf("Reference to '$$' is not supported: %w", ErrUnsupported)
		}
	case *jparse.PathNode:
		if len(x.Steps) > 0 {
			return checkTopLevel(x.Steps[0])
		}
	case *jparse.PredicateNode:
		return checkTopLevel(x.Expr)
	case *jparse.SortNode:
		return checkTopLevel(x.Expr)
	case *jparse.GroupNode:
		return checkTopLevel(x.Expr)
	case *jparse.FunctionCallNode:
		return checkAll(append([]jparse.Node{x.Func}, x.Args...)...)
	case *jparse.PartialNode:
		return checkAll(append([]jparse.Node{x.Func}, x.Args...)...)
	case *jparse.LambdaNode:
		return checkTopLevel(x.Body)
	case *jparse.TypedLambdaNode:
		return checkTopLevel(x.Body)
	case *jparse.FunctionApplicationNode:
		return checkAll(x.LHS, x.RHS)
	case *jparse.NegationNode:
		return checkTopLevel(x.RHS)
	case *jparse.RangeNode:
		return checkAll(x.LHS, x.RHS)
	case *jparse.NumericOperatorNode:
		return checkAll(x.LHS, x.RHS)
	case *jparse.ComparisonOperatorNode:
		return checkAll(x.LHS, x.RHS)
	case *jparse.BooleanOperatorNode:
		return checkAll(x.LHS, x.RHS)
	case *jparse.StringConcatenationNode:
		return checkAll(x.LHS, x.RHS)
	case *jparse.ConditionalNode:
		return checkAll(x.If, x.Then, x.Else)
	case *jparse.AssignmentNode:
		return checkTopLevel(x.Value)
	case *jparse.BlockNode:
		return checkAll(x.Exprs...)
	case *jparse.ArrayNode:
		return checkAll(x.Items...)
	case *jparse.ObjectNode:
		for _, pair := range x.Pairs {
			if err := checkAll(pair[0], pair[1]); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkAll(nodes ...jparse.Node) error {
	for _, n := range nodes {
		if err := checkTopLevel(n); err != nil {
			return err
		}
	}
	return nil
}

// referencedVariables returns the name of every $variable anywhere in the tree.
func referencedVariables(root jparse.Node) map[string]struct{} {
	names := make(map[string]struct{})
	var visit func(v reflect.Value, depth int)
	visit = func(v reflect.Value, depth int) {
		if depth > 10000 {
			return
		}
		switch v.Kind() {
		case reflect.Interface, reflect.Pointer:
			if v.IsNil() {
				return
			}
			if vn, ok := v.Interface().(*jparse.VariableNode); ok {
				names[vn.Name] = struct{}{}
				return
			}
			visit(v.Elem(), depth+1)
		case reflect.Struct:
			t := v.Type()
			for i := range v.NumField() {
				if t.Field(i).IsExported() {
					visit(v.Field(i), depth+1)
				}
			}
		case reflect.Slice, reflect.Array:
			for i := range v.Len() {
				visit(v.Index(i), depth+1)
			}
		}
	}
	visit(reflect.ValueOf(root), 0)
	return names
}

// maxNesting bounds how deeply brackets may nest in an expression. The library parses and
// evaluates recursively, and a Go stack overflow cannot be recovered: it would end the process.
const maxNesting = 200

// checkNesting rejects expressions whose brackets nest deeper than maxNesting.
func checkNesting(src string) error {
	depth := 0
	var quote byte
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"' || c == '`':
			quote = c
		case c == '(' || c == '[' || c == '{':
			depth++
			if depth > maxNesting {
				return fmt.Errorf("brackets nested more than %d deep: %w", maxNesting, ErrUnsupported)
			}
		case c == ')' || c == ']' || c == '}':
			depth--
		}
	}
	return nil
}

// checkRecursion rejects expressions whose user-defined functions could call themselves, for
// the same reason as checkNesting: unbounded recursion would overflow the stack. It refuses a
// cycle among functions bound with ":=", and a function that calls a parameter or another
// variable that may hold a function when functions are passed around as values (the shape of
// every indirect recursion).
func checkRecursion(root jparse.Node) error {
	a := recursionAnalysis{
		named:  make(map[string][]string),
		params: make(map[string]bool),
	}
	a.visit(reflect.ValueOf(root))
	if a.indirectCall && a.escapes {
		return fmt.Errorf("a function that calls a function passed to it: %w", ErrUnsupported)
	}
	// Depth-first search for a cycle among the named functions.
	state := make(map[string]int) // 0 unseen, 1 on the stack, 2 done
	var cyclic func(name string) bool
	cyclic = func(name string) bool {
		switch state[name] {
		case 1:
			return true
		case 2:
			return false
		}
		state[name] = 1
		for _, callee := range a.named[name] {
			if _, isNamed := a.named[callee]; isNamed && cyclic(callee) {
				return true
			}
		}
		state[name] = 2
		return false
	}
	for name := range a.named {
		if cyclic(name) {
			return fmt.Errorf("the function $%s can call itself: recursion is %w", name, ErrUnsupported)
		}
	}
	return nil
}

type recursionAnalysis struct {
	named        map[string][]string // function bound with := -> the variables its body calls
	params       map[string]bool     // every lambda parameter
	calls        []string            // variables called inside the lambda being visited
	inLambda     bool
	indirectCall bool // a lambda calls a variable that is neither a built-in nor a named function
	escapes      bool // a function is used as a value rather than called
}

func (a *recursionAnalysis) visit(v reflect.Value) {
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return
		}
		switch n := v.Interface().(type) {
		case *jparse.AssignmentNode:
			if body, params, ok := lambdaOf(n.Value); ok {
				calls := a.lambda(body, params)
				a.named[n.Name] = append(a.named[n.Name], calls...)
				return
			}
		case *jparse.LambdaNode:
			a.escapes = true
			a.lambda(n.Body, n.ParamNames)
			return
		case *jparse.TypedLambdaNode:
			a.escapes = true
			a.lambda(n.Body, n.ParamNames)
			return
		case *jparse.FunctionCallNode:
			a.callee(n.Func)
			for _, arg := range n.Args {
				a.visit(reflect.ValueOf(arg))
			}
			return
		case *jparse.PartialNode:
			a.callee(n.Func)
			for _, arg := range n.Args {
				a.visit(reflect.ValueOf(arg))
			}
			return
		case *jparse.FunctionApplicationNode:
			a.visit(reflect.ValueOf(n.LHS))
			if _, isVar := n.RHS.(*jparse.VariableNode); isVar {
				a.callee(n.RHS)
			} else {
				a.visit(reflect.ValueOf(n.RHS))
			}
			return
		case *jparse.VariableNode:
			if _, isNamed := a.named[n.Name]; isNamed {
				a.escapes = true
			}
			return
		}
		a.visit(v.Elem())
	case reflect.Struct:
		t := v.Type()
		for i := range v.NumField() {
			if t.Field(i).IsExported() {
				a.visit(v.Field(i))
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			a.visit(v.Index(i))
		}
	}
}

func lambdaOf(n jparse.Node) (jparse.Node, []string, bool) {
	switch l := n.(type) {
	case *jparse.LambdaNode:
		return l.Body, l.ParamNames, true
	case *jparse.TypedLambdaNode:
		return l.Body, l.ParamNames, true
	}
	return nil, nil, false
}

// lambda analyses a function body and returns the variables it calls.
func (a *recursionAnalysis) lambda(body jparse.Node, params []string) []string {
	for _, p := range params {
		a.params[p] = true
	}
	outerCalls, outerIn := a.calls, a.inLambda
	a.calls, a.inLambda = nil, true
	a.visit(reflect.ValueOf(body))
	calls := a.calls
	a.calls, a.inLambda = append(outerCalls, calls...), outerIn
	return calls
}

func (a *recursionAnalysis) callee(fn jparse.Node) {
	v, ok := fn.(*jparse.VariableNode)
	if !ok {
		a.visit(reflect.ValueOf(fn))
		return
	}
	if a.inLambda {
		a.calls = append(a.calls, v.Name)
		if _, isNamed := a.named[v.Name]; a.params[v.Name] || (!isNamed && !isBuiltin(v.Name)) {
			a.indirectCall = true
		}
	}
}

// isBuiltin reports whether $name is a function every expression has: JSONata's own, the
// date functions, and those this package provides.
func isBuiltin(name string) bool {
	switch name {
	case "string", "length", "substring", "substringBefore", "substringAfter", "uppercase",
		"lowercase", "pad", "trim", "contains", "split", "join", "match", "replace",
		"formatNumber", "formatBase", "base64encode", "base64decode", "decodeUrl",
		"decodeUrlComponent", "encodeUrl", "encodeUrlComponent", "number", "abs", "floor", "ceil",
		"round", "power", "sqrt", "random", "sum", "max", "min", "average", "boolean", "not",
		"exists", "distinct", "count", "reverse", "sort", "shuffle", "zip", "append", "map",
		"filter", "reduce", "single", "each", "sift", "keys", "lookup", "spread", "merge",
		"fromMillis", "toMillis", "type", "error", "now", "millis":
		return true
	}
	return isProvidedFunction(name)
}

// preprocess applies the rewrites the library makes to the source before parsing (comments
// removed, quoted path steps turned into backquoted names), so that positions reported by
// jparse.Parse on the result are positions in the text the library itself parses.
func preprocess(src string) string {
	quotedPath := regexp.MustCompile(`([A-Za-z\$\\*` + "`" + `])\.[\"']([\s\S]+?)[\"']`)
	quotedPathStart := regexp.MustCompile(`^[\"']([ \.0-9A-Za-z]+?)[\"']\.([A-Za-z\$\*\"\'])`)
	comments := regexp.MustCompile(`\/\*([\s\S]*?)\*\/`)
	if quotedPathStart.MatchString(src) {
		src = quotedPathStart.ReplaceAllString(src, "`$1`.$2")
	}
	for quotedPath.MatchString(src) {
		src = quotedPath.ReplaceAllString(src, "$1.`$2`")
	}
	for comments.MatchString(src) {
		src = comments.ReplaceAllString(src, "")
	}
	return src
}

// placeholdFunctionApplications rewrites every "x ~> $f(a)" as "x ~> $f(?, a)". The two mean
// the same, but the library evaluates the first form by prepending x to the argument list of
// the parsed call, in place: a second evaluation passes x twice, and concurrent evaluations
// race. A partial application is evaluated without touching the tree.
func placeholdFunctionApplications(src string, root jparse.Node) string {
	var inserts []int // byte offsets of the '(' of each call to rewrite
	var visit func(v reflect.Value)
	visit = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Interface, reflect.Pointer:
			if v.IsNil() {
				return
			}
			if fa, ok := v.Interface().(*jparse.FunctionApplicationNode); ok {
				if call, ok := fa.RHS.(*jparse.FunctionCallNode); ok {
					if p := call.Pos(); p >= 0 && p < len(src) && src[p] == '(' {
						inserts = append(inserts, p)
					}
				}
			}
			visit(v.Elem())
		case reflect.Struct:
			t := v.Type()
			for i := range v.NumField() {
				if t.Field(i).IsExported() {
					visit(v.Field(i))
				}
			}
		case reflect.Slice, reflect.Array:
			for i := range v.Len() {
				visit(v.Index(i))
			}
		}
	}
	visit(reflect.ValueOf(root))
	if len(inserts) == 0 {
		return src
	}
	slices.Sort(inserts)
	inserts = slices.Compact(inserts) // the walk reaches a node through its interface and its pointer
	var b strings.Builder
	last := 0
	for _, p := range inserts {
		b.WriteString(src[last : p+1])
		rest := strings.TrimLeft(src[p+1:], " \t\r\n")
		if strings.HasPrefix(rest, ")") {
			b.WriteString("?")
		} else {
			b.WriteString("?, ")
		}
		last = p + 1
	}
	b.WriteString(src[last:])
	return b.String()
}

// statesFields returns the fields of $states the expression reads ($states.result ->
// "result"), in the order they appear.
func statesFields(root jparse.Node) []string {
	var out []string
	var visit func(v reflect.Value)
	visit = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Interface, reflect.Pointer:
			if v.IsNil() {
				return
			}
			if p, ok := v.Interface().(*jparse.PathNode); ok && len(p.Steps) >= 2 {
				first, isVar := p.Steps[0].(*jparse.VariableNode)
				second, isName := p.Steps[1].(*jparse.NameNode)
				if isVar && isName && first.Name == "states" && !slices.Contains(out, second.Value) {
					out = append(out, second.Value)
				}
			}
			visit(v.Elem())
		case reflect.Struct:
			t := v.Type()
			for i := range v.NumField() {
				if t.Field(i).IsExported() {
					visit(v.Field(i))
				}
			}
		case reflect.Slice, reflect.Array:
			for i := range v.Len() {
				visit(v.Index(i))
			}
		}
	}
	visit(reflect.ValueOf(root))
	return out
}
