// Package fsblob is the filesystem blob backend, the default. It keeps blobs in two shapes under
// the data directory:
//
//   - Small bodies (up to 64 KiB) are extents of shared, append-only segment files. Each body is
//     appended, one after another, with a header carrying its length and a CRC-32C, and flushes
//     are group-committed: one write and one fdatasync cover every body appended before the flush
//     started, and the Puts that wait for a flush while one runs share the next. PutDeferred
//     leaves the flush to its caller, so that the S3 service flushes the bodies of a whole batch
//     of metadata rows once, in the store's own group commit, before the rows commit. An
//     extent's id says where it is (segment, block, and a random nonce that its header repeats),
//     so no index is needed. Delete punches the extent's blocks out of the file
//     (FALLOC_FL_PUNCH_HOLE), and a sealed segment left with no data is removed. A crash can tear
//     only what was appended after the last flush: on opening, the last segment is cut back to
//     its intact prefix and never appended to again.
//   - Larger bodies get a file each, named by the blob id. The body streams into an unnamed file
//     (O_TMPFILE; a named temporary file where the filesystem lacks it) that is flushed (fdatasync
//     of that file alone) and then linked (or renamed) into place; the renames are made durable by
//     one fsync of the blob directory shared by every concurrent Put (group commit).
//
// Either way a crash never leaves a torn blob visible, and a Put (a PutDeferred's flush) returns
// only once its blob would survive power loss. Nothing flushes the whole filesystem: syncfs(2) would also wait for every
// other process's dirty pages.
//
// This package must never derive a path from anything but a validated blob id.
package fsblob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ceap/ceap/internal/blob"
)

const (
	blobsDir = "blobs"
	tmpDir   = "tmp"
	// staleTemp is the age after which a leftover temporary file (from a crash) is removed.
	staleTemp = time.Hour
	// copyBuffer is the size of the buffer used to stream a large body to disk.
	copyBuffer = 1 << 20
)

// Store is a blob.Store on a local directory.
type Store struct {
	root string
	pool sync.Pool
	// small pools the buffers that a body is read into until it is known to fit an extent.
	small sync.Pool
	segs  *segments
	// dirSync makes renames into the blob directory durable with one fsync of the directory for
	// all concurrent Puts (group commit).
	dirSync *groupSync
	// anonymous is set when bodies are written to unnamed files (O_TMPFILE) and linked into place.
	anonymous bool
}

var (
	_ blob.Store    = (*Store)(nil)
	_ blob.Deferred = (*Store)(nil)
)

// New opens (creating if needed) a blob store rooted at dir and removes temporary files that a
// crash left behind.
func New(dir string) (*Store, error) {
	for _, d := range []string{blobsDir, tmpDir} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("create blob directory: %w", err)
		}
	}
	s := &Store{root: dir, dirSync: &groupSync{dir: filepath.Join(dir, blobsDir)}}
	s.pool.New = func() any { b := make([]byte, copyBuffer); return &b }
	s.small.New = func() any { b := make([]byte, maxExtent+1); return &b }
	s.anonymous = anonymousWorks(filepath.Join(dir, blobsDir))
	if err := s.removeStaleTemps(); err != nil {
		return nil, err
	}
	segs, err := openSegments(filepath.Join(dir, segmentsDir))
	if err != nil {
		return nil, err
	}
	s.segs = segs
	return s, nil
}

// Close closes the segment files that the store keeps open. No call may be in flight.
func (s *Store) Close() error { return s.segs.close() }

func (s *Store) removeStaleTemps() error {
	entries, err := os.ReadDir(filepath.Join(s.root, tmpDir))
	if err != nil {
		return fmt.Errorf("read blob temp directory: %w", err)
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || time.Since(info.ModTime()) < staleTemp {
			continue
		}
		_ = os.Remove(filepath.Join(s.root, tmpDir, e.Name()))
	}
	return nil
}

func (s *Store) path(id string) string {
	return filepath.Join(s.root, blobsDir, id)
}

