package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ceap/ceap/internal/store"
	"github.com/ceap/ceap/internal/store/sqlite"
)

// BenchmarkObjectPut writes new keys from 32 goroutines per CPU, as small S3 PUTs do, and reports
// the process's CPU time per row (cpu-ns/op) beside the wall time: on a shared machine the CPU
// cost is the figure to compare.
func BenchmarkObjectPut(b *testing.B) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(b.TempDir(), "ceap.db")})
	if err != nil {
		b.Fatalf("Open: %v", err)
	}
	defer db.Close()
	if err := db.BucketCreate(ctx, &store.BucketCreateParams{Bucket: store.BucketRow{Name: "bench", Account: "1", Region: "us-east-1", Created: time.Now()}}); err != nil {
		b.Fatalf("BucketCreate: %v", err)
	}
	var n atomic.Int64
	attrs := []byte(`{"segments":[4096]}`)
	b.SetParallelism(32)
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			row := store.ObjectRow{Bucket: "bench", Key: fmt.Sprintf("objects/%08d", i), VersionID: "null", Size: 4096,
				ETag: `"0123456789abcdef0123456789abcdef"`, Created: time.Now(), Blobs: []string{"e10000000100000f0123456789abcdef"}, Attrs: attrs}
			if _, err := db.ObjectPut(ctx, &store.ObjectPutParams{Row: row}); err != nil {
				b.Errorf("ObjectPut: %v", err)
				return
			}
		}
	})
	b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the process's user and system CPU time so far, in nanoseconds.
func cpuTime(b *testing.B) int64 {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
