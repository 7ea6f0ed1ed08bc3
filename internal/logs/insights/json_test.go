package insights

import (
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// oracleFields discovers fields with encoding/json, the reference that discover must agree with.
func oracleFields(msg string) map[string]string {
	out := map[string]string{}
	trimmed := strings.TrimLeft(msg, " \t\n\r")
	if !strings.HasPrefix(trimmed, "{") {
		return out
	}
	var obj map[string]any
	d := json.NewDecoder(strings.NewReader(trimmed))
	d.UseNumber()
	if err := d.Decode(&obj); err != nil {
		return out
	}
	var walk func(prefix string, depth int, v any)
	walk = func(prefix string, depth int, v any) {
		if depth > maxDiscoverDepth {
			return
		}
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				walk(join(prefix, k, depth), depth+1, x)
			}
		case []any:
			for i, x := range v {
				walk(prefix+"."+strconv.Itoa(i), depth+1, x)
			}
		case string:
			out[prefix] = v
		case json.Number:
			out[prefix] = v.String()
		case bool:
			out[prefix] = strconv.FormatBool(v)
		}
	}
	walk("", 0, obj)
	return out
}

// hasDuplicateKeys reports whether some object of a JSON text repeats a key (where a map-based
// decoder keeps only the last value, nested fields included).
func hasDuplicateKeys(msg string) bool {
	d := json.NewDecoder(strings.NewReader(msg))
	type frame struct {
		object bool
		keys   map[string]bool
		key    bool // the next string token is a key
	}
	var stack []*frame
	for {
		t, err := d.Token()
		if errors.Is(err, io.EOF) || err != nil {
			return false
		}
		if len(stack) > 0 {
			top := stack[len(stack)-1]
			if top.object {
				if s, ok := t.(string); ok && top.key {
					if top.keys[s] {
						return true
					}
					top.keys[s] = true
					top.key = false
					continue
				}
				top.key = true
			}
		}
		switch t {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, keys: map[string]bool{}, key: true})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				return false
			}
			if top := stack[len(stack)-1]; top.object {
				top.key = true
			}
		}
	}
}

var jsonCorpus = []string{
	`{"time":"2026-03-01T12:00:00Z","level":"INFO","msg":"stage succeeded","executionId":"e-1","stage":"ETLTask","status":"SUCCEEDED","duration":12}`,
	`  {"a":{"b":{"c":[1,2,{"d":"x"}]}},"e":true,"f":false,"g":null,"h":-1.5e+3}`,
	`{"esc":"line\nbreak \"quoted\" \u00e9 \ud83d\ude00","k\"ey":"v"}`,
	`{"empty":{},"list":[],"n":0,"": "blank key"}`,
	`{"bad":01}`,
	`{"bad":1.}`,
	`{"bad":"unterminated}`,
	`{"bad" 1}`,
	`{"a":1}trailing text`,
	`["not","an","object"]`,
	`not json {"a":1}`,
	"{\"ctl\":\"a\x01b\"}",
	"{\"utf8\":\"\xff\xfe\"}",
	`{"deep":` + strings.Repeat(`{"x":`, 20) + `1` + strings.Repeat(`}`, 20) + `}`,
}

func TestDiscoverAgreesWithEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, msg := range jsonCorpus {
		if got, want := Discover(msg), oracleFields(msg); !reflect.DeepEqual(got, want) {
			t.Errorf("Discover(%q)\n got %v\nwant %v", msg, got, want)
		}
	}
}

func FuzzDiscover(f *testing.F) {
	for _, msg := range jsonCorpus {
		f.Add(msg)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		got := Discover(msg)
		if hasDuplicateKeys(msg) {
			return
		}
		if want := oracleFields(msg); !reflect.DeepEqual(got, want) {
			t.Fatalf("Discover(%q)\n got %v\nwant %v", msg, got, want)
		}
	})
}
