package cloudwatch_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/ceap/ceap/internal/ceaptest"
	"github.com/ceap/ceap/internal/clock"
)

var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// waitFor polls cond (in real time) until it holds or 10 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func alarmState(t *testing.T, cw *cloudwatch.Client, name string) types.StateValue {
	t.Helper()
	out, err := cw.DescribeAlarms(context.Background(), &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name}})
	if err != nil || len(out.MetricAlarms) != 1 {
		t.Fatalf("describe alarms: %v", err)
	}
	return out.MetricAlarms[0].StateValue
}

// TestAlarmFiresThroughSNSToSQS runs the whole chain with the Go SDK (which speaks rpc-v2-cbor
// to CloudWatch) on a fake clock: failures are put as metric data, the evaluator moves the alarm
// to ALARM, and the alarm's SNS topic delivers CloudWatch's notification to an SQS queue.
func TestAlarmFiresThroughSNSToSQS(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(t0)
	srv := ceaptest.StartServer(t, ceaptest.WithClock(clk))
	ctx := context.Background()
	cw, sn, sq := cloudwatch.NewFromConfig(srv.AWS), sns.NewFromConfig(srv.AWS), sqs.NewFromConfig(srv.AWS)

	q, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("ops-inbox")})
	if err != nil {
		t.Fatal(err)
	}
	qa, err := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{"QueueArn"}})
	if err != nil {
		t.Fatal(err)
	}
	topic, err := sn.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("ops-alerts")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sn.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(qa.Attributes["QueueArn"])}); err != nil {
		t.Fatal(err)
	}
	dims := []types.Dimension{{Name: aws.String("StateMachineArn"), Value: aws.String("arn:aws:states:us-east-1:" + ceaptest.Account + ":stateMachine:WorkflowName")}}
	if _, err := cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("workflow-high-failure-rate"),
		Namespace: aws.String("Workflow"), MetricName: aws.String("ExecutionsFailed"), Dimensions: dims, Statistic: types.StatisticSum,
		Period: aws.Int32(300), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(5), ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold,
		AlarmActions: []string{*topic.TopicArn}}); err != nil {
		t.Fatal(err)
	}
	fail := func(n float64) {
		t.Helper()
		if _, err := cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("Workflow"), MetricData: []types.MetricDatum{{
			MetricName: aws.String("ExecutionsFailed"), Dimensions: dims, Values: []float64{1}, Counts: []float64{n}, Unit: types.StandardUnitCount, Timestamp: aws.Time(clk.Now())}}}); err != nil {
			t.Fatal(err)
		}
	}
	fail(3)
	clk.Advance(75 * time.Second) // 12:01:15: the minute 12:00 is evaluated
	waitFor(t, "OK after 3 failures", func() bool { return alarmState(t, cw, "workflow-high-failure-rate") == types.StateValueOk })
	fail(3)
	clk.Advance(time.Minute) // 12:02:15: six failures in the last 300 s
	waitFor(t, "ALARM after 6 failures", func() bool { return alarmState(t, cw, "workflow-high-failure-rate") == types.StateValueAlarm })

	var body string
	waitFor(t, "the notification in the queue", func() bool {
		out, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl})
		if err != nil || len(out.Messages) == 0 {
			return false
		}
		body = *out.Messages[0].Body
		return true
	})
	var envelope struct{ Type, Subject, Message, TopicArn string }
	if err := json.Unmarshal([]byte(body), &envelope); err != nil {
		t.Fatalf("envelope %s: %v", body, err)
	}
	if envelope.Type != "Notification" || envelope.Subject != `ALARM: "workflow-high-failure-rate" in US East (N. Virginia)` || envelope.TopicArn != *topic.TopicArn {
		t.Fatalf("envelope = %+v", envelope)
	}
	var note struct {
		AlarmName, NewStateValue, OldStateValue, NewStateReason string
		Trigger                                                 struct{ MetricName string }
	}
	if err := json.Unmarshal([]byte(envelope.Message), &note); err != nil {
		t.Fatalf("message %s: %v", envelope.Message, err)
	}
	if note.AlarmName != "workflow-high-failure-rate" || note.NewStateValue != "ALARM" || note.OldStateValue != "OK" || note.Trigger.MetricName != "ExecutionsFailed" {
		t.Fatalf("notification = %s", envelope.Message)
	}
	// The action's history item is written once the publish returns, which can be after the
	// message is already in the queue.
	var hist *cloudwatch.DescribeAlarmHistoryOutput
	waitFor(t, "the action in the alarm's history", func() bool {
		var err error
		hist, err = cw.DescribeAlarmHistory(ctx, &cloudwatch.DescribeAlarmHistoryInput{AlarmName: aws.String("workflow-high-failure-rate"), HistoryItemType: types.HistoryItemTypeAction})
		if err != nil {
			t.Fatal(err)
		}
		return len(hist.AlarmHistoryItems) > 0
	})
	if len(hist.AlarmHistoryItems) != 1 || hist.AlarmHistoryItems[0].Timestamp == nil || !hist.AlarmHistoryItems[0].Timestamp.Equal(clk.Now()) {
		t.Fatalf("action history = %+v", hist.AlarmHistoryItems)
	}
}

