package fsblob

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ceap/ceap/internal/blob"
)

func newStore(t *testing.T, root string) *Store {
	t.Helper()
	s, err := New(root)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func randBody(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("random: %v", err)
	}
	return b
}

func mustPut(t *testing.T, s *Store, body []byte) blob.Info {
	t.Helper()
	info, err := s.Put(context.Background(), bytes.NewReader(body))
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	return info
}

func mustPutDeferred(t *testing.T, s *Store, body []byte) (blob.Info, func() error) {
	t.Helper()
	info, flush, err := s.PutDeferred(context.Background(), bytes.NewReader(body))
	if err != nil {
		t.Fatalf("PutDeferred: %v", err)
	}
	return info, flush
}

func mustRead(t *testing.T, s *Store, id string) []byte {
	t.Helper()
	rc, err := s.Open(context.Background(), id, 0, -1)
	if err != nil {
		t.Fatalf("Open %s: %v", id, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", id, err)
	}
	return b
}

func walkIDs(t *testing.T, s *Store) map[string]int64 {
	t.Helper()
	got := map[string]int64{}
	if err := s.Walk(context.Background(), func(i blob.Info) error { got[i.ID] = i.Size; return nil }); err != nil {
		t.Fatalf("Walk: %v", err)
	}
	return got
}

func TestExtentOrFileBySize(t *testing.T) {
	t.Parallel()
	s := newStore(t, t.TempDir())
	for _, c := range []struct {
		size   int
		extent bool
	}{{0, true}, {1, true}, {maxExtent, true}, {maxExtent + 1, false}, {3 * maxExtent, false}} {
		body := randBody(t, c.size)
		info := mustPut(t, s, body)
		if _, ok := parseExtentID(info.ID); ok != c.extent {
			t.Fatalf("%d-byte body: extent = %v, want %v (id %s)", c.size, ok, c.extent, info.ID)
		}
		if got := mustRead(t, s, info.ID); !bytes.Equal(got, body) {
			t.Fatalf("%d-byte body read back %d different bytes", c.size, len(got))
		}
	}
}

func TestExtentIDRoundTrip(t *testing.T) {
	t.Parallel()
	ref := extentRef{seg: 0xdeadbeef, block: maxBlocks - 1, nonce: 0x0123456789abcdef}
	id := ref.id()
	if !blob.ValidID(id) {
		t.Fatalf("extent id %q is not a valid blob id", id)
	}
	got, ok := parseExtentID(id)
	if !ok || got != ref {
		t.Fatalf("parse(%s) = %+v, %v; want %+v", id, got, ok, ref)
	}
	for range 1000 {
		if _, ok := parseExtentID(fileID()); ok {
			t.Fatalf("a file id parses as an extent id")
		}
	}
}

// TestStaleAndForgedIDs checks that an id whose nonce does not match the header at its place
// names nothing, and that a deleted extent stays deleted.
func TestStaleAndForgedIDs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t, t.TempDir())
	info := mustPut(t, s, []byte("hello"))
	ref, _ := parseExtentID(info.ID)
	forged := extentRef{seg: ref.seg, block: ref.block, nonce: ref.nonce + 1}.id()
	if _, err := s.Open(ctx, forged, 0, -1); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Open with a wrong nonce: err = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, forged); err != nil {
		t.Fatalf("Delete with a wrong nonce: %v", err)
	}
	if got := mustRead(t, s, info.ID); string(got) != "hello" {
		t.Fatalf("a Delete with a wrong nonce changed the blob: %q", got)
	}
	if err := s.Delete(ctx, info.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Stat(ctx, info.ID); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Stat after Delete: err = %v, want ErrNotFound", err)
	}
}

