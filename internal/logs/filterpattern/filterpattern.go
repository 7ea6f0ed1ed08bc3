// Package filterpattern parses and matches CloudWatch Logs filter patterns, the syntax that
// FilterLogEvents, metric filters and subscription filters share:
//
//   - unstructured text: terms (`ERROR`), quoted phrases (`"bad request"`), all of which must
//     appear; optional terms (`?ERROR ?WARN`), at least one of which must appear; excluded terms
//     (`-Exiting`), none of which may appear; regular expressions between percent signs (`%5\d\d%`);
//   - JSON patterns: `{ $.eventType = "Update*" && ($.latency > 100 || $.error IS TRUE) }` with the
//     operators =, !=, <, <=, >, >=, IS TRUE, IS FALSE, IS NULL, NOT EXISTS, wildcards in strings,
//     array indexes and `[*]`;
//   - space-delimited patterns: `[ip, user, ..., status = 4* || status = 5*, bytes > 1000]`.
//
// Parse compiles a pattern once; Pattern.Match is safe for concurrent use. The package is pure:
// it must never read the clock, the store, or anything outside the message it is given.
package filterpattern

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// MaxRegexPerPattern is CloudWatch Logs' limit on regular expressions in one filter pattern
// ("You can use up to two regular expression patterns in a filter pattern").
const MaxRegexPerPattern = 2

// MaxRegexLength is CloudWatch Logs' limit on the length of one regular expression in a filter
// pattern (25 characters).
const MaxRegexLength = 25

// SyntaxError reports an invalid pattern and the byte offset where parsing failed.
type SyntaxError struct {
	Pos int
	Msg string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid filter pattern at offset %d: %s", e.Pos, e.Msg)
}

// Pattern is a compiled filter pattern.
type Pattern struct {
	text   *textPattern
	json   node
	spaced *spacedPattern
	// scratch holds *scratch buffers, so that matching allocates nothing per message.
	scratch sync.Pool
}

// scratch is the working memory of one Match.
type scratch struct {
	json   jsonScanner
	tokens []string
	failed []bool
}

// Parse compiles a filter pattern. The empty pattern (or only blanks) matches every event.
func Parse(pattern string) (*Pattern, error) {
	trimmed := strings.TrimSpace(pattern)
	offset := strings.Index(pattern, trimmed)
	p := &parser{src: pattern, pos: offset, end: offset + len(trimmed)}
	out := &Pattern{}
	var err error
	switch {
	case trimmed == "":
		out.text = &textPattern{}
	case trimmed[0] == '{':
		out.json, err = p.parseJSONPattern()
	case trimmed[0] == '[':
		out.spaced, err = p.parseSpacedPattern()
	default:
		out.text, err = p.parseTextPattern()
	}
	if err != nil {
		return nil, err
	}
	if p.regexCount > MaxRegexPerPattern {
		return nil, &SyntaxError{Pos: offset, Msg: fmt.Sprintf("at most %d regular expressions are allowed", MaxRegexPerPattern)}
	}
	return out, nil
}

// Match reports whether the log event message matches the pattern.
func (p *Pattern) Match(message string) bool {
	if p.text != nil {
		return p.text.match(message)
	}
	sc, _ := p.scratch.Get().(*scratch)
	if sc == nil {
		sc = &scratch{}
	}
	var ok bool
	if p.json != nil {
		ok = p.json.eval(message, &sc.json)
	} else {
		ok = p.spaced.match(message, sc)
	}
	p.scratch.Put(sc)
	return ok
}

// RequiredLiterals returns substrings that every matching message contains. A store may use them
// to skip events cheaply before calling Match; an empty result means no such shortcut exists.
func (p *Pattern) RequiredLiterals() []string {
	if p.text == nil {
		return nil
	}
	var out []string
	for _, t := range p.text.all {
		if t.re == nil {
			out = append(out, t.literal)
		}
	}
	return out
}

// term is one literal or regular expression of a text pattern.
type term struct {
	literal string
	re      *regexp.Regexp
}

