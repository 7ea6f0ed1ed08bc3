// Command lambda is ceap's Lambda load generator. It builds the Go function in bench/lambda/fn
// with aws-lambda-go, zips it, creates it (runtime provided.al2023) through the Lambda API and
// measures three things, one JSON line each:
//
//   - warm_invoke: sequential RequestResponse invokes of a warm function with a tiny payload; the
//     round trip minus the handler's own time (which the function returns in its payload) is the
//     overhead ceap adds (target: under 1 ms median);
//   - throughput: invokes per second with a fixed number of concurrent clients, each served by its
//     own warm environment (target: at least 2,000/s with 8);
//   - cold_start: the first invoke of a freshly created function, next to the time the same
//     bootstrap binary takes to start and exit on its own (target: under 50 ms more).
//
// The warm and throughput phases run once per client named by -client: "http" sends the same
// signed requests as the SDK without its middleware (cheap, so that the load generator leaves
// the shared cores to ceap and the functions), "sdk" uses aws-sdk-go-v2. Each line reports the
// CPU milliseconds per invoke of the server, of its function processes and of the load generator
// (cpu_ms_per_invoke), measured from /proc over the phase.
//
// It only ever talks to a loopback endpoint, and every loop is bounded in count and in time.
//
//	go run ./bench/lambda --endpoint http://127.0.0.1:4566 --server-pid <pid>
package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/ceap/ceap/bench/internal/loopback"
)

// Targets from the Speed section of the functions issue.
const (
	targetWarmOverheadMs = 1.0
	targetInvokesPerSec  = 2000.0
	targetColdExtraMs    = 50.0
)

type config struct {
	warmN       int
	warmTime    time.Duration
	conc        int
	tpN         int
	tpTime      time.Duration
	coldN       int
	src         string
	label       string
	serverPID   int
	activeLimit time.Duration
	clients     []string
}

func main() {
	endpoint := flag.String("endpoint", "http://127.0.0.1:4566", "Lambda endpoint (loopback only)")
	var c config
	flag.IntVar(&c.warmN, "warm", 2000, "sequential warm invokes")
	flag.DurationVar(&c.warmTime, "warm-time", 60*time.Second, "stop the warm phase after this long")
	flag.IntVar(&c.conc, "c", 8, "concurrent clients (and reserved concurrency) in the throughput phase")
	flag.IntVar(&c.tpN, "n", 40000, "invokes in the throughput phase")
	flag.DurationVar(&c.tpTime, "tp-time", 20*time.Second, "stop the throughput phase after this long")
	flag.IntVar(&c.coldN, "cold", 15, "freshly created functions to cold-start (each after a start of the bootstrap alone)")
	flag.StringVar(&c.src, "src", "./bench/lambda/fn", "package of the function to build")
	flag.StringVar(&c.label, "label", "ceap", "label of the server in the output")
	flag.IntVar(&c.serverPID, "server-pid", 0, "server process id, to report its memory")
	flag.DurationVar(&c.activeLimit, "active-timeout", 30*time.Second, "how long a new function may stay Pending")
	clients := flag.String("client", "http,sdk", "clients of the warm and throughput phases, in order: http (signed requests without the SDK), sdk (aws-sdk-go-v2)")
	timeout := flag.Duration("timeout", 10*time.Minute, "give up after this long")
	flag.Parse()
	for _, cl := range strings.Split(*clients, ",") {
		if cl != "http" && cl != "sdk" {
			fmt.Fprintf(os.Stderr, "-client %q: want http, sdk or both\n", cl)
			os.Exit(2)
		}
		c.clients = append(c.clients, cl)
	}
	if err := loopback.Check(*endpoint); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := run(ctx, *endpoint, c); err != nil {
		fmt.Fprintln(os.Stderr, "lambda bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, endpoint string, c config) error {
	client := lambda.NewFromConfig(aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("bench", "bench", ""),
		BaseEndpoint:     &endpoint,
		RetryMaxAttempts: 1, // a throttle or error is counted, never hidden by a retry
		HTTPClient:       &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}},
	})
	dir, err := os.MkdirTemp("", "ceap-bench-lambda")
	if err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	bootstrap, zipped, err := buildFunction(ctx, c.src, dir)
	if err != nil {
		return err
	}
	b := &bench{client: client, raw: newRawClient(endpoint), endpoint: endpoint, zip: zipped, cfg: c, prefix: fmt.Sprintf("bench-%d", time.Now().UnixNano())}
	defer b.cleanup()
	for _, cl := range c.clients {
		b.mode = cl
		if err := b.warm(ctx); err != nil {
			return err
		}
		if err := b.throughput(ctx); err != nil {
			return err
		}
	}
	return b.cold(ctx, bootstrap)
}

