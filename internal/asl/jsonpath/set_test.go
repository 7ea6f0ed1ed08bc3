package jsonpath

import (
	"errors"
	"testing"
)

func TestSet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		doc, path, value, want string
	}{
		{`{"a":1}`, "$", `{"x":2}`, `{"x":2}`},
		{`{"a":1}`, "$.b", `2`, `{"a":1,"b":2}`},
		{`{"a":1}`, "$.a", `[1,2]`, `{"a":[1,2]}`},
		{`{"a":1}`, "$.x.y.z", `true`, `{"a":1,"x":{"y":{"z":true}}}`},
		{`{"a":{"b":1,"c":2}}`, "$.a.b", `null`, `{"a":{"b":null,"c":2}}`},
		{`{"a":[{"b":1},{"b":2}]}`, "$.a[1].b", `3`, `{"a":[{"b":1},{"b":3}]}`},
		{`{"a":[1,2,3]}`, "$.a[-1]", `9`, `{"a":[1,2,9]}`},
		{`{"a":[1,2,3]}`, "$['a'][0]", `0`, `{"a":[0,2,3]}`},
		{`"str"`, "$", `1`, `1`},
	}
	for _, tc := range tests {
		doc := mustJSON(t, tc.doc)
		before := toJSON(t, doc)
		got, err := Set(doc, MustCompile(tc.path), mustJSON(t, tc.value))
		if err != nil {
			t.Errorf("Set(%s, %s): %v", tc.doc, tc.path, err)
			continue
		}
		if g := toJSON(t, got); g != tc.want {
			t.Errorf("Set(%s, %s, %s) = %s, want %s", tc.doc, tc.path, tc.value, g, tc.want)
		}
		if after := toJSON(t, doc); after != before {
			t.Errorf("Set mutated its input: %s became %s", before, after)
		}
	}
}

func TestSetSharesUntouchedBranches(t *testing.T) {
	t.Parallel()
	doc := mustJSON(t, `{"big":{"x":[1,2,3]},"a":{"b":1}}`)
	got, err := Set(doc, MustCompile("$.a.b"), 2.0)
	if err != nil {
		t.Fatal(err)
	}
	oldBig := doc.(map[string]any)["big"].(map[string]any)
	newBig := got.(map[string]any)["big"].(map[string]any)
	oldBig["marker"] = true
	if _, ok := newBig["marker"]; !ok {
		t.Fatal("untouched branch was copied instead of shared")
	}
}

func TestSetErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		doc, path string
		want      error
	}{
		{`"str"`, "$.a", ErrSetMismatch},
		{`null`, "$.a", ErrSetMismatch},
		{`{"a":"str"}`, "$.a.b", ErrSetMismatch},
		{`{"a":null}`, "$.a.b", ErrSetMismatch},
		{`{"a":[1]}`, "$.a.b", ErrSetMismatch},
		{`{"a":[1]}`, "$.a[3]", ErrSetMismatch},
		{`{"a":{}}`, "$.a[0]", ErrSetMismatch},
		{`{}`, "$.b[0]", ErrSetMismatch},
		{`{}`, "$.a[*]", ErrNotReference},
		{`{}`, "$..a", ErrNotReference},
		{`{}`, "$$.a", ErrNotReference},
		{`{}`, "$v.a", ErrNotReference},
		{`{}`, "$.a.length()", ErrNotReference},
	}
	for _, tc := range tests {
		_, err := Set(mustJSON(t, tc.doc), MustCompile(tc.path), 1.0)
		if !errors.Is(err, tc.want) {
			t.Errorf("Set(%s, %s) error = %v, want %v", tc.doc, tc.path, err, tc.want)
		}
	}
}

func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		"$", "$$", "$.a.b", "$['a'][0]", "$..x", "$.a[?(@.b < 1 && @.c == 'x' || !(@.d))]",
		"$.a[1:2:3]", "$.a.length()", "$v.x", "$.a[?(@.b =~ /x/i)]", "$.a[?(@.b in [1,'2',null])]",
		"$[?(@ size 2)]", "$['a','b']",
	} {
		f.Add(s)
	}
	doc := map[string]any{"a": []any{1.0, map[string]any{"b": "x", "c": []any{true, nil}}}, "b": "s"}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Compile(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Compile(%q) returned %T, want *SyntaxError", s, err)
			}
			return
		}
		if p.String() != s {
			t.Fatalf("String() = %q, want %q", p.String(), s)
		}
		_, _ = p.Get(doc)
		if p.IsReference() && p.root == rootInput {
			if _, err := Set(doc, p, 1.0); err != nil && !errors.Is(err, ErrSetMismatch) {
				t.Fatalf("Set(%q): unexpected error %v", s, err)
			}
		}
	})
}

func BenchmarkGetDefinite(b *testing.B) {
	doc := mustJSON(b, `{"order":{"id":"o-1","items":[{"sku":"a","qty":1},{"sku":"b","qty":2}]},"customer":"c"}`)
	p := MustCompile("$.order.items[1].sku")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Get(doc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetFilter(b *testing.B) {
	doc := mustJSON(b, `{"order":{"id":"o-1","items":[{"sku":"a","qty":1},{"sku":"b","qty":2}]},"customer":"c"}`)
	p := MustCompile("$.order.items[?(@.qty > 1)].sku")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Get(doc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSet(b *testing.B) {
	doc := mustJSON(b, `{"order":{"id":"o-1","items":[{"sku":"a","qty":1},{"sku":"b","qty":2}]},"customer":"c"}`)
	p := MustCompile("$.result.status")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Set(doc, p, "ok"); err != nil {
			b.Fatal(err)
		}
	}
}
