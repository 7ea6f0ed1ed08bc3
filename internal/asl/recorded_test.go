package asl

import (
	"fmt"
	"strings"
	"testing"
)

// These histories were recorded against Step Functions (published with LocalStack's
// Step Functions test suite); the interpreter must produce the same event types, ids and
// previousEventIds.

type step struct {
	typ  string
	prev int64
}

func checkRecorded(t *testing.T, got []HistoryEvent, want []step) {
	t.Helper()
	var b strings.Builder
	ok := len(got) == len(want)
	for i := range max(len(got), len(want)) {
		g, w := "-", "-"
		if i < len(got) {
			g = fmt.Sprintf("%d %s<-%d", got[i].ID, got[i].Type, got[i].PreviousEventID)
		}
		if i < len(want) {
			w = fmt.Sprintf("%d %s<-%d", i+1, want[i].typ, want[i].prev)
		}
		if g != w {
			ok = false
		}
		fmt.Fprintf(&b, "%-40s %s\n", g, w)
	}
	if !ok {
		t.Fatalf("history differs from the recording (got, want):\n%s", b.String())
	}
}

const recordedMapPrefix = `{"StartAt":"StartState","States":{
	"StartState":{"Type":"Pass","Result":[1,"Hello",{},null,3.3,3,4,5],"ResultPath":"$.arr","Next":"MapState"},
	"MapState":{"Type":"Map","ResultPath":null,"InputPath":"$.arr","MaxConcurrency":1,`

func TestRecordedMapState(t *testing.T) {
	t.Parallel()
	r := execute(t, recordedMapPrefix+`"ItemProcessor":{"StartAt":"HandleItem","States":{"HandleItem":{"Type":"Pass","End":true}}},"Next":"Final"},
		"Final":{"Type":"Pass","End":true}}}`, `{}`, nil)
	want := []step{{"ExecutionStarted", 0}, {"PassStateEntered", 0}, {"PassStateExited", 2}, {"MapStateEntered", 3}, {"MapStateStarted", 4}}
	prev := int64(5)
	for i := range 8 {
		start := int64(len(want) + 1)
		want = append(want, step{"MapIterationStarted", prev}, step{"PassStateEntered", start}, step{"PassStateExited", start + 1}, step{"MapIterationSucceeded", start + 2})
		prev = start + 2
		_ = i
	}
	want = append(want, step{"MapStateSucceeded", 37}, step{"MapStateExited", 37}, step{"PassStateEntered", 39}, step{"PassStateExited", 40}, step{"ExecutionSucceeded", 41})
	checkRecorded(t, r.events, want)
}

func TestRecordedMapStateCatch(t *testing.T) {
	t.Parallel()
	r := execute(t, `{"StartAt":"StartState","States":{
		"StartState":{"Type":"Pass","Result":{"arr":[1]},"Next":"MapState"},
		"MapState":{"Type":"Map","ItemsPath":"$.arr",
		  "ItemProcessor":{"StartAt":"HandleItemFail","States":{"HandleItemFail":{"Type":"Fail","Error":"HandleItemFailError","Cause":"HandleItemFailCause"}}},
		  "Catch":[{"ErrorEquals":["States.ALL"],"Next":"FinalCaught"}],"Next":"Final"},
		"FinalCaught":{"Type":"Pass","End":true},
		"Final":{"Type":"Pass","End":true}}}`, `{}`, nil)
	checkRecorded(t, r.events, []step{
		{"ExecutionStarted", 0}, {"PassStateEntered", 0}, {"PassStateExited", 2}, {"MapStateEntered", 3}, {"MapStateStarted", 4},
		{"MapIterationStarted", 5}, {"FailStateEntered", 6}, {"MapIterationFailed", 7}, {"MapStateFailed", 7}, {"MapStateExited", 9},
		{"PassStateEntered", 10}, {"PassStateExited", 11}, {"ExecutionSucceeded", 12},
	})
	if got := compactJSON(r.out.Output); got != `{"Cause":"HandleItemFailCause","Error":"HandleItemFailError"}` {
		t.Fatalf("output %s", got)
	}
}

