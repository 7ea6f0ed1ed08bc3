package alarms

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestPutMetricDataThenStatistics(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	dims := []Dimension{{Name: "Stage", Value: "etl"}}
	data := []Datum{
		{MetricName: "Latency", Dimensions: dims, Timestamp: start.Add(-10 * time.Minute), Value: ptr(10.0), Unit: "Milliseconds"},
		{MetricName: "Latency", Dimensions: dims, Timestamp: start.Add(-9 * time.Minute), Values: []float64{20, 40}, Counts: []float64{1, 3}, Unit: "Milliseconds"},
		{MetricName: "Latency", Dimensions: dims, Timestamp: start.Add(-2 * time.Minute), StatisticValues: &StatisticSet{SampleCount: 2, Sum: 10, Minimum: 4, Maximum: 6}, Unit: "Milliseconds"},
		{MetricName: "Latency", Timestamp: start.Add(-2 * time.Minute), Value: ptr(1000.0)}, // no dimensions: another metric
	}
	if err := f.svc.PutMetricData(ctx, "1", "Workflow", data); err != nil {
		t.Fatal(err)
	}
	q := StatisticsQuery{Metric: Metric{Namespace: "Workflow", MetricName: "Latency", Dimensions: dims}, StartTime: start.Add(-15 * time.Minute), EndTime: start,
		Period: 300, Statistics: []string{SampleCount, Sum, Average, Minimum, Maximum}}
	dps, err := f.svc.GetMetricStatistics(ctx, "1", q)
	if err != nil {
		t.Fatal(err)
	}
	if len(dps) != 2 {
		t.Fatalf("%d datapoints, want 2 (11:45-11:50 empty, 11:50-11:55, 11:55-12:00)", len(dps))
	}
	first := dps[0]
	if !first.Timestamp.Equal(start.Add(-10*time.Minute)) || first.Values[SampleCount] != 5 || first.Values[Sum] != 150 || first.Values[Average] != 30 ||
		first.Values[Minimum] != 10 || first.Values[Maximum] != 40 || first.Unit != "Milliseconds" {
		t.Fatalf("first datapoint = %+v", first)
	}
	if dps[1].Values[Sum] != 10 || dps[1].Values[Minimum] != 4 {
		t.Fatalf("second datapoint = %+v", dps[1])
	}
	q.Unit = "Seconds"
	if dps, _ := f.svc.GetMetricStatistics(ctx, "1", q); len(dps) != 0 {
		t.Fatalf("unit filter Seconds found %d datapoints", len(dps))
	}
	// A daily period, as the runbook asks for bucket sizes and invocations.
	day := StatisticsQuery{Metric: Metric{Namespace: "Workflow", MetricName: "Latency"}, StartTime: start.Add(-7 * 24 * time.Hour), EndTime: start.Add(time.Hour), Period: 86400, Statistics: []string{Sum}}
	dps, err = f.svc.GetMetricStatistics(ctx, "1", day)
	if err != nil || len(dps) != 1 || dps[0].Values[Sum] != 1000 {
		t.Fatalf("daily = %+v (err %v)", dps, err)
	}

	res, _, err := f.svc.GetMetricData(ctx, "1", DataRequest{StartTime: start.Add(-15 * time.Minute), EndTime: start, Queries: []DataQuery{
		{ID: "lat", Metric: &q.Metric, Period: 300, Stat: Maximum},
		{ID: "hidden", Metric: &q.Metric, Period: 60, Stat: Sum, ReturnData: ptr(false)},
	}})
	if err != nil || len(res) != 1 || res[0].Label != "Latency" || len(res[0].Values) != 2 || res[0].Values[0] != 6 || res[0].Values[1] != 40 || res[0].StatusCode != "Complete" {
		t.Fatalf("metric data = %+v (err %v)", res, err)
	}
	if _, _, err := f.svc.GetMetricData(ctx, "1", DataRequest{StartTime: start.Add(-time.Hour), EndTime: start, Queries: []DataQuery{{ID: "e", Expression: "SUM(METRICS())"}}}); code(err) != "ValidationError" {
		t.Fatalf("expression: %v", err)
	}

	metrics, next, err := f.svc.ListMetrics(ctx, "1", ListMetricsQuery{Namespace: "Workflow"})
	if err != nil || len(metrics) != 2 || next != "" {
		t.Fatalf("list = %+v (err %v)", metrics, err)
	}
	filtered, _, _ := f.svc.ListMetrics(ctx, "1", ListMetricsQuery{Dimensions: []DimensionFilter{{Name: "Stage", Value: ptr("etl")}}})
	if len(filtered) != 1 || filtered[0].Dimensions[0].Value != "etl" {
		t.Fatalf("filtered = %+v", filtered)
	}
	f.clk.Advance(4 * time.Hour)
	if recent, _, _ := f.svc.ListMetrics(ctx, "1", ListMetricsQuery{RecentlyActive: "PT3H"}); len(recent) != 0 {
		t.Fatalf("recently active after 4 h = %+v", recent)
	}
}

