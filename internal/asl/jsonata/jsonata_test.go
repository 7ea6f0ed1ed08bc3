package jsonata

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ceap/ceap/internal/asl/fault"
)

func mustJSON(t testing.TB, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad test JSON %q: %v", s, err)
	}
	return v
}

func toJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %#v: %v", v, err)
	}
	return string(b)
}

func testStates(t testing.TB) map[string]any {
	return map[string]any{
		"input":   mustJSON(t, `{"title":"Doctor","items":[{"price":5,"name":"a"},{"price":15,"name":"b"}],"nums":[1,2,3,4,5,6,7,8,9],"s":"Mr. Smith","json":"{\"number\": 20}"}`),
		"context": mustJSON(t, `{"Execution":{"Id":"arn:exec","Name":"run-1"},"State":{"Name":"S"}}`),
		"result":  mustJSON(t, `{"Payload":{"ok":true}}`),
	}
}

func testVars(name string) (any, bool) {
	switch name {
	case "customerName":
		return "María", true
	case "limits":
		return map[string]any{"max": 10.0}, true
	}
	return nil, false
}

func TestEval(t *testing.T) {
	t.Parallel()
	states := testStates(t)
	tests := []struct {
		expr, want string
	}{
		{"$states.input.title", `"Doctor"`},
		{"$customerName", `"María"`},
		{"$states.context.Execution.Name", `"run-1"`},
		{"$states.result.Payload.ok", `true`},
		{"$count($states.input.items)", `2`},
		{"$sum($states.input.items.price)", `20`},
		{"$states.input.items[price > $limits.max].name", `"b"`},
		{"$states.input.items[0].price * 2", `10`},
		{"{'name': $customerName, 'n': $count($states.input.nums)}", `{"n":9,"name":"María"}`},
		{"[1..3]", `[1,2,3]`},
		{"$states.input.s & '!'", `"Mr. Smith!"`},
		{`"Mr." & ' ' & 'X'`, `"Mr. X"`},
		{`'a/*not a comment*/b'`, `"a/*not a comment*/b"`},
		{"$string($count($states.input.nums))", `"9"`},
		{"$millis() > 0", `true`},
		{"$length('héllo')", `5`},
		{"$split('a,b', ',')", `["a","b"]`},
		{"$match('ab', /b/).index", `1`},
		{"$keys({'a':1})", `"a"`},
		{"$single([7])", `7`},
		{"$single([1, 2, 3], function($v){ $v > 2 })", `3`},
		{"$keys({'b':1, 'a':2, 'c':3})", `["a","b","c"]`},
		{"$keys([{'b':1}, {'a':2, 'b':3}])", `["b","a"]`},
		{"$each({'b':1, 'a':2}, function($v, $k){ $k & '=' & $v })", `["a=2","b=1"]`},
		{"$spread({'b':1, 'a':2})", `[{"a":2},{"b":1}]`},
		{"$spread([{'b':1, 'a':2}, 3])", `[{"a":2},{"b":1},3]`},
		{"( $x := 5; $x * 2 )", `10`},
		{"$map([1,2], function($v){ $v * 10 })", `[10,20]`},
		{"$states.input.nums[$ > 7]", `[8,9]`},
		{"null", `null`},
		{"$states.input.items.name", `["a","b"]`},
		{"$states.input.items", `[{"name":"a","price":5},{"name":"b","price":15}]`},
		{"$limits.max", `10`},
		// Functions Step Functions adds, with the examples of the AWS documentation.
		{"$partition([1,2,3,4,5,6,7,8,9], 3)", `[[1,2,3],[4,5,6],[7,8,9]]`},
		{"$partition($states.input.nums, 4)", `[[1,2,3,4],[5,6,7,8],[9]]`},
		{"$range(0, 10, 2)", `[0,2,4,6,8,10]`},
		{"$range(5, 0, -2)", `[5,3,1]`},
		{"$range(1, 0, 1)", `[]`},
		{"$hash('input data', 'SHA-1')", `"aaff4a450a104cd177d28d18d74485e8cae074b7"`},
		{"$hash('abc', 'SHA-256')", `"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"`},
		{"$parse($states.input.json)", `{"number":20}`},
		{"$parse('[1, \"x\"]')[1]", `"x"`},
		{"$random(42) = $random(42)", `true`},
		{"$random() >= 0 and $random() < 1", `true`},
	}
	for _, tc := range tests {
		e, err := Compile(tc.expr)
		if err != nil {
			t.Errorf("Compile(%q): %v", tc.expr, err)
			continue
		}
		got, err := e.Eval(states, testVars)
		if err != nil {
			t.Errorf("Eval(%q): %v", tc.expr, err)
			continue
		}
		if g := toJSON(t, got); g != tc.want {
			t.Errorf("Eval(%q) = %s, want %s", tc.expr, g, tc.want)
		}
	}
}

