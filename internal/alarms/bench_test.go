package alarms

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ceap/ceap/internal/metrics"
)

// BenchmarkEvaluate measures one minute's evaluation of 100 alarms, each over 5 periods of 300 s
// of one-minute points, on SQLite: go test -run XXX -bench Evaluate ./internal/alarms/
func BenchmarkEvaluate(b *testing.B) {
	f := setup(b)
	ctx := context.Background()
	for i := 0; i < 100; i++ {
		in := failedExecutionsAlarm()
		in.AlarmName = fmt.Sprintf("alarm-%03d", i)
		in.EvaluationPeriods = 3
		in.Dimensions = []Dimension{{Name: "StateMachineArn", Value: fmt.Sprint("sm-", i)}}
		if err := f.svc.PutMetricAlarm(ctx, "123456789", in); err != nil {
			b.Fatal(err)
		}
		for m := 0; m < 25; m++ {
			f.rec.RecordAt(start.Add(-time.Duration(m)*time.Minute), "123456789", "AWS/States", "ExecutionsFailed", in.Dimensions, 1, metrics.Count)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f.clk.Advance(time.Minute)
		if st, err := f.svc.Evaluate(ctx); err != nil || st.Evaluated != 100 {
			b.Fatalf("evaluate: %+v %v", st, err)
		}
	}
}
