package fsblob

import (
	"bytes"
	"context"
	"syscall"
	"testing"
)

// cpuTime is the process's user and system CPU time so far, in nanoseconds.
func cpuTime(b *testing.B) int64 {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// benchmarkPut stores size-byte bodies from 32 goroutines per CPU and reports the process's CPU
// time per Put (cpu-ns/op) beside the wall time: on a shared machine the CPU cost is the figure to
// compare.
func benchmarkPut(b *testing.B, size int, files bool) {
	s, err := New(b.TempDir())
	if err != nil {
		b.Fatalf("New: %v", err)
	}
	defer s.Close()
	body := bytes.Repeat([]byte{'x'}, size)
	b.SetParallelism(32)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			var err error
			if files {
				_, err = s.putFile(context.Background(), body, bytes.NewReader(nil))
			} else {
				_, err = s.Put(context.Background(), bytes.NewReader(body))
			}
			if err != nil {
				b.Errorf("Put: %v", err)
				return
			}
		}
	})
	b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkPut4KiBExtent is the segment path that small bodies take.
func BenchmarkPut4KiBExtent(b *testing.B) { benchmarkPut(b, 4096, false) }

// BenchmarkPut4KiBFile is the file-per-blob path, for comparison.
func BenchmarkPut4KiBFile(b *testing.B) { benchmarkPut(b, 4096, true) }
