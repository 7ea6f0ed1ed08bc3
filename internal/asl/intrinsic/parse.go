package intrinsic

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ceap/ceap/internal/asl/jsonpath"
)

type parser struct {
	src string
	pos int
}

func (p *parser) errorf(format string, args ...any) *SyntaxError {
	return &SyntaxError{Expr: p.src, Pos: p.pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) eof() bool { return p.pos >= len(p.src) }

func (p *parser) peek() byte {
	if p.eof() {
		return 0
	}
	return p.src[p.pos]
}

func (p *parser) skipSpaces() {
	for !p.eof() && strings.IndexByte(" \t\r\n", p.src[p.pos]) >= 0 {
		p.pos++
	}
}

func isIdent(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

func (p *parser) parseCall(depth int) (*Call, error) {
	if depth > MaxNesting {
		return nil, p.errorf("intrinsic functions nest more than %d deep", MaxNesting)
	}
	start := p.pos
	if !strings.HasPrefix(p.src[p.pos:], "States.") {
		return nil, p.errorf("expected a function name starting with 'States.'")
	}
	p.pos += len("States.")
	for !p.eof() && isIdent(p.peek()) {
		p.pos++
	}
	name := p.src[start:p.pos]
	fn := lookup(name)
	if fn == nil {
		p.pos = start
		return nil, p.errorf("unknown intrinsic function %s", name)
	}
	p.skipSpaces()
	if p.peek() != '(' {
		return nil, p.errorf("expected '(' after %s", name)
	}
	p.pos++
	c := &Call{src: "", fn: fn}
	p.skipSpaces()
	if p.peek() == ')' {
		p.pos++
	} else {
		for {
			a, err := p.parseArg(depth)
			if err != nil {
				return nil, err
			}
			c.args = append(c.args, a)
			p.skipSpaces()
			if p.peek() == ',' {
				p.pos++
				continue
			}
			if p.peek() == ')' {
				p.pos++
				break
			}
			if p.eof() {
				return nil, p.errorf("missing ')' to close %s", name)
			}
			return nil, p.errorf("expected ',' or ')' in the arguments of %s", name)
		}
	}
	c.src = p.src[start:p.pos]
	if err := fn.checkArity(len(c.args)); err != nil {
		p.pos = start
		return nil, p.errorf("%v", err)
	}
	return c, nil
}

func (p *parser) parseArg(depth int) (arg, error) {
	p.skipSpaces()
	rest := p.src[p.pos:]
	switch c := p.peek(); {
	case c == '\'':
		return p.parseString()
	case c == '$':
		return p.parsePathArg()
	case c == '-' || (c >= '0' && c <= '9'):
		return p.parseNumber()
	case strings.HasPrefix(rest, "States."):
		call, err := p.parseCall(depth + 1)
		if err != nil {
			return arg{}, err
		}
		return arg{kind: argCall, call: call}, nil
	}
	for word, v := range map[string]any{"true": true, "false": false, "null": nil} {
		if strings.HasPrefix(rest, word) && (len(rest) == len(word) || !isIdent(rest[len(word)])) {
			p.pos += len(word)
			return arg{kind: argLiteral, value: v}, nil
		}
	}
	if p.eof() {
		return arg{}, p.errorf("unexpected end of the call")
	}
	return arg{}, p.errorf("unexpected %q in an argument", p.peek())
}

// parseString reads a single-quoted literal. The escapes \' \{ \} and \\ stand for the character
// itself; an escaped brace is never a States.Format placeholder.
func (p *parser) parseString() (arg, error) {
	start := p.pos
	p.pos++
	var b, hole strings.Builder
	var holes []string
	for {
		if p.eof() {
			p.pos = start
			return arg{}, p.errorf("unterminated string literal")
		}
		c := p.src[p.pos]
		switch {
		case c == '\\':
			if p.pos+1 >= len(p.src) {
				p.pos = start
				return arg{}, p.errorf("unterminated string literal")
			}
			e := p.src[p.pos+1]
			if strings.IndexByte(`'{}\`, e) < 0 {
				return arg{}, p.errorf("invalid escape \\%c", e)
			}
			b.WriteByte(e)
			hole.WriteByte(e)
			p.pos += 2
		case c == '\'':
			p.pos++
			holes = append(holes, hole.String())
			return arg{kind: argLiteral, value: b.String(), holes: holes}, nil
		case c == '{' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '}':
			b.WriteString("{}")
			holes = append(holes, hole.String())
			hole.Reset()
			p.pos += 2
		default:
			b.WriteByte(c)
			hole.WriteByte(c)
			p.pos++
		}
	}
}

func (p *parser) parseNumber() (arg, error) {
	start := p.pos
	p.pos++
	for !p.eof() && strings.IndexByte("0123456789.eE+-", p.peek()) >= 0 {
		p.pos++
	}
	f, err := strconv.ParseFloat(p.src[start:p.pos], 64)
	if err != nil {
		p.pos = start
		return arg{}, p.errorf("invalid number %q", p.src[start:p.pos])
	}
	return arg{kind: argLiteral, value: f}, nil
}

// parsePathArg reads a path argument up to the ',' or ')' that ends it, skipping over quoted
// names and bracketed selectors, and compiles it.
func (p *parser) parsePathArg() (arg, error) {
	start := p.pos
	depth := 0
	var quote byte
scan:
	for !p.eof() {
		c := p.src[p.pos]
		switch {
		case quote != 0:
			if c == '\\' && p.pos+1 < len(p.src) {
				p.pos++
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '[' || c == '(':
			depth++
		case c == ']' || c == ')':
			if depth == 0 {
				break scan
			}
			depth--
		case c == ',' && depth == 0:
			break scan
		}
		p.pos++
	}
	src := strings.TrimRight(p.src[start:p.pos], " \t\r\n")
	path, err := jsonpath.Compile(src)
	if err != nil {
		var se *jsonpath.SyntaxError
		pos := start
		if errors.As(err, &se) {
			pos += se.Pos
		}
		p.pos = pos
		return arg{}, p.errorf("invalid path %q: %v", src, err)
	}
	return arg{kind: argPath, path: path}, nil
}
