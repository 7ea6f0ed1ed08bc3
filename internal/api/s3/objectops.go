package s3

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/objects"
)

// contentHeaders reads the content headers S3 stores with an object.
func contentHeaders(r *http.Request) objects.Headers {
	var encs []string
	if v := r.Header.Get("Content-Encoding"); v != "" {
		for e := range strings.SplitSeq(v, ",") {
			if e = strings.TrimSpace(e); e != "" && e != "aws-chunked" {
				encs = append(encs, e)
			}
		}
	}
	return objects.Headers{
		ContentType:        r.Header.Get("Content-Type"),
		ContentEncoding:    strings.Join(encs, ","),
		ContentDisposition: r.Header.Get("Content-Disposition"),
		ContentLanguage:    r.Header.Get("Content-Language"),
		CacheControl:       r.Header.Get("Cache-Control"),
		Expires:            r.Header.Get("Expires"),
	}
}

// userMetadata returns the x-amz-meta-* headers, names lower-cased without the prefix.
func userMetadata(r *http.Request) map[string]string {
	var m map[string]string
	const prefix = "x-amz-meta-"
	for name, values := range r.Header {
		// The prefix is compared before lower-casing: most headers are not metadata.
		if len(name) >= len(prefix) && strings.EqualFold(name[:len(prefix)], prefix) && len(values) > 0 {
			if m == nil {
				m = map[string]string{}
			}
			m[strings.ToLower(name[len(prefix):])] = strings.Join(values, ",")
		}
	}
	return m
}

// tagsFromHeader parses x-amz-tagging (a URL query string).
func tagsFromHeader(v string) ([]objects.Tag, error) {
	if v == "" {
		return nil, nil
	}
	q, err := url.ParseQuery(v)
	if err != nil {
		return nil, awserr.New("InvalidArgument", "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.")
	}
	var tags []objects.Tag
	for k, vs := range q {
		if len(vs) > 1 {
			return nil, awserr.New("InvalidTag", "Cannot provide multiple Tags with the same key")
		}
		tags = append(tags, objects.Tag{Key: k, Value: vs[0]})
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i].Key < tags[j].Key })
	return tags, nil
}

// body is a request body being read: the payload and what verifies it.
type body struct {
	r        io.Reader
	size     int64
	checksum objects.ExpectedChecksum
	verify   func() error
	counted  *countingReader
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// isSHA256Hex reports whether s is a SHA-256 in lowercase hex, the form of a signed payload
// hash (the other values of x-amz-content-sha256 name unsigned or chunked payloads). A loop, not
// a regular expression: it runs on every upload.
func isSHA256Hex(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// payload prepares the request body of an upload: aws-chunked decoding, the declared size, the
// client's checksum (header or trailer) and the x-amz-content-sha256 check.
func (c *call) payload() (*body, error) {
	b := &body{size: c.r.ContentLength}
	var src io.Reader = c.r.Body
	var chunked *chunkedReader
	if c.isChunked() {
		chunked = newChunkedReader(c.r.Body, c.req.Caller.Chunks)
		src = errorMapping{chunked}
		b.size = -1
		if v := c.r.Header.Get("X-Amz-Decoded-Content-Length"); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return nil, awserr.New("InvalidArgument", "x-amz-decoded-content-length is not valid.")
			}
			b.size = n
		} else {
			return nil, awserr.WithStatus(411, "MissingContentLength", "You must provide the Content-Length HTTP header.")
		}
	}
	for _, alg := range objects.Algorithms() {
		if v := c.r.Header.Get(checksumHeader(alg)); v != "" {
			if b.checksum.Algorithm != "" {
				return nil, awserr.New("InvalidRequest", "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
			}
			if err := objects.ValidateChecksumValue(alg, v); err != nil {
				return nil, err
			}
			b.checksum = objects.ExpectedChecksum{Algorithm: alg, Value: v}
		}
	}
	if t := strings.ToLower(strings.TrimSpace(c.r.Header.Get("X-Amz-Trailer"))); t != "" && b.checksum.Algorithm == "" {
		alg, ok := objects.ValidAlgorithm(strings.TrimPrefix(t, "x-amz-checksum-"))
		if !strings.HasPrefix(t, "x-amz-checksum-") || !ok || chunked == nil {
			return nil, awserr.New("InvalidRequest", "The value specified in the x-amz-trailer header is not supported")
		}
		b.checksum = objects.ExpectedChecksum{Algorithm: alg, Trailer: func() string { return chunked.trailers[t] }}
	}
	if b.checksum.Algorithm == "" {
		if v := c.r.Header.Get("X-Amz-Sdk-Checksum-Algorithm"); v != "" {
			alg, ok := objects.ValidAlgorithm(v)
			if !ok {
				return nil, awserr.New("InvalidRequest", "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
			}
			b.checksum.Algorithm = alg
		}
	}
	if sha := c.r.Header.Get("X-Amz-Content-Sha256"); isSHA256Hex(sha) && chunked == nil {
		h := sha256.New()
		src = io.TeeReader(src, h)
		b.verify = func() error { return checkSHA256(h, sha) }
	}
	b.counted = &countingReader{r: src}
	b.r = b.counted
	return b, nil
}

func checkSHA256(h hash.Hash, want string) error {
	got := hex.EncodeToString(h.Sum(nil))
	if got != want {
		return &awserr.Error{Code: "XAmzContentSHA256Mismatch", Message: "The provided 'x-amz-content-sha256' header does not match what was computed.", Status: 400,
			Fields: map[string]string{"ClientComputedContentSHA256": want, "S3ComputedContentSHA256": got}}
	}
	return nil
}

// errorMapping turns aws-chunked decoding failures into S3's error.
type errorMapping struct{ r io.Reader }

func (e errorMapping) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		return n, chunkedError(err)
	}
	return n, err
}

