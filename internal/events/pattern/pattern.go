// Package pattern compiles and matches EventBridge event patterns: exact values (strings,
// numbers, booleans, null), prefix, suffix, equals-ignore-case, wildcard, anything-but (values,
// prefix, suffix, equals-ignore-case, wildcard), numeric ranges, exists, cidr, nested objects,
// arrays in events (any element matches) and $or. EventBridge rules and the FilterCriteria of
// pipes both use it.
//
// It owns the pattern language only: it never reads or writes state.
package pattern

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"unicode/utf8"
)

// MaxPatternLength is EventBridge's limit on an event pattern's length (EventPattern: max 4096
// characters in the PutRule API model).
const MaxPatternLength = 4096

// Error is a pattern that does not compile; its message is the reason EventBridge gives.
type Error struct{ Reason string }

func (e *Error) Error() string { return "Event pattern is not valid. Reason: " + e.Reason }

func invalid(format string, args ...any) error { return &Error{Reason: fmt.Sprintf(format, args...)} }

// Pattern is a compiled event pattern.
type Pattern struct {
	root *node
}

// node is one object level of a pattern: fields that must all match, and $or alternatives (one of
// each must match).
type node struct {
	fields []field
	ors    [][]*node
}

type field struct {
	name   string
	nested *node      // an object in the pattern
	leaf   []*matcher // an array of matchers (any one)
}

type kind int

const (
	kExact kind = iota
	kPrefix
	kSuffix
	kIgnoreCase
	kWildcard
	kAnythingBut
	kNumeric
	kExists
	kCIDR
)

type matcher struct {
	kind     kind
	value    any // exact: string, float64, bool or nil
	str      string
	fold     bool // prefix/suffix with equals-ignore-case
	exists   bool
	ranges   []numRange
	prefix   netip.Prefix
	but      []*matcher // anything-but: the matchers that must all fail
	butValue bool
}

type numRange struct {
	op string
	n  float64
}

// Compile parses an event pattern (a JSON object).
func Compile(src string) (*Pattern, error) {
	if len(src) > MaxPatternLength {
		return nil, invalid("Event pattern is longer than %d characters", MaxPatternLength)
	}
	dec := json.NewDecoder(strings.NewReader(src))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, invalid("Filter is not valid JSON: %v", err)
	}
	if dec.More() {
		return nil, invalid("Filter is not valid JSON: trailing data")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, invalid("Filter is not an object")
	}
	n, err := compileNode(obj)
	if err != nil {
		return nil, err
	}
	if len(n.fields) == 0 && len(n.ors) == 0 {
		return nil, invalid("Empty event pattern")
	}
	return &Pattern{root: n}, nil
}

func compileNode(obj map[string]any) (*node, error) {
	n := &node{}
	for name, v := range obj {
		if name == "$or" {
			alts, ok := v.([]any)
			if !ok || len(alts) < 2 {
				return nil, invalid("Value of $or must be an array of at least two objects")
			}
			var or []*node
			for _, a := range alts {
				ao, ok := a.(map[string]any)
				if !ok {
					return nil, invalid("Value of $or must be an array of objects")
				}
				sub, err := compileNode(ao)
				if err != nil {
					return nil, err
				}
				or = append(or, sub)
			}
			n.ors = append(n.ors, or)
			continue
		}
		switch t := v.(type) {
		case map[string]any:
			sub, err := compileNode(t)
			if err != nil {
				return nil, err
			}
			n.fields = append(n.fields, field{name: name, nested: sub})
		case []any:
			if len(t) == 0 {
				return nil, invalid("Empty arrays are not allowed")
			}
			var ms []*matcher
			for _, item := range t {
				m, err := compileMatcher(name, item)
				if err != nil {
					return nil, err
				}
				ms = append(ms, m)
			}
			n.fields = append(n.fields, field{name: name, leaf: ms})
		default:
			return nil, invalid("Match value must be String, number, true, false, or null")
		}
	}
	return n, nil
}

func scalar(v any) (any, bool) {
	switch t := v.(type) {
	case nil, string, bool:
		return t, true
	case json.Number:
		f, err := t.Float64()
		if err != nil {
			return nil, false
		}
		return f, true
	}
	return nil, false
}

