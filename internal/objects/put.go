package objects

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/blob"
	"github.com/ceap/ceap/internal/store"
)

// ExpectedChecksum is the checksum a client sent with a body.
type ExpectedChecksum struct {
	// Algorithm is "" when the client sent none.
	Algorithm string
	// Value is the base64 checksum from a header; "" when it comes in a trailer.
	Value string
	// Trailer, when set, returns the value from the aws-chunked trailer once the body is read.
	Trailer func() string
}

// PutInput are the arguments of PutObject.
type PutInput struct {
	Account, Bucket, Key string
	Body                 io.Reader
	// Size is the declared length (Content-Length or x-amz-decoded-content-length); -1 if unknown.
	Size int64
	// ContentMD5 is the base64 Content-MD5 header, "" when absent.
	ContentMD5   string
	Checksum     ExpectedChecksum
	Headers      Headers
	Metadata     map[string]string
	Tags         []Tag
	StorageClass string
	// IfNoneMatch is "*" for a write that must not replace an object.
	IfNoneMatch string
	// IfMatch is an ETag the current object must have.
	IfMatch string
	// Verify, when set, is called once the body is read and before the object is stored; its
	// error (such as a payload hash mismatch found by the wire layer) rejects the request.
	Verify func() error
}

// written is a body stored in a blob with its digests.
type written struct {
	info   blob.Info
	digest *Digest
	// flush makes the blob durable when it was written deferred (see writeDeferred); nil when
	// it already is.
	flush func() error
}

// writeBody streams body into a new blob, hashing it, and checks its length. On error nothing
// is left behind.
func (s *Service) writeBody(ctx context.Context, body io.Reader, size, max int64, alg string) (*written, error) {
	return s.write(ctx, body, size, max, alg, false)
}

// writeDeferred is writeBody, except that a blob store able to defer the flush (blob.Deferred)
// leaves it to w.flush, which the metadata store calls for a whole batch of rows before they
// commit: one flush of the bodies for every group commit instead of one of its own.
func (s *Service) writeDeferred(ctx context.Context, body io.Reader, size, max int64, alg string) (*written, error) {
	return s.write(ctx, body, size, max, alg, true)
}

