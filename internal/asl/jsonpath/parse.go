package jsonpath

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxFilterDepth bounds the nesting of filters and parentheses so that hostile expressions cannot
// exhaust the stack.
const maxFilterDepth = 32

type parser struct {
	src   string
	pos   int
	depth int
}

func (p *parser) errorf(msg string, args ...any) *SyntaxError {
	if len(args) > 0 {
		msg = fmt.Sprintf(msg, args...)
	}
	return &SyntaxError{Expr: p.src, Pos: p.pos, Msg: msg}
}

func (p *parser) eof() bool { return p.pos >= len(p.src) }

func (p *parser) peek() byte {
	if p.eof() {
		return 0
	}
	return p.src[p.pos]
}

func (p *parser) skipSpaces() {
	for !p.eof() && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t' || p.src[p.pos] == '\n' || p.src[p.pos] == '\r') {
		p.pos++
	}
}

func (p *parser) parsePath() (*Path, error) {
	if !strings.HasPrefix(p.src, "$") {
		return nil, p.errorf("a path must start with '$'")
	}
	path := &Path{src: p.src}
	p.pos = 1
	switch {
	case p.peek() == '$':
		path.root = rootContext
		p.pos++
	case isNameStart(p.runeAt()):
		path.root = rootVariable
		start := p.pos
		for !p.eof() && isNameRune(p.runeAt()) {
			_, size := utf8.DecodeRuneInString(p.src[p.pos:])
			p.pos += size
		}
		path.variable = p.src[start:p.pos]
	}
	steps, fn, err := p.parseSteps(false)
	if err != nil {
		return nil, err
	}
	if !p.eof() {
		return nil, p.errorf("unexpected character %q", p.src[p.pos])
	}
	path.steps, path.fn = steps, fn
	path.classify()
	return path, nil
}

func (p *parser) runeAt() rune {
	if p.eof() {
		return utf8.RuneError
	}
	r, _ := utf8.DecodeRuneInString(p.src[p.pos:])
	return r
}

func isNameStart(r rune) bool { return r == '_' || unicode.IsLetter(r) }

func isNameRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

// classify computes whether the path is definite and whether it is a reference path.
func (path *Path) classify() {
	path.definite, path.reference = true, path.fn == fnNone
	for i, s := range path.steps {
		if s.deep {
			path.definite, path.reference = false, false
			continue
		}
		switch s.kind {
		case stepField, stepIndex:
		case stepNames:
			path.reference = false
			if i != len(path.steps)-1 {
				path.definite = false
			}
		default:
			path.definite, path.reference = false, false
		}
	}
}

// parseSteps reads selectors until the end of the path. Inside a filter (inFilter) a path also
// ends at whitespace, an operator or a closing parenthesis.
func (p *parser) parseSteps(inFilter bool) ([]step, function, error) {
	var steps []step
	for !p.eof() {
		c := p.peek()
		switch c {
		case '.':
			p.pos++
			deep := false
			if p.peek() == '.' {
				deep = true
				p.pos++
			}
			if p.eof() {
				return nil, fnNone, p.errorf("a path must not end with '.' or '..'")
			}
			switch p.peek() {
			case '[':
				if !deep {
					return nil, fnNone, p.errorf("unexpected '[' after '.'")
				}
				s, err := p.parseBracket()
				if err != nil {
					return nil, fnNone, err
				}
				s.deep = true
				steps = append(steps, s)
			case '*':
				p.pos++
				steps = append(steps, step{kind: stepWildcard, deep: deep})
			default:
				name, err := p.parseDotName(inFilter)
				if err != nil {
					return nil, fnNone, err
				}
				if p.peek() == '(' {
					fn, err := p.parseFunction(name, deep)
					if err != nil {
						return nil, fnNone, err
					}
					return steps, fn, nil
				}
				steps = append(steps, step{kind: stepField, name: name, deep: deep})
			}
		case '[':
			s, err := p.parseBracket()
			if err != nil {
				return nil, fnNone, err
			}
			steps = append(steps, s)
		default:
			if inFilter {
				return steps, fnNone, nil
			}
			return nil, fnNone, p.errorf("unexpected character %q", c)
		}
	}
	return steps, fnNone, nil
}

func (p *parser) parseDotName(inFilter bool) (string, error) {
	start := p.pos
	for !p.eof() {
		c := p.peek()
		if c == '.' || c == '[' || c == '(' {
			break
		}
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			if inFilter {
				break
			}
			return "", p.errorf("use bracket notation ['my prop'] for a name with blanks")
		}
		if inFilter && strings.IndexByte("=!<>&|),]", c) >= 0 {
			break
		}
		if c == ')' || c == ']' || c == '\'' || c == '"' {
			return "", p.errorf("unexpected character %q in a name", c)
		}
		p.pos++
	}
	if p.pos == start {
		return "", p.errorf("expected a name")
	}
	return p.src[start:p.pos], nil
}

