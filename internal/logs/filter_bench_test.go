package logs

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/ceap/ceap/internal/clock"
	"github.com/ceap/ceap/internal/store/storetest"
)

// BenchmarkFilterLogEvents searches a group of bench/logs' events on SQLite, in process, every
// page of each search, and reports the cost per event in the group. CEAP_LOGS_BENCH_EVENTS sets
// the group's size (default 200,000; bench/logs uses 1,000,000).
//
//	go test ./internal/logs -run XXX -bench FilterLogEvents -benchtime 5x
func BenchmarkFilterLogEvents(b *testing.B) {
	events := 200000
	if v, err := strconv.Atoi(os.Getenv("CEAP_LOGS_BENCH_EVENTS")); err == nil && v > 0 {
		events = v
	}
	fake := clock.NewFake(time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC))
	s := New(Config{Store: storetest.OpenSQLite(b), Clock: fake})
	ctx := context.Background()
	if err := s.CreateLogGroup(ctx, "a", CreateLogGroupInput{Name: "g"}); err != nil {
		b.Fatal(err)
	}
	const streams = 4
	start := fake.Now().Add(-time.Hour).UnixMilli()
	for st := range streams {
		name := fmt.Sprintf("stream-%d", st)
		if err := s.CreateLogStream(ctx, "a", "g", name); err != nil {
			b.Fatal(err)
		}
		var batch []Event
		size := 0
		flush := func() {
			if _, err := s.PutLogEvents(ctx, "a", "g", name, batch); err != nil {
				b.Fatal(err)
			}
			batch, size = batch[:0], 0
		}
		for i := st; i < events; i += streams {
			msg := benchMessage(i)
			if len(batch) == MaxBatchEvents || size+len(msg)+EventOverhead > MaxBatchBytes {
				flush()
			}
			batch = append(batch, Event{Timestamp: start + int64(i)*time.Hour.Milliseconds()/int64(events), Message: msg})
			size += len(msg) + EventOverhead
		}
		flush()
	}
	for _, c := range []struct {
		pattern string
		want    int
	}{{"needle", events / 100}, {"zebra", events / 10000}, {"{ $.status = 500 }", events / 1000}} {
		b.Run(c.pattern, func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := processCPU()
			for b.Loop() {
				in := FilterLogEventsInput{Group: "g", Pattern: c.pattern, StartTime: start, EndTime: fake.Now().UnixMilli()}
				got := 0
				for {
					out, err := s.FilterLogEvents(ctx, "a", in)
					if err != nil {
						b.Fatal(err)
					}
					got += len(out.Events)
					if out.NextToken == "" {
						break
					}
					in.NextToken = out.NextToken
				}
				if got != c.want {
					b.Fatalf("%d matches, want %d", got, c.want)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(events), "ns/event")
			b.ReportMetric(float64((processCPU()-cpu0).Nanoseconds())/float64(b.N)/float64(events), "cpu-ns/event")
		})
	}
}

// processCPU is the user+system CPU time of the test process: a cost that other load on the
// machine inflates much less than wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchMessage is event i of bench/logs: a JSON access-log line; one in 100 holds "needle", one
// in 10,000 "zebra", one in 1,000 has status 500.
func benchMessage(i int) string {
	status, msg := 200, "served from origin"
	if i%100 == 0 {
		msg = "served from cache needle hit"
	}
	if i%10000 == 3 {
		msg += " zebra"
	}
	if i%1000 == 7 {
		status = 500
	}
	return fmt.Sprintf(`{"level":"info","req":%d,"path":"/api/items/%d","status":%d,"ms":%d,"msg":%q}`, i, i%9973, status, i%250, msg)
}
