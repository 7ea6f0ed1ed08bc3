package objects

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/blob"
	"github.com/ceap/ceap/internal/jsonenc"
	"github.com/ceap/ceap/internal/store"
)

// Object limits of S3.
const (
	// MaxKeyLength is S3's limit on an object key, in UTF-8 bytes.
	MaxKeyLength = 1024
	// MaxPutSize is the largest object that one PutObject (or CopyObject) may write: 5 GiB.
	MaxPutSize = 5 << 30
	// MaxMetadataSize is S3's limit on the user-defined metadata of a PUT request: 2 KB.
	MaxMetadataSize = 2 << 10
)

// Headers are the content headers that S3 stores with an object and returns on GET and HEAD.
type Headers struct {
	ContentType        string `json:",omitempty"`
	ContentEncoding    string `json:",omitempty"`
	ContentDisposition string `json:",omitempty"`
	ContentLanguage    string `json:",omitempty"`
	CacheControl       string `json:",omitempty"`
	Expires            string `json:",omitempty"`
}

// attrs is the document stored in an object row's Attrs (and an upload's).
type attrs struct {
	Headers
	Metadata     map[string]string `json:",omitempty"`
	StorageClass string            `json:",omitempty"`
	Checksum     *Checksum         `json:",omitempty"`
	// Segments are the sizes of the row's blobs, in order (the parts of a multipart object).
	Segments []int64 `json:",omitempty"`
	// Multipart is set for objects made by CompleteMultipartUpload.
	Multipart bool `json:",omitempty"`
	// Tags is used by uploads only: the tags the object gets on completion.
	Tags []Tag `json:",omitempty"`
}

// Object is an object version or delete marker as the API reports it.
type Object struct {
	Bucket string
	Key    string
	// VersionID is "" in a bucket that never had versioning, "null" for the null version.
	VersionID    string
	IsLatest     bool
	DeleteMarker bool
	Size         int64
	ETag         string
	LastModified time.Time
	Headers
	Metadata     map[string]string
	StorageClass string
	// Checksum is the object's additional checksum (Algorithm "" for none).
	Checksum Checksum
	// PartsCount is the number of parts of a multipart object (0 otherwise).
	PartsCount int
	TagCount   int
	Tags       []Tag
	// Expiration is when a lifecycle rule expires this object, if one does.
	Expiration *Expiry

	seq      int64
	blobs    []string
	segments []int64
}

func decodeAttrs(b []byte) attrs {
	var a attrs
	if len(b) > 0 {
		_ = json.Unmarshal(b, &a) // written by encodeAttrs
	}
	return a
}

// encodeAttrs writes the JSON document of a, the bytes json.Marshal writes, by hand: every
// upload encodes one, and reflection cost more than the rest of the conversion.
func encodeAttrs(a *attrs) []byte {
	e := attrsEncoder{b: make([]byte, 0, 128)}
	e.b = append(e.b, '{')
	e.str("ContentType", a.ContentType)
	e.str("ContentEncoding", a.ContentEncoding)
	e.str("ContentDisposition", a.ContentDisposition)
	e.str("ContentLanguage", a.ContentLanguage)
	e.str("CacheControl", a.CacheControl)
	e.str("Expires", a.Expires)
	if len(a.Metadata) > 0 {
		e.field("Metadata")
		e.b = append(e.b, '{')
		for i, k := range slices.Sorted(maps.Keys(a.Metadata)) {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.b = jsonenc.AppendString(e.b, k, true)
			e.b = append(e.b, ':')
			e.b = jsonenc.AppendString(e.b, a.Metadata[k], true)
		}
		e.b = append(e.b, '}')
	}
	e.str("StorageClass", a.StorageClass)
	if c := a.Checksum; c != nil {
		e.field("Checksum")
		e.b = append(e.b, `{"Algorithm":`...)
		e.b = jsonenc.AppendString(e.b, c.Algorithm, true)
		e.b = append(e.b, `,"Value":`...)
		e.b = jsonenc.AppendString(e.b, c.Value, true)
		e.b = append(e.b, `,"Type":`...)
		e.b = jsonenc.AppendString(e.b, c.Type, true)
		e.b = append(e.b, '}')
	}
	if len(a.Segments) > 0 {
		e.field("Segments")
		e.b = append(e.b, '[')
		for i, n := range a.Segments {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.b = strconv.AppendInt(e.b, n, 10)
		}
		e.b = append(e.b, ']')
	}
	if a.Multipart {
		e.field("Multipart")
		e.b = append(e.b, "true"...)
	}
	if len(a.Tags) > 0 {
		e.field("Tags")
		e.b = append(e.b, '[')
		for i, t := range a.Tags {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.b = append(e.b, `{"Key":`...)
			e.b = jsonenc.AppendString(e.b, t.Key, true)
			e.b = append(e.b, `,"Value":`...)
			e.b = jsonenc.AppendString(e.b, t.Value, true)
			e.b = append(e.b, '}')
		}
		e.b = append(e.b, ']')
	}
	return append(e.b, '}')
}

