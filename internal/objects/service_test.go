package objects_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/blob"
	"github.com/ceap/ceap/internal/blob/fsblob"
	"github.com/ceap/ceap/internal/clock"
	"github.com/ceap/ceap/internal/objects"
	"github.com/ceap/ceap/internal/store/sqlite"
)

const acct = "111111111111"

type env struct {
	svc   *objects.Service
	clock *clock.Fake
	blobs blob.Store
}

func setup(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	db, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(dir, "ceap.db")})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	blobs, err := fsblob.New(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatalf("open blobs: %v", err)
	}
	clk := clock.NewFake(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	svc, err := objects.New(objects.Config{Store: db, Blobs: blobs, Clock: clk, Log: quiet()})
	if err != nil {
		t.Fatalf("objects.New: %v", err)
	}
	return &env{svc: svc, clock: clk, blobs: blobs}
}

func (e *env) bucket(t *testing.T, name string) {
	t.Helper()
	if _, err := e.svc.CreateBucket(context.Background(), acct, "us-east-1", name); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
}

func (e *env) put(t *testing.T, bucket, key, body string) *objects.Object {
	t.Helper()
	o, err := e.svc.PutObject(context.Background(), &objects.PutInput{Account: acct, Bucket: bucket, Key: key, Body: strings.NewReader(body), Size: int64(len(body))})
	if err != nil {
		t.Fatalf("PutObject(%s): %v", key, err)
	}
	return o
}

