package template

import (
	"encoding/json"
	"errors"
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
		t.Fatal(err)
	}
	return string(b)
}

func testEnv(t testing.TB) Env {
	input := mustJSON(t, `{"title":"Doctor","vals":[0,10,20,30,40,50],"flagged":7,"order":{"id":"o-1","items":[{"sku":"a","qty":1},{"sku":"b","qty":3}]}}`)
	ctx := mustJSON(t, `{"Execution":{"Id":"arn:exec","Name":"run-1"},"Map":{"Item":{"Index":2,"Value":"x"}}}`)
	vars := func(name string) (any, bool) {
		if name == "customerName" {
			return "María", true
		}
		return nil, false
	}
	return Env{
		Input: input, Context: ctx, Vars: vars,
		States: map[string]any{"input": input, "context": ctx},
	}
}

func TestJSONPathTemplate(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	tests := []struct {
		tmpl, want string
	}{
		// The example of the States Language specification.
		{`{"flagged": true, "parts": {"first.$": "$.vals[0]", "last3.$": "$.vals[3:]"}}`, `{"flagged":true,"parts":{"first":0,"last3":[30,40,50]}}`},
		// The JSONPath half of the AWS JSONPath-to-JSONata conversion example.
		{`{"static": "Hello", "title.$": "$.title", "name.$": "$customerName", "not-evaluated": "$customerName"}`, `{"name":"María","not-evaluated":"$customerName","static":"Hello","title":"Doctor"}`},
		{`{"exec.$": "$$.Execution.Id", "index.$": "$$.Map.Item.Index", "item.$": "$$.Map.Item.Value"}`, `{"exec":"arn:exec","index":2,"item":"x"}`},
		{`{"msg.$": "States.Format('{} has {} items', $.order.id, States.ArrayLength($.order.items))"}`, `{"msg":"o-1 has 2 items"}`},
		{`{"big.$": "$.order.items[?(@.qty > 2)].sku"}`, `{"big":["b"]}`},
		{`{"whole.$": "$"}`, `{"whole":{"flagged":7,"order":{"id":"o-1","items":[{"qty":1,"sku":"a"},{"qty":3,"sku":"b"}]},"title":"Doctor","vals":[0,10,20,30,40,50]}}`},
		{`{"list": [1, {"x.$": "$.title"}, "$.title"], "n": null}`, `{"list":[1,{"x":"Doctor"},"$.title"],"n":null}`},
		{`{"past.$": "$.vals[10]"}`, `{"past":null}`},
		{`[{"a.$": "$.flagged"}, 2]`, `[{"a":7},2]`},
		{`"plain"`, `"plain"`},
		{`{}`, `{}`},
	}
	for _, tc := range tests {
		tmpl, err := CompileJSONPath(mustJSON(t, tc.tmpl))
		if err != nil {
			t.Errorf("CompileJSONPath(%s): %v", tc.tmpl, err)
			continue
		}
		got, err := tmpl.Eval(env)
		if err != nil {
			t.Errorf("Eval(%s): %v", tc.tmpl, err)
			continue
		}
		if g := toJSON(t, got); g != tc.want {
			t.Errorf("Eval(%s) = %s, want %s", tc.tmpl, g, tc.want)
		}
	}
}

func TestConstantTemplates(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		`{"a": 1, "b": ["$.x", {"c": "States.UUID()"}]}`: true,
		`"{% $states.input %}"`:                          true,
		`{"a.$": "$.x"}`:                                 false,
		`[1, {"b": {"c.$": "States.UUID()"}}]`:           false,
	} {
		tmpl, err := CompileJSONPath(mustJSON(t, s))
		if err != nil {
			t.Fatal(err)
		}
		if tmpl.IsConstant() != want {
			t.Errorf("CompileJSONPath(%s).IsConstant() = %v, want %v", s, tmpl.IsConstant(), want)
		}
	}
	in := mustJSON(t, `{"a": {"b": [1, 2]}}`)
	tmpl, _ := CompileJSONPath(in)
	got, _ := tmpl.Eval(Env{})
	if toJSON(t, got) != toJSON(t, in) {
		t.Errorf("constant template = %s", toJSON(t, got))
	}
}

