package storetest

import (
	"context"
	"testing"

	"github.com/ceap/ceap/internal/store"
)

// TestObjectPutVersionHistory writes a key's versions in the order a bucket whose versioning is
// enabled, suspended and enabled again sees them: a null version replaces only the earlier null
// version (whose blobs it frees), and each write leaves exactly one latest version.
func TestObjectPutVersionHistory(t *testing.T) {
	Each(t, func(t *testing.T, st store.Store) {
		s, ctx := objectStore(t, st), context.Background()
		mkBucket(t, s, "b")
		latest := func(want string) {
			t.Helper()
			o, err := s.ObjectGet(ctx, &store.ObjectGetParams{Bucket: "b", Key: "k"})
			if err != nil || o.VersionID != want || !o.IsLatest {
				t.Fatalf("latest = %+v (err %v), want version %s", o, err, want)
			}
			n := 0
			for _, v := range []string{"v1", "v2", "null"} {
				if o, err := s.ObjectGet(ctx, &store.ObjectGetParams{Bucket: "b", Key: "k", VersionID: v}); err == nil && o.IsLatest {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("%d latest versions, want 1", n)
			}
		}
		putVersion(t, s, "b", "k", "v1", "blob-v1")
		latest("v1")
		if res := putVersion(t, s, "b", "k", "null", "blob-null-1"); len(res.Freed) != 0 {
			t.Fatalf("first null version freed %v", res.Freed)
		}
		latest("null")
		putVersion(t, s, "b", "k", "v2", "blob-v2")
		latest("v2")
		if res := putVersion(t, s, "b", "k", "null", "blob-null-2"); len(res.Freed) != 1 || res.Freed[0] != "blob-null-1" {
			t.Fatalf("second null version freed %v, want the first null version's blob", res.Freed)
		}
		latest("null")
		if res := putVersion(t, s, "b", "k", "null", "blob-null-3"); len(res.Freed) != 1 || res.Freed[0] != "blob-null-2" {
			t.Fatalf("third null version freed %v, want the second's blob", res.Freed)
		}
		latest("null")
		for _, v := range []string{"v1", "v2"} {
			if o, err := s.ObjectGet(ctx, &store.ObjectGetParams{Bucket: "b", Key: "k", VersionID: v}); err != nil || o.IsLatest {
				t.Fatalf("version %s = %+v (err %v), want it kept as noncurrent", v, o, err)
			}
		}
	})
}
