package s3

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/objects"
)

func (c *call) createUpload() error {
	tags, err := tagsFromHeader(c.r.Header.Get("X-Amz-Tagging"))
	if err != nil {
		return err
	}
	in := &objects.CreateUploadInput{Account: c.account, Bucket: c.bucket, Key: c.key, Headers: contentHeaders(c.r),
		Metadata: userMetadata(c.r), Tags: tags, StorageClass: storageClass(c.r), ChecksumType: strings.ToUpper(c.r.Header.Get("X-Amz-Checksum-Type"))}
	if v := c.r.Header.Get("X-Amz-Checksum-Algorithm"); v != "" {
		alg, ok := objects.ValidAlgorithm(v)
		if !ok {
			return awserr.New("InvalidRequest", "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
		}
		in.ChecksumAlgorithm = alg
	}
	up, err := c.h.svc.CreateMultipartUpload(c.ctx, in)
	if err != nil {
		return err
	}
	if up.ChecksumAlgorithm != "" {
		c.w.Header().Set("X-Amz-Checksum-Algorithm", up.ChecksumAlgorithm)
		c.w.Header().Set("X-Amz-Checksum-Type", up.ChecksumType)
	}
	return c.writeXML(http.StatusOK, initiateMultipartUploadResult{Xmlns: xmlns, Bucket: c.bucket, Key: c.key, UploadID: up.UploadID})
}

func (c *call) partNumber() (int, error) {
	n, err := strconv.Atoi(c.query.Get("partNumber"))
	if err != nil || n < 1 || n > objects.MaxPartNumber {
		return 0, awserr.New("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive")
	}
	return n, nil
}

func (c *call) uploadPart() error {
	n, err := c.partNumber()
	if err != nil {
		return err
	}
	b, err := c.payload()
	if err != nil {
		return err
	}
	p, err := c.h.svc.UploadPart(c.ctx, &objects.PartInput{Account: c.account, Bucket: c.bucket, Key: c.key, UploadID: c.query.Get("uploadId"),
		PartNumber: n, Body: b.r, Size: b.size, ContentMD5: c.r.Header.Get("Content-Md5"), Checksum: b.checksum, Verify: b.verify})
	c.bytesIn += b.counted.n
	if err != nil {
		return err
	}
	c.w.Header().Set("Etag", p.ETag)
	writeChecksumHeaders(c.w.Header(), p.Checksum)
	return c.writeEmpty(http.StatusOK)
}

func (c *call) uploadPartCopy() error {
	n, err := c.partNumber()
	if err != nil {
		return err
	}
	src, err := copySource(c.r.Header)
	if err != nil {
		return err
	}
	in := &objects.PartCopyInput{Account: c.account, Bucket: c.bucket, Key: c.key, UploadID: c.query.Get("uploadId"), PartNumber: n, Source: src}
	if v := c.r.Header.Get("X-Amz-Copy-Source-Range"); v != "" {
		r := parseRange(v)
		if r == nil || r.Suffix > 0 || r.End < 0 {
			return awserr.New("InvalidArgument", "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy")
		}
		in.Range = r
	}
	p, srcVersion, err := c.h.svc.UploadPartCopy(c.ctx, in)
	if err != nil {
		return err
	}
	if srcVersion != "" {
		c.w.Header().Set("X-Amz-Copy-Source-Version-Id", srcVersion)
	}
	res := copyPartResult{Xmlns: xmlns, ETag: p.ETag, LastModified: xmlTime(p.LastModified)}
	setChecksumXML(&res.checksumsXML, p.Checksum)
	return c.writeXML(http.StatusOK, res)
}

func (c *call) completeUpload() error {
	var doc completeMultipartUpload
	if err := c.readXML(&doc); err != nil {
		return err
	}
	in := &objects.CompleteInput{Account: c.account, Bucket: c.bucket, Key: c.key, UploadID: c.query.Get("uploadId"),
		IfNoneMatch: c.r.Header.Get("If-None-Match"), IfMatch: c.r.Header.Get("If-Match")}
	for _, p := range doc.Parts {
		in.Parts = append(in.Parts, objects.CompletedPart{PartNumber: p.PartNumber, ETag: p.ETag, Checksum: checksumFromXML(p.checksumsXML)})
	}
	for _, alg := range objects.Algorithms() {
		if v := c.r.Header.Get(checksumHeader(alg)); v != "" {
			in.Checksum = objects.ExpectedChecksum{Algorithm: alg, Value: v}
		}
	}
	o, err := c.h.svc.CompleteMultipartUpload(c.ctx, in)
	if err != nil {
		return err
	}
	c.versionHeader(o.VersionID)
	c.expirationHeader(o)
	res := completeMultipartUploadResult{Xmlns: xmlns, Location: "http://" + c.r.Host + "/" + c.bucket + "/" + c.key, Bucket: c.bucket, Key: c.key,
		ETag: o.ETag, ChecksumType: o.Checksum.Type}
	setChecksumXML(&res.checksumsXML, o.Checksum)
	return c.writeXML(http.StatusOK, res)
}

func (c *call) abortUpload() error {
	if err := c.h.svc.AbortMultipartUpload(c.ctx, c.account, c.bucket, c.key, c.query.Get("uploadId")); err != nil {
		return err
	}
	return c.writeEmpty(http.StatusNoContent)
}

func (c *call) listParts() error {
	max, err := c.maxKeys("max-parts")
	if err != nil {
		return err
	}
	marker := 0
	if v := c.query.Get("part-number-marker"); v != "" {
		if marker, err = strconv.Atoi(v); err != nil || marker < 0 {
			return awserr.New("InvalidArgument", "Provided part-number-marker not an integer or within integer range")
		}
	}
	out, err := c.h.svc.ListParts(c.ctx, c.account, c.bucket, c.key, c.query.Get("uploadId"), marker, max)
	if err != nil {
		return err
	}
	own := ownerOf(c.account)
	res := listPartsResult{Xmlns: xmlns, Bucket: c.bucket, Key: c.key, UploadID: out.Upload.UploadID, PartNumberMarker: marker,
		NextPartNumberMarker: out.Next, MaxParts: max, IsTruncated: out.IsTruncated, Initiator: own, Owner: own,
		StorageClass: out.Upload.StorageClass, ChecksumAlgorithm: out.Upload.ChecksumAlgorithm, ChecksumType: out.Upload.ChecksumType}
	for _, p := range out.Parts {
		x := partXML{PartNumber: p.PartNumber, LastModified: xmlTime(p.LastModified), ETag: p.ETag, Size: p.Size}
		setChecksumXML(&x.checksumsXML, p.Checksum)
		res.Parts = append(res.Parts, x)
	}
	return c.writeXML(http.StatusOK, res)
}

func (c *call) listUploads() error {
	max, err := c.maxKeys("max-uploads")
	if err != nil {
		return err
	}
	enc, _, err := c.encoder()
	if err != nil {
		return err
	}
	in := &objects.ListUploadsInput{Account: c.account, Bucket: c.bucket, Prefix: c.query.Get("prefix"), Delimiter: c.query.Get("delimiter"),
		KeyMarker: c.query.Get("key-marker"), UploadIDMarker: c.query.Get("upload-id-marker"), MaxUploads: max}
	out, err := c.h.svc.ListMultipartUploads(c.ctx, in)
	if err != nil {
		return err
	}
	own := ownerOf(c.account)
	res := listMultipartUploadsResult{Xmlns: xmlns, Bucket: c.bucket, KeyMarker: enc(in.KeyMarker), UploadIDMarker: in.UploadIDMarker,
		Prefix: enc(in.Prefix), Delimiter: enc(in.Delimiter), MaxUploads: max, IsTruncated: out.IsTruncated}
	if out.IsTruncated {
		res.NextKeyMarker, res.NextUploadIDMarker = enc(out.NextKeyMarker), out.NextUpload
	}
	for _, u := range out.Uploads {
		res.Uploads = append(res.Uploads, uploadXML{Key: enc(u.Key), UploadID: u.UploadID, Initiator: own, Owner: own, StorageClass: u.StorageClass,
			Initiated: xmlTime(u.Initiated), ChecksumAlgorithm: u.ChecksumAlgorithm, ChecksumType: u.ChecksumType})
	}
	for _, p := range out.CommonPrefixes {
		res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{Prefix: enc(p)})
	}
	return c.writeXML(http.StatusOK, res)
}
