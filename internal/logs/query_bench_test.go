package logs

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/ceap/ceap/internal/clock"
	"github.com/ceap/ceap/internal/store"
	"github.com/ceap/ceap/internal/store/storetest"
)

// BenchmarkInsightsQuery runs Logs Insights queries over a group of bench/logs' events on
// SQLite, in process (store scan, stream names, evaluation), and reports the cost per event in
// the group. CEAP_LOGS_BENCH_EVENTS sets the group's size (default 200,000).
//
//	go test ./internal/logs -run XXX -bench InsightsQuery -benchtime 3x
func BenchmarkInsightsQuery(b *testing.B) {
	events := 200000
	if v, err := strconv.Atoi(os.Getenv("CEAP_LOGS_BENCH_EVENTS")); err == nil && v > 0 {
		events = v
	}
	fake := clock.NewFake(time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC))
	db := storetest.OpenSQLite(b)
	s := New(Config{Store: db, Clock: fake})
	q := NewQueries(s, db.(store.QueryDefinitionStore), nil)
	b.Cleanup(q.Close)
	ctx := context.Background()
	start := fake.Now().Add(-time.Hour)
	var batch []Event
	for i := 0; i < events; i++ {
		batch = append(batch, Event{Timestamp: start.UnixMilli() + int64(i)*time.Hour.Milliseconds()/int64(events), Message: benchMessage(i)})
		if len(batch) == MaxBatchEvents || i == events-1 {
			if err := s.Put(ctx, "a", "g", "s", batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	for _, c := range []struct{ name, query string }{
		{"filter-like-sort-limit", `fields @timestamp, @message | filter @message like /needle|zebra/ | sort @timestamp desc | limit 20`},
		{"json-filter", `fields @timestamp, req, path | filter status = 500 | sort @timestamp desc | limit 50`},
		{"stats-by", `fields path, ms | stats avg(ms), max(ms), count(*) by status | sort avg(ms) desc`},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := processCPU()
			for b.Loop() {
				id, err := q.StartQuery(ctx, "a", StartQueryInput{Group: "g", StartTime: start.Unix(), EndTime: fake.Now().Unix(), Query: c.query})
				if err != nil {
					b.Fatal(err)
				}
				q.mu.Lock()
				r := q.queries[id]
				q.mu.Unlock()
				<-r.done
				res, err := q.GetQueryResults(ctx, "a", id)
				if err != nil || res.Status != QueryComplete || res.Statistics.RecordsScanned != float64(events) || len(res.Rows) == 0 {
					b.Fatalf("results %+v, %v", res, err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(events), "ns/event")
			b.ReportMetric(float64((processCPU()-cpu0).Nanoseconds())/float64(b.N)/float64(events), "cpu-ns/event")
		})
	}
}
