package insights

import (
	"regexp"
	"strconv"
	"strings"
)

// Limits of the query language.
const (
	// MaxQueryLength is the longest query string (10,000 characters, the model's QueryString).
	MaxQueryLength = 10000
	// MaxLimit is the largest limit a query may ask for (10,000 rows).
	MaxLimit = 10000
)

// Query is a compiled Logs Insights query. It is immutable and safe for concurrent use; each run
// of it starts with Start.
type Query struct {
	// Sources are the log groups named by a SOURCE command at the start, if any.
	Sources  []string
	commands []command
	columns  []string // the fields that result rows show, in order
	stats    bool     // whether rows come from a stats command (no @ptr)
	// json is set when the query names a field other than the system fields, so that the
	// fields of JSON messages must be discovered.
	json bool
}

type command interface{ isCommand() }

type namedExpr struct {
	name       string
	x          expr
	start, end int // where the expression is in the query
}

type fieldsCmd struct{ items []namedExpr }
type filterCmd struct{ cond expr }
type parseCmd struct {
	src    expr
	re     *regexp.Regexp
	names  []string // the fields that the pattern sets
	groups []int    // the submatch of each name
}
type statsCmd struct {
	aggs []*aggSpec
	outs []namedExpr // the aggregate expressions, evaluated over a group's results
	by   []namedExpr
}
type sortKey struct {
	x    expr
	desc bool
}
type sortCmd struct{ keys []sortKey }
type limitCmd struct{ n int }
type dedupCmd struct{ keys []expr }
type displayCmd struct{ names []string }

func (fieldsCmd) isCommand()  {}
func (filterCmd) isCommand()  {}
func (parseCmd) isCommand()   {}
func (statsCmd) isCommand()   {}
func (sortCmd) isCommand()    {}
func (limitCmd) isCommand()   {}
func (dedupCmd) isCommand()   {}
func (displayCmd) isCommand() {}

// defaultColumns are the fields shown when a query names none.
var defaultColumns = []string{"@timestamp", "@message", "@logStream", "@log"}

type parser struct {
	lx   lexer
	src  string
	tok  token
	peek *token
	last int // the end of the last token consumed
	// stats is set while the items of a stats command are parsed: aggregate functions are
	// aggregations there and references to a stats column elsewhere.
	stats *statsCmd
	// inAgg is set while the arguments of an aggregate function are parsed.
	inAgg bool
	// json is set once a field other than the system fields is named.
	json bool
}

