package objects

import (
	"context"
	"errors"
	"time"

	"github.com/ceap/ceap/internal/blob"
	"github.com/ceap/ceap/internal/store"
)

// SweepStats counts what one lifecycle sweep did.
type SweepStats struct {
	// Expired counts current versions expired (deleted, or hidden behind a delete marker).
	Expired int
	// NoncurrentExpired counts noncurrent versions deleted.
	NoncurrentExpired int
	// MarkersRemoved counts expired delete markers removed.
	MarkersRemoved int
	// UploadsAborted counts incomplete multipart uploads aborted.
	UploadsAborted int
}

// Sweep applies every bucket's lifecycle rules once, at the service clock's time: what is due
// is deleted, and a Disabled rule does nothing.
func (s *Service) Sweep(ctx context.Context) (SweepStats, error) {
	var st SweepStats
	buckets, err := s.store.BucketList(ctx, &store.BucketListParams{})
	if err != nil {
		return st, internal("list buckets", err)
	}
	now := s.clock.Now()
	var errs []error
	for _, b := range buckets {
		l := decodeLifecycle(b.Lifecycle)
		if l == nil {
			continue
		}
		if err := s.sweepObjects(ctx, b, l, now, &st); err != nil {
			errs = append(errs, err)
		}
		if err := s.sweepUploads(ctx, b, l, now, &st); err != nil {
			errs = append(errs, err)
		}
		if ctx.Err() != nil {
			break
		}
	}
	if st != (SweepStats{}) {
		s.log.Info("lifecycle_swept", "expired", st.Expired, "noncurrent_expired", st.NoncurrentExpired, "markers_removed", st.MarkersRemoved, "uploads_aborted", st.UploadsAborted)
	}
	return st, errors.Join(errs...)
}

func due(at, now time.Time) bool { return !now.Before(at) }

// sweepObjects walks every version of a bucket, one key at a time.
func (s *Service) sweepObjects(ctx context.Context, b *store.BucketRow, l *Lifecycle, now time.Time, st *SweepStats) error {
	afterKey, afterSeq := "", int64(0)
	var group []*store.ObjectRow
	for {
		rows, err := s.store.ObjectVersionList(ctx, &store.ObjectVersionListParams{Bucket: b.Name, AfterKey: afterKey, AfterSeq: afterSeq, Limit: listBatch})
		if err != nil {
			return internal("sweep list", err)
		}
		for _, r := range rows {
			if len(group) > 0 && group[0].Key != r.Key {
				if err := s.sweepKey(ctx, b, l, group, now, st); err != nil {
					return err
				}
				group = group[:0]
			}
			group = append(group, r)
			afterKey, afterSeq = r.Key, r.Seq
		}
		if len(rows) < listBatch {
			break
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	if len(group) > 0 {
		return s.sweepKey(ctx, b, l, group, now, st)
	}
	return nil
}

// sweepKey applies the rules to the versions of one key, newest first.
func (s *Service) sweepKey(ctx context.Context, b *store.BucketRow, l *Lifecycle, versions []*store.ObjectRow, now time.Time, st *SweepStats) error {
	remaining := len(versions)
	// Noncurrent versions: the i-th (from 1) has i-1 newer noncurrent versions.
	for i := 1; i < len(versions); i++ {
		v := versions[i]
		if v.IsLatest {
			continue
		}
		since := v.NoncurrentSince
		if since.IsZero() {
			since = versions[i-1].Created
		}
		exp, ok := l.NoncurrentExpiry(Candidate{Key: v.Key, Size: v.Size, Tags: decodeTags(v.Tags)}, since, i-1)
		if !ok || !due(exp.At, now) {
			continue
		}
		if err := s.removeVersion(ctx, v); err != nil {
			return err
		}
		st.NoncurrentExpired++
		remaining--
	}
	latest := versions[0]
	if !latest.IsLatest {
		return nil
	}
	if latest.DeleteMarker {
		if remaining != 1 {
			return nil
		}
		exp, ok := l.DeleteMarkerExpiry(latest.Key, latest.Created)
		if !ok || !due(exp.At, now) {
			return nil
		}
		if err := s.removeVersion(ctx, latest); err != nil {
			return err
		}
		st.MarkersRemoved++
		return nil
	}
	exp, ok := l.CurrentExpiry(Candidate{Key: latest.Key, Size: latest.Size, Tags: decodeTags(latest.Tags)}, latest.Created)
	if !ok || !due(exp.At, now) {
		return nil
	}
	switch b.Versioning {
	case "":
		if err := s.removeVersion(ctx, latest); err != nil {
			return err
		}
	default:
		marker := "null"
		if b.Versioning == VersioningEnabled {
			marker = blob.NewID()
		}
		res, err := s.store.ObjectPut(ctx, &store.ObjectPutParams{Row: store.ObjectRow{Bucket: b.Name, Key: latest.Key, VersionID: marker, DeleteMarker: true, Created: s.now()}})
		if err != nil {
			return internal("expire object", err)
		}
		s.freeBlobs(ctx, res.Freed)
	}
	st.Expired++
	return nil
}

// removeVersion deletes one version unless it changed since it was read.
func (s *Service) removeVersion(ctx context.Context, v *store.ObjectRow) error {
	gone, err := s.store.ObjectDelete(ctx, &store.ObjectDeleteParams{Bucket: v.Bucket, Key: v.Key, VersionID: v.VersionID, IfSeq: v.Seq, Now: s.now()})
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
		return nil // replaced or deleted meanwhile: the next sweep sees the new state
	}
	if err != nil {
		return internal("expire version", err)
	}
	s.freeBlobs(ctx, gone.Blobs)
	return nil
}

func (s *Service) sweepUploads(ctx context.Context, b *store.BucketRow, l *Lifecycle, now time.Time, st *SweepStats) error {
	afterKey, afterID := "", ""
	for {
		rows, err := s.store.UploadList(ctx, &store.UploadListParams{Bucket: b.Name, AfterKey: afterKey, AfterID: afterID, Limit: listBatch})
		if err != nil {
			return internal("sweep uploads", err)
		}
		for _, u := range rows {
			afterKey, afterID = u.Key, u.UploadID
			exp, ok := l.UploadAbortAt(u.Key, u.Initiated)
			if !ok || !due(exp.At, now) {
				continue
			}
			freed, err := s.store.UploadDelete(ctx, b.Name, u.UploadID)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return internal("abort upload", err)
			}
			s.freeBlobs(ctx, freed)
			st.UploadsAborted++
		}
		if len(rows) < listBatch {
			return nil
		}
	}
}

