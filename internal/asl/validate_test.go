package asl

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestCompileValid(t *testing.T) {
	t.Parallel()
	defs := map[string]string{
		"every state type": `{"Comment":"c","Version":"1.0","TimeoutSeconds":60,"StartAt":"P","States":{
			"P":{"Type":"Pass","Next":"T"},
			"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","TimeoutSecondsPath":"$.t","HeartbeatSeconds":5,
			     "Retry":[{"ErrorEquals":["A","B"],"JitterStrategy":"FULL","MaxDelaySeconds":10},{"ErrorEquals":["States.ALL"]}],
			     "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.e","Next":"F"}],"Next":"C"},
			"C":{"Type":"Choice","Choices":[{"Variable":"$.x","IsNull":true,"Next":"W"},{"Or":[{"Variable":"$.a","StringEqualsPath":"$.b"},{"Variable":"$.c","TimestampGreaterThanEqualsPath":"$.d"}],"Next":"Par"}],"Default":"S"},
			"W":{"Type":"Wait","Timestamp":"2024-01-01T00:00:00Z","Next":"S"},
			"Par":{"Type":"Parallel","Branches":[{"StartAt":"B1","States":{"B1":{"Type":"Succeed"}}}],"Next":"M"},
			"M":{"Type":"Map","ItemsPath":"$.items","MaxConcurrencyPath":"$.max","Parameters":{"x.$":"$$.Map.Item.Value"},
			     "Iterator":{"StartAt":"I1","States":{"I1":{"Type":"Pass","End":true}}},"End":true},
			"S":{"Type":"Succeed"},
			"F":{"Type":"Fail","Error":"E","Cause":"C"}}}`,
		"activity and lambda arn": `{"StartAt":"A","States":{
			"A":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:act","Next":"L"},
			"L":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST","End":true}}}`,
		"distributed map": `{"StartAt":"M","States":{"M":{"Type":"Map","Label":"L","ToleratedFailurePercentagePath":"$.p",
			"ItemReader":{"Resource":"arn:aws:states:::s3:listObjectsV2","Parameters":{"Bucket":"b"}},
			"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"X","States":{"X":{"Type":"Succeed"}}},"End":true}}}`,
		"sync integration": `{"StartAt":"G","States":{"G":{"Type":"Task","Resource":"arn:aws:states:::glue:startJobRun.sync","Parameters":{"JobName":"j","Arguments":{"--id.$":"States.Format('x-{}', $$.Execution.Name)"}},"End":true}}}`,
	}
	for name, def := range defs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := Compile(def); err != nil {
				t.Fatalf("Compile: %v", err)
			}
			if d := Validate(def); len(d) != 0 {
				t.Fatalf("Validate = %v, want none", d)
			}
		})
	}
}

func TestCompileInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, def, code, loc, msg string
	}{
		{"empty", ``, CodeSchema, "", "Definition must be a valid JSON object"},
		{"not an object", `[1]`, CodeSchema, "", "Definition must be a valid JSON object"},
		{"empty object", `{}`, CodeSchema, "/", "These fields are required: [States, StartAt]"},
		{"bad json", "{\n \"StartAt\": x", CodeInvalidJSON, `[Source: (String)"{\n \"StartAt\": x"; line: 2, column: 14]`, "invalid character"},
		{"trailing data", `{"StartAt":"A","States":{"A":{"Type":"Succeed"}}} x`, CodeInvalidJSON, `[Source: (String)"{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Succeed\"}}} x"; line: 1, column: 51]`, ""},
		{"unknown top field", `{"StartAt":"A","Coment":"x","States":{"A":{"Type":"Succeed"}}}`, CodeSchema, "/Coment", `The field "Coment" is not supported by Step Functions`},
		{"missing StartAt", `{"States":{"A":{"Type":"Succeed"}}}`, CodeSchema, "/", "These fields are required: [StartAt]"},
		{"StartAt target", `{"StartAt":"X","States":{"A":{"Type":"Succeed"}}}`, CodeMissingTransition, "/StartAt", "Missing 'Next' target: X"},
		{"Next target", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Nope"}}}`, CodeMissingTransition, "/States/A/Next", "Missing 'Next' target: Nope"},
		{"unreachable", `{"StartAt":"A","States":{"A":{"Type":"Succeed"},"B":{"Type":"Succeed"}}}`, CodeMissingTransition, "/States/B", `State "B" is not reachable.`},
		{"bad type", `{"StartAt":"A","States":{"A":{"Type":"Foo"}}}`, CodeSchema, "/States/A/Type", "The field 'Type' should have one of these values"},
		{"missing type", `{"StartAt":"A","States":{"A":{"End":true}}}`, CodeSchema, "/States/A", "These fields are required: [Type]"},
		{"no next no end", `{"StartAt":"A","States":{"A":{"Type":"Pass"}}}`, CodeSchema, "/States/A", "Exactly one of these fields is required: [Next, End]"},
		{"next and end", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B","End":true},"B":{"Type":"Succeed"}}}`, CodeSchema, "/States/A", "Only one of these fields may be present: [Next, End]"},
		{"no terminal", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"A"}}}`, CodeMissingEndState, "/", ""},
		{"task resource missing", `{"StartAt":"A","States":{"A":{"Type":"Task","End":true}}}`, CodeSchema, "/States/A", "These fields are required: [Resource]"},
		{"task resource invalid", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"lambda","End":true}}}`, CodeInvalidResource, "/States/A/Resource", ""},
		{"heartbeat not below timeout", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","TimeoutSeconds":5,"HeartbeatSeconds":5,"End":true}}}`, CodeSchema, "/States/A/HeartbeatSeconds", ""},
		{"field of other language", `{"StartAt":"A","States":{"A":{"Type":"Pass","Output":{},"End":true}}}`, CodeSchema, "/States/A/Output", "not supported when QueryLanguage is JSONPath"},
		{"field of wrong state", `{"StartAt":"A","States":{"A":{"Type":"Succeed","Next":"A"}}}`, CodeSchema, "/States/A/Next", ""},
		{"ResultPath not reference", `{"StartAt":"A","States":{"A":{"Type":"Pass","ResultPath":"$..x","End":true}}}`, CodeSchema, "/States/A/ResultPath", "Reference Path"},
		{"bad InputPath", `{"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"x","End":true}}}`, CodeSchema, "/States/A/InputPath", ""},
		{"retry all not alone", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":[{"ErrorEquals":["States.ALL","X"]}],"End":true}}}`, CodeSchema, "/States/A/Retry/0/ErrorEquals", "States.ALL"},
		{"retry all not last", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":[{"ErrorEquals":["States.ALL"]},{"ErrorEquals":["X"]}],"End":true}}}`, CodeSchema, "/States/A/Retry/0/ErrorEquals", "last retrier"},
		{"retry backoff", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":[{"ErrorEquals":["X"],"BackoffRate":0.5}],"End":true}}}`, CodeSchema, "/States/A/Retry/0/BackoffRate", ""},
		{"retry jitter", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":[{"ErrorEquals":["X"],"JitterStrategy":"HALF"}],"End":true}}}`, CodeSchema, "/States/A/Retry/0/JitterStrategy", ""},
		{"catch without next", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Catch":[{"ErrorEquals":["X"]}],"End":true}}}`, CodeSchema, "/States/A/Catch/0", "These fields are required: [Next]"},
		{"catch target", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Catch":[{"ErrorEquals":["X"],"Next":"Z"}],"End":true}}}`, CodeMissingTransition, "/States/A/Catch/0/Next", "Missing 'Next' target: Z"},
		{"choice without rules", `{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[]}}}`, CodeSchema, "/States/A/Choices", ""},
		{"choice rule two operators", `{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Variable":"$.x","IsNull":true,"IsString":true,"Next":"B"}]},"B":{"Type":"Succeed"}}}`, CodeSchema, "/States/A/Choices/0", "exactly one comparison operator"},
		{"choice rule unknown operator", `{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Variable":"$.x","StringIs":"a","Next":"B"}]},"B":{"Type":"Succeed"}}}`, CodeSchema, "/States/A/Choices/0/StringIs", ""},
		{"choice operand type", `{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Variable":"$.x","NumericEquals":"1","Next":"B"}]},"B":{"Type":"Succeed"}}}`, CodeSchema, "/States/A/Choices/0/NumericEquals", ""},
		{"choice nested next", `{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Not":{"Variable":"$.x","IsNull":true,"Next":"B"},"Next":"B"}]},"B":{"Type":"Succeed"}}}`, CodeSchema, "/States/A/Choices/0/Not/Next", ""},
		{"choice default target", `{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Variable":"$.x","IsNull":true,"Next":"B"}],"Default":"Q"},"B":{"Type":"Succeed"}}}`, CodeMissingTransition, "/States/A/Default", ""},
		{"wait two fields", `{"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":1,"SecondsPath":"$.s","End":true}}}`, CodeSchema, "/States/A", "Exactly one of these fields is required"},
		{"wait bad timestamp", `{"StartAt":"A","States":{"A":{"Type":"Wait","Timestamp":"yesterday","End":true}}}`, CodeSchema, "/States/A/Timestamp", ""},
		{"fail error and path", `{"StartAt":"A","States":{"A":{"Type":"Fail","Error":"x","ErrorPath":"$.e"}}}`, CodeSchema, "/States/A", ""},
		{"parallel no branches", `{"StartAt":"A","States":{"A":{"Type":"Parallel","Branches":[],"End":true}}}`, CodeSchema, "/States/A/Branches", ""},
		{"branch next outside", `{"StartAt":"A","States":{"A":{"Type":"Parallel","Branches":[{"StartAt":"B","States":{"B":{"Type":"Pass","Next":"A"}}}],"End":true}}}`, CodeMissingTransition, "/States/A/Branches/0/States/B/Next", ""},
		{"duplicate state name", `{"StartAt":"A","States":{"A":{"Type":"Parallel","Branches":[{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}],"End":true}}}`, CodeDuplicateStateName, "/States/A/Branches/0/States/A", ""},
		{"map without processor", `{"StartAt":"A","States":{"A":{"Type":"Map","End":true}}}`, CodeSchema, "/States/A", "These fields are required: [ItemProcessor]"},
		{"map bad mode", `{"StartAt":"A","States":{"A":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"FAST"},"StartAt":"B","States":{"B":{"Type":"Succeed"}}},"End":true}}}`, CodeSchema, "/States/A/ItemProcessor/ProcessorConfig/Mode", ""},
		{"reader needs distributed", `{"StartAt":"A","States":{"A":{"Type":"Map","ItemReader":{"Resource":"arn:aws:states:::s3:getObject"},"ItemProcessor":{"StartAt":"B","States":{"B":{"Type":"Succeed"}}},"End":true}}}`, CodeSchema, "/States/A/ItemReader", "DISTRIBUTED"},
		{"distributed without execution type", `{"StartAt":"A","States":{"A":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"B","States":{"B":{"Type":"Succeed"}}},"End":true}}}`, CodeSchema, "/States/A/ItemProcessor/ProcessorConfig", "These fields are required: [ExecutionType]"},
		{"query language value", `{"QueryLanguage":"XPath","StartAt":"A","States":{"A":{"Type":"Succeed"}}}`, CodeSchema, "/QueryLanguage", ""},
		{"jsonpath under jsonata", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Succeed","QueryLanguage":"JSONPath"}}}`, CodeSchema, "/States/A", "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine"},
		{"timeout not positive", `{"TimeoutSeconds":0,"StartAt":"A","States":{"A":{"Type":"Succeed"}}}`, CodeSchema, "/TimeoutSeconds", ""},
		{"state name too long", `{"StartAt":"` + strings.Repeat("n", 81) + `","States":{"` + strings.Repeat("n", 81) + `":{"Type":"Succeed"}}}`, CodeInvalidStateName, "/States/" + strings.Repeat("n", 81), ""},
		{"pointer escaping", `{"StartAt":"a/b","States":{"a/b":{"Type":"Pass","Next":"c~d"}}}`, CodeMissingTransition, "/States/a~1b/Next", "Missing 'Next' target: c~d"},
		{"bad parameters path", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"nope"},"End":true}}}`, CodeSchema, "/States/A/Parameters", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Compile(tc.def)
			var de *DefinitionError
			if !errors.As(err, &de) {
				t.Fatalf("Compile error = %v, want *DefinitionError", err)
			}
			found := false
			for _, d := range de.Diagnostics {
				if d.Severity != SeverityError {
					t.Errorf("diagnostic %v has severity %s", d, d.Severity)
				}
				if d.Code == tc.code && d.Location == tc.loc && strings.Contains(d.Message, tc.msg) {
					found = true
				}
			}
			if !found {
				t.Fatalf("diagnostics %v lack %s at %q containing %q", de.Diagnostics, tc.code, tc.loc, tc.msg)
			}
			if !strings.HasPrefix(err.Error(), "Invalid State Machine Definition: '"+tc.code) && len(de.Diagnostics) == 1 {
				t.Errorf("Error() = %q", err.Error())
			}
		})
	}
}

func TestValidateWarnings(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, def, code, loc string }{
		{"no dollar", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x":"$.y"},"End":true}}}`, CodeNoDollar, "/States/A/Parameters/x"},
		{"no dollar nested", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"n":{"f":"States.UUID()"}},"End":true}}}`, CodeNoDollar, "/States/A/Parameters/n/f"},
		{"static result", `{"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"x.$":"$.y"},"End":true}}}`, CodePassResultStatic, "/States/A/Result"},
		{"no path", `{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Variable":"$.a","StringEquals":"$.b","Next":"B"}]},"B":{"Type":"Succeed"}}}`, CodeNoPath, "/States/A/Choices/0/StringEquals"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Compile(tc.def); err != nil {
				t.Fatalf("a warning must not fail Compile: %v", err)
			}
			ds := Validate(tc.def)
			if len(ds) != 1 || ds[0].Severity != SeverityWarning || ds[0].Code != tc.code || ds[0].Location != tc.loc {
				t.Fatalf("Validate = %+v, want one %s warning at %s", ds, tc.code, tc.loc)
			}
		})
	}
}

