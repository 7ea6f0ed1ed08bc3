package sfn_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/ceap/ceap/internal/ceaptest"
	"github.com/ceap/ceap/internal/clock"
	"github.com/ceap/ceap/internal/config"
	"github.com/ceap/ceap/internal/store/storetest"
)

func activityMachine(t *testing.T, c *sfn.Client, name string, extra string) (machine, activity string) {
	t.Helper()
	act, err := c.CreateActivity(context.Background(), &sfn.CreateActivityInput{Name: aws.String(name + "-act")})
	if err != nil {
		t.Fatal(err)
	}
	def := fmt.Sprintf(`{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":%q%s,"End":true}}}`, *act.ActivityArn, extra)
	return create(t, c, name, def, ""), *act.ActivityArn
}

func poll(t *testing.T, c *sfn.Client, activity string) *sfn.GetActivityTaskOutput {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	task, err := c.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: aws.String(activity), WorkerName: aws.String("worker-1")})
	if err != nil || aws.ToString(task.TaskToken) == "" {
		t.Fatalf("GetActivityTask = %+v, %v", task, err)
	}
	return task
}

func TestActivities(t *testing.T) {
	t.Parallel()
	c, _ := setup(t)
	ctx := context.Background()
	sm, act := activityMachine(t, c, "acts", "")
	d, err := c.DescribeActivity(ctx, &sfn.DescribeActivityInput{ActivityArn: aws.String(act)})
	if err != nil || *d.Name != "acts-act" {
		t.Fatalf("describe activity = %+v, %v", d, err)
	}
	list, err := c.ListActivities(ctx, &sfn.ListActivitiesInput{})
	if err != nil || len(list.Activities) != 1 {
		t.Fatalf("list activities = %+v, %v", list, err)
	}
	_, err = c.DescribeActivity(ctx, &sfn.DescribeActivityInput{ActivityArn: aws.String(act + "x")})
	wantCode(t, err, "ActivityDoesNotExist")

	// Success.
	ex, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm), Input: aws.String(`{"job":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	// The same name and input while running is the same execution.
	name := (*ex.ExecutionArn)[strings.LastIndex(*ex.ExecutionArn, ":")+1:]
	same, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm), Name: aws.String(name), Input: aws.String(`{"job":1}`)})
	if err != nil || *same.ExecutionArn != *ex.ExecutionArn {
		t.Fatalf("idempotent start = %v, %v", same, err)
	}
	_, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm), Name: aws.String(name), Input: aws.String(`{"job":2}`)})
	wantCode(t, err, "ExecutionAlreadyExists")
	task := poll(t, c, act)
	if aws.ToString(task.Input) != `{"job":1}` {
		t.Fatalf("task input %s", aws.ToString(task.Input))
	}
	if _, err := c.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: task.TaskToken}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: aws.String(`{"done":true}`)}); err != nil {
		t.Fatal(err)
	}
	if out := waitDone(t, c, *ex.ExecutionArn); out.Status != types.ExecutionStatusSucceeded || aws.ToString(out.Output) != `{"done":true}` {
		t.Fatalf("execution %s output %s", out.Status, aws.ToString(out.Output))
	}
	got := historyTypes(t, c, *ex.ExecutionArn)
	want := []string{"ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivitySucceeded", "TaskStateExited", "ExecutionSucceeded"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("history %v, want %v", got, want)
	}
	_, err = c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: aws.String(`{}`)})
	wantCode(t, err, "TaskTimedOut")

	// Failure.
	ex, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm)})
	if err != nil {
		t.Fatal(err)
	}
	task = poll(t, c, act)
	_, err = c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: aws.String(`{not json`)})
	wantCode(t, err, "InvalidOutput")
	if _, err := c.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: task.TaskToken, Error: aws.String("Boom"), Cause: aws.String("it broke")}); err != nil {
		t.Fatal(err)
	}
	out := waitDone(t, c, *ex.ExecutionArn)
	if out.Status != types.ExecutionStatusFailed || aws.ToString(out.Error) != "Boom" || aws.ToString(out.Cause) != "it broke" || out.RedriveStatus != types.ExecutionRedriveStatusRedrivable {
		t.Fatalf("failed execution = %s %s %s %s", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause), out.RedriveStatus)
	}

	// Redrive reruns the failed state.
	if _, err := c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: ex.ExecutionArn}); err != nil {
		t.Fatal(err)
	}
	task = poll(t, c, act)
	if _, err := c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: aws.String(`"ok"`)}); err != nil {
		t.Fatal(err)
	}
	out = waitDone(t, c, *ex.ExecutionArn)
	if out.Status != types.ExecutionStatusSucceeded || aws.ToInt32(out.RedriveCount) != 1 || out.RedriveDate == nil {
		t.Fatalf("redriven execution = %s count %d date %v", out.Status, aws.ToInt32(out.RedriveCount), out.RedriveDate)
	}
	_, err = c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: ex.ExecutionArn})
	wantCode(t, err, "ExecutionNotRedrivable")
	redriven, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(sm), RedriveFilter: types.ExecutionRedriveFilterRedriven})
	if err != nil || len(redriven.Executions) != 1 {
		t.Fatalf("redriven list = %+v, %v", redriven, err)
	}
	succeeded, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(sm), StatusFilter: types.ExecutionStatusSucceeded, MaxResults: 1})
	if err != nil || len(succeeded.Executions) != 1 || succeeded.NextToken == nil {
		t.Fatalf("succeeded page = %+v, %v", succeeded, err)
	}

	// Stop.
	ex, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: ex.ExecutionArn, Error: aws.String("Halt"), Cause: aws.String("operator")}); err != nil {
		t.Fatal(err)
	}
	out = waitDone(t, c, *ex.ExecutionArn)
	if out.Status != types.ExecutionStatusAborted || aws.ToString(out.Error) != "Halt" {
		t.Fatalf("stopped execution = %s %s", out.Status, aws.ToString(out.Error))
	}
	pctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if stale, err := c.GetActivityTask(pctx, &sfn.GetActivityTaskInput{ActivityArn: aws.String(act)}); err == nil && aws.ToString(stale.TaskToken) != "" {
		t.Fatalf("the task of a stopped execution was handed out")
	}
}

func TestTimersOnFakeClock(t *testing.T) {
	t.Parallel()
	fake := clock.NewFake(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	c, _ := setup(t, ceaptest.WithClock(fake))
	ctx := context.Background()
	def := `{"StartAt":"W","TimeoutSeconds":3600,"States":{
		"W":{"Type":"Wait","Seconds":30,"Next":"R"},
		"R":{"Type":"Pass","Result":"late","End":true}}}`
	sm := create(t, c, "timers", def, "")
	ex, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm)})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	d, _ := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: ex.ExecutionArn})
	if d.Status != types.ExecutionStatusRunning {
		t.Fatalf("before the wait ends: %s", d.Status)
	}
	fake.Advance(29 * time.Second)
	time.Sleep(50 * time.Millisecond)
	if d, _ := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: ex.ExecutionArn}); d.Status != types.ExecutionStatusRunning {
		t.Fatalf("the wait ended early: %s", d.Status)
	}
	fake.Advance(time.Second)
	out := waitDone(t, c, *ex.ExecutionArn)
	if out.Status != types.ExecutionStatusSucceeded || aws.ToString(out.Output) != `"late"` || out.StopDate.Sub(*out.StartDate) != 30*time.Second {
		t.Fatalf("after the wait: %s %s %v", out.Status, aws.ToString(out.Output), out.StopDate.Sub(*out.StartDate))
	}

	// A task timeout fires on the clock too.
	act, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("slow")})
	if err != nil {
		t.Fatal(err)
	}
	sm2 := create(t, c, "timeout", fmt.Sprintf(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":%q,"TimeoutSeconds":10,"End":true}}}`, *act.ActivityArn), "")
	ex2, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm2)})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	fake.Advance(10 * time.Second)
	out = waitDone(t, c, *ex2.ExecutionArn)
	if out.Status != types.ExecutionStatusFailed || aws.ToString(out.Error) != "States.Timeout" {
		t.Fatalf("timed-out task: %s %s", out.Status, aws.ToString(out.Error))
	}
}

