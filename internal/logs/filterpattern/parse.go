package filterpattern

import (
	"math"
	"strconv"
	"strings"
)

// parseJSONPattern reads `{ expr }` and requires nothing after it.
func (p *parser) parseJSONPattern() (node, error) {
	p.pos++ // '{'
	n, err := p.parseOr(p.parseComparison)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.peek() != '}' {
		return nil, p.errorf("expected '}'")
	}
	p.pos++
	p.skipSpace()
	if !p.eof() {
		return nil, p.errorf("unexpected text after '}'")
	}
	return n, nil
}

// parseOr reads leaf ('&&' leaf)* ('||' ...)*, with && binding tighter than ||, and parentheses.
func (p *parser) parseOr(leaf func() (node, error)) (node, error) {
	l, err := p.parseAnd(leaf)
	if err != nil {
		return nil, err
	}
	for {
		p.skipSpace()
		if !p.consume("||") {
			return l, nil
		}
		r, err := p.parseAnd(leaf)
		if err != nil {
			return nil, err
		}
		l = orNode{l, r}
	}
}

func (p *parser) parseAnd(leaf func() (node, error)) (node, error) {
	l, err := p.parseUnary(leaf)
	if err != nil {
		return nil, err
	}
	for {
		p.skipSpace()
		if !p.consume("&&") {
			return l, nil
		}
		r, err := p.parseUnary(leaf)
		if err != nil {
			return nil, err
		}
		l = andNode{l, r}
	}
}

func (p *parser) parseUnary(leaf func() (node, error)) (node, error) {
	p.skipSpace()
	if p.peek() != '(' {
		return leaf()
	}
	p.pos++
	n, err := p.parseOr(leaf)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.peek() != ')' {
		return nil, p.errorf("expected ')'")
	}
	p.pos++
	return n, nil
}

func (p *parser) consume(s string) bool {
	if strings.HasPrefix(p.src[p.pos:p.end], s) {
		p.pos += len(s)
		return true
	}
	return false
}

// consumeWord consumes a keyword (case-insensitive) followed by a delimiter.
func (p *parser) consumeWord(w string) bool {
	rest := p.src[p.pos:p.end]
	if len(rest) < len(w) || !strings.EqualFold(rest[:len(w)], w) {
		return false
	}
	if len(rest) > len(w) && !isDelimiter(rest[len(w)]) {
		return false
	}
	p.pos += len(w)
	return true
}

func isDelimiter(c byte) bool {
	return isSpace(c) || strings.IndexByte("(){}[],&|", c) >= 0
}

// parseComparison reads `$.selector op value` or `$.selector IS TRUE|FALSE|NULL` or
// `$.selector NOT EXISTS`.
func (p *parser) parseComparison() (node, error) {
	p.skipSpace()
	sel, err := p.parseSelector()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	switch {
	case p.consumeWord("IS"):
		p.skipSpace()
		switch {
		case p.consumeWord("TRUE"):
			return cmpNode{sel: sel, op: opIsTrue}, nil
		case p.consumeWord("FALSE"):
			return cmpNode{sel: sel, op: opIsFalse}, nil
		case p.consumeWord("NULL"):
			return cmpNode{sel: sel, op: opIsNull}, nil
		}
		return nil, p.errorf("expected TRUE, FALSE or NULL after IS")
	case p.consumeWord("NOT"):
		p.skipSpace()
		if !p.consumeWord("EXISTS") {
			return nil, p.errorf("expected EXISTS after NOT")
		}
		return cmpNode{sel: sel, op: opNotExists}, nil
	}
	op, err := p.parseOperator()
	if err != nil {
		return nil, err
	}
	val, err := p.parseValue("")
	if err != nil {
		return nil, err
	}
	if err := p.checkOperand(op, val); err != nil {
		return nil, err
	}
	return cmpNode{sel: sel, op: op, val: val}, nil
}

func (p *parser) checkOperand(op cmpOp, val literal) error {
	if op != opEq && op != opNe && !val.isNum {
		return p.errorf("operators <, <=, > and >= need a number")
	}
	return nil
}

func (p *parser) parseOperator() (cmpOp, error) {
	for _, o := range []struct {
		s  string
		op cmpOp
	}{{"!=", opNe}, {"<=", opLe}, {">=", opGe}, {"=", opEq}, {"<", opLt}, {">", opGt}} {
		if p.consume(o.s) {
			return o.op, nil
		}
	}
	return 0, p.errorf("expected a comparison operator")
}

// parseSelector reads $ followed by .key, .*, [n] and [*] steps.
func (p *parser) parseSelector() (selector, error) {
	if p.peek() != '$' {
		return nil, p.errorf("expected a selector starting with $")
	}
	p.pos++
	var sel selector
	for !p.eof() {
		switch p.peek() {
		case '.':
			p.pos++
			if p.peek() == '*' {
				p.pos++
				sel = append(sel, step{wildcard: true})
				continue
			}
			start := p.pos
			for !p.eof() && !isSelectorStop(p.peek()) {
				p.pos++
			}
			if p.pos == start {
				return nil, p.errorf("expected a key after '.'")
			}
			sel = append(sel, step{key: p.src[start:p.pos]})
		case '[':
			p.pos++
			if p.consume("*]") {
				sel = append(sel, step{wildcard: true})
				continue
			}
			start := p.pos
			for !p.eof() && p.peek() >= '0' && p.peek() <= '9' {
				p.pos++
			}
			n, err := strconv.Atoi(p.src[start:p.pos])
			if err != nil || p.peek() != ']' {
				return nil, p.errorf("expected an array index or * in [ ]")
			}
			p.pos++
			sel = append(sel, step{index: n, isIndex: true})
		default:
			return sel, nil
		}
	}
	return sel, nil
}

func isSelectorStop(c byte) bool {
	return isSpace(c) || strings.IndexByte(".[]=!<>(){}&|,", c) >= 0
}

// parseValue reads a quoted string, a %regex% or a bare word; bare words that parse as numbers
// are numbers. extraStops are characters that end a bare word besides the usual delimiters.
func (p *parser) parseValue(extraStops string) (literal, error) {
	p.skipSpace()
	switch p.peek() {
	case '"':
		s, err := p.parseQuoted()
		return literal{str: s, hasGlob: strings.Contains(s, "*")}, err
	case '%':
		re, err := p.parseRegex()
		return literal{re: re}, err
	}
	start := p.pos
	for !p.eof() {
		c := p.peek()
		if isSpace(c) || strings.IndexByte("(){}&|"+extraStops, c) >= 0 {
			break
		}
		p.pos++
	}
	word := p.src[start:p.pos]
	if word == "" {
		return literal{}, p.errorf("expected a value")
	}
	if f, err := strconv.ParseFloat(word, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
		return literal{str: word, num: f, isNum: true}, nil
	}
	return literal{str: word, hasGlob: strings.Contains(word, "*")}, nil
}
