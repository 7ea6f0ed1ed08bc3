package sqs_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/ceap/ceap/internal/ceaptest"
	"github.com/ceap/ceap/internal/clock"
)

type fixture struct {
	t   *testing.T
	srv *ceaptest.Server
	c   *sqs.Client
	ctx context.Context
}

func setup(t *testing.T, opts ...ceaptest.Option) *fixture {
	t.Helper()
	t.Parallel()
	srv := ceaptest.StartServer(t, opts...)
	return &fixture{t: t, srv: srv, c: sqs.NewFromConfig(srv.AWS), ctx: context.Background()}
}

func (f *fixture) create(name string, attrs map[string]string) string {
	f.t.Helper()
	out, err := f.c.CreateQueue(f.ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		f.t.Fatalf("create %s: %v", name, err)
	}
	return *out.QueueUrl
}

func (f *fixture) arn(url string) string {
	f.t.Helper()
	out, err := f.c.GetQueueAttributes(f.ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{"QueueArn"}})
	if err != nil {
		f.t.Fatalf("arn: %v", err)
	}
	return out.Attributes["QueueArn"]
}

func (f *fixture) send(url, body string) string {
	f.t.Helper()
	out, err := f.c.SendMessage(f.ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: &body})
	if err != nil {
		f.t.Fatalf("send: %v", err)
	}
	return *out.MessageId
}

// receive receives with the given visibility timeout (0: the queue's, as the SDK never sends 0).
func (f *fixture) receive(url string, max int32, visibility int32) []types.Message {
	f.t.Helper()
	out, err := f.c.ReceiveMessage(f.ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: max, VisibilityTimeout: visibility,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{"All"}, MessageAttributeNames: []string{"All"}})
	if err != nil {
		f.t.Fatalf("receive: %v", err)
	}
	return out.Messages
}

func (f *fixture) count(url string, attr string) int {
	f.t.Helper()
	out, err := f.c.GetQueueAttributes(f.ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{types.QueueAttributeName(attr)}})
	if err != nil {
		f.t.Fatalf("attributes: %v", err)
	}
	n, err := strconv.Atoi(out.Attributes[attr])
	if err != nil {
		f.t.Fatalf("attribute %s = %q", attr, out.Attributes[attr])
	}
	return n
}

// wantCode asserts that err is an API error with the given error code (the query-compatible
// code the SDK surfaces) and returns it.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v, want API error %s", err, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("error code = %s (%s), want %s", ae.ErrorCode(), ae.ErrorMessage(), code)
	}
}

