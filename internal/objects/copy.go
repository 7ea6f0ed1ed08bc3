package objects

import (
	"context"
	"errors"
	"fmt"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/store"
)

// Directives of CopyObject.
const (
	DirectiveCopy    = "COPY"
	DirectiveReplace = "REPLACE"
)

// CopySource names the object a copy reads.
type CopySource struct {
	Bucket, Key, VersionID string
	Conditions             Conditions
}

// CopyInput are the arguments of CopyObject.
type CopyInput struct {
	Account           string
	Source            CopySource
	Bucket, Key       string
	MetadataDirective string
	TaggingDirective  string
	// Headers, Metadata and Tags apply when the matching directive is REPLACE.
	Headers      Headers
	Metadata     map[string]string
	Tags         []Tag
	StorageClass string
	// ChecksumAlgorithm is the checksum the copy gets ("" keeps the source's algorithm).
	ChecksumAlgorithm string
}

// CopyOutput is the new object and the source version that was read.
type CopyOutput struct {
	Object          *Object
	SourceVersionID string
}

// source resolves and checks a copy source.
func (s *Service) source(ctx context.Context, account string, src CopySource) (*Object, error) {
	sb, err := s.bucket(ctx, account, src.Bucket)
	if err != nil {
		return nil, err
	}
	o, err := s.lookup(ctx, sb, src.Key, src.VersionID)
	if err != nil {
		var dm *DeleteMarkerError
		switch {
		case errors.As(err, &dm) && src.VersionID != "":
			return nil, errInvalidRequest("The source of a copy request may not specifically refer to a delete marker by version id.")
		case errors.As(err, &dm):
			return nil, dm.Err
		}
		return nil, err
	}
	if err := CheckConditions(src.Conditions, o.ETag, o.LastModified, false); err != nil {
		return nil, err
	}
	return o, nil
}

// CopyObject copies an object (its bytes are copied: every blob has exactly one owner).
func (s *Service) CopyObject(ctx context.Context, in *CopyInput) (*CopyOutput, error) {
	if err := ValidKey(in.Key); err != nil {
		return nil, err
	}
	for _, d := range []string{in.MetadataDirective, in.TaggingDirective} {
		if d != "" && d != DirectiveCopy && d != DirectiveReplace {
			return nil, errInvalidArgument("Unknown metadata directive.")
		}
	}
	replaceMeta := in.MetadataDirective == DirectiveReplace
	replaceTags := in.TaggingDirective == DirectiveReplace
	if replaceTags {
		if err := ValidateTags(in.Tags, MaxObjectTags); err != nil {
			return nil, err
		}
	}
	if replaceMeta && metadataSize(in.Metadata) > MaxMetadataSize {
		return nil, awserr.New("MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size.")
	}
	src, err := s.source(ctx, in.Account, in.Source)
	if err != nil {
		return nil, err
	}
	if src.Size > MaxPutSize {
		return nil, errInvalidRequest("The specified copy source is larger than the maximum allowable size for a copy source: %d", int64(MaxPutSize))
	}
	samePlace := in.Source.Bucket == in.Bucket && in.Source.Key == in.Key && (in.Source.VersionID == "" || in.Source.VersionID == src.VersionID)
	if samePlace && !replaceMeta && in.StorageClass == "" && in.ChecksumAlgorithm == "" {
		return nil, errInvalidRequest("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
	}
	b, err := s.bucket(ctx, in.Account, in.Bucket)
	if err != nil {
		return nil, err
	}
	alg := in.ChecksumAlgorithm
	if alg == "" {
		alg = src.Checksum.Algorithm
	}
	body, err := s.openRange(ctx, src, 0, src.Size)
	if err != nil {
		return nil, err
	}
	w, err := s.writeBody(ctx, body, src.Size, MaxPutSize, alg)
	body.Close()
	if err != nil {
		return nil, err
	}
	a := &attrs{Headers: src.Headers, Metadata: src.Metadata, StorageClass: src.StorageClass, Segments: []int64{w.info.Size}}
	if replaceMeta {
		a.Headers, a.Metadata = in.Headers, normaliseMetadata(in.Metadata)
	}
	if in.StorageClass != "" {
		a.StorageClass = in.StorageClass
	}
	if a.StorageClass == "STANDARD" {
		a.StorageClass = ""
	}
	if alg != "" {
		a.Checksum = &Checksum{Algorithm: alg, Value: w.digest.Checksum(), Type: FullObject}
	}
	tags := src.Tags
	if replaceTags {
		tags = in.Tags
	}
	row := store.ObjectRow{
		Bucket: in.Bucket, Key: in.Key, VersionID: versionFor(b), Size: w.info.Size, ETag: ETag(w.digest.MD5()),
		Created: s.now(), Blobs: []string{w.info.ID}, Attrs: encodeAttrs(a), Tags: encodeTags(tags),
	}
	o, err := s.commitObject(ctx, b, &store.ObjectPutParams{Row: row}, a, tags)
	if err != nil {
		return nil, fmt.Errorf("copy: %w", err)
	}
	return &CopyOutput{Object: o, SourceVersionID: src.VersionID}, nil
}