// TestFunctionApplicationIsRepeatable evaluates "~>" chains several times: the library rewrites
// such calls in place, which the package must prevent.
func TestFunctionApplicationIsRepeatable(t *testing.T) {
	t.Parallel()
	states := testStates(t)
	tests := map[string]string{
		"$states.input.s ~> $substringBefore(' ')":                        `"Mr."`,
		"[3, 1, 2] ~> $sort()":                                            `[1,2,3]`,
		"[3, 1, 2] ~> $sort( )":                                           `[1,2,3]`,
		"$states.input.nums ~> $filter(function($v){ $v > 7 }) ~> $sum()": `17`,
		"$states.input.items ~> $map(function($i){ $i.price * 2 })":       `[10,30]`,
		"'a,b' ~> $split(',') ~> $join('-')":                              `"a-b"`,
		"'abc' ~> $uppercase":                                             `"ABC"`,
		"( $f := function($x, $y){ $x & $y }; 'a' ~> $f('b') )":           `"ab"`,
		"/* doubled */ [1,2] ~> $append([3])":                             `[1,2,3]`,
	}
	for expr, want := range tests {
		e, err := Compile(expr)
		if err != nil {
			t.Errorf("Compile(%q): %v", expr, err)
			continue
		}
		for i := range 3 {
			got, err := e.Eval(states, nil)
			if err != nil {
				t.Errorf("Eval #%d (%q): %v", i+1, expr, err)
				break
			}
			if g := toJSON(t, got); g != want {
				t.Errorf("Eval #%d (%q) = %s, want %s", i+1, expr, g, want)
				break
			}
		}
	}
}