// TestSDKShapes checks the CBOR answers the Go SDK decodes: timestamps, doubles, errors.
func TestSDKShapes(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(t0)
	srv := ceaptest.StartServer(t, ceaptest.WithClock(clk))
	ctx := context.Background()
	cw := cloudwatch.NewFromConfig(srv.AWS)
	ts := t0.Add(-3 * time.Minute)
	if _, err := cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("App"), MetricData: []types.MetricDatum{
		{MetricName: aws.String("Latency"), Value: aws.Float64(12.5), Unit: types.StandardUnitMilliseconds, Timestamp: aws.Time(ts)},
		{MetricName: aws.String("Latency"), StatisticValues: &types.StatisticSet{SampleCount: aws.Float64(2), Sum: aws.Float64(7.5), Minimum: aws.Float64(2.5), Maximum: aws.Float64(5)},
			Unit: types.StandardUnitMilliseconds, Timestamp: aws.Time(ts)},
	}}); err != nil {
		t.Fatal(err)
	}
	stats, err := cw.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("App"), MetricName: aws.String("Latency"),
		StartTime: aws.Time(t0.Add(-time.Hour)), EndTime: aws.Time(t0), Period: aws.Int32(60), Statistics: []types.Statistic{types.StatisticAverage, types.StatisticMaximum, types.StatisticSampleCount}})
	if err != nil {
		t.Fatal(err)
	}
	if len(stats.Datapoints) != 1 {
		t.Fatalf("datapoints = %+v", stats.Datapoints)
	}
	dp := stats.Datapoints[0]
	if !dp.Timestamp.Equal(ts) || *dp.Average != 20.0/3 || *dp.Maximum != 12.5 || *dp.SampleCount != 3 || dp.Unit != types.StandardUnitMilliseconds {
		t.Fatalf("datapoint = %v avg %v max %v n %v %s", dp.Timestamp, *dp.Average, *dp.Maximum, *dp.SampleCount, dp.Unit)
	}
	data, err := cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(t0.Add(-time.Hour)), EndTime: aws.Time(t0), MetricDataQueries: []types.MetricDataQuery{{
		Id: aws.String("m1"), MetricStat: &types.MetricStat{Metric: &types.Metric{Namespace: aws.String("App"), MetricName: aws.String("Latency")}, Period: aws.Int32(300), Stat: aws.String("Sum")}}}})
	if err != nil || len(data.MetricDataResults) != 1 || len(data.MetricDataResults[0].Values) != 1 || data.MetricDataResults[0].Values[0] != 20 ||
		data.MetricDataResults[0].StatusCode != types.StatusCodeComplete {
		t.Fatalf("metric data = %+v (err %v)", data, err)
	}

	_, err = cw.GetDashboard(ctx, &cloudwatch.GetDashboardInput{DashboardName: aws.String("Missing")})
	var nf *types.DashboardNotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("missing dashboard: %T %v", err, err)
	}
	_, err = cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("AWS/SQS"), MetricData: []types.MetricDatum{{MetricName: aws.String("x"), Value: aws.Float64(1)}}})
	var bad *types.InvalidParameterValueException
	if !errors.As(err, &bad) {
		t.Fatalf("AWS/ namespace: %T %v", err, err)
	}
	if _, err := cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("nope"), StateValue: types.StateValueOk, StateReason: aws.String("x")}); err == nil {
		t.Fatal("SetAlarmState of a missing alarm succeeded")
	} else {
		var rnf *types.ResourceNotFound
		if !errors.As(err, &rnf) {
			t.Fatalf("missing alarm: %T %v", err, err)
		}
	}
	if _, err := cw.PutDashboard(ctx, &cloudwatch.PutDashboardInput{DashboardName: aws.String("D"), DashboardBody: aws.String(`{"widgets":[]}`)}); err != nil {
		t.Fatal(err)
	}
	list, err := cw.ListDashboards(ctx, &cloudwatch.ListDashboardsInput{})
	if err != nil || len(list.DashboardEntries) != 1 || !list.DashboardEntries[0].LastModified.Equal(t0) || *list.DashboardEntries[0].Size != 14 {
		t.Fatalf("dashboards = %+v (err %v)", list, err)
	}
}