func (e *env) get(t *testing.T, bucket, key string) (string, error) {
	t.Helper()
	out, err := e.svc.GetObject(context.Background(), &objects.GetInput{Account: acct, Bucket: bucket, Key: key})
	if err != nil {
		return "", err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return string(b), nil
}

func code(err error) string {
	if ae, ok := awserr.As(err); ok {
		return ae.Code
	}
	return ""
}

func (e *env) sweep(t *testing.T) objects.SweepStats {
	t.Helper()
	st, err := e.svc.Sweep(context.Background())
	if err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	return st
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func ptr[T any](v T) *T { return &v }

func expireRule(days int, status string) *objects.Lifecycle {
	return &objects.Lifecycle{Rules: []objects.Rule{{ID: "DeleteOldExecutions", Status: status, Prefix: ptr("executions/"), Expiration: &objects.Expiration{Days: ptr(days)}}}}
}

func TestLifecycleSevenDaysThenFourteen(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	e.bucket(t, "wf-bucket")
	start := e.clock.Now()
	e.put(t, "wf-bucket", "executions/a/ETLStage/output.json", `{"a":1}`)
	e.put(t, "wf-bucket", "executions/b/ETLStage/output.json", `{"b":1}`)
	e.put(t, "wf-bucket", "archive/keep.json", `{}`)
	if err := e.svc.PutBucketLifecycle(ctx, acct, "wf-bucket", expireRule(7, objects.StatusEnabled)); err != nil {
		t.Fatalf("PutBucketLifecycle: %v", err)
	}
	got, _ := e.svc.HeadObject(ctx, &objects.GetInput{Account: acct, Bucket: "wf-bucket", Key: "executions/a/ETLStage/output.json"})
	if got.Object.Expiration == nil || !got.Object.Expiration.At.Equal(time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)) || got.Object.Expiration.RuleID != "DeleteOldExecutions" {
		t.Fatalf("expiration = %+v, want 2026-03-09 by DeleteOldExecutions", got.Object.Expiration)
	}
	e.clock.Set(start.AddDate(0, 0, 6))
	if st := e.sweep(t); st.Expired != 0 {
		t.Fatalf("day 6: expired %d objects", st.Expired)
	}
	// The runbook raises retention to 14 days on day 6: day 8 must then expire nothing.
	if err := e.svc.PutBucketLifecycle(ctx, acct, "wf-bucket", expireRule(14, objects.StatusEnabled)); err != nil {
		t.Fatalf("PutBucketLifecycle 14: %v", err)
	}
	e.clock.Set(start.AddDate(0, 0, 8))
	if st := e.sweep(t); st.Expired != 0 {
		t.Fatalf("day 8 under the 14-day rule: expired %d objects", st.Expired)
	}
	if err := e.svc.PutBucketLifecycle(ctx, acct, "wf-bucket", expireRule(7, objects.StatusEnabled)); err != nil {
		t.Fatalf("PutBucketLifecycle 7: %v", err)
	}
	if st := e.sweep(t); st.Expired != 2 {
		t.Fatalf("day 8 under the 7-day rule: expired %d objects, want 2", st.Expired)
	}
	if _, err := e.get(t, "wf-bucket", "executions/a/ETLStage/output.json"); code(err) != "NoSuchKey" {
		t.Fatalf("expired object: err = %v, want NoSuchKey", err)
	}
	if body, err := e.get(t, "wf-bucket", "archive/keep.json"); err != nil || body != "{}" {
		t.Fatalf("object outside the prefix: %q, %v", body, err)
	}
	n := 0
	e.blobs.Walk(ctx, func(blob.Info) error { n++; return nil })
	if n != 1 {
		t.Fatalf("%d blobs left after expiry, want 1", n)
	}
}

func TestLifecycleDisabledAndFourteenDays(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	e.bucket(t, "wf-bucket")
	start := e.clock.Now()
	e.put(t, "wf-bucket", "executions/a/out.json", "x")
	if err := e.svc.PutBucketLifecycle(ctx, acct, "wf-bucket", expireRule(7, objects.StatusDisabled)); err != nil {
		t.Fatalf("PutBucketLifecycle: %v", err)
	}
	e.clock.Set(start.AddDate(0, 0, 30))
	if st := e.sweep(t); st.Expired != 0 {
		t.Fatalf("a Disabled rule expired %d objects", st.Expired)
	}
	e.put(t, "wf-bucket", "executions/b/out.json", "y") // created on day 30
	if err := e.svc.PutBucketLifecycle(ctx, acct, "wf-bucket", expireRule(14, objects.StatusEnabled)); err != nil {
		t.Fatalf("PutBucketLifecycle: %v", err)
	}
	e.clock.Set(start.AddDate(0, 0, 30+13))
	if st := e.sweep(t); st.Expired != 1 {
		t.Fatalf("day 43: expired %d, want only the 30-day-old object", st.Expired)
	}
	e.clock.Set(start.AddDate(0, 0, 30+15))
	if st := e.sweep(t); st.Expired != 1 {
		t.Fatalf("day 45: expired %d, want the second object", st.Expired)
	}
}

func TestLifecycleVersionedBucket(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	e.bucket(t, "ver-bucket")
	if err := e.svc.PutBucketVersioning(ctx, acct, "ver-bucket", objects.VersioningEnabled); err != nil {
		t.Fatalf("PutBucketVersioning: %v", err)
	}
	start := e.clock.Now()
	v1 := e.put(t, "ver-bucket", "k", "one")
	l := &objects.Lifecycle{Rules: []objects.Rule{
		{ID: "cur", Status: objects.StatusEnabled, Filter: &objects.Filter{}, Expiration: &objects.Expiration{Days: ptr(1)}},
		{ID: "old", Status: objects.StatusEnabled, Filter: &objects.Filter{}, NoncurrentVersionExpiration: &objects.NoncurrentExpiration{NoncurrentDays: 1}},
		{ID: "markers", Status: objects.StatusEnabled, Filter: &objects.Filter{Prefix: ptr("k")}, Expiration: &objects.Expiration{ExpiredObjectDeleteMarker: ptr(true)}},
		{ID: "uploads", Status: objects.StatusEnabled, Filter: &objects.Filter{}, AbortIncompleteMultipartUpload: &objects.AbortIncomplete{DaysAfterInitiation: 2}},
	}}
	if err := e.svc.PutBucketLifecycle(ctx, acct, "ver-bucket", l); err != nil {
		t.Fatalf("PutBucketLifecycle: %v", err)
	}
	if _, err := e.svc.CreateMultipartUpload(ctx, &objects.CreateUploadInput{Account: acct, Bucket: "ver-bucket", Key: "big"}); err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	e.clock.Set(start.AddDate(0, 0, 2)) // past the current-version expiry
	if st := e.sweep(t); st.Expired != 1 {
		t.Fatalf("sweep 1 = %+v, want the current version expired", st)
	}
	if _, err := e.get(t, "ver-bucket", "k"); code(err) != "NoSuchKey" {
		t.Fatalf("after expiry: %v", err)
	}
	old, err := e.svc.GetObject(ctx, &objects.GetInput{Account: acct, Bucket: "ver-bucket", Key: "k", VersionID: v1.VersionID})
	if err != nil {
		t.Fatalf("the expired version is kept as noncurrent: %v", err)
	}
	old.Body.Close()
	e.clock.Set(start.AddDate(0, 0, 4))
	st := e.sweep(t)
	if st.NoncurrentExpired != 1 || st.MarkersRemoved != 1 || st.UploadsAborted != 1 {
		t.Fatalf("sweep 2 = %+v, want one noncurrent version, one marker and one upload", st)
	}
	vs, err := e.svc.ListObjectVersions(ctx, &objects.ListVersionsInput{Account: acct, Bucket: "ver-bucket", MaxKeys: 1000})
	if err != nil || len(vs.Versions) != 0 {
		t.Fatalf("versions left: %+v, %v", vs, err)
	}
}

func TestPutGetRangesAndConditions(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	e.bucket(t, "bkt")
	o := e.put(t, "bkt", "../../etc/passwd", "0123456789")
	if o.ETag != `"781e5e245d69b566979b86e28d23f2c7"` {
		t.Fatalf("ETag = %s", o.ETag)
	}
	get := func(in objects.GetInput) (string, *objects.GetOutput, error) {
		in.Account, in.Bucket, in.Key = acct, "bkt", "../../etc/passwd"
		out, err := e.svc.GetObject(ctx, &in)
		if err != nil {
			return "", nil, err
		}
		defer out.Body.Close()
		b, _ := io.ReadAll(out.Body)
		return string(b), out, nil
	}
	cases := []struct {
		r    objects.Range
		want string
	}{{objects.Range{Start: 2, End: 4}, "234"}, {objects.Range{Start: 7, End: -1}, "789"}, {objects.Range{Suffix: 2}, "89"}, {objects.Range{Start: 8, End: 100}, "89"}}
	for _, c := range cases {
		body, out, err := get(objects.GetInput{Range: &c.r})
		if err != nil || body != c.want || !out.Partial {
			t.Fatalf("range %+v = %q, %v; want %q", c.r, body, err, c.want)
		}
	}
	if _, _, err := get(objects.GetInput{Range: &objects.Range{Start: 10, End: 20}}); code(err) != "InvalidRange" {
		t.Fatalf("unsatisfiable range: %v", err)
	}
	if _, _, err := get(objects.GetInput{Conditions: objects.Conditions{IfNoneMatch: o.ETag}}); code(err) != "NotModified" {
		t.Fatalf("If-None-Match same ETag: %v, want NotModified", err)
	}
	if _, _, err := get(objects.GetInput{Conditions: objects.Conditions{IfMatch: `"nope"`}}); code(err) != "PreconditionFailed" {
		t.Fatalf("If-Match other ETag: %v", err)
	}
	if _, _, err := get(objects.GetInput{Conditions: objects.Conditions{IfModifiedSince: e.clock.Now().Add(time.Hour)}}); code(err) != "NotModified" {
		t.Fatalf("If-Modified-Since future: %v", err)
	}
	if body, _, err := get(objects.GetInput{Conditions: objects.Conditions{IfMatch: o.ETag, IfUnmodifiedSince: e.clock.Now().Add(-time.Hour)}}); err != nil || body != "0123456789" {
		t.Fatalf("If-Match wins over If-Unmodified-Since: %q, %v", body, err)
	}
	_, err := e.svc.PutObject(ctx, &objects.PutInput{Account: acct, Bucket: "bkt", Key: "k", Body: strings.NewReader("abc"), Size: 3, ContentMD5: "AAAAAAAAAAAAAAAAAAAAAA=="})
	if code(err) != "BadDigest" {
		t.Fatalf("wrong Content-MD5: %v, want BadDigest", err)
	}
	_, err = e.svc.PutObject(ctx, &objects.PutInput{Account: acct, Bucket: "bkt", Key: "k", Body: strings.NewReader("abc"), Size: 3, Checksum: objects.ExpectedChecksum{Algorithm: objects.CRC32, Value: "AAAAAA=="}})
	if code(err) != "BadDigest" {
		t.Fatalf("wrong CRC32: %v, want BadDigest", err)
	}
	_, err = e.svc.PutObject(ctx, &objects.PutInput{Account: acct, Bucket: "bkt", Key: "k", Body: strings.NewReader("ab"), Size: 3})
	if code(err) != "IncompleteBody" {
		t.Fatalf("short body: %v, want IncompleteBody", err)
	}
	if _, err := e.svc.PutObject(ctx, &objects.PutInput{Account: acct, Bucket: "bkt", Key: "../../etc/passwd", Body: strings.NewReader("x"), Size: 1, IfNoneMatch: "*"}); code(err) != "PreconditionFailed" {
		t.Fatalf("If-None-Match * on an existing key: %v", err)
	}
	n := 0
	e.blobs.Walk(ctx, func(blob.Info) error { n++; return nil })
	if n != 1 {
		t.Fatalf("%d blobs after failed puts, want 1", n)
	}
	if _, err := e.svc.GetObject(ctx, &objects.GetInput{Account: "other", Bucket: "bkt", Key: "x"}); code(err) != "AccessDenied" {
		t.Fatalf("another account's bucket: %v", err)
	}
}

func TestMultipartAndListing(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	e.bucket(t, "bkt")
	up, err := e.svc.CreateMultipartUpload(ctx, &objects.CreateUploadInput{Account: acct, Bucket: "bkt", Key: "big", ChecksumAlgorithm: objects.CRC32C})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	p1 := bytes.Repeat([]byte("a"), objects.MinPartSize)
	p2 := []byte("tail")
	var parts []objects.CompletedPart
	for i, body := range [][]byte{p1, p2} {
		p, err := e.svc.UploadPart(ctx, &objects.PartInput{Account: acct, Bucket: "bkt", Key: "big", UploadID: up.UploadID, PartNumber: i + 1, Body: bytes.NewReader(body), Size: int64(len(body))})
		if err != nil {
			t.Fatalf("UploadPart %d: %v", i+1, err)
		}
		parts = append(parts, objects.CompletedPart{PartNumber: p.PartNumber, ETag: p.ETag, Checksum: p.Checksum.Value})
	}
	if _, err := e.svc.CompleteMultipartUpload(ctx, &objects.CompleteInput{Account: acct, Bucket: "bkt", Key: "big", UploadID: up.UploadID, Parts: []objects.CompletedPart{parts[1], parts[0]}}); code(err) != "InvalidPartOrder" {
		t.Fatalf("parts out of order: %v", err)
	}
	o, err := e.svc.CompleteMultipartUpload(ctx, &objects.CompleteInput{Account: acct, Bucket: "bkt", Key: "big", UploadID: up.UploadID, Parts: parts})
	if err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	if !strings.HasSuffix(o.ETag, `-2"`) || o.PartsCount != 2 || o.Size != int64(len(p1)+len(p2)) || !strings.HasSuffix(o.Checksum.Value, "-2") {
		t.Fatalf("completed object = %+v", o)
	}
	out, err := e.svc.GetObject(ctx, &objects.GetInput{Account: acct, Bucket: "bkt", Key: "big", Range: &objects.Range{Start: int64(len(p1)) - 2, End: -1}})
	if err != nil {
		t.Fatalf("GetObject across parts: %v", err)
	}
	body, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(body) != "aatail" {
		t.Fatalf("range across parts = %q", body)
	}
	part2, err := e.svc.GetObject(ctx, &objects.GetInput{Account: acct, Bucket: "bkt", Key: "big", PartNumber: 2})
	if err != nil {
		t.Fatalf("GetObject part 2: %v", err)
	}
	body, _ = io.ReadAll(part2.Body)
	part2.Body.Close()
	if string(body) != "tail" {
		t.Fatalf("part 2 = %q", body)
	}
	for _, k := range []string{"a/1", "a/2", "a/b/3", "b/4", "c"} {
		e.put(t, "bkt", k, "x")
	}
	page, err := e.svc.ListObjects(ctx, &objects.ListInput{Account: acct, Bucket: "bkt", Delimiter: "/", MaxKeys: 2})
	if err != nil || len(page.CommonPrefixes) != 2 || len(page.Objects) != 0 || !page.IsTruncated || page.Next != "b/" {
		t.Fatalf("page 1 = %+v, %v", page, err)
	}
	page, err = e.svc.ListObjects(ctx, &objects.ListInput{Account: acct, Bucket: "bkt", Delimiter: "/", MaxKeys: 2, After: page.Next})
	if err != nil || len(page.Objects) != 2 || page.Objects[0].Key != "big" || page.Objects[1].Key != "c" || page.IsTruncated {
		t.Fatalf("page 2 = %+v, %v", page, err)
	}
	page, _ = e.svc.ListObjects(ctx, &objects.ListInput{Account: acct, Bucket: "bkt", Prefix: "a/", Delimiter: "/", MaxKeys: 1000})
	if len(page.Objects) != 2 || len(page.CommonPrefixes) != 1 || page.CommonPrefixes[0] != "a/b/" {
		t.Fatalf("prefix a/ = %+v", page)
	}
	if err := e.svc.DeleteBucket(ctx, acct, "bkt"); code(err) != "BucketNotEmpty" {
		t.Fatalf("DeleteBucket non-empty: %v", err)
	}
}

func TestGarbageCollection(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(dir, "ceap.db")})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	blobs, _ := fsblob.New(filepath.Join(dir, "blobs"))
	svc, _ := objects.New(objects.Config{Store: db, Blobs: blobs, GCGrace: time.Nanosecond, Log: quiet()})
	ctx := context.Background()
	if _, err := svc.CreateBucket(ctx, acct, "us-east-1", "bkt"); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	if _, err := svc.PutObject(ctx, &objects.PutInput{Account: acct, Bucket: "bkt", Key: "k", Body: strings.NewReader("kept"), Size: 4}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	orphan, _ := blobs.Put(ctx, strings.NewReader("orphan"))
	time.Sleep(time.Millisecond)
	n, err := svc.CollectGarbage(ctx)
	if err != nil || n != 1 {
		t.Fatalf("CollectGarbage = %d, %v; want 1", n, err)
	}
	if _, err := blobs.Stat(ctx, orphan.ID); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("orphan still there: %v", err)
	}
	out, err := svc.GetObject(ctx, &objects.GetInput{Account: acct, Bucket: "bkt", Key: "k"})
	if err != nil {
		t.Fatalf("referenced object lost: %v", err)
	}
	out.Body.Close()
}

