package store

import (
	"context"
	"time"
)

// ObjectStore keeps S3 buckets, object versions, multipart uploads and their parts. Object bodies
// are not here: rows name the blobs that hold them, and every method that removes a row returns
// the blob ids it freed so that the caller deletes them after the commit.
type ObjectStore interface {
	// BucketCreate inserts a bucket; ErrAlreadyExists when the name is taken (by any account).
	BucketCreate(ctx context.Context, p *BucketCreateParams) error
	// BucketGet returns a bucket by name; ErrNotFound when missing.
	BucketGet(ctx context.Context, name string) (*BucketRow, error)
	// BucketList returns the buckets of an account (every bucket when Account is ""), by name.
	BucketList(ctx context.Context, p *BucketListParams) ([]*BucketRow, error)
	// BucketUpdate changes the fields whose params are non-nil; ErrNotFound when missing.
	BucketUpdate(ctx context.Context, p *BucketUpdateParams) error
	// BucketDelete removes an empty bucket: ErrConflict while any object version or multipart
	// upload remains, ErrNotFound when missing.
	BucketDelete(ctx context.Context, p *BucketDeleteParams) error
	// BucketStats counts a bucket's object versions (delete markers excluded) and their bytes.
	BucketStats(ctx context.Context, bucket string) (*BucketStats, error)

	// ObjectPut stores a new version (or delete marker) as the key's latest. When Row.VersionID
	// is "null", an existing "null" version of the key is replaced; other versions become
	// noncurrent. Preconditions: IfNoneMatch fails with ErrConflict when the key has a latest
	// version that is not a delete marker; IfMatchETag fails with ErrConflict unless the latest
	// version has that ETag (ErrNotFound when there is none).
	ObjectPut(ctx context.Context, p *ObjectPutParams) (*ObjectPutResult, error)
	// ObjectGet returns one version (the latest, possibly a delete marker, when VersionID is "");
	// ErrNotFound when missing.
	ObjectGet(ctx context.Context, p *ObjectGetParams) (*ObjectRow, error)
	// ObjectDelete removes one version for good; when it was the latest, the newest remaining
	// version becomes the latest. With IfSeq set, the version must still have that Seq
	// (ErrConflict otherwise). ErrNotFound when missing.
	ObjectDelete(ctx context.Context, p *ObjectDeleteParams) (*ObjectRow, error)
	// ObjectList returns up to Limit latest versions that are not delete markers whose keys start
	// with Prefix and sort after After, by key (binary order of the UTF-8 bytes). The rows carry
	// what a listing reports (Bucket, Key, VersionID, Size, ETag, Created, Attrs), not Blobs or Tags.
	ObjectList(ctx context.Context, p *ObjectListParams) ([]*ObjectRow, error)
	// ObjectVersionList returns up to Limit versions (delete markers included) with key >= Prefix
	// after the position (AfterKey, AfterSeq), by key and then newest first. AfterSeq 0 means
	// after every version of AfterKey.
	ObjectVersionList(ctx context.Context, p *ObjectVersionListParams) ([]*ObjectRow, error)
	// ObjectTagsSet replaces one version's tags (the latest when VersionID is ""); ErrNotFound
	// when missing or a delete marker.
	ObjectTagsSet(ctx context.Context, p *ObjectTagsSetParams) (*ObjectRow, error)

	// UploadCreate inserts a multipart upload.
	UploadCreate(ctx context.Context, u *UploadRow) error
	// UploadGet returns an upload; ErrNotFound when missing (aborted or completed).
	UploadGet(ctx context.Context, bucket, uploadID string) (*UploadRow, error)
	// UploadList returns up to Limit uploads of a bucket with key >= Prefix after (AfterKey,
	// AfterID), by key and then upload id.
	UploadList(ctx context.Context, p *UploadListParams) ([]*UploadRow, error)
	// UploadDelete removes an upload and its parts and returns the freed blobs; ErrNotFound when
	// missing.
	UploadDelete(ctx context.Context, bucket, uploadID string) ([]string, error)
	// PartPut stores a part, replacing one with the same number (whose blob is returned as freed);
	// ErrNotFound when the upload is missing.
	PartPut(ctx context.Context, p *PartRow) ([]string, error)
	// PartList returns up to Limit parts of an upload with numbers > After, in order.
	PartList(ctx context.Context, p *PartListParams) ([]*PartRow, error)
	// UploadComplete atomically stores the object (as ObjectPut does), removes the upload and its
	// parts, and frees the blobs of the parts not named in Keep. ErrNotFound when the upload is
	// missing.
	UploadComplete(ctx context.Context, p *UploadCompleteParams) (*ObjectPutResult, error)

	// BlobRefs calls fn with every blob id that an object version or a part refers to.
	BlobRefs(ctx context.Context, fn func(id string) error) error
}

