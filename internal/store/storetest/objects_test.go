package storetest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/ceap/ceap/internal/store"
)

// objectStore returns the driver's ObjectStore.
func objectStore(t *testing.T, s store.Store) store.ObjectStore {
	t.Helper()
	os, ok := s.(store.ObjectStore)
	if !ok {
		t.Fatalf("driver %s does not implement store.ObjectStore", s.Driver())
	}
	return os
}

var t0 = time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)

func mkBucket(t *testing.T, s store.ObjectStore, name string) {
	t.Helper()
	err := s.BucketCreate(context.Background(), &store.BucketCreateParams{Bucket: store.BucketRow{Name: name, Account: "111", Region: "us-east-1", Created: t0}})
	if err != nil {
		t.Fatalf("BucketCreate(%s): %v", name, err)
	}
}

func putVersion(t *testing.T, s store.ObjectStore, bucket, key, version string, blobs ...string) *store.ObjectPutResult {
	t.Helper()
	res, err := s.ObjectPut(context.Background(), &store.ObjectPutParams{Row: store.ObjectRow{
		Bucket: bucket, Key: key, VersionID: version, Size: int64(len(key)), ETag: `"` + version + `"`, Created: t0, Blobs: blobs,
		Attrs: []byte(`{"ContentType":"text/plain"}`),
	}})
	if err != nil {
		t.Fatalf("ObjectPut(%s %s): %v", key, version, err)
	}
	return res
}

