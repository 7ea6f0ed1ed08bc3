// Command logs is ceap's CloudWatch Logs load generator. It creates a log group, puts a known set
// of events into a few streams over a one-hour window (PutLogEvents batches as large as AWS
// allows: 10,000 events or 1 MB), then times FilterLogEvents over that window, every page, with a
// term pattern (target: under 1 s for 1,000,000 events) and, for information, a JSON pattern. The
// number of matches is checked against what was put. One JSON line per phase, with the server's
// CPU time per run when --server-pid is given (the cost that other load does not inflate).
//
// It only ever talks to a loopback endpoint, and every loop is bounded in count and in time.
//
//	go run ./bench/logs --endpoint http://127.0.0.1:4566 --events 1000000
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/ceap/ceap/bench/internal/loopback"
)

// CloudWatch Logs limits that shape the batches.
const (
	// maxBatchEvents is PutLogEvents' limit on events per call (10,000).
	maxBatchEvents = 10000
	// maxBatchBytes is PutLogEvents' limit on a batch: message bytes plus 26 per event (1,048,576).
	maxBatchBytes = 1048576
	// eventOverhead is the per-event size CloudWatch Logs adds to a message (26 bytes).
	eventOverhead = 26
)

// targetTermFilter is the Speed section's bound on a term search over 1,000,000 events.
const targetTermFilter = time.Second

// window is the span the events are spread over and the filters search.
const window = time.Hour

// maxPages bounds the pages one filter may read.
const maxPages = 100000

type config struct {
	events     int
	streams    int
	termEvery  int
	rareEvery  int
	jsonEvery  int
	runs       int
	jsonRuns   int
	label      string
	serverPID  int
	runTimeout time.Duration
}

func main() {
	endpoint := flag.String("endpoint", "http://127.0.0.1:4566", "CloudWatch Logs endpoint (loopback only)")
	var c config
	flag.IntVar(&c.events, "events", 1000000, "events to put")
	flag.IntVar(&c.streams, "streams", 4, "log streams the events are spread over (put in parallel)")
	flag.IntVar(&c.termEvery, "term-every", 100, "one event in this many holds the term")
	flag.IntVar(&c.rareEvery, "rare-every", 10000, "one event in this many holds the rare term")
	flag.IntVar(&c.jsonEvery, "json-every", 1000, "one event in this many has status 500")
	flag.IntVar(&c.runs, "runs", 5, "timed runs of each term filter")
	flag.IntVar(&c.jsonRuns, "json-runs", 3, "timed runs of the JSON filter")
	flag.StringVar(&c.label, "label", "ceap", "label of the server in the output")
	flag.IntVar(&c.serverPID, "server-pid", 0, "server process id, to report its memory")
	flag.DurationVar(&c.runTimeout, "filter-timeout", 2*time.Minute, "give up on one filter run after this long")
	timeout := flag.Duration("timeout", 30*time.Minute, "give up after this long")
	flag.Parse()
	if err := loopback.Check(*endpoint); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if c.streams < 1 || c.termEvery < 1 || c.rareEvery < 1 || c.jsonEvery < 1 || c.runs < 1 || c.jsonRuns < 1 {
		fmt.Fprintln(os.Stderr, "--streams, --term-every, --rare-every, --json-every, --runs and --json-runs must be positive")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	client := cloudwatchlogs.NewFromConfig(aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("bench", "bench", ""),
		BaseEndpoint:     endpoint,
		RetryMaxAttempts: 3,
		HTTPClient:       &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
	})
	if err := run(ctx, client, c); err != nil {
		fmt.Fprintln(os.Stderr, "logs bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, client *cloudwatchlogs.Client, c config) error {
	group := fmt.Sprintf("/bench/logs-%d", time.Now().UnixNano())
	if _, err := client.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: &group}); err != nil {
		return fmt.Errorf("create log group: %w", err)
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, _ = client.DeleteLogGroup(dctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: &group})
	}()
	end := time.Now().Truncate(time.Millisecond)
	start := end.Add(-window)
	want, err := put(ctx, client, c, group, start)
	if err != nil {
		return err
	}
	filters := []struct {
		phase, pattern string
		want, runs     int
		target         time.Duration
	}{
		{"filter_term", "needle", want.term, c.runs, targetTermFilter},
		{"filter_rare_term", "zebra", want.rare, c.runs, targetTermFilter},
		{"filter_json", "{ $.status = 500 }", want.json, c.jsonRuns, 0},
	}
	for _, f := range filters {
		var secs []float64
		var pages, got int
		cpu0, self0 := serverCPU(c.serverPID), selfCPU()
		for range f.runs {
			rctx, cancel := context.WithTimeout(ctx, c.runTimeout)
			t0 := time.Now()
			got, pages, err = filter(rctx, client, group, f.pattern, start, end)
			d := time.Since(t0)
			cancel()
			if err != nil {
				return err
			}
			secs = append(secs, d.Seconds())
		}
		line := map[string]any{
			"phase": f.phase, "server": c.label, "pattern": f.pattern, "events_in_group": c.events,
			"window": window.String(), "runs": len(secs), "median_s": median(secs), "min_s": round(slices.Min(secs)),
			"max_s": round(slices.Max(secs)), "pages": pages, "matches": got, "matches_expected": f.want,
			"matches_ok": got == f.want, "server_rss_mb": rssMB(c.serverPID), "loadavg": loopback.LoadAvg(),
		}
		if c.serverPID > 0 {
			line["server_cpu_s_per_run"] = round((serverCPU(c.serverPID) - cpu0) / float64(len(secs)))
		}
		line["loadgen_cpu_s_per_run"] = round((selfCPU() - self0) / float64(len(secs)))
		if f.target > 0 {
			line["target_s"] = f.target.Seconds()
			line["target_met"] = got == f.want && median(secs) < f.target.Seconds()
		}
		emit(line)
	}
	return nil
}

