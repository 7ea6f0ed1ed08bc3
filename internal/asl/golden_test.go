package asl

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden history files in testdata")

// goldenCase is one execution whose whole history is compared with testdata/<name>.golden.
type goldenCase struct {
	name    string
	def     string
	input   string
	script  script
	items   []any  // ItemReader result
	redrive script // when set, the failed execution is redriven with this script
	status  string // expected final status
}

const lambdaInvoke = `"Resource":"arn:aws:states:::lambda:invoke"`

func goldenCases() []goldenCase {
	return []goldenCase{
		{name: "pass_pipeline", status: StatusSucceeded, input: `{"a":{"b":1},"keep":"me"}`, def: `{
			"StartAt":"Select","States":{
			"Select":{"Type":"Pass","InputPath":"$.a","Parameters":{"value.$":"$.b","const":"c","exec.$":"$$.Execution.Name"},"ResultPath":"$.params","Next":"Fixed"},
			"Fixed":{"Type":"Pass","Result":{"n":2},"ResultPath":"$.fixed","OutputPath":"$.fixed","Next":"Discard"},
			"Discard":{"Type":"Pass","ResultPath":null,"End":true}}}`},
		{name: "task_integration", status: StatusSucceeded, input: `{"x":1}`,
			script: script{"Call": {{Output: map[string]any{"Payload": map[string]any{"sum": 3.0}, "StatusCode": 200.0}}}}, def: `{
			"StartAt":"Call","States":{
			"Call":{"Type":"Task",` + lambdaInvoke + `,"Parameters":{"FunctionName":"f","Payload.$":"$"},
			"ResultSelector":{"sum.$":"$.Payload.sum"},"ResultPath":"$.result","End":true}}}`},
		{name: "task_lambda_arn", status: StatusSucceeded, input: `{}`,
			script: script{"Fn": {{Output: "done"}}}, def: `{
			"StartAt":"Fn","States":{"Fn":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:fn","TimeoutSeconds":30,"End":true}}}`},
		{name: "retry_backoff", status: StatusSucceeded, input: `{}`,
			script: script{"Flaky": {{Error: "Boom", Cause: "first"}, {Error: "Boom", Cause: "second"}, {Error: "States.TaskFailed", Cause: "third"}, {Output: 1.0}}}, def: `{
			"StartAt":"Flaky","States":{"Flaky":{"Type":"Task",` + lambdaInvoke + `,
			"Retry":[{"ErrorEquals":["Boom"],"IntervalSeconds":2,"BackoffRate":3,"MaxAttempts":2,"MaxDelaySeconds":5},
			         {"ErrorEquals":["States.ALL"],"IntervalSeconds":1,"MaxAttempts":1}],"End":true}}}`},
		{name: "retry_exhausted_catch", status: StatusSucceeded, input: `{"orig":true}`,
			script: script{"Work": {{Error: "Custom.Error", Cause: "always"}}}, def: `{
			"StartAt":"Work","States":{
			"Work":{"Type":"Task",` + lambdaInvoke + `,"Retry":[{"ErrorEquals":["Custom.Error"],"MaxAttempts":1,"IntervalSeconds":1}],
			  "Catch":[{"ErrorEquals":["Other"],"Next":"Never"},{"ErrorEquals":["States.ALL"],"ResultPath":"$.error","Next":"Handled"}],"End":true},
			"Never":{"Type":"Fail","Error":"Never"},
			"Handled":{"Type":"Pass","End":true}}}`},
		{name: "task_timeout", status: StatusSucceeded, input: `{}`,
			script: script{"Slow": {{Hang: true}}}, def: `{
			"StartAt":"Slow","States":{
			"Slow":{"Type":"Task",` + lambdaInvoke + `,"TimeoutSeconds":5,"Catch":[{"ErrorEquals":["States.Timeout"],"Next":"TimedOut"}],"End":true},
			"TimedOut":{"Type":"Succeed"}}}`},
		{name: "heartbeat_timeout", status: StatusFailed, input: `{}`,
			script: script{"Wait": {{Hang: true}}}, def: `{
			"StartAt":"Wait","States":{
			"Wait":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","Parameters":{"MessageBody":{"token.$":"$$.Task.Token"}},
			  "TimeoutSeconds":60,"HeartbeatSeconds":10,"End":true}}}`},
		{name: "choice_default", status: StatusSucceeded, input: `{"n":5,"s":"abc","b":true,"t":"2024-01-01T00:00:00Z","lim":10}`, def: `{
			"StartAt":"Pick","States":{
			"Pick":{"Type":"Choice","Choices":[
			  {"Variable":"$.n","NumericGreaterThanPath":"$.lim","Next":"Big"},
			  {"And":[{"Variable":"$.s","StringMatches":"a*c"},{"Not":{"Variable":"$.b","BooleanEquals":false}},
			          {"Variable":"$.t","TimestampLessThan":"2025-01-01T00:00:00Z"},{"Variable":"$.missing","IsPresent":false}],"Next":"Match"}],
			  "Default":"Big"},
			"Big":{"Type":"Fail","Error":"Big"},
			"Match":{"Type":"Succeed","OutputPath":"$.s"}}}`},
		{name: "choice_no_match", status: StatusFailed, input: `{"n":1}`, def: `{
			"StartAt":"Pick","States":{
			"Pick":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericEquals":2,"Next":"Done"}]},
			"Done":{"Type":"Succeed"}}}`},
		{name: "wait_states", status: StatusSucceeded, input: `{"secs":30,"at":"2024-01-02T05:00:00Z"}`, def: `{
			"StartAt":"Seconds","States":{
			"Seconds":{"Type":"Wait","Seconds":10,"Next":"Path"},
			"Path":{"Type":"Wait","SecondsPath":"$.secs","Next":"Stamp"},
			"Stamp":{"Type":"Wait","TimestampPath":"$.at","Next":"Past"},
			"Past":{"Type":"Wait","Timestamp":"2020-01-01T00:00:00Z","End":true}}}`},
		{name: "fail_path", status: StatusFailed, input: `{"e":"Bad.Thing","c":"because"}`, def: `{
			"StartAt":"F","States":{"F":{"Type":"Fail","ErrorPath":"$.e","CausePath":"$.c"}}}`},
		{name: "parallel_success", status: StatusSucceeded, input: `{"v":1}`, def: `{
			"StartAt":"P","States":{
			"P":{"Type":"Parallel","ResultSelector":{"first.$":"$[0]","second.$":"$[1]"},"End":true,"Branches":[
			  {"StartAt":"A","States":{"A":{"Type":"Pass","Result":"a","End":true}}},
			  {"StartAt":"B","States":{"B":{"Type":"Task",` + lambdaInvoke + `,"End":true}}}]}}}`},
		{name: "parallel_failure", status: StatusFailed, input: `{}`,
			script: script{"Hang": {{Hang: true}}}, def: `{
			"StartAt":"P","States":{
			"P":{"Type":"Parallel","End":true,"Branches":[
			  {"StartAt":"Hang","States":{"Hang":{"Type":"Task",` + lambdaInvoke + `,"End":true}}},
			  {"StartAt":"Boom","States":{"Boom":{"Type":"Fail","Error":"Branch.Boom","Cause":"second branch"}}}]}}}`},
		{name: "map_inline", status: StatusSucceeded, input: `{"items":[1,2,3],"factor":10}`, def: `{
			"StartAt":"M","States":{
			"M":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":2,
			  "ItemSelector":{"value.$":"$$.Map.Item.Value","index.$":"$$.Map.Item.Index","factor.$":"$.factor"},
			  "ItemProcessor":{"ProcessorConfig":{"Mode":"INLINE"},"StartAt":"Work","States":{"Work":{"Type":"Task",` + lambdaInvoke + `,"OutputPath":"$.Payload","End":true}}},
			  "ResultPath":"$.results","End":true}}}`,
			script: script{"Work": {{Output: map[string]any{"Payload": "ok"}}}}},
		{name: "map_failure_caught", status: StatusSucceeded, input: `[1,2,3]`,
			script: script{"Work": {{Output: "ok"}, {Error: "Item.Failed", Cause: "second item"}, {Hang: true}}}, def: `{
			"StartAt":"M","States":{
			"M":{"Type":"Map","Iterator":{"StartAt":"Work","States":{"Work":{"Type":"Task",` + lambdaInvoke + `,"End":true}}},
			  "Catch":[{"ErrorEquals":["Item.Failed"],"Next":"Recover"}],"End":true},
			"Recover":{"Type":"Pass","End":true}}}`},
		{name: "map_tolerated", status: StatusSucceeded, input: `[1,2,3,4]`,
			script: script{"Work": {{Output: "ok"}, {Error: "Item.Failed"}, {Output: "ok"}, {Output: "ok"}}}, def: `{
			"StartAt":"M","States":{
			"M":{"Type":"Map","ToleratedFailureCount":1,
			  "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"Work","States":{"Work":{"Type":"Task",` + lambdaInvoke + `,"End":true}}},
			  "End":true}}}`},
		{name: "map_tolerance_exceeded", status: StatusFailed, input: `[1,2,3,4]`,
			script: script{"Work": {{Error: "Item.Failed"}, {Output: "ok"}, {Error: "Item.Failed"}, {Output: "ok"}}}, def: `{
			"StartAt":"M","States":{
			"M":{"Type":"Map","ToleratedFailurePercentage":25,"MaxConcurrency":1,
			  "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"Work","States":{"Work":{"Type":"Task",` + lambdaInvoke + `,"End":true}}},
			  "End":true}}}`},
		{name: "map_item_reader", status: StatusSucceeded, input: `{"bucket":"b"}`, items: []any{"x", "y"}, def: `{
			"StartAt":"M","States":{
			"M":{"Type":"Map","ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON"},"Parameters":{"Bucket.$":"$.bucket","Key":"items.json"}},
			  "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"Echo","States":{"Echo":{"Type":"Pass","End":true}}},
			  "End":true}}}`},
		{name: "map_batched_results_written", status: StatusSucceeded, input: `{"items":[1,2,3,4,5],"run":"r1"}`, def: `{
			"StartAt":"M","States":{
			"M":{"Type":"Map","ItemsPath":"$.items","ItemSelector":{"v.$":"$$.Map.Item.Value"},
			  "ItemBatcher":{"MaxItemsPerBatch":2,"BatchInput":{"run.$":"$.run"}},
			  "ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"results","Prefix.$":"$.run"}},
			  "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"Count","States":{"Count":{"Type":"Pass","Parameters":{"n.$":"States.ArrayLength($.Items)"},"End":true}}},
			  "End":true}}}`},
		{name: "map_wait_parallel_nested", status: StatusSucceeded, input: `{"items":[{"s":5},{"s":1}]}`, def: `{
			"StartAt":"M","States":{
			"M":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":{"StartAt":"Sleep","States":{
			  "Sleep":{"Type":"Wait","SecondsPath":"$.s","Next":"Both"},
			  "Both":{"Type":"Parallel","Branches":[
			    {"StartAt":"L","States":{"L":{"Type":"Pass","Result":"left","End":true}}},
			    {"StartAt":"R","States":{"R":{"Type":"Pass","InputPath":"$.s","End":true}}}],"End":true}}},
			  "End":true}}}`},
		{name: "variables_scope", status: StatusSucceeded, input: `{"items":[1,2]}`, def: `{
			"StartAt":"Set","States":{
			"Set":{"Type":"Pass","Result":{"v":"outer"},"ResultPath":"$.set","Assign":{"greeting.$":"$.v","count":2},"Next":"M"},
			"M":{"Type":"Map","ItemsPath":"$.items","ItemSelector":{"seen.$":"$greeting","item.$":"$$.Map.Item.Value"},
			  "ItemProcessor":{"StartAt":"Inner","States":{"Inner":{"Type":"Pass","Assign":{"inner.$":"$.item"},"Next":"Read"},
			    "Read":{"Type":"Pass","Parameters":{"inner.$":"$inner","outer.$":"$greeting"},"End":true}}},
			  "Assign":{"results.$":"$"},"Next":"Use"},
			"Use":{"Type":"Pass","Parameters":{"results.$":"$results","count.$":"$count"},"End":true}}}`},
		{name: "execution_timeout", status: StatusTimedOut, input: `{}`,
			script: script{"Slow": {{Hang: true}}}, def: `{
			"TimeoutSeconds":10,"StartAt":"Slow","States":{"Slow":{"Type":"Task",` + lambdaInvoke + `,"End":true}}}`},
		{name: "runtime_error_not_caught", status: StatusFailed, input: `{"a":1}`, def: `{
			"StartAt":"Bad","States":{
			"Bad":{"Type":"Pass","InputPath":"$.missing","End":true}}}`},
		{name: "intrinsic_failure_caught", status: StatusSucceeded, input: `{"s":"not json"}`, def: `{
			"StartAt":"Parse","States":{
			"Parse":{"Type":"Task",` + lambdaInvoke + `,"Parameters":{"v.$":"States.StringToJson($.s)"},
			  "Catch":[{"ErrorEquals":["States.IntrinsicFailure"],"ResultPath":"$.err","Next":"Done"}],"End":true},
			"Done":{"Type":"Succeed"}}}`},
		{name: "jsonata_pipeline", status: StatusSucceeded, input: `{"items":[1,2,3],"limit":2}`,
			script: script{"Call": {{Output: map[string]any{"Payload": map[string]any{"total": 6.0}}}}}, def: `{
			"QueryLanguage":"JSONata","StartAt":"Init","States":{
			"Init":{"Type":"Pass","Assign":{"limit":"{% $states.input.limit %}","name":"{% $states.context.Execution.Name %}"},
			  "Output":{"items":"{% $states.input.items %}"},"Next":"Double"},
			"Double":{"Type":"Map","Items":"{% $states.input.items %}","MaxConcurrency":"{% $limit %}",
			  "ItemSelector":{"v":"{% $states.context.Map.Item.Value %}","i":"{% $states.context.Map.Item.Index %}"},
			  "ItemProcessor":{"StartAt":"Times","States":{"Times":{"Type":"Pass","Output":"{% $states.input.v * 2 %}","End":true}}},
			  "Output":{"doubled":"{% $states.result %}"},"Next":"Call"},
			"Call":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Arguments":{"FunctionName":"sum","Payload":{"values":"{% $states.input.doubled %}","who":"{% $name %}"}},
			  "Output":"{% $states.result.Payload %}","Assign":{"total":"{% $states.result.Payload.total %}"},"Next":"Check"},
			"Check":{"Type":"Choice","Choices":[{"Condition":"{% $total > $limit %}","Next":"Wait","Assign":{"big":true}}],"Default":"Fail"},
			"Wait":{"Type":"Wait","Seconds":"{% $limit %}","Next":"Done"},
			"Fail":{"Type":"Fail","Error":"{% 'Small.' & $string($total) %}","Cause":"too small"},
			"Done":{"Type":"Succeed","Output":{"total":"{% $total %}","big":"{% $big %}"}}}}`},
		{name: "jsonata_catch", status: StatusSucceeded, input: `{"x":1}`,
			script: script{"Call": {{Error: "Lambda.Unknown", Cause: "boom"}}}, def: `{
			"QueryLanguage":"JSONata","StartAt":"Call","States":{
			"Call":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Arguments":{"Payload":"{% $states.input %}"},
			  "Catch":[{"ErrorEquals":["States.ALL"],"Output":{"failed":"{% $states.errorOutput.Error %}","input":"{% $states.input %}"},
			    "Assign":{"cause":"{% $states.errorOutput.Cause %}"},"Next":"After"}],"End":true},
			"After":{"Type":"Pass","Output":{"out":"{% $states.input %}","cause":"{% $cause %}"},"End":true}}}`},
		{name: "jsonata_evaluation_error", status: StatusFailed, input: `{}`, def: `{
			"QueryLanguage":"JSONata","StartAt":"Bad","States":{
			"Bad":{"Type":"Pass","Output":"{% $states.input.missing.deeper %}","End":true}}}`},
		{name: "redrive_parallel", status: StatusSucceeded, input: `{}`,
			script:  script{"Fails": {{Error: "Transient"}}},
			redrive: script{"Fails": {{Output: "fixed"}}, "Works": {{Error: "MustNotRunAgain"}}}, def: `{
			"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
			  {"StartAt":"Works","States":{"Works":{"Type":"Task",` + lambdaInvoke + `,"End":true}}},
			  {"StartAt":"Fails","States":{"Fails":{"Type":"Task",` + lambdaInvoke + `,"End":true}}}]}}}`},
		{name: "activity_catch_assign", status: StatusSucceeded, input: `{"job":"j1"}`,
			script: script{"Act": {{Error: "Worker.Crashed", Cause: "oom"}}}, def: `{
			"StartAt":"Act","States":{
			"Act":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:work","HeartbeatSeconds":30,
			  "Catch":[{"ErrorEquals":["Worker.Crashed"],"ResultPath":"$.failure","Assign":{"crashed.$":"$.Error"},"Next":"Report"}],"End":true},
			"Report":{"Type":"Pass","Parameters":{"job.$":"$.job","crashed.$":"$crashed","state.$":"$$.State.Name"},"End":true}}}`},
		{name: "redrive_task", status: StatusSucceeded, input: `{"n":1}`,
			script:  script{"Second": {{Error: "Transient", Cause: "down"}}},
			redrive: script{"Second": {{Output: "recovered"}}}, def: `{
			"StartAt":"First","States":{
			"First":{"Type":"Task",` + lambdaInvoke + `,"ResultPath":"$.first","Next":"Second"},
			"Second":{"Type":"Task",` + lambdaInvoke + `,"End":true}}}`},
		{name: "redrive_map", status: StatusSucceeded, input: `[1,2,3]`,
			script:  script{"Work": {{Output: "a"}, {Error: "Transient"}, {Output: "c"}}},
			redrive: script{"Work": {{Output: "b"}}}, def: `{
			"StartAt":"M","States":{
			"M":{"Type":"Map","MaxConcurrency":1,"ItemProcessor":{"StartAt":"Work","States":{"Work":{"Type":"Task",` + lambdaInvoke + `,"End":true}}},"End":true}}}`},
	}
}