func (c *call) putObject() error {
	b, err := c.payload()
	if err != nil {
		return err
	}
	tags, err := tagsFromHeader(c.r.Header.Get("X-Amz-Tagging"))
	if err != nil {
		return err
	}
	o, err := c.h.svc.PutObject(c.ctx, &objects.PutInput{
		Account: c.account, Bucket: c.bucket, Key: c.key, Body: b.r, Size: b.size,
		ContentMD5: c.r.Header.Get("Content-Md5"), Checksum: b.checksum, Verify: b.verify,
		Headers: contentHeaders(c.r), Metadata: userMetadata(c.r), Tags: tags, StorageClass: storageClass(c.r),
		IfNoneMatch: c.r.Header.Get("If-None-Match"), IfMatch: c.r.Header.Get("If-Match"),
	})
	c.bytesIn += b.counted.n
	if err != nil {
		return err
	}
	h := c.w.Header()
	h.Set("Etag", o.ETag)
	c.versionHeader(o.VersionID)
	c.expirationHeader(o)
	writeChecksumHeaders(h, o.Checksum)
	return c.writeEmpty(http.StatusOK)
}

func storageClass(r *http.Request) string {
	sc := r.Header.Get("X-Amz-Storage-Class")
	if sc == "STANDARD" {
		return ""
	}
	return sc
}

func (c *call) versionHeader(v string) {
	if v != "" {
		c.w.Header().Set("X-Amz-Version-Id", v)
	}
}

func (c *call) expirationHeader(o *objects.Object) {
	if e := o.Expiration; e != nil {
		c.w.Header().Set("X-Amz-Expiration", fmt.Sprintf(`expiry-date="%s", rule-id="%s"`, httpTime(e.At), e.RuleID))
	}
}

// checksumHeader is the x-amz-checksum-<algorithm> header of alg, in the canonical form that
// http.Header stores (a header name written so costs no conversion on every request).
func checksumHeader(alg string) string {
	switch alg {
	case objects.CRC32:
		return "X-Amz-Checksum-Crc32"
	case objects.CRC32C:
		return "X-Amz-Checksum-Crc32c"
	case objects.CRC64NVME:
		return "X-Amz-Checksum-Crc64nvme"
	case objects.SHA1:
		return "X-Amz-Checksum-Sha1"
	case objects.SHA256:
		return "X-Amz-Checksum-Sha256"
	}
	return http.CanonicalHeaderKey("x-amz-checksum-" + alg)
}

