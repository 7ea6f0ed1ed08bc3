package objects

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/ceap/ceap/internal/store"
)

// MaxListKeys is the most keys S3 returns in one list page (max-keys above it is lowered).
const MaxListKeys = 1000

// listBatch is how many rows one store query fetches while listing.
const listBatch = 1000

// ListInput are the arguments of ListObjects (v1 and v2).
type ListInput struct {
	Account, Bucket   string
	Prefix, Delimiter string
	// After lists keys after this one (v1 Marker, v2 StartAfter or continuation token).
	After   string
	MaxKeys int
}

// ListOutput is one page of a listing.
type ListOutput struct {
	Objects        []*Object
	CommonPrefixes []string
	IsTruncated    bool
	// Next is the last key or common prefix returned, where the next page starts after.
	Next string
}

// skipPast returns a string greater than every key that starts with prefix. Keys are valid
// UTF-8, so none continues past prefix with a rune above utf8.MaxRune; a key that goes on with
// that very rune is caught again by the caller's dedup of common prefixes.
func skipPast(prefix string) string { return prefix + string(utf8.MaxRune) }

// commonPrefixOf returns the common prefix that key rolls up into, or "".
func commonPrefixOf(key, prefix, delimiter string) string {
	if delimiter == "" {
		return ""
	}
	rest := key[len(prefix):]
	i := strings.Index(rest, delimiter)
	if i < 0 {
		return ""
	}
	return prefix + rest[:i+len(delimiter)]
}

// ListObjects returns one page of the bucket's current objects.
func (s *Service) ListObjects(ctx context.Context, in *ListInput) (*ListOutput, error) {
	b, err := s.bucket(ctx, in.Account, in.Bucket)
	if err != nil {
		return nil, err
	}
	max := in.MaxKeys
	if max < 0 || max > MaxListKeys {
		max = MaxListKeys
	}
	out := &ListOutput{}
	if max == 0 {
		return out, nil
	}
	after := in.After
	if strings.HasPrefix(after, in.Prefix) {
		if cp := commonPrefixOf(after, in.Prefix, in.Delimiter); cp != "" {
			after = skipPast(cp)
		}
	}
	count, lastCP := 0, ""
	for {
		rows, err := s.store.ObjectList(ctx, &store.ObjectListParams{Bucket: in.Bucket, Prefix: in.Prefix, After: after, Limit: min(listBatch, max+1-count)})
		if err != nil {
			return nil, internal("list objects", err)
		}
		if len(rows) == 0 {
			return out, nil
		}
		for _, r := range rows {
			if !strings.HasPrefix(r.Key, in.Prefix) {
				return out, nil
			}
			entry := r.Key
			cp := commonPrefixOf(r.Key, in.Prefix, in.Delimiter)
			if cp != "" {
				if cp == lastCP {
					after = skipPast(cp)
					continue
				}
				entry = cp
			}
			if count == max {
				out.IsTruncated = true
				return out, nil
			}
			count++
			out.Next = entry
			if cp != "" {
				lastCP = cp
				out.CommonPrefixes = append(out.CommonPrefixes, cp)
				after = skipPast(cp)
				break // re-query past the whole prefix
			}
			out.Objects = append(out.Objects, listEntry(r, b))
			after = r.Key
		}
	}
}