func TestJSONPathFailures(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	env.Input = mustJSON(t, `{"other":1}`)
	tests := []struct {
		tmpl, name, cause string
	}{
		{`{"missing.$": "$.nope.deep"}`, fault.Runtime, `The JSONPath '$.nope.deep' specified for the field 'missing.$' could not be found in the input '{"other":1}'`},
		{`{"a": {"b.$": "$.x"}}`, fault.Runtime, `The JSONPath '$.x' specified for the field 'b.$' could not be found in the input '{"other":1}'`},
		{`{"m.$": "States.Format('{}', $.x)"}`, fault.Runtime, `The JSONPath '$.x' specified for the field 'm.$' could not be found in the input '{"other":1}'`},
		{`{"c.$": "$$.Nope"}`, fault.Runtime, ""},
		{`{"v.$": "$undefinedVar"}`, fault.Runtime, `The variable '$undefinedVar' referenced by the field 'v.$' is not defined`},
		{`{"v.$": "$customerName.first"}`, fault.Runtime, `The JSONPath '$customerName.first' specified for the field 'v.$' could not be found in the variable '$customerName'`},
		{`{"i.$": "States.ArrayGetItem(States.Array(1), 5)"}`, fault.IntrinsicFailure, ""},
	}
	for _, tc := range tests {
		tmpl, err := CompileJSONPath(mustJSON(t, tc.tmpl))
		if err != nil {
			t.Fatalf("CompileJSONPath(%s): %v", tc.tmpl, err)
		}
		_, err = tmpl.Eval(env)
		var fe *fault.Error
		if !errors.As(err, &fe) || fe.Name != tc.name {
			t.Errorf("Eval(%s) error = %v, want %s", tc.tmpl, err, tc.name)
			continue
		}
		if tc.cause != "" && fe.Cause != tc.cause {
			t.Errorf("Eval(%s) cause:\n got %s\nwant %s", tc.tmpl, fe.Cause, tc.cause)
		}
	}
}

func TestCompileJSONPathErrors(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		`{"a.$": 1}`,
		`{"a.$": "not a path"}`,
		`{"a.$": "$.a["}`,
		`{"a.$": "States.Nope()"}`,
		`{"a.$": "States.Format("}`,
		`{"a": {"b.$": {"c": 1}}}`,
		`{"a": 1, "a.$": "$.x"}`,
		`[{"x.$": "{% $states.input %}"}]`,
	} {
		if _, err := CompileJSONPath(mustJSON(t, s)); !errors.Is(err, ErrInvalid) {
			t.Errorf("CompileJSONPath(%s) error = %v, want ErrInvalid", s, err)
		}
	}
}

func TestJSONataTemplate(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	tests := []struct {
		tmpl, want string
	}{
		// The JSONata half of the AWS JSONPath-to-JSONata conversion example.
		{`{"static": "Hello", "title": "{% $states.input.title %}", "name": "{% $customerName %}", "not-evaluated": "$customerName"}`, `{"name":"María","not-evaluated":"$customerName","static":"Hello","title":"Doctor"}`},
		{`"{% $states.input.order.items[qty > 2].sku %}"`, `"b"`},
		{`{"n": "{% $count($states.input.vals) %}", "nested": [{"id": "{% $states.input.order.id %}"}, "{% 1 + 1 %}", "plain {% text"]}`, `{"n":6,"nested":[{"id":"o-1"},2,"plain {% text"]}`},
		{`{"exec": "{% $states.context.Execution.Name %}", "parts": "{% $partition($states.input.vals, 4) %}"}`, `{"exec":"run-1","parts":[[0,10,20,30],[40,50]]}`},
		{`12`, `12`},
	}
	for _, tc := range tests {
		tmpl, err := CompileJSONata(mustJSON(t, tc.tmpl))
		if err != nil {
			t.Errorf("CompileJSONata(%s): %v", tc.tmpl, err)
			continue
		}
		got, err := tmpl.Eval(env)
		if err != nil {
			t.Errorf("Eval(%s): %v", tc.tmpl, err)
			continue
		}
		if g := toJSON(t, got); g != tc.want {
			t.Errorf("Eval(%s) = %s, want %s", tc.tmpl, g, tc.want)
		}
	}
}

