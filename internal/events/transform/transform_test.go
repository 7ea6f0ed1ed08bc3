package transform

import (
	"strings"
	"testing"
)

func TestFill(t *testing.T) {
	t.Parallel()
	vars := map[string]any{
		"instance": "i-123",
		"state":    "running",
		"count":    float64(3),
		"obj":      map[string]any{"a": "b\"c"},
		"$.body.x": "v",
	}
	lookup := func(n string) (any, bool) { v, ok := vars[n]; return v, ok }
	cases := []struct{ tmpl, want string }{
		{`{"id": <instance>, "n": <count>}`, `{"id": "i-123", "n": 3}`},
		{`"<instance> is in state <state>"`, `"i-123 is in state running"`},
		{`{"msg": "obj is <obj>"}`, `{"msg": "obj is {\"a\":\"b\\\"c\"}"}`},
		{`{"o": <obj>}`, `{"o": {"a":"b\"c"}}`},
		{`{"x": "<$.body.x>"}`, `{"x": "v"}`},
		{`{"u": <unknown>, "lt": "a < b"}`, `{"u": <unknown>, "lt": "a < b"}`},
		{`{"esc": "quote \" <state>"}`, `{"esc": "quote \" running"}`},
		{`plain <state> text`, `plain "running" text`},
	}
	for _, c := range cases {
		if got := Fill(c.tmpl, lookup); got != c.want {
			t.Errorf("Fill(%s) = %s, want %s", c.tmpl, got, c.want)
		}
	}
}

func FuzzFill(f *testing.F) {
	f.Add(`{"a": <x>, "b": "<x> and \" <y>"}`)
	f.Add(`"<x>`)
	f.Fuzz(func(t *testing.T, tmpl string) {
		out := Fill(tmpl, func(n string) (any, bool) { return "v", n == "x" })
		if !strings.Contains(tmpl, "<x>") && out != tmpl {
			t.Fatalf("Fill changed a template without placeholders: %q -> %q", tmpl, out)
		}
	})
}
