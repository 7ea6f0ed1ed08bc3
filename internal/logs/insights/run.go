package insights

import (
	"container/heap"
	"strings"
)

// DefaultLimit is how many rows a query returns when it has no limit command (10,000, the
// documented default of the limit command and of StartQuery's limit).
const DefaultLimit = 10000

// Event is one log event as a query reads it.
type Event struct {
	Timestamp int64 // Unix milliseconds
	Ingestion int64 // Unix milliseconds
	Message   string
	Stream    string
	Group     string // "account:name", as @log shows it
	// StreamID and ID are the caller's identifiers of the event, for its Pointer function.
	StreamID, ID int64
}

// Field is one field of a result row, its value written as Insights writes it.
type Field struct {
	Name  string
	Value string
}

// Run is one evaluation of a query over a stream of events in time order. It is not safe for
// concurrent use.
type Run struct {
	q       *Query
	head    stage
	sink    *sink
	matched int64
	stopped bool
	seq     int64
	ptr     func(*Event) string
}

// Start begins a run whose result holds at most limit rows (DefaultLimit when 0).
func (q *Query) Start(limit int) *Run {
	if limit <= 0 || limit > MaxLimit {
		limit = DefaultLimit
	}
	r := &Run{q: q, sink: &sink{cap: limit, columns: q.columns, ptr: !q.stats}}
	var next stage = r.sink
	counted := false
	bound := limit // how many rows the stages after a sort can take
	for i := len(q.commands) - 1; i >= 0; i-- {
		switch c := q.commands[i].(type) {
		case *fieldsCmd:
			next = &fieldsStage{c: c, link: link{next}}
		case *filterCmd:
			next = &filterStage{c: c, link: link{next}}
			bound = limit
		case *parseCmd:
			next = &parseStage{c: c, link: link{next}}
		case *displayCmd:
		case *limitCmd:
			bound = min(bound, c.n)
			next = &limitStage{n: c.n, link: link{next}}
		case *sortCmd:
			next = &sortStage{c: c, link: link{next}, bound: bound}
			bound = limit
		case *dedupCmd:
			next = &dedupStage{c: c, link: link{next}, seen: map[string]struct{}{}}
			bound = limit
		case *statsCmd:
			next = &statsStage{c: c, link: link{next}, groups: map[string]*group{}}
			bound = limit
		}
	}
	// recordsMatched counts the events that pass every filter before the first command that
	// gathers or cuts rows.
	var stages []stage
	for s := next; s != nil; s = s.successor() {
		stages = append(stages, s)
	}
	r.head = next
	for i, s := range stages {
		switch s.(type) {
		case *statsStage, *sortStage, *limitStage, *dedupStage, *sink:
			if !counted {
				counted = true
				c := &counter{n: &r.matched, link: link{s}}
				if i == 0 {
					r.head = c
				} else {
					stages[i-1].setSuccessor(c)
				}
			}
		}
	}
	return r
}

// SetPointer sets the function that makes an event's @ptr, which rows show and GetLogRecord
// reads; it is called only for the events that a result row or an expression needs.
func (r *Run) SetPointer(f func(*Event) string) { r.ptr = f }

// Add feeds one event; the run keeps e (it must not be changed afterwards). Add to the run and reports whether the run wants more.
func (r *Run) Add(e *Event) bool {
	if r.stopped {
		return false
	}
	r.seq++
	rec := &record{ev: e, ptr: r.ptr, seq: r.seq}
	if r.q.json {
		discover(rec, e.Message)
	}
	if !r.head.push(rec) {
		r.stopped = true
	}
	return !r.stopped
}

// Matched is how many events have matched the query's filters so far.
func (r *Run) Matched() int64 { return r.matched }

// Finish ends the run and returns its rows.
func (r *Run) Finish() [][]Field {
	r.head.flush()
	return r.sink.rows
}

// stage is one command of a run: push takes a row (false: send no more), flush ends the input.
type stage interface {
	push(r *record) bool
	flush()
	successor() stage
	setSuccessor(s stage)
}

// link is a stage's successor. Every stage but the sink embeds it: a stage that holds no rows
// back ends its input by ending its successor's.
type link struct{ next stage }

func (l *link) flush()               { l.next.flush() }
func (l *link) successor() stage     { return l.next }
func (l *link) setSuccessor(s stage) { l.next = s }

type counter struct {
	n *int64
	link
}

func (c *counter) push(r *record) bool { *c.n++; return c.next.push(r) }

type fieldsStage struct {
	c *fieldsCmd
	link
}

func (s *fieldsStage) push(r *record) bool {
	for _, it := range s.c.items {
		if _, isRef := it.x.(*fieldRef); isRef && it.x.(*fieldRef).name == it.name {
			continue
		}
		r.set(it.name, it.x.eval(r))
	}
	return s.next.push(r)
}

type filterStage struct {
	c *filterCmd
	link
}

func (s *filterStage) push(r *record) bool {
	if !s.c.cond.eval(r).truth() {
		return true
	}
	return s.next.push(r)
}

type parseStage struct {
	c *parseCmd
	link
}

func (s *parseStage) push(r *record) bool {
	if v := s.c.src.eval(r); !v.isNull() {
		if m := s.c.re.FindStringSubmatch(v.String()); m != nil {
			for i, n := range s.c.names {
				r.set(n, str(m[s.c.groups[i]]))
			}
		}
	}
	return s.next.push(r)
}

type limitStage struct {
	n, seen int
	link
}

func (s *limitStage) push(r *record) bool {
	if s.seen >= s.n {
		return false
	}
	s.seen++
	return s.next.push(r) && s.seen < s.n
}

