package insights

import (
	"fmt"
	"math"
)

// aggregate describes an aggregate function of stats.
type aggregate struct {
	min, max int
	new      func() aggState
}

func (a aggregate) arity() string {
	if a.min == a.max {
		return fmt.Sprintf("%d arguments", a.min)
	}
	return fmt.Sprintf("%d to %d arguments", a.min, a.max)
}

// aggState accumulates one aggregate of one group.
type aggState interface {
	add(r *record, v Value)
	result() Value
}

// aggregates are the aggregate functions of stats, by lower-case name.
var aggregates = map[string]aggregate{
	"count":          {0, 1, func() aggState { return &countAgg{} }},
	"count_distinct": {1, 1, func() aggState { return &distinctAgg{seen: map[string]struct{}{}} }},
	"sum":            {1, 1, func() aggState { return &sumAgg{} }},
	"avg":            {1, 1, func() aggState { return &sumAgg{avg: true} }},
	"min":            {1, 1, func() aggState { return &extremeAgg{sign: -1} }},
	"max":            {1, 1, func() aggState { return &extremeAgg{sign: 1} }},
	"stddev":         {1, 1, func() aggState { return &stddevAgg{} }},
	"earliest":       {1, 1, func() aggState { return &timedAgg{latest: false} }},
	"latest":         {1, 1, func() aggState { return &timedAgg{latest: true} }},
}

// aggSpec is one aggregate call of a stats command.
type aggSpec struct {
	fn    string
	args  []expr // none for count(*)
	index int
}

func hasAgg(x expr) bool {
	switch x := x.(type) {
	case *aggRef:
		return true
	case *arith:
		return hasAgg(x.l) || hasAgg(x.r)
	case *callExpr:
		for _, a := range x.args {
			if hasAgg(a) {
				return true
			}
		}
	}
	return false
}

type countAgg struct{ n int64 }

func (a *countAgg) add(_ *record, v Value) {
	if !v.isNull() {
		a.n++
	}
}
func (a *countAgg) result() Value { return num(float64(a.n)) }

// maxDistinct bounds the values that count_distinct remembers per group; past it the count is
// an estimate, as Insights documents for high-cardinality fields.
const maxDistinct = 100000

type distinctAgg struct {
	seen  map[string]struct{}
	extra int64
}

func (a *distinctAgg) add(_ *record, v Value) {
	if v.isNull() {
		return
	}
	s := v.String()
	if _, ok := a.seen[s]; ok {
		return
	}
	if len(a.seen) >= maxDistinct {
		a.extra++
		return
	}
	a.seen[s] = struct{}{}
}
func (a *distinctAgg) result() Value { return num(float64(int64(len(a.seen)) + a.extra)) }

type sumAgg struct {
	avg bool
	sum float64
	n   int64
}

func (a *sumAgg) add(_ *record, v Value) {
	if n, ok := v.number(); ok {
		a.sum += n
		a.n++
	}
}

func (a *sumAgg) result() Value {
	if a.n == 0 {
		return null
	}
	if a.avg {
		return num(a.sum / float64(a.n))
	}
	return num(a.sum)
}

type extremeAgg struct {
	sign int
	best Value
}

func (a *extremeAgg) add(_ *record, v Value) {
	if v.isNull() {
		return
	}
	if n, ok := v.number(); ok && !v.isTime() {
		v = num(n)
	}
	if a.best.isNull() {
		a.best = v
		return
	}
	if c, ok := compare(v, a.best); ok && c*a.sign > 0 {
		a.best = v
	}
}
func (a *extremeAgg) result() Value { return a.best }

// stddevAgg is the sample standard deviation, by Welford's method.
type stddevAgg struct {
	n        int64
	mean, m2 float64
}

func (a *stddevAgg) add(_ *record, v Value) {
	x, ok := v.number()
	if !ok {
		return
	}
	a.n++
	d := x - a.mean
	a.mean += d / float64(a.n)
	a.m2 += d * (x - a.mean)
}

func (a *stddevAgg) result() Value {
	if a.n < 2 {
		return null
	}
	return num(math.Sqrt(a.m2 / float64(a.n-1)))
}

// timedAgg is earliest and latest: the value of the event with the lowest or highest @timestamp.
type timedAgg struct {
	latest bool
	at     float64
	v      Value
}

func (a *timedAgg) add(r *record, v Value) {
	if v.isNull() {
		return
	}
	t := r.get("@timestamp").n
	if a.v.isNull() || a.latest && t >= a.at || !a.latest && t < a.at {
		a.at, a.v = t, v
	}
}
func (a *timedAgg) result() Value { return a.v }
