package objects

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"time"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/store"
)

// Bucket limits of S3.
const (
	minBucketName = 3
	maxBucketName = 63
	// MaxBucketTags is S3's limit of tags on a bucket.
	MaxBucketTags = 50
	// MaxObjectTags is S3's limit of tags on an object.
	MaxObjectTags = 10
	// maxTagKey and maxTagValue are S3's tag key and value length limits (in characters).
	maxTagKey   = 128
	maxTagValue = 256
)

// Versioning states.
const (
	VersioningEnabled   = "Enabled"
	VersioningSuspended = "Suspended"
)

// Bucket is one bucket.
type Bucket struct {
	Name    string
	Account string
	Region  string
	Created time.Time
	// Versioning is "", Enabled or Suspended.
	Versioning string
}

func bucketFromRow(r *store.BucketRow) Bucket {
	return Bucket{Name: r.Name, Account: r.Account, Region: r.Region, Created: r.Created, Versioning: r.Versioning}
}

// ValidBucketName reports whether name follows S3's general purpose bucket naming rules.
func ValidBucketName(name string) bool {
	if len(name) < minBucketName || len(name) > maxBucketName {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	first, last := name[0], name[len(name)-1]
	if first == '.' || first == '-' || last == '.' || last == '-' {
		return false
	}
	if strings.Contains(name, "..") || net.ParseIP(name) != nil {
		return false
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	for _, sfx := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, sfx) {
			return false
		}
	}
	return true
}

// bucketCacheTTL is how long a bucket read serves requests before it is read again. Changes made
// through this node drop the entry at once; a change made on another node (PostgreSQL, several
// ceap nodes) is seen within this time. The store re-checks that the bucket exists in every
// write, so a stale entry never creates objects in a deleted bucket.
const bucketCacheTTL = time.Second

type cachedBucket struct {
	row *store.BucketRow
	at  time.Time
}

// bucket loads a bucket that the account owns.
func (s *Service) bucket(ctx context.Context, account, name string) (*store.BucketRow, error) {
	now := s.clock.Now()
	var b *store.BucketRow
	if v, ok := s.buckets.Load(name); ok && now.Sub(v.(cachedBucket).at) < bucketCacheTTL && !now.Before(v.(cachedBucket).at) {
		b = v.(cachedBucket).row
	} else {
		row, err := s.store.BucketGet(ctx, name)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				s.buckets.Delete(name)
				return nil, errNoSuchBucket(name)
			}
			return nil, internal("get bucket", err)
		}
		s.buckets.Store(name, cachedBucket{row: row, at: now})
		b = row
	}
	if account != "" && b.Account != account {
		return nil, errAccessDenied()
	}
	return b, nil
}

// CreateBucket creates a bucket in region.
func (s *Service) CreateBucket(ctx context.Context, account, region, name string) (Bucket, error) {
	if !ValidBucketName(name) {
		return Bucket{}, &awserr.Error{Code: "InvalidBucketName", Message: "The specified bucket is not valid.", Status: 400, Fields: map[string]string{"BucketName": name}}
	}
	row := store.BucketRow{Name: name, Account: account, Region: region, Created: s.clock.Now().UTC().Truncate(time.Millisecond)}
	err := s.store.BucketCreate(ctx, &store.BucketCreateParams{Bucket: row})
	if errors.Is(err, store.ErrAlreadyExists) {
		if existing, gerr := s.store.BucketGet(ctx, name); gerr == nil && existing.Account == account {
			return Bucket{}, &awserr.Error{Code: "BucketAlreadyOwnedByYou", Message: "Your previous request to create the named bucket succeeded and you already own it.", Status: 409, Fields: map[string]string{"BucketName": name}}
		}
		return Bucket{}, &awserr.Error{Code: "BucketAlreadyExists", Message: "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.", Status: 409, Fields: map[string]string{"BucketName": name}}
	}
	if err != nil {
		return Bucket{}, internal("create bucket", err)
	}
	return bucketFromRow(&row), nil
}

// HeadBucket returns a bucket the account owns.
func (s *Service) HeadBucket(ctx context.Context, account, name string) (Bucket, error) {
	b, err := s.bucket(ctx, account, name)
	if err != nil {
		return Bucket{}, err
	}
	return bucketFromRow(b), nil
}

// DeleteBucket deletes an empty bucket.
func (s *Service) DeleteBucket(ctx context.Context, account, name string) error {
	if _, err := s.bucket(ctx, account, name); err != nil {
		return err
	}
	err := s.store.BucketDelete(ctx, &store.BucketDeleteParams{Name: name})
	s.buckets.Delete(name)
	switch {
	case errors.Is(err, store.ErrConflict):
		return &awserr.Error{Code: "BucketNotEmpty", Message: "The bucket you tried to delete is not empty", Status: 409, Fields: map[string]string{"BucketName": name}}
	case errors.Is(err, store.ErrNotFound):
		return errNoSuchBucket(name)
	case err != nil:
		return internal("delete bucket", err)
	}
	return nil
}

// ListBuckets returns the account's buckets by name.
func (s *Service) ListBuckets(ctx context.Context, account string) ([]Bucket, error) {
	rows, err := s.store.BucketList(ctx, &store.BucketListParams{Account: account})
	if err != nil {
		return nil, internal("list buckets", err)
	}
	out := make([]Bucket, len(rows))
	for i, r := range rows {
		out[i] = bucketFromRow(r)
	}
	return out, nil
}