// TestLegacyFileWithExtentLikeID checks that a blob file whose random id begins like an extent's
// (written before extents existed) is still found.
func TestLegacyFileWithExtentLikeID(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := t.TempDir()
	s := newStore(t, root)
	id := extentIDPrefix + "00000001000000" + "0123456789abcdef"
	if err := os.WriteFile(filepath.Join(root, blobsDir, id), []byte("old"), 0o644); err != nil {
		t.Fatalf("write legacy blob: %v", err)
	}
	if got := mustRead(t, s, id); string(got) != "old" {
		t.Fatalf("legacy blob read %q", got)
	}
	if err := s.Delete(ctx, id); err != nil {
		t.Fatalf("Delete legacy: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, blobsDir, id)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("legacy blob file still there after Delete: %v", err)
	}
}

// nextData is the offset of the first data at or after off in the file (SEEK_DATA), or the file's
// size when only a hole follows.
func nextData(t *testing.T, path string, off int64) int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	pos, err := unix.Seek(int(f.Fd()), off, unix.SEEK_DATA)
	if errors.Is(err, unix.ENXIO) {
		fi, err := f.Stat()
		if err != nil {
			t.Fatalf("stat %s: %v", path, err)
		}
		return fi.Size()
	}
	if err != nil {
		t.Fatalf("SEEK_DATA %s: %v", path, err)
	}
	return pos
}

// TestDeleteFreesSpaceAndEmptySegmentsGo checks that Delete punches an extent's blocks out, that
// Walk no longer sees it, and that a sealed segment whose extents are all deleted is removed.
func TestDeleteFreesSpaceAndEmptySegmentsGo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := t.TempDir()
	s := newStore(t, root)
	s.segs.target = 64 << 10 // seal after about 8 extents of 4 KiB
	var infos []blob.Info
	for range 40 {
		infos = append(infos, mustPut(t, s, randBody(t, 4096)))
	}
	first, _ := parseExtentID(infos[0].ID)
	path := s.segs.path(first.seg)
	if err := s.Delete(ctx, infos[1].ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	// The deleted extent's blocks are a hole. (Counting st_blocks instead is flaky: splitting an
	// ext4 extent can allocate an extent-tree block as it frees the data blocks.)
	ref, _ := parseExtentID(infos[1].ID)
	if data := nextData(t, path, ref.offset()); data < ref.offset()+2*blockSize {
		t.Fatalf("Delete of a 4 KiB extent at %d: data at %d, want a hole of its two blocks", ref.offset(), data)
	}
	if _, ok := walkIDs(t, s)[infos[1].ID]; ok {
		t.Fatalf("Walk still lists a deleted extent")
	}
	for _, info := range infos {
		ref, _ := parseExtentID(info.ID)
		if ref.seg == first.seg {
			if err := s.Delete(ctx, info.ID); err != nil {
				t.Fatalf("Delete: %v", err)
			}
		}
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("sealed segment with every extent deleted still exists: %v", err)
	}
	left := walkIDs(t, s)
	for _, info := range infos {
		ref, _ := parseExtentID(info.ID)
		if _, ok := left[info.ID]; ok == (ref.seg == first.seg) {
			t.Fatalf("after deleting segment %d: Walk lists %s = %v", first.seg, info.ID, ok)
		}
	}
}

