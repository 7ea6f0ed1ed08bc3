package funcs

import (
	"context"
	"testing"
)

// BenchmarkWarmInvoke measures a RequestResponse invocation of a warm Go function through the
// runner: the time ceap adds around the function's own work.
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
	b.ResetTimer()
	for range b.N {
		if _, err := r.Invoke(context.Background(), spec, unlimited(), NewRequestID(), payload); err != nil {
			b.Fatal(err)
		}
	}
}
