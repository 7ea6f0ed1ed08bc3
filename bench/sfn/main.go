// Command sfn is ceap's Step Functions load generator. Against any endpoint that speaks Step
// Functions (ceap, moto_server with execution enabled) it measures, for a state machine of five
// Pass states and a Choice: Standard executions completed end to end per second (started through
// the API from many clients, then polled until terminal, every output checked), Express
// StartSyncExecution calls per second, and the duration of an inline Map over 1,000 items. One
// JSON line per phase.
//
//	go run ./bench/sfn --endpoint http://127.0.0.1:4566 -standard 20000 -sync 50000
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/ceap/ceap/bench/internal/loopback"
)

const role = "arn:aws:iam::123456789012:role/bench"

// linear is five Pass states and a Choice.
const linear = `{"StartAt":"P1","States":{
 "P1":{"Type":"Pass","Result":1,"ResultPath":"$.a","Next":"P2"},
 "P2":{"Type":"Pass","Result":2,"ResultPath":"$.b","Next":"C"},
 "C":{"Type":"Choice","Choices":[{"Variable":"$.i","NumericGreaterThanEquals":0,"Next":"P3"}],"Default":"P3"},
 "P3":{"Type":"Pass","Result":3,"ResultPath":"$.c","Next":"P4"},
 "P4":{"Type":"Pass","Result":4,"ResultPath":"$.d","Next":"P5"},
 "P5":{"Type":"Pass","Result":5,"ResultPath":"$.e","End":true}}}`

const mapDef = `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":{
 "ProcessorConfig":{"Mode":"INLINE"},"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}}}`

func main() {
	endpoint := flag.String("endpoint", "http://127.0.0.1:4566", "Step Functions endpoint (loopback only)")
	standard := flag.Int("standard", 5000, "Standard executions (0 to skip)")
	syncCalls := flag.Int("sync", 20000, "Express StartSyncExecution calls (0 to skip)")
	mapRuns := flag.Int("map", 20, "inline Map runs over -map-items items (0 to skip)")
	mapItems := flag.Int("map-items", 1000, "items per Map")
	workers := flag.Int("c", 32, "concurrent clients")
	label := flag.String("label", "ceap", "label of the server in the output")
	pid := flag.Int("server-pid", 0, "server process id, to report its memory")
	timeout := flag.Duration("timeout", 20*time.Minute, "give up after this long")
	client := flag.String("client", "sdk", "client of the Standard and Express phases: sdk (aws-sdk-go-v2) or http (the same signed requests without the SDK's middleware)")
	flag.Parse()
	if err := loopback.Check(*endpoint); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	c := sfn.NewFromConfig(aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("bench", "bench", ""),
		BaseEndpoint:     endpoint,
		RetryMaxAttempts: 3,
		HTTPClient:       &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}},
		APIOptions:       []func(*middleware.Stack) error{noHostPrefix},
	})
	var api calls = sdkCalls{c}
	switch *client {
	case "sdk":
	case "http":
		api = newRawClient(*endpoint)
	default:
		fail("-client %q: want sdk or http", *client)
	}
	tag := fmt.Sprint(time.Now().UnixNano())
	if *standard > 0 {
		arn := create(ctx, c, "bench-std-"+tag, linear, types.StateMachineTypeStandard)
		runStandard(ctx, api, arn, *standard, *workers, *label+"/"+*client, *pid)
	}
	if *syncCalls > 0 {
		arn := create(ctx, c, "bench-exp-"+tag, linear, types.StateMachineTypeExpress)
		runSync(ctx, api, arn, *syncCalls, *workers, *label+"/"+*client, *pid)
	}
	if *mapRuns > 0 {
		runMap(ctx, c, tag, *mapRuns, *mapItems, *label)
	}
}

func create(ctx context.Context, c *sfn.Client, name, def string, typ types.StateMachineType) string {
	out, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String(name), Definition: aws.String(def), RoleArn: aws.String(role), Type: typ})
	if err != nil {
		fail("create %s: %v", name, err)
	}
	return *out.StateMachineArn
}

// calls are the operations of the Standard and Express phases, through the SDK or raw HTTP.
type calls interface {
	start(ctx context.Context, arn, name, input string) (string, error)
	describe(ctx context.Context, arn string) (*describeOutput, error)
	startSync(ctx context.Context, arn, input string) (*syncOutput, error)
}

type sdkCalls struct{ c *sfn.Client }

func (s sdkCalls) start(ctx context.Context, arn, name, input string) (string, error) {
	out, err := s.c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: &arn, Name: &name, Input: &input})
	if err != nil {
		return "", err
	}
	return *out.ExecutionArn, nil
}

func (s sdkCalls) describe(ctx context.Context, arn string) (*describeOutput, error) {
	d, err := s.c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: &arn})
	if err != nil {
		return nil, err
	}
	out := &describeOutput{Status: string(d.Status), Output: aws.ToString(d.Output), StartDate: seconds(d.StartDate)}
	out.StopDate = seconds(d.StopDate)
	return out, nil
}

func (s sdkCalls) startSync(ctx context.Context, arn, input string) (*syncOutput, error) {
	out, err := s.c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: &arn, Input: &input})
	if err != nil {
		return nil, err
	}
	return &syncOutput{Status: string(out.Status), Output: aws.ToString(out.Output)}, nil
}