func TestDefinitionErrorMessage(t *testing.T) {
	t.Parallel()
	_, err := Compile(`{"StartAt":"Y","States":{"Y":{"Type":"Pass","Next":"X"}}}`)
	want := "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: X at /States/Y/Next'"
	if err == nil || err.Error() != want {
		t.Fatalf("Error() = %v, want %q", err, want)
	}
	_, err = Compile(`{"StartAt":"Y","States":{"Y":{"Type":"Pass","Next":"X","Bad":1}}}`)
	want = "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The field \"Bad\" is not supported by Step Functions at /States/Y/Bad, " +
		"MISSING_TRANSITION_TARGET: Missing 'Next' target: X at /States/Y/Next'"
	if err == nil || err.Error() != want {
		t.Fatalf("Error() = %v, want %q", err, want)
	}
}

func FuzzCompile(f *testing.F) {
	for _, tc := range goldenCases() {
		f.Add(tc.def)
	}
	f.Add(`{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"And":[{"Not":{}}],"Next":"A"}]}}}`)
	f.Add(`{"StartAt":"A","States":{"A":{"Type":"Map","ItemProcessor":{"StartAt":"A","States":{}},"End":true}}}`)
	f.Fuzz(func(t *testing.T, def string) {
		p, err := Compile(def)
		if err != nil {
			var de *DefinitionError
			if !errors.As(err, &de) || len(de.Diagnostics) == 0 {
				t.Fatalf("Compile error %v is not a *DefinitionError with diagnostics", err)
			}
			return
		}
		// A valid program must start and run its pure steps without panicking.
		s, o := p.Start(map[string]any{}, testContext(), testStart)
		if s == nil || o.Status == "" {
			t.Fatalf("Start returned no snapshot or status")
		}
	})
}

// FuzzExecute runs every definition that compiles to its end with scripted task results, and
// checks the invariants of its history.
func FuzzExecute(f *testing.F) {
	for _, tc := range goldenCases() {
		f.Add(tc.def, tc.input)
	}
	f.Fuzz(func(t *testing.T, def, input string) {
		p, err := Compile(def)
		if err != nil {
			return
		}
		var in any
		if json.Unmarshal([]byte(input), &in) != nil {
			in = map[string]any{}
		}
		r := newRun(t, p)
		r.start(in)
		r.drive(script{}, []any{1.0, "two"})
		checkEventChain(t, r.events)
		switch r.out.Status {
		case StatusSucceeded, StatusFailed, StatusTimedOut, StatusAborted:
			if len(r.s.Pending) != 0 {
				t.Fatalf("ended execution has pending commands %v", r.s.Pending)
			}
		case StatusRunning:
			if len(r.s.Pending) == 0 && len(r.tasks) == 0 {
				t.Fatalf("running execution waits on nothing")
			}
		default:
			t.Fatalf("status %q", r.out.Status)
		}
	})
}