func TestLifecycleDateRuleAndSuspendedVersioning(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	e.bucket(t, "dated")
	if err := e.svc.PutBucketVersioning(ctx, acct, "dated", objects.VersioningSuspended); err != nil {
		t.Fatalf("PutBucketVersioning: %v", err)
	}
	first := e.put(t, "dated", "logs/a", "one")
	second := e.put(t, "dated", "logs/a", "two")
	if first.VersionID != "null" || second.VersionID != "null" {
		t.Fatalf("suspended versioning ids %q %q, want null", first.VersionID, second.VersionID)
	}
	vs, _ := e.svc.ListObjectVersions(ctx, &objects.ListVersionsInput{Account: acct, Bucket: "dated", MaxKeys: 1000})
	if len(vs.Versions) != 1 {
		t.Fatalf("%d versions under suspended versioning, want the null version only", len(vs.Versions))
	}
	date := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
	l := &objects.Lifecycle{Rules: []objects.Rule{{ID: "by-date", Status: objects.StatusEnabled, Filter: &objects.Filter{Prefix: ptr("logs/")}, Expiration: &objects.Expiration{Date: &date}}}}
	if err := e.svc.PutBucketLifecycle(ctx, acct, "dated", l); err != nil {
		t.Fatalf("PutBucketLifecycle: %v", err)
	}
	e.clock.Set(date.Add(-time.Minute))
	if st := e.sweep(t); st.Expired != 0 {
		t.Fatalf("before the Date: expired %d", st.Expired)
	}
	e.clock.Set(date)
	if st := e.sweep(t); st.Expired != 1 {
		t.Fatalf("at the Date: expired %d, want 1", st.Expired)
	}
	if _, err := e.get(t, "dated", "logs/a"); code(err) != "NoSuchKey" {
		t.Fatalf("after expiry: %v", err)
	}
	vs, _ = e.svc.ListObjectVersions(ctx, &objects.ListVersionsInput{Account: acct, Bucket: "dated", MaxKeys: 1000})
	if len(vs.Versions) != 1 || !vs.Versions[0].DeleteMarker || vs.Versions[0].VersionID != "null" {
		t.Fatalf("suspended bucket after expiry: %+v, want one null delete marker", vs.Versions)
	}
	n := 0
	e.blobs.Walk(ctx, func(blob.Info) error { n++; return nil })
	if n != 0 {
		t.Fatalf("%d blobs left, want the replaced null versions freed", n)
	}
}