// goldenFile is what a .golden file holds.
type goldenFile struct {
	Definition json.RawMessage `json:"definition"`
	Input      json.RawMessage `json:"input"`
	Script     script          `json:"script,omitempty"`
	Redrive    script          `json:"redriveScript,omitempty"`
	Status     string          `json:"status"`
	Output     any             `json:"output,omitempty"`
	Error      string          `json:"error,omitempty"`
	Cause      string          `json:"cause,omitempty"`
	Events     []HistoryEvent  `json:"events"`
}

func TestGoldenHistories(t *testing.T) {
	t.Parallel()
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRun(t, mustCompile(t, tc.def))
			r.start(mustJSON(t, tc.input))
			r.drive(tc.script, tc.items)
			if tc.redrive != nil {
				if r.out.Status != StatusFailed {
					t.Fatalf("status before redrive = %s, want FAILED", r.out.Status)
				}
				r.now = r.now.Add(time.Minute)
				o, err := r.p.Redrive(r.s, r.now)
				if err != nil {
					t.Fatalf("Redrive: %v", err)
				}
				r.absorb(o)
				r.calls = map[string]int{}
				r.drive(tc.redrive, tc.items)
			}
			if r.out.Status != tc.status {
				t.Fatalf("status = %s (%s: %s), want %s", r.out.Status, r.out.Error, r.out.Cause, tc.status)
			}
			checkEventChain(t, r.events)
			if len(r.s.Pending) != 0 {
				t.Errorf("ended execution still has pending commands %v", r.s.Pending)
			}
			if r.out.Status == StatusSucceeded && len(r.s.Threads) != 1 {
				t.Errorf("succeeded execution keeps %d threads", len(r.s.Threads))
			}
			var def bytes.Buffer
			if err := json.Compact(&def, []byte(tc.def)); err != nil {
				t.Fatal(err)
			}
			got := goldenFile{
				Definition: def.Bytes(), Input: json.RawMessage(tc.input), Script: tc.script, Redrive: tc.redrive,
				Status: r.out.Status, Output: r.out.Output, Error: r.out.Error, Cause: r.out.Cause, Events: r.events,
			}
			data, err := json.MarshalIndent(got, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			data = append(data, '\n')
			path := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.WriteFile(path, data, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(data, want) {
				t.Errorf("history differs from %s (run go test -update and review the diff):\n%s", path, data)
			}
		})
	}
}

// checkEventChain asserts the invariants every history has: ids increase by one from 1 and
// every previousEventId points to an earlier event.
func checkEventChain(t *testing.T, evs []HistoryEvent) {
	t.Helper()
	for i, e := range evs {
		if e.ID != int64(i+1) {
			t.Fatalf("event %d has id %d", i, e.ID)
		}
		if e.PreviousEventID >= e.ID || e.PreviousEventID < 0 {
			t.Fatalf("event %d (%s) has previousEventId %d", e.ID, e.Type, e.PreviousEventID)
		}
	}
}
