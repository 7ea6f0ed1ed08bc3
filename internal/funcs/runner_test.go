package funcs

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ceap/ceap/internal/awserr"
)

// goFunctionZip is the zipped bootstrap of testdata/gofunc, built once by TestMain.
var goFunctionZip []byte

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "funcs-test")
	if err != nil {
		panic(err)
	}
	bin := filepath.Join(dir, "bootstrap")
	cmd := exec.Command("go", "build", "-o", bin, "./testdata/gofunc")
	if out, err := cmd.CombinedOutput(); err != nil {
		panic("build testdata/gofunc: " + err.Error() + "\n" + string(out))
	}
	body, err := os.ReadFile(bin)
	if err != nil {
		panic(err)
	}
	goFunctionZip = zipFiles(map[string]zipEntry{"bootstrap": {body: body, mode: 0o755}})
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

type zipEntry struct {
	body []byte
	mode os.FileMode
}

func zipFiles(files map[string]zipEntry) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, f := range files {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		h.SetMode(f.mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			panic(err)
		}
		if _, err := w.Write(f.body); err != nil {
			panic(err)
		}
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// logSink collects what environments write, by stream.
type logSink struct {
	mu    sync.Mutex
	lines []string
	group string
}

func (s *logSink) put(_, group, _ string, lines []LogLine) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.group = group
	for _, l := range lines {
		s.lines = append(s.lines, l.Message)
	}
}

func (s *logSink) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lines...)
}

type fixture struct {
	runner *Runner
	sink   *logSink
	dir    string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	sink := &logSink{}
	r := NewRunner(RunnerConfig{Dir: filepath.Join(dir, "runtimes"), Endpoint: "http://127.0.0.1:4566", Sink: sink.put})
	t.Cleanup(r.Stop)
	return &fixture{runner: r, sink: sink, dir: dir}
}

func (f *fixture) spec(t *testing.T, name, runtime, handler string, code []byte) *Spec {
	t.Helper()
	codeDir := filepath.Join(f.dir, "code", name)
	if err := unzipCode(code, codeDir); err != nil {
		t.Fatalf("unzip: %v", err)
	}
	return &Spec{
		Account: "000000000000", Region: "us-east-1", Name: name, Version: "$LATEST",
		ARN:     "arn:aws:lambda:us-east-1:000000000000:function:" + name,
		Runtime: runtime, Handler: handler, CodeDir: codeDir, Timeout: 3 * time.Second, MemoryMB: 128,
		Environment: map[string]string{"STAGE": "test"}, Revision: "1",
	}
}

func unlimited() Limits {
	return Limits{Unreserved: DefaultAccountConcurrency - MinUnreservedConcurrency}
}

func invoke(t *testing.T, f *fixture, spec *Spec, payload string) *Result {
	t.Helper()
	res, err := f.runner.Invoke(context.Background(), spec, unlimited(), NewRequestID(), []byte(payload))
	if err != nil {
		t.Fatalf("Invoke(%s): %v", payload, err)
	}
	return res
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
	return m
}

