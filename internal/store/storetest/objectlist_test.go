package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/ceap/ceap/internal/store"
)

// TestObjectListPrefixBounds covers ObjectList's bounds: a page holds only keys that start with
// the prefix (even when keys sort after it, and for prefixes ending in 0xff bytes), starts after
// After or at the prefix, and carries the listing columns.
func TestObjectListPrefixBounds(t *testing.T) {
	Each(t, func(t *testing.T, st store.Store) {
		s, ctx := objectStore(t, st), context.Background()
		mkBucket(t, s, "b")
		for _, k := range []string{"a", "a/1", "a/2", "a0", "a\xff", "a\xff\xff", "a\xff\xff/x", "b", "\xff", "\xff\xff"} {
			putVersion(t, s, "b", k, "null")
		}
		putVersion(t, s, "b", "a/2", "null") // replaced: listed once
		cases := []struct {
			prefix, after string
			want          string
		}{
			{"a/", "", `["a/1" "a/2"]`},
			{"a/", "a/1", `["a/2"]`},
			{"a/", "a/2", `[]`},
			{"a/", "0", `["a/1" "a/2"]`},
			{"a/", "z", `[]`},
			{"a\xff", "", `["a\xff" "a\xff\xff" "a\xff\xff/x"]`},
			{"a\xff\xff", "a\xff\xff", `["a\xff\xff/x"]`},
			{"\xff", "", `["\xff" "\xff\xff"]`},
			{"", "a\xff\xff/x", `["b" "\xff" "\xff\xff"]`},
		}
		for _, c := range cases {
			rows, err := s.ObjectList(ctx, &store.ObjectListParams{Bucket: "b", Prefix: c.prefix, After: c.after, Limit: 100})
			if err != nil {
				t.Fatalf("ObjectList(%q after %q): %v", c.prefix, c.after, err)
			}
			keys := []string{}
			for _, r := range rows {
				keys = append(keys, r.Key)
			}
			if got := fmt.Sprintf("%q", keys); got != c.want {
				t.Fatalf("ObjectList(%q after %q) = %s, want %s", c.prefix, c.after, got, c.want)
			}
		}
		rows, err := s.ObjectList(ctx, &store.ObjectListParams{Bucket: "b", Prefix: "a/1", Limit: 1})
		if err != nil || len(rows) != 1 {
			t.Fatalf("ObjectList(a/1) = %v, %v", rows, err)
		}
		r := rows[0]
		if r.Bucket != "b" || r.Key != "a/1" || r.VersionID != "null" || !r.IsLatest || r.Size != 3 || r.ETag != `"null"` ||
			!r.Created.Equal(t0) || string(r.Attrs) != `{"ContentType":"text/plain"}` {
			t.Fatalf("listed row = %+v", r)
		}
	})
}