func TestEvalResultTypes(t *testing.T) {
	t.Parallel()
	e, err := Compile("{'c': $count([1,2]), 'm': $millis(), 'l': $length('ab'), 's': $split('a', ','), 'g': $match('ab', /a/)}")
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.Eval(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := got.(map[string]any)
	for _, k := range []string{"c", "m", "l"} {
		if _, ok := m[k].(float64); !ok {
			t.Errorf("%s is %T, want float64", k, m[k])
		}
	}
	if _, ok := m["s"].([]any); !ok {
		t.Errorf("s is %T, want []any", m["s"])
	}
	g, ok := m["g"].([]any)
	if !ok || len(g) != 1 {
		t.Fatalf("g is %#v, want one match", m["g"])
	}
	if _, ok := g[0].(map[string]any)["groups"].([]any); !ok {
		t.Errorf("match groups are %T, want []any", g[0].(map[string]any)["groups"])
	}
}

func TestEvalDoesNotMutate(t *testing.T) {
	t.Parallel()
	states := testStates(t)
	before := toJSON(t, states)
	e, err := Compile("$states.input ~> |items|{'price': 0}|")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Eval(states, nil); err != nil {
		t.Fatal(err)
	}
	if after := toJSON(t, states); after != before {
		t.Fatalf("evaluation mutated $states:\n%s\n%s", before, after)
	}
}

func TestRandomAndUUIDUseEnvRand(t *testing.T) {
	t.Parallel()
	e, err := Compile("[$random(), $uuid()]")
	if err != nil {
		t.Fatal(err)
	}
	rnd := func() float64 { return 0.25 }
	a, err := e.EvalEnv(Env{Rand: rnd})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := e.EvalEnv(Env{Rand: rnd})
	if toJSON(t, a) != toJSON(t, b) || a.([]any)[0] != 0.25 {
		t.Fatalf("with a fixed Rand: %v and %v", a, b)
	}
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if !re.MatchString(a.([]any)[1].(string)) {
		t.Fatalf("uuid %v is not a version 4 UUID", a.([]any)[1])
	}
}

func TestEvalErrors(t *testing.T) {
	t.Parallel()
	states := testStates(t)
	tests := []struct {
		expr      string
		undefined bool
	}{
		{"$states.input.missing", true},
		{"$states.input.title.x", true},
		{"$limits.max.deeper", true},
		{"$nobody", true},
		{"$states.input.items[price > 100]", true},
		{"1/0", false},
		{"'a' + 1", false},
		{"$error('boom')", false},
		{"$assert(1 = 2, 'not equal')", false},
		{"$partition([1], 0)", false},
		{"$partition('x', 1)", false},
		{"$range(0, 2000, 1)", false},
		{"$range(0, 1, 0)", false},
		{"$hash('x', 'SHA-3')", false},
		{"$parse('{bad')", false},
		{"$uuid(1)", false},
		{"$uppercase", false},
		{"$objmerge({}, {})", false},
		{"$sjoin(['a'], ',')", false},
		{"$eval('1 + 1')", false},
		{"$single([1, 2])", false},
		{"$count($eval('[1]'))", false},
		{"$formatNumber(1, 'x')", false},
	}
	for _, tc := range tests {
		e, err := Compile(tc.expr)
		if err != nil {
			t.Errorf("Compile(%q): %v", tc.expr, err)
			continue
		}
		_, err = e.Eval(states, testVars)
		var je *Error
		if !errors.As(err, &je) {
			t.Errorf("Eval(%q) error = %v, want *Error", tc.expr, err)
			continue
		}
		var fe *fault.Error
		if !errors.As(err, &fe) || fe.Name != fault.QueryEvaluationError {
			t.Errorf("Eval(%q) error %v does not unwrap to States.QueryEvaluationError", tc.expr, err)
		}
		if je.Undefined != tc.undefined {
			t.Errorf("Eval(%q) Undefined = %v, want %v (%v)", tc.expr, je.Undefined, tc.undefined, err)
		}
	}
}

func TestFaultCause(t *testing.T) {
	t.Parallel()
	undefined := (&Error{Expr: "$states.input.missing", Undefined: true}).Fault("Output/v")
	if want := "The JSONata expression '$states.input.missing' specified for the field 'Output/v' returned nothing (undefined)."; undefined.Cause != want {
		t.Errorf("cause = %q, want %q", undefined.Cause, want)
	}
	thrown := (&Error{Expr: "1/0", Msg: "out of range"}).Fault("Arguments/x")
	if want := "The JSONata expression '1/0' specified for the field 'Arguments/x' threw an error during evaluation: out of range"; thrown.Cause != want {
		t.Errorf("cause = %q, want %q", thrown.Cause, want)
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	for expr, unsupported := range map[string]bool{
		"":                            false,
		"   ":                         false,
		"$states.input.(":             false,
		"[1, 2":                       false,
		"'unterminated":               false,
		"$":                           true,
		"$.title":                     true,
		"$$.title":                    true,
		"$$":                          true,
		"title":                       true,
		"items[0]":                    true,
		"items^(price)":               true,
		"$count(items)":               true,
		"{'a': title}":                true,
		"{a: 1}":                      true,
		"1 + price":                   true,
		"$states.input.x ? a : 1":     true,
		"$states.input ~> $map(name)": true,
		"$map($states.input.a, function($x){ b })":         true,
		"$map($states.input.nums, function($v){ $v + $ })": true,
		"( $x := price; $x )":                              true,
	} {
		_, err := Compile(expr)
		if err == nil {
			t.Errorf("Compile(%q) succeeded, want an error", expr)
			continue
		}
		var se *SyntaxError
		if unsupported != errors.Is(err, ErrUnsupported) || unsupported == errors.As(err, &se) {
			t.Errorf("Compile(%q) error = %v, want unsupported=%v", expr, err, unsupported)
		}
	}
	_, err := Compile("$count(phone)")
	if want := "Reference to 'phone' at the top level is not supported"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Compile error = %v, want it to say %q", err, want)
	}
	// Names after the first step of a path, in predicates, sort terms and groupings read the
	// value before them; wildcards and descendants are not refused.
	for _, expr := range []string{
		"$states.input.items[price > 10]", "$states.input.items.(price * 2)", "$states.input.items^(>price)",
		"$states.input.items{name: price}", "$map($states.input.nums, function($v){ $v.x })", "*", "**",
		"$states.input.items ~> $map(function($i){ $i.price })", "$eval('1')",
	} {
		if _, err := Compile(expr); err != nil {
			t.Errorf("Compile(%q): %v", expr, err)
		}
	}
}

func TestStatesFieldsAndVariables(t *testing.T) {
	t.Parallel()
	e, err := Compile("{'r': $states.result.Payload, 'e': $states.errorOutput.Cause, 'i': $states.input.x, 'again': $states.result, 'v': $customerName, 'n': $count($limits)}")
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Join(e.StatesFields(), ",")
	for _, f := range []string{"result", "errorOutput", "input"} {
		if !strings.Contains(fields, f) {
			t.Errorf("StatesFields() = %v, missing %s", e.StatesFields(), f)
		}
	}
	if len(e.StatesFields()) != 3 {
		t.Errorf("StatesFields() = %v, want 3 distinct fields", e.StatesFields())
	}
	vars := strings.Join(slices.Sorted(slices.Values(e.Variables())), ",")
	if vars != "customerName,limits" {
		t.Errorf("Variables() = %v, want customerName and limits", e.Variables())
	}
}

func TestIsExpression(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"{% $states.input %}":     "$states.input",
		"  {%$x%}  ":              "$x",
		"{%\n  1 + 2\n%}":         "1 + 2",
		"{% %}":                   "",
		"{%%}":                    "",
		"{% x":                    "-",
		"x %}":                    "-",
		"$states.input":           "-",
		"{%":                      "-",
		"prefix {% $x %}":         "-",
		"{% 'a' %} and {% 'b' %}": "'a' %} and {% 'b'",
	}
	for s, want := range tests {
		got, ok := Unwrap(s)
		if want == "-" {
			if ok || IsExpression(s) {
				t.Errorf("Unwrap(%q) = %q, true; want not an expression", s, got)
			}
			continue
		}
		if !ok || got != want || !IsExpression(s) {
			t.Errorf("Unwrap(%q) = %q, %v; want %q", s, got, ok, want)
		}
	}
}

