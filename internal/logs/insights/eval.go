package insights

import (
	"fmt"
	"math"
	"regexp"
	"regexp/syntax"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// record is one row flowing through a query: a log event's fields, or a stats group's columns.
// An event's system fields are read from the event itself; fields holds the others (made when
// the first one is set) and any system field that a command overwrote.
type record struct {
	ev     *Event
	ptr    func(*Event) string
	fields map[string]Value
	aggs   []Value // a stats group's aggregate results while its columns are computed
	seq    int64   // arrival order, for stable sorts
}

func (r *record) get(name string) Value {
	if v, ok := r.fields[name]; ok {
		return v
	}
	if r.ev != nil && len(name) > 1 && name[0] == '@' {
		return r.system(name)
	}
	return null
}

// system returns a system field of the record's event.
func (r *record) system(name string) Value {
	e := r.ev
	switch name {
	case "@timestamp":
		return timeMS(e.Timestamp)
	case "@ingestionTime":
		return timeMS(e.Ingestion)
	case "@message":
		return str(e.Message)
	case "@logStream":
		if e.Stream != "" {
			return str(e.Stream)
		}
	case "@log":
		if e.Group != "" {
			return str(e.Group)
		}
	case "@ptr":
		if r.ptr != nil {
			return str(r.ptr(e))
		}
	}
	return null
}

func (r *record) set(name string, v Value) {
	if r.fields == nil {
		r.fields = make(map[string]Value, 4)
	}
	if v.isNull() {
		if r.ev != nil && len(name) > 1 && name[0] == '@' {
			r.fields[name] = null // hides the system field
			return
		}
		delete(r.fields, name)
		return
	}
	r.fields[name] = v
}

type expr interface {
	eval(r *record) Value
}

type lit struct{ v Value }

func (l *lit) eval(*record) Value { return l.v }

// durationLit is a time period such as 5m; as a value it is its length in milliseconds.
type durationLit struct{ d period }

func (d *durationLit) eval(*record) Value { return num(float64(d.d.approxMS())) }

type fieldRef struct{ name string }

func (f *fieldRef) eval(r *record) Value { return r.get(f.name) }

type aggRef struct{ index int }

func (a *aggRef) eval(r *record) Value {
	if a.index < len(r.aggs) {
		return r.aggs[a.index]
	}
	return null
}

type logic struct {
	or   bool
	l, r expr
}

func (x *logic) eval(r *record) Value {
	if x.or {
		return boolean(x.l.eval(r).truth() || x.r.eval(r).truth())
	}
	return boolean(x.l.eval(r).truth() && x.r.eval(r).truth())
}

type notExpr struct{ x expr }

func (x *notExpr) eval(r *record) Value { return boolean(!x.x.eval(r).truth()) }

type cmpExpr struct {
	op   string
	l, r expr
}

func (x *cmpExpr) eval(r *record) Value {
	c, ok := compare(x.l.eval(r), x.r.eval(r))
	if !ok {
		return boolean(false)
	}
	switch x.op {
	case "=":
		return boolean(c == 0)
	case "!=":
		return boolean(c != 0)
	case "<":
		return boolean(c < 0)
	case "<=":
		return boolean(c <= 0)
	case ">":
		return boolean(c > 0)
	}
	return boolean(c >= 0)
}

// matchExpr is "like" and "=~": a substring (case-sensitive) or a regular expression.
type matchExpr struct {
	x   expr
	sub string
	re  *regexp.Regexp
	// alts, when set, are literals of which the regex matches any (/a|b/): a substring search
	// for each is much cheaper than the regex engine.
	alts   []string
	negate bool
}

// literalAlternatives returns the literals of a regex that is only literals joined by |, with
// no flags or other syntax.
func literalAlternatives(src string) []string {
	re, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return nil
	}
	re = re.Simplify()
	lit := func(r *syntax.Regexp) (string, bool) {
		if r.Op != syntax.OpLiteral || r.Flags&syntax.FoldCase != 0 {
			return "", false
		}
		return string(r.Rune), true
	}
	if s, ok := lit(re); ok {
		return []string{s}
	}
	if re.Op != syntax.OpAlternate {
		return nil
	}
	var out []string
	for _, sub := range re.Sub {
		s, ok := lit(sub)
		if !ok {
			return nil
		}
		out = append(out, s)
	}
	return out
}