// Put streams r into a new blob: a body of up to maxExtent bytes becomes an extent of a segment,
// a larger one a file of its own.
func (s *Store) Put(ctx context.Context, r io.Reader) (blob.Info, error) {
	info, flush, err := s.PutDeferred(ctx, r)
	if err != nil {
		return blob.Info{}, err
	}
	if err := flush(); err != nil {
		return blob.Info{}, fmt.Errorf("write blob: %w", err)
	}
	return info, nil
}

// PutDeferred is Put, except that a body small enough for an extent is written but not flushed:
// flush makes it durable, with every other extent written before it. A larger body is durable
// when PutDeferred returns.
func (s *Store) PutDeferred(ctx context.Context, r io.Reader) (blob.Info, func() error, error) {
	bufp := s.small.Get().(*[]byte)
	defer s.small.Put(bufp)
	r = ctxReader{ctx: ctx, r: r}
	n, err := readFull(r, *bufp)
	if err != nil {
		return blob.Info{}, nil, fmt.Errorf("write blob: %w", err)
	}
	if n <= maxExtent {
		info, t, err := s.segs.write((*bufp)[:n])
		if err != nil {
			return blob.Info{}, nil, fmt.Errorf("write blob: %w", err)
		}
		return info, func() error { return s.segs.flush(t) }, nil
	}
	info, err := s.putFile(ctx, (*bufp)[:n], r)
	return info, flushed, err
}

// flushed is the flush of a blob that is already durable.
func flushed() error { return nil }

// readFull reads r until buf is full or r ends, and returns how much it read; the end of r is
// not an error.
func readFull(r io.Reader, buf []byte) (int, error) {
	n, err := io.ReadFull(r, buf)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return n, nil
	}
	return n, err
}

// fileID returns a fresh id for a blob file; it never looks like an extent's.
func fileID() string {
	for {
		if id := blob.NewID(); id[:2] != extentIDPrefix {
			return id
		}
	}
}

// putFile writes prefix and then the rest of r into a new blob file.
func (s *Store) putFile(ctx context.Context, prefix []byte, r io.Reader) (blob.Info, error) {
	id := fileID()
	f, err := s.create(id)
	if err != nil {
		return blob.Info{}, err
	}
	published := false
	defer func() {
		if !published {
			_ = f.Close()
			if !s.anonymous {
				_ = os.Remove(f.Name())
			}
		}
	}()
	if _, err := f.Write(prefix); err != nil {
		return blob.Info{}, fmt.Errorf("write blob: %w", err)
	}
	bufp := s.pool.Get().(*[]byte)
	// writerOnly hides the file's ReadFrom, which would copy through a buffer of its own.
	n, err := io.CopyBuffer(writerOnly{f}, r, *bufp)
	s.pool.Put(bufp)
	if err != nil {
		return blob.Info{}, fmt.Errorf("write blob: %w", err)
	}
	n += int64(len(prefix))
	// The body is on disk before its name appears (each Put flushes only its own file, so
	// concurrent Puts flush in parallel) ...
	if err := unix.Fdatasync(int(f.Fd())); err != nil {
		return blob.Info{}, fmt.Errorf("flush blob: %w", err)
	}
	if err := s.publish(f, id); err != nil {
		return blob.Info{}, err
	}
	published = true
	// ... and the name is on disk before Put returns.
	if err := s.dirSync.sync(); err != nil {
		return blob.Info{}, err
	}
	return blob.Info{ID: id, Size: n, Created: time.Now()}, nil
}

// create opens the file a new blob is written to: an unnamed file in the blob directory when the
// filesystem supports O_TMPFILE (a crash before publish leaves nothing to clean up, and publishing
// is one link), otherwise a named temporary file in the temp directory.
func (s *Store) create(id string) (*os.File, error) {
	if s.anonymous {
		f, err := openAnonymous(filepath.Join(s.root, blobsDir))
		if err != nil {
			return nil, fmt.Errorf("create blob file: %w", err)
		}
		return f, nil
	}
	f, err := os.CreateTemp(filepath.Join(s.root, tmpDir), id+"-*")
	if err != nil {
		return nil, fmt.Errorf("create blob temp file: %w", err)
	}
	return f, nil
}