func seconds(t *time.Time) float64 {
	if t == nil {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}

func runStandard(ctx context.Context, c calls, arn string, n, workers int, label string, pid int) {
	arns := make([]string, n)
	start := time.Now()
	parallel(n, workers, func(i int) {
		a, err := c.start(ctx, arn, fmt.Sprintf("e%d", i), fmt.Sprintf(`{"i":%d}`, i))
		if err != nil {
			fail("start: %v", err)
		}
		arns[i] = a
	})
	started := time.Since(start)
	// Poll every execution until it is terminal, checking its output.
	var bad atomic.Int64
	var durations []float64
	var mu sync.Mutex
	parallel(n, workers, func(i int) {
		for ctx.Err() == nil {
			d, err := c.describe(ctx, arns[i])
			if err != nil {
				fail("describe: %v", err)
			}
			if d.Status == string(types.ExecutionStatusRunning) {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			if d.Status != string(types.ExecutionStatusSucceeded) || !rightOutput(d.Output, i) {
				bad.Add(1)
			}
			mu.Lock()
			durations = append(durations, (d.StopDate-d.StartDate)*1000)
			mu.Unlock()
			return
		}
	})
	total := time.Since(start)
	emit(map[string]any{"server": label, "phase": "standard", "executions": n, "start_per_second": r1(float64(n) / started.Seconds()),
		"completed_per_second": r1(float64(n) / total.Seconds()), "seconds": r1(total.Seconds()), "wrong_outputs": bad.Load(),
		"p50_ms": r1(pct(durations, 50)), "p99_ms": r1(pct(durations, 99)), "rss_mb": r1(float64(loopback.RSS(pid)) / (1 << 20))})
}

func runSync(ctx context.Context, c calls, arn string, n, workers int, label string, pid int) {
	var bad atomic.Int64
	lat := make([]float64, n)
	start := time.Now()
	var unsupported atomic.Value // the first error: a server without StartSyncExecution answers every call with one
	parallel(n, workers, func(i int) {
		if unsupported.Load() != nil {
			return
		}
		t0 := time.Now()
		out, err := c.startSync(ctx, arn, fmt.Sprintf(`{"i":%d}`, i))
		lat[i] = time.Since(t0).Seconds() * 1000
		if err != nil {
			unsupported.CompareAndSwap(nil, err.Error())
			return
		}
		if out.Status != string(types.SyncExecutionStatusSucceeded) || !rightOutput(out.Output, i) {
			bad.Add(1)
		}
	})
	secs := time.Since(start).Seconds()
	if e := unsupported.Load(); e != nil {
		emit(map[string]any{"server": label, "phase": "express_sync", "unsupported": true, "error": e})
		return
	}
	emit(map[string]any{"server": label, "phase": "express_sync", "calls": n, "per_second": r1(float64(n) / secs), "wrong_outputs": bad.Load(),
		"p50_ms": r1(pct(lat, 50)), "p99_ms": r1(pct(lat, 99)), "rss_mb": r1(float64(loopback.RSS(pid)) / (1 << 20))})
}

func runMap(ctx context.Context, c *sfn.Client, tag string, runs, items int, label string) {
	input := `{"items":[` + strings.TrimSuffix(strings.Repeat(`{"v":1},`, items), ",") + `]}`
	for _, typ := range []types.StateMachineType{types.StateMachineTypeExpress, types.StateMachineTypeStandard} {
		arn := create(ctx, c, fmt.Sprintf("bench-map-%s-%s", strings.ToLower(string(typ)), tag), mapDef, typ)
		var ms []float64
		for i := 0; i < runs; i++ {
			t0 := time.Now()
			if typ == types.StateMachineTypeExpress {
				out, err := c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: &arn, Input: &input})
				if err != nil {
					emit(map[string]any{"server": label, "phase": "map_express", "error": err.Error()})
					break
				}
				if out.Status != types.SyncExecutionStatusSucceeded {
					fail("map run %s", out.Status)
				}
				ms = append(ms, time.Since(t0).Seconds()*1000)
				continue
			}
			out, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: &arn, Input: &input, Name: aws.String(fmt.Sprintf("m%d", i))})
			if err != nil {
				fail("start map: %v", err)
			}
			for {
				d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: out.ExecutionArn})
				if err != nil {
					fail("describe map: %v", err)
				}
				if d.Status != types.ExecutionStatusRunning {
					if d.Status != types.ExecutionStatusSucceeded {
						fail("map run %s", d.Status)
					}
					ms = append(ms, d.StopDate.Sub(*d.StartDate).Seconds()*1000)
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		if len(ms) > 0 {
			emit(map[string]any{"server": label, "phase": "map_" + strings.ToLower(string(typ)), "items": items, "runs": len(ms), "p50_ms": r1(pct(ms, 50)), "max_ms": r1(pct(ms, 100))})
		}
	}
}

func parallel(n, workers int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// rightOutput says whether out is the linear machine's output for input {"i":i}:
// {"a":1,"b":2,"c":3,"d":4,"e":5,"i":i}. It decodes into a flat map, cheaply: the checker shares
// the machine with the server.
func rightOutput(out string, i int) bool {
	var m map[string]float64
	if json.Unmarshal([]byte(out), &m) != nil || len(m) != 6 {
		return false
	}
	return m["a"] == 1 && m["b"] == 2 && m["c"] == 3 && m["d"] == 4 && m["e"] == 5 && m["i"] == float64(i)
}

func pct(v []float64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	k := int(p/100*float64(len(s)-1) + 0.5)
	return s[k]
}

func r1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }

func emit(v map[string]any) {
	b, _ := json.Marshal(v)
	fmt.Println(string(b))
}

func noHostPrefix(s *middleware.Stack) error {
	return s.Initialize.Add(middleware.InitializeMiddlewareFunc("noHostPrefix",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
		}), middleware.Before)
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench/sfn: "+format+"\n", args...)
	os.Exit(1)
}