func TestQueueLifecycle(t *testing.T) {
	f := setup(t)
	url := f.create("orders", map[string]string{"VisibilityTimeout": "60", "DelaySeconds": "0"})
	if !strings.HasSuffix(url, "/"+ceaptest.Account+"/orders") || !strings.HasPrefix(url, f.srv.URL()) {
		t.Fatalf("queue url = %s", url)
	}
	// Same name and attributes: the same URL; a different value: QueueNameExists.
	if again := f.create("orders", map[string]string{"VisibilityTimeout": "60"}); again != url {
		t.Fatalf("idempotent create = %s, want %s", again, url)
	}
	_, err := f.c.CreateQueue(f.ctx, &sqs.CreateQueueInput{QueueName: aws.String("orders"), Attributes: map[string]string{"VisibilityTimeout": "61"}})
	wantCode(t, err, "QueueAlreadyExists")
	var exists *types.QueueNameExists
	if !errors.As(err, &exists) {
		t.Fatalf("error type %T, want *types.QueueNameExists", err)
	}
	got, err := f.c.GetQueueUrl(f.ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("orders")})
	if err != nil || *got.QueueUrl != url {
		t.Fatalf("get url = %v, %v", got, err)
	}
	_, err = f.c.GetQueueUrl(f.ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("orders"), QueueOwnerAWSAccountId: aws.String("999999999999")})
	wantCode(t, err, "AWS.SimpleQueueService.NonExistentQueue")
	var missing *types.QueueDoesNotExist
	if !errors.As(err, &missing) {
		t.Fatalf("error type %T, want *types.QueueDoesNotExist", err)
	}

	for _, n := range []string{"orders-dlq", "other", "orders-b"} {
		f.create(n, nil)
	}
	list, err := f.c.ListQueues(f.ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("orders")})
	if err != nil || len(list.QueueUrls) != 3 || list.NextToken != nil {
		t.Fatalf("list = %+v, %v", list, err)
	}
	page, err := f.c.ListQueues(f.ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("orders"), MaxResults: aws.Int32(2)})
	if err != nil || len(page.QueueUrls) != 2 || page.NextToken == nil {
		t.Fatalf("list page 1 = %+v, %v", page, err)
	}
	page2, err := f.c.ListQueues(f.ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("orders"), MaxResults: aws.Int32(2), NextToken: page.NextToken})
	if err != nil || len(page2.QueueUrls) != 1 || page2.NextToken != nil || page2.QueueUrls[0] == page.QueueUrls[1] {
		t.Fatalf("list page 2 = %+v, %v", page2, err)
	}
	_, err = f.c.ListQueues(f.ctx, &sqs.ListQueuesInput{MaxResults: aws.Int32(1001)})
	wantCode(t, err, "InvalidParameterValue")

	attrs, err := f.c.GetQueueAttributes(f.ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{"All"}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"VisibilityTimeout": "60", "DelaySeconds": "0", "MessageRetentionPeriod": "345600", "MaximumMessageSize": "1048576",
		"ReceiveMessageWaitTimeSeconds": "0", "ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0",
		"ApproximateNumberOfMessagesDelayed": "0", "QueueArn": "arn:aws:sqs:us-east-1:" + ceaptest.Account + ":orders", "SqsManagedSseEnabled": "true"}
	for k, v := range want {
		if attrs.Attributes[k] != v {
			t.Fatalf("attribute %s = %q, want %q (all: %v)", k, attrs.Attributes[k], v, attrs.Attributes)
		}
	}
	if _, ok := attrs.Attributes["FifoQueue"]; ok {
		t.Fatalf("standard queue shows FifoQueue")
	}
	if ts, _ := strconv.ParseInt(attrs.Attributes["CreatedTimestamp"], 10, 64); time.Since(time.Unix(ts, 0)) > time.Minute {
		t.Fatalf("CreatedTimestamp = %s", attrs.Attributes["CreatedTimestamp"])
	}
	if _, err := f.c.SetQueueAttributes(f.ctx, &sqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{"DelaySeconds": "5", "MessageRetentionPeriod": "60"}}); err != nil {
		t.Fatal(err)
	}
	attrs, _ = f.c.GetQueueAttributes(f.ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{"DelaySeconds", "VisibilityTimeout", "MessageRetentionPeriod"}})
	if len(attrs.Attributes) != 3 || attrs.Attributes["DelaySeconds"] != "5" || attrs.Attributes["VisibilityTimeout"] != "60" || attrs.Attributes["MessageRetentionPeriod"] != "60" {
		t.Fatalf("after set = %v", attrs.Attributes)
	}

	if _, err := f.c.TagQueue(f.ctx, &sqs.TagQueueInput{QueueUrl: &url, Tags: map[string]string{"team": "ops", "env": "dev"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.UntagQueue(f.ctx, &sqs.UntagQueueInput{QueueUrl: &url, TagKeys: []string{"env"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := f.c.ListQueueTags(f.ctx, &sqs.ListQueueTagsInput{QueueUrl: &url})
	if err != nil || len(tags.Tags) != 1 || tags.Tags["team"] != "ops" {
		t.Fatalf("tags = %v, %v", tags, err)
	}
	tagged, err := f.c.CreateQueue(f.ctx, &sqs.CreateQueueInput{QueueName: aws.String("tagged"), Tags: map[string]string{"a": "b"}})
	if err != nil {
		t.Fatal(err)
	}
	if tags, _ := f.c.ListQueueTags(f.ctx, &sqs.ListQueueTagsInput{QueueUrl: tagged.QueueUrl}); tags.Tags["a"] != "b" {
		t.Fatalf("create tags = %v", tags.Tags)
	}

	if _, err := f.c.DeleteQueue(f.ctx, &sqs.DeleteQueueInput{QueueUrl: &url}); err != nil {
		t.Fatal(err)
	}
	_, err = f.c.GetQueueUrl(f.ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("orders")})
	wantCode(t, err, "AWS.SimpleQueueService.NonExistentQueue")
	_, err = f.c.CreateQueue(f.ctx, &sqs.CreateQueueInput{QueueName: aws.String("orders")})
	wantCode(t, err, "AWS.SimpleQueueService.QueueDeletedRecently")
	_, err = f.c.AddPermission(f.ctx, &sqs.AddPermissionInput{QueueUrl: tagged.QueueUrl, Label: aws.String("l"), AWSAccountIds: []string{"1"}, Actions: []string{"SendMessage"}})
	wantCode(t, err, "AWS.SimpleQueueService.UnsupportedOperation")
	_, err = f.c.RemovePermission(f.ctx, &sqs.RemovePermissionInput{QueueUrl: tagged.QueueUrl, Label: aws.String("l")})
	wantCode(t, err, "AWS.SimpleQueueService.UnsupportedOperation")
}

func TestQueueURLForms(t *testing.T) {
	f := setup(t)
	f.create("workflow-queue", nil)
	for _, u := range []string{
		"https://sqs.us-east-1.amazonaws.com/" + ceaptest.Account + "/workflow-queue",
		"https://queue.amazonaws.com/" + ceaptest.Account + "/workflow-queue",
		"http://127.0.0.1:4566/" + ceaptest.Account + "/workflow-queue",
		"http://localhost:4566/" + ceaptest.Account + "/workflow-queue",
	} {
		f.send(u, "via "+u)
	}
	if n := f.count(f.srv.URL()+"/"+ceaptest.Account+"/workflow-queue", "ApproximateNumberOfMessages"); n != 4 {
		t.Fatalf("messages = %d, want 4", n)
	}
	_, err := f.c.SendMessage(f.ctx, &sqs.SendMessageInput{QueueUrl: aws.String("https://sqs.us-east-1.amazonaws.com/999999999999/workflow-queue"), MessageBody: aws.String("x")})
	wantCode(t, err, "AWS.SimpleQueueService.NonExistentQueue")
	_, err = f.c.SendMessage(f.ctx, &sqs.SendMessageInput{QueueUrl: aws.String("https://sqs.us-east-1.amazonaws.com/" + ceaptest.Account + "/nope"), MessageBody: aws.String("x")})
	wantCode(t, err, "AWS.SimpleQueueService.NonExistentQueue")
}

func TestSendReceiveDelete(t *testing.T) {
	f := setup(t)
	url := f.create("q", nil)
	str := func(s string) *string { return &s }
	out, err := f.c.SendMessage(f.ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: str("hello ✓"),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"color":        {DataType: str("String"), StringValue: str("red")},
			"size":         {DataType: str("Number"), StringValue: str("42.5")},
			"blob":         {DataType: str("Binary"), BinaryValue: []byte{0, 1, 2, 255}},
			"custom.kind":  {DataType: str("String.custom"), StringValue: str("k")},
			"prefix.other": {DataType: str("Number.int"), StringValue: str("-7")},
		},
		MessageSystemAttributes: map[string]types.MessageSystemAttributeValue{"AWSTraceHeader": {DataType: str("String"), StringValue: str("Root=1-5759e988-bd862e3fe1be46a994272793")}},
	})
	if err != nil {
		t.Fatalf("send: %v", err) // the SDK verifies MD5OfMessageBody and MD5OfMessageAttributes
	}
	if *out.MD5OfMessageBody != "5d9e0ab8d0a4c9d1f3b1e1fcd29e3b6c" && len(*out.MD5OfMessageBody) != 32 {
		t.Fatalf("md5 = %s", *out.MD5OfMessageBody)
	}
	if out.MD5OfMessageSystemAttributes == nil {
		t.Fatalf("no MD5OfMessageSystemAttributes")
	}
	before := time.Now().Add(-time.Minute).UnixMilli()
	msgs := f.receive(url, 10, 30)
	if len(msgs) != 1 {
		t.Fatalf("received %d messages", len(msgs))
	}
	m := msgs[0]
	if *m.Body != "hello ✓" || *m.MessageId != *out.MessageId || len(m.MessageAttributes) != 5 || string(m.MessageAttributes["blob"].BinaryValue) != "\x00\x01\x02\xff" {
		t.Fatalf("message = %+v", m)
	}
	if m.Attributes["ApproximateReceiveCount"] != "1" || m.Attributes["SenderId"] != ceaptest.Account || m.Attributes["AWSTraceHeader"] == "" {
		t.Fatalf("system attributes = %v", m.Attributes)
	}
	if sent, _ := strconv.ParseInt(m.Attributes["SentTimestamp"], 10, 64); sent < before {
		t.Fatalf("SentTimestamp = %s", m.Attributes["SentTimestamp"])
	}
	if m.Attributes["ApproximateFirstReceiveTimestamp"] == "" {
		t.Fatalf("no ApproximateFirstReceiveTimestamp")
	}
	if n := f.count(url, "ApproximateNumberOfMessagesNotVisible"); n != 1 {
		t.Fatalf("not visible = %d", n)
	}
	if again := f.receive(url, 10, 30); len(again) != 0 {
		t.Fatalf("in-flight message received again")
	}
	// Prefix and exact attribute names select attributes; the SDK checks the MD5 of what came.
	f.send(url, "second")
	_, err = f.c.SendMessage(f.ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: str("third"), MessageAttributes: map[string]types.MessageAttributeValue{
		"custom.a": {DataType: str("String"), StringValue: str("1")}, "custom.b": {DataType: str("String"), StringValue: str("2")}, "zed": {DataType: str("String"), StringValue: str("3")}}})
	if err != nil {
		t.Fatal(err)
	}
	sel, err := f.c.ReceiveMessage(f.ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, MessageAttributeNames: []string{"custom.*"}})
	if err != nil || len(sel.Messages) != 2 {
		t.Fatalf("receive = %v, %v", sel, err)
	}
	for _, m := range sel.Messages {
		if *m.Body == "third" && (len(m.MessageAttributes) != 2 || m.MessageAttributes["zed"].StringValue != nil) {
			t.Fatalf("prefix selection = %v", m.MessageAttributes)
		}
		if m.Attributes != nil {
			t.Fatalf("system attributes not asked for: %v", m.Attributes)
		}
	}

	if _, err := f.c.DeleteMessage(f.ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.DeleteMessage(f.ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle}); err != nil {
		t.Fatalf("deleting twice: %v", err)
	}
	_, err = f.c.DeleteMessage(f.ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: aws.String("garbage")})
	wantCode(t, err, "ReceiptHandleIsInvalid")
	var del []types.DeleteMessageBatchRequestEntry
	for i, m := range sel.Messages {
		del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
	}
	del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String("bad"), ReceiptHandle: aws.String("nope")})
	res, err := f.c.DeleteMessageBatch(f.ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: del})
	if err != nil || len(res.Successful) != 2 || len(res.Failed) != 1 || *res.Failed[0].Id != "bad" || *res.Failed[0].Code != "ReceiptHandleIsInvalid" || !res.Failed[0].SenderFault {
		t.Fatalf("delete batch = %+v, %v", res, err)
	}
	if n := f.count(url, "ApproximateNumberOfMessages") + f.count(url, "ApproximateNumberOfMessagesNotVisible"); n != 0 {
		t.Fatalf("messages left = %d", n)
	}
}