// CollectGarbage removes blobs that no row refers to and that are older than GCGrace (bodies
// whose request failed before its row was written, or that a crash orphaned).
func (s *Service) CollectGarbage(ctx context.Context) (int, error) {
	refs := map[string]struct{}{}
	if err := s.store.BlobRefs(ctx, func(id string) error { refs[id] = struct{}{}; return nil }); err != nil {
		return 0, internal("blob refs", err)
	}
	// Blob times are the filesystem's (wall clock), not the service's clock, so the grace period
	// is measured on the wall clock too.
	cutoff := time.Now().Add(-s.cfg.GCGrace)
	var orphans []string
	err := s.blobs.Walk(ctx, func(i blob.Info) error {
		if _, ok := refs[i.ID]; !ok && i.Created.Before(cutoff) {
			orphans = append(orphans, i.ID)
		}
		return nil
	})
	if err != nil {
		return 0, internal("walk blobs", err)
	}
	// A row written after BlobRefs read the table may refer to an old blob only through a
	// multipart completion, whose parts were already referenced; check again before deleting.
	if len(orphans) > 0 {
		again := map[string]struct{}{}
		if err := s.store.BlobRefs(ctx, func(id string) error { again[id] = struct{}{}; return nil }); err != nil {
			return 0, internal("blob refs", err)
		}
		kept := orphans[:0]
		for _, id := range orphans {
			if _, ok := again[id]; !ok {
				kept = append(kept, id)
			}
		}
		orphans = kept
	}
	s.freeBlobs(ctx, orphans)
	if len(orphans) > 0 {
		s.log.Info("blobs_collected", "count", len(orphans))
	}
	return len(orphans), nil
}

// RecordStorageMetrics records each bucket's BucketSizeBytes and NumberOfObjects, the daily
// AWS/S3 storage metrics, once per UTC day, stamped at the day's start.
func (s *Service) RecordStorageMetrics(ctx context.Context) error {
	if s.cfg.Metrics == nil {
		return nil
	}
	buckets, err := s.store.BucketList(ctx, &store.BucketListParams{})
	if err != nil {
		return internal("list buckets", err)
	}
	day := midnight(s.clock.Now())
	s.mu.Lock()
	done := s.metricsDay.Equal(day)
	s.mu.Unlock()
	if done {
		return nil
	}
	for _, b := range buckets {
		stats, err := s.store.BucketStats(ctx, b.Name)
		if err != nil {
			return internal("bucket stats", err)
		}
		s.cfg.Metrics.RecordAt(day, b.Account, "AWS/S3", "BucketSizeBytes",
			[]Dimension{{Name: "BucketName", Value: b.Name}, {Name: "StorageType", Value: "StandardStorage"}}, float64(stats.Bytes), "Bytes")
		s.cfg.Metrics.RecordAt(day, b.Account, "AWS/S3", "NumberOfObjects",
			[]Dimension{{Name: "BucketName", Value: b.Name}, {Name: "StorageType", Value: "AllStorageTypes"}}, float64(stats.Objects), "Count")
	}
	s.mu.Lock()
	s.metricsDay = day
	s.mu.Unlock()
	return nil
}