// buildFunction compiles the function for Linux as a static `bootstrap` and zips it.
func buildFunction(ctx context.Context, src, dir string) (string, []byte, error) {
	bin := filepath.Join(dir, "bootstrap")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, src)
	cmd.Env = append(os.Environ(), "GOOS=linux", "CGO_ENABLED=0")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", nil, fmt.Errorf("build function %s: %w", src, err)
	}
	code, err := os.ReadFile(bin)
	if err != nil {
		return "", nil, fmt.Errorf("read bootstrap: %w", err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return "", nil, fmt.Errorf("zip bootstrap: %w", err)
	}
	if _, err := w.Write(code); err != nil {
		return "", nil, fmt.Errorf("zip bootstrap: %w", err)
	}
	if err := zw.Close(); err != nil {
		return "", nil, fmt.Errorf("zip bootstrap: %w", err)
	}
	return bin, buf.Bytes(), nil
}

type bench struct {
	client *lambda.Client
	raw    *rawClient
	// mode is the client of the phase that runs: "http" (raw) or "sdk".
	mode     string
	endpoint string
	zip      []byte
	cfg      config
	prefix   string
	created  []string
}

// create makes a function from the built zip, sets its reserved concurrency when reserved > 0,
// and waits (bounded) until it is Active.
func (b *bench) create(ctx context.Context, suffix string, reserved int32) (string, error) {
	name := b.prefix + "-" + suffix
	if b.mode != "" {
		name += "-" + b.mode
	}
	_, err := b.client.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: &name,
		Runtime:      types.RuntimeProvidedal2023,
		Handler:      aws.String("bootstrap"),
		Role:         aws.String("arn:aws:iam::000000000000:role/bench"),
		Code:         &types.FunctionCode{ZipFile: b.zip},
		MemorySize:   aws.Int32(128),
		Timeout:      aws.Int32(10),
	})
	if err != nil {
		return "", fmt.Errorf("create function %s: %w", name, err)
	}
	b.created = append(b.created, name)
	if reserved > 0 {
		if _, err := b.client.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: &name, ReservedConcurrentExecutions: &reserved}); err != nil {
			return "", fmt.Errorf("reserve concurrency of %s: %w", name, err)
		}
	}
	deadline := time.Now().Add(b.cfg.activeLimit)
	for {
		out, err := b.client.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: &name})
		if err != nil {
			return "", fmt.Errorf("get function %s: %w", name, err)
		}
		if out.State == types.StateActive {
			return name, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("function %s still %s after %s", name, out.State, b.cfg.activeLimit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (b *bench) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, name := range b.created {
		_, _ = b.client.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: &name})
	}
}

var errFunction = errors.New("function error")

// invoke calls name once and returns the round trip and the handler's own time.
func (b *bench) invoke(ctx context.Context, name string, payload []byte) (rtt, own time.Duration, err error) {
	start := time.Now()
	var body []byte
	var fnErr string
	if b.mode == "http" {
		body, fnErr, err = b.raw.invoke(ctx, name, payload)
	} else {
		var out *lambda.InvokeOutput
		out, err = b.client.Invoke(ctx, &lambda.InvokeInput{FunctionName: &name, Payload: payload})
		if err == nil {
			body, fnErr = out.Payload, aws.ToString(out.FunctionError)
		}
	}
	rtt = time.Since(start)
	if err != nil {
		return rtt, 0, fmt.Errorf("invoke %s: %w", name, err)
	}
	if fnErr != "" {
		return rtt, 0, fmt.Errorf("invoke %s: %w: %s: %s", name, errFunction, fnErr, body)
	}
	var r struct{ Start, End int64 }
	if err := json.Unmarshal(body, &r); err != nil {
		return rtt, 0, fmt.Errorf("invoke %s: payload %q: %w", name, body, err)
	}
	return rtt, time.Duration(r.End - r.Start), nil
}

var tinyPayload = []byte(`{"k":"v"}`)

