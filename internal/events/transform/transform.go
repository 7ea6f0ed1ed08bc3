// Package transform fills the input templates of EventBridge (InputTransformer.InputTemplate) and
// of EventBridge Pipes (TargetParameters.InputTemplate): placeholders <name> are replaced by the
// values that a lookup gives. Inside a JSON string a placeholder becomes the value's text
// (escaped for JSON); outside one it becomes the value as JSON. It holds no state.
package transform

import (
	"encoding/json"
	"strings"
)

// Lookup returns the value of a placeholder (decoded JSON: string, number, bool, nil, map,
// slice) and whether the placeholder is defined. Undefined placeholders stay as written.
type Lookup func(name string) (any, bool)

// Fill replaces the placeholders of tmpl.
func Fill(tmpl string, lookup Lookup) string {
	var b strings.Builder
	inString := false
	for i := 0; i < len(tmpl); i++ {
		c := tmpl[i]
		switch {
		case c == '\\' && inString && i+1 < len(tmpl):
			b.WriteByte(c)
			b.WriteByte(tmpl[i+1])
			i++
			continue
		case c == '"':
			inString = !inString
		case c == '<':
			end := strings.IndexByte(tmpl[i+1:], '>')
			if end > 0 {
				name := tmpl[i+1 : i+1+end]
				if validName(name) {
					if v, ok := lookup(name); ok {
						if inString {
							b.WriteString(escapeText(v))
						} else {
							b.WriteString(asJSON(v))
						}
						i += end + 1
						continue
					}
				}
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

func validName(s string) bool {
	for _, r := range s {
		if r == ' ' || r == '<' || r == '"' || r == '\n' || r == '\t' {
			return false
		}
	}
	return s != ""
}

// escapeText is the value's text as it appears inside a JSON string: strings as they are, other
// values as their JSON, in both cases escaped for a JSON string.
func escapeText(v any) string {
	s, ok := v.(string)
	if !ok {
		s = asJSON(v)
	}
	q, _ := json.Marshal(s)
	return string(q[1 : len(q)-1])
}

func asJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return string(b)
}
