package filterpattern

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// A JSON pattern is evaluated on the message's text, without decoding it into Go values: each
// comparison walks the message once, checking that it is one well-formed JSON object or array
// (as decoding would) and noting where the values its selector reaches lie. Nothing is allocated
// unless a selector reaches many values or a string holds escapes.

// jsonKind is the kind of a JSON value.
type jsonKind byte

const (
	jsonString jsonKind = iota + 1
	jsonNumber
	jsonTrue
	jsonFalse
	jsonNull
	jsonObject
	jsonArray
)

// maxJSONDepth is the deepest nesting accepted, as in encoding/json.
const maxJSONDepth = 10000

// jsonValue is a value that a selector reached: its kind and its text in the message.
type jsonValue struct {
	kind jsonKind
	raw  string
}

// scalarText renders a scalar the way it appears in the event (strings unquoted); ok is false for
// objects, arrays and null, which no value comparison matches.
func (v jsonValue) scalarText() (string, bool) {
	switch v.kind {
	case jsonString:
		return unquoteJSON(v.raw)
	case jsonNumber:
		return v.raw, true
	case jsonTrue:
		return "true", true
	case jsonFalse:
		return "false", true
	}
	return "", false
}

// unquoteJSON returns the value of a JSON string literal.
func unquoteJSON(raw string) (string, bool) {
	if inner := raw[1 : len(raw)-1]; plain(inner) {
		return inner, true
	}
	var s string
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		return "", false
	}
	return s, true
}

// plain reports whether the text of a string literal is its value: no escapes, valid UTF-8
// (decoding replaces invalid bytes with U+FFFD).
func plain(inner string) bool {
	return strings.IndexByte(inner, '\\') < 0 && utf8.ValidString(inner)
}

// selectJSON returns the values that sel reaches in msg; ok is false when msg (blanks aside) is
// not one JSON object or array. The values are valid until the scanner's next use.
func (sc *jsonScanner) selectJSON(msg string, sel selector) ([]jsonValue, bool) {
	*sc = jsonScanner{s: msg, out: sc.out[:0]}
	sc.space()
	if sc.i >= len(sc.s) || (sc.s[sc.i] != '{' && sc.s[sc.i] != '[') {
		return nil, false
	}
	if !sc.value(sel, true, 0) {
		return nil, false
	}
	sc.space()
	if sc.i != len(sc.s) {
		return nil, false
	}
	return sc.out, true
}

// jsonScanner walks one message; a Pattern keeps a pool of them so that their buffers are reused.
type jsonScanner struct {
	s   string
	i   int
	out []jsonValue
}