func TestExpress(t *testing.T) {
	t.Parallel()
	c, _ := setup(t)
	ctx := context.Background()
	sm := create(t, c, "fast", passChoice, types.StateMachineTypeExpress)
	res, err := c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(sm), Name: aws.String("one"), Input: aws.String(`{"k":"v"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != types.SyncExecutionStatusSucceeded || aws.ToString(res.Output) != `{"a":1,"k":"v"}` || !strings.Contains(*res.ExecutionArn, ":express:fast:one:") {
		t.Fatalf("sync result = %s %s %s", res.Status, aws.ToString(res.Output), *res.ExecutionArn)
	}
	d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: res.ExecutionArn})
	if err != nil || d.Status != types.ExecutionStatusSucceeded || aws.ToString(d.Output) != `{"a":1,"k":"v"}` {
		t.Fatalf("describe express = %+v, %v", d, err)
	}
	if h := historyTypes(t, c, *res.ExecutionArn); len(h) != 16 {
		t.Fatalf("express history %v", h)
	}
	failing := create(t, c, "fastfail", `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E","Cause":"C"}}}`, types.StateMachineTypeExpress)
	res, err = c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(failing)})
	if err != nil || res.Status != types.SyncExecutionStatusFailed || aws.ToString(res.Error) != "E" {
		t.Fatalf("failing sync = %+v, %v", res, err)
	}
	async, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm)})
	if err != nil {
		t.Fatal(err)
	}
	if out := waitDone(t, c, *async.ExecutionArn); out.Status != types.ExecutionStatusSucceeded {
		t.Fatalf("async express %s", out.Status)
	}
	// The records reach the store and list.
	deadline := time.Now().Add(5 * time.Second)
	for {
		list, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(sm)})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Executions) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("express list = %d executions", len(list.Executions))
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Express executions cannot use activities.
	_, act := activityMachine(t, c, "unused", "")
	exAct := create(t, c, "fastact", fmt.Sprintf(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":%q,"End":true}}}`, act), types.StateMachineTypeExpress)
	res, err = c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(exAct)})
	if err != nil || res.Status != types.SyncExecutionStatusFailed {
		t.Fatalf("express with activity = %+v, %v", res, err)
	}
	// A task on a service not wired yet fails with that service's not-found error.
	lam := create(t, c, "fastlambda", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f"},"End":true}}}`, types.StateMachineTypeExpress)
	res, err = c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(lam)})
	if err != nil || res.Status != types.SyncExecutionStatusFailed || aws.ToString(res.Error) != "Lambda.ResourceNotFoundException" {
		t.Fatalf("unknown integration = %s %s, %v", res.Status, aws.ToString(res.Error), err)
	}
}

