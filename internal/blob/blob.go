// Package blob defines the store of object bodies and other large payloads. A blob is an immutable
// byte string addressed by an id that the blob store generates; metadata rows in the store refer to
// blobs by id. Names chosen by users (S3 keys, function names) never become blob ids or paths, so no
// user input can reach outside the blob store's own namespace.
//
// Backends live in sub-packages (fsblob: segment files and files under the data directory; s3blob:
// an S3-compatible bucket) and are all checked by the conformance suite in blobtest. An id may say
// where a backend keeps the bytes, but callers treat it as opaque. This package must never know
// about buckets, objects or any AWS API; it streams bytes and never buffers a whole blob.
package blob

import (
	"context"
	"errors"
	"io"
	"time"
)

// ErrNotFound is returned for a blob id that does not exist (never written, or deleted).
var ErrNotFound = errors.New("blob not found")

// ErrInvalidID is returned for a string that is not a blob id of the form NewID produces.
var ErrInvalidID = errors.New("invalid blob id")

// Info describes one stored blob.
type Info struct {
	// ID is the blob's id.
	ID string
	// Size is the blob's length in bytes.
	Size int64
	// Created is when the blob became visible.
	Created time.Time
}

// Store keeps blobs. Implementations are safe for concurrent use.
type Store interface {
	// Put streams r into a new blob and returns its Info. The blob becomes visible only when Put
	// returns nil; a failed or interrupted Put (an error from r, a cancelled ctx, a crash) leaves
	// nothing visible.
	Put(ctx context.Context, r io.Reader) (Info, error)
	// Open returns a reader over length bytes of the blob starting at offset; length < 0 means to
	// the end. Reading past the end returns io.EOF early, not an error.
	Open(ctx context.Context, id string, offset, length int64) (io.ReadCloser, error)
	// Stat returns the blob's Info.
	Stat(ctx context.Context, id string) (Info, error)
	// Delete removes the blob. Deleting a missing blob returns nil.
	Delete(ctx context.Context, id string) error
	// Walk calls fn for every stored blob, in no particular order, until fn returns an error.
	Walk(ctx context.Context, fn func(Info) error) error
}

// Deferred is implemented by stores that can write a blob now and make it durable later: a caller
// that stores the references of many blobs in one batch (the metadata store's group commit)
// makes all of their bodies durable with one flush instead of one each.
type Deferred interface {
	// PutDeferred stores r like Put, but the blob may be lost in a crash until flush returns nil,
	// and nothing durable may refer to it before then. flush may be called more than once, from
	// any goroutine; each call flushes whatever else was written before it too.
	PutDeferred(ctx context.Context, r io.Reader) (info Info, flush func() error, err error)
}

// FileReader is implemented by the readers Open returns over bytes of a local file (the
// filesystem backend's), so that a caller able to send a file directly (an HTTP response hands
// an *io.LimitedReader over an *os.File to sendfile) can do so instead of copying through a
// buffer. Other readers are read as usual.
type FileReader interface {
	io.ReadCloser
	// FileRange returns the file, positioned at the reader's next byte, limited to the bytes
	// the reader has left. The reader must then only be closed (which closes the file).
	FileRange() (*io.LimitedReader, error)
}

// idLen is the length of a blob id: 32 lowercase hex digits (128 random bits).
const idLen = 32

// ValidID reports whether s has the form of a blob id. Backends check every id they are given, so
// an id can be used as a file name or object key without escaping.
func ValidID(s string) bool {
	if len(s) != idLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