func TestGoFunctionWarmReuseAndLogs(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	spec := f.spec(t, "echo", "provided.al2023", "bootstrap", goFunctionZip)

	first := invoke(t, f, spec, `{"op":"echo","value":"hi"}`)
	if first.FunctionError != "" || !first.Cold {
		t.Fatalf("first invoke: error %q cold %v, payload %s", first.FunctionError, first.Cold, first.Payload)
	}
	got := decode(t, first.Payload)
	if got["value"] != "hi" || got["requestId"] != first.RequestID || got["arn"] != spec.ARN {
		t.Fatalf("payload = %v", got)
	}
	if rem := got["remainingMs"].(float64); rem <= 0 || rem > 3000 {
		t.Fatalf("remaining time %v, want within the 3 s timeout", rem)
	}
	second := invoke(t, f, spec, `{"op":"print","value":"x"}`)
	if second.Cold || decode(t, second.Payload)["pid"] != got["pid"] {
		t.Fatalf("second invoke did not reuse the warm environment")
	}
	for _, want := range []string{"START RequestId: " + second.RequestID, "hello from " + second.RequestID, "to stderr X", "END RequestId: " + second.RequestID, "REPORT RequestId: " + second.RequestID} {
		if !strings.Contains(second.LogTail, want) {
			t.Fatalf("tail %q lacks %q", second.LogTail, want)
		}
	}
	lines := f.sink.all()
	idx := func(prefix string) int {
		for i, l := range lines {
			if strings.HasPrefix(l, prefix) {
				return i
			}
		}
		t.Fatalf("log lacks %q: %q", prefix, lines)
		return -1
	}
	if !(idx("START RequestId: "+second.RequestID) < idx("hello from") && idx("hello from") < idx("END RequestId: "+second.RequestID) &&
		idx("END RequestId: "+second.RequestID) < idx("REPORT RequestId: "+second.RequestID)) {
		t.Fatalf("log lines out of order: %q", lines)
	}
	if !strings.Contains(lines[idx("REPORT RequestId: "+first.RequestID)], "Init Duration:") ||
		strings.Contains(lines[idx("REPORT RequestId: "+second.RequestID)], "Init Duration:") {
		t.Fatalf("Init Duration must appear on the cold start only: %q", lines)
	}
	if f.sink.group != "/aws/lambda/echo" {
		t.Fatalf("group = %q", f.sink.group)
	}
}

func TestGoFunctionEnvironmentIsAWSOnly(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	spec := f.spec(t, "env", "provided.al2", "bootstrap", goFunctionZip)
	res := invoke(t, f, spec, `{"op":"env"}`)
	env := map[string]string{}
	for _, kv := range decode(t, res.Payload)["env"].([]any) {
		k, v, _ := strings.Cut(kv.(string), "=")
		env[k] = v
	}
	want := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME": "env", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128", "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/env",
		"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "_HANDLER": "bootstrap",
		"TZ": ":UTC", "AWS_ENDPOINT_URL": "http://127.0.0.1:4566", "STAGE": "test", "LAMBDA_TASK_ROOT": spec.CodeDir,
		"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "GOMAXPROCS": "1",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
	if !strings.HasPrefix(env["AWS_LAMBDA_RUNTIME_API"], "127.0.0.1:") {
		t.Errorf("AWS_LAMBDA_RUNTIME_API = %q", env["AWS_LAMBDA_RUNTIME_API"])
	}
	if !strings.Contains(env["AWS_LAMBDA_LOG_STREAM_NAME"], "/[$LATEST]") {
		t.Errorf("AWS_LAMBDA_LOG_STREAM_NAME = %q", env["AWS_LAMBDA_LOG_STREAM_NAME"])
	}
	for k := range env {
		if _, inherited := os.LookupEnv(k); inherited && k != "PATH" && k != "LANG" && k != "TZ" && want[k] == "" {
			t.Errorf("function sees %s from ceap's own environment", k)
		}
	}
}

// TestGoFunctionCPUsFollowMemory checks that a custom runtime gets Lambda's CPU share as
// GOMAXPROCS (one CPU per 1,769 MB, at least one, at most the machine's) and that a function
// setting GOMAXPROCS itself keeps its own value.
func TestGoFunctionCPUsFollowMemory(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ mb, machine, want int }{
		{128, 2, 1}, {1769, 2, 1}, {1770, 2, 2}, {3008, 8, 2}, {10240, 8, 6}, {10240, 2, 2}, {128, 1, 1},
	} {
		if got := vcpus(c.mb, c.machine); got != c.want {
			t.Errorf("vcpus(%d MB, %d CPUs) = %d, want %d", c.mb, c.machine, got, c.want)
		}
	}
	f := newFixture(t)
	spec := f.spec(t, "procs", "provided.al2023", "bootstrap", goFunctionZip)
	spec.Environment["GOMAXPROCS"] = "3"
	res := invoke(t, f, spec, `{"op":"env"}`)
	var got []string
	for _, kv := range decode(t, res.Payload)["env"].([]any) {
		if strings.HasPrefix(kv.(string), "GOMAXPROCS=") {
			got = append(got, kv.(string))
		}
	}
	if len(got) != 1 || got[0] != "GOMAXPROCS=3" {
		t.Fatalf("function with GOMAXPROCS=3 sees %v", got)
	}
}

func TestGoFunctionErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	spec := f.spec(t, "fail", "provided.al2023", "bootstrap", goFunctionZip)
	res := invoke(t, f, spec, `{"op":"fail","value":"bad input"}`)
	if res.FunctionError != "Unhandled" {
		t.Fatalf("FunctionError = %q", res.FunctionError)
	}
	doc := decode(t, res.Payload)
	if doc["errorType"] != "injectedFailure" || doc["errorMessage"] != "stage failed: bad input" {
		t.Fatalf("error payload = %s", res.Payload)
	}
	// The environment survives a handled error.
	ok := invoke(t, f, spec, `{"op":"echo","value":"again"}`)
	if ok.Cold || ok.FunctionError != "" {
		t.Fatalf("after an error: cold %v error %q", ok.Cold, ok.FunctionError)
	}

	exit := invoke(t, f, spec, `{"op":"exit"}`)
	doc = decode(t, exit.Payload)
	if exit.FunctionError != "Unhandled" || doc["errorType"] != "Runtime.ExitError" ||
		!strings.Contains(doc["errorMessage"].(string), "Runtime exited with error: exit status 3") {
		t.Fatalf("exit payload = %s", exit.Payload)
	}
	after := invoke(t, f, spec, `{"op":"echo"}`)
	if !after.Cold || after.FunctionError != "" {
		t.Fatalf("after an exit the next invoke must start a new environment: cold %v error %q", after.Cold, after.FunctionError)
	}
}

func TestGoFunctionTimeout(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	spec := f.spec(t, "slow", "provided.al2023", "bootstrap", goFunctionZip)
	spec.Timeout = time.Second
	start := time.Now()
	res := invoke(t, f, spec, `{"op":"sleep","ms":5000}`)
	if took := time.Since(start); took > 6*time.Second {
		t.Fatalf("timeout took %v", took)
	}
	doc := decode(t, res.Payload)
	if res.FunctionError != "Unhandled" || doc["errorType"] != "Sandbox.Timedout" ||
		!strings.HasSuffix(doc["errorMessage"].(string), "Task timed out after 1.00 seconds") {
		t.Fatalf("timeout payload = %s", res.Payload)
	}
	if !strings.Contains(res.LogTail, res.RequestID+" Task timed out after 1.00 seconds") || !strings.Contains(res.LogTail, "Status: timeout") {
		t.Fatalf("tail = %q", res.LogTail)
	}
	next := invoke(t, f, spec, `{"op":"echo"}`)
	if !next.Cold || next.FunctionError != "" {
		t.Fatalf("after a timeout the environment must be replaced: cold %v error %q", next.Cold, next.FunctionError)
	}
}

func TestReservedConcurrencyThrottles(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	spec := f.spec(t, "busy", "provided.al2023", "bootstrap", goFunctionZip)
	one := 1
	lim := Limits{Reserved: &one, Unreserved: 900}
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		close(started)
		_, err := f.runner.Invoke(context.Background(), spec, lim, NewRequestID(), []byte(`{"op":"sleep","ms":1500}`))
		done <- err
	}()
	<-started
	deadline := time.Now().Add(5 * time.Second)
	for f.runner.Concurrency(spec.Account, spec.Name) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("first invocation never started")
		}
		time.Sleep(5 * time.Millisecond)
	}
	_, err := f.runner.Invoke(context.Background(), spec, lim, NewRequestID(), []byte(`{"op":"echo"}`))
	ae, ok := awserr.As(err)
	if !ok || ae.Code != "TooManyRequestsException" || ae.HTTPStatus() != 429 || ae.Fields["Reason"] != ReasonReservedLimit {
		t.Fatalf("second invoke error = %v, want 429 TooManyRequestsException (%s)", err, ReasonReservedLimit)
	}
	zero := 0
	_, err = f.runner.Invoke(context.Background(), spec, Limits{Reserved: &zero}, NewRequestID(), []byte(`{}`))
	if ae, ok := awserr.As(err); !ok || ae.Code != "TooManyRequestsException" {
		t.Fatalf("reserved 0 must throttle, got %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("first invoke: %v", err)
	}
	_, err = f.runner.Invoke(context.Background(), spec, Limits{Unreserved: 0}, NewRequestID(), []byte(`{}`))
	if ae, ok := awserr.As(err); !ok || ae.Fields["Reason"] != ReasonAccountLimit {
		t.Fatalf("no unreserved concurrency must throttle with %s, got %v", ReasonAccountLimit, err)
	}
}

