package funcs

import (
	"context"
	"syscall"
	"testing"
	"time"
)

// BenchmarkWarmInvoke measures a RequestResponse invocation of a warm Go function through the
// runner: the time ceap adds around the function's own work. Besides ns/op (wall clock, noisy on
// a shared machine) it reports cpu-ns/op, the CPU time of this process (the runner, its Runtime
// API and log capture; not the function's process) per invocation.
func BenchmarkWarmInvoke(b *testing.B) {
	dir := b.TempDir()
	r := NewRunner(RunnerConfig{Dir: dir, Sink: func(string, string, string, []LogLine) {}})
	defer r.Stop()
	codeDir := dir + "/code"
	if err := unzipCode(goFunctionZip, codeDir); err != nil {
		b.Fatal(err)
	}
	spec := &Spec{Account: "a", Region: "us-east-1", Name: "bench", Version: "$LATEST", ARN: "arn:aws:lambda:us-east-1:a:function:bench",
		Runtime: "provided.al2023", Handler: "bootstrap", CodeDir: codeDir, Timeout: 10e9, MemoryMB: 128, Revision: "1"}
	payload := []byte(`{"op":"echo","value":"x"}`)
	if _, err := r.Invoke(context.Background(), spec, unlimited(), NewRequestID(), payload); err != nil {
		b.Fatal(err)
	}
	// As the Lambda API invokes: without LogType Tail.
	b.ReportAllocs()
	cpu0 := processCPU()
	b.ResetTimer()
	for range b.N {
		if _, err := r.InvokeRequest(context.Background(), spec, unlimited(), Request{ID: NewRequestID(), Payload: payload}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
}

// processCPU is this process's user and system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
