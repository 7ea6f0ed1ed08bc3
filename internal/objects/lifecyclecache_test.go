package objects_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ceap/ceap/internal/blob/fsblob"
	"github.com/ceap/ceap/internal/clock"
	"github.com/ceap/ceap/internal/objects"
	"github.com/ceap/ceap/internal/store/sqlite"
)

// TestExpiryFollowsChangedLifecycle checks that the expiry a PUT answers (x-amz-expiration)
// follows the bucket's lifecycle configuration as it changes, both when it changes through the
// same service and when another node sharing the store changes it (seen once the bucket row is
// read again), although decoded configurations are cached.
func TestExpiryFollowsChangedLifecycle(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(dir, "ceap.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	blobs, err := fsblob.New(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	node := func() *objects.Service {
		svc, err := objects.New(objects.Config{Store: db, Blobs: blobs, Clock: clk, Log: quiet()})
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}
	a, b := node(), node()
	ctx := context.Background()
	if _, err := a.CreateBucket(ctx, acct, "us-east-1", "wf-bucket"); err != nil {
		t.Fatal(err)
	}
	put := func(svc *objects.Service) *objects.Expiry {
		t.Helper()
		o, err := svc.PutObject(ctx, &objects.PutInput{Account: acct, Bucket: "wf-bucket", Key: "executions/x/output.json", Body: strings.NewReader("{}"), Size: 2})
		if err != nil {
			t.Fatal(err)
		}
		return o.Expiration
	}
	want := func(got *objects.Expiry, days int, rule string) {
		t.Helper()
		at := time.Date(2026, 3, 2+days, 0, 0, 0, 0, time.UTC)
		if days < 0 {
			if got != nil {
				t.Fatalf("expiry %+v, want none", got)
			}
			return
		}
		if got == nil || !got.At.Equal(at) || got.RuleID != rule {
			t.Fatalf("expiry %+v, want %s by %s", got, at, rule)
		}
	}
	rule := func(id string, days int) *objects.Lifecycle {
		return &objects.Lifecycle{Rules: []objects.Rule{{ID: id, Status: objects.StatusEnabled, Prefix: ptr("executions/"), Expiration: &objects.Expiration{Days: ptr(days)}}}}
	}

	want(put(a), -1, "")
	if err := a.PutBucketLifecycle(ctx, acct, "wf-bucket", rule("week", 7)); err != nil {
		t.Fatal(err)
	}
	want(put(a), 7, "week")
	want(put(a), 7, "week") // from the cache

	// Changed through the same node: seen at once.
	if err := a.PutBucketLifecycle(ctx, acct, "wf-bucket", rule("fortnight", 14)); err != nil {
		t.Fatal(err)
	}
	want(put(a), 14, "fortnight")

	// Changed through another node: seen once node a reads the bucket row again.
	if err := b.PutBucketLifecycle(ctx, acct, "wf-bucket", rule("three", 3)); err != nil {
		t.Fatal(err)
	}
	want(put(b), 3, "three")
	clk.Advance(2 * time.Second)
	want(put(a), 3, "three")

	// Back to a configuration decoded before, and then none at all.
	if err := b.PutBucketLifecycle(ctx, acct, "wf-bucket", rule("week", 7)); err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Second)
	want(put(a), 7, "week")
	if err := b.DeleteBucketLifecycle(ctx, acct, "wf-bucket"); err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Second)
	want(put(a), -1, "")
}