func TestPutMetricDataValidation(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	many := make([]Datum, MaxDatums+1)
	for i := range many {
		many[i] = Datum{MetricName: "m", Value: ptr(1.0)}
	}
	dims := make([]Dimension, MaxDimensions+1)
	for i := range dims {
		dims[i] = Dimension{Name: strings.Repeat("d", i+1), Value: "v"}
	}
	cases := []struct {
		name, namespace string
		data            []Datum
		code            string
	}{
		{"no namespace", "", []Datum{{MetricName: "m", Value: ptr(1.0)}}, "MissingRequiredParameterException"},
		{"AWS namespace", "AWS/SQS", []Datum{{MetricName: "m", Value: ptr(1.0)}}, "InvalidParameterValueException"},
		{"too many datums", "App", many, "InvalidParameterValueException"},
		{"too many dimensions", "App", []Datum{{MetricName: "m", Value: ptr(1.0), Dimensions: dims}}, "InvalidParameterValueException"},
		{"no metric name", "App", []Datum{{Value: ptr(1.0)}}, "MissingRequiredParameterException"},
		{"value and statistics", "App", []Datum{{MetricName: "m", Value: ptr(1.0), StatisticValues: &StatisticSet{SampleCount: 1, Sum: 1, Minimum: 1, Maximum: 1}}}, "InvalidParameterCombinationException"},
		{"no value", "App", []Datum{{MetricName: "m"}}, "InvalidParameterCombinationException"},
		{"counts of another size", "App", []Datum{{MetricName: "m", Values: []float64{1, 2}, Counts: []float64{1}}}, "InvalidParameterCombinationException"},
		{"bad unit", "App", []Datum{{MetricName: "m", Value: ptr(1.0), Unit: "Furlongs"}}, "InvalidParameterValueException"},
		{"too old", "App", []Datum{{MetricName: "m", Value: ptr(1.0), Timestamp: start.Add(-15 * 24 * time.Hour)}}, "InvalidParameterValueException"},
		{"too far ahead", "App", []Datum{{MetricName: "m", Value: ptr(1.0), Timestamp: start.Add(3 * time.Hour)}}, "InvalidParameterValueException"},
		{"huge value", "App", []Datum{{MetricName: "m", Value: ptr(1e200)}}, "InvalidParameterValueException"},
		{"min over max", "App", []Datum{{MetricName: "m", StatisticValues: &StatisticSet{SampleCount: 1, Sum: 1, Minimum: 2, Maximum: 1}}}, "InvalidParameterValueException"},
		{"bad second datum", "App", []Datum{{MetricName: "ok", Value: ptr(1.0)}, {MetricName: "m"}}, "InvalidParameterCombinationException"},
	}
	for _, c := range cases {
		if err := f.svc.PutMetricData(ctx, "1", c.namespace, c.data); code(err) != c.code {
			t.Errorf("%s: err = %v, want %s", c.name, err, c.code)
		}
	}
	if got, _, _ := f.svc.ListMetrics(ctx, "1", ListMetricsQuery{}); len(got) != 0 {
		t.Fatalf("rejected data was stored: %+v", got)
	}
}

