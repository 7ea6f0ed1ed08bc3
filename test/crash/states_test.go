package crash

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/ceap/ceap/internal/ceaptest"
)

const role = "arn:aws:iam::123456789012:role/crash"

// TestStandardExecutionsSurviveSIGKILL kills the server while Standard executions wait on timers
// and checks that after a restart every execution finishes exactly once, each Wait state exited
// exactly once.
func TestStandardExecutionsSurviveSIGKILL(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	p := ceaptest.StartProcess(t, data)
	ctx := context.Background()
	c := sfn.NewFromConfig(ceaptest.SDKConfig(p.URL()))
	def := `{"StartAt":"W1","States":{
		"W1":{"Type":"Wait","Seconds":1,"Next":"W2"},
		"W2":{"Type":"Wait","Seconds":1,"Next":"Done"},
		"Done":{"Type":"Pass","Result":{"ok":true},"ResultPath":"$.result","End":true}}}`
	sm, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("waits"), Definition: aws.String(def), RoleArn: aws.String(role)})
	if err != nil {
		t.Fatal(err)
	}
	var arns []string
	for i := 0; i < 40; i++ {
		out, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String(fmt.Sprintf("e%d", i)), Input: aws.String(fmt.Sprintf(`{"i":%d}`, i))})
		if err != nil {
			t.Fatal(err)
		}
		arns = append(arns, *out.ExecutionArn)
	}
	time.Sleep(1200 * time.Millisecond) // the first Wait has fired for most; the second is pending
	p.Kill()

	p2 := ceaptest.StartProcess(t, data)
	c2 := sfn.NewFromConfig(ceaptest.SDKConfig(p2.URL()))
	for _, arn := range arns {
		d := waitTerminal(t, c2, arn, 30*time.Second)
		if d.Status != types.ExecutionStatusSucceeded {
			t.Fatalf("%s ended %s (%s: %s)", arn, d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
		}
		h, err := c2.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 1000})
		if err != nil {
			t.Fatal(err)
		}
		counts := map[types.HistoryEventType]int{}
		ids := map[int64]bool{}
		for _, e := range h.Events {
			counts[e.Type]++
			if ids[e.Id] {
				t.Fatalf("%s: event id %d twice", arn, e.Id)
			}
			ids[e.Id] = true
		}
		if counts[types.HistoryEventTypeWaitStateExited] != 2 || counts[types.HistoryEventTypeExecutionSucceeded] != 1 || counts[types.HistoryEventTypeExecutionStarted] != 1 {
			t.Fatalf("%s: history counts %v, want each Wait exited once and one start and success", arn, counts)
		}
	}
}

// TestActivityTaskNotRedeliveredAfterSIGKILL: an activity task handed to a worker before the
// crash is not handed out again after it, and the worker's SendTaskSuccess after the restart
// completes the execution.
func TestActivityTaskNotRedeliveredAfterSIGKILL(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	p := ceaptest.StartProcess(t, data)
	ctx := context.Background()
	c := sfn.NewFromConfig(ceaptest.SDKConfig(p.URL()))
	act, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("work")})
	if err != nil {
		t.Fatal(err)
	}
	def := fmt.Sprintf(`{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":%q,"End":true}}}`, *act.ActivityArn)
	sm, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("act"), Definition: aws.String(def), RoleArn: aws.String(role)})
	if err != nil {
		t.Fatal(err)
	}
	ex, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: aws.String(`{"n":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	task, err := c.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: act.ActivityArn, WorkerName: aws.String("w1")})
	if err != nil || aws.ToString(task.TaskToken) == "" {
		t.Fatalf("no activity task before the crash: %v", err)
	}
	p.Kill()

	p2 := ceaptest.StartProcess(t, data)
	c2 := sfn.NewFromConfig(ceaptest.SDKConfig(p2.URL()))
	pollCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
	again, err := c2.GetActivityTask(pollCtx, &sfn.GetActivityTaskInput{ActivityArn: act.ActivityArn})
	cancel()
	if err == nil && aws.ToString(again.TaskToken) != "" {
		t.Fatalf("the activity task was handed out again after the restart")
	}
	if _, err := c2.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: aws.String(`{"done":true}`)}); err != nil {
		t.Fatalf("SendTaskSuccess after restart: %v", err)
	}
	d := waitTerminal(t, c2, *ex.ExecutionArn, 20*time.Second)
	if d.Status != types.ExecutionStatusSucceeded || aws.ToString(d.Output) != `{"done":true}` {
		t.Fatalf("execution %s output %s", d.Status, aws.ToString(d.Output))
	}
}

func waitTerminal(t *testing.T, c *sfn.Client, arn string, limit time.Duration) *sfn.DescribeExecutionOutput {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		d, err := c.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			t.Fatalf("describe %s: %v", arn, err)
		}
		if d.Status != types.ExecutionStatusRunning || time.Now().After(deadline) {
			return d
		}
		time.Sleep(50 * time.Millisecond)
	}
}
