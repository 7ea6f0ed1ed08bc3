package protocol

import (
	"net/url"
	"strings"
	"testing"
)

type sendInput struct {
	QueueUrl          string
	MessageBody       string
	DelaySeconds      *int
	MessageAttributes map[string]struct {
		DataType    string
		StringValue string
	}
}

func TestDecodeQueryFlattenedMapsAndLists(t *testing.T) {
	t.Parallel()
	form, _ := url.ParseQuery("Action=SendMessage&Version=2012-11-05&QueueUrl=http%3A%2F%2Fx%2F1%2Fq&MessageBody=hi&DelaySeconds=5" +
		"&MessageAttribute.1.Name=color&MessageAttribute.1.Value.DataType=String&MessageAttribute.1.Value.StringValue=red")
	r := &Request{Service: SQS, Operation: "SendMessage", Protocol: KindQuery, Form: form}
	var in sendInput
	if err := r.Decode(&in); err != nil {
		t.Fatal(err)
	}
	if in.QueueUrl != "http://x/1/q" || in.MessageBody != "hi" || in.DelaySeconds == nil || *in.DelaySeconds != 5 {
		t.Fatalf("decoded %+v", in)
	}
	if a := in.MessageAttributes["color"]; a.DataType != "String" || a.StringValue != "red" {
		t.Fatalf("attributes %+v", in.MessageAttributes)
	}

	form, _ = url.ParseQuery("Action=ReceiveMessage&QueueUrl=q&AttributeName.1=All&AttributeName.2=SentTimestamp&MaxNumberOfMessages=10")
	r = &Request{Service: SQS, Operation: "ReceiveMessage", Protocol: KindQuery, Form: form}
	var rin struct {
		AttributeNames      []string
		MaxNumberOfMessages int
	}
	if err := r.Decode(&rin); err != nil {
		t.Fatal(err)
	}
	if len(rin.AttributeNames) != 2 || rin.AttributeNames[1] != "SentTimestamp" || rin.MaxNumberOfMessages != 10 {
		t.Fatalf("decoded %+v", rin)
	}

	form, _ = url.ParseQuery("Action=ReceiveMessage&QueueUrl=q&MaxNumberOfMessages=ten")
	r = &Request{Service: SQS, Operation: "ReceiveMessage", Protocol: KindQuery, Form: form}
	if err := r.Decode(&rin); err == nil || !strings.Contains(err.Error(), "InvalidParameterValue") {
		t.Fatalf("bad integer: err = %v", err)
	}
}

func TestEncodeQueryResponse(t *testing.T) {
	t.Parallel()
	m, err := queryModel(&Request{Service: SQS})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{"Messages": []any{map[string]any{"MessageId": "m1", "Body": "a<b", "Attributes": map[string]any{"SentTimestamp": "1"}}}}
	b, err := encodeQueryResponse(m, "ReceiveMessage", "rid", out)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{"<ReceiveMessageResponse", "<ReceiveMessageResult><Message><Attribute><Name>SentTimestamp</Name><Value>1</Value></Attribute>", "<Body>a&lt;b</Body>", "<RequestId>rid</RequestId>"} {
		if !strings.Contains(s, want) {
			t.Errorf("response lacks %q:\n%s", want, s)
		}
	}
}