func TestGetMetricStatisticsValidation(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	ok := func() StatisticsQuery {
		return StatisticsQuery{Metric: Metric{Namespace: "AWS/S3", MetricName: "BucketSizeBytes"}, StartTime: start.Add(-24 * time.Hour), EndTime: start, Period: 3600, Statistics: []string{Average}}
	}
	cases := []struct {
		name string
		edit func(q *StatisticsQuery)
		code string
	}{
		{"no statistics", func(q *StatisticsQuery) { q.Statistics = nil }, "InvalidParameterCombinationException"},
		{"bad statistic", func(q *StatisticsQuery) { q.Statistics = []string{"Median"} }, "ValidationError"},
		{"percentile", func(q *StatisticsQuery) { q.Statistics, q.ExtendedStatistics = nil, []string{"p99"} }, "InvalidParameterCombinationException"},
		{"period not a minute multiple", func(q *StatisticsQuery) { q.Period = 90 }, "InvalidParameterValueException"},
		{"start after end", func(q *StatisticsQuery) { q.StartTime = start.Add(time.Hour) }, "InvalidParameterValueException"},
		{"too many datapoints", func(q *StatisticsQuery) { q.Period = 60; q.StartTime = start.Add(-25 * time.Hour) }, "InvalidParameterCombinationException"},
		{"no namespace", func(q *StatisticsQuery) { q.Namespace = "" }, "MissingRequiredParameterException"},
	}
	for _, c := range cases {
		q := ok()
		c.edit(&q)
		if _, err := f.svc.GetMetricStatistics(ctx, "1", q); code(err) != c.code {
			t.Errorf("%s: err = %v, want %s", c.name, err, c.code)
		}
	}
	if dps, err := f.svc.GetMetricStatistics(ctx, "1", ok()); err != nil || len(dps) != 0 {
		t.Fatalf("no data: %+v (err %v)", dps, err)
	}
}

const runbookDashboard = `{"widgets":[
 {"type":"metric","properties":{"metrics":[["AWS/States","ExecutionsStarted",{"stat":"Sum"}],[".","ExecutionsSucceeded",{"stat":"Sum"}]],"period":300,"stat":"Sum","region":"us-east-1","title":"Workflow Executions"}},
 {"type":"metric","properties":{"metrics":[["AWS/SQS","ApproximateNumberOfMessagesVisible",{"dimensions":{"QueueName":"workflow-queue"}}],["...",{"dimensions":{"QueueName":"workflow-dlq"}}]],"period":300,"stat":"Average","region":"us-east-1","title":"Queue Depth"}},
 {"type":"log","properties":{"query":"SOURCE '/aws/stepfunction/WorkflowName'\n| fields @timestamp, @message","region":"us-east-1","title":"Recent Errors"}}]}`

func TestDashboards(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	msgs, err := f.svc.PutDashboard(ctx, "1", "WorkflowMonitoring", runbookDashboard)
	if err != nil || len(msgs) != 0 {
		t.Fatalf("runbook dashboard: %v %v", msgs, err)
	}
	d, err := f.svc.GetDashboard(ctx, "1", "WorkflowMonitoring")
	if err != nil || d.Body != runbookDashboard || d.ARN != "arn:aws:cloudwatch::1:dashboard/WorkflowMonitoring" {
		t.Fatalf("get = %+v (err %v)", d, err)
	}
	bad := []struct{ name, body, want string }{
		{"not json", "{", "not valid JSON"},
		{"no widgets", `{}`, "required property 'widgets'"},
		{"no type", `{"widgets":[{"properties":{"markdown":"x"}}]}`, "required property 'type'"},
		{"bad type", `{"widgets":[{"type":"chart","properties":{}}]}`, "/widgets/0/type"},
		{"metric without metrics", `{"widgets":[{"type":"metric","properties":{}}]}`, "required property 'metrics'"},
		{"too wide", `{"widgets":[{"type":"text","width":25,"properties":{"markdown":"x"}}]}`, "/widgets/0/width"},
	}
	for _, c := range bad {
		_, err := f.svc.PutDashboard(ctx, "1", "Bad", c.body)
		if code(err) != "DashboardInvalidInputError" || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want DashboardInvalidInputError naming %q", c.name, err, c.want)
		}
	}
	if _, err := f.svc.PutDashboard(ctx, "1", "bad name!", runbookDashboard); code(err) != "DashboardInvalidInputError" {
		t.Fatalf("bad name: %v", err)
	}
	if _, err := f.svc.GetDashboard(ctx, "1", "Bad"); code(err) != "DashboardNotFoundError" {
		t.Fatalf("a rejected dashboard exists: %v", err)
	}
	list, next, err := f.svc.ListDashboards(ctx, "1", "Workflow", "")
	if err != nil || len(list) != 1 || next != "" {
		t.Fatalf("list = %+v (err %v)", list, err)
	}
	if err := f.svc.DeleteDashboards(ctx, "1", []string{"WorkflowMonitoring", "Missing"}); code(err) != "DashboardNotFoundError" || !strings.Contains(err.Error(), "Missing") {
		t.Fatalf("delete with a missing name: %v", err)
	}
	if err := f.svc.DeleteDashboards(ctx, "1", []string{"WorkflowMonitoring"}); err != nil {
		t.Fatal(err)
	}
}
