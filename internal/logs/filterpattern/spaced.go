package filterpattern

import "strings"

// spacedPattern is a space-delimited pattern: one field per token of the message, `...` for any
// number of tokens, and per-field conditions.
type spacedPattern struct {
	fields   []spacedField
	ellipsis bool // some field is `...`
}

type spacedField struct {
	ellipsis bool
	name     string
	cond     spacedNode // nil when the field only names a column
}

// spacedNode is a condition over one field's token.
type spacedNode interface {
	evalToken(tok string) bool
}

type spacedAnd struct{ l, r spacedNode }

func (n spacedAnd) evalToken(t string) bool { return n.l.evalToken(t) && n.r.evalToken(t) }

type spacedOr struct{ l, r spacedNode }

func (n spacedOr) evalToken(t string) bool { return n.l.evalToken(t) || n.r.evalToken(t) }

type spacedCmp struct {
	op  cmpOp
	val literal
}

func (n spacedCmp) evalToken(t string) bool { return evalCompare(n.op, t, true, n.val) }

// spacedLeaf adapts a field condition to the shared boolean grammar.
type spacedLeaf struct{ spacedNode }

func (spacedLeaf) eval(string, *jsonScanner) bool { return false }

func (p *parser) parseSpacedPattern() (*spacedPattern, error) {
	p.pos++ // '['
	var sp spacedPattern
	for {
		f, err := p.parseSpacedField()
		if err != nil {
			return nil, err
		}
		if !(f.ellipsis && len(sp.fields) > 0 && sp.fields[len(sp.fields)-1].ellipsis) {
			sp.fields = append(sp.fields, f)
		}
		sp.ellipsis = sp.ellipsis || f.ellipsis
		p.skipSpace()
		switch p.peek() {
		case ',':
			p.pos++
			continue
		case ']':
			p.pos++
			p.skipSpace()
			if !p.eof() {
				return nil, p.errorf("unexpected text after ']'")
			}
			return &sp, nil
		}
		return nil, p.errorf("expected ',' or ']'")
	}
}

// parseSpacedField reads `...`, `name`, or conditions such as `status = 4* || status = 5*`
// whose names are all the field's own.
func (p *parser) parseSpacedField() (spacedField, error) {
	p.skipSpace()
	if p.consume("...") {
		return spacedField{ellipsis: true}, nil
	}
	var f spacedField
	named := false
	leaf := func() (node, error) {
		p.skipSpace()
		start := p.pos
		name := p.readName()
		if name == "" {
			return nil, p.errorf("expected a field name")
		}
		if named && name != f.name {
			p.pos = start
			return nil, p.errorf("a condition may only name its own field %q", f.name)
		}
		f.name, named = name, true
		p.skipSpace()
		op, err := p.parseOperator()
		if err != nil {
			return nil, err
		}
		val, err := p.parseValue(",]")
		if err != nil {
			return nil, err
		}
		if err := p.checkOperand(op, val); err != nil {
			return nil, err
		}
		return spacedLeaf{spacedCmp{op: op, val: val}}, nil
	}
	// A bare name (no operator) is the common case; try it before the condition grammar.
	save := p.pos
	if name := p.readName(); name != "" {
		p.skipSpace()
		if c := p.peek(); c == ',' || c == ']' {
			return spacedField{name: name}, nil
		}
	}
	p.pos = save
	n, err := p.parseOr(leaf)
	if err != nil {
		return spacedField{}, err
	}
	f.cond = toSpaced(n)
	return f, nil
}

// toSpaced converts the shared boolean tree whose leaves are spacedLeaf into a spacedNode.
func toSpaced(n node) spacedNode {
	switch x := n.(type) {
	case andNode:
		return spacedAnd{toSpaced(x.l), toSpaced(x.r)}
	case orNode:
		return spacedOr{toSpaced(x.l), toSpaced(x.r)}
	case spacedLeaf:
		return x.spacedNode
	}
	panic("filterpattern: unexpected node in space-delimited condition")
}

func (p *parser) readName() string {
	start := p.pos
	for !p.eof() && !isSelectorStop(p.peek()) {
		p.pos++
	}
	return p.src[start:p.pos]
}

// tokenize appends to out the tokens of s, split on blanks; a token that starts with " runs to
// the next ", and one that starts with [ runs to the next ]; the quotes and brackets are removed.
func tokenize(s string, out []string) []string {
	i := 0
	for {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i >= len(s) {
			return out
		}
		if closer := closerOf(s[i]); closer != 0 {
			if j := strings.IndexByte(s[i+1:], closer); j >= 0 {
				out = append(out, s[i+1:i+1+j])
				i += j + 2
				continue
			}
		}
		j := i
		for j < len(s) && !isSpace(s[j]) {
			j++
		}
		out = append(out, s[i:j])
		i = j
	}
}

func (sp *spacedPattern) match(message string, sc *scratch) bool {
	sc.tokens = tokenize(message, sc.tokens[:0])
	toks := sc.tokens
	if !sp.ellipsis {
		if len(toks) != len(sp.fields) {
			return false
		}
		for i, f := range sp.fields {
			if f.cond != nil && !f.cond.evalToken(toks[i]) {
				return false
			}
		}
		return true
	}
	n := (len(sp.fields) + 1) * (len(toks) + 1)
	if cap(sc.failed) < n {
		sc.failed = make([]bool, n)
	}
	sc.failed = sc.failed[:n]
	clear(sc.failed)
	return sp.try(toks, sc.failed, 0, 0)
}

// try reports whether fields[fi:] match toks[ti:]; failed remembers the pairs that do not.
func (sp *spacedPattern) try(toks []string, failed []bool, fi, ti int) bool {
	if fi == len(sp.fields) {
		return ti == len(toks)
	}
	key := fi*(len(toks)+1) + ti
	if failed[key] {
		return false
	}
	f := sp.fields[fi]
	ok := false
	if f.ellipsis {
		for k := ti; k <= len(toks) && !ok; k++ {
			ok = sp.try(toks, failed, fi+1, k)
		}
	} else if ti < len(toks) && (f.cond == nil || f.cond.evalToken(toks[ti])) {
		ok = sp.try(toks, failed, fi+1, ti+1)
	}
	if !ok {
		failed[key] = true
	}
	return ok
}

// closerOf returns the character that closes a quoted or bracketed token, or 0.
func closerOf(c byte) byte {
	switch c {
	case '"':
		return '"'
	case '[':
		return ']'
	}
	return 0
}
