package events

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
	"github.com/ceap/ceap/internal/store"
	"github.com/ceap/ceap/internal/store/storetest"
)

const (
	acct  = "123456789012"
	topic = "arn:aws:sns:us-east-1:123456789012:ceap-ops-alerts"
	queue = "arn:aws:sqs:us-east-1:123456789012:q"
	fn    = "arn:aws:lambda:us-east-1:123456789012:function:f"
	sm    = "arn:aws:states:us-east-1:123456789012:stateMachine:m"
)

type call struct{ kind, arn, input string }

type fakeTargets struct {
	mu    sync.Mutex
	calls []call
	fail  int
}

func (f *fakeTargets) add(kind, arn, input string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call{kind, arn, input})
	if f.fail > 0 {
		f.fail--
		return errors.New("unavailable")
	}
	return nil
}

func (f *fakeTargets) Publish(ctx context.Context, account, arn, msg string) error {
	return f.add("sns", arn, msg)
}
func (f *fakeTargets) Send(ctx context.Context, account, arn, body, group string, attrs map[string]string) error {
	if attrs != nil {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.calls = append(f.calls, call{"dlq", arn, body + " " + attrs["EXHAUSTED_RETRY_CONDITION"] + " " + attrs["RULE_ARN"]})
		return nil
	}
	return f.add("sqs", arn, body)
}
func (f *fakeTargets) InvokeAsync(ctx context.Context, account, arn string, p []byte) error {
	return f.add("lambda", arn, string(p))
}
func (f *fakeTargets) Start(ctx context.Context, account, arn, input string) error {
	return f.add("states", arn, input)
}

func (f *fakeTargets) got() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