func TestStaleReceiptHandleDeletes(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	f := setup(t, ceaptest.WithClock(clk))
	url := f.create("q", nil)
	f.send(url, "x")
	first := f.receive(url, 1, 10)
	clk.Advance(11 * time.Second)
	second := f.receive(url, 1, 10)
	if len(first) != 1 || len(second) != 1 || *first[0].ReceiptHandle == *second[0].ReceiptHandle || second[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("receives = %v / %v", first, second)
	}
	if _, err := f.c.DeleteMessage(f.ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: first[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(11 * time.Second)
	if again := f.receive(url, 1, 10); len(again) != 0 {
		t.Fatalf("message deleted with a stale handle came back")
	}
}

func TestVisibility(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	f := setup(t, ceaptest.WithClock(clk))
	url := f.create("q", map[string]string{"VisibilityTimeout": "30"})
	f.send(url, "a")
	f.send(url, "b")
	all, err := f.c.ReceiveMessage(f.ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10})
	if err != nil || len(all.Messages) != 2 {
		t.Fatalf("receive with the queue's timeout = %v, %v", all, err)
	}
	clk.Advance(29 * time.Second)
	if got := f.receive(url, 10, 0); len(got) != 0 {
		t.Fatalf("visible before the timeout: %d", len(got))
	}
	if _, err := f.c.ChangeMessageVisibility(f.ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: all.Messages[0].ReceiptHandle, VisibilityTimeout: 100}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Second)
	got := f.receive(url, 10, 5)
	if len(got) != 1 || *got[0].Body != *all.Messages[1].Body {
		t.Fatalf("after expiry got %v", got)
	}
	// Past 12 hours from the first receive.
	_, err = f.c.ChangeMessageVisibility(f.ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: all.Messages[0].ReceiptHandle, VisibilityTimeout: 43200})
	wantCode(t, err, "InvalidParameterValue")
	_, err = f.c.ChangeMessageVisibility(f.ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: all.Messages[0].ReceiptHandle, VisibilityTimeout: 43201})
	wantCode(t, err, "InvalidParameterValue")
	clk.Advance(6 * time.Second) // message b visible again
	_, err = f.c.ChangeMessageVisibility(f.ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: got[0].ReceiptHandle, VisibilityTimeout: 10})
	wantCode(t, err, "AWS.SimpleQueueService.MessageNotInflight")
	res, err := f.c.ChangeMessageVisibilityBatch(f.ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: &url, Entries: []types.ChangeMessageVisibilityBatchRequestEntry{
		{Id: aws.String("a"), ReceiptHandle: all.Messages[0].ReceiptHandle, VisibilityTimeout: 0},
		{Id: aws.String("b"), ReceiptHandle: aws.String("bad"), VisibilityTimeout: 0},
	}})
	if err != nil || len(res.Successful) != 1 || len(res.Failed) != 1 || *res.Failed[0].Code != "ReceiptHandleIsInvalid" {
		t.Fatalf("change batch = %+v, %v", res, err)
	}
	if got := f.receive(url, 10, 30); len(got) != 2 {
		t.Fatalf("after visibility 0 got %d, want 2", len(got))
	}
}

