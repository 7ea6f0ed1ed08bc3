package asl

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func FuzzCompactJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5,-0,1e21,1e-7,123456789012345678901],"b":"x\u2028\n\"<>&\u0001\\"}`, `"\xff"`, `[true,false,null]`, `1e-300`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		var v any
		if json.Unmarshal([]byte(doc), &v) != nil {
			return
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return // nothing to compare with
		}
		want := strings.TrimSuffix(buf.String(), "\n")
		if got := compactJSON(v); got != want {
			t.Fatalf("compactJSON = %s, want %s", got, want)
		}
	})
}

func TestCompactJSONMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	values := []any{
		map[string]any{"z": 1.0, "a": []any{"\t", "é", "\u2029", "\x7f", string([]byte{0xff})}, "m": map[string]any{}},
		[]any{0.1, 1e20, 1e21, -1e-7, 5e-324, math.MaxFloat64, 12.0},
		"plain", true, nil,
	}
	for _, v := range values {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		if got, want := compactJSON(v), strings.TrimSuffix(buf.String(), "\n"); got != want {
			t.Errorf("compactJSON(%#v) = %s, want %s", v, got, want)
		}
	}
	if got := compactJSON(math.NaN()); got != "null" {
		t.Errorf("NaN renders %s", got)
	}
}
