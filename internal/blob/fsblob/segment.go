package fsblob

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ceap/ceap/internal/blob"
)

const (
	segmentsDir   = "segments"
	segmentSuffix = ".seg"
	// segmentTarget is the size at which the segment being appended to is sealed; the next batch
	// goes to a new segment. A sealed segment is removed once every extent in it is deleted.
	segmentTarget = 64 << 20
	// maxBatch bounds the appended bytes held in memory until a flush writes them: beyond it,
	// the next append writes them out itself (still unflushed).
	maxBatch = 4 << 20
	// maxOpenSegments bounds the segment files kept open for reads and deletes.
	maxOpenSegments = 256
	// extentBuffer holds a header and the largest body.
	extentBuffer = headerSize + maxExtent
	// firstRead is how much of an extent one read fetches before its length is known: the header
	// and a body of up to about 8 KiB, the common case, in one system call.
	firstRead = 2 * blockSize
)

// Every extent of a segment, up to the largest segment, has a block index that fits its id.
const _ = uint64(maxBlocks*blockSize - segmentTarget - maxBatch)

// errNoExtent says that an extent id names nothing: no such segment, or a header that is not
// that extent's (deleted, or never written).
var errNoExtent = errors.New("no such extent")

// errCorrupt says that an extent's bytes do not match its checksum.
var errCorrupt = errors.New("extent fails its checksum")

// segment is one open segment file.
type segment struct {
	num uint32
	f   *os.File
	// limit is how far the segment is written and flushed while it is being appended to, and -1
	// once it is sealed (its size is then its file's).
	limit atomic.Int64
	// failed is set when a flush of the segment failed: its appends that were not yet on disk
	// may be lost, so a ticket in it never flushes.
	failed atomic.Bool
	// inflight counts the flushes writing to the segment outside wmu: a segment sealed while one
	// runs is not removed for looking empty.
	inflight atomic.Int32
	// refs and gone are guarded by segments.mu: a segment removed from the table is closed when
	// its last user releases it.
	refs int
	gone bool
}

func (g *segment) fd() int { return int(g.f.Fd()) }

// segments keeps the segment files: the bodies of small blobs, appended with a header each to one
// segment at a time, read and punched out in place. An append takes the next place in the
// segment and is encoded into a buffer; a flush writes the buffer (every append since the last
// flush, in one write at the end of what is written, so the file is always written as a prefix)
// and fdatasyncs it. Whoever needs a flush while another runs waits for it and then finds itself
// covered, or runs the next one for everybody who came meanwhile (group commit without a
// goroutine of its own). A caller can also append now and flush later (write, then flush with
// the ticket), so that one flush covers the bodies of a whole batch of its own.
type segments struct {
	dir string
	// target is the size at which a segment is sealed (segmentTarget; tests make it small).
	target int64
	// reads pools extent buffers for Open.
	reads sync.Pool

	mu   sync.Mutex
	open map[uint32]*segment
	next uint32 // number of the next segment to create

	// wmu orders the appends and guards what follows it.
	wmu     sync.Mutex
	cur     *segment // being appended to; nil until the first append after opening
	size    int64    // bytes of cur taken by appends, the pending ones included
	pending []byte   // appends not yet written; they end at size
	spare   []byte   // the buffer that the last flush wrote, for the next appends
	broken  bool     // cur failed a write or flush: the next append goes to a new segment
	written uint64   // appends made so far, over every segment

	// fmu lets one flush run at a time; flushed is how many appends are on disk.
	fmu     sync.Mutex
	flushed atomic.Uint64
}

// ticket is an append written but perhaps not yet flushed.
type ticket struct {
	seq uint64   // the append's place in the order of appends (1-based)
	g   *segment // the segment it went to
}

// openSegments opens the segment directory. The last segment is the only one a crash can have
// left with a torn tail (it is the one that was being appended to): its intact prefix is kept
// and the rest cut off. No segment that exists at opening is ever appended to again.
func openSegments(dir string) (*segments, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create segment directory: %w", err)
	}
	s := &segments{dir: dir, target: segmentTarget, open: map[uint32]*segment{}, next: 1}
	s.reads.New = func() any { b := make([]byte, extentBuffer); return &b }
	nums, err := s.list()
	if err != nil {
		return nil, err
	}
	if len(nums) == 0 {
		return s, nil
	}
	last := nums[len(nums)-1]
	s.next = last + 1
	if err := s.repair(last); err != nil {
		return nil, err
	}
	for _, n := range nums {
		g, err := s.acquire(n)
		if err != nil {
			continue
		}
		s.removeIfEmpty(g)
		s.release(g)
	}
	return s, nil
}