type dedupStage struct {
	c    *dedupCmd
	seen map[string]struct{}
	link
}

func (s *dedupStage) push(r *record) bool {
	var b strings.Builder
	for _, k := range s.c.keys {
		v := k.eval(r)
		if v.isNull() {
			return true // dedup drops the events that lack one of its fields
		}
		b.WriteString(v.String())
		b.WriteByte(0)
	}
	key := b.String()
	if _, dup := s.seen[key]; dup {
		return true
	}
	s.seen[key] = struct{}{}
	return s.next.push(r)
}

type group struct {
	by   []Value
	aggs []aggState
	seq  int64
}

type statsStage struct {
	c      *statsCmd
	groups map[string]*group
	order  []*group
	link
}

func (s *statsStage) push(r *record) bool {
	var b strings.Builder
	by := make([]Value, len(s.c.by))
	for i, e := range s.c.by {
		by[i] = e.x.eval(r)
		b.WriteByte(byte(by[i].k))
		b.WriteString(by[i].String())
		b.WriteByte(0)
	}
	key := b.String()
	g := s.groups[key]
	if g == nil {
		g = &group{by: by, aggs: make([]aggState, len(s.c.aggs)), seq: int64(len(s.order))}
		for i, a := range s.c.aggs {
			g.aggs[i] = aggregates[a.fn].new()
		}
		s.groups[key] = g
		s.order = append(s.order, g)
	}
	for i, a := range s.c.aggs {
		v := Value{k: vBool, n: 1}
		if len(a.args) > 0 {
			v = a.args[0].eval(r)
		}
		g.aggs[i].add(r, v)
	}
	return true
}

func (s *statsStage) flush() {
	for _, g := range s.order {
		out := &record{fields: make(map[string]Value, len(s.c.by)+len(s.c.outs)), seq: g.seq, aggs: make([]Value, len(g.aggs))}
		for i, a := range g.aggs {
			out.aggs[i] = a.result()
		}
		for i, b := range s.c.by {
			out.set(b.name, g.by[i])
		}
		for _, o := range s.c.outs {
			out.set(o.name, o.x.eval(out))
		}
		out.aggs = nil
		if !s.next.push(out) {
			break
		}
	}
	s.groups, s.order = nil, nil
	s.next.flush()
}

// sortStage sorts its rows; when only bound rows can leave it, it keeps just those in a heap.
type sortStage struct {
	c     *sortCmd
	bound int
	rows  sortHeap
	link
}

type sortedRow struct {
	r    *record
	keys []Value
}

// sortHeap holds rows with the one that sorts last on top.
type sortHeap struct {
	keys []sortKey
	rows []sortedRow
}

func (h *sortHeap) less(a, b sortedRow) bool {
	for i, k := range h.keys {
		c := sortCompare(a.keys[i], b.keys[i])
		if k.desc && !a.keys[i].isNull() && !b.keys[i].isNull() {
			c = -c
		}
		if c != 0 {
			return c < 0
		}
	}
	return a.r.seq < b.r.seq
}

func (h *sortHeap) Len() int           { return len(h.rows) }
func (h *sortHeap) Less(i, j int) bool { return h.less(h.rows[j], h.rows[i]) }
func (h *sortHeap) Swap(i, j int)      { h.rows[i], h.rows[j] = h.rows[j], h.rows[i] }
func (h *sortHeap) Push(x any)         { h.rows = append(h.rows, x.(sortedRow)) }
func (h *sortHeap) Pop() any {
	x := h.rows[len(h.rows)-1]
	h.rows = h.rows[:len(h.rows)-1]
	return x
}

func (s *sortStage) push(r *record) bool {
	s.rows.keys = s.c.keys
	row := sortedRow{r: r, keys: make([]Value, len(s.c.keys))}
	for i, k := range s.c.keys {
		row.keys[i] = k.x.eval(r)
	}
	if s.bound > 0 && len(s.rows.rows) >= s.bound {
		if !s.rows.less(row, s.rows.rows[0]) {
			return true
		}
		s.rows.rows[0] = row
		heap.Fix(&s.rows, 0)
		return true
	}
	heap.Push(&s.rows, row)
	return true
}

func (s *sortStage) flush() {
	out := make([]sortedRow, len(s.rows.rows))
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = heap.Pop(&s.rows).(sortedRow)
	}
	for _, row := range out {
		if !s.next.push(row.r) {
			break
		}
	}
	s.next.flush()
}

// sink turns rows into result fields.
type sink struct {
	cap     int
	columns []string
	ptr     bool
	rows    [][]Field
}

func (s *sink) push(r *record) bool {
	if len(s.rows) >= s.cap {
		return false
	}
	row := make([]Field, 0, len(s.columns)+1)
	for _, c := range s.columns {
		if v := r.get(c); !v.isNull() {
			row = append(row, Field{Name: c, Value: v.String()})
		}
	}
	if s.ptr {
		if v := r.get("@ptr"); !v.isNull() {
			row = append(row, Field{Name: "@ptr", Value: v.String()})
		}
	}
	if len(row) == 0 {
		return true
	}
	s.rows = append(s.rows, row)
	return len(s.rows) < s.cap
}
func (s *sink) flush()             {}
func (s *sink) successor() stage   { return nil }
func (s *sink) setSuccessor(stage) {}

// Discover returns the fields that Insights discovers in a message (a JSON object's members,
// nested ones with dotted names), as GetLogRecord shows them beside the system fields.
func Discover(msg string) map[string]string {
	rec := &record{}
	discover(rec, msg)
	out := make(map[string]string, len(rec.fields))
	for k, v := range rec.fields {
		out[k] = v.String()
	}
	return out
}
