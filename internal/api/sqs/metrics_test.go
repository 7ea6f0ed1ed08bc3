package sqs_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/ceap/ceap/internal/ceaptest"
)

// TestMetricsEndpoint checks that SQS calls show as AWS/SQS metrics with the QueueName dimension
// in the Prometheus text at /metrics, and that the service reports itself healthy.
func TestMetricsEndpoint(t *testing.T) {
	f := setup(t)
	url := f.create("measured", nil)
	f.send(url, "12345")
	f.send(url, "1234567")
	msgs := f.receive(url, 10, 30)
	for _, m := range msgs {
		if _, err := f.c.DeleteMessage(f.ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.c.ReceiveMessage(f.ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)}); err != nil {
		t.Fatal(err)
	}
	get := func(path string) string {
		resp, err := http.Get(f.srv.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	text := get("/metrics")
	labels := `{account="` + ceaptest.Account + `",queue_name="measured"}`
	for _, want := range []string{
		"aws_sqs_number_of_messages_sent_total" + labels + " 2",
		"aws_sqs_number_of_messages_received_total" + labels + " 2",
		"aws_sqs_number_of_messages_deleted_total" + labels + " 2",
		"aws_sqs_number_of_empty_receives_total" + labels + " 1",
		"aws_sqs_sent_message_size" + labels + " 7",
	} {
		if !strings.Contains(text, want) {
			t.Fatalf("/metrics lacks %q:\n%s", want, text)
		}
	}
	if health := get("/_ceap/health"); !strings.Contains(health, `"sqs":"running"`) {
		t.Fatalf("health = %s", health)
	}
}