func (p *parser) parseFunction(name string, deep bool) (function, error) {
	fn, ok := functionByName(name)
	if !ok {
		return fnNone, p.errorf("unknown function %s()", name)
	}
	if deep {
		return fnNone, p.errorf("a function cannot follow '..'")
	}
	p.pos++ // (
	p.skipSpaces()
	if p.peek() != ')' {
		return fnNone, p.errorf("function %s() takes no arguments", name)
	}
	p.pos++
	return fn, nil
}

func (p *parser) parseBracket() (step, error) {
	p.pos++ // [
	p.skipSpaces()
	var s step
	switch c := p.peek(); {
	case c == '*':
		p.pos++
		s = step{kind: stepWildcard}
	case c == '?':
		f, err := p.parseFilter()
		if err != nil {
			return step{}, err
		}
		s = step{kind: stepFilter, filter: f}
	case c == '\'' || c == '"':
		names, err := p.parseNameList()
		if err != nil {
			return step{}, err
		}
		if len(names) == 1 {
			s = step{kind: stepField, name: names[0]}
		} else {
			s = step{kind: stepNames, names: names}
		}
	case c == '-' || c == ':' || (c >= '0' && c <= '9'):
		var err error
		if s, err = p.parseIndexOrSlice(); err != nil {
			return step{}, err
		}
	default:
		return step{}, p.errorf("unexpected character %q after '['", c)
	}
	p.skipSpaces()
	if p.peek() != ']' {
		return step{}, p.errorf("expected ']'")
	}
	p.pos++
	return s, nil
}

func (p *parser) parseNameList() ([]string, error) {
	var names []string
	for {
		p.skipSpaces()
		q := p.peek()
		if q != '\'' && q != '"' {
			return nil, p.errorf("expected a quoted name")
		}
		name, err := p.parseQuoted(q)
		if err != nil {
			return nil, err
		}
		names = append(names, name)
		p.skipSpaces()
		if p.peek() != ',' {
			return names, nil
		}
		p.pos++
	}
}

// parseQuoted reads a string literal delimited by q; a backslash escapes the next character.
func (p *parser) parseQuoted(q byte) (string, error) {
	start := p.pos
	p.pos++
	var b strings.Builder
	for !p.eof() {
		c := p.src[p.pos]
		switch c {
		case '\\':
			if p.pos+1 >= len(p.src) {
				p.pos = start
				return "", p.errorf("unterminated string")
			}
			b.WriteByte(unescape(p.src[p.pos+1]))
			p.pos += 2
		case q:
			p.pos++
			return b.String(), nil
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
	p.pos = start
	return "", p.errorf("unterminated string")
}

func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 't':
		return '\t'
	case 'r':
		return '\r'
	default:
		return c
	}
}

func (p *parser) parseInt() (int, bool, error) {
	p.skipSpaces()
	start := p.pos
	if p.peek() == '-' {
		p.pos++
	}
	for !p.eof() && p.peek() >= '0' && p.peek() <= '9' {
		p.pos++
	}
	if p.pos == start {
		return 0, false, nil
	}
	n, err := strconv.Atoi(p.src[start:p.pos])
	if err != nil {
		p.pos = start
		return 0, false, p.errorf("invalid integer")
	}
	return n, true, nil
}

func (p *parser) parseIndexOrSlice() (step, error) {
	first, hasFirst, err := p.parseInt()
	if err != nil {
		return step{}, err
	}
	p.skipSpaces()
	switch p.peek() {
	case ':':
		sl := sliceSpec{start: first, hasStart: hasFirst}
		p.pos++
		if sl.end, sl.hasEnd, err = p.parseInt(); err != nil {
			return step{}, err
		}
		p.skipSpaces()
		if p.peek() == ':' {
			p.pos++
			var has bool
			if sl.step, has, err = p.parseInt(); err != nil {
				return step{}, err
			}
			if has && sl.step == 0 {
				return step{}, p.errorf("slice step must not be 0")
			}
		}
		return step{kind: stepSlice, slice: sl}, nil
	case ',':
		if !hasFirst {
			return step{}, p.errorf("expected an index")
		}
		idx := []int{first}
		for p.peek() == ',' {
			p.pos++
			n, ok, err := p.parseInt()
			if err != nil {
				return step{}, err
			}
			if !ok {
				return step{}, p.errorf("expected an index")
			}
			idx = append(idx, n)
			p.skipSpaces()
		}
		return step{kind: stepIndexes, indexes: idx}, nil
	default:
		if !hasFirst {
			return step{}, p.errorf("expected an index")
		}
		return step{kind: stepIndex, index: first}, nil
	}
}