// TestObjectBuckets covers BucketCreate, BucketGet, BucketList, BucketUpdate and BucketDelete.
func TestObjectBuckets(t *testing.T) {
	Each(t, func(t *testing.T, st store.Store) {
		s, ctx := objectStore(t, st), context.Background()
		mkBucket(t, s, "b1")
		mkBucket(t, s, "a0")
		err := s.BucketCreate(ctx, &store.BucketCreateParams{Bucket: store.BucketRow{Name: "b1", Account: "222", Region: "x", Created: t0}})
		if !errors.Is(err, store.ErrAlreadyExists) {
			t.Fatalf("duplicate BucketCreate: %v, want ErrAlreadyExists", err)
		}
		if err := s.BucketCreate(ctx, &store.BucketCreateParams{Bucket: store.BucketRow{Name: "other", Account: "222", Region: "x", Created: t0}}); err != nil {
			t.Fatalf("BucketCreate: %v", err)
		}
		list, err := s.BucketList(ctx, &store.BucketListParams{Account: "111"})
		if err != nil || len(list) != 2 || list[0].Name != "a0" || list[1].Name != "b1" {
			t.Fatalf("BucketList = %v, %v; want a0, b1", list, err)
		}
		all, _ := s.BucketList(ctx, &store.BucketListParams{})
		if len(all) != 3 {
			t.Fatalf("BucketList(all) = %d buckets, want 3", len(all))
		}
		v, lc := "Enabled", []byte("rules")
		if err := s.BucketUpdate(ctx, &store.BucketUpdateParams{Name: "b1", Versioning: &v, Lifecycle: &lc}); err != nil {
			t.Fatalf("BucketUpdate: %v", err)
		}
		b, err := s.BucketGet(ctx, "b1")
		if err != nil || b.Versioning != "Enabled" || string(b.Lifecycle) != "rules" || b.Tags != nil || !b.Created.Equal(t0) || b.Account != "111" {
			t.Fatalf("BucketGet = %+v, %v", b, err)
		}
		var none []byte
		if err := s.BucketUpdate(ctx, &store.BucketUpdateParams{Name: "b1", Lifecycle: &none}); err != nil {
			t.Fatalf("BucketUpdate clear: %v", err)
		}
		if b, _ := s.BucketGet(ctx, "b1"); b.Lifecycle != nil || b.Versioning != "Enabled" {
			t.Fatalf("after clearing lifecycle: %+v", b)
		}
		if err := s.BucketUpdate(ctx, &store.BucketUpdateParams{Name: "nope", Versioning: &v}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("BucketUpdate missing: %v", err)
		}
		putVersion(t, s, "b1", "k", "null")
		if err := s.BucketDelete(ctx, &store.BucketDeleteParams{Name: "b1"}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("BucketDelete non-empty: %v, want ErrConflict", err)
		}
		if _, err := s.ObjectDelete(ctx, &store.ObjectDeleteParams{Bucket: "b1", Key: "k", VersionID: "null"}); err != nil {
			t.Fatalf("ObjectDelete: %v", err)
		}
		if err := s.BucketDelete(ctx, &store.BucketDeleteParams{Name: "b1"}); err != nil {
			t.Fatalf("BucketDelete: %v", err)
		}
		if _, err := s.BucketGet(ctx, "b1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("BucketGet deleted: %v", err)
		}
		if err := s.BucketDelete(ctx, &store.BucketDeleteParams{Name: "b1"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("BucketDelete twice: %v", err)
		}
		if _, err := s.ObjectPut(ctx, &store.ObjectPutParams{Row: store.ObjectRow{Bucket: "b1", Key: "k", VersionID: "null", Created: t0}}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("ObjectPut into a deleted bucket: %v, want ErrNotFound", err)
		}
	})
}

// TestObjectVersions covers ObjectPut (null and versioned), ObjectGet, ObjectDelete and promotion.
func TestObjectVersions(t *testing.T) {
	Each(t, func(t *testing.T, st store.Store) {
		s, ctx := objectStore(t, st), context.Background()
		mkBucket(t, s, "b")
		putVersion(t, s, "b", "k", "null", "blob1")
		res := putVersion(t, s, "b", "k", "null", "blob2")
		if len(res.Freed) != 1 || res.Freed[0] != "blob1" {
			t.Fatalf("replacing the null version freed %v, want [blob1]", res.Freed)
		}
		v1 := putVersion(t, s, "b", "k", "v1", "blob3", "blob4")
		if len(v1.Freed) != 0 || v1.Seq <= res.Seq {
			t.Fatalf("versioned put: %+v after seq %d", v1, res.Seq)
		}
		latest, err := s.ObjectGet(ctx, &store.ObjectGetParams{Bucket: "b", Key: "k"})
		if err != nil || latest.VersionID != "v1" || !latest.IsLatest || len(latest.Blobs) != 2 || latest.Blobs[1] != "blob4" || string(latest.Attrs) != `{"ContentType":"text/plain"}` {
			t.Fatalf("latest = %+v, %v", latest, err)
		}
		old, err := s.ObjectGet(ctx, &store.ObjectGetParams{Bucket: "b", Key: "k", VersionID: "null"})
		if err != nil || old.IsLatest || !old.NoncurrentSince.Equal(t0) {
			t.Fatalf("null version = %+v, %v; want noncurrent since t0", old, err)
		}
		// A delete marker on top, then removing it and the latest version promotes the older ones.
		if _, err := s.ObjectPut(ctx, &store.ObjectPutParams{Row: store.ObjectRow{Bucket: "b", Key: "k", VersionID: "m1", DeleteMarker: true, Created: t0}}); err != nil {
			t.Fatalf("put marker: %v", err)
		}
		if l, _ := s.ObjectGet(ctx, &store.ObjectGetParams{Bucket: "b", Key: "k"}); !l.DeleteMarker {
			t.Fatalf("latest after marker = %+v", l)
		}
		if got, _ := s.ObjectList(ctx, &store.ObjectListParams{Bucket: "b", Limit: 10}); len(got) != 0 {
			t.Fatalf("ObjectList shows a key whose latest is a delete marker: %v", got)
		}
		if _, err := s.ObjectDelete(ctx, &store.ObjectDeleteParams{Bucket: "b", Key: "k", VersionID: "m1"}); err != nil {
			t.Fatalf("delete marker: %v", err)
		}
		if l, _ := s.ObjectGet(ctx, &store.ObjectGetParams{Bucket: "b", Key: "k"}); l.VersionID != "v1" || !l.NoncurrentSince.IsZero() {
			t.Fatalf("latest after removing the marker = %+v", l)
		}
		if _, err := s.ObjectDelete(ctx, &store.ObjectDeleteParams{Bucket: "b", Key: "k", VersionID: "v1", IfSeq: v1.Seq + 1000}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("ObjectDelete with a stale IfSeq: %v, want ErrConflict", err)
		}
		gone, err := s.ObjectDelete(ctx, &store.ObjectDeleteParams{Bucket: "b", Key: "k", VersionID: "v1", IfSeq: v1.Seq})
		if err != nil || len(gone.Blobs) != 2 {
			t.Fatalf("ObjectDelete v1 = %+v, %v", gone, err)
		}
		if l, _ := s.ObjectGet(ctx, &store.ObjectGetParams{Bucket: "b", Key: "k"}); l.VersionID != "null" || !l.IsLatest {
			t.Fatalf("latest after deleting v1 = %+v", l)
		}
		if _, err := s.ObjectDelete(ctx, &store.ObjectDeleteParams{Bucket: "b", Key: "k", VersionID: "v1"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("ObjectDelete twice: %v", err)
		}
		if _, err := s.ObjectGet(ctx, &store.ObjectGetParams{Bucket: "b", Key: "nope"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("ObjectGet missing: %v", err)
		}
		stats, err := s.BucketStats(ctx, "b")
		if err != nil || stats.Objects != 1 || stats.Bytes != 1 {
			t.Fatalf("BucketStats = %+v, %v", stats, err)
		}
	})
}

// TestObjectPreconditions covers ObjectPut's IfNoneMatch and IfMatchETag.
func TestObjectPreconditions(t *testing.T) {
	Each(t, func(t *testing.T, st store.Store) {
		s, ctx := objectStore(t, st), context.Background()
		mkBucket(t, s, "b")
		row := store.ObjectRow{Bucket: "b", Key: "k", VersionID: "null", ETag: `"e1"`, Created: t0}
		if _, err := s.ObjectPut(ctx, &store.ObjectPutParams{Row: row, IfMatchETag: `"e1"`}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("IfMatch on a missing key: %v, want ErrNotFound", err)
		}
		if _, err := s.ObjectPut(ctx, &store.ObjectPutParams{Row: row, IfNoneMatch: true}); err != nil {
			t.Fatalf("IfNoneMatch on a missing key: %v", err)
		}
		if _, err := s.ObjectPut(ctx, &store.ObjectPutParams{Row: row, IfNoneMatch: true}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("IfNoneMatch on an existing key: %v, want ErrConflict", err)
		}
		if _, err := s.ObjectPut(ctx, &store.ObjectPutParams{Row: row, IfMatchETag: `"other"`}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("IfMatch with another ETag: %v, want ErrConflict", err)
		}
		if _, err := s.ObjectPut(ctx, &store.ObjectPutParams{Row: row, IfMatchETag: `"e1"`}); err != nil {
			t.Fatalf("IfMatch with the ETag: %v", err)
		}
	})
}

// TestObjectListing covers ObjectList and ObjectVersionList ordering, bounds and odd keys.
func TestObjectListing(t *testing.T) {
	Each(t, func(t *testing.T, st store.Store) {
		s, ctx := objectStore(t, st), context.Background()
		mkBucket(t, s, "b")
		mkBucket(t, s, "c")
		keys := []string{"a", "a/b", "a/c", "b", "日本/x", "../etc/passwd", "with\x00nul", "z~", "A"}
		for _, k := range keys {
			putVersion(t, s, "b", k, "null")
		}
		putVersion(t, s, "c", "a/zz", "null")
		sort.Strings(keys) // byte order, as S3 lists
		var got []string
		after := ""
		for {
			page, err := s.ObjectList(ctx, &store.ObjectListParams{Bucket: "b", After: after, Limit: 2})
			if err != nil {
				t.Fatalf("ObjectList: %v", err)
			}
			if len(page) == 0 {
				break
			}
			for _, o := range page {
				got = append(got, o.Key)
			}
			after = page[len(page)-1].Key
		}
		if fmt.Sprint(got) != fmt.Sprint(keys) {
			t.Fatalf("paged listing = %q, want %q", got, keys)
		}
		pre, _ := s.ObjectList(ctx, &store.ObjectListParams{Bucket: "b", Prefix: "a/", Limit: 10})
		if len(pre) == 0 || pre[0].Key != "a/b" {
			t.Fatalf("listing from prefix a/ starts at %v", pre)
		}
		putVersion(t, s, "b", "a/b", "v2")
		putVersion(t, s, "b", "a/b", "v3")
		vs, err := s.ObjectVersionList(ctx, &store.ObjectVersionListParams{Bucket: "b", Prefix: "a/", Limit: 10})
		if err != nil || len(vs) < 4 {
			t.Fatalf("ObjectVersionList = %v, %v", vs, err)
		}
		if vs[0].Key != "a/b" || vs[0].VersionID != "v3" || vs[1].VersionID != "v2" || vs[2].VersionID != "null" || vs[3].Key != "a/c" {
			t.Fatalf("version order: %s/%s %s/%s %s/%s %s/%s", vs[0].Key, vs[0].VersionID, vs[1].Key, vs[1].VersionID, vs[2].Key, vs[2].VersionID, vs[3].Key, vs[3].VersionID)
		}
		rest, _ := s.ObjectVersionList(ctx, &store.ObjectVersionListParams{Bucket: "b", Prefix: "a/", AfterKey: "a/b", AfterSeq: vs[1].Seq, Limit: 10})
		if len(rest) == 0 || rest[0].VersionID != "null" || rest[0].Key != "a/b" {
			t.Fatalf("versions after a/b v2 = %v", rest)
		}
		tagged, err := s.ObjectTagsSet(ctx, &store.ObjectTagsSetParams{Bucket: "b", Key: "a/b", Tags: []byte("t")})
		if err != nil || tagged.VersionID != "v3" {
			t.Fatalf("ObjectTagsSet = %+v, %v", tagged, err)
		}
		if o, _ := s.ObjectGet(ctx, &store.ObjectGetParams{Bucket: "b", Key: "a/b"}); string(o.Tags) != "t" {
			t.Fatalf("tags after ObjectTagsSet = %q", o.Tags)
		}
	})
}

// TestObjectMultipart covers UploadCreate/Get/List/Delete, PartPut/List and UploadComplete.
func TestObjectMultipart(t *testing.T) {
	Each(t, func(t *testing.T, st store.Store) {
		s, ctx := objectStore(t, st), context.Background()
		mkBucket(t, s, "b")
		for _, id := range []string{"u1", "u2"} {
			if err := s.UploadCreate(ctx, &store.UploadRow{Bucket: "b", Key: "big", UploadID: id, Initiated: t0, Attrs: []byte("{}")}); err != nil {
				t.Fatalf("UploadCreate: %v", err)
			}
		}
		part := func(id string, n int, blob string) []string {
			freed, err := s.PartPut(ctx, &store.PartRow{Bucket: "b", UploadID: id, PartNumber: n, Blob: blob, Size: 5, ETag: `"p"`, Checksum: "c", Created: t0})
			if err != nil {
				t.Fatalf("PartPut(%s, %d): %v", id, n, err)
			}
			return freed
		}
		part("u1", 1, "p1")
		part("u1", 2, "p2")
		if freed := part("u1", 2, "p2b"); len(freed) != 1 || freed[0] != "p2" {
			t.Fatalf("replacing part 2 freed %v", freed)
		}
		part("u1", 3, "p3")
		if _, err := s.PartPut(ctx, &store.PartRow{Bucket: "b", UploadID: "nope", PartNumber: 1, Blob: "x", Created: t0}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("PartPut into a missing upload: %v", err)
		}
		parts, err := s.PartList(ctx, &store.PartListParams{Bucket: "b", UploadID: "u1", After: 1, Limit: 10})
		if err != nil || len(parts) != 2 || parts[0].PartNumber != 2 || parts[0].Blob != "p2b" {
			t.Fatalf("PartList = %+v, %v", parts, err)
		}
		ups, _ := s.UploadList(ctx, &store.UploadListParams{Bucket: "b", Limit: 10})
		if len(ups) != 2 || ups[0].UploadID != "u1" {
			t.Fatalf("UploadList = %+v", ups)
		}
		ups, _ = s.UploadList(ctx, &store.UploadListParams{Bucket: "b", AfterKey: "big", AfterID: "u1", Limit: 10})
		if len(ups) != 1 || ups[0].UploadID != "u2" {
			t.Fatalf("UploadList after u1 = %+v", ups)
		}
		if err := s.BucketDelete(ctx, &store.BucketDeleteParams{Name: "b"}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("BucketDelete with uploads: %v", err)
		}
		res, err := s.UploadComplete(ctx, &store.UploadCompleteParams{UploadID: "u1", Keep: []int{1, 2},
			Object: store.ObjectPutParams{Row: store.ObjectRow{Bucket: "b", Key: "big", VersionID: "null", Size: 10, Blobs: []string{"p1", "p2b"}, Created: t0}}})
		if err != nil || len(res.Freed) != 1 || res.Freed[0] != "p3" {
			t.Fatalf("UploadComplete = %+v, %v; want p3 freed", res, err)
		}
		if _, err := s.UploadGet(ctx, "b", "u1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("upload after completion: %v", err)
		}
		if _, err := s.UploadComplete(ctx, &store.UploadCompleteParams{UploadID: "u1", Object: store.ObjectPutParams{Row: store.ObjectRow{Bucket: "b", Key: "big", VersionID: "null", Created: t0}}}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("completing twice: %v", err)
		}
		part("u2", 1, "q1")
		freed, err := s.UploadDelete(ctx, "b", "u2")
		if err != nil || len(freed) != 1 || freed[0] != "q1" {
			t.Fatalf("UploadDelete = %v, %v", freed, err)
		}
		var refs []string
		if err := s.BlobRefs(ctx, func(id string) error { refs = append(refs, id); return nil }); err != nil {
			t.Fatalf("BlobRefs: %v", err)
		}
		sort.Strings(refs)
		if fmt.Sprint(refs) != "[p1 p2b]" {
			t.Fatalf("BlobRefs = %v, want [p1 p2b]", refs)
		}
	})
}

// TestObjectConcurrentPuts proves that concurrent writers of one key leave exactly one latest.
func TestObjectConcurrentPuts(t *testing.T) {
	Each(t, func(t *testing.T, st store.Store) {
		s, ctx := objectStore(t, st), context.Background()
		mkBucket(t, s, "b")
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.ObjectPut(ctx, &store.ObjectPutParams{Row: store.ObjectRow{Bucket: "b", Key: "k", VersionID: fmt.Sprintf("v%02d", i), Created: t0}})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("concurrent put: %v", err)
			}
		}
		vs, err := s.ObjectVersionList(ctx, &store.ObjectVersionListParams{Bucket: "b", Limit: 100})
		if err != nil || len(vs) != 20 {
			t.Fatalf("versions = %d, %v", len(vs), err)
		}
		latest := 0
		for _, v := range vs {
			if v.IsLatest {
				latest++
			}
		}
		if latest != 1 || !vs[0].IsLatest {
			t.Fatalf("%d latest versions (newest first is latest: %v)", latest, vs[0].IsLatest)
		}
	})
}

// TestObjectPutFlush proves that ObjectPut runs the row's Flush before the row is stored, that
// a failed Flush fails the put and stores nothing, and that concurrent puts each get their
// Flush run (one group commit on SQLite, which runs them all before the transaction begins).
func TestObjectPutFlush(t *testing.T) {
	Each(t, func(t *testing.T, st store.Store) {
		s, ctx := objectStore(t, st), context.Background()
		mkBucket(t, s, "b")
		row := store.ObjectRow{Bucket: "b", Key: "k", VersionID: "null", Created: t0, Blobs: []string{"blob1"}}
		flushed := false
		_, err := s.ObjectPut(ctx, &store.ObjectPutParams{Row: row, Flush: func() error {
			if _, err := s.ObjectGet(ctx, &store.ObjectGetParams{Bucket: "b", Key: "k"}); !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("row visible before its flush: %v", err)
			}
			flushed = true
			return nil
		}})
		if err != nil || !flushed {
			t.Fatalf("ObjectPut with a flush: %v (flushed %v)", err, flushed)
		}

		errDisk := errors.New("disk gone")
		row2 := store.ObjectRow{Bucket: "b", Key: "k2", VersionID: "null", Created: t0, Blobs: []string{"blob2"}}
		if _, err := s.ObjectPut(ctx, &store.ObjectPutParams{Row: row2, Flush: func() error { return errDisk }}); !errors.Is(err, errDisk) {
			t.Fatalf("ObjectPut with a failing flush: %v, want %v", err, errDisk)
		}
		if _, err := s.ObjectGet(ctx, &store.ObjectGetParams{Bucket: "b", Key: "k2"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a put whose flush failed stored its row: %v", err)
		}

		var wg sync.WaitGroup
		var mu sync.Mutex
		calls := 0
		errs := make(chan error, 16)
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := store.ObjectRow{Bucket: "b", Key: fmt.Sprintf("c%02d", i), VersionID: "null", Created: t0}
				flush := func() error { mu.Lock(); calls++; mu.Unlock(); return nil }
				if i == 7 {
					flush = func() error { return errDisk }
				}
				_, err := s.ObjectPut(ctx, &store.ObjectPutParams{Row: r, Flush: flush})
				if (i == 7) != errors.Is(err, errDisk) {
					err = fmt.Errorf("put %d: %v", i, err)
				} else {
					err = nil
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if calls != 15 {
			t.Fatalf("%d flushes ran, want 15", calls)
		}
		rows, err := s.ObjectList(ctx, &store.ObjectListParams{Bucket: "b", Prefix: "c", Limit: 100})
		if err != nil || len(rows) != 15 {
			t.Fatalf("listed %d rows after the concurrent puts, want 15 (the failed one not stored): %v", len(rows), err)
		}
	})
}