// listEntry converts a row of ObjectList into what a listing reports. Its attributes document is
// decoded only when it holds a storage class or a checksum (a listing reports nothing else of
// it), and then into those two fields alone: a page of 1,000 rows skips 1,000 decodings of
// content headers and metadata.
func listEntry(r *store.ObjectRow, b *store.BucketRow) *Object {
	o := &Object{
		Bucket: r.Bucket, Key: r.Key, VersionID: r.VersionID, IsLatest: r.IsLatest, DeleteMarker: r.DeleteMarker,
		Size: r.Size, ETag: r.ETag, LastModified: r.Created, StorageClass: "STANDARD", seq: r.Seq,
	}
	if bytes.Contains(r.Attrs, []byte(`"StorageClass"`)) || bytes.Contains(r.Attrs, []byte(`"Checksum"`)) {
		var a struct {
			StorageClass string
			Checksum     *Checksum
		}
		_ = json.Unmarshal(r.Attrs, &a) // written by encodeAttrs
		if a.StorageClass != "" {
			o.StorageClass = a.StorageClass
		}
		if a.Checksum != nil {
			o.Checksum = *a.Checksum
		}
	}
	if b != nil && b.Versioning == "" {
		o.VersionID = ""
	}
	return o
}

// ListVersionsInput are the arguments of ListObjectVersions.
type ListVersionsInput struct {
	Account, Bucket            string
	Prefix, Delimiter          string
	KeyMarker, VersionIDMarker string
	MaxKeys                    int
}

// ListVersionsOutput is one page of versions.
type ListVersionsOutput struct {
	Versions                         []*Object
	CommonPrefixes                   []string
	IsTruncated                      bool
	NextKeyMarker, NextVersionMarker string
}

// ListObjectVersions returns one page of every version and delete marker, by key and newest first.
func (s *Service) ListObjectVersions(ctx context.Context, in *ListVersionsInput) (*ListVersionsOutput, error) {
	b, err := s.bucket(ctx, in.Account, in.Bucket)
	if err != nil {
		return nil, err
	}
	max := in.MaxKeys
	if max < 0 || max > MaxListKeys {
		max = MaxListKeys
	}
	out := &ListVersionsOutput{}
	if max == 0 {
		return out, nil
	}
	afterKey, afterSeq := in.KeyMarker, int64(0)
	if in.KeyMarker != "" && in.VersionIDMarker != "" {
		vid := in.VersionIDMarker
		row, err := s.store.ObjectGet(ctx, &store.ObjectGetParams{Bucket: in.Bucket, Key: in.KeyMarker, VersionID: vid})
		switch {
		case errors.Is(err, store.ErrNotFound):
			return nil, errInvalidArgument("Invalid version id specified")
		case err != nil:
			return nil, internal("list versions", err)
		}
		afterSeq = row.Seq
	}
	if strings.HasPrefix(afterKey, in.Prefix) {
		if cp := commonPrefixOf(afterKey, in.Prefix, in.Delimiter); cp != "" {
			afterKey, afterSeq = skipPast(cp), 0
		}
	}
	count, lastCP := 0, ""
	for {
		rows, err := s.store.ObjectVersionList(ctx, &store.ObjectVersionListParams{Bucket: in.Bucket, Prefix: in.Prefix, AfterKey: afterKey, AfterSeq: afterSeq, Limit: min(listBatch, max+1-count)})
		if err != nil {
			return nil, internal("list versions", err)
		}
		if len(rows) == 0 {
			return out, nil
		}
		for _, r := range rows {
			if !strings.HasPrefix(r.Key, in.Prefix) {
				return out, nil
			}
			cp := commonPrefixOf(r.Key, in.Prefix, in.Delimiter)
			if cp != "" && cp == lastCP {
				afterKey, afterSeq = skipPast(cp), 0
				continue
			}
			if count == max {
				out.IsTruncated = true
				return out, nil
			}
			count++
			if cp != "" {
				lastCP = cp
				out.CommonPrefixes = append(out.CommonPrefixes, cp)
				out.NextKeyMarker, out.NextVersionMarker = cp, ""
				afterKey, afterSeq = skipPast(cp), 0
				break
			}
			o := listedObject(r, b)
			if o.VersionID == "" {
				o.VersionID = "null"
			}
			out.Versions = append(out.Versions, o)
			out.NextKeyMarker, out.NextVersionMarker = r.Key, o.VersionID
			afterKey, afterSeq = r.Key, r.Seq
		}
	}
}