func (s *Service) write(ctx context.Context, body io.Reader, size, max int64, alg string, deferFlush bool) (*written, error) {
	if size > max {
		return nil, awserr.New("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
	}
	d, err := NewDigest(alg)
	if err != nil {
		return nil, err
	}
	if body == nil {
		body = eofReader{}
	}
	r := io.TeeReader(io.LimitReader(body, max+1), d)
	var info blob.Info
	var flush func() error
	if db, ok := s.blobs.(blob.Deferred); ok && deferFlush {
		info, flush, err = db.PutDeferred(ctx, r)
	} else {
		info, err = s.blobs.Put(ctx, r)
	}
	if err != nil {
		if ae, ok := awserr.As(err); ok {
			return nil, ae
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, errIncompleteBody()
		}
		return nil, internal("write body", err)
	}
	w := &written{info: info, digest: d, flush: flush}
	switch {
	case info.Size > max:
		s.freeBlobs(ctx, []string{info.ID})
		return nil, awserr.New("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
	case size >= 0 && info.Size != size:
		s.freeBlobs(ctx, []string{info.ID})
		return nil, errIncompleteBody()
	}
	return w, nil
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

func errIncompleteBody() *awserr.Error {
	return awserr.New("IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header")
}

// checkDigests compares what was received with what the client said it sent.
func checkDigests(d *Digest, contentMD5 string, exp ExpectedChecksum) error {
	if contentMD5 != "" {
		want, err := base64.StdEncoding.DecodeString(contentMD5)
		if err != nil || len(want) != md5.Size {
			return awserr.New("InvalidDigest", "The Content-MD5 you specified was not valid.")
		}
		if string(want) != string(d.MD5()) {
			return errBadDigest("The Content-MD5 you specified did not match what we received.")
		}
	}
	if exp.Algorithm == "" {
		return nil
	}
	value := exp.Value
	if value == "" && exp.Trailer != nil {
		value = exp.Trailer()
	}
	if value == "" {
		return nil
	}
	if value != d.Checksum() {
		return errBadDigest("The %s you specified did not match the calculated checksum.", exp.Algorithm)
	}
	return nil
}

func verifyBody(d *Digest, contentMD5 string, exp ExpectedChecksum, verify func() error) error {
	if verify != nil {
		if err := verify(); err != nil {
			return err
		}
	}
	return checkDigests(d, contentMD5, exp)
}

// ValidateChecksumValue checks the form of a base64 checksum for an algorithm.
func ValidateChecksumValue(alg, value string) error {
	raw, err := base64.StdEncoding.DecodeString(value)
	want := map[string]int{CRC32: 4, CRC32C: 4, CRC64NVME: 8, SHA1: 20, SHA256: 32}[alg]
	if err != nil || len(raw) != want {
		return errInvalidRequest("Value for x-amz-checksum-%s header is invalid.", strings.ToLower(alg))
	}
	return nil
}

// PutObject stores an object.
func (s *Service) PutObject(ctx context.Context, in *PutInput) (*Object, error) {
	if err := ValidKey(in.Key); err != nil {
		return nil, err
	}
	if metadataSize(in.Metadata) > MaxMetadataSize {
		return nil, awserr.New("MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size.")
	}
	if err := ValidateTags(in.Tags, MaxObjectTags); err != nil {
		return nil, err
	}
	if in.IfNoneMatch != "" && in.IfNoneMatch != "*" {
		return nil, awserr.WithStatus(501, "NotImplemented", "If-None-Match on PutObject supports only the value *.")
	}
	b, err := s.bucket(ctx, in.Account, in.Bucket)
	if err != nil {
		return nil, err
	}
	w, err := s.writeDeferred(ctx, in.Body, in.Size, MaxPutSize, in.Checksum.Algorithm)
	if err != nil {
		return nil, err
	}
	if err := verifyBody(w.digest, in.ContentMD5, in.Checksum, in.Verify); err != nil {
		s.freeBlobs(ctx, []string{w.info.ID})
		return nil, err
	}
	a := &attrs{Headers: in.Headers, Metadata: normaliseMetadata(in.Metadata), StorageClass: in.StorageClass, Segments: []int64{w.info.Size}}
	if alg := w.digest.Algorithm(); alg != "" {
		a.Checksum = &Checksum{Algorithm: alg, Value: w.digest.Checksum(), Type: FullObject}
	}
	row := store.ObjectRow{
		Bucket: in.Bucket, Key: in.Key, VersionID: versionFor(b), Size: w.info.Size, ETag: ETag(w.digest.MD5()),
		Created: s.now(), Blobs: []string{w.info.ID}, Attrs: encodeAttrs(a), Tags: encodeTags(in.Tags),
	}
	return s.commitObject(ctx, b, &store.ObjectPutParams{Row: row, IfNoneMatch: in.IfNoneMatch == "*", IfMatchETag: quoteETag(in.IfMatch), Flush: w.flush}, a, in.Tags)
}

// now is the service time at S3's millisecond precision.
func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Millisecond) }

func quoteETag(e string) string {
	if e == "" || e == "*" {
		return ""
	}
	if e[0] != '"' {
		return `"` + e + `"`
	}
	return e
}

// commitObject stores a row whose blobs are written, its Attrs and Tags encoded from a and tags;
// on failure the blobs are freed.
func (s *Service) commitObject(ctx context.Context, b *store.BucketRow, p *store.ObjectPutParams, a *attrs, tags []Tag) (*Object, error) {
	res, err := s.store.ObjectPut(ctx, p)
	if err != nil {
		s.freeBlobs(ctx, p.Row.Blobs)
		return nil, s.mapPutError(err, p)
	}
	s.freeBlobs(ctx, res.Freed)
	p.Row.Seq, p.Row.IsLatest = res.Seq, true
	return s.withExpiry(objectOf(&p.Row, *a, tags, b), &p.Row, b), nil
}

func (s *Service) mapPutError(err error, p *store.ObjectPutParams) error {
	switch {
	case errors.Is(err, store.ErrConflict):
		if p.IfNoneMatch {
			return errPreconditionFailed("If-None-Match")
		}
		return errPreconditionFailed("If-Match")
	case errors.Is(err, store.ErrNotFound) && p.IfMatchETag != "":
		return errNoSuchKey(p.Row.Key)
	case errors.Is(err, store.ErrNotFound):
		return errNoSuchBucket(p.Row.Bucket)
	}
	return internal("put object", err)
}