func writeChecksumHeaders(h http.Header, cs objects.Checksum) {
	if cs.Algorithm == "" || cs.Value == "" {
		return
	}
	h.Set(checksumHeader(cs.Algorithm), cs.Value)
	if cs.Type != "" {
		h.Set("X-Amz-Checksum-Type", cs.Type)
	}
}

var rangeRE = regexp.MustCompile(`^bytes=(\d*)-(\d*)$`)

// parseRange parses a single byte range; S3 ignores a Range header it cannot parse.
func parseRange(v string) *objects.Range {
	m := rangeRE.FindStringSubmatch(strings.TrimSpace(v))
	if m == nil || (m[1] == "" && m[2] == "") {
		return nil
	}
	if m[1] == "" {
		n, err := strconv.ParseInt(m[2], 10, 64)
		if err != nil || n == 0 {
			return nil
		}
		return &objects.Range{Suffix: n}
	}
	start, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return nil
	}
	end := int64(-1)
	if m[2] != "" {
		if end, err = strconv.ParseInt(m[2], 10, 64); err != nil || end < start {
			return nil
		}
	}
	return &objects.Range{Start: start, End: end}
}

func parseHTTPTime(v string) time.Time {
	if v == "" {
		return time.Time{}
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return time.Time{}
	}
	return t
}

func conditions(h http.Header, prefix string) objects.Conditions {
	return objects.Conditions{
		IfMatch:           h.Get(prefix + "If-Match"),
		IfNoneMatch:       h.Get(prefix + "If-None-Match"),
		IfModifiedSince:   parseHTTPTime(h.Get(prefix + "If-Modified-Since")),
		IfUnmodifiedSince: parseHTTPTime(h.Get(prefix + "If-Unmodified-Since")),
	}
}

// responseOverrides are GetObject's response-* query parameters.
var responseOverrides = map[string]string{
	"response-content-type":        "Content-Type",
	"response-content-language":    "Content-Language",
	"response-expires":             "Expires",
	"response-cache-control":       "Cache-Control",
	"response-content-disposition": "Content-Disposition",
	"response-content-encoding":    "Content-Encoding",
}

func (c *call) getObject(head bool) error {
	in := &objects.GetInput{Account: c.account, Bucket: c.bucket, Key: c.key, VersionID: c.query.Get("versionId"),
		Conditions: conditions(c.r.Header, "")}
	if v := c.query.Get("partNumber"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > objects.MaxPartNumber {
			return awserr.New("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive")
		}
		in.PartNumber = n
	}
	if v := c.r.Header.Get("Range"); v != "" {
		in.Range = parseRange(v)
	}
	var out *objects.GetOutput
	var err error
	if head {
		out, err = c.h.svc.HeadObject(c.ctx, in)
	} else {
		out, err = c.h.svc.GetObject(c.ctx, in)
	}
	if err != nil {
		return err
	}
	if out.Body != nil {
		defer out.Body.Close()
	}
	o := out.Object
	// Headers are set by their canonical names directly: Header.Set canonicalises (and allocates)
	// on every call, and a small GET is mostly headers.
	h := c.w.Header()
	ct := o.ContentType
	if ct == "" {
		ct = "binary/octet-stream"
	}
	h["Content-Type"] = []string{ct}
	for _, hv := range [...]struct{ name, value string }{{"Content-Encoding", o.ContentEncoding}, {"Content-Disposition", o.ContentDisposition},
		{"Content-Language", o.ContentLanguage}, {"Cache-Control", o.CacheControl}, {"Expires", o.Expires}} {
		if hv.value != "" {
			h[hv.name] = []string{hv.value}
		}
	}
	if len(c.query) > 0 {
		for q, name := range responseOverrides {
			if v := c.query.Get(q); v != "" {
				h.Set(name, v)
			}
		}
	}
	for k, v := range o.Metadata {
		h["X-Amz-Meta-"+k] = []string{v}
	}
	h["Etag"] = []string{o.ETag}
	h["Last-Modified"] = []string{httpTime(o.LastModified)}
	h["Accept-Ranges"] = []string{"bytes"}
	c.versionHeader(o.VersionID)
	c.expirationHeader(o)
	if o.TagCount > 0 && !head {
		h.Set("X-Amz-Tagging-Count", strconv.Itoa(o.TagCount))
	}
	if o.StorageClass != "" && o.StorageClass != "STANDARD" {
		h.Set("X-Amz-Storage-Class", o.StorageClass)
	}
	if in.PartNumber > 0 && o.PartsCount > 0 {
		h.Set("X-Amz-Mp-Parts-Count", strconv.Itoa(o.PartsCount))
	}
	if strings.EqualFold(c.r.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") && !out.Partial {
		writeChecksumHeaders(h, o.Checksum)
	}
	h["Content-Length"] = []string{strconv.FormatInt(out.Length(), 10)}
	status := http.StatusOK
	if out.Partial {
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", out.Start, out.End, o.Size))
		status = http.StatusPartialContent
	}
	c.w.WriteHeader(status)
	if head || out.Body == nil {
		return nil
	}
	if err := c.writeBody(out.Body, out.Length()); err != nil {
		c.h.log.Warn("get_object_body_failed", "request_id", c.req.RequestID, "err", err)
	}
	return nil
}

