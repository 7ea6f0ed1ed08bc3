package insights

import (
	"fmt"
	"testing"
)

// BenchmarkQuery measures the CPU cost of one event through each runbook query (ns/op is per
// event): go test -run XXX -bench Query -benchmem ./internal/logs/insights/
func BenchmarkQuery(b *testing.B) {
	queries := map[string]string{
		"failed-executions": `fields @timestamp, executionId, stage, errorMessage | filter status = "FAILED" | sort @timestamp desc | limit 50`,
		"duration-by-stage": `fields stage, duration | stats avg(duration), max(duration), min(duration) by stage | sort avg(duration) desc`,
		"s3-access-errors":  `fields @timestamp, @message | filter @message like /AccessDenied|NoSuchKey/ | sort @timestamp desc | limit 20`,
	}
	evs := make([]Event, 1000)
	stages := []string{"ETL", "Filter", "Score", "Store", "Reactive"}
	for i := range evs {
		status := "SUCCEEDED"
		if i%50 == 0 {
			status = "FAILED"
		}
		evs[i] = Event{Timestamp: base + int64(i), Ingestion: base + int64(i), Stream: "s", Group: "a:g",
			Message: fmt.Sprintf(`{"time":"2026-03-01T12:00:00Z","level":"INFO","msg":"stage succeeded","executionId":"exec-%d","stage":%q,"status":%q,"duration":%d}`, i, stages[i%5], status, i%97)}
	}
	for name, text := range queries {
		b.Run(name, func(b *testing.B) {
			q, err := Parse(text)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			r := q.Start(0)
			for i := 0; i < b.N; i++ {
				r.Add(&evs[i%len(evs)])
			}
			r.Finish()
		})
	}
}
