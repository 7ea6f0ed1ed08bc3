package objects

import (
	"context"
	"errors"

	"github.com/ceap/ceap/internal/store"
)

// PutObjectTagging replaces the tags of a version (the latest when versionID is "") and returns
// the version tagged.
func (s *Service) PutObjectTagging(ctx context.Context, account, bucket, key, versionID string, tags []Tag) (string, error) {
	if err := ValidateTags(tags, MaxObjectTags); err != nil {
		return "", err
	}
	return s.setTags(ctx, account, bucket, key, versionID, encodeTags(tags))
}

// DeleteObjectTagging removes the tags of a version.
func (s *Service) DeleteObjectTagging(ctx context.Context, account, bucket, key, versionID string) (string, error) {
	return s.setTags(ctx, account, bucket, key, versionID, nil)
}

func (s *Service) setTags(ctx context.Context, account, bucket, key, versionID string, doc []byte) (string, error) {
	b, err := s.bucket(ctx, account, bucket)
	if err != nil {
		return "", err
	}
	if err := ValidKey(key); err != nil {
		return "", err
	}
	row, err := s.store.ObjectTagsSet(ctx, &store.ObjectTagsSetParams{Bucket: bucket, Key: key, VersionID: versionID, Tags: doc})
	if errors.Is(err, store.ErrNotFound) {
		if versionID != "" {
			return "", errNoSuchVersion(key, versionID)
		}
		return "", errNoSuchKey(key)
	}
	if err != nil {
		return "", internal("set tags", err)
	}
	return s.objectFromRow(row, b).VersionID, nil
}

// GetObjectTagging returns the tags of a version and its version id.
func (s *Service) GetObjectTagging(ctx context.Context, account, bucket, key, versionID string) ([]Tag, string, error) {
	b, err := s.bucket(ctx, account, bucket)
	if err != nil {
		return nil, "", err
	}
	o, err := s.lookup(ctx, b, key, versionID)
	if err != nil {
		var dm *DeleteMarkerError
		if errors.As(err, &dm) {
			return nil, "", dm.Err
		}
		return nil, "", err
	}
	return o.Tags, o.VersionID, nil
}
