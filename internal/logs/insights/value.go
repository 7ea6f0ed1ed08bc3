package insights

import (
	"math"
	"strconv"
	"strings"
	"time"
)

type vkind uint8

const (
	vNull vkind = iota
	vStr
	vNum
	vTime // Unix milliseconds in n
	vBool
)

// Value is a field's value or an expression's result: absent, a string, a number, a point in
// time, or a truth value. Values read from log events are strings; they act as numbers where a
// number is needed and they hold one.
type Value struct {
	k vkind
	s string
	n float64
}

var null = Value{}

func str(s string) Value      { return Value{k: vStr, s: s} }
func num(n float64) Value     { return Value{k: vNum, n: n} }
func timeMS(ms int64) Value   { return Value{k: vTime, n: float64(ms)} }
func boolean(b bool) Value    { return Value{k: vBool, n: b2f(b)} }
func (v Value) isNull() bool  { return v.k == vNull }
func (v Value) isTime() bool  { return v.k == vTime }
func (v Value) millis() int64 { return int64(v.n) }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// TimeLayout is how Insights writes timestamps in query results.
const TimeLayout = "2006-01-02 15:04:05.000"

// String is the value as query results show it.
func (v Value) String() string {
	switch v.k {
	case vStr:
		return v.s
	case vNum:
		return formatNumber(v.n)
	case vTime:
		return time.UnixMilli(int64(v.n)).UTC().Format(TimeLayout)
	case vBool:
		if v.n != 0 {
			return "true"
		}
		return "false"
	}
	return ""
}

func formatNumber(n float64) string {
	if n == math.Trunc(n) && math.Abs(n) < 1e15 {
		return strconv.FormatInt(int64(n), 10)
	}
	return strconv.FormatFloat(n, 'f', -1, 64)
}

// number returns the value as a number when it is one (a string holding only a number counts).
func (v Value) number() (float64, bool) {
	switch v.k {
	case vNum, vTime:
		return v.n, true
	case vStr:
		s := strings.TrimSpace(v.s)
		if s == "" || !(s[0] >= '0' && s[0] <= '9' || s[0] == '-' || s[0] == '+' || s[0] == '.') {
			return 0, false
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return 0, false
		}
		return f, true
	}
	return 0, false
}

// truth is the value as a filter condition.
func (v Value) truth() bool {
	switch v.k {
	case vBool, vNum, vTime:
		return v.n != 0
	case vStr:
		return v.s != ""
	}
	return false
}

// compare orders a and b for comparisons: numerically when both are numbers, else as strings.
// ok is false when either is absent.
func compare(a, b Value) (int, bool) {
	if a.isNull() || b.isNull() {
		return 0, false
	}
	x, xn := a.number()
	y, yn := b.number()
	if xn != yn && (a.k == vNum || a.k == vTime || b.k == vNum || b.k == vTime) {
		// A number does not compare with a string that holds none.
		return 0, false
	}
	if xn && yn {
		switch {
		case x < y:
			return -1, true
		case x > y:
			return 1, true
		}
		return 0, true
	}
	return strings.Compare(a.String(), b.String()), true
}

// sortCompare orders values for the sort command: Insights' natural order, where every value
// that is not a number comes before every number, runs of digits inside strings compare by
// length and then by value, and everything else by Unicode order. Absent values come last.
func sortCompare(a, b Value) int {
	switch {
	case a.isNull() && b.isNull():
		return 0
	case a.isNull():
		return 1
	case b.isNull():
		return -1
	}
	x, xn := a.number()
	y, yn := b.number()
	switch {
	case xn && yn:
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return strings.Compare(a.String(), b.String())
	case xn:
		return 1
	case yn:
		return -1
	}
	return naturalCompare(a.String(), b.String())
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func naturalCompare(a, b string) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if isDigit(a[i]) && isDigit(b[j]) {
			si, sj := i, j
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			ra, rb := a[si:i], b[sj:j]
			if len(ra) != len(rb) {
				if len(ra) < len(rb) {
					return -1
				}
				return 1
			}
			if c := strings.Compare(ra, rb); c != 0 {
				return c
			}
			continue
		}
		if a[i] != b[j] {
			if a[i] < b[j] {
				return -1
			}
			return 1
		}
		i++
		j++
	}
	switch {
	case len(a)-i < len(b)-j:
		return -1
	case len(a)-i > len(b)-j:
		return 1
	}
	return 0
}