func setup(t *testing.T) (*Service, *fakeTargets) {
	t.Helper()
	f := &fakeTargets{}
	return newService(storetest.OpenSQLite(t), f), f
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func newService(st store.EventStore, f *fakeTargets) *Service {
	return New(Config{Store: st, Topics: f, Queues: f, Functions: f, StateMachines: f, RetryDelay: time.Millisecond, Log: quiet})
}

// drain performs the deliveries that are due until none is left.
func drain(t *testing.T, svc *Service) {
	t.Helper()
	for {
		n, err := svc.RunDue(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

func code(err error) string {
	var ae *awserr.Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

const failurePattern = `{"source":["aws.states"],"detail-type":["Step Functions Execution Status Change"],"detail":{"status":["FAILED","TIMED_OUT","ABORTED"]}}`

func failed(status string) ExecutionStatusChange {
	errName, cause := "InjectedFailure", "stage failed"
	stop := int64(1704067260000)
	return ExecutionStatusChange{ExecutionARN: "arn:aws:states:us-east-1:123456789012:execution:m:e1", StateMachineARN: sm, Name: "e1", Status: status,
		StartDate: 1704067200000, StopDate: &stop, Input: `{"a":1}`, Error: &errName, Cause: &cause, RedriveStatus: "REDRIVABLE"}
}

func TestFailureRuleNotifiesTopic(t *testing.T) {
	t.Parallel()
	svc, f := setup(t)
	ctx := context.Background()
	arn, err := svc.PutRule(ctx, acct, "us-east-1", PutRuleInput{Name: "ceap-workflow-batch-failure-rule", EventPattern: failurePattern})
	if err != nil || arn != "arn:aws:events:us-east-1:123456789012:rule/ceap-workflow-batch-failure-rule" {
		t.Fatalf("PutRule = %s, %v", arn, err)
	}
	if _, err := svc.PutTargets(ctx, acct, "", "ceap-workflow-batch-failure-rule", []Target{{Id: "ops", Arn: topic}}); err != nil {
		t.Fatal(err)
	}
	for _, status := range []string{"RUNNING", "SUCCEEDED", "FAILED"} {
		c := failed(status)
		if err := svc.Emit(ctx, acct, "us-east-1", c.Event(time.UnixMilli(1704067260000))); err != nil {
			t.Fatal(err)
		}
	}
	drain(t, svc)
	calls := f.got()
	if len(calls) != 1 || calls[0].kind != "sns" || calls[0].arn != topic {
		t.Fatalf("deliveries = %+v, want one to the topic", calls)
	}
	var ev map[string]any
	if err := json.Unmarshal([]byte(calls[0].input), &ev); err != nil {
		t.Fatal(err)
	}
	d, _ := ev["detail"].(map[string]any)
	if ev["source"] != "aws.states" || ev["detail-type"] != "Step Functions Execution Status Change" || ev["account"] != acct || ev["region"] != "us-east-1" ||
		ev["time"] != "2024-01-01T00:01:00Z" || ev["version"] != "0" || ev["id"] == "" {
		t.Fatalf("event = %v", ev)
	}
	if d["status"] != "FAILED" || d["error"] != "InjectedFailure" || d["startDate"] != float64(1704067200000) || d["output"] != nil ||
		d["executionArn"] != "arn:aws:states:us-east-1:123456789012:execution:m:e1" {
		t.Fatalf("detail = %v", d)
	}
	if _, ok := d["output"]; !ok {
		t.Fatal("detail lacks output (AWS sends null)")
	}
	res, _ := ev["resources"].([]any)
	if len(res) != 1 || res[0] != d["executionArn"] {
		t.Fatalf("resources = %v", res)
	}
}

func TestTargetsInputsAndDisabledRules(t *testing.T) {
	t.Parallel()
	svc, f := setup(t)
	ctx := context.Background()
	if _, err := svc.PutRule(ctx, acct, "us-east-1", PutRuleInput{Name: "orders", EventPattern: `{"source":["shop"],"detail":{"total":[{"numeric":[">",100]}]}}`}); err != nil {
		t.Fatal(err)
	}
	_, err := svc.PutTargets(ctx, acct, "default", "orders", []Target{
		{Id: "q", Arn: queue, InputPath: "$.detail"},
		{Id: "f", Arn: fn, Input: `{"fixed":true}`},
		{Id: "s", Arn: sm, InputTransformer: &InputTransformer{InputPathsMap: map[string]string{"id": "$.detail.id", "total": "$.detail.total"}, InputTemplate: `{"order": <id>, "total": <total>, "rule": "<aws.events.rule-name>"}`}},
		{Id: "t", Arn: topic, InputTransformer: &InputTransformer{InputPathsMap: map[string]string{"id": "$.detail.id"}, InputTemplate: `"Order <id> is big"`}},
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.PutEvents(ctx, acct, "us-east-1", []Entry{
		{Source: "shop", DetailType: "Order", Detail: `{"id":"o-1","total":150}`},
		{Source: "shop", DetailType: "Order", Detail: `{"id":"o-2","total":50}`},
		{Source: "", DetailType: "Order", Detail: `{}`},
		{Source: "shop", DetailType: "Order", Detail: `[1]`},
		{Source: "aws.states", DetailType: "x", Detail: `{}`},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].EventID == "" || res[1].EventID == "" || res[2].ErrorCode != "InvalidArgument" || res[3].ErrorCode != "MalformedDetail" || res[4].ErrorCode != "NotAuthorizedForSourceException" {
		t.Fatalf("results = %+v", res)
	}
	drain(t, svc)
	got := map[string]string{}
	for _, c := range f.got() {
		got[c.kind] = c.input
	}
	if len(f.got()) != 4 {
		t.Fatalf("deliveries = %+v, want 4 (one event matched)", f.got())
	}
	if got["sqs"] != `{"id":"o-1","total":150}` || got["lambda"] != `{"fixed":true}` ||
		got["states"] != `{"order": "o-1", "total": 150, "rule": "orders"}` || got["sns"] != `"Order o-1 is big"` {
		t.Fatalf("inputs = %v", got)
	}

	if err := svc.SetRuleState(ctx, acct, "", "orders", false); err != nil {
		t.Fatal(err)
	}
	svc.PutEvents(ctx, acct, "us-east-1", []Entry{{Source: "shop", DetailType: "Order", Detail: `{"id":"o-3","total":500}`}})
	drain(t, svc)
	if n := len(f.got()); n != 4 {
		t.Fatalf("a disabled rule delivered (%d deliveries)", n)
	}
	r, _ := svc.DescribeRule(ctx, acct, "", "orders")
	if r.State != "DISABLED" {
		t.Fatalf("state = %s", r.State)
	}
}

func TestDeliveryRetries(t *testing.T) {
	t.Parallel()
	svc, f := setup(t)
	ctx := context.Background()
	f.fail = 2
	svc.PutRule(ctx, acct, "us-east-1", PutRuleInput{Name: "r", EventPattern: `{"source":["x"]}`})
	svc.PutTargets(ctx, acct, "", "r", []Target{{Id: "q", Arn: queue}})
	svc.PutEvents(ctx, acct, "us-east-1", []Entry{{Source: "x", DetailType: "d", Detail: `{}`}})
	deadline := time.Now().Add(5 * time.Second)
	for len(f.got()) < 3 && time.Now().Before(deadline) {
		drain(t, svc)
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	drain(t, svc)
	if n := len(f.got()); n != 3 {
		t.Fatalf("attempts = %d, want 3 (two failures, then success)", n)
	}
}

func TestRetryPolicyGivesUp(t *testing.T) {
	t.Parallel()
	svc, f := setup(t)
	ctx := context.Background()
	f.fail = 100
	svc.PutRule(ctx, acct, "us-east-1", PutRuleInput{Name: "r", EventPattern: `{"source":["x"]}`})
	svc.PutTargets(ctx, acct, "", "r", []Target{{Id: "q", Arn: queue, RetryPolicy: json.RawMessage(`{"MaximumRetryAttempts":1}`)}})
	svc.PutEvents(ctx, acct, "us-east-1", []Entry{{Source: "x", DetailType: "d", Detail: `{}`}})
	for i := 0; i < 20; i++ {
		drain(t, svc)
		time.Sleep(2 * time.Millisecond)
	}
	if n := len(f.got()); n != 2 {
		t.Fatalf("attempts = %d, want 2 (the first and one retry)", n)
	}
}

func TestDeadLetterQueue(t *testing.T) {
	t.Parallel()
	svc, f := setup(t)
	ctx := context.Background()
	f.fail = 100
	dlq := "arn:aws:sqs:us-east-1:123456789012:dlq"
	svc.PutRule(ctx, acct, "us-east-1", PutRuleInput{Name: "r", EventPattern: `{"source":["x"]}`})
	if _, err := svc.PutTargets(ctx, acct, "", "r", []Target{{Id: "f", Arn: fn, RetryPolicy: json.RawMessage(`{"MaximumRetryAttempts":0}`), DeadLetterConfig: &DeadLetterConfig{Arn: dlq}}}); err != nil {
		t.Fatal(err)
	}
	svc.PutEvents(ctx, acct, "us-east-1", []Entry{{Source: "x", DetailType: "d", Detail: `{"k":"v"}`}})
	drain(t, svc)
	calls := f.got()
	if len(calls) != 2 || calls[1].kind != "dlq" || calls[1].arn != dlq || !strings.Contains(calls[1].input, `"k":"v"`) ||
		!strings.Contains(calls[1].input, "MaximumRetryAttempts arn:aws:events:us-east-1:123456789012:rule/r") {
		t.Fatalf("calls = %+v, want one attempt then the DLQ", calls)
	}
	_, err := svc.PutTargets(ctx, acct, "", "r", []Target{{Id: "g", Arn: fn, DeadLetterConfig: &DeadLetterConfig{Arn: topic}}})
	if code(err) != "ValidationException" {
		t.Fatalf("a topic as DLQ: %v", err)
	}
}

// TestDeliveriesSurviveRestart: an event matched by one service instance is delivered by the
// next one on the same store (the outbox is durable).
func TestDeliveriesSurviveRestart(t *testing.T) {
	t.Parallel()
	st := storetest.OpenSQLite(t)
	ctx := context.Background()
	first := newService(st, &fakeTargets{})
	first.PutRule(ctx, acct, "us-east-1", PutRuleInput{Name: "r", EventPattern: `{"source":["x"]}`})
	first.PutTargets(ctx, acct, "", "r", []Target{{Id: "q", Arn: queue}})
	if _, err := first.PutEvents(ctx, acct, "us-east-1", []Entry{{Source: "x", DetailType: "d", Detail: `{"n":1}`}}); err != nil {
		t.Fatal(err)
	}
	f := &fakeTargets{}
	second := newService(st, f)
	if err := second.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer second.Stop(ctx)
	deadline := time.Now().Add(5 * time.Second)
	for len(f.got()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the restarted service did not deliver the pending event")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if c := f.got()[0]; c.kind != "sqs" || !strings.Contains(c.input, `"n":1`) {
		t.Fatalf("delivered %+v", c)
	}
}

func TestRuleAPIAndErrors(t *testing.T) {
	t.Parallel()
	svc, _ := setup(t)
	ctx := context.Background()
	for _, n := range []string{"b", "a", "c"} {
		if _, err := svc.PutRule(ctx, acct, "us-east-1", PutRuleInput{Name: n, EventPattern: `{"source":["x"]}`}); err != nil {
			t.Fatal(err)
		}
	}
	page, next, err := svc.ListRules(ctx, acct, "", "", "", 2)
	if err != nil || len(page) != 2 || page[0].Name != "a" || next == "" {
		t.Fatalf("page 1 = %v, %q, %v", page, next, err)
	}
	page, next, _ = svc.ListRules(ctx, acct, "", "", next, 2)
	if len(page) != 1 || page[0].Name != "c" || next != "" {
		t.Fatalf("page 2 = %v, %q", page, next)
	}
	svc.PutTargets(ctx, acct, "", "a", []Target{{Id: "q", Arn: queue}})
	for name, c := range map[string]struct {
		err  error
		code string
	}{
		"bad pattern": {func() error {
			_, err := svc.PutRule(ctx, acct, "r", PutRuleInput{Name: "x", EventPattern: `{"a":"b"}`})
			return err
		}(), "InvalidEventPatternException"},
		"no pattern": {func() error { _, err := svc.PutRule(ctx, acct, "r", PutRuleInput{Name: "x"}); return err }(), "ValidationException"},
		"bad schedule": {func() error {
			_, err := svc.PutRule(ctx, acct, "r", PutRuleInput{Name: "x", ScheduleExpression: "rate(5 fortnights)"})
			return err
		}(), "ValidationException"},
		"bad name": {func() error {
			_, err := svc.PutRule(ctx, acct, "r", PutRuleInput{Name: "a b", EventPattern: `{"a":["b"]}`})
			return err
		}(), "ValidationException"},
		"other bus": {func() error {
			_, err := svc.PutRule(ctx, acct, "r", PutRuleInput{Name: "x", EventPattern: `{"a":["b"]}`, EventBusName: "custom"})
			return err
		}(), "ResourceNotFoundException"},
		"describe none": {func() error { _, err := svc.DescribeRule(ctx, acct, "", "none"); return err }(), "ResourceNotFoundException"},
		"enable none":   {svc.SetRuleState(ctx, acct, "", "none", true), "ResourceNotFoundException"},
		"targets of none": {func() error {
			_, err := svc.PutTargets(ctx, acct, "", "none", []Target{{Id: "q", Arn: queue}})
			return err
		}(), "ResourceNotFoundException"},
		"delete with targets": {svc.DeleteRule(ctx, acct, "", "a"), "ValidationException"},
		"two inputs": {func() error {
			_, err := svc.PutTargets(ctx, acct, "", "b", []Target{{Id: "q", Arn: queue, Input: `{}`, InputPath: "$.detail"}})
			return err
		}(), "ValidationException"},
		"bad input": {func() error {
			_, err := svc.PutTargets(ctx, acct, "", "b", []Target{{Id: "q", Arn: queue, Input: `{`}})
			return err
		}(), "ValidationException"},
		"unsupported target": {func() error {
			_, err := svc.PutTargets(ctx, acct, "", "b", []Target{{Id: "k", Arn: "arn:aws:kinesis:us-east-1:1:stream/s"}})
			return err
		}(), "ValidationException"},
		"too many targets": {func() error {
			var ts []Target
			for _, id := range []string{"1", "2", "3", "4", "5", "6"} {
				ts = append(ts, Target{Id: id, Arn: queue})
			}
			_, err := svc.PutTargets(ctx, acct, "", "b", ts)
			return err
		}(), "LimitExceededException"},
		"eleven events": {func() error {
			_, err := svc.PutEvents(ctx, acct, "r", make([]Entry, 11))
			return err
		}(), "ValidationException"},
		"too big": {func() error {
			_, err := svc.PutEvents(ctx, acct, "r", []Entry{{Source: "s", DetailType: "d", Detail: `{"a":"` + strings.Repeat("x", MaxPutEventsBytes) + `"}`}})
			return err
		}(), "ValidationException"},
	} {
		if got := code(c.err); got != c.code {
			t.Errorf("%s: %v, want %s", name, c.err, c.code)
		}
	}
	ts, err := svc.ListTargets(ctx, acct, "", "a")
	if err != nil || len(ts) != 1 || ts[0].Arn != queue {
		t.Fatalf("targets = %v, %v", ts, err)
	}
	if _, err := svc.RemoveTargets(ctx, acct, "", "a", []string{"q"}); err != nil {
		t.Fatal(err)
	}
	if err := svc.DeleteRule(ctx, acct, "", "a"); err != nil {
		t.Fatal(err)
	}
	if err := svc.DeleteRule(ctx, acct, "", "a"); err != nil {
		t.Fatalf("deleting a missing rule: %v", err)
	}
	rule := RuleARN("us-east-1", acct, "b")
	if err := svc.Tag(ctx, acct, rule, map[string]string{"k": "v"}, nil); err != nil {
		t.Fatal(err)
	}
	if tags, err := svc.Tags(ctx, acct, rule); err != nil || tags["k"] != "v" {
		t.Fatalf("tags = %v, %v", tags, err)
	}
}