func TestIdleEnvironmentsAreReaped(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	spec := f.spec(t, "idle", "provided.al2023", "bootstrap", goFunctionZip)
	invoke(t, f, spec, `{"op":"echo"}`)
	if n := f.runner.reap(); n != 0 {
		t.Fatalf("reaped %d fresh environments", n)
	}
	f.runner.cfg.IdleTimeout = time.Nanosecond
	if n := f.runner.reap(); n != 1 {
		t.Fatalf("reaped %d, want 1", n)
	}
	if res := invoke(t, f, spec, `{"op":"echo"}`); !res.Cold {
		t.Fatal("invoke after reaping must be cold")
	}
}

func TestRevisionChangeReplacesEnvironments(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	spec := f.spec(t, "rev", "provided.al2023", "bootstrap", goFunctionZip)
	invoke(t, f, spec, `{"op":"echo"}`)
	changed := *spec
	changed.Revision = "2"
	if res := invoke(t, f, &changed, `{"op":"echo"}`); !res.Cold {
		t.Fatal("a new revision must not reuse an old environment")
	}
}

func TestContextCancelStopsInvocation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	spec := f.spec(t, "cancel", "provided.al2023", "bootstrap", goFunctionZip)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := f.runner.Invoke(ctx, spec, unlimited(), NewRequestID(), []byte(`{"op":"sleep","ms":3000}`))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	if n := f.runner.Concurrency(spec.Account, spec.Name); n != 0 {
		t.Fatalf("concurrency after cancel = %d", n)
	}
}

func FuzzParseName(f *testing.F) {
	for _, s := range []string{"fn", "fn:live", "123456789012:function:fn", "arn:aws:lambda:us-east-1:123456789012:function:fn:3", "a:b:c:d:e", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		account, name, qualifier, err := ParseName(in)
		if err != nil {
			if _, ok := awserr.As(err); !ok {
				t.Fatalf("ParseName(%q) error %T is not client-visible", in, err)
			}
			return
		}
		if name == "" || len(name) > MaxNameLength || strings.ContainsAny(name, ":/") {
			t.Fatalf("ParseName(%q) accepted name %q", in, name)
		}
		if !strings.Contains(in, name) || (qualifier != "" && !strings.HasSuffix(in, ":"+qualifier)) || (account != "" && !strings.Contains(in, account+":function:")) {
			t.Fatalf("ParseName(%q) = %q %q %q, not parts of the input", in, account, name, qualifier)
		}
	})
}

func TestMissingBootstrapIsInvalidEntrypoint(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	spec := f.spec(t, "nobootstrap", "provided.al2023", "bootstrap", zipFiles(map[string]zipEntry{"main.sh": {body: []byte("#!/bin/sh\n"), mode: 0o755}}))
	res := invoke(t, f, spec, `{}`)
	doc := decode(t, res.Payload)
	if res.FunctionError != "Unhandled" || doc["errorType"] != "Runtime.InvalidEntrypoint" {
		t.Fatalf("payload = %s", res.Payload)
	}
	if n := f.runner.Concurrency(spec.Account, spec.Name); n != 0 {
		t.Fatalf("concurrency after a failed start = %d", n)
	}
}