func TestStartExecutionSync(t *testing.T) {
	t.Parallel()
	c, _ := setup(t)
	ctx := context.Background()
	child, act := activityMachine(t, c, "child", "")
	parentDef := fmt.Sprintf(`{"StartAt":"Run","States":{"Run":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2",
		"Parameters":{"StateMachineArn":%q,"Input":{"from.$":"$.who"}},"ResultSelector":{"out.$":"$.Output","status.$":"$.Status"},"End":true}}}`, child)
	parent := create(t, c, "parent", parentDef, "")
	ex, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(parent), Input: aws.String(`{"who":"p"}`)})
	if err != nil {
		t.Fatal(err)
	}
	task := poll(t, c, act)
	if aws.ToString(task.Input) != `{"from":"p"}` {
		t.Fatalf("child input %s", aws.ToString(task.Input))
	}
	if _, err := c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: aws.String(`{"r":42}`)}); err != nil {
		t.Fatal(err)
	}
	out := waitDone(t, c, *ex.ExecutionArn)
	if out.Status != types.ExecutionStatusSucceeded || aws.ToString(out.Output) != `{"out":{"r":42},"status":"SUCCEEDED"}` {
		t.Fatalf("parent = %s %s %s", out.Status, aws.ToString(out.Output), aws.ToString(out.Cause))
	}
	// Fire and forget.
	ffDef := fmt.Sprintf(`{"StartAt":"Run","States":{"Run":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution","Parameters":{"StateMachineArn":%q},"End":true}}}`, child)
	ff := create(t, c, "ff", ffDef, "")
	ex, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(ff)})
	if err != nil {
		t.Fatal(err)
	}
	if out := waitDone(t, c, *ex.ExecutionArn); out.Status != types.ExecutionStatusSucceeded || !strings.Contains(aws.ToString(out.Output), `"ExecutionArn"`) {
		t.Fatalf("fire and forget = %s %s", out.Status, aws.ToString(out.Output))
	}
}

