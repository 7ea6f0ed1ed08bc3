// Package blobtest is the conformance suite that every blob backend must pass. A backend's test
// calls Run with a function that returns a fresh, empty store.
//
// This package must never depend on a particular backend.
package blobtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"sync"
	"testing"

	"github.com/ceap/ceap/internal/blob"
)

// Run runs every conformance test against stores made by newStore.
func Run(t *testing.T, newStore func(t *testing.T) blob.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s blob.Store)
	}{
		{"PutOpenRoundTrip", testRoundTrip},
		{"EmptyBlob", testEmpty},
		{"Ranges", testRanges},
		{"Stat", testStat},
		{"Delete", testDelete},
		{"MissingAndInvalidIDs", testMissing},
		{"FailedPutLeavesNothing", testFailedPut},
		{"CancelledPutLeavesNothing", testCancelledPut},
		{"Walk", testWalk},
		{"ConcurrentPuts", testConcurrent},
		{"LargeStreamed", testLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("random: %v", err)
	}
	return b
}

func put(t *testing.T, s blob.Store, body []byte) blob.Info {
	t.Helper()
	info, err := s.Put(context.Background(), bytes.NewReader(body))
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	if !blob.ValidID(info.ID) {
		t.Fatalf("Put returned invalid id %q", info.ID)
	}
	if info.Size != int64(len(body)) {
		t.Fatalf("Put size = %d, want %d", info.Size, len(body))
	}
	return info
}

func read(t *testing.T, s blob.Store, id string, off, n int64) []byte {
	t.Helper()
	rc, err := s.Open(context.Background(), id, off, n)
	if err != nil {
		t.Fatalf("Open(%s, %d, %d): %v", id, off, n, err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read blob: %v", err)
	}
	return got
}

func testRoundTrip(t *testing.T, s blob.Store) {
	body := randomBytes(t, 300_000)
	a := put(t, s, body)
	b := put(t, s, body)
	if a.ID == b.ID {
		t.Fatalf("two puts returned the same id %s", a.ID)
	}
	if got := read(t, s, a.ID, 0, -1); !bytes.Equal(got, body) {
		t.Fatalf("read back %d bytes, differ from the %d written", len(got), len(body))
	}
}

func testEmpty(t *testing.T, s blob.Store) {
	info := put(t, s, nil)
	if got := read(t, s, info.ID, 0, -1); len(got) != 0 {
		t.Fatalf("empty blob read %d bytes", len(got))
	}
}

func testRanges(t *testing.T, s blob.Store) {
	body := randomBytes(t, 10_000)
	info := put(t, s, body)
	cases := []struct{ off, n, wantFrom, wantTo int64 }{
		{0, 1, 0, 1},
		{9_999, 1, 9_999, 10_000},
		{100, 500, 100, 600},
		{5_000, -1, 5_000, 10_000},
		{9_000, 5_000, 9_000, 10_000}, // past the end: short read
		{10_000, 10, 10_000, 10_000},
	}
	for _, c := range cases {
		got := read(t, s, info.ID, c.off, c.n)
		if !bytes.Equal(got, body[c.wantFrom:c.wantTo]) {
			t.Fatalf("range (%d,%d): got %d bytes, want bytes [%d,%d)", c.off, c.n, len(got), c.wantFrom, c.wantTo)
		}
	}
}

func testStat(t *testing.T, s blob.Store) {
	info := put(t, s, randomBytes(t, 1234))
	st, err := s.Stat(context.Background(), info.ID)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if st.ID != info.ID || st.Size != 1234 {
		t.Fatalf("Stat = %+v, want id %s size 1234", st, info.ID)
	}
}

func testDelete(t *testing.T, s blob.Store) {
	ctx := context.Background()
	info := put(t, s, []byte("gone soon"))
	if err := s.Delete(ctx, info.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Open(ctx, info.ID, 0, -1); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Open after Delete: err = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, info.ID); err != nil {
		t.Fatalf("second Delete: %v", err)
	}
}

func testMissing(t *testing.T, s blob.Store) {
	ctx := context.Background()
	if _, err := s.Open(ctx, blob.NewID(), 0, -1); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Open missing: err = %v, want ErrNotFound", err)
	}
	if _, err := s.Stat(ctx, blob.NewID()); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Stat missing: err = %v, want ErrNotFound", err)
	}
	for _, bad := range []string{"", "../../etc/passwd", "/etc/passwd", "ABCDEF0123456789ABCDEF0123456789", "0123456789abcdef0123456789abcde\x00", "0123456789abcdef/123456789abcdef"} {
		if _, err := s.Open(ctx, bad, 0, -1); !errors.Is(err, blob.ErrInvalidID) {
			t.Fatalf("Open(%q): err = %v, want ErrInvalidID", bad, err)
		}
		if err := s.Delete(ctx, bad); !errors.Is(err, blob.ErrInvalidID) {
			t.Fatalf("Delete(%q): err = %v, want ErrInvalidID", bad, err)
		}
	}
}