func TestMemorySizeIsEnforced(t *testing.T) {
	t.Parallel()
	if reason := noMemoryController(); reason != "" {
		t.Skip("this machine has no writable cgroup memory controller, so MemorySize cannot be enforced here: " + reason)
	}
	f := newFixture(t)
	if f.runner.MemoryEnforced() == "" {
		t.Fatal("the machine has a writable memory controller but the runner does not enforce MemorySize")
	}
	spec := f.spec(t, "hungry", "provided.al2023", "bootstrap", goFunctionZip)
	spec.MemoryMB = 128
	spec.Timeout = 20 * time.Second

	within := invoke(t, f, spec, `{"op":"alloc","ms":48}`)
	if within.FunctionError != "" || decode(t, within.Payload)["value"] != "48" {
		t.Fatalf("48 MiB within 128 MB: %s %s", within.FunctionError, within.Payload)
	}
	if used := maxMemoryUsed(t, within.LogTail); used < 48 || used > 128 {
		t.Fatalf("Max Memory Used after touching 48 MiB = %d MB, want 48..128; tail %q", used, within.LogTail)
	}

	over := invoke(t, f, spec, `{"op":"alloc","ms":256}`)
	doc := decode(t, over.Payload)
	wantMsg := "RequestId: " + over.RequestID + " Error: Runtime exited with error: signal: killed"
	if over.FunctionError != "Unhandled" || doc["errorType"] != "Runtime.OutOfMemory" || doc["errorMessage"] != wantMsg {
		t.Fatalf("256 MiB in 128 MB = %q %s, want Unhandled Runtime.OutOfMemory %q", over.FunctionError, over.Payload, wantMsg)
	}
	if !strings.Contains(over.LogTail, wantMsg+"\nRuntime.OutOfMemory\n") || !strings.Contains(over.LogTail, "\tStatus: error\tError Type: Runtime.OutOfMemory") {
		t.Fatalf("tail of the killed invocation = %q", over.LogTail)
	}
	if used := maxMemoryUsed(t, over.LogTail); used < 100 || used > 128 {
		t.Fatalf("Max Memory Used of the killed invocation = %d MB, want close to 128; tail %q", used, over.LogTail)
	}

	next := invoke(t, f, spec, `{"op":"echo","value":"again"}`)
	if !next.Cold || next.FunctionError != "" {
		t.Fatalf("after an out-of-memory kill the next invoke must start a new environment: cold %v error %q", next.Cold, next.FunctionError)
	}
	envs, err := filepath.Glob(filepath.Join(f.runner.memory.dir, "env-*"))
	if err != nil || len(envs) != 1 {
		t.Fatalf("environment cgroups after the killed one ended = %v, %v; want only the new environment's", envs, err)
	}
}

func maxMemoryUsed(t *testing.T, tail string) int {
	t.Helper()
	_, rest, ok := strings.Cut(tail, "Max Memory Used: ")
	if !ok {
		t.Fatalf("no Max Memory Used in %q", tail)
	}
	n, err := strconv.Atoi(strings.Fields(rest)[0])
	if err != nil {
		t.Fatalf("Max Memory Used in %q: %v", tail, err)
	}
	return n
}

// noMemoryController says why this machine offers ceap no memory controller to write, or "" when
// it does. It looks for itself, so that a runner that stops enforcing limits fails the test
// instead of skipping it.
func noMemoryController() string {
	own, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return err.Error()
	}
	mounts, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return err.Error()
	}
	for _, m := range strings.Split(string(mounts), "\n") {
		f := strings.Fields(m)
		if len(f) < 4 {
			continue
		}
		for _, line := range strings.Split(string(own), "\n") {
			parts := strings.SplitN(line, ":", 3)
			if len(parts) != 3 {
				continue
			}
			var dir string
			switch {
			case f[2] == "cgroup2" && parts[1] == "":
				dir = filepath.Join(f[1], parts[2])
				if c, err := os.ReadFile(filepath.Join(dir, "cgroup.controllers")); err != nil || !slices.Contains(strings.Fields(string(c)), "memory") {
					continue
				}
			case f[2] == "cgroup" && slices.Contains(strings.Split(f[3], ","), "memory") && slices.Contains(strings.Split(parts[1], ","), "memory"):
				dir = filepath.Join(f[1], parts[2])
			default:
				continue
			}
			probe := filepath.Join(dir, "ceap-probe-"+strconv.Itoa(os.Getpid()))
			if err := os.Mkdir(probe, 0o755); err == nil {
				_ = os.Remove(probe)
				return ""
			}
		}
	}
	return "no cgroup v2 memory controller for this process's cgroup and no writable cgroup v1 memory hierarchy"
}