// PutBucketVersioning sets a bucket's versioning state (Enabled or Suspended).
func (s *Service) PutBucketVersioning(ctx context.Context, account, name, status string) error {
	if status != VersioningEnabled && status != VersioningSuspended {
		return awserr.New("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
	}
	if _, err := s.bucket(ctx, account, name); err != nil {
		return err
	}
	if err := s.updateBucket(ctx, &store.BucketUpdateParams{Name: name, Versioning: &status}); err != nil {
		return internal("put versioning", err)
	}
	return nil
}

// ValidateTags checks a tag set against S3's limits.
func ValidateTags(tags []Tag, max int) error {
	if len(tags) > max {
		if max == MaxObjectTags {
			return awserr.New("BadRequest", "Object tags cannot be greater than %d", max)
		}
		return awserr.New("InvalidTag", "Bucket tag count cannot be greater than %d", max)
	}
	seen := map[string]bool{}
	for _, t := range tags {
		if t.Key == "" || len([]rune(t.Key)) > maxTagKey {
			return awserr.New("InvalidTag", "The TagKey you have provided is invalid")
		}
		if len([]rune(t.Value)) > maxTagValue {
			return awserr.New("InvalidTag", "The TagValue you have provided is invalid")
		}
		if seen[t.Key] {
			return awserr.New("InvalidTag", "Cannot provide multiple Tags with the same key")
		}
		seen[t.Key] = true
	}
	return nil
}

func encodeTags(tags []Tag) []byte {
	if len(tags) == 0 {
		return nil
	}
	b, _ := json.Marshal(tags) // a slice of string pairs always marshals
	return b
}

func decodeTags(b []byte) []Tag {
	if len(b) == 0 {
		return nil
	}
	var tags []Tag
	_ = json.Unmarshal(b, &tags) // written by encodeTags
	return tags
}

// PutBucketTagging replaces a bucket's tags.
func (s *Service) PutBucketTagging(ctx context.Context, account, name string, tags []Tag) error {
	if err := ValidateTags(tags, MaxBucketTags); err != nil {
		return err
	}
	if _, err := s.bucket(ctx, account, name); err != nil {
		return err
	}
	doc := encodeTags(tags)
	if doc == nil {
		doc = []byte("[]")
	}
	if err := s.updateBucket(ctx, &store.BucketUpdateParams{Name: name, Tags: &doc}); err != nil {
		return internal("put bucket tagging", err)
	}
	return nil
}

// GetBucketTagging returns a bucket's tags; NoSuchTagSet when it has none.
func (s *Service) GetBucketTagging(ctx context.Context, account, name string) ([]Tag, error) {
	b, err := s.bucket(ctx, account, name)
	if err != nil {
		return nil, err
	}
	if b.Tags == nil {
		return nil, &awserr.Error{Code: "NoSuchTagSet", Message: "The TagSet does not exist", Status: 404, Fields: map[string]string{"BucketName": name}}
	}
	return decodeTags(b.Tags), nil
}

// DeleteBucketTagging removes a bucket's tags.
func (s *Service) DeleteBucketTagging(ctx context.Context, account, name string) error {
	if _, err := s.bucket(ctx, account, name); err != nil {
		return err
	}
	var none []byte
	if err := s.updateBucket(ctx, &store.BucketUpdateParams{Name: name, Tags: &none}); err != nil {
		return internal("delete bucket tagging", err)
	}
	return nil
}

// PutBucketLifecycle validates and stores a bucket's lifecycle configuration.
func (s *Service) PutBucketLifecycle(ctx context.Context, account, name string, l *Lifecycle) error {
	if err := l.Validate(); err != nil {
		return err
	}
	if _, err := s.bucket(ctx, account, name); err != nil {
		return err
	}
	doc, err := json.Marshal(l)
	if err != nil {
		return internal("encode lifecycle", err)
	}
	if err := s.updateBucket(ctx, &store.BucketUpdateParams{Name: name, Lifecycle: &doc}); err != nil {
		return internal("put lifecycle", err)
	}
	return nil
}

func decodeLifecycle(doc []byte) *Lifecycle {
	if len(doc) == 0 {
		return nil
	}
	l := &Lifecycle{}
	if err := json.Unmarshal(doc, l); err != nil {
		return nil
	}
	return l
}

// GetBucketLifecycle returns a bucket's lifecycle configuration.
func (s *Service) GetBucketLifecycle(ctx context.Context, account, name string) (*Lifecycle, error) {
	b, err := s.bucket(ctx, account, name)
	if err != nil {
		return nil, err
	}
	l := decodeLifecycle(b.Lifecycle)
	if l == nil {
		return nil, &awserr.Error{Code: "NoSuchLifecycleConfiguration", Message: "The lifecycle configuration does not exist", Status: 404, Fields: map[string]string{"BucketName": name}}
	}
	return l, nil
}

// DeleteBucketLifecycle removes a bucket's lifecycle configuration.
func (s *Service) DeleteBucketLifecycle(ctx context.Context, account, name string) error {
	if _, err := s.bucket(ctx, account, name); err != nil {
		return err
	}
	var none []byte
	if err := s.updateBucket(ctx, &store.BucketUpdateParams{Name: name, Lifecycle: &none}); err != nil {
		return internal("delete lifecycle", err)
	}
	return nil
}

// updateBucket changes a bucket and drops it from the cache.
func (s *Service) updateBucket(ctx context.Context, p *store.BucketUpdateParams) error {
	err := s.store.BucketUpdate(ctx, p)
	s.buckets.Delete(p.Name)
	return err
}