var errBroken = errors.New("broken body")

type failingReader struct {
	n int
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errBroken
	}
	if len(p) > f.n {
		p = p[:f.n]
	}
	for i := range p {
		p[i] = 'x'
	}
	f.n -= len(p)
	return len(p), nil
}

func count(t *testing.T, s blob.Store) int {
	t.Helper()
	n := 0
	if err := s.Walk(context.Background(), func(blob.Info) error { n++; return nil }); err != nil {
		t.Fatalf("Walk: %v", err)
	}
	return n
}

func testFailedPut(t *testing.T, s blob.Store) {
	_, err := s.Put(context.Background(), &failingReader{n: 100_000})
	if !errors.Is(err, errBroken) {
		t.Fatalf("Put with failing body: err = %v, want the body's error", err)
	}
	if n := count(t, s); n != 0 {
		t.Fatalf("failed Put left %d visible blobs", n)
	}
}

func testCancelledPut(t *testing.T, s blob.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	go func() {
		_, _ = pw.Write(make([]byte, 1000))
		cancel()
		_, _ = pw.Write(make([]byte, 1000))
		_ = pw.Close()
	}()
	if _, err := s.Put(ctx, pr); err == nil {
		t.Fatalf("Put with cancelled context succeeded")
	}
	if n := count(t, s); n != 0 {
		t.Fatalf("cancelled Put left %d visible blobs", n)
	}
}

func testWalk(t *testing.T, s blob.Store) {
	want := map[string]int64{}
	for i := range 20 {
		info := put(t, s, randomBytes(t, i*7))
		want[info.ID] = info.Size
	}
	got := map[string]int64{}
	if err := s.Walk(context.Background(), func(i blob.Info) error { got[i.ID] = i.Size; return nil }); err != nil {
		t.Fatalf("Walk: %v", err)
	}
	if len(got) != len(want) {
		t.Fatalf("Walk saw %d blobs, want %d", len(got), len(want))
	}
	for id, size := range want {
		if got[id] != size {
			t.Fatalf("Walk: blob %s size %d, want %d", id, got[id], size)
		}
	}
	stop := errors.New("stop")
	n := 0
	err := s.Walk(context.Background(), func(blob.Info) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("Walk did not stop at fn's error: err = %v after %d calls", err, n)
	}
}

func testConcurrent(t *testing.T, s blob.Store) {
	const workers = 16
	var wg sync.WaitGroup
	ids := make([]string, workers)
	bodies := make([][]byte, workers)
	errs := make([]error, workers)
	for i := range workers {
		bodies[i] = randomBytes(t, 5000+i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			info, err := s.Put(context.Background(), bytes.NewReader(bodies[i]))
			ids[i], errs[i] = info.ID, err
		}()
	}
	wg.Wait()
	for i := range workers {
		if errs[i] != nil {
			t.Fatalf("concurrent Put %d: %v", i, errs[i])
		}
		if got := read(t, s, ids[i], 0, -1); !bytes.Equal(got, bodies[i]) {
			t.Fatalf("concurrent Put %d read back wrong bytes", i)
		}
	}
}

// patternReader yields n bytes of a repeating pattern without holding them in memory.
type patternReader struct{ off, n int64 }

func (p *patternReader) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	if int64(len(b)) > p.n-p.off {
		b = b[:p.n-p.off]
	}
	for i := range b {
		b[i] = byte((p.off + int64(i)) % 251)
	}
	p.off += int64(len(b))
	return len(b), nil
}

func testLarge(t *testing.T, s blob.Store) {
	const size = 32 << 20
	info, err := s.Put(context.Background(), &patternReader{n: size})
	if err != nil {
		t.Fatalf("Put large: %v", err)
	}
	if info.Size != size {
		t.Fatalf("large size = %d, want %d", info.Size, size)
	}
	rc, err := s.Open(context.Background(), info.ID, 0, -1)
	if err != nil {
		t.Fatalf("Open large: %v", err)
	}
	defer rc.Close()
	want := &patternReader{n: size}
	a, b := make([]byte, 64<<10), make([]byte, 64<<10)
	var total int64
	for {
		n, err := io.ReadFull(rc, a)
		if n > 0 {
			if _, err := io.ReadFull(want, b[:n]); err != nil {
				t.Fatalf("pattern: %v", err)
			}
			if !bytes.Equal(a[:n], b[:n]) {
				t.Fatalf("large blob differs near offset %d", total)
			}
			total += int64(n)
		}
		if err != nil {
			break
		}
	}
	if total != size {
		t.Fatalf("large blob read %d bytes, want %d", total, size)
	}
}
