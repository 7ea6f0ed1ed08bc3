package events_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/ceap/ceap/internal/ceaptest"
	"github.com/ceap/ceap/internal/clock"
)

type clients struct {
	eb  *eventbridge.Client
	sns *sns.Client
	sqs *sqs.Client
	sfn *sfn.Client
}

func setup(t *testing.T) clients {
	t.Helper()
	srv := ceaptest.StartServer(t)
	return clients{eventbridge.NewFromConfig(srv.AWS), sns.NewFromConfig(srv.AWS), sqs.NewFromConfig(srv.AWS), sfn.NewFromConfig(srv.AWS)}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Fatalf("error = %v, want %s", err, code)
	}
}

func queue(t *testing.T, c clients, name string) (url, arn string) {
	t.Helper()
	ctx := context.Background()
	out, err := c.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: out.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{"QueueArn"}})
	if err != nil {
		t.Fatal(err)
	}
	return *out.QueueUrl, a.Attributes["QueueArn"]
}

func receive(t *testing.T, c clients, url string) string {
	t.Helper()
	out, err := c.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 5})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("receive from %s = %+v, %v", url, out, err)
	}
	return *out.Messages[0].Body
}

// TestRuleToTopicToQueue is the deployment's alert path: a rule on failed executions targets
// the ops topic, and a queue subscribed to the topic receives the notification.
func TestRuleToTopicToQueue(t *testing.T) {
	t.Parallel()
	c := setup(t)
	ctx := context.Background()
	topic, err := c.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("ceap-ops-alerts")})
	if err != nil {
		t.Fatal(err)
	}
	url, arn := queue(t, c, "alerts")
	if _, err := c.sns.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	rule, err := c.eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("failure-rule"), Description: aws.String("failed runs"),
		EventPattern: aws.String(`{"source":["ceap.test"],"detail-type":["Run Status Change"],"detail":{"status":["FAILED","TIMED_OUT","ABORTED"]}}`)})
	if err != nil || *rule.RuleArn != "arn:aws:events:us-east-1:123456789012:rule/failure-rule" {
		t.Fatalf("PutRule = %+v, %v", rule, err)
	}
	pt, err := c.eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("failure-rule"), Targets: []ebtypes.Target{{Id: aws.String("ops"), Arn: topic.TopicArn}}})
	if err != nil || pt.FailedEntryCount != 0 {
		t.Fatalf("PutTargets = %+v, %v", pt, err)
	}
	put, err := c.eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
		{Source: aws.String("ceap.test"), DetailType: aws.String("Run Status Change"), Detail: aws.String(`{"status":"SUCCEEDED","run":"r0"}`)},
		{Source: aws.String("ceap.test"), DetailType: aws.String("Run Status Change"), Detail: aws.String(`{"status":"FAILED","run":"r1"}`), Resources: []string{"run/r1"}},
		{Source: aws.String("ceap.test"), DetailType: aws.String("Run Status Change"), Detail: aws.String(`not json`)},
	}})
	if err != nil || put.FailedEntryCount != 1 || *put.Entries[2].ErrorCode != "MalformedDetail" || put.Entries[1].EventId == nil {
		t.Fatalf("PutEvents = %+v, %v", put, err)
	}
	var env, ev map[string]any
	if err := json.Unmarshal([]byte(receive(t, c, url)), &env); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(env["Message"].(string)), &ev); err != nil {
		t.Fatalf("notification message %v: %v", env["Message"], err)
	}
	d, _ := ev["detail"].(map[string]any)
	if ev["id"] != *put.Entries[1].EventId || d["run"] != "r1" || ev["source"] != "ceap.test" {
		t.Fatalf("event = %v", ev)
	}
	out, _ := c.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 1})
	if len(out.Messages) != 0 {
		t.Fatalf("a non-matching event was delivered: %s", *out.Messages[0].Body)
	}
}