func TestDelayAndRetention(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	f := setup(t, ceaptest.WithClock(clk))
	url := f.create("q", map[string]string{"DelaySeconds": "10", "MessageRetentionPeriod": "60"})
	f.send(url, "delayed by the queue")
	if _, err := f.c.SendMessage(f.ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("no delay"), DelaySeconds: 0}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.SendMessage(f.ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("delayed 20"), DelaySeconds: 20}); err != nil {
		t.Fatal(err)
	}
	// DelaySeconds 0 is not sent by the SDK (zero value), so the queue's delay applies to it.
	if n := f.count(url, "ApproximateNumberOfMessagesDelayed"); n != 3 {
		t.Fatalf("delayed = %d, want 3", n)
	}
	clk.Advance(10 * time.Second)
	if n := f.count(url, "ApproximateNumberOfMessages"); n != 2 {
		t.Fatalf("visible after 10s = %d, want 2", n)
	}
	clk.Advance(10 * time.Second)
	if n := f.count(url, "ApproximateNumberOfMessages"); n != 3 {
		t.Fatalf("visible after 20s = %d, want 3", n)
	}
	clk.Advance(41 * time.Second)
	if n := f.count(url, "ApproximateNumberOfMessages"); n != 0 {
		t.Fatalf("visible past retention = %d, want 0", n)
	}
	if got := f.receive(url, 10, 30); len(got) != 0 {
		t.Fatalf("received %d messages past retention", len(got))
	}
}