func (s *segments) path(num uint32) string {
	return filepath.Join(s.dir, fmt.Sprintf("%08x%s", num, segmentSuffix))
}

// list returns the numbers of the segment files, in order.
func (s *segments) list() ([]uint32, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("read segment directory: %w", err)
	}
	var nums []uint32
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), segmentSuffix)
		if !ok || len(name) != 8 {
			continue
		}
		n, err := strconv.ParseUint(name, 16, 32)
		if err != nil || n == 0 {
			continue
		}
		nums = append(nums, uint32(n))
	}
	slices.Sort(nums)
	return nums, nil
}

// repair cuts a segment back to its intact prefix, durably. A segment that another store in a
// live process is appending to (it holds the segment's lock) is left alone: its tail is not torn
// but in flight.
func (s *segments) repair(num uint32) error {
	g, err := s.acquire(num)
	if err != nil {
		return fmt.Errorf("open segment %d: %w", num, err)
	}
	defer s.release(g)
	if err := unix.Flock(g.fd(), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil
		}
		return fmt.Errorf("lock segment %d: %w", num, err)
	}
	defer unix.Flock(g.fd(), unix.LOCK_UN)
	fi, err := g.f.Stat()
	if err != nil {
		return fmt.Errorf("stat segment %d: %w", num, err)
	}
	buf := make([]byte, extentBuffer)
	end, err := scan(g, fi.Size(), buf, false, func(extentRef, header) error { return nil })
	if err != nil {
		return fmt.Errorf("scan segment %d: %w", num, err)
	}
	if end == fi.Size() {
		return nil
	}
	if err := g.f.Truncate(end); err != nil {
		return fmt.Errorf("cut torn tail of segment %d: %w", num, err)
	}
	if err := unix.Fdatasync(g.fd()); err != nil {
		return fmt.Errorf("flush segment %d: %w", num, err)
	}
	return nil
}

// acquire returns the open segment num; the caller releases it.
func (s *segments) acquire(num uint32) (*segment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g, ok := s.open[num]; ok {
		g.refs++
		return g, nil
	}
	f, err := os.OpenFile(s.path(num), os.O_RDWR, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errNoExtent
		}
		return nil, fmt.Errorf("open segment: %w", err)
	}
	if len(s.open) >= maxOpenSegments {
		s.evictLocked()
	}
	g := &segment{num: num, f: f, refs: 1}
	g.limit.Store(-1)
	s.open[num] = g
	return g, nil
}

// evictLocked closes the segments nobody is using.
func (s *segments) evictLocked() {
	for n, g := range s.open {
		if g.refs == 0 {
			delete(s.open, n)
			_ = g.f.Close()
		}
	}
}

func (s *segments) release(g *segment) {
	s.mu.Lock()
	g.refs--
	closeNow := g.gone && g.refs == 0
	s.mu.Unlock()
	if closeNow {
		_ = g.f.Close()
	}
}

// removeIfEmpty removes a sealed segment that holds no data any more: every extent in it was
// punched out.
func (s *segments) removeIfEmpty(g *segment) {
	if g.limit.Load() >= 0 || g.inflight.Load() > 0 {
		return
	}
	if _, err := unix.Seek(g.fd(), 0, unix.SEEK_DATA); !errors.Is(err, unix.ENXIO) {
		return
	}
	// Empty, unless another store has just created it to append to.
	if err := unix.Flock(g.fd(), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		return
	}
	s.mu.Lock()
	if g.gone {
		s.mu.Unlock()
		return
	}
	g.gone = true
	delete(s.open, g.num)
	s.mu.Unlock()
	// A removal lost in a crash leaves an empty segment, removed at the next opening.
	_ = os.Remove(s.path(g.num))
}

// append stores body as a new extent and returns once it is on disk.
func (s *segments) append(body []byte) (blob.Info, error) {
	info, t, err := s.write(body)
	if err != nil {
		return blob.Info{}, err
	}
	if err := s.flush(t); err != nil {
		return blob.Info{}, err
	}
	return info, nil
}