// Parse compiles a query. A query that does not compile returns a *SyntaxError.
func Parse(src string) (*Query, error) {
	if len(src) > MaxQueryLength {
		return nil, errorAt(src, MaxQueryLength, len(src), "query is longer than %d characters", MaxQueryLength)
	}
	p := &parser{lx: lexer{src: src}, src: src}
	if err := p.advance(); err != nil {
		return nil, err
	}
	q := &Query{}
	if p.isKeyword("source") {
		if err := p.sources(q); err != nil {
			return nil, err
		}
	}
	for {
		if p.tok.kind == tEOF {
			if len(q.commands) == 0 {
				return nil, errorAt(src, p.tok.pos, p.tok.end, "query must contain at least one command")
			}
			break
		}
		c, err := p.command()
		if err != nil {
			return nil, err
		}
		q.commands = append(q.commands, c)
		if p.tok.kind == tEOF {
			break
		}
		if !p.isPunct("|") {
			return nil, p.unexpected()
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	q.columns, q.stats = project(q.commands)
	q.json = p.json
	return q, nil
}

// project works out the columns of the result rows: the last display command's, else the
// fields of the stats command and of fields commands after it, else those of every fields
// command, else the default columns.
func project(cmds []command) ([]string, bool) {
	var cols []string
	stats := false
	add := func(name string) {
		for _, c := range cols {
			if c == name {
				return
			}
		}
		cols = append(cols, name)
	}
	var display []string
	for _, c := range cmds {
		switch c := c.(type) {
		case *statsCmd:
			stats, cols = true, nil
			for _, b := range c.by {
				add(b.name)
			}
			for _, o := range c.outs {
				add(o.name)
			}
		case *fieldsCmd:
			for _, it := range c.items {
				add(it.name)
			}
		case *parseCmd:
			if stats {
				for _, n := range c.names {
					add(n)
				}
			}
		case *displayCmd:
			display = c.names
		}
	}
	if display != nil {
		return display, stats
	}
	if cols == nil {
		return defaultColumns, stats
	}
	return cols, stats
}

func (p *parser) advance() error {
	p.last = p.tok.end
	if p.peek != nil {
		p.tok, p.peek = *p.peek, nil
		return nil
	}
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *parser) lookahead() (token, error) {
	if p.peek == nil {
		t, err := p.lx.next()
		if err != nil {
			return token{}, err
		}
		p.peek = &t
	}
	return *p.peek, nil
}

func (p *parser) isKeyword(k string) bool {
	return p.tok.kind == tIdent && strings.EqualFold(p.tok.text, k)
}

func (p *parser) isPunct(s string) bool { return p.tok.kind == tPunct && p.tok.text == s }

func (p *parser) unexpected() error {
	if p.tok.kind == tEOF {
		return errorAt(p.src, p.tok.pos, p.tok.end, "unexpected end of query")
	}
	return errorAt(p.src, p.tok.pos, p.tok.end, "unexpected symbol found %s", p.src[p.tok.pos:p.tok.end])
}

func (p *parser) expectPunct(s string) error {
	if !p.isPunct(s) {
		return p.unexpected()
	}
	return p.advance()
}

func (p *parser) sources(q *Query) error {
	if err := p.advance(); err != nil {
		return err
	}
	for {
		if p.tok.kind != tString {
			return p.unexpected()
		}
		q.Sources = append(q.Sources, p.tok.text)
		if err := p.advance(); err != nil {
			return err
		}
		if !p.isPunct(",") {
			break
		}
		if err := p.advance(); err != nil {
			return err
		}
	}
	if p.tok.kind == tEOF {
		return nil
	}
	if !p.isPunct("|") {
		return p.unexpected()
	}
	return p.advance()
}

func (p *parser) command() (command, error) {
	if p.tok.kind != tIdent {
		return nil, p.unexpected()
	}
	name := strings.ToLower(p.tok.text)
	at := p.tok
	switch name {
	case "fields", "filter", "stats", "sort", "limit", "parse", "dedup", "display":
	default:
		return nil, errorAt(p.src, at.pos, at.end, "unexpected symbol found %s", at.text)
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	switch name {
	case "fields":
		items, err := p.namedList()
		if err != nil {
			return nil, err
		}
		return &fieldsCmd{items: items}, nil
	case "filter":
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		return &filterCmd{cond: x}, nil
	case "stats":
		return p.statsCommand()
	case "sort":
		return p.sortCommand()
	case "limit":
		if p.tok.kind != tNumber {
			return nil, p.unexpected()
		}
		n, err := strconv.Atoi(p.tok.text)
		if err != nil || n < 1 || n > MaxLimit {
			return nil, errorAt(p.src, p.tok.pos, p.tok.end, "limit must be a whole number from 1 to %d", MaxLimit)
		}
		return &limitCmd{n: n}, p.advance()
	case "parse":
		return p.parseCommand()
	case "dedup":
		items, err := p.namedList()
		if err != nil {
			return nil, err
		}
		c := &dedupCmd{}
		for _, it := range items {
			c.keys = append(c.keys, it.x)
		}
		return c, nil
	default: // display
		items, err := p.namedList()
		if err != nil {
			return nil, err
		}
		c := &displayCmd{}
		for _, it := range items {
			if _, ok := it.x.(*fieldRef); !ok {
				return nil, errorAt(p.src, at.pos, at.end, "display takes field names only")
			}
			c.names = append(c.names, it.name)
		}
		return c, nil
	}
}

// namedList parses "expr [as name], ...".
func (p *parser) namedList() ([]namedExpr, error) {
	var out []namedExpr
	for {
		start := p.tok.pos
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		item := namedExpr{name: columnName(p.src[start:p.last]), x: x, start: start, end: p.last}
		if f, ok := x.(*fieldRef); ok {
			item.name = f.name
		}
		if p.isKeyword("as") {
			if err := p.advance(); err != nil {
				return nil, err
			}
			if p.tok.kind != tIdent {
				return nil, p.unexpected()
			}
			item.name = p.tok.text
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
		out = append(out, item)
		if !p.isPunct(",") {
			return out, nil
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
}

// columnName is the name of a column computed by an expression: its text without spaces.
func columnName(text string) string {
	return strings.Join(strings.Fields(text), "")
}

func (p *parser) statsCommand() (command, error) {
	c := &statsCmd{}
	p.stats = c
	outs, err := p.namedList()
	p.stats = nil
	if err != nil {
		return nil, err
	}
	for _, o := range outs {
		if !hasAgg(o.x) {
			return nil, errorAt(p.src, o.start, o.end, "stats expression %s must contain an aggregate function", o.name)
		}
	}
	c.outs = outs
	if p.isKeyword("by") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		by, err := p.namedList()
		if err != nil {
			return nil, err
		}
		c.by = by
	}
	return c, nil
}

func (p *parser) sortCommand() (command, error) {
	c := &sortCmd{}
	for {
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		k := sortKey{x: x}
		switch {
		case p.isKeyword("desc"):
			k.desc = true
			if err := p.advance(); err != nil {
				return nil, err
			}
		case p.isKeyword("asc"):
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
		c.keys = append(c.keys, k)
		if !p.isPunct(",") {
			return c, nil
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
}

// parseCommand parses "parse field 'glob with *' as a, b" or "parse field /regex (?<name>...)/".
func (p *parser) parseCommand() (command, error) {
	src, err := p.unary()
	if err != nil {
		return nil, err
	}
	c := &parseCmd{src: src}
	at := p.tok
	switch p.tok.kind {
	case tString:
		glob := p.tok.text
		if err := p.advance(); err != nil {
			return nil, err
		}
		if !p.isKeyword("as") {
			return nil, p.unexpected()
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		for {
			if p.tok.kind != tIdent {
				return nil, p.unexpected()
			}
			c.names = append(c.names, p.tok.text)
			if err := p.advance(); err != nil {
				return nil, err
			}
			if !p.isPunct(",") {
				break
			}
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
		for i := range c.names {
			c.groups = append(c.groups, i+1)
		}
		stars := strings.Count(glob, "*")
		if stars != len(c.names) {
			return nil, errorAt(p.src, at.pos, at.end, "parse pattern has %d wildcards but %d field names", stars, len(c.names))
		}
		parts := strings.Split(glob, "*")
		var b strings.Builder
		for i, part := range parts {
			b.WriteString(regexp.QuoteMeta(part))
			switch {
			case i == len(parts)-1:
			case i == len(parts)-2 && parts[len(parts)-1] == "":
				b.WriteString("(.*)")
			default:
				b.WriteString("(.*?)")
			}
		}
		re, err := regexp.Compile("(?s)" + b.String())
		if err != nil {
			return nil, errorAt(p.src, at.pos, at.end, "invalid parse pattern: %s", err.Error())
		}
		c.re = re
	case tRegex:
		re, err := regexp.Compile(p.tok.text)
		if err != nil {
			return nil, errorAt(p.src, at.pos, at.end, "invalid regular expression: %s", err.Error())
		}
		for i, n := range re.SubexpNames() {
			if i > 0 && n != "" {
				c.names = append(c.names, n)
				c.groups = append(c.groups, i)
			}
		}
		if len(c.names) == 0 {
			return nil, errorAt(p.src, at.pos, at.end, "parse regular expression must have named groups")
		}
		c.re = re
		if err := p.advance(); err != nil {
			return nil, err
		}
	default:
		return nil, p.unexpected()
	}
	return c, nil
}

// Expressions, from the loosest binding: or, and, not, comparison, + -, * / %, ^, unary minus.

func (p *parser) expr() (expr, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.isKeyword("or") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = &logic{or: true, l: l, r: r}
	}
	return l, nil
}

func (p *parser) and() (expr, error) {
	l, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.isKeyword("and") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		r, err := p.not()
		if err != nil {
			return nil, err
		}
		l = &logic{l: l, r: r}
	}
	return l, nil
}

func (p *parser) not() (expr, error) {
	if p.isKeyword("not") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		x, err := p.not()
		if err != nil {
			return nil, err
		}
		return &notExpr{x: x}, nil
	}
	return p.comparison()
}

func (p *parser) comparison() (expr, error) {
	l, err := p.additive()
	if err != nil {
		return nil, err
	}
	negate := false
	if p.isKeyword("not") {
		next, err := p.lookahead()
		if err != nil {
			return nil, err
		}
		if next.kind == tIdent && (strings.EqualFold(next.text, "like") || strings.EqualFold(next.text, "in")) {
			negate = true
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
	}
	switch {
	case p.isKeyword("like") || !negate && p.isPunct("=~"):
		regexOnly := p.isPunct("=~")
		if err := p.advance(); err != nil {
			return nil, err
		}
		m := &matchExpr{x: l, negate: negate}
		switch p.tok.kind {
		case tString:
			if regexOnly {
				re, err := regexp.Compile(p.tok.text)
				if err != nil {
					return nil, errorAt(p.src, p.tok.pos, p.tok.end, "invalid regular expression: %s", err.Error())
				}
				m.re = re
			} else {
				m.sub = p.tok.text
			}
		case tRegex:
			re, err := regexp.Compile(p.tok.text)
			if err != nil {
				return nil, errorAt(p.src, p.tok.pos, p.tok.end, "invalid regular expression: %s", err.Error())
			}
			m.re = re
			m.alts = literalAlternatives(p.tok.text)
		default:
			return nil, p.unexpected()
		}
		return m, p.advance()
	case p.isKeyword("in"):
		if err := p.advance(); err != nil {
			return nil, err
		}
		if err := p.expectPunct("["); err != nil {
			return nil, err
		}
		in := &inExpr{x: l, negate: negate}
		for !p.isPunct("]") {
			x, err := p.additive()
			if err != nil {
				return nil, err
			}
			in.list = append(in.list, x)
			if !p.isPunct(",") {
				break
			}
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
		return in, p.expectPunct("]")
	case negate:
		return nil, p.unexpected()
	}
	if p.tok.kind == tPunct {
		switch op := p.tok.text; op {
		case "=", "!=", "<", "<=", ">", ">=":
			if err := p.advance(); err != nil {
				return nil, err
			}
			r, err := p.additive()
			if err != nil {
				return nil, err
			}
			return &cmpExpr{op: op, l: l, r: r}, nil
		}
	}
	return l, nil
}

func (p *parser) additive() (expr, error) {
	l, err := p.multiplicative()
	if err != nil {
		return nil, err
	}
	for p.isPunct("+") || p.isPunct("-") {
		op := p.tok.text
		if err := p.advance(); err != nil {
			return nil, err
		}
		r, err := p.multiplicative()
		if err != nil {
			return nil, err
		}
		l = &arith{op: op[0], l: l, r: r}
	}
	return l, nil
}

func (p *parser) multiplicative() (expr, error) {
	l, err := p.power()
	if err != nil {
		return nil, err
	}
	for p.isPunct("*") || p.isPunct("/") || p.isPunct("%") {
		op := p.tok.text
		if err := p.advance(); err != nil {
			return nil, err
		}
		r, err := p.power()
		if err != nil {
			return nil, err
		}
		l = &arith{op: op[0], l: l, r: r}
	}
	return l, nil
}

func (p *parser) power() (expr, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	if p.isPunct("^") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		r, err := p.power()
		if err != nil {
			return nil, err
		}
		return &arith{op: '^', l: l, r: r}, nil
	}
	return l, nil
}

func (p *parser) unary() (expr, error) {
	if p.isPunct("-") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &arith{op: '-', l: &lit{v: num(0)}, r: x}, nil
	}
	return p.primary()
}

func (p *parser) primary() (expr, error) {
	t := p.tok
	switch t.kind {
	case tNumber:
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return nil, errorAt(p.src, t.pos, t.end, "invalid number %s", t.text)
		}
		return &lit{v: num(f)}, p.advance()
	case tString:
		return &lit{v: str(t.text)}, p.advance()
	case tDuration:
		d, err := parseDuration(t.text)
		if err != nil {
			return nil, errorAt(p.src, t.pos, t.end, "invalid time period %s", t.text)
		}
		return &durationLit{d: d}, p.advance()
	case tPunct:
		if t.text == "(" {
			if err := p.advance(); err != nil {
				return nil, err
			}
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			return x, p.expectPunct(")")
		}
		return nil, p.unexpected()
	case tIdent:
		switch strings.ToLower(t.text) {
		case "and", "or", "not", "like", "in", "as", "by", "asc", "desc":
			if !strings.HasPrefix(p.src[t.pos:], "`") {
				return nil, p.unexpected()
			}
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.isPunct("(") && !strings.HasPrefix(p.src[t.pos:], "`") {
			return p.call(t)
		}
		if !strings.HasPrefix(t.text, "@") {
			p.json = true
		}
		return &fieldRef{name: t.text}, nil
	}
	return nil, p.unexpected()
}

// call parses the arguments of a function whose name is t (the "(" is current).
func (p *parser) call(t token) (expr, error) {
	name := strings.ToLower(t.text)
	if err := p.advance(); err != nil {
		return nil, err
	}
	var args []expr
	star := false
	if p.isPunct("*") && name == "count" {
		star = true
		if err := p.advance(); err != nil {
			return nil, err
		}
	} else {
		stats, inAgg := p.stats, p.inAgg
		if _, isAgg := aggregates[name]; isAgg && stats != nil {
			p.inAgg = true
		}
		for !p.isPunct(")") {
			x, err := p.expr()
			if err != nil {
				p.stats, p.inAgg = stats, inAgg
				return nil, err
			}
			args = append(args, x)
			if !p.isPunct(",") {
				break
			}
			if err := p.advance(); err != nil {
				p.stats, p.inAgg = stats, inAgg
				return nil, err
			}
		}
		p.stats, p.inAgg = stats, inAgg
	}
	if !p.isPunct(")") {
		return nil, p.unexpected()
	}
	end := p.tok.end
	if err := p.advance(); err != nil {
		return nil, err
	}
	text := columnName(p.src[t.pos:end])
	if spec, isAgg := aggregates[name]; isAgg {
		if !star && (len(args) < spec.min || len(args) > spec.max) {
			return nil, errorAt(p.src, t.pos, end, "function %s takes %s", name, spec.arity())
		}
		if p.inAgg {
			return nil, errorAt(p.src, t.pos, end, "aggregate function %s cannot be used inside another aggregate function", name)
		}
		if p.stats == nil {
			// Outside stats an aggregate names the column that a stats command computed.
			return &fieldRef{name: text}, nil
		}
		a := &aggSpec{fn: name, args: args, index: len(p.stats.aggs)}
		p.stats.aggs = append(p.stats.aggs, a)
		return &aggRef{index: a.index}, nil
	}
	fn, ok := functions[name]
	if !ok {
		return nil, errorAt(p.src, t.pos, t.end, "unknown function %s", t.text)
	}
	if star || len(args) < fn.min || (fn.max >= 0 && len(args) > fn.max) {
		return nil, errorAt(p.src, t.pos, end, "function %s takes %s", name, fn.arity())
	}
	c := &callExpr{name: name, fn: fn, args: args}
	if fn.periodArg >= 0 {
		d, ok := args[fn.periodArg].(*durationLit)
		if !ok {
			return nil, errorAt(p.src, t.pos, end, "function %s takes a time period such as 5m as argument %d", name, fn.periodArg+1)
		}
		c.per = d.d
	}
	return c, nil
}
