package sns_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/ceap/ceap/internal/ceaptest"
)

func setup(t *testing.T) (*sns.Client, *sqs.Client) {
	t.Helper()
	srv := ceaptest.StartServer(t)
	return sns.NewFromConfig(srv.AWS), sqs.NewFromConfig(srv.AWS)
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Fatalf("error = %v, want %s", err, code)
	}
}

func queue(t *testing.T, q *sqs.Client, name string) (url, arn string) {
	t.Helper()
	ctx := context.Background()
	out, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	a, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: out.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{"QueueArn"}})
	if err != nil {
		t.Fatal(err)
	}
	return *out.QueueUrl, a.Attributes["QueueArn"]
}

func receive(t *testing.T, q *sqs.Client, url string) sqstypes.Message {
	t.Helper()
	out, err := q.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 5, MessageAttributeNames: []string{"All"}})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("receive from %s = %+v, %v", url, out, err)
	}
	return out.Messages[0]
}

func TestTopicToQueues(t *testing.T) {
	t.Parallel()
	c, q := setup(t)
	ctx := context.Background()
	topic, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("ceap-ops-alerts"), Attributes: map[string]string{"DisplayName": "Ops"},
		Tags: []snstypes.Tag{{Key: aws.String("team"), Value: aws.String("ops")}}})
	if err != nil || *topic.TopicArn != "arn:aws:sns:us-east-1:123456789012:ceap-ops-alerts" {
		t.Fatalf("CreateTopic = %+v, %v", topic, err)
	}
	envURL, envARN := queue(t, q, "envelope")
	rawURL, rawARN := queue(t, q, "raw")
	sub, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(envARN)})
	if err != nil || !strings.HasPrefix(*sub.SubscriptionArn, *topic.TopicArn+":") {
		t.Fatalf("Subscribe = %+v, %v", sub, err)
	}
	if _, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(rawARN),
		Attributes: map[string]string{"RawMessageDelivery": "true"}}); err != nil {
		t.Fatal(err)
	}
	pub, err := c.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String("execution failed"), Subject: aws.String("Alert"),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{"severity": {DataType: aws.String("String"), StringValue: aws.String("high")}}})
	if err != nil || *pub.MessageId == "" {
		t.Fatalf("Publish = %+v, %v", pub, err)
	}
	var env map[string]any
	m := receive(t, q, envURL)
	if err := json.Unmarshal([]byte(*m.Body), &env); err != nil {
		t.Fatalf("envelope %s: %v", *m.Body, err)
	}
	if env["Type"] != "Notification" || env["MessageId"] != *pub.MessageId || env["Message"] != "execution failed" || env["Subject"] != "Alert" || env["TopicArn"] != *topic.TopicArn {
		t.Fatalf("envelope = %v", env)
	}
	r := receive(t, q, rawURL)
	if *r.Body != "execution failed" || *r.MessageAttributes["severity"].StringValue != "high" {
		t.Fatalf("raw = %s %v", *r.Body, r.MessageAttributes)
	}

	attrs, err := c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: topic.TopicArn})
	if err != nil || attrs.Attributes["DisplayName"] != "Ops" || attrs.Attributes["SubscriptionsConfirmed"] != "2" || attrs.Attributes["Owner"] != "123456789012" {
		t.Fatalf("GetTopicAttributes = %v, %v", attrs, err)
	}
	if _, err := c.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: topic.TopicArn, AttributeName: aws.String("DisplayName"), AttributeValue: aws.String("O")}); err != nil {
		t.Fatal(err)
	}
	list, err := c.ListTopics(ctx, &sns.ListTopicsInput{})
	if err != nil || len(list.Topics) != 1 || *list.Topics[0].TopicArn != *topic.TopicArn {
		t.Fatalf("ListTopics = %+v, %v", list, err)
	}
	subs, err := c.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: topic.TopicArn})
	if err != nil || len(subs.Subscriptions) != 2 || *subs.Subscriptions[0].Protocol != "sqs" {
		t.Fatalf("ListSubscriptionsByTopic = %+v, %v", subs, err)
	}
	sa, err := c.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: sub.SubscriptionArn})
	if err != nil || sa.Attributes["Endpoint"] != envARN || sa.Attributes["RawMessageDelivery"] != "false" {
		t.Fatalf("GetSubscriptionAttributes = %v, %v", sa.Attributes, err)
	}
	tags, err := c.ListTagsForResource(ctx, &sns.ListTagsForResourceInput{ResourceArn: topic.TopicArn})
	if err != nil || len(tags.Tags) != 1 || *tags.Tags[0].Key != "team" {
		t.Fatalf("tags = %+v, %v", tags, err)
	}
	if _, err := c.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: sub.SubscriptionArn}); err != nil {
		t.Fatal(err)
	}
	all, err := c.ListSubscriptions(ctx, &sns.ListSubscriptionsInput{})
	if err != nil || len(all.Subscriptions) != 1 {
		t.Fatalf("ListSubscriptions = %+v, %v", all, err)
	}
	if _, err := c.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: topic.TopicArn}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String("x")})
	wantCode(t, err, "NotFound")
}

