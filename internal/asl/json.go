package asl

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/ceap/ceap/internal/jsonenc"
)

// compactJSON renders a value as compact JSON, byte for byte as encoding/json does with HTML
// escaping off, for messages, history events and payload-size checks. The values of a state
// machine (maps, slices, strings, float64, bool, nil) are written directly; anything else goes
// through encoding/json.
func compactJSON(v any) string {
	b := make([]byte, 0, 64)
	b, ok := appendJSON(b, v)
	if !ok {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return "null"
		}
		return strings.TrimSuffix(buf.String(), "\n")
	}
	return string(b)
}

// CompactJSON renders a state machine value (as decoded from JSON) as compact JSON, byte for
// byte as encoding/json does with HTML escaping off, without encoding/json's reflection.
func CompactJSON(v any) string { return compactJSON(v) }

// appendJSON appends v; ok is false for a value it does not handle.
func appendJSON(b []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), true
	case bool:
		return strconv.AppendBool(b, x), true
	case string:
		return appendString(b, x), true
	case float64:
		return appendFloat(b, x)
	case []any:
		b = append(b, '[')
		for i, item := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = appendJSON(b, item); !ok {
				return b, false
			}
		}
		return append(b, ']'), true
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			var ok bool
			if b, ok = appendJSON(b, x[k]); !ok {
				return b, false
			}
		}
		return append(b, '}'), true
	}
	return b, false
}

// appendFloat formats like encoding/json: shortest representation, exponent form only for
// very large or very small magnitudes.
func appendFloat(b []byte, f float64) ([]byte, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, false
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, true
}

// appendString writes a JSON string as encoding/json does without HTML escaping.
func appendString(b []byte, s string) []byte { return jsonenc.AppendString(b, s, false) }