// attrsEncoder appends the members of a JSON object.
type attrsEncoder struct {
	b    []byte
	more bool
}

func (e *attrsEncoder) field(name string) {
	if e.more {
		e.b = append(e.b, ',')
	}
	e.more = true
	e.b = append(e.b, '"')
	e.b = append(e.b, name...)
	e.b = append(e.b, '"', ':')
}

// str appends a string member, omitted when empty (omitempty).
func (e *attrsEncoder) str(name, v string) {
	if v != "" {
		e.field(name)
		e.b = jsonenc.AppendString(e.b, v, true)
	}
}

// objectFromRow converts a row; b is the object's bucket (for version ids and expiry).
func (s *Service) objectFromRow(r *store.ObjectRow, b *store.BucketRow) *Object {
	return s.withExpiry(listedObject(r, b), r, b)
}

// withExpiry sets the lifecycle expiry of o, converted from r, and returns o.
func (s *Service) withExpiry(o *Object, r *store.ObjectRow, b *store.BucketRow) *Object {
	if b != nil && r.IsLatest && !r.DeleteMarker {
		if exp, ok := s.lifecycles.get(b.Lifecycle).CurrentExpiry(Candidate{Key: r.Key, Size: r.Size, Tags: o.Tags}, r.Created); ok {
			o.Expiration = &exp
		}
	}
	return o
}

// listedObject converts a row without the lifecycle expiry, which listings do not report.
func listedObject(r *store.ObjectRow, b *store.BucketRow) *Object {
	return objectOf(r, decodeAttrs(r.Attrs), decodeTags(r.Tags), b)
}

// objectOf converts a row whose attributes and tags are already decoded (a row just written
// answers from what it was encoded from, not by decoding it again).
func objectOf(r *store.ObjectRow, a attrs, tags []Tag, b *store.BucketRow) *Object {
	o := &Object{
		Bucket: r.Bucket, Key: r.Key, VersionID: r.VersionID, IsLatest: r.IsLatest, DeleteMarker: r.DeleteMarker,
		Size: r.Size, ETag: r.ETag, LastModified: r.Created, Headers: a.Headers, Metadata: a.Metadata,
		StorageClass: a.StorageClass, Tags: tags,
		seq: r.Seq, blobs: r.Blobs, segments: a.Segments,
	}
	if o.StorageClass == "" {
		o.StorageClass = "STANDARD"
	}
	o.TagCount = len(o.Tags)
	if a.Checksum != nil {
		o.Checksum = *a.Checksum
	}
	if a.Multipart {
		o.PartsCount = len(r.Blobs)
	}
	if b != nil && b.Versioning == "" {
		o.VersionID = ""
	}
	return o
}

// ValidKey checks an object key.
func ValidKey(key string) error {
	if key == "" {
		return errInvalidArgument("Object key must not be empty")
	}
	if len(key) > MaxKeyLength {
		return awserr.New("KeyTooLongError", "Your key is too long")
	}
	if !utf8.ValidString(key) {
		return errInvalidArgument("Object key must be valid UTF-8")
	}
	return nil
}

