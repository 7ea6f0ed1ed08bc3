package objects

import (
	"context"
	"errors"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/blob"
	"github.com/ceap/ceap/internal/store"
)

// MaxDeleteObjects is S3's limit of keys in one DeleteObjects request.
const MaxDeleteObjects = 1000

// DeleteResult tells what DeleteObject did.
type DeleteResult struct {
	// VersionID is the version removed, or the delete marker's version when one was created.
	VersionID string
	// DeleteMarker is set when a delete marker was created or removed.
	DeleteMarker bool
}

// DeleteObject deletes a key (adding a delete marker in a versioned bucket) or, with a version
// id, removes that version for good. Deleting what does not exist succeeds, as in S3.
func (s *Service) DeleteObject(ctx context.Context, account, bucket, key, versionID string) (DeleteResult, error) {
	b, err := s.bucket(ctx, account, bucket)
	if err != nil {
		return DeleteResult{}, err
	}
	return s.deleteObject(ctx, b, key, versionID)
}

func (s *Service) deleteObject(ctx context.Context, b *store.BucketRow, key, versionID string) (DeleteResult, error) {
	if err := ValidKey(key); err != nil {
		return DeleteResult{}, err
	}
	if versionID == "" && b.Versioning != "" {
		marker := "null"
		if b.Versioning == VersioningEnabled {
			marker = blob.NewID()
		}
		row := store.ObjectRow{Bucket: b.Name, Key: key, VersionID: marker, DeleteMarker: true, Created: s.now()}
		res, err := s.store.ObjectPut(ctx, &store.ObjectPutParams{Row: row})
		if err != nil {
			return DeleteResult{}, s.mapPutError(err, &store.ObjectPutParams{Row: row})
		}
		s.freeBlobs(ctx, res.Freed)
		return DeleteResult{VersionID: marker, DeleteMarker: true}, nil
	}
	target := versionID
	if target == "" {
		target = "null"
	}
	gone, err := s.store.ObjectDelete(ctx, &store.ObjectDeleteParams{Bucket: b.Name, Key: key, VersionID: target, Now: s.now()})
	if errors.Is(err, store.ErrNotFound) {
		return DeleteResult{VersionID: versionID}, nil
	}
	if err != nil {
		return DeleteResult{}, internal("delete object", err)
	}
	s.freeBlobs(ctx, gone.Blobs)
	return DeleteResult{VersionID: versionID, DeleteMarker: gone.DeleteMarker}, nil
}

// DeleteEntry is one key of a DeleteObjects request.
type DeleteEntry struct {
	Key, VersionID string
}

// DeleteOutcome is the result of one entry: Err is nil when it was deleted.
type DeleteOutcome struct {
	Entry  DeleteEntry
	Result DeleteResult
	Err    *awserr.Error
}

// DeleteObjects deletes up to MaxDeleteObjects keys.
func (s *Service) DeleteObjects(ctx context.Context, account, bucket string, entries []DeleteEntry) ([]DeleteOutcome, error) {
	if len(entries) == 0 || len(entries) > MaxDeleteObjects {
		return nil, awserr.New("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
	}
	b, err := s.bucket(ctx, account, bucket)
	if err != nil {
		return nil, err
	}
	out := make([]DeleteOutcome, len(entries))
	for i, e := range entries {
		out[i].Entry = e
		res, err := s.deleteObject(ctx, b, e.Key, e.VersionID)
		if err != nil {
			ae, ok := awserr.As(err)
			if !ok {
				return nil, err
			}
			out[i].Err = ae
			continue
		}
		out[i].Result = res
	}
	return out, nil
}