// TestCEAPShape runs the CEAP workflow front: CheckResume routes a resumed run to the chosen
// stage through ResumeRouter, and each stage is an activity with CEAP's Retry.
func TestCEAPShape(t *testing.T) {
	t.Parallel()
	c, _ := setup(t)
	ctx := context.Background()
	var acts []string
	for _, n := range []string{"validate", "transform", "store"} {
		a, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String(n)})
		if err != nil {
			t.Fatal(err)
		}
		acts = append(acts, *a.ActivityArn)
	}
	stage := func(name, resource, next string) string {
		end := fmt.Sprintf(`"Next":%q`, next)
		if next == "" {
			end = `"End":true`
		}
		return fmt.Sprintf(`%q:{"Type":"Task","Resource":%q,"ResultPath":"$.%s","Retry":[{"ErrorEquals":["States.TaskFailed"],"IntervalSeconds":1,"MaxAttempts":2,"BackoffRate":2}],%s}`, name, resource, strings.ToLower(name), end)
	}
	def := `{"StartAt":"CheckResume","States":{
		"CheckResume":{"Type":"Choice","Choices":[{"Variable":"$.resume","IsPresent":true,"Next":"ResumeRouter"}],"Default":"Validate"},
		"ResumeRouter":{"Type":"Choice","Choices":[
			{"Variable":"$.resume.fromStage","StringEquals":"Transform","Next":"Transform"},
			{"Variable":"$.resume.fromStage","StringEquals":"Store","Next":"Store"}],"Default":"Validate"},
		` + stage("Validate", acts[0], "Transform") + `,` + stage("Transform", acts[1], "Store") + `,` + stage("Store", acts[2], "") + `}}`
	sm := create(t, c, "ceap-batch", def, "")
	work := func(act string, output string) {
		task := poll(t, c, act)
		if _, err := c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: aws.String(output)}); err != nil {
			t.Fatal(err)
		}
	}
	ex, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm), Input: aws.String(`{"id":"m1"}`)})
	if err != nil {
		t.Fatal(err)
	}
	work(acts[0], `"v"`)
	work(acts[1], `"t"`)
	work(acts[2], `"s"`)
	if out := waitDone(t, c, *ex.ExecutionArn); aws.ToString(out.Output) != `{"id":"m1","store":"s","transform":"t","validate":"v"}` {
		t.Fatalf("full run output %s", aws.ToString(out.Output))
	}
	ex, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm), Input: aws.String(`{"id":"m1","resume":{"executionId":"x","fromStage":"Store"}}`)})
	if err != nil {
		t.Fatal(err)
	}
	work(acts[2], `"s2"`)
	out := waitDone(t, c, *ex.ExecutionArn)
	if out.Status != types.ExecutionStatusSucceeded || strings.Contains(aws.ToString(out.Output), "validate") {
		t.Fatalf("resumed run = %s %s", out.Status, aws.ToString(out.Output))
	}
}

// TestResumeAfterRestart stops a server while an execution waits and starts another on the same
// data directory: the execution finishes there, each state once.
func TestResumeAfterRestart(t *testing.T) {
	t.Parallel()
	fake := clock.NewFake(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	data := t.TempDir()
	onData := ceaptest.WithConfig(func(c *config.Config) { c.Data = data })
	srv := ceaptest.StartServer(t, ceaptest.WithClock(fake), onData)
	c := sfn.NewFromConfig(srv.AWS)
	ctx := context.Background()
	sm := create(t, c, "restart", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"Next":"P"},"P":{"Type":"Pass","End":true}}}`, "")
	ex, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm)})
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := srv.Stop(sctx); err != nil {
		t.Fatal(err)
	}
	fake.Advance(time.Hour)
	srv2 := ceaptest.StartServer(t, ceaptest.WithClock(fake), onData)
	c2 := sfn.NewFromConfig(srv2.AWS)
	out := waitDone(t, c2, *ex.ExecutionArn)
	if out.Status != types.ExecutionStatusSucceeded {
		t.Fatalf("after restart: %s", out.Status)
	}
	counts := map[string]int{}
	for _, typ := range historyTypes(t, c2, *ex.ExecutionArn) {
		counts[typ]++
	}
	if counts["WaitStateExited"] != 1 || counts["PassStateEntered"] != 1 || counts["ExecutionSucceeded"] != 1 {
		t.Fatalf("history counts %v", counts)
	}
}

// TestTwoEnginesOnePostgres runs two servers on one PostgreSQL schema: every execution's Wait
// fires on exactly one of them.
func TestTwoEnginesOnePostgres(t *testing.T) {
	t.Parallel()
	schema := storetest.NewSchema(t)
	a := ceaptest.StartServer(t, ceaptest.WithStore(storetest.OpenPostgresSchema(t, schema)))
	b := ceaptest.StartServer(t, ceaptest.WithStore(storetest.OpenPostgresSchema(t, schema)))
	ca, cb := sfn.NewFromConfig(a.AWS), sfn.NewFromConfig(b.AWS)
	ctx := context.Background()
	sm := create(t, ca, "shared", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"Next":"P"},"P":{"Type":"Pass","End":true}}}`, "")
	var mu sync.Mutex
	var arns []string
	var wg sync.WaitGroup
	for i := 0; i < 30; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := ca
			if i%2 == 1 {
				c = cb
			}
			ex, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm)})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			arns = append(arns, *ex.ExecutionArn)
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	for _, arn := range arns {
		if out := waitDone(t, cb, arn); out.Status != types.ExecutionStatusSucceeded {
			t.Fatalf("%s: %s", arn, out.Status)
		}
		counts := map[string]int{}
		for _, typ := range historyTypes(t, ca, arn) {
			counts[typ]++
		}
		if counts["WaitStateExited"] != 1 || counts["ExecutionSucceeded"] != 1 {
			t.Fatalf("%s: history counts %v", arn, counts)
		}
	}
}