func metadataSize(m map[string]string) int {
	n := 0
	for k, v := range m {
		n += len(k) + len(v)
	}
	return n
}

// versionFor returns the version id a new version gets in a bucket.
func versionFor(b *store.BucketRow) string {
	if b.Versioning == VersioningEnabled {
		return blob.NewID()
	}
	return "null"
}

// segmentReader streams a range of an object stored as consecutive blobs.
type segmentReader struct {
	ctx    context.Context
	blobs  blob.Store
	ids    []string
	sizes  []int64
	off    int64 // offset into the whole object of the next byte to read
	end    int64 // one past the last byte to read
	cur    io.ReadCloser
	curEnd int64
}

// openRange returns a reader over [start, end) of an object's body.
func (s *Service) openRange(ctx context.Context, o *Object, start, end int64) (io.ReadCloser, error) {
	sizes := o.segments
	if len(sizes) != len(o.blobs) {
		// Single-blob objects written without segment sizes.
		sizes = []int64{o.Size}
	}
	return &segmentReader{ctx: ctx, blobs: s.blobs, ids: o.blobs, sizes: sizes, off: start, end: end}, nil
}

func (r *segmentReader) Read(p []byte) (int, error) {
	for {
		if r.off >= r.end {
			return 0, io.EOF
		}
		if r.cur == nil {
			if err := r.openNext(); err != nil {
				return 0, err
			}
		}
		if int64(len(p)) > r.curEnd-r.off {
			p = p[:r.curEnd-r.off]
		}
		n, err := r.cur.Read(p)
		r.off += int64(n)
		if r.off >= r.curEnd || err == io.EOF {
			r.cur.Close()
			r.cur = nil
			if err == io.EOF && r.off < r.curEnd {
				return n, io.ErrUnexpectedEOF
			}
			err = nil
		}
		if n > 0 || err != nil {
			return n, err
		}
	}
}

func (r *segmentReader) openNext() error {
	var base int64
	for i, size := range r.sizes {
		if r.off < base+size {
			end := min(base+size, r.end)
			length := end - r.off
			if end == base+size {
				length = -1 // to the blob's end: lets the filesystem backend hand over the file itself
			}
			rc, err := r.blobs.Open(r.ctx, r.ids[i], r.off-base, length)
			if err != nil {
				return internal("open body", err)
			}
			r.cur, r.curEnd = rc, end
			return nil
		}
		base += size
	}
	return io.ErrUnexpectedEOF
}

// WriteTo copies the rest of the range to w one blob at a time, so that a writer that can send a
// file directly (a TCP connection, with sendfile) gets each blob's reader itself.
func (r *segmentReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for r.off < r.end {
		if r.cur == nil {
			if err := r.openNext(); err != nil {
				return total, err
			}
		}
		want := r.curEnd - r.off
		var src io.Reader = io.LimitReader(r.cur, want)
		if f, ok := r.cur.(blob.FileReader); ok {
			// Part of a blob file (a range starting inside the blob): handed over as the file
			// itself, which a connection sends with sendfile, as it does a whole blob file.
			lr, err := f.FileRange()
			if err != nil {
				return total, internal("open body", err)
			}
			lr.N = min(lr.N, want)
			src = lr
		}
		n, err := io.Copy(w, src)
		total += n
		r.off += n
		r.cur.Close()
		r.cur = nil
		if err != nil {
			return total, err
		}
		if n < want {
			return total, io.ErrUnexpectedEOF
		}
	}
	return total, nil
}

func (r *segmentReader) Close() error {
	if r.cur != nil {
		err := r.cur.Close()
		r.cur = nil
		return err
	}
	return nil
}

// normaliseMetadata lower-cases metadata names as S3 does.
func normaliseMetadata(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[strings.ToLower(k)] = v
	}
	return out
}