func (x *matchExpr) eval(r *record) Value {
	v := x.x.eval(r)
	if v.isNull() {
		return boolean(false)
	}
	s := v.String()
	var m bool
	switch {
	case x.alts != nil:
		for _, a := range x.alts {
			if strings.Contains(s, a) {
				m = true
				break
			}
		}
	case x.re != nil:
		m = x.re.MatchString(s)
	default:
		m = strings.Contains(s, x.sub)
	}
	return boolean(m != x.negate)
}

type inExpr struct {
	x      expr
	list   []expr
	negate bool
}

func (x *inExpr) eval(r *record) Value {
	v := x.x.eval(r)
	if v.isNull() {
		return boolean(false)
	}
	for _, e := range x.list {
		if c, ok := compare(v, e.eval(r)); ok && c == 0 {
			return boolean(!x.negate)
		}
	}
	return boolean(x.negate)
}

type arith struct {
	op   byte
	l, r expr
}

func (x *arith) eval(r *record) Value {
	a, ok1 := x.l.eval(r).number()
	b, ok2 := x.r.eval(r).number()
	if !ok1 || !ok2 {
		return null
	}
	var n float64
	switch x.op {
	case '+':
		n = a + b
	case '-':
		n = a - b
	case '*':
		n = a * b
	case '/':
		if b == 0 {
			return null
		}
		n = a / b
	case '%':
		if b == 0 {
			return null
		}
		n = math.Mod(a, b)
	default:
		n = math.Pow(a, b)
	}
	if math.IsNaN(n) || math.IsInf(n, 0) {
		return null
	}
	return num(n)
}

type callExpr struct {
	name string
	fn   *function
	args []expr
	per  period // the time period argument of a function that takes one
}

func (c *callExpr) eval(r *record) Value {
	var buf [4]Value
	vals := buf[:0]
	for _, a := range c.args {
		vals = append(vals, a.eval(r))
	}
	if c.fn.timed != nil {
		return c.fn.timed(r, vals, c.per)
	}
	return c.fn.do(r, vals)
}

// function is a scalar function of the query language.
type function struct {
	min, max int // max < 0: any number
	// periodArg is the argument that takes a time period (like 5m), or -1; such a function
	// is timed rather than do.
	periodArg int
	do        func(r *record, args []Value) Value
	timed     func(r *record, args []Value, p period) Value
}

func (f *function) arity() string {
	switch {
	case f.max < 0:
		return fmt.Sprintf("at least %d arguments", f.min)
	case f.min == f.max:
		return fmt.Sprintf("%d arguments", f.min)
	}
	return fmt.Sprintf("%d to %d arguments", f.min, f.max)
}

func strFn(f func(string) string) *function {
	return &function{min: 1, max: 1, periodArg: -1, do: func(_ *record, a []Value) Value {
		if a[0].isNull() {
			return null
		}
		return str(f(a[0].String()))
	}}
}

func numFn(f func(float64) float64) *function {
	return &function{min: 1, max: 1, periodArg: -1, do: func(_ *record, a []Value) Value {
		n, ok := a[0].number()
		if !ok {
			return null
		}
		r := f(n)
		if math.IsNaN(r) || math.IsInf(r, 0) {
			return null
		}
		return num(r)
	}}
}

