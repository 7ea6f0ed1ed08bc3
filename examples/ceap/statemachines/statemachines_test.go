package statemachines

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

type retrier struct {
	ErrorEquals     []string
	IntervalSeconds *float64
	MaxAttempts     *int
	BackoffRate     *float64
}

type state struct {
	Type           string
	Resource       string
	Parameters     map[string]any
	Retry          []retrier
	Next           string
	End            bool
	Default        string
	Choices        []map[string]any
	hasResultPath  bool
	rawResultField json.RawMessage
}

type machine struct {
	StartAt        string
	TimeoutSeconds *int
	States         map[string]json.RawMessage
}

func load(t *testing.T, file string) (machine, map[string]state, string) {
	t.Helper()
	body, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var m machine
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("%s is not JSON: %v", file, err)
	}
	states := map[string]state{}
	for name, raw := range m.States {
		var s state
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatalf("state %s: %v", name, err)
		}
		var fields map[string]json.RawMessage
		_ = json.Unmarshal(raw, &fields)
		s.rawResultField, s.hasResultPath = fields["ResultPath"]
		states[name] = s
	}
	return m, states, string(body)
}

// chain follows Next from a state to the end.
func chain(t *testing.T, states map[string]state, from string) []string {
	t.Helper()
	var out []string
	for name := from; name != ""; name = states[name].Next {
		if slices.Contains(out, name) || len(out) > len(states) {
			t.Fatalf("loop at %s", name)
		}
		out = append(out, name)
		if states[name].End {
			break
		}
	}
	return out
}

