package jsonata

import (
	"fmt"
	"reflect"
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
// "$$" or an unqualified field name at its top level (they may appear nested, for example in a
// filter or a function body).
func checkTopLevel(n jparse.Node) error {
	switch x := n.(type) {
	case nil:
		return nil
	case *jparse.NameNode:
		return fmt.Errorf("the unqualified field name %q at the top level: %w (use $states.input.%s)", x.Value, ErrUnsupported, x.Value)
	case *jparse.VariableNode:
		switch x.Name {
		case "":
			return fmt.Errorf("\"$\" at the top level: %w (use $states.input)", ErrUnsupported)
		case "$":
			return fmt.Errorf("\"$$\" at the top level: %w (use $states.input)", ErrUnsupported)
		}
	case *jparse.WildcardNode, *jparse.DescendentNode:
		return fmt.Errorf("a wildcard at the top level: %w", ErrUnsupported)
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
		return checkAll(x.Args...)
	case *jparse.PartialNode:
		return checkAll(x.Args...)
	case *jparse.FunctionApplicationNode:
		return checkTopLevel(x.LHS)
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