func TestConcurrentEval(t *testing.T) {
	t.Parallel()
	e, err := Compile("$states.input.n + $k + $count($map([1,2], function($v){ $v })) - 2 + ($match('ab', /b/).index - 1) + ($sort([2,1]) ~> $filter(function($v){ $v > 5 }) ~> $count())")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 8)
	for i := range 8 {
		go func() {
			for j := range 50 {
				want := float64(i*1000 + j)
				got, err := e.Eval(map[string]any{"input": map[string]any{"n": want}}, func(name string) (any, bool) { return 0.0, name == "k" })
				if err == nil && got != want {
					err = errors.New("cross-talk between concurrent evaluations")
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// TestConcurrentContextCalls runs functions that take their argument from the context, which
// the library would share between concurrent evaluations.
func TestConcurrentContextCalls(t *testing.T) {
	t.Parallel()
	e, err := Compile("$join($states.input.names.$uppercase(), ',')")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 4)
	for i := range 4 {
		go func() {
			name := string(rune('a' + i))
			want := strings.Repeat(strings.ToUpper(name), 1) + "," + strings.ToUpper(name) + "X"
			for range 200 {
				got, err := e.Eval(map[string]any{"input": map[string]any{"names": []any{name, name + "x"}}}, nil)
				if err == nil && got != want {
					err = fmt.Errorf("got %v, want %v", got, want)
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		"$states.input.a", "$partition([1,2], 1)", "{'a': [1..3]}", "$states.input.x[y > 1].z",
		`"Mr." & 'x'`, "$eval('1')", "( $x := 1; $x )", "$map([1], function($v){$v})", "/* c */ 1",
	} {
		f.Add(s)
	}
	states := map[string]any{"input": map[string]any{"a": []any{1.0, "x", map[string]any{"b": true}}}}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Compile(s)
		if err != nil {
			return
		}
		_, err = e.Eval(states, func(string) (any, bool) { return 1.0, true })
		var fe *fault.Error
		if err != nil && !errors.As(err, &fe) {
			t.Fatalf("Eval(%q) error %v is not a *fault.Error", s, err)
		}
	})
}

func BenchmarkEvalTrivial(b *testing.B) {
	e, err := Compile("$states.input.title")
	if err != nil {
		b.Fatal(err)
	}
	states := testStates(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Eval(states, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvalObject(b *testing.B) {
	e, err := Compile("{'name': $customerName, 'total': $sum($states.input.items.price), 'id': $uuid()}")
	if err != nil {
		b.Fatal(err)
	}
	states := testStates(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Eval(states, testVars); err != nil {
			b.Fatal(err)
		}
	}
}
