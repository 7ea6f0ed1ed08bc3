package topics

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/metrics"
	"github.com/ceap/ceap/internal/store/storetest"
)

const acct = "123456789012"

type sent struct {
	target, body string
	attrs        map[string]Attribute
	headers      map[string]string
}

type fakes struct {
	mu    sync.Mutex
	out   []sent
	posts chan sent
	fail  int // http attempts to fail before succeeding
}

func (f *fakes) Send(ctx context.Context, account, arn, body string, attrs map[string]Attribute) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.out = append(f.out, sent{target: arn, body: body, attrs: attrs})
	return nil
}

func (f *fakes) InvokeAsync(ctx context.Context, account, arn string, payload []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.out = append(f.out, sent{target: arn, body: string(payload)})
	return nil
}

func (f *fakes) Post(ctx context.Context, url string, headers map[string]string, body []byte) (int, error) {
	f.mu.Lock()
	failing := f.fail > 0
	if failing {
		f.fail--
	}
	f.mu.Unlock()
	f.posts <- sent{target: url, body: string(body), headers: headers}
	if failing {
		return 500, nil
	}
	return 200, nil
}

func (f *fakes) sent() []sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sent(nil), f.out...)
}

type fakeMetrics struct {
	mu  sync.Mutex
	sum map[string]float64
}

func (m *fakeMetrics) Record(account, namespace, name string, dims []metrics.Dimension, value float64, unit string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sum == nil {
		m.sum = map[string]float64{}
	}
	m.sum[namespace+"/"+name+"/"+dims[0].Value] += value
}

func (m *fakeMetrics) get(name string) float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sum[name]
}

func setup(t *testing.T) (*Service, *fakes) {
	t.Helper()
	svc, f, _ := setupWithMetrics(t)
	return svc, f
}

