package insights

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tNumber
	tDuration // a number with a time unit: 5m, 1h, 30s
	tString
	tRegex
	tPunct // | , ( ) [ ] = != < <= > >= =~ + - * / % ^
)

type token struct {
	kind tokKind
	text string // identifier, punctuation, number text, or unquoted string / regex body
	pos  int    // byte offset in the query
	end  int
}

// lexer turns a query into tokens. A slash starts a regex where a value is expected (after an
// operator, a comma, a parenthesis or a keyword such as like) and is division elsewhere.
type lexer struct {
	src   string
	pos   int
	prev  *token
	prev2 *token
}

func isIdentStart(r rune) bool {
	return r == '_' || r == '@' || unicode.IsLetter(r)
}

func isIdentPart(r rune) bool {
	return r == '_' || r == '@' || r == '.' || r == '$' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// valueExpected reports whether a slash at this point starts a regex.
func (l *lexer) valueExpected() bool {
	if l.prev == nil {
		return true
	}
	switch l.prev.kind {
	case tPunct:
		return l.prev.text != ")" && l.prev.text != "]"
	case tIdent:
		if l.prev2 != nil && l.prev2.kind == tIdent && strings.EqualFold(l.prev2.text, "parse") {
			return true // parse <field> /regex/
		}
		switch strings.ToLower(l.prev.text) {
		case "like", "and", "or", "not", "in", "filter", "parse":
			return true
		}
		return false
	}
	return false
}

func (l *lexer) next() (token, error) {
	t, err := l.scan()
	if err == nil {
		l.prev2, l.prev = l.prev, &t
	}
	return t, err
}

func (l *lexer) scan() (token, error) {
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			l.pos++
			continue
		}
		if c == '#' { // a comment runs to the end of the line
			for l.pos < len(l.src) && l.src[l.pos] != '\n' {
				l.pos++
			}
			continue
		}
		break
	}
	start := l.pos
	if l.pos >= len(l.src) {
		return token{kind: tEOF, pos: start, end: start}, nil
	}
	c := l.src[l.pos]
	switch {
	case c == '"' || c == '\'':
		s, err := l.quoted(c)
		if err != nil {
			return token{}, err
		}
		return token{kind: tString, text: s, pos: start, end: l.pos}, nil
	case c == '`':
		s, err := l.quoted(c)
		if err != nil {
			return token{}, err
		}
		return token{kind: tIdent, text: s, pos: start, end: l.pos}, nil
	case c == '/' && l.valueExpected():
		s, err := l.regex()
		if err != nil {
			return token{}, err
		}
		return token{kind: tRegex, text: s, pos: start, end: l.pos}, nil
	case c >= '0' && c <= '9' || c == '.' && l.pos+1 < len(l.src) && l.src[l.pos+1] >= '0' && l.src[l.pos+1] <= '9':
		return l.number(), nil
	}
	r, size := utf8.DecodeRuneInString(l.src[l.pos:])
	if isIdentStart(r) {
		l.pos += size
		for l.pos < len(l.src) {
			r, size := utf8.DecodeRuneInString(l.src[l.pos:])
			if !isIdentPart(r) {
				break
			}
			l.pos += size
		}
		return token{kind: tIdent, text: l.src[start:l.pos], pos: start, end: l.pos}, nil
	}
	for _, p := range []string{"!=", "<=", ">=", "=~", "==", "|", ",", "(", ")", "[", "]", "=", "<", ">", "+", "-", "*", "/", "%", "^", ":"} {
		if strings.HasPrefix(l.src[l.pos:], p) {
			l.pos += len(p)
			if p == "==" {
				p = "="
			}
			return token{kind: tPunct, text: p, pos: start, end: l.pos}, nil
		}
	}
	return token{}, errorAt(l.src, start, l.pos+size, "unexpected symbol found %s", string(r))
}

func (l *lexer) number() token {
	start := l.pos
	for l.pos < len(l.src) && (l.src[l.pos] >= '0' && l.src[l.pos] <= '9' || l.src[l.pos] == '.') {
		l.pos++
	}
	if l.pos < len(l.src) && (l.src[l.pos] == 'e' || l.src[l.pos] == 'E') && l.pos+1 < len(l.src) &&
		(l.src[l.pos+1] >= '0' && l.src[l.pos+1] <= '9' || (l.src[l.pos+1] == '-' || l.src[l.pos+1] == '+') && l.pos+2 < len(l.src) && l.src[l.pos+2] >= '0' && l.src[l.pos+2] <= '9') {
		l.pos += 2
		for l.pos < len(l.src) && l.src[l.pos] >= '0' && l.src[l.pos] <= '9' {
			l.pos++
		}
	}
	numEnd := l.pos
	for l.pos < len(l.src) && (l.src[l.pos] >= 'a' && l.src[l.pos] <= 'z' || l.src[l.pos] >= 'A' && l.src[l.pos] <= 'Z') {
		l.pos++
	}
	if l.pos > numEnd {
		return token{kind: tDuration, text: l.src[start:l.pos], pos: start, end: l.pos}
	}
	return token{kind: tNumber, text: l.src[start:l.pos], pos: start, end: l.pos}
}

// quoted reads a string between quotes, with backslash escapes of the quote and the backslash.
func (l *lexer) quoted(q byte) (string, error) {
	start := l.pos
	l.pos++
	var b strings.Builder
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == q:
			l.pos++
			return b.String(), nil
		case c == '\\' && l.pos+1 < len(l.src):
			n := l.src[l.pos+1]
			switch n {
			case q, '\\':
				b.WriteByte(n)
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(c)
				b.WriteByte(n)
			}
			l.pos += 2
		default:
			b.WriteByte(c)
			l.pos++
		}
	}
	return "", errorAt(l.src, start, len(l.src), "unterminated quoted string")
}

// regex reads /.../ with \/ standing for a slash; other escapes are kept for the regex engine.
func (l *lexer) regex() (string, error) {
	start := l.pos
	l.pos++
	var b strings.Builder
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == '/':
			l.pos++
			return b.String(), nil
		case c == '\\' && l.pos+1 < len(l.src):
			if l.src[l.pos+1] != '/' {
				b.WriteByte(c)
			}
			b.WriteByte(l.src[l.pos+1])
			l.pos += 2
		default:
			b.WriteByte(c)
			l.pos++
		}
	}
	return "", errorAt(l.src, start, len(l.src), "unterminated regular expression")
}
