package filterpattern

import (
	"math"
	"regexp"
	"strconv"
)

// node is one boolean expression of a JSON pattern, evaluated on the text of a JSON message.
type node interface {
	eval(msg string, sc *jsonScanner) bool
}

type andNode struct{ l, r node }

func (n andNode) eval(msg string, sc *jsonScanner) bool {
	return n.l.eval(msg, sc) && n.r.eval(msg, sc)
}

type orNode struct{ l, r node }

func (n orNode) eval(msg string, sc *jsonScanner) bool { return n.l.eval(msg, sc) || n.r.eval(msg, sc) }

// step is one part of a selector: a key, an index, or a wildcard over all elements.
type step struct {
	key      string
	index    int
	isIndex  bool
	wildcard bool
}

type selector []step

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

func (n cmpNode) eval(msg string, sc *jsonScanner) bool {
	vals, ok := sc.selectJSON(msg, n.sel)
	if !ok {
		return false
	}
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

func (n cmpNode) evalOne(v jsonValue) bool {
	switch n.op {
	case opIsTrue:
		return v.kind == jsonTrue
	case opIsFalse:
		return v.kind == jsonFalse
	case opIsNull:
		return v.kind == jsonNull
	}
	text, ok := v.scalarText()
	return evalCompare(n.op, text, ok, n.val)
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