func TestPurge(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	f := setup(t, ceaptest.WithClock(clk))
	url := f.create("q", nil)
	f.send(url, "a")
	f.send(url, "b")
	if _, err := f.c.PurgeQueue(f.ctx, &sqs.PurgeQueueInput{QueueUrl: &url}); err != nil {
		t.Fatal(err)
	}
	if n := f.count(url, "ApproximateNumberOfMessages"); n != 0 {
		t.Fatalf("after purge = %d", n)
	}
	clk.Advance(time.Second)
	f.send(url, "after the purge")
	_, err := f.c.PurgeQueue(f.ctx, &sqs.PurgeQueueInput{QueueUrl: &url})
	wantCode(t, err, "AWS.SimpleQueueService.PurgeQueueInProgress")
	got := f.receive(url, 10, 30)
	if len(got) != 1 || *got[0].Body != "after the purge" {
		t.Fatalf("received after purge: %v", bodies(got))
	}
	clk.Advance(60 * time.Second)
	if _, err := f.c.PurgeQueue(f.ctx, &sqs.PurgeQueueInput{QueueUrl: &url}); err != nil {
		t.Fatalf("purge after 60 s: %v", err)
	}
	if n := f.count(url, "ApproximateNumberOfMessagesNotVisible"); n != 0 {
		t.Fatalf("in flight after the second purge = %d", n)
	}
}