// publish gives a written, flushed file the blob's name and closes it.
func (s *Store) publish(f *os.File, id string) error {
	if s.anonymous {
		// Linking through /proc needs no privilege (AT_EMPTY_PATH would).
		err := unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(int(f.Fd())), unix.AT_FDCWD, s.path(id), unix.AT_SYMLINK_FOLLOW)
		if err != nil {
			return fmt.Errorf("publish blob: %w", err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("close blob: %w", err)
		}
		return nil
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close blob: %w", err)
	}
	if err := os.Rename(f.Name(), s.path(id)); err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("publish blob: %w", err)
	}
	return nil
}

func openAnonymous(dir string) (*os.File, error) {
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), dir), nil
}

// anonymousWorks reports whether unnamed files can be created in dir and linked into it.
func anonymousWorks(dir string) bool {
	f, err := openAnonymous(dir)
	if err != nil {
		return false
	}
	defer f.Close()
	probe := filepath.Join(dir, ".probe-"+blob.NewID())
	if unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(int(f.Fd())), unix.AT_FDCWD, probe, unix.AT_SYMLINK_FOLLOW) != nil {
		return false
	}
	_ = os.Remove(probe)
	return true
}

type writerOnly struct{ w io.Writer }

func (w writerOnly) Write(p []byte) (int, error) { return w.w.Write(p) }

// syncDir flushes dir's entries (the renames into it) to disk.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open blob directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync blob directory: %w", err)
	}
	return nil
}

// Open returns a reader over part of a blob.
func (s *Store) Open(_ context.Context, id string, offset, length int64) (io.ReadCloser, error) {
	if !blob.ValidID(id) {
		return nil, fmt.Errorf("open blob %q: %w", id, blob.ErrInvalidID)
	}
	if ref, ok := parseExtentID(id); ok {
		h, bufp, err := s.segs.read(ref)
		if err == nil {
			body := (*bufp)[headerSize : headerSize+int(h.length)]
			offset = min(offset, int64(len(body)))
			end := int64(len(body))
			if length >= 0 && length < end-offset {
				end = offset + length
			}
			r := &extentReader{pool: &s.segs.reads, bufp: bufp}
			r.Reset(body[offset:end])
			return r, nil
		}
		if !errors.Is(err, errNoExtent) {
			return nil, fmt.Errorf("open blob %s: %w", id, err)
		}
		// Not an extent: a file whose id, made before extents existed, begins like one.
	}
	f, err := os.Open(s.path(id))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("open blob %s: %w", id, blob.ErrNotFound)
		}
		return nil, fmt.Errorf("open blob %s: %w", id, err)
	}
	if offset == 0 && length < 0 {
		return f, nil
	}
	if length < 0 {
		length = 1<<63 - 1 - offset
	}
	return &section{SectionReader: io.NewSectionReader(f, offset, length), f: f}, nil
}

// extentReader reads an extent's body from a pooled buffer: an extent is read whole at Open and
// checked against its checksum, so a Delete that punches it out meanwhile cannot tear a read.
// Bodies this small are never sent with sendfile.
type extentReader struct {
	bytes.Reader
	pool *sync.Pool
	bufp *[]byte
}

// Close returns the buffer to the pool; reads after Close see the end.
func (r *extentReader) Close() error {
	if r.bufp != nil {
		r.Reset(nil)
		r.pool.Put(r.bufp)
		r.bufp = nil
	}
	return nil
}

// section reads part of a blob file.
type section struct {
	*io.SectionReader
	f *os.File
}

var _ blob.FileReader = (*section)(nil)

func (s *section) Close() error { return s.f.Close() }