func TestJSONataFailures(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	env.Field = "Output"
	tests := []struct {
		tmpl, cause string
	}{
		{`{"v": "{% $states.input.missing %}"}`, "The JSONata expression '$states.input.missing' specified for the field 'Output/v' returned nothing (undefined)."},
		{`{"a": {"b": "{% $states.input.missing %}"}}`, "The JSONata expression '$states.input.missing' specified for the field 'Output/a/b' returned nothing (undefined)."},
		{`"{% $states.input.missing %}"`, "The JSONata expression '$states.input.missing' specified for the field 'Output' returned nothing (undefined)."},
		{`{"values": ["{% $states.input.missing %}"]}`, "The JSONata expression '$states.input.missing' specified for the field 'Output/values[0]' returned nothing (undefined)."},
		{`{"x": "{% $error('boom') %}"}`, "The JSONata expression '$error('boom')' specified for the field 'Output/x' threw an error during evaluation: boom"},
	}
	for _, tc := range tests {
		tmpl, err := CompileJSONata(mustJSON(t, tc.tmpl))
		if err != nil {
			t.Fatalf("CompileJSONata(%s): %v", tc.tmpl, err)
		}
		_, err = tmpl.Eval(env)
		var fe *fault.Error
		if !errors.As(err, &fe) || fe.Name != fault.QueryEvaluationError {
			t.Errorf("Eval(%s) error = %v, want States.QueryEvaluationError", tc.tmpl, err)
			continue
		}
		if fe.Cause != tc.cause {
			t.Errorf("Eval(%s) cause:\n got %s\nwant %s", tc.tmpl, fe.Cause, tc.cause)
		}
	}
	for _, s := range []string{`{"a": "{% $states.input.( %}"}`, `["{% $.title %}"]`, `"{% title %}"`, `{"x": "{% {a: 1} %}"}`} {
		if _, err := CompileJSONata(mustJSON(t, s)); !errors.Is(err, ErrInvalid) {
			t.Errorf("CompileJSONata(%s) error = %v, want ErrInvalid", s, err)
		}
	}
}

func TestCompileValue(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	tests := []struct {
		v       string
		jsonata bool
		want    string
	}{
		{`"$.order.id"`, false, `"o-1"`},
		{`"$$.Execution.Name"`, false, `"run-1"`},
		{`"States.ArrayLength($.vals)"`, false, `6`},
		{`"literal"`, false, `"literal"`},
		{`30`, false, `30`},
		{`{"a.$": "$.flagged"}`, false, `{"a":7}`},
		{`"{% $count($states.input.vals) * 10 %}"`, true, `60`},
		{`"$.order.id"`, true, `"$.order.id"`},
		{`[1, "{% $states.input.flagged %}"]`, true, `[1,7]`},
	}
	for _, tc := range tests {
		tmpl, err := CompileValue(mustJSON(t, tc.v), tc.jsonata)
		if err != nil {
			t.Errorf("CompileValue(%s, %v): %v", tc.v, tc.jsonata, err)
			continue
		}
		got, err := tmpl.Eval(env)
		if err != nil {
			t.Errorf("CompileValue(%s, %v).Eval: %v", tc.v, tc.jsonata, err)
			continue
		}
		if g := toJSON(t, got); g != tc.want {
			t.Errorf("CompileValue(%s, %v) = %s, want %s", tc.v, tc.jsonata, g, tc.want)
		}
	}
	for _, s := range []string{`"$.a["`, `"States.Nope()"`} {
		if _, err := CompileValue(mustJSON(t, s), false); !errors.Is(err, ErrInvalid) {
			t.Errorf("CompileValue(%s) error = %v, want ErrInvalid", s, err)
		}
	}
	tmpl, _ := CompileValue("$.nope", false)
	if _, err := tmpl.Eval(env); err == nil {
		t.Error("a single path that selects nothing must fail")
	}
}