// TestTornTailIsCutOnOpen writes extents, then what a crash in the middle of an append leaves (a
// header whose body never made it, and garbage after it), and reopens: every acknowledged extent
// reads back, Walk lists only those, the tail is gone, and new Puts go to a new segment.
func TestTornTailIsCutOnOpen(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	s := newStore(t, root)
	want := map[string][]byte{}
	for i := range 10 {
		body := randBody(t, 100*i+1)
		want[mustPut(t, s, body).ID] = body
	}
	var ref extentRef
	for id := range want {
		ref, _ = parseExtentID(id)
	}
	path := s.segs.path(ref.seg)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("stat segment: %v", err)
	}
	// A header for a 5000-byte body at the end, with only part of the body and then garbage.
	torn := extentRef{seg: ref.seg, block: uint32(fi.Size() / blockSize), nonce: 42}
	body := randBody(t, 5000)
	tail := make([]byte, 3*blockSize)
	header{length: 5000, created: 1, nonce: 42}.encode(tail, torn, body)
	copy(tail[headerSize:], body[:3000])
	copy(tail[2*blockSize:], randBody(t, blockSize))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatalf("open segment: %v", err)
	}
	if _, err := f.Write(tail); err != nil {
		t.Fatalf("write torn tail: %v", err)
	}
	f.Close()

	s2 := newStore(t, root)
	if fi2, err := os.Stat(path); err != nil || fi2.Size() != fi.Size() {
		t.Fatalf("segment after reopening: %v, %v; want its %d intact bytes", fi2, err, fi.Size())
	}
	got := walkIDs(t, s2)
	if len(got) != len(want) {
		t.Fatalf("Walk after a torn tail lists %d blobs, want %d", len(got), len(want))
	}
	for id, body := range want {
		if b := mustRead(t, s2, id); !bytes.Equal(b, body) {
			t.Fatalf("blob %s read back wrong after reopening", id)
		}
	}
	if _, err := s2.Open(context.Background(), torn.id(), 0, -1); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Open of the torn extent: err = %v, want ErrNotFound", err)
	}
	next, _ := parseExtentID(mustPut(t, s2, []byte("after")).ID)
	if next.seg <= ref.seg {
		t.Fatalf("Put after reopening went to segment %d, want a new one after %d", next.seg, ref.seg)
	}
}

// TestWalkDuringDeletes walks while extents are deleted: Walk never fails and never lists a blob
// that was deleted before it began.
func TestWalkDuringDeletes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t, t.TempDir())
	var ids []string
	for range 200 {
		ids = append(ids, mustPut(t, s, randBody(t, 3000)).ID)
	}
	for _, id := range ids[:50] {
		if err := s.Delete(ctx, id); err != nil {
			t.Fatalf("Delete: %v", err)
		}
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for _, id := range ids[50:150] {
			_ = s.Delete(ctx, id)
		}
	}()
	got := walkIDs(t, s)
	wg.Wait()
	for _, id := range ids[:50] {
		if _, ok := got[id]; ok {
			t.Fatalf("Walk listed %s, deleted before it began", id)
		}
	}
	for _, id := range ids[150:] {
		if _, ok := got[id]; !ok {
			t.Fatalf("Walk missed %s, never deleted", id)
		}
	}
}

// TestSecondStoreLeavesLiveSegmentAlone opens a second store on a directory that a first one is
// appending to (as an in-process restart without Close does): the first store's segment is neither
// cut nor removed, the two never append to one segment, and each reads what the other wrote.
func TestSecondStoreLeavesLiveSegmentAlone(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	s1 := newStore(t, root)
	a := mustPut(t, s1, []byte("first"))
	s2 := newStore(t, root)
	b := mustPut(t, s2, []byte("second"))
	c := mustPut(t, s1, []byte("first again"))
	ra, _ := parseExtentID(a.ID)
	rb, _ := parseExtentID(b.ID)
	rc, _ := parseExtentID(c.ID)
	if rb.seg == ra.seg || rc.seg != ra.seg {
		t.Fatalf("segments: first store %d then %d, second store %d; want the first store to keep its own and the second a new one", ra.seg, rc.seg, rb.seg)
	}
	for _, s := range []*Store{s1, s2} {
		for id, want := range map[string]string{a.ID: "first", b.ID: "second", c.ID: "first again"} {
			if got := mustRead(t, s, id); string(got) != want {
				t.Fatalf("blob %s read %q, want %q", id, got, want)
			}
		}
	}
}

// TestEmptyLiveSegmentSurvivesSecondOpen checks that a segment another store has just created (no
// extent flushed into it yet) is not taken for an empty sealed one and removed.
func TestEmptyLiveSegmentSurvivesSecondOpen(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	s1 := newStore(t, root)
	if err := s1.segs.roll(); err != nil {
		t.Fatalf("roll: %v", err)
	}
	path := s1.segs.path(s1.segs.cur.num)
	newStore(t, root)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the first store's new segment is gone after a second store opened: %v", err)
	}
	info := mustPut(t, s1, []byte("kept"))
	if ref, _ := parseExtentID(info.ID); s1.segs.path(ref.seg) != path {
		t.Fatalf("Put went to segment %d, want the one created before", ref.seg)
	}
	if got := mustRead(t, s1, info.ID); string(got) != "kept" {
		t.Fatalf("read %q", got)
	}
}