func (t term) in(s string) bool {
	if t.re != nil {
		return t.re.MatchString(s)
	}
	return strings.Contains(s, t.literal)
}

// textPattern is an unstructured pattern: all of all, one of any (when any is non-empty), none of
// none.
type textPattern struct {
	all, any, none []term
}

func (t *textPattern) match(s string) bool {
	for _, x := range t.all {
		if !x.in(s) {
			return false
		}
	}
	for _, x := range t.none {
		if x.in(s) {
			return false
		}
	}
	if len(t.any) == 0 {
		return true
	}
	for _, x := range t.any {
		if x.in(s) {
			return true
		}
	}
	return false
}

// parser holds the state shared by the three pattern grammars.
type parser struct {
	src        string
	pos, end   int
	regexCount int
}

func (p *parser) errorf(format string, args ...any) error {
	return &SyntaxError{Pos: p.pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) skipSpace() {
	for p.pos < p.end && isSpace(p.src[p.pos]) {
		p.pos++
	}
}

func (p *parser) eof() bool { return p.pos >= p.end }

func (p *parser) peek() byte {
	if p.eof() {
		return 0
	}
	return p.src[p.pos]
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (p *parser) parseTextPattern() (*textPattern, error) {
	var tp textPattern
	for {
		p.skipSpace()
		if p.eof() {
			return &tp, nil
		}
		kind := byte(0)
		if c := p.peek(); (c == '?' || c == '-') && p.pos+1 < p.end && !isSpace(p.src[p.pos+1]) {
			kind = c
			p.pos++
		}
		t, err := p.parseTerm()
		if err != nil {
			return nil, err
		}
		switch kind {
		case '?':
			tp.any = append(tp.any, t)
		case '-':
			tp.none = append(tp.none, t)
		default:
			tp.all = append(tp.all, t)
		}
	}
}

// parseTerm reads a quoted phrase, a %regex% or a bare word.
func (p *parser) parseTerm() (term, error) {
	switch p.peek() {
	case '"':
		s, err := p.parseQuoted()
		return term{literal: s}, err
	case '%':
		re, err := p.parseRegex()
		return term{re: re}, err
	}
	start := p.pos
	for !p.eof() && !isSpace(p.peek()) {
		p.pos++
	}
	return term{literal: p.src[start:p.pos]}, nil
}

// parseQuoted reads a double-quoted string; a backslash escapes the next character.
func (p *parser) parseQuoted() (string, error) {
	start := p.pos
	p.pos++
	var b strings.Builder
	for !p.eof() {
		c := p.src[p.pos]
		switch {
		case c == '\\' && p.pos+1 < p.end:
			b.WriteByte(p.src[p.pos+1])
			p.pos += 2
		case c == '"':
			p.pos++
			return b.String(), nil
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
	p.pos = start
	return "", p.errorf("unterminated quoted string")
}

// parseRegex reads %regex%; a backslash keeps the next character (so \% is a literal percent).
func (p *parser) parseRegex() (*regexp.Regexp, error) {
	start := p.pos
	p.pos++
	var b strings.Builder
	for !p.eof() {
		c := p.src[p.pos]
		switch {
		case c == '\\' && p.pos+1 < p.end && p.src[p.pos+1] == '%':
			b.WriteByte('%')
			p.pos += 2
		case c == '\\' && p.pos+1 < p.end:
			b.WriteString(p.src[p.pos : p.pos+2])
			p.pos += 2
		case c == '%':
			p.pos++
			expr := b.String()
			if expr == "" {
				p.pos = start
				return nil, p.errorf("empty regular expression")
			}
			if len(expr) > MaxRegexLength {
				p.pos = start
				return nil, p.errorf("regular expression longer than %d characters", MaxRegexLength)
			}
			re, err := regexp.Compile(expr)
			if err != nil {
				p.pos = start
				return nil, p.errorf("bad regular expression: %v", err)
			}
			p.regexCount++
			return re, nil
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
	p.pos = start
	return nil, p.errorf("unterminated regular expression")
}
