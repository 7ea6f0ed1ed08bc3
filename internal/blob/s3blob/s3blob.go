// Package s3blob is the blob backend for multi-node deployments: each blob is one object, named
// by its blob id under a prefix, in a bucket of any S3-compatible store (another ceap, AWS S3,
// MinIO). A PUT is atomic in S3, so a failed or interrupted Put leaves nothing visible; bodies
// stream through the SDK's upload manager in parts, never whole.
//
// This package must never derive an object key from anything but a validated blob id.
package s3blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/ceap/ceap/internal/blob"
)

// partSize is the upload part size: S3's minimum, so that memory per upload stays small.
const partSize = manager.MinUploadPartSize

// Config configures the backend.
type Config struct {
	// Client talks to the S3-compatible store.
	Client *s3.Client
	// Bucket holds the blobs; it must exist.
	Bucket string
	// Prefix is prepended to every blob id (e.g. "blobs/").
	Prefix string
}

// Store is a blob.Store in an S3 bucket.
type Store struct {
	cfg      Config
	uploader *manager.Uploader
}

var _ blob.Store = (*Store)(nil)

// New returns a Store.
func New(cfg Config) (*Store, error) {
	if cfg.Client == nil || cfg.Bucket == "" {
		return nil, errors.New("s3blob: Client and Bucket are required")
	}
	up := manager.NewUploader(cfg.Client, func(u *manager.Uploader) { u.PartSize = partSize; u.Concurrency = 2 })
	return &Store{cfg: cfg, uploader: up}, nil
}

func (s *Store) key(id string) string { return s.cfg.Prefix + id }

type counter struct {
	ctx context.Context
	r   io.Reader
	n   int64
}

func (c *counter) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// Put uploads r as a new blob.
func (s *Store) Put(ctx context.Context, r io.Reader) (blob.Info, error) {
	id := blob.NewID()
	c := &counter{ctx: ctx, r: r}
	_, err := s.uploader.Upload(ctx, &s3.PutObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(s.key(id)), Body: c})
	if err != nil {
		return blob.Info{}, fmt.Errorf("upload blob: %w", err)
	}
	info, err := s.Stat(ctx, id)
	if err != nil {
		return blob.Info{}, err
	}
	if info.Size != c.n {
		return blob.Info{}, fmt.Errorf("upload blob %s: stored %d bytes, read %d", id, info.Size, c.n)
	}
	return info, nil
}

func notFound(err error) bool {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	if errors.As(err, &nsk) || errors.As(err, &nf) {
		return true
	}
	var ae smithy.APIError
	return errors.As(err, &ae) && (ae.ErrorCode() == "NoSuchKey" || ae.ErrorCode() == "NotFound")
}

// Open returns a reader over part of a blob.
func (s *Store) Open(ctx context.Context, id string, offset, length int64) (io.ReadCloser, error) {
	if !blob.ValidID(id) {
		return nil, fmt.Errorf("open blob %q: %w", id, blob.ErrInvalidID)
	}
	in := &s3.GetObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(s.key(id))}
	if length == 0 {
		if _, err := s.Stat(ctx, id); err != nil {
			return nil, err
		}
		return io.NopCloser(strings.NewReader("")), nil
	}
	if offset > 0 || length > 0 {
		r := fmt.Sprintf("bytes=%d-", offset)
		if length > 0 {
			r += fmt.Sprint(offset + length - 1)
		}
		in.Range = aws.String(r)
	}
	out, err := s.cfg.Client.GetObject(ctx, in)
	if err != nil {
		if notFound(err) {
			return nil, fmt.Errorf("open blob %s: %w", id, blob.ErrNotFound)
		}
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "InvalidRange" {
			return io.NopCloser(strings.NewReader("")), nil // offset at or past the end
		}
		return nil, fmt.Errorf("open blob %s: %w", id, err)
	}
	return out.Body, nil
}

// Stat returns a blob's Info.
func (s *Store) Stat(ctx context.Context, id string) (blob.Info, error) {
	if !blob.ValidID(id) {
		return blob.Info{}, fmt.Errorf("stat blob %q: %w", id, blob.ErrInvalidID)
	}
	out, err := s.cfg.Client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(s.key(id))})
	if err != nil {
		if notFound(err) {
			return blob.Info{}, fmt.Errorf("stat blob %s: %w", id, blob.ErrNotFound)
		}
		return blob.Info{}, fmt.Errorf("stat blob %s: %w", id, err)
	}
	return blob.Info{ID: id, Size: aws.ToInt64(out.ContentLength), Created: aws.ToTime(out.LastModified)}, nil
}

// Delete removes a blob; a missing blob is not an error.
func (s *Store) Delete(ctx context.Context, id string) error {
	if !blob.ValidID(id) {
		return fmt.Errorf("delete blob %q: %w", id, blob.ErrInvalidID)
	}
	_, err := s.cfg.Client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(s.key(id))})
	if err != nil && !notFound(err) {
		return fmt.Errorf("delete blob %s: %w", id, err)
	}
	return nil
}

// Walk lists every blob under the prefix.
func (s *Store) Walk(ctx context.Context, fn func(blob.Info) error) error {
	p := s3.NewListObjectsV2Paginator(s.cfg.Client, &s3.ListObjectsV2Input{Bucket: aws.String(s.cfg.Bucket), Prefix: aws.String(s.cfg.Prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list blobs: %w", err)
		}
		for _, o := range page.Contents {
			id := strings.TrimPrefix(aws.ToString(o.Key), s.cfg.Prefix)
			if !blob.ValidID(id) {
				continue
			}
			if err := fn(blob.Info{ID: id, Size: aws.ToInt64(o.Size), Created: aws.ToTime(o.LastModified)}); err != nil {
				return err
			}
		}
	}
	return nil
}