// message is event i's text: a JSON access-log line; one in termEvery carries the word "needle",
// one in rareEvery the word "zebra", and one in jsonEvery has status 500.
func message(i int, c config) string {
	status, msg := 200, "served from origin"
	if i%c.termEvery == 0 {
		msg = "served from cache needle hit"
	}
	if i%c.rareEvery == 3%c.rareEvery {
		msg += " zebra"
	}
	if i%c.jsonEvery == 7%c.jsonEvery {
		status = 500
	}
	return fmt.Sprintf(`{"level":"info","req":%d,"path":"/api/items/%d","status":%d,"ms":%d,"msg":%q}`, i, i%9973, status, i%250, msg)
}

// expected is how many of the events put each filter must match.
type expected struct{ term, rare, json int }

// put writes c.events events spread evenly over [start, start+window) into c.streams streams, one
// goroutine per stream, and returns how many each filter must match.
func put(ctx context.Context, client *cloudwatchlogs.Client, c config, group string, start time.Time) (expected, error) {
	var want expected
	for i := range c.events {
		if i%c.termEvery == 0 {
			want.term++
		}
		if i%c.rareEvery == 3%c.rareEvery {
			want.rare++
		}
		if i%c.jsonEvery == 7%c.jsonEvery {
			want.json++
		}
	}
	step := float64(window.Milliseconds()) / float64(max(c.events, 1))
	cpu0 := serverCPU(c.serverPID)
	t0 := time.Now()
	errs := make([]error, c.streams)
	batches := make([]int, c.streams)
	var wg sync.WaitGroup
	for s := range c.streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stream := fmt.Sprintf("stream-%d", s)
			if _, err := client.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: &group, LogStreamName: &stream}); err != nil {
				errs[s] = fmt.Errorf("create log stream %s: %w", stream, err)
				return
			}
			var batch []types.InputLogEvent
			size := 0
			flush := func() error {
				if len(batch) == 0 {
					return nil
				}
				_, err := client.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: &group, LogStreamName: &stream, LogEvents: batch})
				if err != nil {
					return fmt.Errorf("put %d events into %s: %w", len(batch), stream, err)
				}
				batches[s]++
				batch, size = batch[:0:0], 0
				return nil
			}
			for i := s; i < c.events; i += c.streams {
				msg := message(i, c)
				if len(batch) == maxBatchEvents || size+len(msg)+eventOverhead > maxBatchBytes {
					if err := flush(); err != nil {
						errs[s] = err
						return
					}
				}
				ts := start.UnixMilli() + int64(float64(i)*step)
				batch = append(batch, types.InputLogEvent{Message: aws.String(msg), Timestamp: aws.Int64(ts)})
				size += len(msg) + eventOverhead
			}
			errs[s] = flush()
		}()
	}
	wg.Wait()
	secs := time.Since(t0).Seconds()
	for _, err := range errs {
		if err != nil {
			return expected{}, err
		}
	}
	total := 0
	for _, n := range batches {
		total += n
	}
	line := map[string]any{
		"phase": "put", "server": c.label, "events": c.events, "streams": c.streams, "batches": total,
		"seconds": round(secs), "events_per_s": round(float64(c.events) / secs),
		"term_events": want.term, "rare_term_events": want.rare, "json_events": want.json, "server_rss_mb": rssMB(c.serverPID), "loadavg": loopback.LoadAvg(),
	}
	if c.serverPID > 0 {
		line["server_cpu_s"] = round(serverCPU(c.serverPID) - cpu0)
		line["server_cpu_us_per_event"] = round((serverCPU(c.serverPID) - cpu0) * 1e6 / float64(max(c.events, 1)))
	}
	emit(line)
	return want, nil
}

// filter runs FilterLogEvents over [start, end] with pattern, following every nextToken, and
// returns the events matched and the pages read.
func filter(ctx context.Context, client *cloudwatchlogs.Client, group, pattern string, start, end time.Time) (int, int, error) {
	in := &cloudwatchlogs.FilterLogEventsInput{
		LogGroupName:  &group,
		FilterPattern: &pattern,
		StartTime:     aws.Int64(start.UnixMilli()),
		EndTime:       aws.Int64(end.UnixMilli()),
	}
	got := 0
	for pages := 1; pages <= maxPages; pages++ {
		out, err := client.FilterLogEvents(ctx, in)
		if err != nil {
			return 0, 0, fmt.Errorf("filter %q: %w", pattern, err)
		}
		got += len(out.Events)
		if out.NextToken == nil || *out.NextToken == "" {
			return got, pages, nil
		}
		in.NextToken = out.NextToken
	}
	return 0, 0, fmt.Errorf("filter %q: more than %d pages", pattern, maxPages)
}

func round(v float64) float64 { return float64(int64(v*1000+0.5)) / 1000 }

func median(vs []float64) float64 {
	s := slices.Clone(vs)
	slices.Sort(s)
	return round(s[len(s)/2])
}

func rssMB(pid int) float64 { return round(float64(loopback.RSS(pid)) / (1 << 20)) }

// selfCPU is the load generator's own user+system CPU time in seconds.
func selfCPU() float64 { return loopback.SelfCPU().Seconds() }

// serverCPU is the server's user+system CPU time in seconds (0 without a pid): the cost of a phase
// is its difference, which other load on the machine does not inflate as it does wall time.
func serverCPU(pid int) float64 {
	st, _ := loopback.ReadProcStat(pid)
	return st.CPU.Seconds()
}

func emit(v map[string]any) {
	line, _ := json.Marshal(v)
	fmt.Println(string(line))
}
