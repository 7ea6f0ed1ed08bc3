package pipes_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/pipes"
	ptypes "github.com/aws/aws-sdk-go-v2/service/pipes/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/ceap/ceap/internal/ceaptest"
	"github.com/ceap/ceap/internal/config"
)

const role = "arn:aws:iam::123456789012:role/pipes"

// choose fails the execution when the first record's body is "fail".
const choose = `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$[0].body","StringEquals":"fail","Next":"F"}],"Default":"P"},
"P":{"Type":"Pass","End":true},"F":{"Type":"Fail","Error":"Injected","Cause":"body says fail"}}}`

type clients struct {
	pipes *pipes.Client
	sqs   *sqs.Client
	sfn   *sfn.Client
}

func setup(t *testing.T, opts ...ceaptest.Option) (*ceaptest.Server, clients) {
	t.Helper()
	srv := ceaptest.StartServer(t, opts...)
	return srv, clients{pipes: pipes.NewFromConfig(srv.AWS), sqs: sqs.NewFromConfig(srv.AWS), sfn: sfn.NewFromConfig(srv.AWS)}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Fatalf("error = %v, want %s", err, code)
	}
}

// queueWithDLQ creates a queue whose messages move to a DLQ on their second failed receive.
func queueWithDLQ(t *testing.T, c clients, name string) (url, arn, dlqURL string) {
	t.Helper()
	ctx := context.Background()
	dlq, err := c.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name + "-dlq")})
	if err != nil {
		t.Fatal(err)
	}
	dlqArn := queueArn(t, c, *dlq.QueueUrl)
	q, err := c.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: map[string]string{
		"VisibilityTimeout": "1",
		"RedrivePolicy":     fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"2"}`, dlqArn),
	}})
	if err != nil {
		t.Fatal(err)
	}
	return *q.QueueUrl, queueArn(t, c, *q.QueueUrl), *dlq.QueueUrl
}

func queueArn(t *testing.T, c clients, url string) string {
	t.Helper()
	a, err := c.sqs.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{"QueueArn"}})
	if err != nil {
		t.Fatal(err)
	}
	return a.Attributes["QueueArn"]
}

func depth(t *testing.T, c clients, url string) (visible, inFlight int) {
	t.Helper()
	a, err := c.sqs.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := strconv.Atoi(a.Attributes["ApproximateNumberOfMessages"])
	n, _ := strconv.Atoi(a.Attributes["ApproximateNumberOfMessagesNotVisible"])
	return v, n
}

func machine(t *testing.T, c clients, name string, typ sfntypes.StateMachineType) string {
	t.Helper()
	out, err := c.sfn.CreateStateMachine(context.Background(), &sfn.CreateStateMachineInput{Name: aws.String(name), Definition: aws.String(choose), RoleArn: aws.String(role), Type: typ})
	if err != nil {
		t.Fatal(err)
	}
	return *out.StateMachineArn
}

func createPipe(t *testing.T, c clients, name, source, target string, inv ptypes.PipeTargetInvocationType, desired ptypes.RequestedPipeState) *pipes.CreatePipeOutput {
	t.Helper()
	out, err := c.pipes.CreatePipe(context.Background(), &pipes.CreatePipeInput{Name: aws.String(name), RoleArn: aws.String(role), Source: aws.String(source), Target: aws.String(target),
		DesiredState:     desired,
		SourceParameters: &ptypes.PipeSourceParameters{SqsQueueParameters: &ptypes.PipeSourceSqsQueueParameters{BatchSize: aws.Int32(1)}},
		TargetParameters: &ptypes.PipeTargetParameters{StepFunctionStateMachineParameters: &ptypes.PipeTargetStateMachineParameters{InvocationType: inv}},
		Tags:             map[string]string{"app": "ceap"}})
	if err != nil {
		t.Fatalf("CreatePipe %s: %v", name, err)
	}
	return out
}

func eventually(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitState(t *testing.T, c clients, name string, state ptypes.PipeState) *pipes.DescribePipeOutput {
	t.Helper()
	var d *pipes.DescribePipeOutput
	eventually(t, "pipe "+name+" "+string(state), 5*time.Second, func() bool {
		var err error
		d, err = c.pipes.DescribePipe(context.Background(), &pipes.DescribePipeInput{Name: aws.String(name)})
		return err == nil && d.CurrentState == state
	})
	return d
}

func TestRequestResponseFromRealQueue(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	ctx := context.Background()
	url, arn, dlq := queueWithDLQ(t, c, "work")
	sm := machine(t, c, "express", sfntypes.StateMachineTypeExpress)
	out := createPipe(t, c, "work-pipe", arn, sm, ptypes.PipeTargetInvocationTypeRequestResponse, "")
	if out.CurrentState != ptypes.PipeStateCreating || out.DesiredState != ptypes.RequestedPipeStateRunning || *out.Arn != "arn:aws:pipes:us-east-1:123456789012:pipe/work-pipe" {
		t.Fatalf("CreatePipe = %+v", out)
	}
	d := waitState(t, c, "work-pipe", ptypes.PipeStateRunning)
	if *d.Source != arn || *d.Target != sm || *d.SourceParameters.SqsQueueParameters.BatchSize != 1 || d.Tags["app"] != "ceap" ||
		d.TargetParameters.StepFunctionStateMachineParameters.InvocationType != ptypes.PipeTargetInvocationTypeRequestResponse {
		t.Fatalf("DescribePipe = %+v", d)
	}

	// Success: the message is deleted.
	if _, err := c.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("ok")}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the successful message to be deleted", 5*time.Second, func() bool { v, n := depth(t, c, url); return v == 0 && n == 0 })

	// Failure: the message stays, reappears after the visibility timeout, and lands in the DLQ
	// on its second receive.
	if _, err := c.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("fail")}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the failed message in the DLQ", 10*time.Second, func() bool { v, _ := depth(t, c, dlq); return v == 1 })
	got, err := c.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlq), MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{"ApproximateReceiveCount"}})
	if err != nil || len(got.Messages) != 1 || *got.Messages[0].Body != "fail" {
		t.Fatalf("DLQ receive = %+v, %v", got, err)
	}
	if v, n := depth(t, c, url); v != 0 || n != 0 {
		t.Fatalf("source queue still holds %d visible, %d in flight", v, n)
	}
}

func TestFireAndForgetStartsStandardExecutions(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	ctx := context.Background()
	url, arn, _ := queueWithDLQ(t, c, "std")
	sm := machine(t, c, "standard", sfntypes.StateMachineTypeStandard)
	createPipe(t, c, "std-pipe", arn, sm, ptypes.PipeTargetInvocationTypeFireAndForget, "")
	msg, err := c.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(`fail`),
		MessageAttributes: map[string]sqstypes.MessageAttributeValue{"kind": {DataType: aws.String("String"), StringValue: aws.String("k")}}})
	if err != nil {
		t.Fatal(err)
	}
	// Deleted once started, even though the execution fails.
	eventually(t, "message deleted", 5*time.Second, func() bool { v, n := depth(t, c, url); return v == 0 && n == 0 })
	var execs *sfn.ListExecutionsOutput
	eventually(t, "a failed execution", 5*time.Second, func() bool {
		execs, err = c.sfn.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(sm)})
		return err == nil && len(execs.Executions) == 1 && execs.Executions[0].Status == sfntypes.ExecutionStatusFailed
	})
	ex, err := c.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: execs.Executions[0].ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	var recs []map[string]any
	if err := json.Unmarshal([]byte(*ex.Input), &recs); err != nil || len(recs) != 1 {
		t.Fatalf("execution input %s: %v", *ex.Input, err)
	}
	r := recs[0]
	if r["messageId"] != *msg.MessageId || r["body"] != "fail" || r["eventSource"] != "aws:sqs" || r["eventSourceARN"] != arn || r["awsRegion"] != "us-east-1" || r["md5OfBody"] != *msg.MD5OfMessageBody {
		t.Fatalf("record = %v", r)
	}
	attrs, _ := r["attributes"].(map[string]any)
	if attrs["ApproximateReceiveCount"] != "1" || attrs["SentTimestamp"] == nil {
		t.Fatalf("record attributes = %v", attrs)
	}
	mattrs, _ := r["messageAttributes"].(map[string]any)
	if k, _ := mattrs["kind"].(map[string]any); k["stringValue"] != "k" || k["dataType"] != "String" {
		t.Fatalf("record messageAttributes = %v", mattrs)
	}
}

// TestDrainProcedure follows the runbook: stop the pipe, the queue keeps its messages, start it
// again and they are processed.
func TestDrainProcedure(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	ctx := context.Background()
	url, arn, _ := queueWithDLQ(t, c, "drain")
	sm := machine(t, c, "drain-sm", sfntypes.StateMachineTypeExpress)
	createPipe(t, c, "drain-pipe", arn, sm, ptypes.PipeTargetInvocationTypeRequestResponse, "")
	waitState(t, c, "drain-pipe", ptypes.PipeStateRunning)

	up, err := c.pipes.UpdatePipe(ctx, &pipes.UpdatePipeInput{Name: aws.String("drain-pipe"), RoleArn: aws.String(role), DesiredState: ptypes.RequestedPipeStateStopped})
	if err != nil || up.CurrentState != ptypes.PipeStateUpdating || up.DesiredState != ptypes.RequestedPipeStateStopped {
		t.Fatalf("UpdatePipe = %+v, %v", up, err)
	}
	waitState(t, c, "drain-pipe", ptypes.PipeStateStopped)
	for i := 0; i < 3; i++ {
		c.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("ok")})
	}
	time.Sleep(300 * time.Millisecond) // a stopped pipe must not touch the queue in this time
	if v, n := depth(t, c, url); v != 3 || n != 0 {
		t.Fatalf("stopped pipe: queue has %d visible, %d in flight; want 3, 0", v, n)
	}
	_, err = c.pipes.StopPipe(ctx, &pipes.StopPipeInput{Name: aws.String("drain-pipe")})
	wantCode(t, err, "ConflictException")

	st, err := c.pipes.StartPipe(ctx, &pipes.StartPipeInput{Name: aws.String("drain-pipe")})
	if err != nil || st.CurrentState != ptypes.PipeStateStarting {
		t.Fatalf("StartPipe = %+v, %v", st, err)
	}
	eventually(t, "queue drained", 5*time.Second, func() bool { v, n := depth(t, c, url); return v == 0 && n == 0 })
	sp, err := c.pipes.StopPipe(ctx, &pipes.StopPipeInput{Name: aws.String("drain-pipe")})
	if err != nil || sp.CurrentState != ptypes.PipeStateStopping {
		t.Fatalf("StopPipe = %+v, %v", sp, err)
	}
	waitState(t, c, "drain-pipe", ptypes.PipeStateStopped)
}

func TestRestartKeepsDesiredState(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	withDir := ceaptest.WithConfig(func(cfg *config.Config) { cfg.Data = dir })
	srv, c := setup(t, withDir)
	ctx := context.Background()
	url, arn, _ := queueWithDLQ(t, c, "persist")
	sm := machine(t, c, "persist-sm", sfntypes.StateMachineTypeExpress)
	createPipe(t, c, "running", arn, sm, ptypes.PipeTargetInvocationTypeRequestResponse, "")
	createPipe(t, c, "stopped", arn, sm, ptypes.PipeTargetInvocationTypeRequestResponse, ptypes.RequestedPipeStateStopped)
	waitState(t, c, "running", ptypes.PipeStateRunning)
	waitState(t, c, "stopped", ptypes.PipeStateStopped)
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := srv.Stop(sctx); err != nil {
		t.Fatal(err)
	}

	_, c = setup(t, withDir)
	if d := waitState(t, c, "stopped", ptypes.PipeStateStopped); d.DesiredState != ptypes.RequestedPipeStateDescribeResponseStopped {
		t.Fatalf("stopped pipe after restart: desired %s", d.DesiredState)
	}
	waitState(t, c, "running", ptypes.PipeStateRunning)
	if _, err := c.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("ok")}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "message processed after restart", 5*time.Second, func() bool { v, n := depth(t, c, url); return v == 0 && n == 0 })
}

func TestOperationsAndErrors(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	ctx := context.Background()
	_, arn, _ := queueWithDLQ(t, c, "ops")
	sm := machine(t, c, "ops-sm", sfntypes.StateMachineTypeExpress)
	for _, n := range []string{"a-1", "a-2", "b-1"} {
		createPipe(t, c, n, arn, sm, ptypes.PipeTargetInvocationTypeRequestResponse, ptypes.RequestedPipeStateStopped)
	}

	_, err := c.pipes.CreatePipe(ctx, &pipes.CreatePipeInput{Name: aws.String("a-1"), RoleArn: aws.String(role), Source: aws.String(arn), Target: aws.String(sm)})
	wantCode(t, err, "ConflictException")
	_, err = c.pipes.CreatePipe(ctx, &pipes.CreatePipeInput{Name: aws.String("bad"), RoleArn: aws.String(role), Source: aws.String(arn), Target: aws.String(sm),
		SourceParameters: &ptypes.PipeSourceParameters{SqsQueueParameters: &ptypes.PipeSourceSqsQueueParameters{BatchSize: aws.Int32(100)}}})
	wantCode(t, err, "ValidationException")
	_, err = c.pipes.CreatePipe(ctx, &pipes.CreatePipeInput{Name: aws.String("bad"), RoleArn: aws.String(role), Source: aws.String("arn:aws:kinesis:us-east-1:123456789012:stream/s"), Target: aws.String(sm)})
	wantCode(t, err, "ValidationException")
	std := machine(t, c, "ops-std", sfntypes.StateMachineTypeStandard)
	_, err = c.pipes.CreatePipe(ctx, &pipes.CreatePipeInput{Name: aws.String("bad"), RoleArn: aws.String(role), Source: aws.String(arn), Target: aws.String(std),
		TargetParameters: &ptypes.PipeTargetParameters{StepFunctionStateMachineParameters: &ptypes.PipeTargetStateMachineParameters{InvocationType: ptypes.PipeTargetInvocationTypeRequestResponse}}})
	wantCode(t, err, "ValidationException")
	_, err = c.pipes.DescribePipe(ctx, &pipes.DescribePipeInput{Name: aws.String("bad")})
	wantCode(t, err, "NotFoundException")
	_, err = c.pipes.UpdatePipe(ctx, &pipes.UpdatePipeInput{Name: aws.String("nope"), RoleArn: aws.String(role), DesiredState: ptypes.RequestedPipeStateRunning})
	wantCode(t, err, "NotFoundException")
	_, err = c.pipes.StartPipe(ctx, &pipes.StartPipeInput{Name: aws.String("nope")})
	wantCode(t, err, "NotFoundException")

	page, err := c.pipes.ListPipes(ctx, &pipes.ListPipesInput{NamePrefix: aws.String("a-"), Limit: aws.Int32(1)})
	if err != nil || len(page.Pipes) != 1 || *page.Pipes[0].Name != "a-1" || page.NextToken == nil {
		t.Fatalf("ListPipes page 1 = %+v, %v", page, err)
	}
	page, err = c.pipes.ListPipes(ctx, &pipes.ListPipesInput{NamePrefix: aws.String("a-"), Limit: aws.Int32(1), NextToken: page.NextToken})
	if err != nil || len(page.Pipes) != 1 || *page.Pipes[0].Name != "a-2" || *page.Pipes[0].Source != arn {
		t.Fatalf("ListPipes page 2 = %+v, %v", page, err)
	}
	all, err := c.pipes.ListPipes(ctx, &pipes.ListPipesInput{DesiredState: ptypes.RequestedPipeStateStopped})
	if err != nil || len(all.Pipes) != 3 {
		t.Fatalf("ListPipes stopped = %d, %v", len(all.Pipes), err)
	}
	_, err = c.pipes.ListPipes(ctx, &pipes.ListPipesInput{Limit: aws.Int32(1000)})
	wantCode(t, err, "ValidationException")

	pipeArn := "arn:aws:pipes:us-east-1:123456789012:pipe/b-1"
	if _, err := c.pipes.TagResource(ctx, &pipes.TagResourceInput{ResourceArn: aws.String(pipeArn), Tags: map[string]string{"env": "dev"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.pipes.UntagResource(ctx, &pipes.UntagResourceInput{ResourceArn: aws.String(pipeArn), TagKeys: []string{"app"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.pipes.ListTagsForResource(ctx, &pipes.ListTagsForResourceInput{ResourceArn: aws.String(pipeArn)})
	if err != nil || len(tags.Tags) != 1 || tags.Tags["env"] != "dev" {
		t.Fatalf("tags = %+v, %v", tags, err)
	}
	_, err = c.pipes.ListTagsForResource(ctx, &pipes.ListTagsForResourceInput{ResourceArn: aws.String(pipeArn + "x")})
	wantCode(t, err, "NotFoundException")

	del, err := c.pipes.DeletePipe(ctx, &pipes.DeletePipeInput{Name: aws.String("b-1")})
	if err != nil || del.CurrentState != ptypes.PipeStateDeleting || del.DesiredState != ptypes.RequestedPipeStateDescribeResponseDeleted {
		t.Fatalf("DeletePipe = %+v, %v", del, err)
	}
	eventually(t, "pipe deleted", 5*time.Second, func() bool {
		_, err := c.pipes.DescribePipe(ctx, &pipes.DescribePipeInput{Name: aws.String("b-1")})
		var ae smithy.APIError
		return errors.As(err, &ae) && ae.ErrorCode() == "NotFoundException"
	})
}

func TestFilterCriteriaAndInputTemplate(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	ctx := context.Background()
	url, arn, _ := queueWithDLQ(t, c, "filtered")
	sm := machine(t, c, "filtered-sm", sfntypes.StateMachineTypeStandard)
	_, err := c.pipes.CreatePipe(ctx, &pipes.CreatePipeInput{Name: aws.String("filtered"), RoleArn: aws.String(role), Source: aws.String(arn), Target: aws.String(sm),
		SourceParameters: &ptypes.PipeSourceParameters{
			SqsQueueParameters: &ptypes.PipeSourceSqsQueueParameters{BatchSize: aws.Int32(1)},
			FilterCriteria:     &ptypes.FilterCriteria{Filters: []ptypes.Filter{{Pattern: aws.String(`{"body":{"kind":["keep"]}}`)}}},
		},
		TargetParameters: &ptypes.PipeTargetParameters{InputTemplate: aws.String(`{"kind": <$.body.kind>, "pipe": "<aws.pipes.pipe-name>"}`),
			StepFunctionStateMachineParameters: &ptypes.PipeTargetStateMachineParameters{InvocationType: ptypes.PipeTargetInvocationTypeFireAndForget}}})
	if err != nil {
		t.Fatal(err)
	}
	d := waitState(t, c, "filtered", ptypes.PipeStateRunning)
	if len(d.SourceParameters.FilterCriteria.Filters) != 1 || *d.TargetParameters.InputTemplate == "" {
		t.Fatalf("DescribePipe = %+v", d)
	}
	for _, b := range []string{`{"kind":"drop"}`, `{"kind":"keep"}`} {
		if _, err := c.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "both messages gone", 5*time.Second, func() bool { v, n := depth(t, c, url); return v == 0 && n == 0 })
	var execs *sfn.ListExecutionsOutput
	eventually(t, "one execution", 5*time.Second, func() bool {
		execs, err = c.sfn.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(sm)})
		return err == nil && len(execs.Executions) >= 1
	})
	time.Sleep(200 * time.Millisecond)
	execs, _ = c.sfn.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(sm)})
	if len(execs.Executions) != 1 {
		t.Fatalf("%d executions, want 1 (the filtered message starts none)", len(execs.Executions))
	}
	ex, _ := c.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: execs.Executions[0].ExecutionArn})
	if *ex.Input != `[{"kind": "keep", "pipe": "filtered"}]` {
		t.Fatalf("execution input = %s", *ex.Input)
	}
}