// smallBody is the largest body read into memory and written with the headers in one write;
// larger bodies stream (sendfile where the connection allows it).
const smallBody = 64 << 10

// writeBody sends an object body of length bytes.
func (c *call) writeBody(body io.Reader, length int64) error {
	if length > smallBody {
		_, err := io.Copy(c.w, body)
		return err
	}
	bufp := c.h.bodies.Get().(*[]byte)
	defer c.h.bodies.Put(bufp)
	n, err := io.ReadFull(body, (*bufp)[:length])
	if _, werr := c.w.Write((*bufp)[:n]); werr != nil {
		return werr
	}
	return err
}

func (c *call) deleteObject() error {
	res, err := c.h.svc.DeleteObject(c.ctx, c.account, c.bucket, c.key, c.query.Get("versionId"))
	if err != nil {
		return err
	}
	if res.DeleteMarker {
		c.w.Header().Set("X-Amz-Delete-Marker", "true")
	}
	c.versionHeader(res.VersionID)
	return c.writeEmpty(http.StatusNoContent)
}

func (c *call) deleteObjects() error {
	var doc deleteRequest
	if err := c.readXML(&doc); err != nil {
		return err
	}
	entries := make([]objects.DeleteEntry, len(doc.Objects))
	for i, o := range doc.Objects {
		entries[i] = objects.DeleteEntry{Key: o.Key, VersionID: o.VersionID}
	}
	outcomes, err := c.h.svc.DeleteObjects(c.ctx, c.account, c.bucket, entries)
	if err != nil {
		return err
	}
	res := deleteResult{Xmlns: xmlns}
	for _, o := range outcomes {
		if o.Err != nil {
			res.Errors = append(res.Errors, deleteErrorXML{Key: o.Entry.Key, VersionID: o.Entry.VersionID, Code: o.Err.Code, Message: o.Err.Message})
			continue
		}
		if doc.Quiet {
			continue
		}
		d := deletedXML{Key: o.Entry.Key, VersionID: o.Entry.VersionID, DeleteMarker: o.Result.DeleteMarker}
		if o.Result.DeleteMarker && o.Entry.VersionID == "" {
			d.DeleteMarkerVersionID = o.Result.VersionID
		}
		res.Deleted = append(res.Deleted, d)
	}
	return c.writeXML(http.StatusOK, res)
}

