package filterpattern

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// decodeReference is how a message was read before selectJSON: decoded whole with encoding/json
// (numbers kept exact). selectJSON must agree with it on every message.
func decodeReference(message string) (any, bool) {
	s := strings.Trim(message, " \t\r\n")
	if s == "" || (s[0] != '{' && s[0] != '[') {
		return nil, false
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return doc, true
}

// selectReference returns, as text, every value that sel reaches in a decoded document.
func selectReference(doc any, sel selector) []string {
	cur := []any{doc}
	for _, st := range sel {
		var next []any
		for _, v := range cur {
			switch x := v.(type) {
			case map[string]any:
				if st.wildcard {
					for _, e := range x {
						next = append(next, e)
					}
				} else if e, ok := x[st.key]; ok && !st.isIndex {
					next = append(next, e)
				}
			case []any:
				switch {
				case st.wildcard:
					next = append(next, x...)
				case st.isIndex && st.index < len(x):
					next = append(next, x[st.index])
				}
			}
		}
		cur = next
	}
	out := make([]string, len(cur))
	for i, v := range cur {
		switch x := v.(type) {
		case string:
			out[i] = "s:" + x
		case json.Number:
			out[i] = "n:" + x.String()
		case bool:
			out[i] = "b:" + strconv.FormatBool(x)
		case nil:
			out[i] = "null"
		case map[string]any:
			out[i] = "object"
		case []any:
			out[i] = "array"
		}
	}
	slices.Sort(out)
	return out
}

func selectText(vals []jsonValue) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		switch v.kind {
		case jsonString:
			s, _ := v.scalarText()
			out[i] = "s:" + s
		case jsonNumber:
			out[i] = "n:" + v.raw
		case jsonTrue, jsonFalse:
			out[i] = "b:" + v.raw
		case jsonNull:
			out[i] = "null"
		case jsonObject:
			out[i] = "object"
		case jsonArray:
			out[i] = "array"
		}
	}
	slices.Sort(out)
	return out
}

var selectorTexts = []string{"$", "$.a", "$.a.b", "$.a[0]", "$.a[1].b", "$.a[*]", "$.*", "$.a.*.c", "$[0]", "$[*].a", "$.user.email", "$.tags[1]", "$.a\\u0062"}

func parseSelectorForTest(t testing.TB, text string) selector {
	t.Helper()
	p := &parser{src: text, end: len(text)}
	sel, err := p.parseSelector()
	if err != nil {
		t.Fatalf("selector %q: %v", text, err)
	}
	return sel
}

// checkSelect compares selectJSON with the reference on one message and selector.
func checkSelect(t *testing.T, msg string, sel selector) {
	t.Helper()
	doc, wantOK := decodeReference(msg)
	var sc jsonScanner
	got, ok := sc.selectJSON(msg, sel)
	if ok != wantOK {
		t.Fatalf("selectJSON(%q) ok = %v, encoding/json says %v", msg, ok, wantOK)
	}
	if !ok {
		return
	}
	if want, have := selectReference(doc, sel), selectText(got); !slices.Equal(want, have) {
		t.Fatalf("selectJSON(%q, %v) = %q, want %q", msg, sel, have, want)
	}
}

func TestSelectJSON(t *testing.T) {
	t.Parallel()
	messages := []string{
		jsonEvent,
		`{"a":{"b":1,"c":[1,2]},"x":"y"}`,
		`{"a":[{"b":"x"},{"b":"\u0041\n"},3]}`,
		`  {"a": 1, "a": 2}  `, // a repeated key keeps its last value
		`{"a": {"b": 1}, "a": {"c": 2}}`,
		`[{"a":1},{"a":[true,false,null]}]`,
		`{"a":-0.5e+10,"b":0,"c":-0,"d":1E3}`,
		`{"user":{"email":"e@x","email":"f@x"}}`,
		`{"ab":1,"a\u0062":2}`,
		`{"tags":["a","b","c"]}`,
		`{}`, `[]`, `[[[]]]`,
		// Not one JSON object or array.
		``, `   `, `null`, `"a"`, `12`, `{`, `{"a":1`, `{"a":1}x`, `{"a":1}{"b":2}`, `{"a":01}`, `{"a":1.}`,
		`{"a":.5}`, `{"a":-}`, `{"a":1e}`, `{"a":tru}`, `{"a":"x\q"}`, `{"a":"x` + "\x01" + `"}`, `{"a" 1}`,
		`{"a":1,}`, `[1,]`, `{a:1}`, `{"a":"\u12"}`, `[1 2]`, `{"a":[}`, `{"a":nul}`,
	}
	for _, msg := range messages {
		for _, st := range selectorTexts {
			checkSelect(t, msg, parseSelectorForTest(t, st))
		}
	}
}

func FuzzSelectJSON(f *testing.F) {
	for _, m := range []string{jsonEvent, `{"a":[{"b":"x"},{"b":1}]}`, `[1,"a",{"b":null}]`, `{"a":1,"a":2}`} {
		for i := range selectorTexts {
			f.Add(m, i)
		}
	}
	f.Fuzz(func(t *testing.T, msg string, which int) {
		if which < 0 {
			which = -which
		}
		checkSelect(t, msg, parseSelectorForTest(t, selectorTexts[which%len(selectorTexts)]))
	})
}

// benchEvent is an event of the logs benchmark (bench/logs).
const benchEvent = `{"level":"info","req":123456,"path":"/api/items/3767","status":500,"ms":206,"msg":"served from cache needle hit"}`

func BenchmarkMatchJSON(b *testing.B) {
	for _, pattern := range []string{`{ $.status = 500 }`, `{ $.msg = "served*" && $.ms > 100 }`, `{ $.missing NOT EXISTS }`} {
		p, err := Parse(pattern)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(pattern, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(benchEvent)))
			for b.Loop() {
				if !p.Match(benchEvent) {
					b.Fatal("no match")
				}
			}
		})
	}
}

func ExampleParse() {
	p, _ := Parse(`{ $.status = 500 }`)
	fmt.Println(p.Match(benchEvent), p.Match(`{"status":200}`), p.Match(`{"status":500`))
	// Output: true false false
}

// BenchmarkSelectReference is the cost of the decoding that selectJSON replaced, for comparison.
func BenchmarkSelectReference(b *testing.B) {
	sel := parseSelectorForTest(b, "$.status")
	b.ReportAllocs()
	b.SetBytes(int64(len(benchEvent)))
	for b.Loop() {
		doc, ok := decodeReference(benchEvent)
		if !ok || len(selectReference(doc, sel)) != 1 {
			b.Fatal("no value")
		}
	}
}