func (sc *jsonScanner) space() {
	for sc.i < len(sc.s) {
		switch sc.s[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

// value reads one value. When on, the path to it matched the selector so far and rest is what
// remains of the selector: with nothing left, the value itself is selected.
func (sc *jsonScanner) value(rest selector, on bool, depth int) bool {
	sc.space()
	if sc.i >= len(sc.s) || depth > maxJSONDepth {
		return false
	}
	start := sc.i
	var kind jsonKind
	switch c := sc.s[sc.i]; {
	case c == '{':
		kind = jsonObject
		if !sc.object(rest, on && len(rest) > 0, depth+1) {
			return false
		}
	case c == '[':
		kind = jsonArray
		if !sc.array(rest, on && len(rest) > 0, depth+1) {
			return false
		}
	case c == '"':
		kind = jsonString
		if !sc.str() {
			return false
		}
	case c == 't':
		kind = jsonTrue
		if !sc.word("true") {
			return false
		}
	case c == 'f':
		kind = jsonFalse
		if !sc.word("false") {
			return false
		}
	case c == 'n':
		kind = jsonNull
		if !sc.word("null") {
			return false
		}
	case c == '-' || (c >= '0' && c <= '9'):
		kind = jsonNumber
		if !sc.number() {
			return false
		}
	default:
		return false
	}
	if on && len(rest) == 0 {
		sc.out = append(sc.out, jsonValue{kind: kind, raw: sc.s[start:sc.i]})
	}
	return true
}

// object reads an object; when descend is set, the members that sel's first step names are
// followed. A key that appears twice keeps only its last value, as decoding into a map does.
func (sc *jsonScanner) object(sel selector, descend bool, depth int) bool {
	sc.i++ // '{'
	sc.space()
	if sc.i < len(sc.s) && sc.s[sc.i] == '}' {
		sc.i++
		return true
	}
	lastMatch := -1
	var members []memberValues // under a wildcard, where each member's values are in out
	for {
		sc.space()
		if sc.i >= len(sc.s) || sc.s[sc.i] != '"' {
			return false
		}
		kstart := sc.i
		if !sc.str() {
			return false
		}
		key := sc.s[kstart:sc.i]
		sc.space()
		if sc.i >= len(sc.s) || sc.s[sc.i] != ':' {
			return false
		}
		sc.i++
		match := false
		if descend {
			switch st := sel[0]; {
			case st.wildcard:
				match = true
			case !st.isIndex && keyIs(key, st.key):
				match = true
				if lastMatch >= 0 {
					sc.out = sc.out[:lastMatch]
				}
				lastMatch = len(sc.out)
			}
		}
		var rest selector
		if match {
			rest = sel[1:]
		}
		from := len(sc.out)
		if !sc.value(rest, match, depth) {
			return false
		}
		if descend && sel[0].wildcard {
			members = sc.addMember(members, memberValues{key: key, from: from, to: len(sc.out)})
		}
		sc.space()
		if sc.i >= len(sc.s) {
			return false
		}
		switch sc.s[sc.i] {
		case ',':
			sc.i++
		case '}':
			sc.i++
			return true
		default:
			return false
		}
	}
}

// memberValues says which values in out came from one member of an object.
type memberValues struct {
	key      string
	from, to int
}

// addMember notes the values of member, the last member read; first it removes from out the
// values of an earlier member with the same key (the last one wins, as in decoding into a map).
func (sc *jsonScanner) addMember(members []memberValues, member memberValues) []memberValues {
	for i, m := range members {
		if !sameKey(m.key, member.key) {
			continue
		}
		n := m.to - m.from
		sc.out = append(sc.out[:m.from], sc.out[m.to:]...)
		members = append(members[:i], members[i+1:]...)
		for j := i; j < len(members); j++ {
			members[j].from -= n
			members[j].to -= n
		}
		member.from -= n
		member.to -= n
		break
	}
	return append(members, member)
}

// sameKey reports whether two quoted keys are the same key.
func sameKey(a, b string) bool {
	if a == b {
		return true
	}
	if plain(a[1:len(a)-1]) && plain(b[1:len(b)-1]) {
		return false
	}
	ka, ok1 := unquoteJSON(a)
	kb, ok2 := unquoteJSON(b)
	return ok1 && ok2 && ka == kb
}

// keyIs reports whether the quoted key raw is name.
func keyIs(raw, name string) bool {
	if plain(raw[1 : len(raw)-1]) {
		return len(raw) == len(name)+2 && raw[1:len(raw)-1] == name
	}
	k, ok := unquoteJSON(raw)
	return ok && k == name
}

// array reads an array; when descend is set, the elements that sel's first step names are
// followed.
func (sc *jsonScanner) array(sel selector, descend bool, depth int) bool {
	sc.i++ // '['
	sc.space()
	if sc.i < len(sc.s) && sc.s[sc.i] == ']' {
		sc.i++
		return true
	}
	for idx := 0; ; idx++ {
		match := descend && (sel[0].wildcard || (sel[0].isIndex && sel[0].index == idx))
		var rest selector
		if match {
			rest = sel[1:]
		}
		if !sc.value(rest, match, depth) {
			return false
		}
		sc.space()
		if sc.i >= len(sc.s) {
			return false
		}
		switch sc.s[sc.i] {
		case ',':
			sc.i++
		case ']':
			sc.i++
			return true
		default:
			return false
		}
	}
}

// str reads a string literal, checking its escapes and that it holds no control character.
func (sc *jsonScanner) str() bool {
	sc.i++ // '"'
	for sc.i < len(sc.s) {
		c := sc.s[sc.i]
		switch {
		case c == '"':
			sc.i++
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if sc.i+1 >= len(sc.s) {
				return false
			}
			switch sc.s[sc.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				sc.i += 2
			case 'u':
				if sc.i+6 > len(sc.s) {
					return false
				}
				for _, h := range []byte(sc.s[sc.i+2 : sc.i+6]) {
					if !isHex(h) {
						return false
					}
				}
				sc.i += 6
			default:
				return false
			}
		default:
			sc.i++
		}
	}
	return false
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func (sc *jsonScanner) word(w string) bool {
	if !strings.HasPrefix(sc.s[sc.i:], w) {
		return false
	}
	sc.i += len(w)
	return true
}

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (sc *jsonScanner) number() bool {
	if sc.s[sc.i] == '-' {
		sc.i++
	}
	switch {
	case sc.i < len(sc.s) && sc.s[sc.i] == '0':
		sc.i++
	case sc.digits() == 0:
		return false
	}
	if sc.i < len(sc.s) && sc.s[sc.i] == '.' {
		sc.i++
		if sc.digits() == 0 {
			return false
		}
	}
	if sc.i < len(sc.s) && (sc.s[sc.i] == 'e' || sc.s[sc.i] == 'E') {
		sc.i++
		if sc.i < len(sc.s) && (sc.s[sc.i] == '+' || sc.s[sc.i] == '-') {
			sc.i++
		}
		if sc.digits() == 0 {
			return false
		}
	}
	return true
}

func (sc *jsonScanner) digits() int {
	start := sc.i
	for sc.i < len(sc.s) && sc.s[sc.i] >= '0' && sc.s[sc.i] <= '9' {
		sc.i++
	}
	return sc.i - start
}
