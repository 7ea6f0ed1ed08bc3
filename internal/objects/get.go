package objects

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/store"
)

// Range is a byte range request: Start-End (inclusive) or, with Suffix > 0, the last Suffix
// bytes. End < 0 means to the end.
type Range struct {
	Start, End int64
	Suffix     int64
}

// Conditions are the conditional request headers of GET, HEAD and copy sources.
type Conditions struct {
	IfMatch           string
	IfNoneMatch       string
	IfModifiedSince   time.Time
	IfUnmodifiedSince time.Time
}

// GetInput are the arguments of GetObject and HeadObject.
type GetInput struct {
	Account, Bucket, Key, VersionID string
	Range                           *Range
	// PartNumber, when > 0, selects one part of a multipart object.
	PartNumber int
	Conditions Conditions
}

// GetOutput is an object and, for GetObject, its body.
type GetOutput struct {
	Object *Object
	// Body streams the requested bytes (nil for HeadObject); the caller closes it.
	Body io.ReadCloser
	// Partial is set for a range or part read; the content is bytes [Start, End] of Object.Size.
	Partial    bool
	Start, End int64
}

// Length is the number of bytes the body carries.
func (g *GetOutput) Length() int64 {
	if g.Partial {
		return g.End - g.Start + 1
	}
	return g.Object.Size
}

func etagMatches(list, etag string) bool {
	for _, e := range strings.Split(list, ",") {
		e = strings.TrimSpace(e)
		if e == "*" || quoteETag(strings.TrimPrefix(e, "W/")) == etag {
			return true
		}
	}
	return false
}

// CheckConditions applies RFC 7232's precedence, as S3 does: If-Match, then If-Unmodified-Since
// (ignored when If-Match is present), If-None-Match, then If-Modified-Since (ignored when
// If-None-Match is present). GET and HEAD answer 304 where a write would answer 412.
func CheckConditions(c Conditions, etag string, modified time.Time, read bool) error {
	modified = modified.Truncate(time.Second)
	if c.IfMatch != "" {
		if !etagMatches(c.IfMatch, etag) {
			return errPreconditionFailed("If-Match")
		}
	} else if !c.IfUnmodifiedSince.IsZero() && modified.After(c.IfUnmodifiedSince) {
		return errPreconditionFailed("If-Unmodified-Since")
	}
	if c.IfNoneMatch != "" {
		if etagMatches(c.IfNoneMatch, etag) {
			if read {
				return errNotModified()
			}
			return errPreconditionFailed("If-None-Match")
		}
	} else if !c.IfModifiedSince.IsZero() && !modified.After(c.IfModifiedSince) {
		if read {
			return errNotModified()
		}
		return errPreconditionFailed("If-Modified-Since")
	}
	return nil
}

// lookup returns the version asked for, answering S3's errors for missing versions and
// delete markers.
func (s *Service) lookup(ctx context.Context, b *store.BucketRow, key, versionID string) (*Object, error) {
	if err := ValidKey(key); err != nil {
		return nil, err
	}
	row, err := s.store.ObjectGet(ctx, &store.ObjectGetParams{Bucket: b.Name, Key: key, VersionID: versionID})
	if errors.Is(err, store.ErrNotFound) {
		if versionID != "" {
			if versionID != "null" && !validVersionID(versionID) {
				return nil, errInvalidArgument("Invalid version id specified")
			}
			return nil, errNoSuchVersion(key, versionID)
		}
		return nil, errNoSuchKey(key)
	}
	if err != nil {
		return nil, internal("get object", err)
	}
	o := s.objectFromRow(row, b)
	if o.DeleteMarker {
		if versionID != "" {
			e := &awserr.Error{Code: "MethodNotAllowed", Message: "The specified method is not allowed against this resource.", Status: 405, Fields: map[string]string{"Method": "GET", "ResourceType": "DeleteMarker"}}
			return nil, &DeleteMarkerError{VersionID: row.VersionID, Err: e}
		}
		return nil, &DeleteMarkerError{VersionID: o.VersionID, Err: errNoSuchKey(key)}
	}
	return o, nil
}

func validVersionID(v string) bool {
	return len(v) > 0 && len(v) <= 1024
}

// GetObject returns an object and a reader over the bytes asked for.
func (s *Service) GetObject(ctx context.Context, in *GetInput) (*GetOutput, error) {
	out, err := s.HeadObject(ctx, in)
	if err != nil {
		return nil, err
	}
	start, end := int64(0), out.Object.Size
	if out.Partial {
		start, end = out.Start, out.End+1
	}
	out.Body, err = s.openRange(ctx, out.Object, start, end)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// HeadObject returns an object's metadata and resolves the range or part asked for.
func (s *Service) HeadObject(ctx context.Context, in *GetInput) (*GetOutput, error) {
	b, err := s.bucket(ctx, in.Account, in.Bucket)
	if err != nil {
		return nil, err
	}
	o, err := s.lookup(ctx, b, in.Key, in.VersionID)
	if err != nil {
		return nil, err
	}
	if err := CheckConditions(in.Conditions, o.ETag, o.LastModified, true); err != nil {
		return nil, err
	}
	out := &GetOutput{Object: o}
	switch {
	case in.PartNumber > 0:
		if in.Range != nil {
			return nil, errInvalidRequest("Cannot specify both Range header and partNumber query parameter")
		}
		sizes := o.segments
		if o.PartsCount == 0 {
			sizes = []int64{o.Size}
		}
		if in.PartNumber > len(sizes) {
			return nil, &awserr.Error{Code: "InvalidPartNumber", Message: "The requested partnumber is not satisfiable", Status: 416, Fields: map[string]string{"PartNumberRequested": itoa(int64(in.PartNumber)), "ActualPartCount": itoa(int64(len(sizes)))}}
		}
		var base int64
		for _, sz := range sizes[:in.PartNumber-1] {
			base += sz
		}
		out.Partial, out.Start, out.End = true, base, base+sizes[in.PartNumber-1]-1
		if o.PartsCount == 0 {
			out.Partial = false
		}
	case in.Range != nil:
		start, end, ok := resolveRange(*in.Range, o.Size)
		if !ok {
			return nil, &awserr.Error{Code: "InvalidRange", Message: "The requested range is not satisfiable", Status: 416, Fields: map[string]string{"ActualObjectSize": itoa(o.Size)}}
		}
		out.Partial, out.Start, out.End = true, start, end
	}
	return out, nil
}

// resolveRange returns the inclusive byte bounds of r within size, and false when r is not
// satisfiable.
func resolveRange(r Range, size int64) (int64, int64, bool) {
	if r.Suffix > 0 {
		if size == 0 {
			return 0, 0, false
		}
		return max(size-r.Suffix, 0), size - 1, true
	}
	if r.Start >= size {
		return 0, 0, false
	}
	end := r.End
	if end < 0 || end >= size {
		end = size - 1
	}
	return r.Start, end, true
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