func (b *bench) warm(ctx context.Context) error {
	name, err := b.create(ctx, "warm", 0)
	if err != nil {
		return err
	}
	for range 20 { // start the environment and let both sides settle
		if _, _, err := b.invoke(ctx, name, tinyPayload); err != nil {
			return err
		}
	}
	var rtts, owns, over []float64
	cpu0 := readCPU(b.cfg.serverPID)
	deadline := time.Now().Add(b.cfg.warmTime)
	for i := 0; i < b.cfg.warmN && time.Now().Before(deadline); i++ {
		rtt, own, err := b.invoke(ctx, name, tinyPayload)
		if err != nil {
			return err
		}
		rtts = append(rtts, ms(rtt))
		owns = append(owns, ms(own))
		over = append(over, ms(rtt-own))
	}
	cpu1 := readCPU(b.cfg.serverPID)
	floor, err := b.healthFloor(ctx, len(rtts))
	if err != nil {
		return err
	}
	emit(map[string]any{
		"phase": "warm_invoke", "server": b.cfg.label, "client": b.mode, "invokes": len(rtts),
		"cpu_ms_per_invoke":    perInvoke(cpu0, cpu1, len(rtts)),
		"health_get_median_ms": pct(floor, 50),
		"rtt_median_ms":        pct(rtts, 50), "rtt_p99_ms": pct(rtts, 99),
		"function_median_ms": pct(owns, 50),
		"overhead_median_ms": pct(over, 50), "overhead_p99_ms": pct(over, 99),
		"target_overhead_median_ms": targetWarmOverheadMs, "target_met": pct(over, 50) < targetWarmOverheadMs,
		"server_rss_mb": rssMB(b.cfg.serverPID), "loadavg": loopback.LoadAvg(),
	})
	return nil
}

// healthFloor times n sequential GETs of ceap's health endpoint: the loopback HTTP round trip on
// this machine at this moment, which every invoke pays before ceap does any Lambda work.
func (b *bench) healthFloor(ctx context.Context, n int) ([]float64, error) {
	hc := &http.Client{}
	var out []float64
	for range n {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.endpoint+"/_ceap/health", nil)
		if err != nil {
			return nil, fmt.Errorf("health request: %w", err)
		}
		start := time.Now()
		resp, err := hc.Do(req)
		if err != nil {
			return nil, fmt.Errorf("health: %w", err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		out = append(out, ms(time.Since(start)))
	}
	return out, nil
}

func (b *bench) throughput(ctx context.Context) error {
	name, err := b.create(ctx, "throughput", int32(b.cfg.conc))
	if err != nil {
		return err
	}
	// Warm every environment: the clients call together, so each needs its own.
	if _, _, err := b.parallel(ctx, name, b.cfg.conc*20, time.Minute); err != nil {
		return err
	}
	cpu0 := readCPU(b.cfg.serverPID)
	start := time.Now()
	done, errs, err := b.parallel(ctx, name, b.cfg.tpN, b.cfg.tpTime)
	secs := time.Since(start).Seconds()
	cpu1 := readCPU(b.cfg.serverPID)
	if err != nil {
		return err
	}
	rate := float64(done) / secs
	emit(map[string]any{
		"phase": "throughput", "server": b.cfg.label, "client": b.mode, "clients": b.cfg.conc, "reserved_concurrency": b.cfg.conc,
		"cpu_ms_per_invoke": perInvoke(cpu0, cpu1, done+errs),
		"invokes":           done, "errors": errs, "seconds": round(secs), "invokes_per_s": round(rate),
		"target_invokes_per_s": targetInvokesPerSec, "target_met": errs == 0 && rate >= targetInvokesPerSec,
		"server_rss_mb": rssMB(b.cfg.serverPID), "loadavg": loopback.LoadAvg(),
	})
	return nil
}

// parallel invokes name up to n times from cfg.conc clients, for at most limit. It returns the
// invokes that succeeded and those that failed; a failure that is not a throttle stops the run.
func (b *bench) parallel(ctx context.Context, name string, n int, limit time.Duration) (int, int, error) {
	var next, ok, failed atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	deadline := time.Now().Add(limit)
	for range b.cfg.conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) && time.Now().Before(deadline) {
				if _, _, err := b.invoke(ctx, name, tinyPayload); err != nil {
					failed.Add(1)
					var tooMany *types.TooManyRequestsException
					var rawTooMany *rawThrottled
					if !errors.As(err, &tooMany) && !errors.As(err, &rawTooMany) {
						once.Do(func() { firstErr = err })
						return
					}
					continue
				}
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	return int(ok.Load()), int(failed.Load()), firstErr
}

var initDuration = regexp.MustCompile(`Init Duration: ([0-9.]+) ms`)

func (b *bench) cold(ctx context.Context, bootstrap string) error {
	stub, err := newRuntimeStub()
	if err != nil {
		return err
	}
	defer stub.close()
	// The bootstrap alone and the cold invokes alternate, so both see the same machine load.
	var starts, firsts, inits []float64
	for i := range b.cfg.coldN {
		alone, err := stub.startOnce(ctx, bootstrap)
		if err != nil {
			return err
		}
		starts = append(starts, ms(alone))
		name, err := b.create(ctx, "cold-"+strconv.Itoa(i), 0)
		if err != nil {
			return err
		}
		start := time.Now()
		out, err := b.client.Invoke(ctx, &lambda.InvokeInput{FunctionName: &name, Payload: tinyPayload, LogType: types.LogTypeTail})
		first := time.Since(start)
		if err != nil {
			return fmt.Errorf("cold invoke %s: %w", name, err)
		}
		if out.FunctionError != nil {
			return fmt.Errorf("cold invoke %s: %w: %s", name, errFunction, *out.FunctionError)
		}
		firsts = append(firsts, ms(first))
		if out.LogResult != nil {
			tail, _ := base64.StdEncoding.DecodeString(*out.LogResult)
			if m := initDuration.FindSubmatch(tail); m != nil {
				v, _ := strconv.ParseFloat(string(m[1]), 64)
				inits = append(inits, v)
			}
		}
	}
	extra := pct(firsts, 50) - pct(starts, 50)
	emit(map[string]any{
		"phase": "cold_start", "server": b.cfg.label, "functions": len(firsts),
		"first_invoke_median_ms": pct(firsts, 50), "first_invoke_max_ms": pct(firsts, 100),
		"report_init_duration_median_ms": pct(inits, 50),
		"bootstrap_alone_median_ms":      pct(starts, 50),
		"extra_median_ms":                round(extra), "target_extra_ms": targetColdExtraMs, "target_met": extra < targetColdExtraMs,
		"server_rss_mb": rssMB(b.cfg.serverPID), "loadavg": loopback.LoadAvg(),
	})
	return nil
}

// runtimeStub is a minimal Runtime API served by the benchmark itself: it hands out one event per
// /next and reports each response, so the bootstrap can be timed with no ceap involved.
type runtimeStub struct {
	addr      string
	srv       *http.Server
	responded chan struct{}
	mu        sync.Mutex
	served    bool // this start's one event is handed out; later /next calls wait
}

func newRuntimeStub() (*runtimeStub, error) {
	st := &runtimeStub{responded: make(chan struct{}, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		st.mu.Lock()
		again := st.served
		st.served = true
		st.mu.Unlock()
		if again {
			<-r.Context().Done() // until the process is killed
			return
		}
		w.Header().Set("Lambda-Runtime-Aws-Request-Id", "start-probe")
		w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(time.Minute).UnixMilli(), 10))
		w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:start-probe")
		_, _ = w.Write(tinyPayload)
	})
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		select {
		case st.responded <- struct{}{}:
		default:
		}
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("runtime API stub: %w", err)
	}
	st.addr = l.Addr().String()
	st.srv = &http.Server{Handler: mux}
	go func() { _ = st.srv.Serve(l) }()
	return st, nil
}