func TestLazyContext(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	ctx := env.Context
	env.Context = nil
	calls := 0
	env.LazyContext = func() any { calls++; return ctx }
	noContext, err := CompileJSONPath(mustJSON(t, `{"a.$": "$.title", "b.$": "States.Format('{}', $.flagged)"}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := noContext.Eval(env); err != nil || calls != 0 {
		t.Fatalf("a template without $$ paths built the context %d time(s) (err %v)", calls, err)
	}
	withContext, err := CompileJSONPath(mustJSON(t, `{"a.$": "$$.Execution.Id", "b.$": "States.Format('{}', $$.Execution.Name)", "c.$": "$$.Map.Item.Index"}`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := withContext.Eval(env)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 || toJSON(t, got) != `{"a":"arn:exec","b":"run-1","c":2}` {
		t.Fatalf("got %s after %d context build(s), want one build", toJSON(t, got), calls)
	}
}

func TestEvalDoesNotMutate(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	before := toJSON(t, env.Input)
	tmpl, err := CompileJSONPath(mustJSON(t, `{"order.$": "$.order", "merged.$": "States.JsonMerge($.order, States.StringToJson('{\"id\": 2}'), false)"}`))
	if err != nil {
		t.Fatal(err)
	}
	out, err := tmpl.Eval(env)
	if err != nil {
		t.Fatal(err)
	}
	if toJSON(t, env.Input) != before {
		t.Fatal("evaluation mutated the input")
	}
	if got := toJSON(t, out.(map[string]any)["merged"]); got != `{"id":2,"items":[{"qty":1,"sku":"a"},{"qty":3,"sku":"b"}]}` {
		t.Fatalf("merged = %s", got)
	}
}

func BenchmarkEvalJSONPath(b *testing.B) {
	tmpl, err := CompileJSONPath(mustJSON(b, `{"static": "x", "id.$": "$.order.id", "first.$": "$.order.items[0].sku", "exec.$": "$$.Execution.Id"}`))
	if err != nil {
		b.Fatal(err)
	}
	env := testEnv(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tmpl.Eval(env); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvalJSONata(b *testing.B) {
	tmpl, err := CompileJSONata(mustJSON(b, `{"static": "x", "id": "{% $states.input.order.id %}", "exec": "{% $states.context.Execution.Id %}"}`))
	if err != nil {
		b.Fatal(err)
	}
	env := testEnv(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tmpl.Eval(env); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		`{"a.$": "$.title", "b": [1, {"c.$": "States.Format('{}', $.flagged)"}]}`,
		`{"x": "{% $states.input.title %}", "y": ["{% 1 + 1 %}"]}`,
		`{"v.$": "$customerName"}`, `"{% $uuid() %}"`, `{"a.$": "$$.Execution.Id"}`,
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	env := testEnv(f)
	f.Fuzz(func(t *testing.T, src string, jsonataMode bool) {
		var v any
		if err := json.Unmarshal([]byte(src), &v); err != nil {
			return
		}
		var tmpl *Template
		var err error
		if jsonataMode {
			tmpl, err = CompileJSONata(v)
		} else {
			tmpl, err = CompileJSONPath(v)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("compile %s: error %v does not wrap ErrInvalid", src, err)
			}
			return
		}
		if _, err := tmpl.Eval(env); err != nil {
			var fe *fault.Error
			if !errors.As(err, &fe) {
				t.Fatalf("eval %s: error %v is not a *fault.Error", src, err)
			}
		}
	})
}