// TestExtentCreatedTime checks that Put, Stat and Walk agree on when an extent was made: the
// objects collector spares unreferenced blobs younger than its grace period by this time.
func TestExtentCreatedTime(t *testing.T) {
	t.Parallel()
	s := newStore(t, t.TempDir())
	before := time.Now()
	info := mustPut(t, s, []byte("young"))
	after := time.Now()
	if info.Created.Before(before) || info.Created.After(after) {
		t.Fatalf("Put: Created %v, want between %v and %v", info.Created, before, after)
	}
	st, err := s.Stat(context.Background(), info.ID)
	if err != nil || !st.Created.Equal(info.Created) {
		t.Fatalf("Stat: Created %v (err %v), want %v", st.Created, err, info.Created)
	}
	var walked time.Time
	if err := s.Walk(context.Background(), func(i blob.Info) error { walked = i.Created; return nil }); err != nil {
		t.Fatalf("Walk: %v", err)
	}
	if !walked.Equal(info.Created) {
		t.Fatalf("Walk: Created %v, want %v", walked, info.Created)
	}
}

func TestDeferredPutIsListedOnceFlushed(t *testing.T) {
	s := newStore(t, t.TempDir())
	ctx := context.Background()
	first := mustPut(t, s, randBody(t, 1000))
	var infos []blob.Info
	var flushes []func() error
	for range 3 {
		info, flush := mustPutDeferred(t, s, randBody(t, 5000))
		infos, flushes = append(infos, info), append(flushes, flush)
	}
	ids := walkIDs(t, s)
	if _, ok := ids[first.ID]; !ok {
		t.Fatalf("Walk misses the flushed blob %s", first.ID)
	}
	for _, info := range infos {
		if _, ok := ids[info.ID]; ok {
			t.Fatalf("Walk lists %s before it is flushed", info.ID)
		}
	}
	// The last one's flush covers the two written before it.
	if err := flushes[2](); err != nil {
		t.Fatalf("flush: %v", err)
	}
	if got := s.segs.flushed.Load(); got < 4 {
		t.Fatalf("flushed appends = %d after flushing the fourth, want at least 4", got)
	}
	ids = walkIDs(t, s)
	for _, info := range infos {
		if ids[info.ID] != 5000 {
			t.Fatalf("Walk lists %s with size %d after the flush, want 5000", info.ID, ids[info.ID])
		}
	}
	for _, flush := range flushes {
		if err := flush(); err != nil {
			t.Fatalf("flush again: %v", err)
		}
	}
	// A body too large for an extent is durable when PutDeferred returns.
	big, flush, err := s.PutDeferred(ctx, bytes.NewReader(randBody(t, maxExtent+1)))
	if err != nil || flush() != nil {
		t.Fatalf("PutDeferred of a large body: %v", err)
	}
	if _, ok := walkIDs(t, s)[big.ID]; !ok {
		t.Fatalf("Walk misses the large blob %s", big.ID)
	}
}