func (st *runtimeStub) close() { _ = st.srv.Close() }

// startOnce execs the bootstrap against the stub and waits (at most 10 s) for its response to the
// first event: the binary's own start plus one bare invocation. The process is then killed.
func (st *runtimeStub) startOnce(ctx context.Context, bin string) (time.Duration, error) {
	st.mu.Lock()
	st.served = false
	st.mu.Unlock()
	select { // a response left over from an earlier start
	case <-st.responded:
	default:
	}
	cmd := exec.Command(bin)
	cmd.Env = []string{"AWS_LAMBDA_RUNTIME_API=" + st.addr, "PATH=/usr/bin:/bin"}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start bootstrap: %w", err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	select {
	case <-st.responded:
		return time.Since(start), nil
	case <-time.After(10 * time.Second):
		return 0, errors.New("bootstrap gave no response within 10 s")
	case <-ctx.Done():
		return 0, fmt.Errorf("bootstrap start: %w", ctx.Err())
	}
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

func round(v float64) float64 { return float64(int64(v*1000+0.5)) / 1000 }

// pct returns the p-th percentile (nearest rank) of vs, rounded to microseconds.
func pct(vs []float64, p float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	i := int(p/100*float64(len(s))+0.5) - 1
	i = max(0, min(i, len(s)-1))
	return round(s[i])
}

func rssMB(pid int) float64 { return round(float64(loopback.RSS(pid)) / (1 << 20)) }

func emit(v map[string]any) {
	line, _ := json.Marshal(v)
	fmt.Println(string(line))
}