// write appends body as a new extent, not yet written to the file or flushed: until flush(t)
// returns nil the extent may be lost, and nothing durable may refer to it.
func (s *segments) write(body []byte) (blob.Info, ticket, error) {
	h := header{length: uint32(len(body)), created: time.Now().UnixNano(), nonce: rand.Uint64()}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.cur == nil || s.broken || s.size >= s.target {
		if err := s.roll(); err != nil {
			return blob.Info{}, ticket{}, err
		}
	}
	if len(s.pending) >= maxBatch {
		if err := s.writePending(); err != nil {
			return blob.Info{}, ticket{}, err
		}
	}
	ref := extentRef{seg: s.cur.num, block: uint32(s.size / blockSize), nonce: h.nonce}
	start, span := len(s.pending), int(h.span())
	s.pending = slices.Grow(s.pending, span)[:start+span]
	ext := s.pending[start:]
	h.encode(ext, ref, body)
	n := copy(ext[headerSize:], body)
	clear(ext[headerSize+n:])
	s.size += int64(span)
	s.written++
	return blob.Info{ID: ref.id(), Size: int64(len(body)), Created: h.createdTime()}, ticket{seq: s.written, g: s.cur}, nil
}

// writePending writes the pending appends to cur, unflushed. The caller holds wmu.
func (s *segments) writePending() error {
	if len(s.pending) == 0 {
		return nil
	}
	err := writeAt(s.cur, s.pending, s.size-int64(len(s.pending)))
	s.pending = s.pending[:0]
	if err != nil {
		s.cur.failed.Store(true)
		s.broken = true
	}
	return err
}

// writeAt writes b to g at off.
func writeAt(g *segment, b []byte, off int64) error {
	if _, err := g.f.WriteAt(b, off); err != nil {
		return fmt.Errorf("append to segment: %w", err)
	}
	return nil
}

// flush returns once the append of t is on disk, with one fdatasync for every append written
// before that flush started.
func (s *segments) flush(t ticket) error {
	if s.flushed.Load() < t.seq {
		s.fmu.Lock()
		err := s.flushLocked(t)
		s.fmu.Unlock()
		if err != nil {
			return err
		}
	}
	if t.g.failed.Load() {
		return errFlushFailed
	}
	return nil
}

// errFlushFailed answers the appends that a failed flush may have lost.
var errFlushFailed = errors.New("flush segment: an earlier flush of this segment failed")

func (s *segments) flushLocked(t ticket) error {
	if s.flushed.Load() >= t.seq {
		return nil // a flush that ran while this one waited covered it
	}
	// Every append up to upto is in the pending bytes taken here, or was written before (to g,
	// or to a segment sealed before it, which roll wrote and flushed).
	s.wmu.Lock()
	g, upto, end := s.cur, s.written, s.size
	buf := s.pending
	s.pending, s.spare = s.spare[:0], nil
	s.mu.Lock()
	g.refs++
	s.mu.Unlock()
	g.inflight.Add(1)
	s.wmu.Unlock()
	defer s.release(g)
	err := writeAt(g, buf, end-int64(len(buf)))
	if err == nil {
		if err = unix.Fdatasync(g.fd()); err != nil {
			err = fmt.Errorf("flush segment: %w", err)
		}
	}
	if err != nil {
		g.failed.Store(true)
	}
	g.inflight.Add(-1)
	s.wmu.Lock()
	s.spare = buf[:0]
	if err != nil && s.cur == g {
		s.broken = true
	}
	s.wmu.Unlock()
	if err != nil {
		return err
	}
	// Walks see the flushed appends, until g is sealed (its limit is then -1, its file's size).
	for {
		limit := g.limit.Load()
		if limit < 0 || limit >= end || g.limit.CompareAndSwap(limit, end) {
			break
		}
	}
	s.flushed.Store(upto)
	return nil
}

// roll seals the current segment and starts a new one, whose name is durable before any
// extent in it is acknowledged. The sealed segment's pending appends are written and flushed
// first, so that a flush of the new one covers every append before it. The segment being
// appended to is locked (flock), so that no other store opening the directory takes its tail for
// a torn one. The caller holds wmu.
func (s *segments) roll() error {
	num, f, err := s.create()
	if err != nil {
		return err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		_ = f.Close()
		return fmt.Errorf("lock segment %d: %w", num, err)
	}
	if err := syncDir(s.dir); err != nil {
		_ = f.Close()
		_ = os.Remove(s.path(num))
		return err
	}
	g := &segment{num: num, f: f, refs: 1}
	s.mu.Lock()
	s.open[num] = g
	s.mu.Unlock()
	old := s.cur
	if old != nil && !old.failed.Load() {
		if err := s.writePending(); err != nil || unix.Fdatasync(old.fd()) != nil {
			old.failed.Store(true)
		}
	}
	s.pending = s.pending[:0]
	s.cur, s.size, s.broken = g, 0, false
	if old != nil {
		_ = unix.Flock(old.fd(), unix.LOCK_UN)
		old.limit.Store(-1)
		s.removeIfEmpty(old)
		s.release(old)
	}
	return nil
}

