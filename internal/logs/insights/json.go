package insights

import (
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"
)

// maxDiscoverDepth bounds how deep nested JSON fields are discovered; deeper values are read but
// not named.
const maxDiscoverDepth = 16

var errJSON = errors.New("invalid JSON")

// discover adds the fields of a JSON object message, nested ones with dotted names (and array
// members with their index), as Insights discovers them in JSON log events. A message that is
// not a valid JSON object adds nothing. It reads the message in place: a string without escapes
// becomes a field without being copied.
func discover(rec *record, msg string) {
	i := skipSpace(msg, 0)
	if i == len(msg) || msg[i] != '{' {
		return
	}
	sc := jsonScan{s: msg}
	if _, err := sc.value(i, "", 0); err != nil {
		return
	}
	for _, f := range sc.found {
		rec.set(f.name, f.v)
	}
}

type jsonField struct {
	name string
	v    Value
}

type jsonScan struct {
	s     string
	found []jsonField
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// afterElem reads what follows an element of an object or array that end closes: the position
// after end and true when the container closes there, else the start of the next element.
func afterElem(s string, i int, end byte) (int, bool, error) {
	i = skipSpace(s, i)
	switch {
	case i >= len(s):
		return 0, false, errJSON
	case s[i] == end:
		return i + 1, true, nil
	case s[i] != ',':
		return 0, false, errJSON
	}
	return skipSpace(s, i+1), false, nil
}

func join(prefix, name string, depth int) string {
	if depth == 0 {
		return name
	}
	return prefix + "." + name
}

// value reads the value at i, named name at the given depth, and returns the position after it.
func (sc *jsonScan) value(i int, name string, depth int) (int, error) {
	s := sc.s
	if i >= len(s) {
		return 0, errJSON
	}
	keep := depth <= maxDiscoverDepth
	switch c := s[i]; {
	case c == '{':
		i = skipSpace(s, i+1)
		if i < len(s) && s[i] == '}' {
			return i + 1, nil
		}
		for {
			if i >= len(s) || s[i] != '"' {
				return 0, errJSON
			}
			key, next, err := sc.str(i)
			if err != nil {
				return 0, err
			}
			i = skipSpace(s, next)
			if i >= len(s) || s[i] != ':' {
				return 0, errJSON
			}
			child := ""
			if keep {
				child = join(name, key, depth)
			}
			if i, err = sc.value(skipSpace(s, i+1), child, depth+1); err != nil {
				return 0, err
			}
			var closed bool
			if i, closed, err = afterElem(s, i, '}'); err != nil || closed {
				return i, err
			}
		}
	case c == '[':
		i = skipSpace(s, i+1)
		if i < len(s) && s[i] == ']' {
			return i + 1, nil
		}
		for n := 0; ; n++ {
			child := ""
			if keep {
				child = name + "." + strconv.Itoa(n)
			}
			var err error
			if i, err = sc.value(i, child, depth+1); err != nil {
				return 0, err
			}
			var closed bool
			if i, closed, err = afterElem(s, i, ']'); err != nil || closed {
				return i, err
			}
		}
	case c == '"':
		v, next, err := sc.str(i)
		if err != nil {
			return 0, err
		}
		if keep {
			sc.found = append(sc.found, jsonField{name, str(v)})
		}
		return next, nil
	case c == '-' || c >= '0' && c <= '9':
		end, ok := scanNumber(s, i)
		if !ok {
			return 0, errJSON
		}
		if keep {
			sc.found = append(sc.found, jsonField{name, str(s[i:end])})
		}
		return end, nil
	}
	for _, lit := range []string{"true", "false", "null"} {
		if len(s)-i >= len(lit) && s[i:i+len(lit)] == lit {
			if keep && lit != "null" {
				sc.found = append(sc.found, jsonField{name, str(lit)})
			}
			return i + len(lit), nil
		}
	}
	return 0, errJSON
}

// str reads the JSON string that starts at the quote at i.
func (sc *jsonScan) str(i int) (string, int, error) {
	s := sc.s
	j := i + 1
	escaped := false
	for j < len(s) {
		c := s[j]
		switch {
		case c == '"':
			raw := s[i+1 : j]
			if !escaped && utf8.ValidString(raw) {
				return raw, j + 1, nil
			}
			// Escapes and invalid UTF-8 are rare: let encoding/json decode them exactly.
			var out string
			if err := json.Unmarshal([]byte(s[i:j+1]), &out); err != nil {
				return "", 0, errJSON
			}
			return out, j + 1, nil
		case c == '\\':
			escaped = true
			j += 2
		case c < 0x20:
			return "", 0, errJSON
		default:
			j++
		}
	}
	return "", 0, errJSON
}

// scanNumber returns the end of the JSON number at i, and whether it is one.
func scanNumber(s string, i int) (int, bool) {
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		return 0, false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || !isDigit(s[i]) {
			return 0, false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || !isDigit(s[i]) {
			return 0, false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	return i, true
}
