package alarms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/clock"
	"github.com/ceap/ceap/internal/metrics"
	"github.com/ceap/ceap/internal/store"
	"github.com/ceap/ceap/internal/store/storetest"
)

// published is one notification a fake topic received.
type published struct {
	account, arn, subject, message string
}

type fakeTopics struct {
	mu   sync.Mutex
	msgs []published
	fail error
}

func (f *fakeTopics) Publish(ctx context.Context, account, arn, subject, message string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	f.msgs = append(f.msgs, published{account, arn, subject, message})
	return nil
}

func (f *fakeTopics) all() []published {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]published(nil), f.msgs...)
}

type fixture struct {
	svc    *Service
	clk    *clock.Fake
	rec    *metrics.Recorder
	topics *fakeTopics
	st     store.Store
}

var start = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func setup(t testing.TB) *fixture {
	t.Helper()
	st := storetest.OpenSQLite(t)
	clk := clock.NewFake(start)
	rec := metrics.New(metrics.Config{Store: st, Clock: clk})
	topics := &fakeTopics{}
	svc := New(Config{Store: st, Clock: clk, Topics: topics, Recorder: rec, Owner: "node-1", Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return &fixture{svc: svc, clk: clk, rec: rec, topics: topics, st: st}
}

func ptr[T any](v T) *T { return &v }

func code(err error) string {
	var ae *awserr.Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

const topicARN = "arn:aws:sns:us-east-1:123456789:ops-alerts"

// failedExecutionsAlarm is the runbook's workflow-high-failure-rate alarm.
func failedExecutionsAlarm() PutAlarmInput {
	return PutAlarmInput{Alarm: Alarm{AlarmName: "workflow-high-failure-rate", AlarmDescription: "Alert when workflow failure rate exceeds 10%",
		MetricName: "ExecutionsFailed", Namespace: "AWS/States", Statistic: Sum, Period: 300, EvaluationPeriods: 1,
		ComparisonOperator: "GreaterThanThreshold", AlarmActions: []string{topicARN},
		Dimensions: []Dimension{{Name: "StateMachineArn", Value: "arn:aws:states:us-east-1:123456789:stateMachine:WorkflowName"}}},
		Threshold: ptr(5.0)}
}

func (f *fixture) alarm(t *testing.T, name string) AlarmView {
	t.Helper()
	views, _, err := f.svc.DescribeAlarms(context.Background(), "123456789", DescribeQuery{AlarmNames: []string{name}})
	if err != nil || len(views) != 1 {
		t.Fatalf("describe %s: %d alarms (err %v)", name, len(views), err)
	}
	return views[0]
}

// step advances the clock by d and evaluates the minute that ended.
func (f *fixture) step(t *testing.T, d time.Duration) EvaluationStats {
	t.Helper()
	f.clk.Advance(d)
	st, err := f.svc.Evaluate(context.Background())
	if err != nil {
		t.Fatalf("evaluate: %v", err)
	}
	return st
}

func TestFailedExecutionsFireTheAlarmAndNotify(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	in := failedExecutionsAlarm()
	if err := f.svc.PutMetricAlarm(ctx, "123456789", in); err != nil {
		t.Fatal(err)
	}
	if a := f.alarm(t, in.AlarmName); a.StateValue != StateInsufficientData || !a.ActionsEnabled {
		t.Fatalf("new alarm: state %s, actions enabled %v", a.StateValue, a.ActionsEnabled)
	}
	dims := in.Dimensions
	// Three failures in the first minute: Sum 3 is not > 5.
	for i := 0; i < 3; i++ {
		f.rec.Record("123456789", "AWS/States", "ExecutionsFailed", dims, 1, metrics.Count)
	}
	if st := f.step(t, time.Minute+15*time.Second); !st.Claimed || st.Transitions != 1 {
		t.Fatalf("first evaluation = %+v, want one transition (to OK)", st)
	}
	if a := f.alarm(t, in.AlarmName); a.StateValue != StateOK || !strings.Contains(a.StateReason, "was not greater than the threshold (5.0)") {
		t.Fatalf("after 3 failures: %s %q", a.StateValue, a.StateReason)
	}
	if len(f.topics.all()) != 0 {
		t.Fatal("OK without OKActions notified")
	}
	// Three more a minute later: the 300 s window now sums 6 > 5.
	for i := 0; i < 3; i++ {
		f.rec.Record("123456789", "AWS/States", "ExecutionsFailed", dims, 1, metrics.Count)
	}
	f.step(t, time.Minute)
	a := f.alarm(t, in.AlarmName)
	if a.StateValue != StateAlarm {
		t.Fatalf("after 6 failures: %s %q", a.StateValue, a.StateReason)
	}
	if want := "Threshold Crossed: 1 datapoint [6.0 (27/11/26 11:57:00)] was greater than the threshold (5.0)."; a.StateReason != want {
		t.Fatalf("reason = %q, want %q", a.StateReason, want)
	}
	var data struct {
		RecentDatapoints []float64
		Threshold        float64
	}
	if err := json.Unmarshal([]byte(a.StateReasonData), &data); err != nil || data.RecentDatapoints[0] != 6 || data.Threshold != 5 {
		t.Fatalf("reason data %s (err %v)", a.StateReasonData, err)
	}
	msgs := f.topics.all()
	if len(msgs) != 1 || msgs[0].arn != topicARN || msgs[0].subject != `ALARM: "workflow-high-failure-rate" in US East (N. Virginia)` {
		t.Fatalf("notifications = %+v", msgs)
	}
	var note struct {
		AlarmName, NewStateValue, OldStateValue, AWSAccountId, AlarmArn string
		Trigger                                                         struct {
			MetricName, Namespace, Statistic, ComparisonOperator string
			Period                                               int
			Threshold                                            float64
			Dimensions                                           []map[string]string
		}
	}
	if err := json.Unmarshal([]byte(msgs[0].message), &note); err != nil {
		t.Fatal(err)
	}
	if note.AlarmName != in.AlarmName || note.NewStateValue != StateAlarm || note.OldStateValue != StateOK || note.AWSAccountId != "123456789" ||
		note.Trigger.Statistic != "SUM" || note.Trigger.Period != 300 || note.Trigger.Threshold != 5 || note.Trigger.Dimensions[0]["name"] != "StateMachineArn" {
		t.Fatalf("notification = %s", msgs[0].message)
	}
	// The same minute again is not evaluated twice (another node's claim, or a retry).
	if st, err := f.svc.Evaluate(ctx); err != nil || st.Claimed {
		t.Fatalf("second evaluation of one minute = %+v (err %v)", st, err)
	}
	// Staying in ALARM does not notify again.
	f.step(t, time.Minute)
	if len(f.topics.all()) != 1 {
		t.Fatalf("%d notifications while the alarm stayed in ALARM", len(f.topics.all()))
	}
	hist, _, err := f.svc.DescribeAlarmHistory(ctx, "123456789", HistoryQuery{AlarmName: in.AlarmName})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, h := range hist {
		types = append(types, h.HistoryItemType+": "+h.HistorySummary)
	}
	want := []string{
		"Action: Successfully executed action " + topicARN,
		"StateUpdate: Alarm updated from OK to ALARM",
		"StateUpdate: Alarm updated from INSUFFICIENT_DATA to OK",
		`ConfigurationUpdate: Alarm "workflow-high-failure-rate" created`,
	}
	if strings.Join(types, "\n") != strings.Join(want, "\n") {
		t.Fatalf("history, newest first:\n%s\nwant:\n%s", strings.Join(types, "\n"), strings.Join(want, "\n"))
	}
}

func TestDisabledActionsAndFailedActions(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	in := failedExecutionsAlarm()
	in.ActionsEnabledSet = true // ActionsEnabled false
	in.AlarmActions = append(in.AlarmActions, "arn:aws:automate:us-east-1:ec2:stop")
	if err := f.svc.PutMetricAlarm(ctx, "123456789", in); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SetAlarmState(ctx, "123456789", in.AlarmName, StateAlarm, "testing", ""); err != nil {
		t.Fatal(err)
	}
	if len(f.topics.all()) != 0 {
		t.Fatal("an alarm with actions disabled notified")
	}
	if err := f.svc.SetActionsEnabled(ctx, "123456789", []string{in.AlarmName, "not-an-alarm"}, true); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SetAlarmState(ctx, "123456789", in.AlarmName, StateOK, "testing", `{"a":1}`); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SetAlarmState(ctx, "123456789", in.AlarmName, StateAlarm, "testing again", ""); err != nil {
		t.Fatal(err)
	}
	if got := f.topics.all(); len(got) != 1 {
		t.Fatalf("%d notifications after enabling actions, want 1", len(got))
	}
	hist, _, _ := f.svc.DescribeAlarmHistory(ctx, "123456789", HistoryQuery{AlarmName: in.AlarmName, HistoryItemType: HistoryAction})
	summaries := []string{}
	for _, h := range hist {
		summaries = append(summaries, h.HistorySummary)
	}
	joined := strings.Join(summaries, "\n")
	if len(hist) != 2 || !strings.Contains(joined, "Successfully executed action "+topicARN) || !strings.Contains(joined, "Failed to execute action arn:aws:automate:us-east-1:ec2:stop") {
		t.Fatalf("action history:\n%s", joined)
	}
	if err := f.svc.SetAlarmState(ctx, "123456789", in.AlarmName, StateOK, "x", "{not json"); code(err) != "InvalidFormatFault" {
		t.Fatalf("bad reason data: %v", err)
	}
	if err := f.svc.SetAlarmState(ctx, "123456789", "missing", StateOK, "x", ""); code(err) != "ResourceNotFound" {
		t.Fatalf("missing alarm: %v", err)
	}
}

func TestTreatMissingData(t *testing.T) {
	t.Parallel()
	x, o := ptr(10.0), ptr(1.0) // breaching and not breaching values for "> 5"
	cases := []struct {
		name    string
		n, m    int
		treat   string
		current string
		values  []*float64 // most recent first, over N+2 periods
		want    string
	}{
		{"all present breaching", 1, 1, MissingMissing, StateOK, []*float64{x, nil, nil}, StateAlarm},
		{"all present fine", 3, 3, MissingMissing, StateAlarm, []*float64{o, x, x, nil, nil}, StateOK},
		{"missing, none in range", 1, 1, MissingMissing, StateAlarm, []*float64{nil, nil, nil}, StateInsufficientData},
		{"missing looks back in range", 1, 1, MissingMissing, StateOK, []*float64{nil, x, nil}, StateAlarm},
		{"ignore, none in range", 1, 1, MissingIgnore, StateAlarm, []*float64{nil, nil, nil}, ""},
		{"ignore, one fine point decides", 3, 3, MissingIgnore, StateAlarm, []*float64{o, nil, nil, nil, nil}, StateOK},
		{"ignore, undecided keeps state", 3, 2, MissingIgnore, StateAlarm, []*float64{x, nil, nil, nil, nil}, ""},
		{"breaching fills", 3, 3, MissingBreaching, StateOK, []*float64{x, nil, nil, nil, nil}, StateAlarm},
		{"breaching, none at all", 1, 1, MissingBreaching, StateOK, []*float64{nil, nil, nil}, StateAlarm},
		{"notBreaching fills", 3, 2, MissingNotBreaching, StateAlarm, []*float64{x, nil, nil, nil, nil}, StateOK},
		{"notBreaching, none at all", 1, 1, MissingNotBreaching, StateAlarm, []*float64{nil, nil, nil}, StateOK},
		{"2 of 3 breaching", 3, 2, MissingMissing, StateOK, []*float64{x, o, x, nil, nil}, StateAlarm},
		{"1 of 3 breaching with 2 needed", 3, 2, MissingMissing, StateAlarm, []*float64{x, o, o, nil, nil}, StateOK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			a := &Alarm{EvaluationPeriods: c.n, DatapointsToAlarm: c.m, TreatMissingData: c.treat, ComparisonOperator: "GreaterThanThreshold", Threshold: 5}
			var ws []window
			for i, v := range c.values {
				ws = append(ws, window{start: start.Add(-time.Duration(i+1) * time.Minute), value: v, count: 1})
			}
			if got := decide(a, ws).state; got != c.want {
				t.Fatalf("state = %q, want %q", got, c.want)
			}
		})
	}
}

func TestMissingDataThroughTheEvaluator(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	in := PutAlarmInput{Alarm: Alarm{AlarmName: "dlq", Namespace: "AWS/SQS", MetricName: "ApproximateNumberOfMessagesVisible", Statistic: Average,
		Period: 60, EvaluationPeriods: 1, ComparisonOperator: "GreaterThanThreshold", Dimensions: []Dimension{{Name: "QueueName", Value: "workflow-dlq"}},
		OKActions: []string{topicARN}, InsufficientDataActions: []string{topicARN}}, Threshold: ptr(1.0)}
	if err := f.svc.PutMetricAlarm(ctx, "123456789", in); err != nil {
		t.Fatal(err)
	}
	f.rec.Record("123456789", "AWS/SQS", "ApproximateNumberOfMessagesVisible", in.Dimensions, 0, metrics.Count)
	f.step(t, time.Minute+15*time.Second)
	if a := f.alarm(t, "dlq"); a.StateValue != StateOK {
		t.Fatalf("state %s %q", a.StateValue, a.StateReason)
	}
	// No data for the whole evaluation range (1 + 2 periods): INSUFFICIENT_DATA.
	f.step(t, 3*time.Minute)
	a := f.alarm(t, "dlq")
	if a.StateValue != StateInsufficientData || a.StateReason != "Insufficient Data: 1 datapoint was unknown." {
		t.Fatalf("state %s %q", a.StateValue, a.StateReason)
	}
	if n := len(f.topics.all()); n != 2 {
		t.Fatalf("%d notifications, want OK then INSUFFICIENT_DATA", n)
	}
}

func TestRestartKeepsStateAndDoesNotRefire(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	in := failedExecutionsAlarm()
	if err := f.svc.PutMetricAlarm(ctx, "123456789", in); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 6; i++ {
		f.rec.Record("123456789", "AWS/States", "ExecutionsFailed", in.Dimensions, 1, metrics.Count)
	}
	f.step(t, time.Minute+15*time.Second)
	// A second node (or the restarted one) on the same store: the alarm is in ALARM already.
	other := New(Config{Store: f.st, Clock: f.clk, Topics: f.topics, Owner: "node-2"})
	f.clk.Advance(time.Minute)
	st, err := other.Evaluate(ctx)
	if err != nil || !st.Claimed || st.Evaluated != 1 || st.Transitions != 0 {
		t.Fatalf("other node's evaluation = %+v (err %v)", st, err)
	}
	if st, _ := f.svc.Evaluate(ctx); st.Claimed {
		t.Fatal("the first node evaluated a minute the other node had claimed")
	}
	if n := len(f.topics.all()); n != 1 {
		t.Fatalf("%d notifications, want 1", n)
	}
}

func TestPutMetricAlarmValidation(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	cases := []struct {
		name string
		edit func(in *PutAlarmInput)
		code string
	}{
		{"no name", func(in *PutAlarmInput) { in.AlarmName = "" }, "ValidationError"},
		{"long name", func(in *PutAlarmInput) { in.AlarmName = strings.Repeat("a", 256) }, "ValidationError"},
		{"no evaluation periods", func(in *PutAlarmInput) { in.EvaluationPeriods = 0 }, "ValidationError"},
		{"bad operator", func(in *PutAlarmInput) { in.ComparisonOperator = "Bigger" }, "ValidationError"},
		{"anomaly operator", func(in *PutAlarmInput) { in.ComparisonOperator = "LessThanLowerThreshold" }, "ValidationError"},
		{"no threshold", func(in *PutAlarmInput) { in.Threshold = nil }, "ValidationError"},
		{"both statistics", func(in *PutAlarmInput) { in.ExtendedStatistic = "p99" }, "ValidationError"},
		{"percentile", func(in *PutAlarmInput) { in.Statistic, in.ExtendedStatistic = "", "p99" }, "ValidationError"},
		{"bad statistic", func(in *PutAlarmInput) { in.Statistic = "Median" }, "ValidationError"},
		{"period not a minute multiple", func(in *PutAlarmInput) { in.Period = 90 }, "ValidationError"},
		{"range over a day", func(in *PutAlarmInput) { in.Period, in.EvaluationPeriods = 300, 289 }, "ValidationError"},
		{"datapoints over periods", func(in *PutAlarmInput) { in.DatapointsToAlarm = ptr(2) }, "ValidationError"},
		{"bad missing data", func(in *PutAlarmInput) { in.TreatMissingData = "zero" }, "ValidationError"},
		{"six actions", func(in *PutAlarmInput) { in.AlarmActions = make([]string, 6) }, "ValidationError"},
		{"bad action", func(in *PutAlarmInput) { in.AlarmActions = []string{"ops-alerts"} }, "ValidationError"},
		{"metrics with metric name", func(in *PutAlarmInput) {
			in.Metrics = []DataQuery{{ID: "m1", Metric: &Metric{Namespace: "A", MetricName: "B"}, Stat: Sum, Period: 60}}
		}, "InvalidParameterCombinationException"},
		{"expression", func(in *PutAlarmInput) {
			in.MetricName, in.Namespace, in.Statistic, in.Period, in.Dimensions = "", "", "", 0, nil
			in.Metrics = []DataQuery{{ID: "e1", Expression: "m1*2"}}
		}, "ValidationError"},
	}
	for _, c := range cases {
		in := failedExecutionsAlarm()
		c.edit(&in)
		if err := f.svc.PutMetricAlarm(ctx, "123456789", in); code(err) != c.code {
			t.Errorf("%s: err = %v, want %s", c.name, err, c.code)
		}
	}
	if views, _, _ := f.svc.DescribeAlarms(ctx, "123456789", DescribeQuery{}); len(views) != 0 {
		t.Fatalf("rejected alarms were stored: %d", len(views))
	}
	// The Metrics form with one MetricStat is accepted and watches that metric.
	in := failedExecutionsAlarm()
	m := Metric{Namespace: in.Namespace, MetricName: in.MetricName, Dimensions: in.Dimensions}
	in.MetricName, in.Namespace, in.Statistic, in.Period, in.Dimensions = "", "", "", 0, nil
	in.Metrics = []DataQuery{{ID: "m1", Metric: &m, Stat: Sum, Period: 300}}
	if err := f.svc.PutMetricAlarm(ctx, "123456789", in); err != nil {
		t.Fatalf("metrics form: %v", err)
	}
	got, err := f.svc.DescribeAlarmsForMetric(ctx, "123456789", ForMetricQuery{Metric: m})
	if err != nil || len(got) != 1 {
		t.Fatalf("alarms for metric = %d (err %v)", len(got), err)
	}
}

func TestDescribeAlarmsFiltersAndPages(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	for _, name := range []string{"workflow-a", "workflow-b", "workflow-c", "other"} {
		in := failedExecutionsAlarm()
		in.AlarmName = name
		if err := f.svc.PutMetricAlarm(ctx, "123456789", in); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.svc.SetAlarmState(ctx, "123456789", "workflow-b", StateAlarm, "test", ""); err != nil {
		t.Fatal(err)
	}
	page, next, err := f.svc.DescribeAlarms(ctx, "123456789", DescribeQuery{AlarmNamePrefix: "workflow-", MaxRecords: 2})
	if err != nil || len(page) != 2 || next == "" || page[0].AlarmName != "workflow-a" {
		t.Fatalf("page 1 = %d, next %q (err %v)", len(page), next, err)
	}
	page, next, err = f.svc.DescribeAlarms(ctx, "123456789", DescribeQuery{AlarmNamePrefix: "workflow-", MaxRecords: 2, NextToken: next})
	if err != nil || len(page) != 1 || next != "" || page[0].AlarmName != "workflow-c" {
		t.Fatalf("page 2 = %+v, next %q (err %v)", page, next, err)
	}
	inAlarm, _, _ := f.svc.DescribeAlarms(ctx, "123456789", DescribeQuery{StateValue: StateAlarm})
	if len(inAlarm) != 1 || inAlarm[0].AlarmName != "workflow-b" {
		t.Fatalf("state ALARM = %+v", inAlarm)
	}
	byAction, _, _ := f.svc.DescribeAlarms(ctx, "123456789", DescribeQuery{ActionPrefix: "arn:aws:sns:"})
	if len(byAction) != 4 {
		t.Fatalf("by action prefix = %d", len(byAction))
	}
	if _, _, err := f.svc.DescribeAlarms(ctx, "123456789", DescribeQuery{AlarmNames: []string{"x"}, AlarmNamePrefix: "y"}); code(err) != "InvalidParameterCombinationException" {
		t.Fatalf("names and prefix: %v", err)
	}
	if _, _, err := f.svc.DescribeAlarms(ctx, "123456789", DescribeQuery{NextToken: "!!"}); code(err) != "InvalidNextToken" {
		t.Fatalf("bad token: %v", err)
	}
	composite, _, _ := f.svc.DescribeAlarms(ctx, "123456789", DescribeQuery{AlarmTypes: []string{"CompositeAlarm"}})
	if len(composite) != 0 {
		t.Fatalf("composite alarms = %d", len(composite))
	}
	if err := f.svc.DeleteAlarms(ctx, "123456789", []string{"other", "missing"}); code(err) != "ResourceNotFound" {
		t.Fatalf("delete with a missing name: %v", err)
	}
	if err := f.svc.DeleteAlarms(ctx, "123456789", []string{"other", "workflow-a"}); err != nil {
		t.Fatal(err)
	}
	if all, _, _ := f.svc.DescribeAlarms(ctx, "123456789", DescribeQuery{}); len(all) != 2 {
		t.Fatalf("after delete: %d alarms", len(all))
	}
}

func TestTags(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	in := failedExecutionsAlarm()
	in.Tags = []Tag{{Key: "team", Value: "ops"}}
	if err := f.svc.PutMetricAlarm(ctx, "123456789", in); err != nil {
		t.Fatal(err)
	}
	arn := f.alarm(t, in.AlarmName).AlarmArn
	if err := f.svc.TagResource(ctx, "123456789", arn, []Tag{{Key: "team", Value: "sre"}, {Key: "tier", Value: "1"}}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.UntagResource(ctx, "123456789", arn, []string{"tier"}); err != nil {
		t.Fatal(err)
	}
	tags, err := f.svc.ListTagsForResource(ctx, "123456789", arn)
	if err != nil || len(tags) != 1 || tags[0] != (Tag{Key: "team", Value: "sre"}) {
		t.Fatalf("tags = %+v (err %v)", tags, err)
	}
	if _, err := f.svc.ListTagsForResource(ctx, "123456789", arn+"x"); code(err) != "ResourceNotFoundException" {
		t.Fatalf("missing alarm: %v", err)
	}
}

// TestActionsOfACrashedNodeRunOnce: a node commits a state change and dies before running its
// actions; the next evaluation (on any node) runs them, once.
func TestActionsOfACrashedNodeRunOnce(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	in := failedExecutionsAlarm()
	if err := f.svc.PutMetricAlarm(ctx, "123456789", in); err != nil {
		t.Fatal(err)
	}
	row, err := f.st.AlarmGet(ctx, &store.AlarmGetParams{Account: "123456789", Name: in.AlarmName})
	if err != nil {
		t.Fatal(err)
	}
	// What transition commits before it runs the actions.
	crashed := *row
	crashed.State, crashed.StateReason, crashed.StateUpdated, crashed.StateTransitioned = StateAlarm, "Threshold Crossed", start.UnixMilli(), start.UnixMilli()
	crashed.PendingActions = `{"OldState":"INSUFFICIENT_DATA","At":` + fmt.Sprint(start.UnixMilli()) + `}`
	if err := f.st.AlarmUpdate(ctx, &store.AlarmUpdateParams{Row: &crashed, IfVersion: row.Version}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 6; i++ { // keeps the alarm in ALARM
		f.rec.Record("123456789", "AWS/States", "ExecutionsFailed", in.Dimensions, 1, metrics.Count)
	}
	f.step(t, time.Minute+15*time.Second)
	msgs := f.topics.all()
	if len(msgs) != 1 || !strings.Contains(msgs[0].message, `"OldStateValue":"INSUFFICIENT_DATA"`) || !strings.Contains(msgs[0].message, `"NewStateValue":"ALARM"`) {
		t.Fatalf("notifications after the resumed change = %+v", msgs)
	}
	if a, _ := f.st.AlarmGet(ctx, &store.AlarmGetParams{Account: "123456789", Name: in.AlarmName}); a.PendingActions != "" {
		t.Fatalf("pending actions left: %s", a.PendingActions)
	}
	f.step(t, time.Minute)
	if n := len(f.topics.all()); n != 1 {
		t.Fatalf("%d notifications, want the resumed one only", n)
	}
}
