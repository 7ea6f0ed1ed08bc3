package objects

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/blob"
	"github.com/ceap/ceap/internal/store"
)

// Multipart limits of S3.
const (
	// MaxPartNumber is S3's highest part number.
	MaxPartNumber = 10000
	// MinPartSize is S3's minimum size of every part but the last: 5 MiB.
	MinPartSize = 5 << 20
	// MaxPartSize is S3's maximum part size: 5 GiB.
	MaxPartSize = 5 << 30
	// MaxListParts is the most parts or uploads one list page returns.
	MaxListParts = 1000
)

// CreateUploadInput are the arguments of CreateMultipartUpload.
type CreateUploadInput struct {
	Account, Bucket, Key string
	Headers              Headers
	Metadata             map[string]string
	Tags                 []Tag
	StorageClass         string
	ChecksumAlgorithm    string
	// ChecksumType is FULL_OBJECT or COMPOSITE; "" picks S3's default for the algorithm.
	ChecksumType string
}

// Upload is a multipart upload in progress.
type Upload struct {
	Bucket, Key, UploadID string
	Initiated             time.Time
	StorageClass          string
	ChecksumAlgorithm     string
	ChecksumType          string
}

func uploadFromRow(u *store.UploadRow) *Upload {
	a := decodeAttrs(u.Attrs)
	up := &Upload{Bucket: u.Bucket, Key: u.Key, UploadID: u.UploadID, Initiated: u.Initiated, StorageClass: a.StorageClass}
	if up.StorageClass == "" {
		up.StorageClass = "STANDARD"
	}
	if a.Checksum != nil {
		up.ChecksumAlgorithm, up.ChecksumType = a.Checksum.Algorithm, a.Checksum.Type
	}
	return up
}

