package jsonpath

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// expr is a filter predicate, evaluated against the current node "@" and the document root "$".
type expr interface {
	test(root, cur any) bool
}

// operand is a value inside a filter: a literal, a relative or absolute path, or a regex.
type operand interface {
	value(root, cur any) (any, bool)
}

type orExpr struct{ l, r expr }

func (e orExpr) test(root, cur any) bool { return e.l.test(root, cur) || e.r.test(root, cur) }

type andExpr struct{ l, r expr }

func (e andExpr) test(root, cur any) bool { return e.l.test(root, cur) && e.r.test(root, cur) }

type notExpr struct{ e expr }

func (e notExpr) test(root, cur any) bool { return !e.e.test(root, cur) }

// existsExpr is a lone operand: a path that selects something, or a true literal.
type existsExpr struct{ o operand }

func (e existsExpr) test(root, cur any) bool {
	v, ok := e.o.value(root, cur)
	if !ok {
		return false
	}
	if _, isLit := e.o.(literal); isLit {
		b, isBool := v.(bool)
		return isBool && b
	}
	return true
}

type cmpExpr struct {
	op   string
	l, r operand
}

type literal struct{ v any }

func (l literal) value(_, _ any) (any, bool) { return l.v, true }

type pathOperand struct {
	fromRoot bool
	path     *Path
}

func (o pathOperand) value(root, cur any) (any, bool) {
	doc := cur
	if o.fromRoot {
		doc = root
	}
	p := o.path
	if p.definite {
		v, ok := getDefinite(doc, p.steps)
		if !ok {
			return nil, false
		}
		if p.fn != fnNone {
			out, err := p.fn.apply(v)
			return out, err == nil
		}
		return v, true
	}
	matches := selectAll(root, doc, p.steps)
	if p.fn != fnNone {
		out, err := p.fn.apply(matches)
		return out, err == nil
	}
	return matches, true
}

type regexOperand struct{ re *regexp.Regexp }

func (o regexOperand) value(_, _ any) (any, bool) { return o.re, true }

func (e cmpExpr) test(root, cur any) bool {
	l, lok := e.l.value(root, cur)
	r, rok := e.r.value(root, cur)
	switch e.op {
	case "!=":
		return !(lok && rok && Equal(l, r))
	case "nin":
		return !(lok && rok && contains(r, l))
	}
	if !lok || !rok {
		return false
	}
	switch e.op {
	case "==":
		return Equal(l, r)
	case "<", "<=", ">", ">=":
		c, ok := compare(l, r)
		if !ok {
			return false
		}
		switch e.op {
		case "<":
			return c < 0
		case "<=":
			return c <= 0
		case ">":
			return c > 0
		default:
			return c >= 0
		}
	case "=~":
		s, ok := l.(string)
		re, isRe := r.(*regexp.Regexp)
		return ok && isRe && re.MatchString(s)
	case "in":
		return contains(r, l)
	case "subsetof", "anyof", "noneof":
		la, ok := l.([]any)
		if !ok {
			return false
		}
		n := 0
		for _, v := range la {
			if contains(r, v) {
				n++
			}
		}
		switch e.op {
		case "subsetof":
			return n == len(la)
		case "anyof":
			return n > 0
		default:
			return n == 0
		}
	case "size":
		want, ok := r.(float64)
		if !ok {
			return false
		}
		switch v := l.(type) {
		case []any:
			return float64(len(v)) == want
		case string:
			return float64(utf8.RuneCountInString(v)) == want
		}
		return false
	case "empty":
		want, ok := r.(bool)
		if !ok {
			return false
		}
		switch v := l.(type) {
		case []any:
			return (len(v) == 0) == want
		case string:
			return (v == "") == want
		case map[string]any:
			return (len(v) == 0) == want
		}
		return false
	}
	return false
}

func contains(list, v any) bool {
	a, ok := list.([]any)
	if !ok {
		return false
	}
	for _, e := range a {
		if Equal(e, v) {
			return true
		}
	}
	return false
}

func compare(l, r any) (int, bool) {
	switch a := l.(type) {
	case float64:
		b, ok := r.(float64)
		if !ok {
			return 0, false
		}
		switch {
		case a < b:
			return -1, true
		case a > b:
			return 1, true
		}
		return 0, true
	case string:
		b, ok := r.(string)
		if !ok {
			return 0, false
		}
		return strings.Compare(a, b), true
	}
	return 0, false
}

// Equal reports whether two JSON values are equal: same type and value, arrays element by
// element, objects member by member.
func Equal(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !Equal(v, w) {
				return false
			}
		}
		return true
	}
	return false
}

// parseFilter reads "?(predicate)"; the position is on '?'.
func (p *parser) parseFilter() (expr, error) {
	p.pos++
	p.skipSpaces()
	if p.peek() != '(' {
		return nil, p.errorf("expected '(' after '?'")
	}
	p.pos++
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	p.skipSpaces()
	if p.peek() != ')' {
		return nil, p.errorf("expected ')' to close the filter")
	}
	p.pos++
	return e, nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxFilterDepth {
		return p.errorf("filter nested too deeply")
	}
	return nil
}