func setupWithMetrics(t *testing.T) (*Service, *fakes, *fakeMetrics) {
	t.Helper()
	f := &fakes{posts: make(chan sent, 10)}
	m := &fakeMetrics{}
	svc := New(Config{Store: storetest.OpenSQLite(t), Queues: f, Functions: f, HTTP: f, Metrics: m, Endpoint: "http://127.0.0.1:4566", RetryDelay: time.Millisecond,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	t.Cleanup(func() { svc.Stop(context.Background()) })
	return svc, f, m
}

func code(err error) string {
	var ae *awserr.Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

func TestPublishToQueuesEnvelopeRawAndFilter(t *testing.T) {
	t.Parallel()
	svc, f, m := setupWithMetrics(t)
	ctx := context.Background()
	topic, err := svc.CreateTopic(ctx, acct, "us-east-1", "ceap-ops-alerts", nil, nil)
	if err != nil || topic != "arn:aws:sns:us-east-1:123456789012:ceap-ops-alerts" {
		t.Fatalf("CreateTopic = %s, %v", topic, err)
	}
	if again, err := svc.CreateTopic(ctx, acct, "us-east-1", "ceap-ops-alerts", nil, nil); err != nil || again != topic {
		t.Fatalf("CreateTopic again = %s, %v", again, err)
	}
	envQ, rawQ, filtQ := "arn:aws:sqs:us-east-1:123456789012:env", "arn:aws:sqs:us-east-1:123456789012:raw", "arn:aws:sqs:us-east-1:123456789012:filt"
	for _, s := range []struct {
		q     string
		attrs map[string]string
	}{{envQ, nil}, {rawQ, map[string]string{"RawMessageDelivery": "true"}}, {filtQ, map[string]string{"FilterPolicy": `{"severity":["high"]}`}}} {
		arn, err := svc.Subscribe(ctx, acct, topic, "sqs", s.q, s.attrs, false)
		if err != nil || !strings.HasPrefix(arn, topic+":") {
			t.Fatalf("Subscribe %s = %s, %v", s.q, arn, err)
		}
	}
	id, err := svc.Publish(ctx, acct, PublishInput{TopicARN: topic, Message: "hello", Subject: "subj", MessageAttributes: map[string]Attribute{"severity": {DataType: "String", StringValue: "low"}}})
	if err != nil {
		t.Fatal(err)
	}
	out := f.sent()
	if len(out) != 2 {
		t.Fatalf("deliveries = %+v, want 2 (the filtered subscription gets nothing)", out)
	}
	for _, d := range out {
		switch d.target {
		case envQ:
			var env map[string]any
			if err := json.Unmarshal([]byte(d.body), &env); err != nil {
				t.Fatalf("envelope %s: %v", d.body, err)
			}
			ma, _ := env["MessageAttributes"].(map[string]any)
			sev, _ := ma["severity"].(map[string]any)
			if env["Type"] != "Notification" || env["MessageId"] != id || env["TopicArn"] != topic || env["Message"] != "hello" || env["Subject"] != "subj" || sev["Value"] != "low" || sev["Type"] != "String" {
				t.Fatalf("envelope = %v", env)
			}
		case rawQ:
			if d.body != "hello" || d.attrs["severity"].StringValue != "low" {
				t.Fatalf("raw delivery = %+v", d)
			}
		default:
			t.Fatalf("delivered to %s", d.target)
		}
	}
	svc.Publish(ctx, acct, PublishInput{TopicARN: topic, Message: "hi", MessageAttributes: map[string]Attribute{"severity": {DataType: "String", StringValue: "high"}}})
	if n := len(f.sent()); n != 5 {
		t.Fatalf("after a matching publish: %d deliveries, want 5", n)
	}
	for name, want := range map[string]float64{"NumberOfMessagesPublished": 2, "NumberOfNotificationsDelivered": 5, "NumberOfNotificationsFilteredOut": 1, "PublishSize": 7} {
		if got := m.get(Namespace + "/" + name + "/ceap-ops-alerts"); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
}

func TestHTTPConfirmationHandshake(t *testing.T) {
	t.Parallel()
	svc, f := setup(t)
	ctx := context.Background()
	topic, _ := svc.CreateTopic(ctx, acct, "us-east-1", "t", nil, nil)
	arn, err := svc.Subscribe(ctx, acct, topic, "http", "http://example.test/hook", nil, false)
	if err != nil || arn != "pending confirmation" {
		t.Fatalf("Subscribe http = %s, %v", arn, err)
	}
	conf := <-f.posts
	var msg map[string]string
	json.Unmarshal([]byte(conf.body), &msg)
	if conf.headers["x-amz-sns-message-type"] != "SubscriptionConfirmation" || msg["Type"] != "SubscriptionConfirmation" || msg["Token"] == "" ||
		!strings.Contains(msg["SubscribeURL"], "Action=ConfirmSubscription") || !strings.Contains(msg["SubscribeURL"], msg["Token"]) {
		t.Fatalf("confirmation = %+v %v", conf.headers, msg)
	}
	subs, _, _ := svc.ListSubscriptions(ctx, acct, topic, "")
	if len(subs) != 1 || ShownARN(subs[0]) != PendingConfirmation {
		t.Fatalf("pending subscription listed as %v", subs)
	}
	// Nothing is delivered to a pending subscription.
	svc.Publish(ctx, acct, PublishInput{TopicARN: topic, Message: "early"})
	if _, err := svc.ConfirmSubscription(ctx, acct, topic, "wrong"); code(err) != "InvalidParameterException" {
		t.Fatalf("confirm with a wrong token: %v", err)
	}
	confirmed, err := svc.ConfirmSubscription(ctx, acct, topic, msg["Token"])
	if err != nil || !strings.HasPrefix(confirmed, topic+":") {
		t.Fatalf("ConfirmSubscription = %s, %v", confirmed, err)
	}
	f.mu.Lock()
	f.fail = 1
	f.mu.Unlock()
	svc.Publish(ctx, acct, PublishInput{TopicARN: topic, Message: "late"})
	for i := 0; i < 2; i++ { // one failed attempt, then the retry
		p := <-f.posts
		var env map[string]string
		json.Unmarshal([]byte(p.body), &env)
		if env["Message"] != "late" || p.headers["x-amz-sns-subscription-arn"] != confirmed {
			t.Fatalf("attempt %d = %+v %v", i, p.headers, env)
		}
	}
}

func TestLambdaEvent(t *testing.T) {
	t.Parallel()
	svc, f := setup(t)
	ctx := context.Background()
	topic, _ := svc.CreateTopic(ctx, acct, "us-east-1", "t", nil, nil)
	fn := "arn:aws:lambda:us-east-1:123456789012:function:f"
	sub, err := svc.Subscribe(ctx, acct, topic, "lambda", fn, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	svc.Publish(ctx, acct, PublishInput{TopicARN: topic, Message: "m"})
	out := f.sent()
	if len(out) != 1 || out[0].target != fn {
		t.Fatalf("deliveries = %+v", out)
	}
	var ev struct {
		Records []struct {
			EventSource, EventSubscriptionArn string
			Sns                               map[string]any
		}
	}
	if err := json.Unmarshal([]byte(out[0].body), &ev); err != nil || len(ev.Records) != 1 {
		t.Fatalf("payload %s: %v", out[0].body, err)
	}
	r := ev.Records[0]
	if r.EventSource != "aws:sns" || r.EventSubscriptionArn != sub || r.Sns["Message"] != "m" || r.Sns["TopicArn"] != topic {
		t.Fatalf("record = %+v", r)
	}
}

func TestValidationAndNotFound(t *testing.T) {
	t.Parallel()
	svc, _ := setup(t)
	ctx := context.Background()
	topic, _ := svc.CreateTopic(ctx, acct, "us-east-1", "t", map[string]string{"DisplayName": "T"}, nil)
	missing := "arn:aws:sns:us-east-1:123456789012:missing"
	for name, c := range map[string]struct {
		err  error
		code string
	}{
		"bad topic name": {func() error { _, err := svc.CreateTopic(ctx, acct, "us-east-1", "a b", nil, nil); return err }(), "InvalidParameterException"},
		"unknown attribute": {func() error {
			_, err := svc.CreateTopic(ctx, acct, "us-east-1", "x", map[string]string{"Nope": "1"}, nil)
			return err
		}(), "InvalidParameterException"},
		"different attributes": {func() error {
			_, err := svc.CreateTopic(ctx, acct, "us-east-1", "t", map[string]string{"DisplayName": "U"}, nil)
			return err
		}(), "InvalidParameterException"},
		"publish missing": {func() error {
			_, err := svc.Publish(ctx, acct, PublishInput{TopicARN: missing, Message: "m"})
			return err
		}(), "NotFoundException"},
		"empty message": {func() error { _, err := svc.Publish(ctx, acct, PublishInput{TopicARN: topic}); return err }(), "InvalidParameterException"},
		"too long": {func() error {
			_, err := svc.Publish(ctx, acct, PublishInput{TopicARN: topic, Message: strings.Repeat("x", MaxMessageBytes+1)})
			return err
		}(), "InvalidParameterException"},
		"bad subject": {func() error {
			_, err := svc.Publish(ctx, acct, PublishInput{TopicARN: topic, Message: "m", Subject: "a\nb"})
			return err
		}(), "InvalidParameterException"},
		"bad attribute type": {func() error {
			_, err := svc.Publish(ctx, acct, PublishInput{TopicARN: topic, Message: "m", MessageAttributes: map[string]Attribute{"a": {DataType: "Int", StringValue: "1"}}})
			return err
		}(), "InvalidParameterValueException"},
		"json without default": {func() error {
			_, err := svc.Publish(ctx, acct, PublishInput{TopicARN: topic, Message: `{"sqs":"x"}`, MessageStructure: "json"})
			return err
		}(), "InvalidParameterException"},
		"subscribe missing": {func() error {
			_, err := svc.Subscribe(ctx, acct, missing, "sqs", "arn:aws:sqs:us-east-1:1:q", nil, false)
			return err
		}(), "NotFoundException"},
		"bad protocol": {func() error { _, err := svc.Subscribe(ctx, acct, topic, "carrier-pigeon", "x", nil, false); return err }(), "InvalidParameterException"},
		"bad filter policy": {func() error {
			_, err := svc.Subscribe(ctx, acct, topic, "sqs", "arn:aws:sqs:us-east-1:1:q", map[string]string{"FilterPolicy": "{"}, false)
			return err
		}(), "InvalidParameterException"},
		"raw to lambda": {func() error {
			_, err := svc.Subscribe(ctx, acct, topic, "lambda", "arn:aws:lambda:us-east-1:1:function:f", map[string]string{"RawMessageDelivery": "true"}, false)
			return err
		}(), "InvalidParameterException"},
		"unsubscribe missing": {svc.Unsubscribe(ctx, acct, topic+":00000000-0000-0000-0000-000000000000"), "NotFoundException"},
		"attributes missing":  {func() error { _, err := svc.GetTopicAttributes(ctx, acct, missing); return err }(), "NotFoundException"},
		"tags missing":        {func() error { _, err := svc.Tags(ctx, acct, missing); return err }(), "ResourceNotFoundException"},
	} {
		if got := code(c.err); got != c.code {
			t.Errorf("%s: %v, want %s", name, c.err, c.code)
		}
	}
	if err := svc.DeleteTopic(ctx, acct, missing); err != nil {
		t.Fatalf("deleting a missing topic: %v", err)
	}
	attrs, err := svc.GetTopicAttributes(ctx, acct, topic)
	if err != nil || attrs["DisplayName"] != "T" || attrs["TopicArn"] != topic || attrs["Owner"] != acct || attrs["SubscriptionsConfirmed"] != "0" {
		t.Fatalf("attributes = %v, %v", attrs, err)
	}
}

func TestFilterPolicies(t *testing.T) {
	t.Parallel()
	svc, f := setup(t)
	ctx := context.Background()
	topic, _ := svc.CreateTopic(ctx, acct, "us-east-1", "t", nil, nil)
	subs := map[string]map[string]string{
		"arn:aws:sqs:us-east-1:123456789012:attrs": {"FilterPolicy": `{"store":["example_corp"],"price_usd":[{"numeric":[">=",100]}],"tags":["urgent"]}`},
		"arn:aws:sqs:us-east-1:123456789012:body":  {"FilterPolicy": `{"order":{"status":[{"prefix":"FAIL"}]}}`, "FilterPolicyScope": "MessageBody"},
		"arn:aws:sqs:us-east-1:123456789012:none":  {"FilterPolicy": `{"store":[{"exists":false}]}`},
	}
	for q, attrs := range subs {
		if _, err := svc.Subscribe(ctx, acct, topic, "sqs", q, attrs, false); err != nil {
			t.Fatalf("subscribe %s: %v", q, err)
		}
	}
	publish := func(msg string, attrs map[string]Attribute) []string {
		before := len(f.sent())
		if _, err := svc.Publish(ctx, acct, PublishInput{TopicARN: topic, Message: msg, MessageAttributes: attrs}); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range f.sent()[before:] {
			got = append(got, s.target[strings.LastIndexByte(s.target, ':')+1:])
		}
		return got
	}
	if got := publish(`{"order":{"status":"FAILED"}}`, map[string]Attribute{
		"store":     {DataType: "String", StringValue: "example_corp"},
		"price_usd": {DataType: "Number", StringValue: "120.5"},
		"tags":      {DataType: "String.Array", StringValue: `["urgent","eu"]`},
	}); strings.Join(got, ",") != "attrs,body" && strings.Join(got, ",") != "body,attrs" {
		t.Fatalf("matching message went to %v, want attrs and body", got)
	}
	if got := publish(`{"order":{"status":"OK"}}`, map[string]Attribute{"price_usd": {DataType: "Number", StringValue: "99"}}); len(got) != 1 || got[0] != "none" {
		t.Fatalf("non-matching message went to %v, want only the exists:false subscription", got)
	}
	if got := publish(`not json`, map[string]Attribute{"store": {DataType: "String", StringValue: "other"}}); len(got) != 0 {
		t.Fatalf("message went to %v, want nowhere", got)
	}
}