func TestLongPollWakesOnSend(t *testing.T) {
	f := setup(t)
	url := f.create("q", nil)
	var wg sync.WaitGroup
	wg.Add(1)
	var got *sqs.ReceiveMessageOutput
	var took time.Duration
	go func() {
		defer wg.Done()
		start := time.Now()
		got, _ = f.c.ReceiveMessage(f.ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 20})
		took = time.Since(start)
	}()
	time.Sleep(200 * time.Millisecond)
	f.send(url, "wake")
	wg.Wait()
	if got == nil || len(got.Messages) != 1 || took > 5*time.Second {
		t.Fatalf("long poll got %v after %v", got, took)
	}
	start := time.Now()
	empty, err := f.c.ReceiveMessage(f.ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 1})
	if err != nil || len(empty.Messages) != 0 || time.Since(start) < 900*time.Millisecond {
		t.Fatalf("empty long poll = %v, %v after %v", empty, err, time.Since(start))
	}
}

func TestDeadLetterQueue(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	f := setup(t, ceaptest.WithClock(clk))
	dlq := f.create("workflow-dlq", nil)
	dlqArn := f.arn(dlq)
	url := f.create("workflow-queue", map[string]string{"VisibilityTimeout": "30",
		"RedrivePolicy": `{"deadLetterTargetArn":"` + dlqArn + `","maxReceiveCount":"3"}`})
	attrs, _ := f.c.GetQueueAttributes(f.ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{"RedrivePolicy"}})
	if attrs.Attributes["RedrivePolicy"] != `{"deadLetterTargetArn":"`+dlqArn+`","maxReceiveCount":3}` {
		t.Fatalf("RedrivePolicy = %s", attrs.Attributes["RedrivePolicy"])
	}
	sent, err := f.c.SendMessage(f.ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String(`{"order":1}`),
		MessageAttributes: map[string]types.MessageAttributeValue{"kind": {DataType: aws.String("String"), StringValue: aws.String("order")}}})
	if err != nil {
		t.Fatal(err)
	}
	sentAt := clk.Now().UnixMilli()
	for i := 1; i <= 3; i++ {
		got := f.receive(url, 1, 30)
		if len(got) != 1 || got[0].Attributes["ApproximateReceiveCount"] != strconv.Itoa(i) {
			t.Fatalf("receive %d = %v", i, got)
		}
		clk.Advance(31 * time.Second)
	}
	if got := f.receive(url, 10, 30); len(got) != 0 {
		t.Fatalf("fourth receive returned %d messages; the message should have moved", len(got))
	}
	moved := f.receive(dlq, 10, 30)
	if len(moved) != 1 {
		t.Fatalf("dead-letter queue has %d messages", len(moved))
	}
	m := moved[0]
	if *m.MessageId != *sent.MessageId || *m.Body != `{"order":1}` || *m.MessageAttributes["kind"].StringValue != "order" ||
		m.Attributes["SentTimestamp"] != strconv.FormatInt(sentAt, 10) || m.Attributes["DeadLetterQueueSourceArn"] != f.arn(url) {
		t.Fatalf("dead-lettered message = %+v %v", m, m.Attributes)
	}
	src, err := f.c.ListDeadLetterSourceQueues(f.ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: &dlq})
	if err != nil || len(src.QueueUrls) != 1 || src.QueueUrls[0] != url {
		t.Fatalf("dead-letter sources = %v, %v", src, err)
	}
	// Invalid redrive policies change nothing.
	for _, p := range []string{
		`{"deadLetterTargetArn":"` + dlqArn + `","maxReceiveCount":0}`,
		`{"deadLetterTargetArn":"` + dlqArn + `","maxReceiveCount":1001}`,
		`{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:` + ceaptest.Account + `:nope","maxReceiveCount":3}`,
		`{"maxReceiveCount":3}`,
		`not json`,
	} {
		_, err := f.c.SetQueueAttributes(f.ctx, &sqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{"RedrivePolicy": p}})
		wantCode(t, err, "InvalidParameterValue")
	}
	attrs, _ = f.c.GetQueueAttributes(f.ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{"RedrivePolicy"}})
	if !strings.Contains(attrs.Attributes["RedrivePolicy"], `"maxReceiveCount":3`) {
		t.Fatalf("RedrivePolicy changed by bad input: %s", attrs.Attributes["RedrivePolicy"])
	}
}