func TestRecordedMapStateRetry(t *testing.T) {
	t.Parallel()
	r := execute(t, `{"StartAt":"StartState","States":{
		"StartState":{"Type":"Pass","Result":{"arr":[1]},"Next":"MapState"},
		"MapState":{"Type":"Map","ItemsPath":"$.arr",
		  "ItemProcessor":{"StartAt":"HandleItemFail","States":{"HandleItemFail":{"Type":"Fail","Error":"HandleItemFailError","Cause":"HandleItemFailCause"}}},
		  "Retry":[{"ErrorEquals":["States.ALL"],"IntervalSeconds":1,"MaxAttempts":2,"BackoffRate":1}],"End":true}}}`, `{}`, nil)
	checkRecorded(t, r.events, []step{
		{"ExecutionStarted", 0}, {"PassStateEntered", 0}, {"PassStateExited", 2}, {"MapStateEntered", 3}, {"MapStateStarted", 4},
		{"MapIterationStarted", 5}, {"FailStateEntered", 6}, {"MapIterationFailed", 7},
		{"MapStateStarted", 7}, {"MapIterationStarted", 9}, {"FailStateEntered", 10}, {"MapIterationFailed", 11},
		{"MapStateStarted", 11}, {"MapIterationStarted", 13}, {"FailStateEntered", 14}, {"MapIterationFailed", 15},
		{"MapStateFailed", 15}, {"ExecutionFailed", 17},
	})
}

func TestRecordedMapBreakCondition(t *testing.T) {
	t.Parallel()
	r := execute(t, `{"StartAt":"StartState","States":{
		"StartState":{"Type":"Pass","Result":{"arr":[1,"Hello",{},3.3,3,4,5]},"Next":"MapState"},
		"MapState":{"Type":"Map","ItemsPath":"$.arr","MaxConcurrency":1,"ItemProcessor":{"StartAt":"Equals3","States":{
		  "Equals3":{"Type":"Choice","Choices":[{"And":[{"Variable":"$","IsNumeric":true},{"Variable":"$","NumericEquals":3}],"Next":"Break"}],"Default":"Pass"},
		  "Break":{"Type":"Fail","Error":"SomeFailure","Cause":"This state machines raises a 'SomeFailure' failure."},
		  "Pass":{"Type":"Pass","End":true}}},"End":true}}}`, `{}`, nil)
	want := []step{{"ExecutionStarted", 0}, {"PassStateEntered", 0}, {"PassStateExited", 2}, {"MapStateEntered", 3}, {"MapStateStarted", 4}}
	prev := int64(5)
	for range 4 {
		start := int64(len(want) + 1)
		want = append(want, step{"MapIterationStarted", prev}, step{"ChoiceStateEntered", start}, step{"ChoiceStateExited", start + 1},
			step{"PassStateEntered", start + 2}, step{"PassStateExited", start + 3}, step{"MapIterationSucceeded", start + 4})
		prev = start + 4
	}
	want = append(want, step{"MapIterationStarted", 28}, step{"ChoiceStateEntered", 30}, step{"ChoiceStateExited", 31},
		step{"FailStateEntered", 32}, step{"MapIterationFailed", 33}, step{"MapStateFailed", 33}, step{"ExecutionFailed", 35})
	checkRecorded(t, r.events, want)
}

// TestRecordedMapTaskConcurrency follows the recording of a Map state whose four iterations
// call a function with TimeoutSeconds: every iteration starts before any of them runs.
func TestRecordedMapTaskConcurrency(t *testing.T) {
	t.Parallel()
	r := newRun(t, mustCompile(t, `{"StartAt":"MapWait","States":{"MapWait":{"Type":"Map","ItemsPath":"$.Inputs",
		"ItemProcessor":{"StartAt":"LambdaInvoke","States":{"LambdaInvoke":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","TimeoutSeconds":5,"End":true}}},"End":true}}}`))
	r.start(mustJSON(t, `{"Inputs":[{"FunctionName":"f"},{"FunctionName":"f"},{"FunctionName":"f"},{"FunctionName":"f"}]}`))
	for _, c := range r.invokes {
		r.resume(TaskStarted{ID: c.ID})
	}
	r.drive(script{"LambdaInvoke": {{Hang: true}}}, nil)
	// Step Functions recorded the four timeouts at the same instant; here the first one fails
	// the Map state and the other iterations are aborted after the failing one's last event.
	checkRecorded(t, r.events, []step{
		{"ExecutionStarted", 0}, {"MapStateEntered", 0}, {"MapStateStarted", 2},
		{"MapIterationStarted", 3}, {"MapIterationStarted", 3}, {"MapIterationStarted", 3}, {"MapIterationStarted", 3},
		{"TaskStateEntered", 4}, {"TaskScheduled", 8}, {"TaskStateEntered", 5}, {"TaskScheduled", 10},
		{"TaskStateEntered", 6}, {"TaskScheduled", 12}, {"TaskStateEntered", 7}, {"TaskScheduled", 14},
		{"TaskStarted", 9}, {"TaskStarted", 11}, {"TaskStarted", 13}, {"TaskStarted", 15},
		{"TaskTimedOut", 16}, {"MapIterationFailed", 20}, {"TaskStateAborted", 20}, {"MapIterationAborted", 20},
		{"TaskStateAborted", 20}, {"MapIterationAborted", 20}, {"TaskStateAborted", 20}, {"MapIterationAborted", 20},
		{"MapStateFailed", 20}, {"ExecutionFailed", 28},
	})
}