// The object PutObject answers with is built from what was encoded into the row; it must be the
// object a read of that row finds.
func TestPutObjectAnswersWhatHeadReads(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.bucket(t, "bkt")
	ctx := context.Background()
	put, err := e.svc.PutObject(ctx, &objects.PutInput{
		Account: acct, Bucket: "bkt", Key: "k", Body: strings.NewReader("abc"), Size: 3,
		Checksum:     objects.ExpectedChecksum{Algorithm: objects.SHA256},
		Headers:      objects.Headers{ContentType: "text/plain", CacheControl: "no-cache"},
		Metadata:     map[string]string{"Color": "blue"},
		Tags:         []objects.Tag{{Key: "a", Value: "1"}},
		StorageClass: "STANDARD_IA",
	})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	head, err := e.svc.HeadObject(ctx, &objects.GetInput{Account: acct, Bucket: "bkt", Key: "k"})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	got, want := *put, *head.Object
	if got.ETag != want.ETag || got.VersionID != want.VersionID || got.Size != want.Size || !got.LastModified.Equal(want.LastModified) ||
		got.Headers != want.Headers || got.StorageClass != want.StorageClass || got.Checksum != want.Checksum ||
		got.TagCount != want.TagCount || len(got.Metadata) != len(want.Metadata) || got.Metadata["color"] != want.Metadata["color"] || want.Metadata["color"] != "blue" {
		t.Errorf("PutObject answered %+v, HeadObject reads %+v", got, want)
	}
	if got.Checksum.Algorithm != objects.SHA256 || got.Checksum.Value == "" {
		t.Errorf("checksum %+v, want a SHA256", got.Checksum)
	}
}