// TestGetMetricDataPages checks MaxDatapoints and NextToken with the SDK's paginator: every
// datapoint of two queries arrives once, in order, across pages that answer PartialData.
func TestGetMetricDataPages(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(t0)
	srv := ceaptest.StartServer(t, ceaptest.WithClock(clk))
	ctx := context.Background()
	cw := cloudwatch.NewFromConfig(srv.AWS)
	var data []types.MetricDatum
	for i := range 7 {
		data = append(data,
			types.MetricDatum{MetricName: aws.String("A"), Value: aws.Float64(float64(i)), Timestamp: aws.Time(t0.Add(-time.Duration(i+1) * time.Minute))},
			types.MetricDatum{MetricName: aws.String("B"), Value: aws.Float64(float64(100 + i)), Timestamp: aws.Time(t0.Add(-time.Duration(i+1) * time.Minute))})
	}
	if _, err := cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("App"), MetricData: data}); err != nil {
		t.Fatal(err)
	}
	query := func(id, name string) types.MetricDataQuery {
		return types.MetricDataQuery{Id: aws.String(id), MetricStat: &types.MetricStat{
			Metric: &types.Metric{Namespace: aws.String("App"), MetricName: aws.String(name)}, Period: aws.Int32(60), Stat: aws.String("Sum")}}
	}
	pages := cloudwatch.NewGetMetricDataPaginator(cw, &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(t0.Add(-time.Hour)), EndTime: aws.Time(t0), MaxDatapoints: aws.Int32(4), ScanBy: types.ScanByTimestampAscending,
		MetricDataQueries: []types.MetricDataQuery{query("a", "A"), query("b", "B")}})
	got := map[string][]float64{}
	n := 0
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n++
		points := 0
		for _, r := range page.MetricDataResults {
			points += len(r.Values)
			got[*r.Id] = append(got[*r.Id], r.Values...)
			if r.StatusCode == types.StatusCodePartialData && page.NextToken == nil {
				t.Fatalf("page %d: PartialData without a NextToken", n)
			}
		}
		if points > 4 {
			t.Fatalf("page %d has %d datapoints, MaxDatapoints is 4", n, points)
		}
	}
	wantA, wantB := []float64{6, 5, 4, 3, 2, 1, 0}, []float64{106, 105, 104, 103, 102, 101, 100}
	if n != 4 || fmt.Sprint(got["a"]) != fmt.Sprint(wantA) || fmt.Sprint(got["b"]) != fmt.Sprint(wantB) {
		t.Fatalf("%d pages: a = %v, b = %v; want 4 pages, a = %v, b = %v", n, got["a"], got["b"], wantA, wantB)
	}
	_, err := cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(t0.Add(-time.Hour)), EndTime: aws.Time(t0),
		NextToken: aws.String("bm9wZQ"), MetricDataQueries: []types.MetricDataQuery{query("a", "A")}})
	var bad *types.InvalidNextToken
	if !errors.As(err, &bad) {
		t.Fatalf("bad token: %T %v", err, err)
	}
}