func compileMatcher(name string, item any) (*matcher, error) {
	if v, ok := scalar(item); ok {
		return &matcher{kind: kExact, value: v}, nil
	}
	obj, ok := item.(map[string]any)
	if !ok {
		return nil, invalid("Match value must be String, number, true, false, or null")
	}
	if len(obj) != 1 {
		return nil, invalid("Only one key allowed in match expression")
	}
	for op, arg := range obj {
		switch op {
		case "prefix", "suffix":
			k := kPrefix
			if op == "suffix" {
				k = kSuffix
			}
			if s, ok := arg.(string); ok {
				return &matcher{kind: k, str: s}, nil
			}
			if o, ok := arg.(map[string]any); ok && len(o) == 1 {
				if s, ok := o["equals-ignore-case"].(string); ok {
					return &matcher{kind: k, str: strings.ToLower(s), fold: true}, nil
				}
			}
			return nil, invalid("%s match pattern must be a string", op)
		case "equals-ignore-case":
			s, ok := arg.(string)
			if !ok {
				return nil, invalid("equals-ignore-case match pattern must be a string")
			}
			return &matcher{kind: kIgnoreCase, str: strings.ToLower(s)}, nil
		case "wildcard":
			s, ok := arg.(string)
			if !ok {
				return nil, invalid("wildcard match pattern must be a string")
			}
			if strings.Contains(s, "**") {
				return nil, invalid("Consecutive wildcard characters at pos %d", strings.Index(s, "**")+1)
			}
			return &matcher{kind: kWildcard, str: s}, nil
		case "exists":
			b, ok := arg.(bool)
			if !ok {
				return nil, invalid("exists match pattern must be either true or false.")
			}
			return &matcher{kind: kExists, exists: b}, nil
		case "numeric":
			return compileNumeric(arg)
		case "cidr":
			s, ok := arg.(string)
			if !ok {
				return nil, invalid("prefix match pattern must be a string")
			}
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, invalid("Nonstandard IP address: %s", s)
			}
			return &matcher{kind: kCIDR, prefix: p.Masked()}, nil
		case "anything-but":
			return compileAnythingBut(arg)
		default:
			return nil, invalid("Unrecognized match type %s", op)
		}
	}
	return nil, invalid("Empty match expression for %s", name)
}

func compileNumeric(arg any) (*matcher, error) {
	list, ok := arg.([]any)
	if !ok || len(list) == 0 || len(list)%2 != 0 || len(list) > 4 {
		return nil, invalid("Value of numeric must be an array.")
	}
	m := &matcher{kind: kNumeric}
	for i := 0; i < len(list); i += 2 {
		op, ok := list[i].(string)
		if !ok {
			return nil, invalid("Unrecognized numeric range operator: %v", list[i])
		}
		switch op {
		case "=", "<", "<=", ">", ">=":
		default:
			return nil, invalid("Unrecognized numeric range operator: %s", op)
		}
		num, ok := list[i+1].(json.Number)
		if !ok {
			return nil, invalid("Value of %s must be numeric", op)
		}
		f, err := num.Float64()
		if err != nil || math.Abs(f) > 5e9 {
			return nil, invalid("Value of %s must be numeric and between -5.0e9 and +5.0e9 inclusive", op)
		}
		if op == "=" && len(list) != 2 {
			return nil, invalid("Can't mix = with other numeric operators")
		}
		m.ranges = append(m.ranges, numRange{op: op, n: f})
	}
	return m, nil
}

func compileAnythingBut(arg any) (*matcher, error) {
	m := &matcher{kind: kAnythingBut}
	if v, ok := scalar(arg); ok {
		if v == nil {
			return nil, invalid("Inside anything but list, start|null|boolean is not supported.")
		}
		m.but = []*matcher{{kind: kExact, value: v}}
		return m, nil
	}
	switch t := arg.(type) {
	case []any:
		if len(t) == 0 {
			return nil, invalid("Empty arrays are not allowed")
		}
		for _, item := range t {
			v, ok := scalar(item)
			if !ok || v == nil {
				return nil, invalid("Inside anything but list, start|null|boolean is not supported.")
			}
			m.but = append(m.but, &matcher{kind: kExact, value: v})
		}
		return m, nil
	case map[string]any:
		if len(t) != 1 {
			return nil, invalid("Only one key allowed in match expression")
		}
		for op, a := range t {
			var strs []string
			switch x := a.(type) {
			case string:
				strs = []string{x}
			case []any:
				for _, it := range x {
					s, ok := it.(string)
					if !ok {
						return nil, invalid("Inside anything but list, start|null|boolean is not supported.")
					}
					strs = append(strs, s)
				}
			default:
				return nil, invalid("Value of anything-but %s must be a string or an array of strings", op)
			}
			for _, s := range strs {
				inner, err := compileMatcher(op, map[string]any{op: s})
				if err != nil {
					return nil, err
				}
				if inner.kind == kAnythingBut || inner.kind == kExists || inner.kind == kNumeric || inner.kind == kCIDR {
					return nil, invalid("Unsupported anything-but pattern: %s", op)
				}
				m.but = append(m.but, inner)
			}
		}
		return m, nil
	}
	return nil, invalid("Value of anything-but must be an array or single string/number value.")
}