func TestFailedFlushFailsEveryUnflushedAppend(t *testing.T) {
	s := newStore(t, t.TempDir())
	kept := mustPut(t, s, randBody(t, 3000))
	_, flush1 := mustPutDeferred(t, s, randBody(t, 3000))
	_, flush2 := mustPutDeferred(t, s, randBody(t, 3000))
	// The segment's file goes away under the store: its flush fails.
	seg := s.segs.cur
	_ = seg.f.Close()
	if err := flush2(); err == nil {
		t.Fatal("flush of a segment whose file is closed succeeded")
	}
	// Every append of that segment that the failed flush was to cover fails, for good.
	for i, flush := range []func() error{flush1, flush2} {
		if err := flush(); err == nil {
			t.Fatalf("flush %d after the failure succeeded", i+1)
		}
	}
	// The next blob goes to a new segment and is durable; a later flush does not revive the
	// failed appends.
	after := mustPut(t, s, randBody(t, 3000))
	if ref, _ := parseExtentID(after.ID); ref.seg == seg.num {
		t.Fatalf("Put after a failed flush went to the failed segment %d", seg.num)
	}
	if err := flush1(); err == nil {
		t.Fatal("a flush of the new segment revived an append of the failed one")
	}
	if ref, _ := parseExtentID(kept.ID); ref.seg != seg.num {
		t.Fatalf("kept blob in segment %d, want %d", ref.seg, seg.num)
	}
}

func TestDeleteBeforeFlushLeavesNothing(t *testing.T) {
	s := newStore(t, t.TempDir())
	ctx := context.Background()
	kept := mustPut(t, s, randBody(t, 2000))
	gone, _ := mustPutDeferred(t, s, randBody(t, 2000))
	_, flush := mustPutDeferred(t, s, randBody(t, 2000))
	// Deleted before any flush wrote it (its request failed): nothing of it is written.
	if err := s.Delete(ctx, gone.ID); err != nil {
		t.Fatalf("Delete of an unflushed blob: %v", err)
	}
	if err := flush(); err != nil {
		t.Fatalf("flush: %v", err)
	}
	ids := walkIDs(t, s)
	if _, ok := ids[gone.ID]; ok {
		t.Fatalf("a blob deleted before its flush is listed after it")
	}
	if len(ids) != 2 {
		t.Fatalf("Walk lists %d blobs, want the two kept", len(ids))
	}
	if _, err := s.Open(ctx, gone.ID, 0, -1); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Open of the deleted blob: %v, want ErrNotFound", err)
	}
	// A stale id past everything written is no blob, and deleting it is no error.
	ref, _ := parseExtentID(kept.ID)
	ref.block += 1000
	if err := s.Delete(ctx, ref.id()); err != nil {
		t.Fatalf("Delete of an id past the end: %v", err)
	}
}

// TestConcurrentDeferredPutsAcrossRolls races writers that append, flush and sometimes delete at
// once with segments small enough to be sealed every few appends (so rolls happen while flushes
// write): every flushed blob that was not deleted reads back with its bytes, and Walk lists
// exactly those.
func TestConcurrentDeferredPutsAcrossRolls(t *testing.T) {
	t.Parallel()
	s := newStore(t, t.TempDir())
	s.segs.target = 32 << 10
	ctx := context.Background()
	var mu sync.Mutex
	kept := map[string][]byte{}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 60 {
				body := randBody(t, 500+(w*977+i*131)%9000)
				info, flush, err := s.PutDeferred(ctx, bytes.NewReader(body))
				if err != nil {
					t.Errorf("PutDeferred: %v", err)
					return
				}
				if i%5 == 0 { // deleted before its flush, as a failed request's body is
					if err := s.Delete(ctx, info.ID); err != nil {
						t.Errorf("Delete before flush: %v", err)
					}
					continue
				}
				if err := flush(); err != nil {
					t.Errorf("flush: %v", err)
					return
				}
				if i%7 == 0 { // deleted after
					if err := s.Delete(ctx, info.ID); err != nil {
						t.Errorf("Delete: %v", err)
					}
					continue
				}
				mu.Lock()
				kept[info.ID] = body
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for id, body := range kept {
		if got := mustRead(t, s, id); !bytes.Equal(got, body) {
			t.Fatalf("blob %s reads back %d bytes that differ from the %d stored", id, len(got), len(body))
		}
	}
	ids := walkIDs(t, s)
	if len(ids) != len(kept) {
		t.Fatalf("Walk lists %d blobs, want the %d kept", len(ids), len(kept))
	}
	for id := range ids {
		if _, ok := kept[id]; !ok {
			t.Fatalf("Walk lists %s, which was deleted", id)
		}
	}
}
