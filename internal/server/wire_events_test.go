package server_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/ceap/ceap/internal/ceaptest"
	"github.com/ceap/ceap/internal/events"
	"github.com/ceap/ceap/internal/server"
	"github.com/ceap/ceap/internal/states"
)

// TestExecutionStatusChangeReachesOpsQueue follows the deployment's alert path end to end: a
// "Step Functions Execution Status Change" emitted through the Go API matches the failure rule,
// which publishes to the ops topic, which delivers to a subscribed queue.
func TestExecutionStatusChangeReachesOpsQueue(t *testing.T) {
	t.Parallel()
	srv := ceaptest.StartServer(t)
	ctx := context.Background()
	eb, topics, queues := eventbridge.NewFromConfig(srv.AWS), sns.NewFromConfig(srv.AWS), sqs.NewFromConfig(srv.AWS)
	topic, err := topics.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("ceap-ops-alerts")})
	if err != nil {
		t.Fatal(err)
	}
	q, err := queues.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("ops-inbox")})
	if err != nil {
		t.Fatal(err)
	}
	attrs, _ := queues.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{"QueueArn"}})
	if _, err := topics.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(attrs.Attributes["QueueArn"])}); err != nil {
		t.Fatal(err)
	}
	machine := "arn:aws:states:us-east-1:" + ceaptest.Account + ":stateMachine:Ceap-batch-Workflow"
	pattern := `{"source":["aws.states"],"detail-type":["Step Functions Execution Status Change"],"detail":{"status":["FAILED","TIMED_OUT","ABORTED"],"stateMachineArn":["` + machine + `"]}}`
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("ceap-workflow-batch-failure-rule"), EventPattern: aws.String(pattern)}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("ceap-workflow-batch-failure-rule"), Targets: []ebtypes.Target{{Id: aws.String("ops"), Arn: topic.TopicArn}}}); err != nil {
		t.Fatal(err)
	}

	// A change emitted through the Go API that does not match, then a failure reported the way
	// the Step Functions service reports it.
	start := time.Now().Add(-5 * time.Second)
	running := events.ExecutionStatusChange{ExecutionARN: "arn:aws:states:us-east-1:" + ceaptest.Account + ":execution:Ceap-batch-Workflow:run-1", StateMachineARN: machine,
		Name: "run-1", Status: "RUNNING", StartDate: start.UnixMilli(), Input: `{"programId":"p"}`}
	running.RedriveStatus, running.RedriveStatusReason = events.Redrive("RUNNING")
	if err := server.EmitEvent(srv.Server, ctx, ceaptest.Account, "us-east-1", running.Event(start)); err != nil {
		t.Fatal(err)
	}
	server.ReportStatusChange(srv.Server, ctx, &states.StatusChange{Account: ceaptest.Account, Region: "us-east-1", ExecutionARN: running.ExecutionARN,
		StateMachineARN: machine, Name: "run-1", Status: "FAILED", StartDate: start, StopDate: time.Now(), Input: `{"programId":"p"}`,
		Error: "InjectedFailure", Cause: "ScoreTask failed"})
	out, err := queues.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, WaitTimeSeconds: 5, MaxNumberOfMessages: 10})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("ops queue got %+v, %v; want one notification", out, err)
	}
	var env struct{ Type, TopicArn, Message string }
	if err := json.Unmarshal([]byte(*out.Messages[0].Body), &env); err != nil || env.Type != "Notification" || env.TopicArn != *topic.TopicArn {
		t.Fatalf("notification %s: %v", *out.Messages[0].Body, err)
	}
	var ev struct {
		Source     string `json:"source"`
		DetailType string `json:"detail-type"`
		Detail     map[string]any
	}
	if err := json.Unmarshal([]byte(env.Message), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Source != "aws.states" || ev.DetailType != "Step Functions Execution Status Change" || ev.Detail["status"] != "FAILED" || ev.Detail["error"] != "InjectedFailure" ||
		ev.Detail["name"] != "run-1" || ev.Detail["cause"] != "ScoreTask failed" || ev.Detail["redriveStatus"] != "REDRIVABLE" || ev.Detail["output"] != nil || ev.Detail["stopDate"] == nil {
		t.Fatalf("event = %+v", ev)
	}
}