func TestHTTPSubscriptionHandshake(t *testing.T) {
	t.Parallel()
	c, _ := setup(t)
	ctx := context.Background()
	got := make(chan map[string]string, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var msg map[string]string
		json.Unmarshal(b, &msg)
		msg["header-type"] = r.Header.Get("x-amz-sns-message-type")
		if msg["Type"] == "SubscriptionConfirmation" {
			// The endpoint confirms by visiting SubscribeURL, as SNS asks.
			resp, err := http.Get(msg["SubscribeURL"])
			if err != nil {
				msg["confirm-error"] = err.Error()
			} else {
				resp.Body.Close()
				msg["confirm-status"] = resp.Status
			}
		}
		got <- msg
	}))
	defer hook.Close()
	topic, _ := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("hooks")})
	sub, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("http"), Endpoint: aws.String(hook.URL + "/sns")})
	if err != nil || *sub.SubscriptionArn != "pending confirmation" {
		t.Fatalf("Subscribe = %+v, %v", sub, err)
	}
	var conf map[string]string
	select {
	case conf = <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("no SubscriptionConfirmation")
	}
	if conf["header-type"] != "SubscriptionConfirmation" || conf["confirm-status"] != "200 OK" {
		t.Fatalf("confirmation = %v", conf)
	}
	subs, _ := c.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: topic.TopicArn})
	if len(subs.Subscriptions) != 1 || *subs.Subscriptions[0].SubscriptionArn == "PendingConfirmation" {
		t.Fatalf("after confirmation = %+v", subs.Subscriptions)
	}
	if _, err := c.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String("hello")}); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-got:
		if n["header-type"] != "Notification" || n["Message"] != "hello" {
			t.Fatalf("notification = %v", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no notification")
	}
	_, err = c.ConfirmSubscription(ctx, &sns.ConfirmSubscriptionInput{TopicArn: topic.TopicArn, Token: aws.String("bogus")})
	wantCode(t, err, "InvalidParameter")
}

func TestErrors(t *testing.T) {
	t.Parallel()
	c, _ := setup(t)
	ctx := context.Background()
	missing := aws.String("arn:aws:sns:us-east-1:123456789012:missing")
	_, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("bad name")})
	wantCode(t, err, "InvalidParameter")
	_, err = c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: missing})
	wantCode(t, err, "NotFound")
	_, err = c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: missing, Protocol: aws.String("sqs"), Endpoint: aws.String("arn:aws:sqs:us-east-1:123456789012:q")})
	wantCode(t, err, "NotFound")
	topic, _ := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("t")})
	_, err = c.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String(strings.Repeat("x", 256*1024+1))})
	wantCode(t, err, "InvalidParameter")
	_, err = c.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String("m"),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{"n": {DataType: aws.String("Number"), StringValue: aws.String("abc")}}})
	wantCode(t, err, "ParameterValueInvalid")
	_, err = c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("smoke-signal"), Endpoint: aws.String("x")})
	wantCode(t, err, "InvalidParameter")
	_, err = c.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(*topic.TopicArn + ":6f1c1a5e-0000-0000-0000-000000000000")})
	wantCode(t, err, "NotFound")
	_, err = c.ListTagsForResource(ctx, &sns.ListTagsForResourceInput{ResourceArn: missing})
	wantCode(t, err, "ResourceNotFound")
	if _, err := c.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: missing}); err != nil {
		t.Fatalf("DeleteTopic of a missing topic: %v", err)
	}
}

func TestPublishBatch(t *testing.T) {
	t.Parallel()
	c, q := setup(t)
	ctx := context.Background()
	topic, _ := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("batch")})
	url, arn := queue(t, q, "batch-q")
	if _, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(arn), Attributes: map[string]string{"RawMessageDelivery": "true"}}); err != nil {
		t.Fatal(err)
	}
	out, err := c.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: topic.TopicArn, PublishBatchRequestEntries: []snstypes.PublishBatchRequestEntry{
		{Id: aws.String("a"), Message: aws.String("one")},
		{Id: aws.String("b"), Message: aws.String("two"), Subject: aws.String("bad\nsubject")},
		{Id: aws.String("c"), Message: aws.String("")},
	}})
	if err != nil || len(out.Successful) != 1 || *out.Successful[0].Id != "a" || len(out.Failed) != 2 || *out.Failed[1].Id != "c" || *out.Failed[0].Code != "InvalidParameter" || !out.Failed[0].SenderFault {
		t.Fatalf("PublishBatch = %+v, %v", out, err)
	}
	if m := receive(t, q, url); *m.Body != "one" {
		t.Fatalf("queue got %s", *m.Body)
	}
	_, err = c.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: topic.TopicArn, PublishBatchRequestEntries: []snstypes.PublishBatchRequestEntry{
		{Id: aws.String("a"), Message: aws.String("1")}, {Id: aws.String("a"), Message: aws.String("2")}}})
	wantCode(t, err, "BatchEntryIdsNotDistinct")
	entries := make([]snstypes.PublishBatchRequestEntry, 11)
	for i := range entries {
		entries[i] = snstypes.PublishBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), Message: aws.String("m")}
	}
	_, err = c.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: topic.TopicArn, PublishBatchRequestEntries: entries})
	wantCode(t, err, "TooManyEntriesInBatchRequest")
}