// copySource parses x-amz-copy-source: [/]bucket/key[?versionId=id], URL-encoded.
func copySource(h http.Header) (objects.CopySource, error) {
	v := h.Get("X-Amz-Copy-Source")
	path, query, _ := strings.Cut(v, "?")
	path, err := url.PathUnescape(strings.TrimPrefix(path, "/"))
	if err != nil {
		return objects.CopySource{}, awserr.New("InvalidArgument", "Invalid copy source encoding")
	}
	bucket, key, ok := strings.Cut(path, "/")
	if !ok || bucket == "" || key == "" {
		return objects.CopySource{}, awserr.New("InvalidArgument", "Invalid copy source object key")
	}
	src := objects.CopySource{Bucket: bucket, Key: key, Conditions: conditions(h, "x-amz-copy-source-")}
	if query != "" {
		q, err := url.ParseQuery(query)
		if err != nil {
			return objects.CopySource{}, awserr.New("InvalidArgument", "Invalid copy source")
		}
		src.VersionID = q.Get("versionId")
	}
	return src, nil
}

func (c *call) copyObject() error {
	src, err := copySource(c.r.Header)
	if err != nil {
		return err
	}
	tags, err := tagsFromHeader(c.r.Header.Get("X-Amz-Tagging"))
	if err != nil {
		return err
	}
	alg := ""
	if v := c.r.Header.Get("X-Amz-Checksum-Algorithm"); v != "" {
		a, ok := objects.ValidAlgorithm(v)
		if !ok {
			return awserr.New("InvalidRequest", "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
		}
		alg = a
	}
	out, err := c.h.svc.CopyObject(c.ctx, &objects.CopyInput{
		Account: c.account, Source: src, Bucket: c.bucket, Key: c.key,
		MetadataDirective: c.r.Header.Get("X-Amz-Metadata-Directive"), TaggingDirective: c.r.Header.Get("X-Amz-Tagging-Directive"),
		Headers: contentHeaders(c.r), Metadata: userMetadata(c.r), Tags: tags, StorageClass: storageClass(c.r), ChecksumAlgorithm: alg,
	})
	if err != nil {
		return err
	}
	o := out.Object
	c.versionHeader(o.VersionID)
	if out.SourceVersionID != "" {
		c.w.Header().Set("X-Amz-Copy-Source-Version-Id", out.SourceVersionID)
	}
	c.expirationHeader(o)
	res := copyObjectResult{Xmlns: xmlns, ETag: o.ETag, LastModified: xmlTime(o.LastModified), ChecksumType: o.Checksum.Type}
	setChecksumXML(&res.checksumsXML, o.Checksum)
	return c.writeXML(http.StatusOK, res)
}

func setChecksumXML(x *checksumsXML, cs objects.Checksum) {
	switch cs.Algorithm {
	case objects.CRC32:
		x.ChecksumCRC32 = cs.Value
	case objects.CRC32C:
		x.ChecksumCRC32C = cs.Value
	case objects.CRC64NVME:
		x.ChecksumCRC64NVME = cs.Value
	case objects.SHA1:
		x.ChecksumSHA1 = cs.Value
	case objects.SHA256:
		x.ChecksumSHA256 = cs.Value
	}
}

func checksumFromXML(x checksumsXML) string {
	for _, v := range []string{x.ChecksumCRC32, x.ChecksumCRC32C, x.ChecksumCRC64NVME, x.ChecksumSHA1, x.ChecksumSHA256} {
		if v != "" {
			return v
		}
	}
	return ""
}

func (c *call) putObjectTagging() error {
	var doc tagging
	if err := c.readXML(&doc); err != nil {
		return err
	}
	v, err := c.h.svc.PutObjectTagging(c.ctx, c.account, c.bucket, c.key, c.query.Get("versionId"), tagsFromXML(doc.TagSet))
	if err != nil {
		return err
	}
	c.versionHeader(v)
	return c.writeEmpty(http.StatusOK)
}

func (c *call) getObjectTagging() error {
	tags, v, err := c.h.svc.GetObjectTagging(c.ctx, c.account, c.bucket, c.key, c.query.Get("versionId"))
	if err != nil {
		return err
	}
	c.versionHeader(v)
	return c.writeXML(http.StatusOK, tagsToXML(tags))
}

func (c *call) deleteObjectTagging() error {
	v, err := c.h.svc.DeleteObjectTagging(c.ctx, c.account, c.bucket, c.key, c.query.Get("versionId"))
	if err != nil {
		return err
	}
	c.versionHeader(v)
	return c.writeEmpty(http.StatusNoContent)
}