// FileRange positions the file at the section's next byte (reads so far went through ReadAt,
// which leaves the file's offset alone) and limits it to what the section has left.
func (s *section) FileRange() (*io.LimitedReader, error) {
	pos, err := s.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, fmt.Errorf("blob file range: %w", err)
	}
	_, base, _ := s.Outer()
	if _, err := s.f.Seek(base+pos, io.SeekStart); err != nil {
		return nil, fmt.Errorf("blob file range: %w", err)
	}
	return &io.LimitedReader{R: s.f, N: s.Size() - pos}, nil
}

// Stat returns a blob's Info.
func (s *Store) Stat(_ context.Context, id string) (blob.Info, error) {
	if !blob.ValidID(id) {
		return blob.Info{}, fmt.Errorf("stat blob %q: %w", id, blob.ErrInvalidID)
	}
	if ref, ok := parseExtentID(id); ok {
		h, err := s.segs.stat(ref)
		if err == nil {
			return blob.Info{ID: id, Size: int64(h.length), Created: h.createdTime()}, nil
		}
		if !errors.Is(err, errNoExtent) {
			return blob.Info{}, fmt.Errorf("stat blob %s: %w", id, err)
		}
	}
	fi, err := os.Stat(s.path(id))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return blob.Info{}, fmt.Errorf("stat blob %s: %w", id, blob.ErrNotFound)
		}
		return blob.Info{}, fmt.Errorf("stat blob %s: %w", id, err)
	}
	return blob.Info{ID: id, Size: fi.Size(), Created: fi.ModTime()}, nil
}

// Delete removes a blob; a missing blob is not an error.
func (s *Store) Delete(_ context.Context, id string) error {
	if !blob.ValidID(id) {
		return fmt.Errorf("delete blob %q: %w", id, blob.ErrInvalidID)
	}
	if ref, ok := parseExtentID(id); ok {
		err := s.segs.remove(ref)
		if err == nil {
			return nil
		}
		if !errors.Is(err, errNoExtent) {
			return fmt.Errorf("delete blob %s: %w", id, err)
		}
	}
	if err := os.Remove(s.path(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete blob %s: %w", id, err)
	}
	return nil
}

// walkBatch is how many directory entries Walk reads at a time, so that a directory of millions of
// blobs is never held in memory at once.
const walkBatch = 1000

// Walk calls fn for every blob: the files, then the extents.
func (s *Store) Walk(ctx context.Context, fn func(blob.Info) error) error {
	if err := s.walkFiles(ctx, fn); err != nil {
		return err
	}
	return s.segs.walk(func(i blob.Info) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fn(i)
	})
}

func (s *Store) walkFiles(ctx context.Context, fn func(blob.Info) error) error {
	d, err := os.Open(filepath.Join(s.root, blobsDir))
	if err != nil {
		return fmt.Errorf("open blob directory: %w", err)
	}
	defer d.Close()
	for {
		entries, err := d.ReadDir(walkBatch)
		for _, e := range entries {
			if err := ctx.Err(); err != nil {
				return err
			}
			if !blob.ValidID(e.Name()) {
				continue
			}
			fi, err := e.Info()
			if err != nil {
				continue // removed while walking
			}
			if err := fn(blob.Info{ID: e.Name(), Size: fi.Size(), Created: fi.ModTime()}); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read blob directory: %w", err)
		}
	}
}

// groupSync flushes a directory on behalf of every caller that asked before the flush began:
// concurrent Puts share one flush instead of paying one each.
type groupSync struct {
	dir     string
	mu      sync.Mutex
	waiting []chan error
	running bool
}

func (g *groupSync) sync() error {
	ch := make(chan error, 1)
	g.mu.Lock()
	g.waiting = append(g.waiting, ch)
	if !g.running {
		g.running = true
		go g.loop()
	}
	g.mu.Unlock()
	return <-ch
}

func (g *groupSync) loop() {
	for {
		g.mu.Lock()
		batch := g.waiting
		g.waiting = nil
		if len(batch) == 0 {
			g.running = false
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		err := syncDir(g.dir)
		for _, ch := range batch {
			ch <- err
		}
	}
}

// ctxReader stops a copy when its context is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