// TestRedriveParallelRerunsOnlyFailedBranch: after a redrive, the branch that succeeded keeps its
// output and only the failed branch's task is scheduled again.
func TestRedriveParallelRerunsOnlyFailedBranch(t *testing.T) {
	t.Parallel()
	c, _ := setup(t)
	ctx := context.Background()
	var acts []string
	for _, n := range []string{"left", "right"} {
		a, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String(n)})
		if err != nil {
			t.Fatal(err)
		}
		acts = append(acts, *a.ActivityArn)
	}
	def := fmt.Sprintf(`{"StartAt":"Both","States":{"Both":{"Type":"Parallel","End":true,"Branches":[
		{"StartAt":"L","States":{"L":{"Type":"Task","Resource":%q,"End":true}}},
		{"StartAt":"R","States":{"R":{"Type":"Task","Resource":%q,"End":true}}}]}}}`, acts[0], acts[1])
	sm := create(t, c, "par", def, "")
	ex, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm)})
	if err != nil {
		t.Fatal(err)
	}
	left := poll(t, c, acts[0])
	if _, err := c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: left.TaskToken, Output: aws.String(`"L"`)}); err != nil {
		t.Fatal(err)
	}
	right := poll(t, c, acts[1])
	if _, err := c.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: right.TaskToken, Error: aws.String("RightFailed")}); err != nil {
		t.Fatal(err)
	}
	if out := waitDone(t, c, *ex.ExecutionArn); out.Status != types.ExecutionStatusFailed {
		t.Fatalf("before redrive: %s", out.Status)
	}
	if _, err := c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: ex.ExecutionArn}); err != nil {
		t.Fatal(err)
	}
	right = poll(t, c, acts[1])
	pctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if again, err := c.GetActivityTask(pctx, &sfn.GetActivityTaskInput{ActivityArn: aws.String(acts[0])}); err == nil && aws.ToString(again.TaskToken) != "" {
		t.Fatal("the branch that succeeded ran again after the redrive")
	}
	if _, err := c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: right.TaskToken, Output: aws.String(`"R"`)}); err != nil {
		t.Fatal(err)
	}
	out := waitDone(t, c, *ex.ExecutionArn)
	if out.Status != types.ExecutionStatusSucceeded || aws.ToString(out.Output) != `["L","R"]` {
		t.Fatalf("after redrive: %s %s", out.Status, aws.ToString(out.Output))
	}
	h := historyTypes(t, c, *ex.ExecutionArn)
	counts := map[string]int{}
	for _, typ := range h {
		counts[typ]++
	}
	if counts["ExecutionRedriven"] != 1 || counts["ActivitySucceeded"] != 2 || counts["ActivityFailed"] != 1 {
		t.Fatalf("history counts %v", counts)
	}
}

// TestStartExecutionSyncChildFails: a failed child fails the parent's task with States.TaskFailed
// and the child's description as the cause, which a Catch can route.
func TestStartExecutionSyncChildFails(t *testing.T) {
	t.Parallel()
	c, _ := setup(t)
	ctx := context.Background()
	child := create(t, c, "badchild", `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"ChildError","Cause":"no"}}}`, "")
	parentDef := fmt.Sprintf(`{"StartAt":"Run","States":{
		"Run":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync","Parameters":{"StateMachineArn":%q},
			"Catch":[{"ErrorEquals":["States.TaskFailed"],"ResultPath":"$.err","Next":"Handled"}],"End":true},
		"Handled":{"Type":"Pass","End":true}}}`, child)
	parent := create(t, c, "catcher", parentDef, "")
	ex, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(parent)})
	if err != nil {
		t.Fatal(err)
	}
	out := waitDone(t, c, *ex.ExecutionArn)
	if out.Status != types.ExecutionStatusSucceeded || !strings.Contains(aws.ToString(out.Output), `"Error":"States.TaskFailed"`) || !strings.Contains(aws.ToString(out.Output), `ChildError`) {
		t.Fatalf("parent = %s %s", out.Status, aws.ToString(out.Output))
	}
	list, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(child)})
	if err != nil || len(list.Executions) != 1 || list.Executions[0].Status != types.ExecutionStatusFailed {
		t.Fatalf("child executions = %+v, %v", list, err)
	}
}
