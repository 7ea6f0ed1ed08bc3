package asl

import (
	"strings"
	"time"

	"github.com/ceap/ceap/internal/asl/fault"
	"github.com/ceap/ceap/internal/asl/jsonpath"
)

// comparison kinds of Choice rule operators.
const (
	kindString = iota
	kindNumeric
	kindBoolean
	kindTimestamp
	kindMatches
	kindIsNull
	kindIsPresent
	kindIsNumeric
	kindIsString
	kindIsBoolean
	kindIsTimestamp
)

// comparison relations.
const (
	relEq = iota
	relLt
	relLe
	relGt
	relGe
)

type operator struct {
	kind, rel int
	path      bool // the ...Path variant: the operand is a path into the input
}

// lookupOperator returns the comparison operator a Choice rule field names.
func lookupOperator(name string) (operator, bool) {
	switch name {
	case "StringMatches":
		return operator{kind: kindMatches}, true
	case "IsNull":
		return operator{kind: kindIsNull}, true
	case "IsPresent":
		return operator{kind: kindIsPresent}, true
	case "IsNumeric":
		return operator{kind: kindIsNumeric}, true
	case "IsString":
		return operator{kind: kindIsString}, true
	case "IsBoolean":
		return operator{kind: kindIsBoolean}, true
	case "IsTimestamp":
		return operator{kind: kindIsTimestamp}, true
	case "BooleanEquals":
		return operator{kind: kindBoolean}, true
	case "BooleanEqualsPath":
		return operator{kind: kindBoolean, path: true}, true
	}
	var op operator
	base, isPath := strings.CutSuffix(name, "Path")
	op.path = isPath
	var rel string
	switch {
	case strings.HasPrefix(base, "String"):
		op.kind, rel = kindString, base[len("String"):]
	case strings.HasPrefix(base, "Numeric"):
		op.kind, rel = kindNumeric, base[len("Numeric"):]
	case strings.HasPrefix(base, "Timestamp"):
		op.kind, rel = kindTimestamp, base[len("Timestamp"):]
	default:
		return op, false
	}
	switch rel {
	case "Equals":
		op.rel = relEq
	case "LessThan":
		op.rel = relLt
	case "LessThanEquals":
		op.rel = relLe
	case "GreaterThan":
		op.rel = relGt
	case "GreaterThanEquals":
		op.rel = relGe
	default:
		return op, false
	}
	return op, true
}

// choiceRule is a compiled Choice rule: a comparison, a boolean combination, or (JSONata) a
// Condition. Only top-level rules have next, assign and output.
type choiceRule struct {
	variable  *jsonpath.Path
	opName    string
	op        operator
	operand   any
	opPath    *jsonpath.Path
	and, or   []*choiceRule
	not       *choiceRule
	condition *expr
	next      string
	assign    *expr
	output    *expr
}

// match evaluates the rule against the state's effective input.
func (r *choiceRule) match(env *evalEnv) (bool, error) {
	switch {
	case r.condition != nil:
		v, err := r.condition.eval(env)
		if err != nil {
			return false, err
		}
		b, ok := v.(bool)
		if !ok {
			return false, fault.New(fault.QueryEvaluationError, "The Condition field evaluated to a non-boolean value: %s", compactJSON(v))
		}
		return b, nil
	case r.and != nil:
		for _, sub := range r.and {
			ok, err := sub.match(env)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case r.or != nil:
		for _, sub := range r.or {
			ok, err := sub.match(env)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case r.not != nil:
		ok, err := r.not.match(env)
		return !ok, err
	}
	v, err := getPath(r.variable, env)
	if err != nil {
		if r.op.kind == kindIsPresent {
			return r.operand == false, nil
		}
		return false, fault.New(fault.Runtime, "Invalid path '%s': The choice state's condition path references an invalid value.", r.variable.String())
	}
	operand := r.operand
	if r.op.path {
		operand, err = getPath(r.opPath, env)
		if err != nil {
			return false, fault.New(fault.Runtime, "Invalid path '%s': The choice state's condition path references an invalid value.", r.opPath.String())
		}
	}
	return compare(r.op, v, operand), nil
}

func getPath(p *jsonpath.Path, env *evalEnv) (any, error) {
	var ctx any
	if p.Context() && env.context != nil {
		ctx = env.context()
	}
	return p.GetFrom(env.input, ctx, env.vars)
}

func compare(op operator, v, operand any) bool {
	switch op.kind {
	case kindIsNull:
		return (v == nil) == (operand == true)
	case kindIsPresent:
		return operand == true
	case kindIsNumeric:
		_, ok := v.(float64)
		return ok == (operand == true)
	case kindIsString:
		_, ok := v.(string)
		return ok == (operand == true)
	case kindIsBoolean:
		_, ok := v.(bool)
		return ok == (operand == true)
	case kindIsTimestamp:
		s, ok := v.(string)
		if ok {
			_, ok = parseTimestamp(s)
		}
		return ok == (operand == true)
	case kindMatches:
		s, ok1 := v.(string)
		pat, ok2 := operand.(string)
		return ok1 && ok2 && wildcardMatch(pat, s)
	case kindBoolean:
		a, ok1 := v.(bool)
		b, ok2 := operand.(bool)
		return ok1 && ok2 && a == b
	case kindNumeric:
		a, ok1 := v.(float64)
		b, ok2 := operand.(float64)
		return ok1 && ok2 && relate(op.rel, cmpFloat(a, b))
	case kindString:
		a, ok1 := v.(string)
		b, ok2 := operand.(string)
		return ok1 && ok2 && relate(op.rel, strings.Compare(a, b))
	case kindTimestamp:
		a, ok1 := v.(string)
		b, ok2 := operand.(string)
		if !ok1 || !ok2 {
			return false
		}
		ta, ok1 := parseTimestamp(a)
		tb, ok2 := parseTimestamp(b)
		return ok1 && ok2 && relate(op.rel, ta.Compare(tb))
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func relate(rel, c int) bool {
	switch rel {
	case relEq:
		return c == 0
	case relLt:
		return c < 0
	case relLe:
		return c <= 0
	case relGt:
		return c > 0
	default:
		return c >= 0
	}
}

// parseTimestamp parses an RFC 3339 timestamp with an uppercase T and zone designator, as the
// Amazon States Language requires.
func parseTimestamp(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// wildcardMatch implements StringMatches: "*" matches any run of characters, "\*" a literal
// asterisk and "\\" a literal backslash.
func wildcardMatch(pattern, s string) bool {
	// Split the pattern into literal segments separated by unescaped asterisks.
	var segs []string
	var cur strings.Builder
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch {
		case c == '\\' && i+1 < len(pattern):
			i++
			cur.WriteByte(pattern[i])
		case c == '*':
			segs = append(segs, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	segs = append(segs, cur.String())
	if len(segs) == 1 {
		return s == segs[0]
	}
	if !strings.HasPrefix(s, segs[0]) {
		return false
	}
	s = s[len(segs[0]):]
	last := segs[len(segs)-1]
	for _, seg := range segs[1 : len(segs)-1] {
		i := strings.Index(s, seg)
		if i < 0 {
			return false
		}
		s = s[i+len(seg):]
	}
	return len(s) >= len(last) && strings.HasSuffix(s, last)
}