// Match reports whether the event (a JSON document) matches p.
func (p *Pattern) Match(event []byte) (bool, error) {
	dec := json.NewDecoder(bytes.NewReader(event))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return false, fmt.Errorf("event is not JSON: %w", err)
	}
	return p.MatchValue(v), nil
}

// MatchValue matches an event already decoded with json.Decoder.UseNumber (or plain float64s).
func (p *Pattern) MatchValue(event any) bool {
	obj, _ := event.(map[string]any)
	return p.root.match(obj)
}

func (n *node) match(obj map[string]any) bool {
	for _, f := range n.fields {
		v, present := obj[f.name]
		if f.nested != nil {
			if !f.nested.matchValue(v) {
				return false
			}
			continue
		}
		if !matchLeaf(f.leaf, v, present) {
			return false
		}
	}
	for _, alts := range n.ors {
		ok := false
		for _, a := range alts {
			if a.match(obj) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// matchValue matches a nested pattern object against an event value: an object, an array of
// objects (any one), or anything else (as an empty object, so that only exists:false holds).
func (n *node) matchValue(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		return n.match(t)
	case []any:
		for _, e := range t {
			if o, ok := e.(map[string]any); ok && n.match(o) {
				return true
			}
		}
		return len(t) == 0 && n.match(nil)
	default:
		return n.match(nil)
	}
}

func matchLeaf(ms []*matcher, v any, present bool) bool {
	var values []any
	if arr, ok := v.([]any); ok {
		values = arr
		if len(arr) == 0 {
			present = false
		}
	} else if present {
		values = []any{v}
	}
	for _, m := range ms {
		if m.kind == kExists {
			if m.exists == present {
				return true
			}
			continue
		}
		for _, val := range values {
			if m.matchOne(val) {
				return true
			}
		}
	}
	return false
}

func number(v any) (float64, bool) {
	switch t := v.(type) {
	case json.Number:
		f, err := t.Float64()
		return f, err == nil
	case float64:
		return t, true
	case int:
		return float64(t), true
	case int64:
		return float64(t), true
	}
	return 0, false
}

func (m *matcher) matchOne(v any) bool {
	switch m.kind {
	case kExact:
		switch want := m.value.(type) {
		case nil:
			return v == nil
		case string:
			s, ok := v.(string)
			return ok && s == want
		case bool:
			b, ok := v.(bool)
			return ok && b == want
		case float64:
			f, ok := number(v)
			return ok && f == want
		}
		return false
	case kPrefix, kSuffix, kIgnoreCase, kWildcard:
		s, ok := v.(string)
		if !ok {
			return false
		}
		if m.fold || m.kind == kIgnoreCase {
			s = strings.ToLower(s)
		}
		switch m.kind {
		case kPrefix:
			return strings.HasPrefix(s, m.str)
		case kSuffix:
			return strings.HasSuffix(s, m.str)
		case kIgnoreCase:
			return s == m.str
		default:
			return wildcard(m.str, s)
		}
	case kNumeric:
		f, ok := number(v)
		if !ok {
			return false
		}
		for _, r := range m.ranges {
			var hold bool
			switch r.op {
			case "=":
				hold = f == r.n
			case "<":
				hold = f < r.n
			case "<=":
				hold = f <= r.n
			case ">":
				hold = f > r.n
			case ">=":
				hold = f >= r.n
			}
			if !hold {
				return false
			}
		}
		return true
	case kCIDR:
		s, ok := v.(string)
		if !ok {
			return false
		}
		a, err := netip.ParseAddr(s)
		return err == nil && m.prefix.Contains(a)
	case kAnythingBut:
		if v == nil {
			return false
		}
		for _, b := range m.but {
			if b.matchOne(v) {
				return false
			}
		}
		return true
	}
	return false
}

// wildcard matches s against a pattern in which * stands for any run of characters and \*
// for a literal star.
func wildcard(pat, s string) bool {
	var parts []string
	var cur strings.Builder
	for i := 0; i < len(pat); i++ {
		switch {
		case pat[i] == '\\' && i+1 < len(pat) && (pat[i+1] == '*' || pat[i+1] == '\\'):
			cur.WriteByte(pat[i+1])
			i++
		case pat[i] == '*':
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(pat[i])
		}
	}
	parts = append(parts, cur.String())
	if len(parts) == 1 {
		return s == parts[0]
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return len(s) >= len(last) && strings.HasSuffix(s, last) && utf8.ValidString(s)
}
