package sqs_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/ceap/ceap/internal/ceaptest"
	"github.com/ceap/ceap/internal/clock"
)

func TestFIFO(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	f := setup(t, ceaptest.WithClock(clk))
	url := f.create("jobs.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	attrs, err := f.c.GetQueueAttributes(f.ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{"All"}})
	if err != nil || attrs.Attributes["FifoQueue"] != "true" || attrs.Attributes["ContentBasedDeduplication"] != "true" ||
		attrs.Attributes["DeduplicationScope"] != "queue" || attrs.Attributes["FifoThroughputLimit"] != "perQueue" {
		t.Fatalf("fifo attributes = %v, %v", attrs, err)
	}
	var seqs []string
	for i, g := range []string{"a", "b", "a", "b", "a"} {
		out, err := f.c.SendMessage(f.ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String(g + strconv.Itoa(i)), MessageGroupId: aws.String(g)})
		if err != nil {
			t.Fatal(err)
		}
		if out.SequenceNumber == nil || len(*out.SequenceNumber) != 20 || (len(seqs) > 0 && *out.SequenceNumber <= seqs[len(seqs)-1]) {
			t.Fatalf("sequence number %v after %v", out.SequenceNumber, seqs)
		}
		seqs = append(seqs, *out.SequenceNumber)
	}
	// Content-based deduplication: the same body within 5 minutes is accepted but not queued.
	dup, err := f.c.SendMessage(f.ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("a0"), MessageGroupId: aws.String("a")})
	if err != nil || *dup.SequenceNumber != seqs[0] {
		t.Fatalf("duplicate send = %+v, %v", dup, err)
	}
	if n := f.count(url, "ApproximateNumberOfMessages"); n != 5 {
		t.Fatalf("messages = %d, want 5", n)
	}
	// Explicit deduplication ids win over content.
	for _, id := range []string{"x", "x", "y"} {
		if _, err := f.c.SendMessage(f.ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("c"), MessageGroupId: aws.String("c"), MessageDeduplicationId: aws.String(id)}); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.count(url, "ApproximateNumberOfMessages"); n != 7 {
		t.Fatalf("messages = %d, want 7", n)
	}

	first := f.receive(url, 2, 30)
	if len(first) != 2 || *first[0].Body != "a0" || *first[1].Body != "b1" || first[0].Attributes["MessageGroupId"] != "a" ||
		first[0].Attributes["SequenceNumber"] != seqs[0] || first[0].Attributes["MessageDeduplicationId"] == "" {
		t.Fatalf("first receive = %v", bodies(first))
	}
	// Groups a and b are in flight: only group c is available.
	second := f.receive(url, 10, 30)
	if len(second) != 2 || *second[0].Body != "c" || *second[1].Body != "c" {
		t.Fatalf("second receive = %v", bodies(second))
	}
	if _, err := f.c.DeleteMessage(f.ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: first[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	third := f.receive(url, 10, 30)
	if len(third) != 2 || *third[0].Body != "a2" || *third[1].Body != "a4" {
		t.Fatalf("third receive = %v", bodies(third))
	}
	// After the visibility timeout group b comes back in order, first in sequence.
	clk.Advance(31 * time.Second)
	fourth := f.receive(url, 1, 30)
	if len(fourth) != 1 || *fourth[0].Body != "b1" || fourth[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("fourth receive = %v", bodies(fourth))
	}
	// Past the 5-minute window the same content is queued again.
	clk.Advance(5 * time.Minute)
	if _, err := f.c.SendMessage(f.ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("a0"), MessageGroupId: aws.String("z")}); err != nil {
		t.Fatal(err)
	}
	if n := f.count(url, "ApproximateNumberOfMessages"); n != 7 {
		t.Fatalf("messages after the window = %d, want 7", n)
	}

	// FIFO-only rules.
	_, err = f.c.SendMessage(f.ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x")})
	wantCode(t, err, "MissingParameter")
	_, err = f.c.SendMessage(f.ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x"), MessageGroupId: aws.String("g"), DelaySeconds: 5})
	wantCode(t, err, "InvalidParameterValue")
	plain := f.create("plain.fifo", map[string]string{"FifoQueue": "true"})
	_, err = f.c.SendMessage(f.ctx, &sqs.SendMessageInput{QueueUrl: &plain, MessageBody: aws.String("x"), MessageGroupId: aws.String("g")})
	wantCode(t, err, "InvalidParameterValue")
	_, err = f.c.CreateQueue(f.ctx, &sqs.CreateQueueInput{QueueName: aws.String("nofifo"), Attributes: map[string]string{"FifoQueue": "true"}})
	wantCode(t, err, "InvalidParameterValue")
	_, err = f.c.CreateQueue(f.ctx, &sqs.CreateQueueInput{QueueName: aws.String("std.fifo")})
	wantCode(t, err, "InvalidParameterValue")
	std := f.create("std", nil)
	_, err = f.c.SendMessage(f.ctx, &sqs.SendMessageInput{QueueUrl: &std, MessageBody: aws.String("x"), MessageDeduplicationId: aws.String("d")})
	wantCode(t, err, "InvalidParameterValue")
	_, err = f.c.CreateQueue(f.ctx, &sqs.CreateQueueInput{QueueName: aws.String("std2"), Attributes: map[string]string{"ContentBasedDeduplication": "true"}})
	wantCode(t, err, "InvalidAttributeName")
	_, err = f.c.SetQueueAttributes(f.ctx, &sqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{"FifoQueue": "false"}})
	wantCode(t, err, "InvalidAttributeName")
	// A FIFO queue's dead-letter queue must be FIFO.
	_, err = f.c.SetQueueAttributes(f.ctx, &sqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{
		"RedrivePolicy": `{"deadLetterTargetArn":"` + f.arn(std) + `","maxReceiveCount":2}`}})
	wantCode(t, err, "InvalidParameterValue")
}

func TestFIFODedupByGroup(t *testing.T) {
	f := setup(t)
	url := f.create("g.fifo", map[string]string{"FifoQueue": "true", "DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"})
	for _, g := range []string{"a", "b", "a"} {
		if _, err := f.c.SendMessage(f.ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x"), MessageGroupId: aws.String(g), MessageDeduplicationId: aws.String("same")}); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.count(url, "ApproximateNumberOfMessages"); n != 2 {
		t.Fatalf("messages = %d, want 2 (one per group)", n)
	}
}

func bodies(ms []types.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, *m.Body)
	}
	return out
}