func TestMessageMoveTask(t *testing.T) {
	f := setup(t)
	dlq := f.create("dlq", nil)
	dlqArn := f.arn(dlq)
	url := f.create("src", map[string]string{"VisibilityTimeout": "0", "RedrivePolicy": `{"deadLetterTargetArn":"` + dlqArn + `","maxReceiveCount":1}`})
	other := f.create("other", nil)
	for i := 0; i < 5; i++ {
		f.send(url, "m"+strconv.Itoa(i))
	}
	if got := f.receive(url, 10, 0); len(got) != 5 { // receive count 1, visible again at once
		t.Fatalf("first receive got %d", len(got))
	}
	if got := f.receive(url, 10, 30); len(got) != 0 {
		t.Fatalf("second receive got %d", len(got))
	}
	if n := f.count(dlq, "ApproximateNumberOfMessages"); n != 5 {
		t.Fatalf("dlq has %d, want 5", n)
	}
	_, err := f.c.StartMessageMoveTask(f.ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(f.arn(other))})
	wantCode(t, err, "InvalidParameterValue")
	_, err = f.c.StartMessageMoveTask(f.ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String("arn:aws:sqs:us-east-1:" + ceaptest.Account + ":missing")})
	wantCode(t, err, "ResourceNotFoundException")
	_, err = f.c.StartMessageMoveTask(f.ctx, &sqs.StartMessageMoveTaskInput{SourceArn: &dlqArn, MaxNumberOfMessagesPerSecond: aws.Int32(501)})
	wantCode(t, err, "InvalidParameterValue")

	task, err := f.c.StartMessageMoveTask(f.ctx, &sqs.StartMessageMoveTaskInput{SourceArn: &dlqArn, MaxNumberOfMessagesPerSecond: aws.Int32(100)})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		list, err := f.c.ListMessageMoveTasks(f.ctx, &sqs.ListMessageMoveTasksInput{SourceArn: &dlqArn})
		if err != nil || len(list.Results) != 1 {
			t.Fatalf("list tasks = %v, %v", list, err)
		}
		r := list.Results[0]
		if *r.Status == "COMPLETED" {
			if r.ApproximateNumberOfMessagesMoved != 5 || r.TaskHandle != nil {
				t.Fatalf("completed task = %+v", r)
			}
			break
		}
		if *r.Status != "RUNNING" || *r.TaskHandle != *task.TaskHandle || time.Now().After(deadline) {
			t.Fatalf("task = %+v", r)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := f.count(url, "ApproximateNumberOfMessages"); n != 5 {
		t.Fatalf("source has %d after the move, want 5", n)
	}
	_, err = f.c.CancelMessageMoveTask(f.ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: task.TaskHandle})
	wantCode(t, err, "ResourceNotFoundException")

	// To an explicit destination, cancelled while running at 1 message per second.
	f.receive(url, 10, 0)
	f.receive(url, 10, 0)
	task, err = f.c.StartMessageMoveTask(f.ctx, &sqs.StartMessageMoveTaskInput{SourceArn: &dlqArn, DestinationArn: aws.String(f.arn(other)), MaxNumberOfMessagesPerSecond: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.c.StartMessageMoveTask(f.ctx, &sqs.StartMessageMoveTaskInput{SourceArn: &dlqArn})
	wantCode(t, err, "AWS.SimpleQueueService.UnsupportedOperation")
	if _, err := f.c.CancelMessageMoveTask(f.ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: task.TaskHandle}); err != nil {
		t.Fatal(err)
	}
	list, err := f.c.ListMessageMoveTasks(f.ctx, &sqs.ListMessageMoveTasksInput{SourceArn: &dlqArn, MaxResults: aws.Int32(10)})
	if err != nil || len(list.Results) != 2 || *list.Results[0].Status != "CANCELLED" || *list.Results[0].DestinationArn != f.arn(other) {
		t.Fatalf("tasks = %+v, %v", list, err)
	}
}
