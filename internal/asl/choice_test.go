package asl

import (
	"encoding/json"
	"testing"
)

func TestChoiceOperators(t *testing.T) {
	t.Parallel()
	input := map[string]any{
		"s": "banana", "n": 5.0, "b": true, "nil": nil, "t": "2024-05-01T10:00:00Z",
		"s2": "cherry", "n2": 5.0, "b2": false, "t2": "2024-05-01T10:00:00.5Z", "star": "a*b",
	}
	tests := []struct {
		rule string
		want bool
	}{
		{`"StringEquals":"banana"`, true},
		{`"StringEquals":"Banana"`, false},
		{`"StringLessThan":"cherry"`, true},
		{`"StringGreaterThan":"apple"`, true},
		{`"StringLessThanEquals":"banana"`, true},
		{`"StringGreaterThanEquals":"banana"`, true},
		{`"StringEqualsPath":"$.s2"`, false},
		{`"StringLessThanPath":"$.s2"`, true},
		{`"StringMatches":"b*na"`, true},
		{`"StringMatches":"*nan*"`, true},
		{`"StringMatches":"b*x"`, false},
		{`"StringMatches":"banana*"`, true},
		{`"StringMatches":"ban"`, false},
		{`"NumericEquals":5`, true},
		{`"NumericEquals":"5"`, false}, // rejected at compile time; see TestCompileInvalid
		{`"NumericLessThan":6`, true},
		{`"NumericGreaterThan":5`, false},
		{`"NumericGreaterThanEquals":5`, true},
		{`"NumericLessThanEquals":4.5`, false},
		{`"NumericEqualsPath":"$.n2"`, true},
		{`"NumericGreaterThanPath":"$.n2"`, false},
		{`"BooleanEquals":true`, true},
		{`"BooleanEqualsPath":"$.b2"`, false},
		{`"TimestampEquals":"2024-05-01T12:00:00+02:00"`, true},
		{`"TimestampLessThanPath":"$.t2"`, true},
		{`"TimestampGreaterThan":"2024-05-01T09:59:59Z"`, true},
		{`"TimestampGreaterThanEquals":"2024-05-01T10:00:00Z"`, true},
		{`"TimestampLessThanEquals":"2024-04-01T10:00:00Z"`, false},
		{`"IsPresent":true`, true},
		{`"IsString":true`, true},
		{`"IsNumeric":true`, false},
		{`"IsBoolean":false`, true},
		{`"IsNull":true`, true},
		{`"IsNull":false`, false},
		{`"IsTimestamp":false`, true},
	}
	for _, tc := range tests {
		t.Run(tc.rule, func(t *testing.T) {
			t.Parallel()
			def := `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.s",` + tc.rule + `,"Next":"Yes"}],"Default":"No"},"Yes":{"Type":"Succeed"},"No":{"Type":"Succeed"}}}`
			p, err := Compile(def)
			if tc.rule == `"NumericEquals":"5"` {
				if err == nil {
					t.Fatal("a string operand of NumericEquals must not compile")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// Numeric, boolean and timestamp rules test their own variables.
			var raw map[string]any
			if err := json.Unmarshal([]byte(`{`+tc.rule+`}`), &raw); err != nil {
				t.Fatal(err)
			}
			variable := "$.s"
			for op := range raw {
				switch o, _ := lookupOperator(op); o.kind {
				case kindNumeric:
					variable = "$.n"
				case kindBoolean:
					variable = "$.b"
				case kindTimestamp:
					variable = "$.t"
				case kindIsNull:
					variable = "$.nil"
				}
			}
			p = mustCompile(t, def[:len(`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"`)]+variable+def[len(`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.s`):])
			_, o := p.Start(input, testContext(), testStart)
			if o.Status != StatusSucceeded {
				t.Fatalf("status %s %s", o.Status, o.Cause)
			}
			took := o.Events[len(o.Events)-3].StateEnteredEventDetails.Name == "Yes"
			if took != tc.want {
				t.Fatalf("rule %s on %s matched = %v, want %v", tc.rule, variable, took, tc.want)
			}
		})
	}
}

func TestChoiceMissingVariableIsRuntimeError(t *testing.T) {
	t.Parallel()
	r := execute(t, `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.nope","StringEquals":"x","Next":"D"}],"Default":"D"},"D":{"Type":"Succeed"}}}`, `{}`, nil)
	if r.out.Status != StatusFailed || r.out.Error != "States.Runtime" {
		t.Fatalf("outcome %s %s", r.out.Status, r.out.Error)
	}
}

func TestWildcardMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*.log", "app.log", true},
		{"*.log", "app.txt", false},
		{`a\*b`, "a*b", true},
		{`a\*b`, "axb", false},
		{`a\\b`, `a\b`, true},
		{"a**b", "ab", true},
		{"*", "", true},
		{"x*y*z", "xayzbz", true},
		{"x*y*z", "xazy", false},
		{"", "", true},
		{"", "a", false},
		{"ab*ba", "aba", false},
	}
	for _, tc := range tests {
		if got := wildcardMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("wildcardMatch(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}
