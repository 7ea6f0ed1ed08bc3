package sqs_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// TestBadInput sends every kind of invalid request and checks the error code the SDK surfaces
// and that nothing changed.
func TestBadInput(t *testing.T) {
	f := setup(t)
	url := f.create("q", map[string]string{"MaximumMessageSize": "2048"})
	f.send(url, "keep")
	before, err := f.c.GetQueueAttributes(f.ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{"All"}})
	if err != nil {
		t.Fatal(err)
	}
	s := aws.String
	str := func(v string) types.MessageAttributeValue {
		return types.MessageAttributeValue{DataType: s("String"), StringValue: s(v)}
	}
	manyAttrs := map[string]types.MessageAttributeValue{}
	for i := 0; i < 11; i++ {
		manyAttrs["a"+strconv.Itoa(i)] = str("v")
	}
	entries := func(n int, body string) []types.SendMessageBatchRequestEntry {
		var out []types.SendMessageBatchRequestEntry
		for i := 0; i < n; i++ {
			out = append(out, types.SendMessageBatchRequestEntry{Id: s("e" + strconv.Itoa(i)), MessageBody: s(body)})
		}
		return out
	}
	createAttr := func(k, v string) func() error {
		return func() error {
			_, err := f.c.CreateQueue(f.ctx, &sqs.CreateQueueInput{QueueName: s("new"), Attributes: map[string]string{k: v}})
			return err
		}
	}
	setAttr := func(k, v string) func() error {
		return func() error {
			_, err := f.c.SetQueueAttributes(f.ctx, &sqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{k: v}})
			return err
		}
	}
	send := func(in sqs.SendMessageInput) func() error {
		return func() error {
			in.QueueUrl = &url
			if in.MessageBody == nil {
				in.MessageBody = s("body")
			}
			_, err := f.c.SendMessage(f.ctx, &in)
			return err
		}
	}
	batch := func(e []types.SendMessageBatchRequestEntry) func() error {
		return func() error {
			_, err := f.c.SendMessageBatch(f.ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: e})
			return err
		}
	}
	receive := func(in sqs.ReceiveMessageInput) func() error {
		return func() error {
			in.QueueUrl = &url
			_, err := f.c.ReceiveMessage(f.ctx, &in)
			return err
		}
	}
	cases := []struct {
		name string
		call func() error
		code string
	}{
		{"VisibilityTimeout too big", createAttr("VisibilityTimeout", "43201"), "InvalidAttributeValue"},
		{"VisibilityTimeout negative", setAttr("VisibilityTimeout", "-1"), "InvalidAttributeValue"},
		{"MessageRetentionPeriod too small", createAttr("MessageRetentionPeriod", "59"), "InvalidAttributeValue"},
		{"MessageRetentionPeriod too big", setAttr("MessageRetentionPeriod", "1209601"), "InvalidAttributeValue"},
		{"DelaySeconds too big", createAttr("DelaySeconds", "901"), "InvalidAttributeValue"},
		{"ReceiveMessageWaitTimeSeconds too big", setAttr("ReceiveMessageWaitTimeSeconds", "21"), "InvalidAttributeValue"},
		{"MaximumMessageSize too small", createAttr("MaximumMessageSize", "1023"), "InvalidAttributeValue"},
		{"MaximumMessageSize too big", setAttr("MaximumMessageSize", "1048577"), "InvalidAttributeValue"},
		{"not a number", setAttr("DelaySeconds", "soon"), "InvalidAttributeValue"},
		{"unknown attribute", createAttr("Colour", "red"), "InvalidAttributeName"},
		{"read-only attribute", setAttr("QueueArn", "x"), "InvalidAttributeName"},
		{"bad RedriveAllowPolicy", setAttr("RedriveAllowPolicy", `{"redrivePermission":"sometimes"}`), "InvalidParameterValue"},
		{"bad queue name", func() error {
			_, err := f.c.CreateQueue(f.ctx, &sqs.CreateQueueInput{QueueName: s("bad name!")})
			return err
		}, "InvalidParameterValue"},
		{"queue name too long", func() error {
			_, err := f.c.CreateQueue(f.ctx, &sqs.CreateQueueInput{QueueName: s(strings.Repeat("a", 81))})
			return err
		}, "InvalidParameterValue"},
		{"unknown attribute name on get", func() error {
			_, err := f.c.GetQueueAttributes(f.ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{"Colour"}})
			return err
		}, "InvalidAttributeName"},
		{"invalid characters", send(sqs.SendMessageInput{MessageBody: s("bad \x00 char")}), "InvalidMessageContents"},
		{"invalid characters in an attribute", send(sqs.SendMessageInput{MessageAttributes: map[string]types.MessageAttributeValue{"a": str("\x01")}}), "InvalidMessageContents"},
		{"message too long for the queue", send(sqs.SendMessageInput{MessageBody: s(strings.Repeat("x", 2049))}), "InvalidParameterValue"},
		{"attributes count toward the size", send(sqs.SendMessageInput{MessageBody: s(strings.Repeat("x", 2040)), MessageAttributes: map[string]types.MessageAttributeValue{"attr": str("value")}}), "InvalidParameterValue"},
		{"too many attributes", send(sqs.SendMessageInput{MessageAttributes: manyAttrs}), "InvalidParameterValue"},
		{"attribute without type", send(sqs.SendMessageInput{MessageAttributes: map[string]types.MessageAttributeValue{"a": {StringValue: s("v"), DataType: s("")}}}), "InvalidParameterValue"},
		{"attribute of unknown type", send(sqs.SendMessageInput{MessageAttributes: map[string]types.MessageAttributeValue{"a": {StringValue: s("v"), DataType: s("Text")}}}), "InvalidParameterValue"},
		{"attribute without value", send(sqs.SendMessageInput{MessageAttributes: map[string]types.MessageAttributeValue{"a": {DataType: s("String")}}}), "InvalidParameterValue"},
		{"bad number", send(sqs.SendMessageInput{MessageAttributes: map[string]types.MessageAttributeValue{"n": {DataType: s("Number"), StringValue: s("12abc")}}}), "InvalidParameterValue"},
		{"reserved attribute name", send(sqs.SendMessageInput{MessageAttributes: map[string]types.MessageAttributeValue{"AWS.x": str("v")}}), "InvalidParameterValue"},
		{"unknown system attribute", send(sqs.SendMessageInput{MessageSystemAttributes: map[string]types.MessageSystemAttributeValue{"Other": {DataType: s("String"), StringValue: s("v")}}}), "InvalidParameterValue"},
		{"DelaySeconds too big", send(sqs.SendMessageInput{DelaySeconds: 901}), "InvalidParameterValue"},
		{"empty batch", batch([]types.SendMessageBatchRequestEntry{}), "AWS.SimpleQueueService.EmptyBatchRequest"},
		{"too many entries", batch(entries(11, "x")), "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"},
		{"ids not distinct", batch(append(entries(2, "x"), entries(1, "y")...)), "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"},
		{"invalid id", batch([]types.SendMessageBatchRequestEntry{{Id: s("bad id"), MessageBody: s("x")}}), "AWS.SimpleQueueService.InvalidBatchEntryId"},
		{"batch too long", batch(entries(10, strings.Repeat("x", 110000))), "AWS.SimpleQueueService.BatchRequestTooLong"},
		{"MaxNumberOfMessages too big", receive(sqs.ReceiveMessageInput{MaxNumberOfMessages: 11}), "InvalidParameterValue"},
		{"WaitTimeSeconds too big", receive(sqs.ReceiveMessageInput{WaitTimeSeconds: 21}), "InvalidParameterValue"},
		{"VisibilityTimeout too big", receive(sqs.ReceiveMessageInput{VisibilityTimeout: 43201}), "InvalidParameterValue"},
		{"unknown system attribute name", receive(sqs.ReceiveMessageInput{MessageSystemAttributeNames: []types.MessageSystemAttributeName{"Colour"}}), "InvalidAttributeName"},
		{"too many delete entries", func() error {
			var e []types.DeleteMessageBatchRequestEntry
			for i := 0; i < 11; i++ {
				e = append(e, types.DeleteMessageBatchRequestEntry{Id: s(strconv.Itoa(i)), ReceiptHandle: s("h")})
			}
			_, err := f.c.DeleteMessageBatch(f.ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: e})
			return err
		}, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"},
		{"duplicate visibility entries", func() error {
			e := []types.ChangeMessageVisibilityBatchRequestEntry{{Id: s("a"), ReceiptHandle: s("h")}, {Id: s("a"), ReceiptHandle: s("h")}}
			_, err := f.c.ChangeMessageVisibilityBatch(f.ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: &url, Entries: e})
			return err
		}, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"},
		{"malformed receipt handle", func() error {
			_, err := f.c.ChangeMessageVisibility(f.ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: s("AQEB"), VisibilityTimeout: 5})
			return err
		}, "ReceiptHandleIsInvalid"},
		{"unknown queue", func() error {
			_, err := f.c.SendMessage(f.ctx, &sqs.SendMessageInput{QueueUrl: s(f.srv.URL() + "/123456789012/missing"), MessageBody: s("x")})
			return err
		}, "AWS.SimpleQueueService.NonExistentQueue"},
	}
	for _, c := range cases {
		wantCodeNamed(t, c.name, c.call(), c.code)
	}
	after, err := f.c.GetQueueAttributes(f.ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{"All"}})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range before.Attributes {
		if after.Attributes[k] != v {
			t.Fatalf("bad input changed %s: %q -> %q", k, v, after.Attributes[k])
		}
	}
	if _, err := f.c.GetQueueUrl(f.ctx, &sqs.GetQueueUrlInput{QueueName: s("new")}); err == nil {
		t.Fatalf("a rejected CreateQueue created the queue")
	}

	// Per-entry failures: the valid entries are sent, the invalid ones listed in Failed.
	res, err := f.c.SendMessageBatch(f.ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: []types.SendMessageBatchRequestEntry{
		{Id: s("ok"), MessageBody: s("fine")},
		{Id: s("bad"), MessageBody: s("bad \x00")},
		{Id: s("ok2"), MessageBody: s("fine too"), MessageAttributes: map[string]types.MessageAttributeValue{"k": str("v")}},
	}})
	if err != nil || len(res.Successful) != 2 || len(res.Failed) != 1 || *res.Failed[0].Id != "bad" || *res.Failed[0].Code != "InvalidMessageContents" || !res.Failed[0].SenderFault {
		t.Fatalf("mixed batch = %+v, %v", res, err)
	}
	if n := f.count(url, "ApproximateNumberOfMessages"); n != 3 {
		t.Fatalf("messages = %d, want 3", n)
	}
}

func wantCodeNamed(t *testing.T, name string, err error, code string) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		wantCode(t, err, code)
	})
}
