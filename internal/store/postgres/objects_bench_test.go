package postgres_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ceap/ceap/internal/store"
	"github.com/ceap/ceap/internal/store/postgres"
	"github.com/ceap/ceap/internal/store/postgres/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// BenchmarkObjectPut writes new keys from 32 goroutines per CPU, as small S3 PUTs do: one
// transaction each, its statements sent as one batch.
func BenchmarkObjectPut(b *testing.B) {
	ctx := context.Background()
	db, err := postgres.Open(ctx, postgres.Config{URL: pgtest.URL(b), Schema: fmt.Sprintf("bench_%d", time.Now().UnixNano()), MaxConns: 32})
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
}