func checkMachine(t *testing.T, file string, order []string) {
	m, states, body := load(t, file)
	if m.StartAt != "CheckResume" || states["CheckResume"].Type != "Choice" {
		t.Fatalf("StartAt %q: the machine must start with the CheckResume Choice", m.StartAt)
	}
	if got := chain(t, states, order[0]); !slices.Equal(got, order) {
		t.Fatalf("stage order %v, want %v", got, order)
	}

	// CheckResume: resumed runs use the earlier run's data id, new runs their execution name.
	check := states["CheckResume"]
	assigns := map[string]string{}
	for _, rule := range check.Choices {
		a, _ := rule["Assign"].(map[string]any)
		assigns[rule["Next"].(string)], _ = a["dataId.$"].(string)
	}
	if assigns["ResumeRouter"] != "$.resume.executionId" || assigns[order[0]] != "$$.Execution.Name" || len(check.Choices) != 2 {
		t.Fatalf("CheckResume assigns %v", assigns)
	}
	routes := map[string]bool{}
	for _, rule := range states["ResumeRouter"].Choices {
		if rule["Variable"] == "$.resume.fromStage" && rule["StringEquals"] == rule["Next"] {
			routes[rule["Next"].(string)] = true
		}
	}
	for _, name := range order {
		if !routes[name] {
			t.Fatalf("ResumeRouter cannot resume at %s", name)
		}
	}
	if states[states["ResumeRouter"].Default].Type != "Fail" {
		t.Fatal("ResumeRouter's default must fail the run")
	}

	for i, name := range order {
		s := states[name]
		if !s.hasResultPath || string(s.rawResultField) != "null" {
			t.Fatalf("%s: ResultPath must be null, is %s", name, s.rawResultField)
		}
		last := s.Retry[len(s.Retry)-1]
		if !slices.Equal(last.ErrorEquals, []string{"States.ALL"}) || *last.MaxAttempts != 2 || *last.BackoffRate != 2.0 {
			t.Fatalf("%s: last retrier %+v, want States.ALL, MaxAttempts 2, BackoffRate 2.0", name, last)
		}
		prev := ""
		if i > 0 {
			prev = order[i-1]
		}
		if s.Resource == "arn:aws:states:::glue:startJobRun.sync" {
			checkBatch(t, name, s, prev, *last.IntervalSeconds)
			continue
		}
		if s.Resource != "arn:aws:states:::lambda:invoke" {
			t.Fatalf("%s: resource %s", name, s.Resource)
		}
		if *last.IntervalSeconds != 20 {
			t.Fatalf("%s: retry interval %v, want 20", name, *last.IntervalSeconds)
		}
		if first := s.Retry[0]; !slices.Contains(first.ErrorEquals, "NoSuchKey") || *first.MaxAttempts != 0 {
			t.Fatalf("%s: a missing input must not be retried: %+v", name, first)
		}
		want := map[string]any{
			"executionId.$":  "$dataId",
			"currentStage":   name,
			"previousStage":  nil,
			"workflowBucket": "${WORKFLOW_BUCKET}",
			"initialData":    nil,
		}
		if i == 0 {
			delete(want, "initialData")
			want["initialData.$"] = "$"
		} else {
			want["previousStage"] = prev
		}
		payload, _ := s.Parameters["Payload"].(map[string]any)
		if len(payload) != len(want) {
			t.Fatalf("%s: payload %v, want %v", name, payload, want)
		}
		for k, v := range want {
			if got, ok := payload[k]; !ok || got != v {
				t.Fatalf("%s: payload %s = %v, want %v", name, k, got, v)
			}
		}
		fn := "${" + strings.ToUpper(strings.TrimSuffix(name, "Task")) + "_FUNCTION_ARN}"
		if s.Parameters["FunctionName"] != fn {
			t.Fatalf("%s: FunctionName %v, want %s", name, s.Parameters["FunctionName"], fn)
		}
	}

	// Every placeholder is one that deploy.sh fills.
	deploy, err := os.ReadFile("../deploy.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, ph := range regexp.MustCompile(`\$\{[A-Z_]+\}`).FindAllString(body, -1) {
		if !strings.Contains(string(deploy), `s|\`+ph+`|`) {
			t.Fatalf("deploy.sh does not fill %s", ph)
		}
	}
}

func checkBatch(t *testing.T, name string, s state, prev string, interval float64) {
	t.Helper()
	if interval != 300 {
		t.Fatalf("%s: retry interval %v, want 300", name, interval)
	}
	args, _ := s.Parameters["Arguments"].(map[string]any)
	want := map[string]any{
		"--execution-id.$": "$dataId",
		"--input-bucket":   "${WORKFLOW_BUCKET}",
		"--input-key.$":    "States.Format('executions/{}/" + prev + "/output.json', $dataId)",
		"--output-bucket":  "${WORKFLOW_BUCKET}",
		"--output-key.$":   "States.Format('executions/{}/" + name + "/output.json', $dataId)",
		"--current-stage":  name,
		"--previous-stage": prev,
	}
	if len(args) != len(want) || s.Parameters["JobName"] != "${HEAVY_ETL_JOB_NAME}" {
		t.Fatalf("%s: parameters %v", name, s.Parameters)
	}
	for k, v := range want {
		if args[k] != v {
			t.Fatalf("%s: argument %s = %v, want %v", name, k, args[k], v)
		}
	}
}

func TestExpress(t *testing.T) {
	t.Parallel()
	checkMachine(t, "express.asl.json", []string{"ETLTask", "FilterTask", "ScoreTask", "StoreTask", "ReactiveTask"})
	m, _, body := load(t, "express.asl.json")
	if m.TimeoutSeconds == nil || *m.TimeoutSeconds != 300 {
		t.Fatal("the express machine must time out after 300 s")
	}
	if strings.Contains(body, "arn:aws:states:::glue:") {
		t.Fatal("the express machine must not run a batch job")
	}
}

func TestStandard(t *testing.T) {
	t.Parallel()
	checkMachine(t, "standard.asl.json", []string{"ETLTask", "FilterTask", "HeavyETLTask", "ScoreTask", "StoreTask", "ReactiveTask"})
}

func TestDeployRefusesExpressWithBatchStage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"oops", "express", "--definition", "standard.asl.json"}, "an express workflow cannot have a batch-job stage"},
		{[]string{"Bad_Name", "express"}, "must be 1-30 lower-case letters"},
		{[]string{"x", "sideways"}, "usage:"},
	} {
		cmd := exec.Command("bash", append([]string{"../deploy.sh"}, tc.args...)...)
		// An endpoint nothing listens on: the script must refuse before calling it.
		cmd.Env = append(os.Environ(), "CEAP_ENDPOINT=http://127.0.0.1:1")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Fatalf("deploy.sh %v: %v, stderr %q; want exit 2 saying %q", tc.args, err, stderr.String(), tc.want)
		}
	}
}
