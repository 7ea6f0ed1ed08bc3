package storetest

import (
	"context"
	"testing"

	"github.com/ceap/ceap/internal/store"
)

// TestMetrics covers MetricsAdd, MetricsList and MetricNamesList.
func TestMetrics(t *testing.T) {
	Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		pt := func(minute int64, v float64) *store.MetricPoint {
			return &store.MetricPoint{Account: "a", Namespace: "AWS/SQS", Name: "NumberOfMessagesSent", Dimensions: "QueueName=q", Minute: minute, Unit: "Count", Count: 1, Sum: v, Min: v, Max: v}
		}
		if err := s.MetricsAdd(ctx, &store.MetricsAddParams{Points: []*store.MetricPoint{pt(60000, 2), pt(60000, 5), pt(120000, 1)}}); err != nil {
			t.Fatalf("add: %v", err)
		}
		if err := s.MetricsAdd(ctx, &store.MetricsAddParams{Points: []*store.MetricPoint{pt(60000, -1)}}); err != nil {
			t.Fatalf("add: %v", err)
		}
		got, err := s.MetricsList(ctx, &store.MetricsListParams{Account: "a", Namespace: "AWS/SQS", Name: "NumberOfMessagesSent", Dimensions: "QueueName=q", From: 0, To: 120000})
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		if len(got) != 1 {
			t.Fatalf("list [0,120000): got %d points, want 1", len(got))
		}
		p := got[0]
		if p.Count != 3 || p.Sum != 6 || p.Min != -1 || p.Max != 5 || p.Unit != "Count" {
			t.Fatalf("merged point = %+v, want count 3 sum 6 min -1 max 5", p)
		}
		other, err := s.MetricsList(ctx, &store.MetricsListParams{Account: "b", Namespace: "AWS/SQS", Name: "NumberOfMessagesSent", Dimensions: "QueueName=q", From: 0, To: 1e12})
		if err != nil || len(other) != 0 {
			t.Fatalf("other account sees %d points (err %v)", len(other), err)
		}
		names, err := s.MetricNamesList(ctx, &store.MetricNamesListParams{Account: "a", Namespace: "AWS/SQS"})
		if err != nil || len(names) != 1 || names[0].Dimensions != "QueueName=q" {
			t.Fatalf("names = %+v (err %v)", names, err)
		}
	})
}
