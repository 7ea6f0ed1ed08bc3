package filterpattern

import (
	"encoding/json"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// node is one boolean expression of a JSON pattern.
type node interface {
	eval(doc any) bool
}

type andNode struct{ l, r node }

func (n andNode) eval(doc any) bool { return n.l.eval(doc) && n.r.eval(doc) }

type orNode struct{ l, r node }

func (n orNode) eval(doc any) bool { return n.l.eval(doc) || n.r.eval(doc) }

// step is one part of a selector: a key, an index, or a wildcard over all elements.
type step struct {
	key      string
	index    int
	isIndex  bool
	wildcard bool
}

type selector []step

// values returns every value that the selector reaches in doc.
func (s selector) values(doc any) []any {
	cur := []any{doc}
	for _, st := range s {
		var next []any
		for _, v := range cur {
			switch x := v.(type) {
			case map[string]any:
				if st.wildcard {
					for _, e := range x {
						next = append(next, e)
					}
				} else if !st.isIndex {
					if e, ok := x[st.key]; ok {
						next = append(next, e)
					}
				}
			case []any:
				switch {
				case st.wildcard:
					next = append(next, x...)
				case st.isIndex && st.index < len(x):
					next = append(next, x[st.index])
				}
			}
		}
		cur = next
	}
	return cur
}

type cmpOp int

const (
	opEq cmpOp = iota
	opNe
	opLt
	opLe
	opGt
	opGe
	opIsTrue
	opIsFalse
	opIsNull
	opNotExists
)

// literal is the right-hand side of a comparison.
type literal struct {
	str     string
	num     float64
	isNum   bool
	re      *regexp.Regexp
	hasGlob bool
}

type cmpNode struct {
	sel selector
	op  cmpOp
	val literal
}

func (n cmpNode) eval(doc any) bool {
	vals := n.sel.values(doc)
	if n.op == opNotExists {
		return len(vals) == 0
	}
	for _, v := range vals {
		if n.evalOne(v) {
			return true
		}
	}
	return false
}

func (n cmpNode) evalOne(v any) bool {
	switch n.op {
	case opIsTrue:
		return v == true
	case opIsFalse:
		return v == false
	case opIsNull:
		return v == nil
	}
	text, ok := scalarText(v)
	return evalCompare(n.op, text, ok, n.val)
}

// scalarText renders a JSON scalar the way it appears in the event; ok is false for objects,
// arrays and null, which no value comparison matches.
func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// evalCompare applies op between a field value's text (ok is false when the value is not a
// scalar) and the literal. Numeric literals compare numerically with numbers and numeric strings;
// string literals match exactly or with * wildcards; regular expressions match anywhere.
func evalCompare(op cmpOp, s string, ok bool, lit literal) bool {
	if !ok {
		return false
	}
	if lit.isNum {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) {
			return false
		}
		switch op {
		case opEq:
			return f == lit.num
		case opNe:
			return f != lit.num
		case opLt:
			return f < lit.num
		case opLe:
			return f <= lit.num
		case opGt:
			return f > lit.num
		case opGe:
			return f >= lit.num
		}
		return false
	}
	var eq bool
	switch {
	case lit.re != nil:
		eq = lit.re.MatchString(s)
	case lit.hasGlob:
		eq = globMatch(lit.str, s)
	default:
		eq = s == lit.str
	}
	switch op {
	case opEq:
		return eq
	case opNe:
		return !eq
	}
	return false
}

// globMatch reports whether s matches pattern, where * matches any run of characters.
func globMatch(pattern, s string) bool {
	px, sx := 0, 0
	starP, starS := -1, 0
	for sx < len(s) {
		switch {
		case px < len(pattern) && pattern[px] == '*':
			starP, starS = px, sx
			px++
		case px < len(pattern) && pattern[px] == s[sx]:
			px++
			sx++
		case starP >= 0:
			starS++
			px, sx = starP+1, starS
		default:
			return false
		}
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}

// decodeJSON parses a whole message as one JSON value, keeping numbers exact.
func decodeJSON(message string) (any, bool) {
	s := strings.TrimSpace(message)
	if s == "" || (s[0] != '{' && s[0] != '[') {
		return nil, false
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return doc, true
}
