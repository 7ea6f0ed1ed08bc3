package sqs_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ceap/ceap/internal/ceaptest"
)

// TestQueryProtocol drives SQS with raw query-protocol form POSTs, as older clients send them,
// and checks the XML answers.
func TestQueryProtocol(t *testing.T) {
	t.Parallel()
	srv := ceaptest.StartServer(t)
	post := func(path string, form url.Values) (int, string) {
		t.Helper()
		form.Set("Version", "2012-11-05")
		resp, err := http.Post(srv.URL()+path, "application/x-www-form-urlencoded; charset=utf-8", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	want := func(body string, parts ...string) {
		t.Helper()
		for _, p := range parts {
			if !strings.Contains(body, p) {
				t.Fatalf("response lacks %q:\n%s", p, body)
			}
		}
	}
	qurl := srv.URL() + "/" + ceaptest.Account + "/legacy"
	code, body := post("/", url.Values{"Action": {"CreateQueue"}, "QueueName": {"legacy"},
		"Attribute.1.Name": {"VisibilityTimeout"}, "Attribute.1.Value": {"40"}, "Tag.1.Key": {"team"}, "Tag.1.Value": {"ops"}})
	if code != 200 {
		t.Fatalf("CreateQueue: %d %s", code, body)
	}
	want(body, "<CreateQueueResponse", "<CreateQueueResult><QueueUrl>"+qurl+"</QueueUrl></CreateQueueResult>", "<RequestId>")

	code, body = post("/", url.Values{"Action": {"GetQueueAttributes"}, "QueueUrl": {qurl}, "AttributeName.1": {"VisibilityTimeout"}})
	want(body, "<Attribute><Name>VisibilityTimeout</Name><Value>40</Value></Attribute>")

	// Posted to the queue's own URL, without QueueUrl.
	code, body = post("/"+ceaptest.Account+"/legacy", url.Values{"Action": {"SendMessage"}, "MessageBody": {"a<b & c"},
		"MessageAttribute.1.Name": {"color"}, "MessageAttribute.1.Value.DataType": {"String"}, "MessageAttribute.1.Value.StringValue": {"red"}})
	if code != 200 {
		t.Fatalf("SendMessage: %d %s", code, body)
	}
	want(body, "<SendMessageResult>", "<MD5OfMessageBody>", "<MD5OfMessageAttributes>", "<MessageId>")

	code, body = post("/", url.Values{"Action": {"SendMessageBatch"}, "QueueUrl": {qurl},
		"SendMessageBatchRequestEntry.1.Id": {"one"}, "SendMessageBatchRequestEntry.1.MessageBody": {"batched"},
		"SendMessageBatchRequestEntry.2.Id": {"two"}, "SendMessageBatchRequestEntry.2.MessageBody": {"bad \x01"}})
	want(body, "<SendMessageBatchResultEntry><Id>one</Id>", "<BatchResultErrorEntry><Code>InvalidMessageContents</Code><Id>two</Id>")

	code, body = post("/", url.Values{"Action": {"ReceiveMessage"}, "QueueUrl": {qurl}, "MaxNumberOfMessages": {"10"},
		"AttributeName.1": {"All"}, "MessageAttributeName.1": {"All"}})
	if code != 200 {
		t.Fatalf("ReceiveMessage: %d %s", code, body)
	}
	want(body, "<ReceiveMessageResult><Message>", "<Body>a&lt;b &amp; c</Body>", "<Attribute><Name>ApproximateReceiveCount</Name><Value>1</Value></Attribute>",
		"<MessageAttribute><Name>color</Name><Value><DataType>String</DataType><StringValue>red</StringValue></Value></MessageAttribute>", "<Body>batched</Body>", "<ReceiptHandle>")

	code, body = post("/", url.Values{"Action": {"GetQueueUrl"}, "QueueName": {"missing"}})
	if code != 400 {
		t.Fatalf("GetQueueUrl of a missing queue: %d", code)
	}
	want(body, "<ErrorResponse", "<Type>Sender</Type>", "<Code>AWS.SimpleQueueService.NonExistentQueue</Code>", "<RequestId>")

	code, body = post("/", url.Values{"Action": {"ListQueues"}})
	want(body, "<ListQueuesResult><QueueUrl>"+qurl+"</QueueUrl></ListQueuesResult>")

	code, body = post("/", url.Values{"Action": {"DeleteMessage"}, "QueueUrl": {qurl}, "ReceiptHandle": {"nonsense"}})
	if code != 404 {
		t.Fatalf("DeleteMessage with a bad handle: %d %s", code, body)
	}
	want(body, "<Code>ReceiptHandleIsInvalid</Code>")
}