func (p *parser) parseOr() (expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	l, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for {
		p.skipSpaces()
		if !strings.HasPrefix(p.src[p.pos:], "||") {
			return l, nil
		}
		p.pos += 2
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l = orExpr{l, r}
	}
}

func (p *parser) parseAnd() (expr, error) {
	l, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for {
		p.skipSpaces()
		if !strings.HasPrefix(p.src[p.pos:], "&&") {
			return l, nil
		}
		p.pos += 2
		r, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		l = andExpr{l, r}
	}
}

func (p *parser) parseUnary() (expr, error) {
	p.skipSpaces()
	switch {
	case p.peek() == '!' && !strings.HasPrefix(p.src[p.pos:], "!="):
		p.pos++
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		e, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return notExpr{e}, nil
	case p.peek() == '(':
		p.pos++
		e, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		p.skipSpaces()
		if p.peek() != ')' {
			return nil, p.errorf("expected ')'")
		}
		p.pos++
		return e, nil
	}
	return p.parseComparison()
}

func (p *parser) parseComparison() (expr, error) {
	l, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	p.skipSpaces()
	op := ""
	for _, o := range [...]string{"==", "!=", "<=", ">=", "=~", "<", ">"} {
		if strings.HasPrefix(p.src[p.pos:], o) {
			op = o
			break
		}
	}
	if op == "" {
		for _, o := range [...]string{"subsetof", "anyof", "noneof", "empty", "size", "nin", "in"} {
			rest := p.src[p.pos:]
			if strings.HasPrefix(rest, o) {
				if r, _ := utf8.DecodeRuneInString(rest[len(o):]); len(rest) == len(o) || !isNameRune(r) {
					op = o
					break
				}
			}
		}
	}
	if op == "" {
		if _, isRe := l.(regexOperand); isRe {
			return nil, p.errorf("a regular expression must follow =~")
		}
		return existsExpr{l}, nil
	}
	p.pos += len(op)
	r, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	if _, isRe := r.(regexOperand); isRe != (op == "=~") {
		return nil, p.errorf("=~ takes a regular expression /.../ on its right")
	}
	return cmpExpr{op: op, l: l, r: r}, nil
}

func (p *parser) parseOperand() (operand, error) {
	p.skipSpaces()
	switch c := p.peek(); {
	case c == '@' || c == '$':
		p.pos++
		if c == '$' && p.peek() == '$' {
			return nil, p.errorf("context paths are not allowed in filters")
		}
		steps, fn, err := p.parseSteps(true)
		if err != nil {
			return nil, err
		}
		sub := &Path{src: "", steps: steps, fn: fn}
		sub.classify()
		return pathOperand{fromRoot: c == '$', path: sub}, nil
	case c == '\'' || c == '"':
		s, err := p.parseQuoted(c)
		if err != nil {
			return nil, err
		}
		return literal{s}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		start := p.pos
		p.pos++
		for !p.eof() && strings.IndexByte("0123456789.eE+-", p.peek()) >= 0 {
			p.pos++
		}
		f, err := strconv.ParseFloat(p.src[start:p.pos], 64)
		if err != nil {
			p.pos = start
			return nil, p.errorf("invalid number")
		}
		return literal{f}, nil
	case c == '/':
		return p.parseRegex()
	case c == '[':
		return p.parseLiteralList()
	}
	for word, v := range map[string]any{"true": true, "false": false, "null": nil} {
		if strings.HasPrefix(p.src[p.pos:], word) {
			p.pos += len(word)
			return literal{v}, nil
		}
	}
	if p.eof() {
		return nil, p.errorf("unexpected end of filter")
	}
	return nil, p.errorf("unexpected character %q in filter", p.peek())
}

func (p *parser) parseRegex() (operand, error) {
	start := p.pos
	p.pos++
	var b strings.Builder
	for {
		if p.eof() {
			p.pos = start
			return nil, p.errorf("unterminated regular expression")
		}
		c := p.src[p.pos]
		if c == '\\' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '/' {
			b.WriteByte('/')
			p.pos += 2
			continue
		}
		p.pos++
		if c == '/' {
			break
		}
		b.WriteByte(c)
	}
	flags := ""
	for !p.eof() && p.peek() >= 'a' && p.peek() <= 'z' {
		if p.peek() == 'i' || p.peek() == 'm' || p.peek() == 's' {
			flags += string(p.peek())
		}
		p.pos++
	}
	pattern := b.String()
	if flags != "" {
		pattern = "(?" + flags + ")" + pattern
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		p.pos = start
		return nil, p.errorf("invalid regular expression: %v", err)
	}
	return regexOperand{re}, nil
}

func (p *parser) parseLiteralList() (operand, error) {
	p.pos++ // [
	list := []any{}
	for {
		p.skipSpaces()
		if p.peek() == ']' && len(list) == 0 {
			p.pos++
			return literal{list}, nil
		}
		o, err := p.parseOperand()
		if err != nil {
			return nil, err
		}
		lit, ok := o.(literal)
		if !ok {
			return nil, p.errorf("a list in a filter holds only literals")
		}
		list = append(list, lit.v)
		p.skipSpaces()
		switch p.peek() {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return literal{list}, nil
		default:
			return nil, p.errorf("expected ',' or ']' in a list")
		}
	}
}