// BucketRow is one bucket.
type BucketRow struct {
	Name    string
	Account string
	Region  string
	Created time.Time
	// Versioning is "", "Enabled" or "Suspended".
	Versioning string
	// Tags and Lifecycle are documents owned by the objects service (nil for none).
	Tags      []byte
	Lifecycle []byte
}

// BucketCreateParams are the arguments of BucketCreate.
type BucketCreateParams struct {
	Bucket BucketRow
}

// BucketListParams are the arguments of BucketList.
type BucketListParams struct {
	Account string
}

// BucketUpdateParams are the arguments of BucketUpdate; nil fields are left unchanged, a pointer
// to nil clears a document.
type BucketUpdateParams struct {
	Name       string
	Versioning *string
	Tags       *[]byte
	Lifecycle  *[]byte
}

// BucketDeleteParams are the arguments of BucketDelete.
type BucketDeleteParams struct {
	Name string
}

// BucketStats are a bucket's object count and bytes.
type BucketStats struct {
	Objects int64
	Bytes   int64
}

// ObjectRow is one object version or delete marker.
type ObjectRow struct {
	Bucket    string
	Key       string
	VersionID string
	// Seq orders the versions of all keys; the driver assigns it on insert.
	Seq          int64
	IsLatest     bool
	DeleteMarker bool
	Size         int64
	ETag         string
	Created      time.Time
	// NoncurrentSince is when a newer version replaced this one (zero while latest).
	NoncurrentSince time.Time
	// Blobs are the ids of the blobs holding the body, in order.
	Blobs []string
	// Attrs and Tags are documents owned by the objects service.
	Attrs []byte
	Tags  []byte
}

// ObjectPutParams are the arguments of ObjectPut.
type ObjectPutParams struct {
	Row         ObjectRow
	IfNoneMatch bool
	IfMatchETag string
	// Flush, when set, makes the row's blobs durable (they were written deferred, see
	// blob.Deferred). The driver calls it before the transaction that writes the row begins
	// (in a group commit, the flushes of every row run first, so the first one covers the
	// others); its error fails the put, which then writes nothing.
	Flush func() error
}

// ObjectPutResult tells what ObjectPut replaced.
type ObjectPutResult struct {
	Seq   int64
	Freed []string
}

// ObjectGetParams are the arguments of ObjectGet.
type ObjectGetParams struct {
	Bucket, Key, VersionID string
}

// ObjectDeleteParams are the arguments of ObjectDelete.
type ObjectDeleteParams struct {
	Bucket, Key, VersionID string
	IfSeq                  int64
	Now                    time.Time
}

// ObjectListParams are the arguments of ObjectList.
type ObjectListParams struct {
	Bucket, Prefix, After string
	Limit                 int
}

// PrefixEnd returns the smallest byte string greater than every string that starts with prefix,
// and false when there is none (an empty prefix, or one of 0xff bytes only): the exclusive upper
// bound of a prefix's index range.
func PrefixEnd(prefix string) ([]byte, bool) {
	end := []byte(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] != 0xff {
			end[i]++
			return end[:i+1], true
		}
	}
	return nil, false
}

// ObjectVersionListParams are the arguments of ObjectVersionList.
type ObjectVersionListParams struct {
	Bucket, Prefix, AfterKey string
	AfterSeq                 int64
	Limit                    int
}

// ObjectTagsSetParams are the arguments of ObjectTagsSet.
type ObjectTagsSetParams struct {
	Bucket, Key, VersionID string
	Tags                   []byte
}

// UploadRow is one multipart upload in progress.
type UploadRow struct {
	Bucket    string
	Key       string
	UploadID  string
	Initiated time.Time
	// Attrs is a document owned by the objects service (headers, metadata, checksum settings).
	Attrs []byte
}

// UploadListParams are the arguments of UploadList.
type UploadListParams struct {
	Bucket, Prefix, AfterKey, AfterID string
	Limit                             int
}

// PartRow is one uploaded part.
type PartRow struct {
	Bucket     string
	UploadID   string
	PartNumber int
	Blob       string
	Size       int64
	ETag       string
	Checksum   string
	Created    time.Time
}

// PartListParams are the arguments of PartList.
type PartListParams struct {
	Bucket, UploadID string
	After            int
	Limit            int
}

// UploadCompleteParams are the arguments of UploadComplete.
type UploadCompleteParams struct {
	UploadID string
	Object   ObjectPutParams
	// Keep are the part numbers whose blobs the object now owns.
	Keep []int
}