// fileSink is a writer that, like a TCP connection, takes a reader itself; it records whether
// it was handed a file (what sendfile needs) and keeps the bytes.
type fileSink struct {
	bytes.Buffer
	files, others int
}

func (f *fileSink) ReadFrom(r io.Reader) (int64, error) {
	if lr, ok := r.(*io.LimitedReader); ok {
		if _, ok := lr.R.(*os.File); ok {
			f.files++
			return f.Buffer.ReadFrom(r)
		}
	}
	f.others++
	return f.Buffer.ReadFrom(r)
}

// TestRangedGetHandsOverFiles checks that a ranged read of a large object (single-part and
// multipart, starting inside a blob) hands the writer the blob files themselves, which a
// connection sends with sendfile, and that the bytes are right.
func TestRangedGetHandsOverFiles(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	e.bucket(t, "ranges")
	body := make([]byte, 2*objects.MinPartSize)
	for i := range body {
		body[i] = byte(i % 253)
	}
	if _, err := e.svc.PutObject(ctx, &objects.PutInput{Account: acct, Bucket: "ranges", Key: "single", Body: bytes.NewReader(body), Size: int64(len(body))}); err != nil {
		t.Fatal(err)
	}
	up, err := e.svc.CreateMultipartUpload(ctx, &objects.CreateUploadInput{Account: acct, Bucket: "ranges", Key: "multi"})
	if err != nil {
		t.Fatal(err)
	}
	half := int64(len(body) / 2)
	var parts []objects.CompletedPart
	for i, p := range [][]byte{body[:half], body[half:]} {
		res, err := e.svc.UploadPart(ctx, &objects.PartInput{Account: acct, Bucket: "ranges", Key: "multi", UploadID: up.UploadID, PartNumber: i + 1, Body: bytes.NewReader(p), Size: int64(len(p))})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, objects.CompletedPart{PartNumber: i + 1, ETag: res.ETag})
	}
	if _, err := e.svc.CompleteMultipartUpload(ctx, &objects.CompleteInput{Account: acct, Bucket: "ranges", Key: "multi", UploadID: up.UploadID, Parts: parts}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		key        string
		start, end int64
		files      int
	}{
		{"single", 1000, 200_000, 1}, {"single", 100, half*2 - 1, 1},
		{"multi", 1000, 200_000, 1}, {"multi", 5, half + 70_000, 2}, {"multi", half + 3, half*2 - 10, 1},
	} {
		out, err := e.svc.GetObject(ctx, &objects.GetInput{Account: acct, Bucket: "ranges", Key: c.key, Range: &objects.Range{Start: c.start, End: c.end}})
		if err != nil {
			t.Fatal(err)
		}
		var sink fileSink
		n, err := out.Body.(io.WriterTo).WriteTo(&sink)
		out.Body.Close()
		if err != nil || n != c.end-c.start+1 || !bytes.Equal(sink.Bytes(), body[c.start:c.end+1]) {
			t.Fatalf("%s bytes %d-%d: wrote %d, %v; bytes equal: %v", c.key, c.start, c.end, n, err, bytes.Equal(sink.Bytes(), body[c.start:c.end+1]))
		}
		if sink.files != c.files || sink.others != 0 {
			t.Fatalf("%s bytes %d-%d: %d files and %d other readers handed over, want %d files", c.key, c.start, c.end, sink.files, sink.others, c.files)
		}
	}
}
