package asl

import (
	"context"
	"strings"
	"testing"

	"github.com/ceap/ceap/internal/asl/fault"
)

// ceapStandard is the shape of the CEAP reference deployment's standard workflow: function
// stages chained through S3 with ResultPath null, a Glue stage, and the stage retries.
const ceapStandard = `{
  "Comment": "CEAP standard workflow",
  "StartAt": "ETLTask",
  "States": {
    "ETLTask": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {"FunctionName": "CeapWorkflow-batch-ETLLambda", "Payload": {
        "executionId.$": "$$.Execution.Name", "currentStage": "ETLTask", "previousStage": null,
        "workflowBucket": "ceap-workflow-batch-123456789012", "initialData.$": "$"}},
      "ResultPath": null,
      "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 20, "MaxAttempts": 2, "BackoffRate": 2.0}],
      "Next": "HeavyETLTask"},
    "HeavyETLTask": {"Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun.sync",
      "Parameters": {"JobName": "ceap-workflow-batch-heavy-etl", "Arguments": {
        "--execution-id.$": "$$.Execution.Name",
        "--input-key.$": "States.Format('executions/{}/ETLTask/output.json', $$.Execution.Name)",
        "--output-key.$": "States.Format('executions/{}/HeavyETLTask/output.json', $$.Execution.Name)"}},
      "ResultPath": null,
      "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 300, "MaxAttempts": 2, "BackoffRate": 2.0}],
      "End": true}
  }
}`

func TestCEAPWorkflowRuns(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, ceapStandard)
	clk := &fakeClock{now: testStart}
	var glueArgs map[string]any
	etlCalls := 0
	tasks := funcRunner(func(_ context.Context, cmd InvokeTask) (any, error) {
		params := cmd.Parameters.(map[string]any)
		switch cmd.StateName {
		case "ETLTask":
			etlCalls++
			if etlCalls == 1 {
				return nil, &fault.Error{Name: "S3.Throttled", Cause: "slow down"}
			}
			payload := params["Payload"].(map[string]any)
			if payload["executionId"] != "exec-1" || payload["initialData"].(map[string]any)["programId"] != "p1" {
				t.Errorf("ETL payload %v", payload)
			}
			return map[string]any{"status": "ok", "stage": "ETLTask", "recordsProcessed": 3.0}, nil
		default:
			glueArgs = params["Arguments"].(map[string]any)
			return map[string]any{"JobRunState": "SUCCEEDED"}, nil
		}
	})
	out, hist := Run(context.Background(), p, map[string]any{"programId": "p1"}, testContext(), tasks, clk.Now, clk.Sleep)
	if out.Status != StatusSucceeded {
		t.Fatalf("status %s %s %s", out.Status, out.Error, out.Cause)
	}
	if out.Output.(map[string]any)["programId"] != "p1" {
		t.Fatalf("ResultPath null must keep the input as output, got %v", out.Output)
	}
	if glueArgs["--input-key"] != "executions/exec-1/ETLTask/output.json" {
		t.Fatalf("glue arguments %v", glueArgs)
	}
	if got := clk.Now().Sub(testStart); got != 20e9 {
		t.Fatalf("the retry waited %v, want 20s", got)
	}
	if n := strings.Count(strings.Join(eventTypes(hist), " "), "TaskScheduled"); n != 3 {
		t.Fatalf("%d TaskScheduled events, want 3", n)
	}
}