func TestTargetsQueueAndStateMachine(t *testing.T) {
	t.Parallel()
	c := setup(t)
	ctx := context.Background()
	url, arn := queue(t, c, "orders")
	sm, err := c.sfn.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("on-order"), RoleArn: aws.String("arn:aws:iam::123456789012:role/r"),
		Definition: aws.String(`{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("orders"), EventPattern: aws.String(`{"source":["shop"],"detail":{"total":[{"numeric":[">=",100]}]}}`)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("orders"), Targets: []ebtypes.Target{
		{Id: aws.String("q"), Arn: aws.String(arn), InputTransformer: &ebtypes.InputTransformer{InputPathsMap: map[string]string{"id": "$.detail.id"}, InputTemplate: aws.String(`{"order": <id>}`)}},
		{Id: aws.String("sm"), Arn: sm.StateMachineArn, InputPath: aws.String("$.detail")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
		{Source: aws.String("shop"), DetailType: aws.String("Order"), Detail: aws.String(`{"id":"o-7","total":120}`)}}}); err != nil {
		t.Fatal(err)
	}
	if body := receive(t, c, url); body != `{"order": "o-7"}` {
		t.Fatalf("queue got %s", body)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		ex, err := c.sfn.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: sm.StateMachineArn})
		if err == nil && len(ex.Executions) == 1 {
			d, _ := c.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: ex.Executions[0].ExecutionArn})
			if !strings.Contains(*d.Input, `"o-7"`) {
				t.Fatalf("execution input %s", *d.Input)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the state machine target did not start an execution")
		}
		time.Sleep(20 * time.Millisecond)
	}
	targets, err := c.eb.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("orders")})
	if err != nil || len(targets.Targets) != 2 || *targets.Targets[1].InputPath != "$.detail" {
		t.Fatalf("ListTargetsByRule = %+v, %v", targets, err)
	}
}

func TestRuleOperationsAndErrors(t *testing.T) {
	t.Parallel()
	c := setup(t)
	ctx := context.Background()
	for _, n := range []string{"r-1", "r-2", "x"} {
		if _, err := c.eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(n), EventPattern: aws.String(`{"source":["a"]}`)}); err != nil {
			t.Fatal(err)
		}
	}
	page, err := c.eb.ListRules(ctx, &eventbridge.ListRulesInput{NamePrefix: aws.String("r-"), Limit: aws.Int32(1)})
	if err != nil || len(page.Rules) != 1 || *page.Rules[0].Name != "r-1" || page.NextToken == nil {
		t.Fatalf("ListRules = %+v, %v", page, err)
	}
	page, _ = c.eb.ListRules(ctx, &eventbridge.ListRulesInput{NamePrefix: aws.String("r-"), NextToken: page.NextToken})
	if len(page.Rules) != 1 || *page.Rules[0].Name != "r-2" {
		t.Fatalf("ListRules page 2 = %+v", page)
	}
	if _, err := c.eb.DisableRule(ctx, &eventbridge.DisableRuleInput{Name: aws.String("x")}); err != nil {
		t.Fatal(err)
	}
	d, err := c.eb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("x")})
	if err != nil || d.State != ebtypes.RuleStateDisabled || *d.EventBusName != "default" || *d.EventPattern != `{"source":["a"]}` {
		t.Fatalf("DescribeRule = %+v, %v", d, err)
	}
	if _, err := c.eb.EnableRule(ctx, &eventbridge.EnableRuleInput{Name: aws.String("x")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("bad"), EventPattern: aws.String(`{"source":"a"}`)})
	wantCode(t, err, "InvalidEventPatternException")
	_, err = c.eb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("none")})
	wantCode(t, err, "ResourceNotFoundException")
	_, err = c.eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("none"), Targets: []ebtypes.Target{{Id: aws.String("a"), Arn: aws.String("arn:aws:sqs:us-east-1:123456789012:q")}}})
	wantCode(t, err, "ResourceNotFoundException")
	if _, err := c.eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("x"), Targets: []ebtypes.Target{{Id: aws.String("a"), Arn: aws.String("arn:aws:sqs:us-east-1:123456789012:q")}}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.eb.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("x")})
	wantCode(t, err, "ValidationException")
	if _, err := c.eb.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String("x"), Ids: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.eb.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("x")}); err != nil {
		t.Fatal(err)
	}
	entries := make([]ebtypes.PutEventsRequestEntry, 11)
	for i := range entries {
		entries[i] = ebtypes.PutEventsRequestEntry{Source: aws.String("s"), DetailType: aws.String("d"), Detail: aws.String("{}")}
	}
	_, err = c.eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries})
	wantCode(t, err, "ValidationException")
	_, err = c.eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{Source: aws.String("s"), DetailType: aws.String("d"),
		Detail: aws.String(`{"a":"` + strings.Repeat("x", 256*1024) + `"}`)}}})
	wantCode(t, err, "ValidationException")

	ruleArn := aws.String("arn:aws:events:us-east-1:123456789012:rule/r-1")
	if _, err := c.eb.TagResource(ctx, &eventbridge.TagResourceInput{ResourceARN: ruleArn, Tags: []ebtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.eb.ListTagsForResource(ctx, &eventbridge.ListTagsForResourceInput{ResourceARN: ruleArn})
	if err != nil || len(tags.Tags) != 1 || *tags.Tags[0].Value != "v" {
		t.Fatalf("tags = %+v, %v", tags, err)
	}
	bus, err := c.eb.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{})
	if err != nil || *bus.Name != "default" || *bus.Arn != "arn:aws:events:us-east-1:123456789012:event-bus/default" {
		t.Fatalf("DescribeEventBus = %+v, %v", bus, err)
	}
}

func TestScheduledRuleOnFakeClock(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	srv := ceaptest.StartServer(t, ceaptest.WithClock(clk))
	c := clients{eventbridge.NewFromConfig(srv.AWS), sns.NewFromConfig(srv.AWS), sqs.NewFromConfig(srv.AWS), sfn.NewFromConfig(srv.AWS)}
	ctx := context.Background()
	url, arn := queue(t, c, "ticks")
	if _, err := c.eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("every-minute"), ScheduleExpression: aws.String("rate(1 minute)")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("every-minute"), Targets: []ebtypes.Target{{Id: aws.String("q"), Arn: aws.String(arn)}}}); err != nil {
		t.Fatal(err)
	}
	d, err := c.eb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("every-minute")})
	if err != nil || *d.ScheduleExpression != "rate(1 minute)" {
		t.Fatalf("DescribeRule = %+v, %v", d, err)
	}
	_, err = c.eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("bad"), ScheduleExpression: aws.String("rate(1 minutes)")})
	wantCode(t, err, "ValidationException")
	clk.Advance(time.Minute)
	deadline := time.Now().Add(5 * time.Second)
	for {
		out, err := c.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 1 {
			var ev map[string]any
			json.Unmarshal([]byte(*out.Messages[0].Body), &ev)
			if ev["detail-type"] != "Scheduled Event" || ev["time"] != "2024-01-01T00:01:00Z" {
				t.Fatalf("event = %v", ev)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the scheduled rule did not fire")
		}
		time.Sleep(20 * time.Millisecond)
		clk.Advance(time.Second) // wake the worker's poll timer
	}
}