// CreateMultipartUpload starts an upload.
func (s *Service) CreateMultipartUpload(ctx context.Context, in *CreateUploadInput) (*Upload, error) {
	if err := ValidKey(in.Key); err != nil {
		return nil, err
	}
	if metadataSize(in.Metadata) > MaxMetadataSize {
		return nil, awserr.New("MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size.")
	}
	if err := ValidateTags(in.Tags, MaxObjectTags); err != nil {
		return nil, err
	}
	a := &attrs{Headers: in.Headers, Metadata: normaliseMetadata(in.Metadata), StorageClass: in.StorageClass, Tags: in.Tags}
	if in.ChecksumAlgorithm != "" {
		typ := in.ChecksumType
		if typ == "" {
			typ = DefaultChecksumType(in.ChecksumAlgorithm)
		}
		if !ValidChecksumType(in.ChecksumAlgorithm, typ) {
			return nil, errInvalidRequest("The %s checksum type cannot be used with the %s checksum algorithm.", strings.ToLower(typ), strings.ToLower(in.ChecksumAlgorithm))
		}
		a.Checksum = &Checksum{Algorithm: in.ChecksumAlgorithm, Type: typ}
	} else if in.ChecksumType != "" {
		return nil, errInvalidRequest("The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
	}
	if _, err := s.bucket(ctx, in.Account, in.Bucket); err != nil {
		return nil, err
	}
	row := &store.UploadRow{Bucket: in.Bucket, Key: in.Key, UploadID: blob.NewID() + blob.NewID(), Initiated: s.now(), Attrs: encodeAttrs(a)}
	if err := s.store.UploadCreate(ctx, row); err != nil {
		return nil, internal("create upload", err)
	}
	return uploadFromRow(row), nil
}

// upload loads an upload of bucket/key that the account owns.
func (s *Service) upload(ctx context.Context, account, bucket, key, uploadID string) (*store.BucketRow, *store.UploadRow, error) {
	b, err := s.bucket(ctx, account, bucket)
	if err != nil {
		return nil, nil, err
	}
	u, err := s.store.UploadGet(ctx, bucket, uploadID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.Key != key) {
		return nil, nil, errNoSuchUpload(uploadID)
	}
	if err != nil {
		return nil, nil, internal("get upload", err)
	}
	return b, u, nil
}

// PartInput are the arguments of UploadPart.
type PartInput struct {
	Account, Bucket, Key, UploadID string
	PartNumber                     int
	Body                           io.Reader
	Size                           int64
	ContentMD5                     string
	Checksum                       ExpectedChecksum
	// Verify is as in PutInput.
	Verify func() error
}

// Part is one uploaded part.
type Part struct {
	PartNumber   int
	ETag         string
	Size         int64
	LastModified time.Time
	// Checksum is the part's checksum in the upload's algorithm (Algorithm "" for none).
	Checksum Checksum
}

func checkPartNumber(n int) error {
	if n < 1 || n > MaxPartNumber {
		return errInvalidArgument("Part number must be an integer between 1 and %d, inclusive", MaxPartNumber)
	}
	return nil
}

// UploadPart stores one part.
func (s *Service) UploadPart(ctx context.Context, in *PartInput) (*Part, error) {
	if err := checkPartNumber(in.PartNumber); err != nil {
		return nil, err
	}
	_, u, err := s.upload(ctx, in.Account, in.Bucket, in.Key, in.UploadID)
	if err != nil {
		return nil, err
	}
	a := decodeAttrs(u.Attrs)
	alg := in.Checksum.Algorithm
	if a.Checksum != nil {
		if alg != "" && alg != a.Checksum.Algorithm {
			return nil, errInvalidRequest("Checksum Type mismatch occurred, expected checksum Type: %s, actual checksum Type: %s", strings.ToLower(a.Checksum.Algorithm), strings.ToLower(alg))
		}
		alg = a.Checksum.Algorithm
	}
	w, err := s.writeBody(ctx, in.Body, in.Size, MaxPartSize, alg)
	if err != nil {
		return nil, err
	}
	if err := verifyBody(w.digest, in.ContentMD5, in.Checksum, in.Verify); err != nil {
		s.freeBlobs(ctx, []string{w.info.ID})
		return nil, err
	}
	return s.commitPart(ctx, in.Bucket, in.UploadID, in.PartNumber, w, alg)
}

func (s *Service) commitPart(ctx context.Context, bucket, uploadID string, number int, w *written, alg string) (*Part, error) {
	p := &store.PartRow{Bucket: bucket, UploadID: uploadID, PartNumber: number, Blob: w.info.ID, Size: w.info.Size,
		ETag: ETag(w.digest.MD5()), Checksum: w.digest.Checksum(), Created: s.now()}
	freed, err := s.store.PartPut(ctx, p)
	if err != nil {
		s.freeBlobs(ctx, []string{w.info.ID})
		if errors.Is(err, store.ErrNotFound) {
			return nil, errNoSuchUpload(uploadID)
		}
		return nil, internal("put part", err)
	}
	s.freeBlobs(ctx, freed)
	return partFromRow(p, alg), nil
}

func partFromRow(p *store.PartRow, alg string) *Part {
	out := &Part{PartNumber: p.PartNumber, ETag: p.ETag, Size: p.Size, LastModified: p.Created}
	if alg != "" {
		out.Checksum = Checksum{Algorithm: alg, Value: p.Checksum}
	}
	return out
}

// PartCopyInput are the arguments of UploadPartCopy.
type PartCopyInput struct {
	Account, Bucket, Key, UploadID string
	PartNumber                     int
	Source                         CopySource
	// Range, when set, copies bytes Start-End (inclusive) of the source.
	Range *Range
}

// UploadPartCopy stores a part copied from (a range of) an existing object.
func (s *Service) UploadPartCopy(ctx context.Context, in *PartCopyInput) (*Part, string, error) {
	if err := checkPartNumber(in.PartNumber); err != nil {
		return nil, "", err
	}
	_, u, err := s.upload(ctx, in.Account, in.Bucket, in.Key, in.UploadID)
	if err != nil {
		return nil, "", err
	}
	src, err := s.source(ctx, in.Account, in.Source)
	if err != nil {
		return nil, "", err
	}
	start, end := int64(0), src.Size-1
	if in.Range != nil {
		if in.Range.Suffix > 0 || in.Range.End < in.Range.Start || in.Range.End >= src.Size {
			return nil, "", &awserr.Error{Code: "InvalidRange", Message: "The requested range is not satisfiable", Status: 416, Fields: map[string]string{"ActualObjectSize": itoa(src.Size)}}
		}
		start, end = in.Range.Start, in.Range.End
	}
	if end-start+1 > MaxPartSize {
		return nil, "", errInvalidRequest("The specified copy range is larger than the maximum allowable size for a part: %d", int64(MaxPartSize))
	}
	a := decodeAttrs(u.Attrs)
	alg := ""
	if a.Checksum != nil {
		alg = a.Checksum.Algorithm
	}
	body, err := s.openRange(ctx, src, start, end+1)
	if err != nil {
		return nil, "", err
	}
	w, err := s.writeBody(ctx, body, end-start+1, MaxPartSize, alg)
	body.Close()
	if err != nil {
		return nil, "", err
	}
	p, err := s.commitPart(ctx, in.Bucket, in.UploadID, in.PartNumber, w, alg)
	return p, src.VersionID, err
}

// CompletedPart is one part named in CompleteMultipartUpload.
type CompletedPart struct {
	PartNumber int
	ETag       string
	// Checksum is the part checksum the client sent ("" for none).
	Checksum string
}

// CompleteInput are the arguments of CompleteMultipartUpload.
type CompleteInput struct {
	Account, Bucket, Key, UploadID string
	Parts                          []CompletedPart
	// Checksum is the full-object checksum the client sent, if any.
	Checksum    ExpectedChecksum
	IfNoneMatch string
	IfMatch     string
}

// CompleteMultipartUpload assembles the parts into an object. The parts' blobs become the
// object's, so nothing is copied.
func (s *Service) CompleteMultipartUpload(ctx context.Context, in *CompleteInput) (*Object, error) {
	if len(in.Parts) == 0 {
		return nil, awserr.New("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
	}
	b, u, err := s.upload(ctx, in.Account, in.Bucket, in.Key, in.UploadID)
	if err != nil {
		return nil, err
	}
	stored := map[int]*store.PartRow{}
	after := 0
	for {
		page, err := s.store.PartList(ctx, &store.PartListParams{Bucket: in.Bucket, UploadID: in.UploadID, After: after, Limit: MaxListParts})
		if err != nil {
			return nil, internal("list parts", err)
		}
		for _, p := range page {
			stored[p.PartNumber] = p
			after = p.PartNumber
		}
		if len(page) < MaxListParts {
			break
		}
	}
	a := decodeAttrs(u.Attrs)
	var (
		blobs    []string
		sizes    []int64
		md5s     [][]byte
		sums     []string
		crcs     []PartCRC
		keep     []int
		total    int64
		previous int
	)
	for _, cp := range in.Parts {
		if cp.PartNumber <= previous {
			return nil, awserr.New("InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number.")
		}
		previous = cp.PartNumber
	}
	for i, cp := range in.Parts {
		p, ok := stored[cp.PartNumber]
		if !ok || quoteETag(cp.ETag) != p.ETag {
			return nil, &awserr.Error{Code: "InvalidPart", Message: "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.", Status: 400, Fields: map[string]string{"UploadId": in.UploadID, "PartNumber": itoa(int64(cp.PartNumber)), "ETag": cp.ETag}}
		}
		if a.Checksum != nil && cp.Checksum != "" && cp.Checksum != p.Checksum {
			return nil, &awserr.Error{Code: "InvalidPart", Message: "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.", Status: 400, Fields: map[string]string{"UploadId": in.UploadID, "PartNumber": itoa(int64(cp.PartNumber))}}
		}
		if i < len(in.Parts)-1 && p.Size < MinPartSize {
			return nil, &awserr.Error{Code: "EntityTooSmall", Message: "Your proposed upload is smaller than the minimum allowed object size.", Status: 400, Fields: map[string]string{"ProposedSize": itoa(p.Size), "MinSizeAllowed": itoa(MinPartSize), "PartNumber": itoa(int64(cp.PartNumber)), "ETag": p.ETag}}
		}
		raw, _ := ParseETag(p.ETag)
		blobs, sizes, md5s = append(blobs, p.Blob), append(sizes, p.Size), append(md5s, raw)
		sums, crcs = append(sums, p.Checksum), append(crcs, PartCRC{Value: p.Checksum, Size: p.Size})
		keep = append(keep, cp.PartNumber)
		total += p.Size
	}
	obj := &attrs{Headers: a.Headers, Metadata: a.Metadata, StorageClass: a.StorageClass, Segments: sizes, Multipart: true}
	if c := a.Checksum; c != nil {
		var value string
		var err error
		if c.Type == FullObject {
			value, err = CombineCRC(c.Algorithm, crcs)
		} else {
			value, err = CompositeChecksum(c.Algorithm, sums)
		}
		if err != nil {
			return nil, internal("combine checksums", err)
		}
		if want := in.Checksum.Value; want != "" && c.Type == FullObject && want != value {
			return nil, errBadDigest("The %s you specified did not match the calculated checksum.", c.Algorithm)
		}
		obj.Checksum = &Checksum{Algorithm: c.Algorithm, Value: value, Type: c.Type}
	}
	row := store.ObjectRow{
		Bucket: in.Bucket, Key: in.Key, VersionID: versionFor(b), Size: total, ETag: MultipartETag(md5s),
		Created: s.now(), Blobs: blobs, Attrs: encodeAttrs(obj), Tags: encodeTags(a.Tags),
	}
	put := store.ObjectPutParams{Row: row, IfNoneMatch: in.IfNoneMatch == "*", IfMatchETag: quoteETag(in.IfMatch)}
	res, err := s.store.UploadComplete(ctx, &store.UploadCompleteParams{UploadID: in.UploadID, Object: put, Keep: keep})
	if err != nil {
		if errors.Is(err, store.ErrNotFound) && !put.IfNoneMatch && put.IfMatchETag == "" {
			return nil, errNoSuchUpload(in.UploadID)
		}
		return nil, s.mapPutError(err, &put)
	}
	s.freeBlobs(ctx, res.Freed)
	row.Seq, row.IsLatest = res.Seq, true
	return s.objectFromRow(&row, b), nil
}

// AbortMultipartUpload discards an upload and its parts.
func (s *Service) AbortMultipartUpload(ctx context.Context, account, bucket, key, uploadID string) error {
	if _, _, err := s.upload(ctx, account, bucket, key, uploadID); err != nil {
		return err
	}
	freed, err := s.store.UploadDelete(ctx, bucket, uploadID)
	if errors.Is(err, store.ErrNotFound) {
		return errNoSuchUpload(uploadID)
	}
	if err != nil {
		return internal("abort upload", err)
	}
	s.freeBlobs(ctx, freed)
	return nil
}

// ListPartsOutput is one page of parts.
type ListPartsOutput struct {
	Upload      *Upload
	Parts       []*Part
	IsTruncated bool
	Next        int
}

// ListParts lists an upload's parts after partNumberMarker.
func (s *Service) ListParts(ctx context.Context, account, bucket, key, uploadID string, marker, maxParts int) (*ListPartsOutput, error) {
	_, u, err := s.upload(ctx, account, bucket, key, uploadID)
	if err != nil {
		return nil, err
	}
	if maxParts <= 0 || maxParts > MaxListParts {
		maxParts = MaxListParts
	}
	rows, err := s.store.PartList(ctx, &store.PartListParams{Bucket: bucket, UploadID: uploadID, After: marker, Limit: maxParts + 1})
	if err != nil {
		return nil, internal("list parts", err)
	}
	up := uploadFromRow(u)
	out := &ListPartsOutput{Upload: up}
	if len(rows) > maxParts {
		rows, out.IsTruncated = rows[:maxParts], true
	}
	for _, r := range rows {
		out.Parts = append(out.Parts, partFromRow(r, up.ChecksumAlgorithm))
		out.Next = r.PartNumber
	}
	return out, nil
}

// ListUploadsInput are the arguments of ListMultipartUploads.
type ListUploadsInput struct {
	Account, Bucket, Prefix, Delimiter string
	KeyMarker, UploadIDMarker          string
	MaxUploads                         int
}

// ListUploadsOutput is one page of uploads.
type ListUploadsOutput struct {
	Uploads                   []*Upload
	CommonPrefixes            []string
	IsTruncated               bool
	NextKeyMarker, NextUpload string
}

// ListMultipartUploads lists a bucket's uploads in progress.
func (s *Service) ListMultipartUploads(ctx context.Context, in *ListUploadsInput) (*ListUploadsOutput, error) {
	if _, err := s.bucket(ctx, in.Account, in.Bucket); err != nil {
		return nil, err
	}
	max := in.MaxUploads
	if max <= 0 || max > MaxListParts {
		max = MaxListParts
	}
	out := &ListUploadsOutput{}
	afterKey, afterID := in.KeyMarker, in.UploadIDMarker
	if in.UploadIDMarker == "" && in.KeyMarker != "" {
		afterID = "\xff"
	}
	count, lastCP := 0, ""
	for {
		rows, err := s.store.UploadList(ctx, &store.UploadListParams{Bucket: in.Bucket, Prefix: in.Prefix, AfterKey: afterKey, AfterID: afterID, Limit: MaxListParts})
		if err != nil {
			return nil, internal("list uploads", err)
		}
		if len(rows) == 0 {
			return out, nil
		}
		for _, r := range rows {
			afterKey, afterID = r.Key, r.UploadID
			if !strings.HasPrefix(r.Key, in.Prefix) {
				return out, nil
			}
			cp := commonPrefixOf(r.Key, in.Prefix, in.Delimiter)
			if cp != "" && cp == lastCP {
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
				out.NextKeyMarker, out.NextUpload = cp, ""
				continue
			}
			out.Uploads = append(out.Uploads, uploadFromRow(r))
			out.NextKeyMarker, out.NextUpload = r.Key, r.UploadID
		}
	}
}