// create makes the file of the next segment, skipping numbers that another store took.
func (s *segments) create() (uint32, *os.File, error) {
	for {
		s.mu.Lock()
		num := s.next
		s.next++
		s.mu.Unlock()
		if num == 0 {
			return 0, nil, errors.New("create segment: segment numbers exhausted")
		}
		f, err := os.OpenFile(s.path(num), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return 0, nil, fmt.Errorf("create segment: %w", err)
		}
		return num, f, nil
	}
}

// read returns the header and body of the extent at ref, read whole and checked, in a buffer from
// the pool.
func (s *segments) read(ref extentRef) (header, *[]byte, error) {
	g, err := s.acquire(ref.seg)
	if err != nil {
		return header{}, nil, err
	}
	defer s.release(g)
	bufp := s.reads.Get().(*[]byte)
	h, err := readExtent(g, ref, *bufp)
	if err != nil {
		s.reads.Put(bufp)
		return header{}, nil, err
	}
	return h, bufp, nil
}

// readExtent reads the extent at ref into buf, checking its checksum. A checksum that fails
// because the extent was deleted meanwhile is errNoExtent.
func readExtent(g *segment, ref extentRef, buf []byte) (header, error) {
	off := ref.offset()
	n, err := g.f.ReadAt(buf[:firstRead], off)
	if n < headerSize {
		if err != nil && !errors.Is(err, io.EOF) {
			return header{}, fmt.Errorf("read segment: %w", err)
		}
		return header{}, errNoExtent
	}
	h, st := decodeHeader(buf)
	if st != headerValid || h.nonce != ref.nonce {
		return header{}, errNoExtent
	}
	need := headerSize + int(h.length)
	if n < need {
		m, err := g.f.ReadAt(buf[n:need], off+int64(n))
		if m < need-n {
			if err != nil && !errors.Is(err, io.EOF) {
				return header{}, fmt.Errorf("read segment: %w", err)
			}
			return header{}, errNoExtent
		}
	}
	if !checks(ref, buf[:headerSize], buf[headerSize:need]) {
		var again [headerSize]byte
		if _, err := g.f.ReadAt(again[:], off); err != nil {
			return header{}, fmt.Errorf("read segment: %w", err)
		}
		if h2, st := decodeHeader(again[:]); st != headerValid || h2.nonce != ref.nonce {
			return header{}, errNoExtent
		}
		return header{}, errCorrupt
	}
	return h, nil
}

// stat returns the header of the extent at ref.
func (s *segments) stat(ref extentRef) (header, error) {
	g, err := s.acquire(ref.seg)
	if err != nil {
		return header{}, err
	}
	defer s.release(g)
	return readHeader(g, ref)
}

func readHeader(g *segment, ref extentRef) (header, error) {
	var b [headerSize]byte
	if _, err := g.f.ReadAt(b[:], ref.offset()); err != nil {
		if errors.Is(err, io.EOF) {
			return header{}, errNoExtent
		}
		return header{}, fmt.Errorf("read segment: %w", err)
	}
	h, st := decodeHeader(b[:])
	if st != headerValid || h.nonce != ref.nonce {
		return header{}, errNoExtent
	}
	return h, nil
}

// remove punches the extent at ref out of its segment, freeing its blocks, and removes the segment
// once it is sealed and empty.
func (s *segments) remove(ref extentRef) error {
	g, err := s.acquire(ref.seg)
	if err != nil {
		return err
	}
	defer s.release(g)
	h, err := readHeader(g, ref)
	if errors.Is(err, errNoExtent) {
		return s.removeUnwritten(g, ref)
	}
	if err != nil {
		return err
	}
	return s.punch(g, ref, h)
}

