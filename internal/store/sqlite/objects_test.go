package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ceap/ceap/internal/store"
	"github.com/ceap/ceap/internal/store/sqlite"
)

// TestGroupCommitRollsBackOnlyTheFailedWriter runs writers that succeed and writers that fail
// (a missing bucket) at once, so that batches mix both: each failure is rolled back to its
// savepoint and every success is committed.
func TestGroupCommitRollsBackOnlyTheFailedWriter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "ceap.db")})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	if err := db.BucketCreate(ctx, &store.BucketCreateParams{Bucket: store.BucketRow{Name: "b", Account: "1", Region: "us-east-1", Created: time.Now()}}); err != nil {
		t.Fatalf("BucketCreate: %v", err)
	}
	const writers = 64
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			bucket := "b"
			if i%2 == 1 {
				bucket = "missing"
			}
			row := store.ObjectRow{Bucket: bucket, Key: fmt.Sprintf("k%02d", i), VersionID: "null", Size: 1, ETag: `"e"`, Created: time.Now(), Blobs: []string{"x"}}
			_, errs[i] = db.ObjectPut(ctx, &store.ObjectPutParams{Row: row})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if i%2 == 0 && err != nil {
			t.Errorf("put %d: %v", i, err)
		}
		if i%2 == 1 && !errors.Is(err, store.ErrNotFound) {
			t.Errorf("put %d to a missing bucket: %v, want ErrNotFound", i, err)
		}
	}
	rows, err := db.ObjectList(ctx, &store.ObjectListParams{Bucket: "b", Limit: 1000})
	if err != nil || len(rows) != writers/2 {
		t.Fatalf("listed %d objects (err %v), want %d", len(rows), err, writers/2)
	}
}