// functions are the scalar functions, by lower-case name.
var functions = map[string]*function{
	"strlen": {min: 1, max: 1, periodArg: -1, do: func(_ *record, a []Value) Value {
		if a[0].isNull() {
			return null
		}
		return num(float64(utf8.RuneCountInString(a[0].String())))
	}},
	"tolower": strFn(strings.ToLower),
	"toupper": strFn(strings.ToUpper),
	"trim":    strFn(strings.TrimSpace),
	"ltrim":   strFn(func(s string) string { return strings.TrimLeftFunc(s, unicode.IsSpace) }),
	"rtrim":   strFn(func(s string) string { return strings.TrimRightFunc(s, unicode.IsSpace) }),
	"concat": {min: 1, max: -1, periodArg: -1, do: func(_ *record, a []Value) Value {
		var b strings.Builder
		for _, v := range a {
			b.WriteString(v.String())
		}
		return str(b.String())
	}},
	"substr": {min: 2, max: 3, periodArg: -1, do: substr},
	"replace": {min: 3, max: 3, periodArg: -1, do: func(_ *record, a []Value) Value {
		if a[0].isNull() {
			return null
		}
		return str(strings.ReplaceAll(a[0].String(), a[1].String(), a[2].String()))
	}},
	"strcontains": {min: 2, max: 2, periodArg: -1, do: func(_ *record, a []Value) Value {
		if a[0].isNull() {
			return boolean(false)
		}
		return boolean(strings.Contains(a[0].String(), a[1].String()))
	}},
	"ispresent": {min: 1, max: 1, periodArg: -1, do: func(_ *record, a []Value) Value { return boolean(!a[0].isNull()) }},
	"isempty": {min: 1, max: 1, periodArg: -1, do: func(_ *record, a []Value) Value {
		return boolean(a[0].isNull() || a[0].String() == "")
	}},
	"isblank": {min: 1, max: 1, periodArg: -1, do: func(_ *record, a []Value) Value {
		return boolean(a[0].isNull() || strings.TrimSpace(a[0].String()) == "")
	}},
	"abs":   numFn(math.Abs),
	"ceil":  numFn(math.Ceil),
	"floor": numFn(math.Floor),
	"sqrt":  numFn(math.Sqrt),
	"log":   numFn(math.Log),
	"coalesce": {min: 1, max: -1, periodArg: -1, do: func(_ *record, a []Value) Value {
		for _, v := range a {
			if !v.isNull() {
				return v
			}
		}
		return null
	}},
	"greatest": {min: 1, max: -1, periodArg: -1, do: func(_ *record, a []Value) Value { return extreme(a, 1) }},
	"least":    {min: 1, max: -1, periodArg: -1, do: func(_ *record, a []Value) Value { return extreme(a, -1) }},
	"bin": {min: 1, max: 1, periodArg: 0, timed: func(r *record, _ []Value, p period) Value {
		return floorTime(r.get("@timestamp"), p)
	}},
	"datefloor": {min: 2, max: 2, periodArg: 1, timed: func(_ *record, a []Value, p period) Value { return floorTime(a[0], p) }},
	"dateceil": {min: 2, max: 2, periodArg: 1, timed: func(_ *record, a []Value, p period) Value {
		t := toTime(a[0])
		f := floorTime(t, p)
		if f.isNull() || f.n == t.n {
			return f
		}
		return timeMS(p.add(f.millis()))
	}},
	"frommillis": {min: 1, max: 1, periodArg: -1, do: func(_ *record, a []Value) Value {
		n, ok := a[0].number()
		if !ok {
			return null
		}
		return timeMS(int64(n))
	}},
	"tomillis": {min: 1, max: 1, periodArg: -1, do: func(_ *record, a []Value) Value {
		t := toTime(a[0])
		if t.isNull() {
			return null
		}
		return num(t.n)
	}},
}

func substr(_ *record, a []Value) Value {
	if a[0].isNull() {
		return null
	}
	rs := []rune(a[0].String())
	start, ok := a[1].number()
	if !ok {
		return null
	}
	s := min(max(int(start), 0), len(rs))
	e := len(rs)
	if len(a) == 3 {
		n, ok := a[2].number()
		if !ok {
			return null
		}
		e = min(s+max(int(n), 0), len(rs))
	}
	return str(string(rs[s:e]))
}

func extreme(a []Value, sign int) Value {
	best := null
	for _, v := range a {
		if v.isNull() {
			continue
		}
		if best.isNull() {
			best = v
			continue
		}
		if c, ok := compare(v, best); ok && c*sign > 0 {
			best = v
		}
	}
	return best
}

// toTime reads a value as a point in time: a time, a number of milliseconds, or a timestamp
// written as Insights writes them (or RFC 3339).
func toTime(v Value) Value {
	switch v.k {
	case vTime:
		return v
	case vNum:
		return timeMS(int64(v.n))
	case vStr:
		if n, ok := v.number(); ok {
			return timeMS(int64(n))
		}
		for _, layout := range []string{TimeLayout, time.RFC3339Nano} {
			if t, err := time.Parse(layout, v.s); err == nil {
				return timeMS(t.UnixMilli())
			}
		}
	}
	return null
}

func floorTime(t Value, p period) Value {
	t = toTime(t)
	if t.isNull() {
		return null
	}
	return timeMS(p.floor(t.millis()))
}