// removeUnwritten removes an extent that is perhaps not written yet: an append deleted before a
// flush wrote it (its request failed). Its bytes are zeroed in the pending buffer, so that they
// are written as a hole; an extent that a flush wrote meanwhile is punched out.
func (s *segments) removeUnwritten(g *segment, ref extentRef) error {
	s.fmu.Lock() // no flush is writing a buffer that it took
	defer s.fmu.Unlock()
	s.wmu.Lock()
	if g == s.cur {
		base := s.size - int64(len(s.pending))
		if off := ref.offset(); off >= base && off+headerSize <= s.size {
			ext := s.pending[off-base:]
			if h, st := decodeHeader(ext); st == headerValid && h.nonce == ref.nonce {
				clear(ext[:h.span()])
				s.wmu.Unlock()
				return nil
			}
		}
	}
	s.wmu.Unlock()
	h, err := readHeader(g, ref)
	if err != nil {
		return err
	}
	return s.punch(g, ref, h)
}

// punch frees the blocks of the extent at ref, whose header is h, and removes its segment once
// it is sealed and empty.
func (s *segments) punch(g *segment, ref extentRef, h header) error {
	err := unix.Fallocate(g.fd(), unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, ref.offset(), h.span())
	if errors.Is(err, unix.EOPNOTSUPP) {
		// A filesystem that cannot punch holes: zero the extent, which hides it from every reader
		// but frees no space.
		_, err = g.f.WriteAt(make([]byte, h.span()), ref.offset())
	}
	if err != nil {
		return fmt.Errorf("punch out extent: %w", err)
	}
	s.removeIfEmpty(g)
	return nil
}

// walk calls fn for every intact extent of every segment. Bytes being appended are not seen
// until they are flushed.
func (s *segments) walk(fn func(blob.Info) error) error {
	nums, err := s.list()
	if err != nil {
		return err
	}
	buf := make([]byte, extentBuffer)
	for _, n := range nums {
		g, err := s.acquire(n)
		if errors.Is(err, errNoExtent) {
			continue // removed meanwhile
		}
		if err != nil {
			return err
		}
		limit := g.limit.Load()
		if limit < 0 {
			fi, err := g.f.Stat()
			if err != nil {
				s.release(g)
				return fmt.Errorf("stat segment %d: %w", n, err)
			}
			limit = fi.Size()
		}
		_, err = scan(g, limit, buf, true, func(ref extentRef, h header) error {
			return fn(blob.Info{ID: ref.id(), Size: int64(h.length), Created: h.createdTime()})
		})
		s.release(g)
		if err != nil {
			return err
		}
	}
	return nil
}

// scan calls fn for every intact extent of g below limit, skipping holes, and returns the end of
// the last intact extent. It stops at the first torn extent: nothing after it was acknowledged.
// When live, an extent whose checksum fails because it was deleted during the scan is skipped.
func scan(g *segment, limit int64, buf []byte, live bool, fn func(extentRef, header) error) (int64, error) {
	var pos, end int64
	for pos < limit {
		next, err := unix.Seek(g.fd(), pos, unix.SEEK_DATA)
		if errors.Is(err, unix.ENXIO) {
			break // only holes from here on
		}
		if err == nil && next > pos {
			pos = next &^ (blockSize - 1) // never before pos, which is aligned
		}
		if limit-pos < headerSize {
			break
		}
		if _, err := g.f.ReadAt(buf[:headerSize], pos); err != nil {
			return end, fmt.Errorf("read segment: %w", err)
		}
		h, st := decodeHeader(buf)
		if st == headerZero {
			pos += blockSize
			continue
		}
		if st == headerBad || pos+headerSize+int64(h.length) > limit {
			break
		}
		ref := extentRef{seg: g.num, block: uint32(pos / blockSize), nonce: h.nonce}
		body := buf[headerSize : headerSize+int(h.length)]
		if _, err := g.f.ReadAt(body, pos+headerSize); err != nil {
			return end, fmt.Errorf("read segment: %w", err)
		}
		if !checks(ref, buf[:headerSize], body) {
			if live {
				if _, err := readHeader(g, ref); errors.Is(err, errNoExtent) {
					pos += blockSize // punched out while read
					continue
				}
			}
			break
		}
		pos += h.span()
		end = pos
		if err := fn(ref, h); err != nil {
			return end, err
		}
	}
	return end, nil
}

// close closes every open segment file. Nothing may be in flight.
func (s *segments) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for n, g := range s.open {
		errs = append(errs, g.f.Close())
		delete(s.open, n)
	}
	s.cur = nil
	return errors.Join(errs...)
}
