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

// TestObjectPutVersionHistory writes a key's versions in the order a bucket whose versioning is
// enabled, suspended and enabled again sees them: a null version replaces only the earlier null
// version (whose blobs it frees), and each write leaves exactly one latest version.
func TestObjectPutVersionHistory(t *testing.T) {
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
	put := func(version, blob string) *store.ObjectPutResult {
		t.Helper()
		row := store.ObjectRow{Bucket: "b", Key: "k", VersionID: version, Size: 1, ETag: `"e"`, Created: time.Now(), Blobs: []string{blob}}
		res, err := db.ObjectPut(ctx, &store.ObjectPutParams{Row: row})
		if err != nil {
			t.Fatalf("ObjectPut %s: %v", version, err)
		}
		return res
	}
	latest := func(want string) {
		t.Helper()
		o, err := db.ObjectGet(ctx, &store.ObjectGetParams{Bucket: "b", Key: "k"})
		if err != nil || o.VersionID != want || !o.IsLatest {
			t.Fatalf("latest = %+v (err %v), want version %s", o, err, want)
		}
		n := 0
		for _, v := range []string{"v1", "v2", "null"} {
			if o, err := db.ObjectGet(ctx, &store.ObjectGetParams{Bucket: "b", Key: "k", VersionID: v}); err == nil && o.IsLatest {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d latest versions, want 1", n)
		}
	}
	put("v1", "blob-v1")
	latest("v1")
	if res := put("null", "blob-null-1"); len(res.Freed) != 0 {
		t.Fatalf("first null version freed %v", res.Freed)
	}
	latest("null")
	put("v2", "blob-v2")
	latest("v2")
	if res := put("null", "blob-null-2"); len(res.Freed) != 1 || res.Freed[0] != "blob-null-1" {
		t.Fatalf("second null version freed %v, want the first null version's blob", res.Freed)
	}
	latest("null")
	if res := put("null", "blob-null-3"); len(res.Freed) != 1 || res.Freed[0] != "blob-null-2" {
		t.Fatalf("third null version freed %v, want the second's blob", res.Freed)
	}
	latest("null")
	for _, v := range []string{"v1", "v2"} {
		if o, err := db.ObjectGet(ctx, &store.ObjectGetParams{Bucket: "b", Key: "k", VersionID: v}); err != nil || o.IsLatest {
			t.Fatalf("version %s = %+v (err %v), want it kept as noncurrent", v, o, err)
		}
	}
}

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
