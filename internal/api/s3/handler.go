// Package s3 is the S3 API: the rest-xml wire format of botocore's s3 model (2006-03-01). It
// routes a request by method, path (path-style or virtual-host-style addressing) and query
// sub-resource to an operation, decodes headers, query parameters and XML bodies (including
// aws-chunked streaming bodies with trailing checksums, whose chunk signatures it verifies when
// signatures are enforced), calls the objects service, and encodes its results and errors as S3
// does; the listing documents are written by hand (xmlwrite.go), the others by encoding/xml.
//
// This package holds no S3 state and no domain rules: buckets, objects and lifecycle belong to
// internal/objects. Bodies stream through; nothing here buffers an object.
package s3

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/metrics"
	"github.com/ceap/ceap/internal/objects"
	"github.com/ceap/ceap/internal/protocol"
)

// maxXMLBody bounds the XML documents S3 requests carry (DeleteObjects with 1,000 keys of 1,024
// bytes is the largest).
const maxXMLBody = 4 << 20

// Recorder receives request metrics (metrics.Recorder implements it).
type Recorder interface {
	Record(account, namespace, name string, dims []metrics.Dimension, value float64, unit string)
}

// Config configures the Handler.
type Config struct {
	// Objects is the S3 domain service (required).
	Objects *objects.Service
	// Region is the default region of new buckets.
	Region string
	// Metrics receives the AWS/S3 request metrics (optional).
	Metrics Recorder
	// Log receives failures that clients see as InternalError.
	Log *slog.Logger
}

// Handler serves the S3 API.
type Handler struct {
	cfg Config
	svc *objects.Service
	log *slog.Logger
	// bodies holds the buffers small object bodies are read into (see writeBody).
	bodies sync.Pool
	// docs holds the buffers hand-written XML documents are built in (see writeXML).
	docs sync.Pool
}

// New returns a Handler.
func New(cfg Config) *Handler {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	h := &Handler{cfg: cfg, svc: cfg.Objects, log: cfg.Log.With("component", "s3")}
	h.bodies.New = func() any { b := make([]byte, smallBody); return &b }
	h.docs.New = func() any { b := make([]byte, 0, 64<<10); return &b }
	return h
}

// call is one request being served.
type call struct {
	h       *Handler
	w       *responseWriter
	r       *http.Request
	req     *protocol.Request
	ctx     context.Context
	account string
	bucket  string
	key     string
	query   url.Values
	op      string
	bytesIn int64
}

// ServeAWS serves one S3 request.
func (h *Handler) ServeAWS(w http.ResponseWriter, req *protocol.Request) {
	req.Protocol = protocol.KindRestXML
	r := req.HTTP
	c := &call{h: h, w: &responseWriter{ResponseWriter: w}, r: r, req: req, ctx: protocol.WithRequest(r.Context(), req),
		account: req.Caller.Account, query: r.URL.Query()}
	hdr := c.w.Header()
	hdr["X-Amz-Request-Id"] = []string{req.RequestID}
	hdr["X-Amz-Id-2"] = []string{hostID(req.RequestID)}
	c.bucket, c.key = route(r)
	err := c.dispatch()
	if err != nil {
		c.writeError(err)
	}
	h.record(c)
}

// WriteError encodes an error in S3's XML shape (the server calls it for errors it answers
// before dispatch, such as signature failures).
func (h *Handler) WriteError(w http.ResponseWriter, req *protocol.Request, err error) {
	c := &call{h: h, w: &responseWriter{ResponseWriter: w}, r: req.HTTP, req: req}
	if req.HTTP != nil {
		c.bucket, c.key = route(req.HTTP)
	}
	c.w.Header().Set("X-Amz-Request-Id", req.RequestID)
	c.writeError(err)
}

func hostID(requestID string) string {
	sum := sha256.Sum256([]byte(requestID))
	return hex.EncodeToString(sum[:16])
}

// virtualHostSuffixes are the host names under which a first label names a bucket.
var virtualHostSuffixes = []string{".localhost", ".s3.amazonaws.com", ".localhost.localstack.cloud", ".s3.localhost"}

// route returns the bucket and key of a request, from the Host (virtual-host style) or the path.
func route(r *http.Request) (bucket, key string) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(host)
	path := r.URL.EscapedPath()
	if b := virtualBucket(host); b != "" {
		return b, unescape(strings.TrimPrefix(path, "/"))
	}
	path = strings.TrimPrefix(path, "/")
	if path == "" {
		return "", ""
	}
	b, k, _ := strings.Cut(path, "/")
	return unescape(b), unescape(k)
}

func virtualBucket(host string) string {
	if net.ParseIP(host) != nil {
		return ""
	}
	for _, sfx := range virtualHostSuffixes {
		if strings.HasSuffix(host, sfx) && len(host) > len(sfx) {
			return host[:len(host)-len(sfx)]
		}
	}
	// s3.<region>.amazonaws.com and s3-<region>.amazonaws.com
	if i := strings.Index(host, ".s3."); i > 0 && strings.HasSuffix(host, ".amazonaws.com") {
		return host[:i]
	}
	if i := strings.Index(host, ".s3-"); i > 0 && strings.HasSuffix(host, ".amazonaws.com") {
		return host[:i]
	}
	return ""
}

func unescape(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

// unsupportedSubresources are S3 sub-resources that ceap does not implement; requests for them
// answer NotImplemented instead of being mistaken for plain bucket or object operations.
var unsupportedSubresources = []string{
	"accelerate", "acl", "analytics", "attributes", "cors", "encryption", "intelligent-tiering",
	"inventory", "legal-hold", "logging", "metadataTable", "metrics", "notification", "object-lock",
	"ownershipControls", "policy", "policyStatus", "publicAccessBlock", "replication",
	"requestPayment", "restore", "retention", "select", "session", "torrent", "website", "renameObject",
}

func (c *call) has(name string) bool {
	_, ok := c.query[name]
	return ok
}

func notImplemented(what string) error {
	return awserr.WithStatus(501, "NotImplemented", "A header or query you provided requested a function that is not implemented: %s.", what)
}

// dispatch picks the operation.
func (c *call) dispatch() error {
	for _, sub := range unsupportedSubresources {
		if c.has(sub) {
			c.op = "Unsupported"
			return notImplemented("?" + sub)
		}
	}
	m := c.r.Method
	switch {
	case c.bucket == "":
		if m == http.MethodGet {
			return c.run("ListBuckets", c.listBuckets)
		}
		return awserr.WithStatus(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
	case c.key == "":
		return c.bucketOp(m)
	default:
		return c.objectOp(m)
	}
}

func (c *call) run(op string, fn func() error) error {
	c.op = op
	return fn()
}

func (c *call) bucketOp(m string) error {
	switch m {
	case http.MethodPut:
		switch {
		case c.has("versioning"):
			return c.run("PutBucketVersioning", c.putVersioning)
		case c.has("tagging"):
			return c.run("PutBucketTagging", c.putBucketTagging)
		case c.has("lifecycle"):
			return c.run("PutBucketLifecycleConfiguration", c.putLifecycle)
		}
		return c.run("CreateBucket", c.createBucket)
	case http.MethodGet:
		switch {
		case c.has("location"):
			return c.run("GetBucketLocation", c.getLocation)
		case c.has("versioning"):
			return c.run("GetBucketVersioning", c.getVersioning)
		case c.has("tagging"):
			return c.run("GetBucketTagging", c.getBucketTagging)
		case c.has("lifecycle"):
			return c.run("GetBucketLifecycleConfiguration", c.getLifecycle)
		case c.has("versions"):
			return c.run("ListObjectVersions", c.listVersions)
		case c.has("uploads"):
			return c.run("ListMultipartUploads", c.listUploads)
		case c.query.Get("list-type") == "2":
			return c.run("ListObjectsV2", c.listObjectsV2)
		}
		return c.run("ListObjects", c.listObjectsV1)
	case http.MethodHead:
		return c.run("HeadBucket", c.headBucket)
	case http.MethodDelete:
		switch {
		case c.has("tagging"):
			return c.run("DeleteBucketTagging", c.deleteBucketTagging)
		case c.has("lifecycle"):
			return c.run("DeleteBucketLifecycle", c.deleteLifecycle)
		}
		return c.run("DeleteBucket", c.deleteBucket)
	case http.MethodPost:
		if c.has("delete") {
			return c.run("DeleteObjects", c.deleteObjects)
		}
		return notImplemented("POST on a bucket")
	}
	return awserr.WithStatus(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
}

func (c *call) objectOp(m string) error {
	switch m {
	case http.MethodPut:
		switch {
		case c.has("tagging"):
			return c.run("PutObjectTagging", c.putObjectTagging)
		case c.has("uploadId") && c.r.Header.Get("X-Amz-Copy-Source") != "":
			return c.run("UploadPartCopy", c.uploadPartCopy)
		case c.has("uploadId"):
			return c.run("UploadPart", c.uploadPart)
		case c.r.Header.Get("X-Amz-Copy-Source") != "":
			return c.run("CopyObject", c.copyObject)
		}
		return c.run("PutObject", c.putObject)
	case http.MethodGet:
		switch {
		case c.has("tagging"):
			return c.run("GetObjectTagging", c.getObjectTagging)
		case c.has("uploadId"):
			return c.run("ListParts", c.listParts)
		}
		return c.run("GetObject", func() error { return c.getObject(false) })
	case http.MethodHead:
		return c.run("HeadObject", func() error { return c.getObject(true) })
	case http.MethodDelete:
		switch {
		case c.has("tagging"):
			return c.run("DeleteObjectTagging", c.deleteObjectTagging)
		case c.has("uploadId"):
			return c.run("AbortMultipartUpload", c.abortUpload)
		}
		return c.run("DeleteObject", c.deleteObject)
	case http.MethodPost:
		switch {
		case c.has("uploads"):
			return c.run("CreateMultipartUpload", c.createUpload)
		case c.has("uploadId"):
			return c.run("CompleteMultipartUpload", c.completeUpload)
		}
		return notImplemented("POST on an object")
	}
	return awserr.WithStatus(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
}

// maxPooledDoc bounds the document buffers kept for reuse (a page of 1,000 long keys).
const maxPooledDoc = 4 << 20

// writeXML sends a response with an XML document.
func (c *call) writeXML(status int, v any) error {
	if a, ok := v.(appender); ok {
		bufp := c.h.docs.Get().(*[]byte)
		doc := a.appendXML(append((*bufp)[:0], xml.Header...))
		h := c.w.Header()
		h["Content-Type"] = []string{"application/xml"}
		h["Content-Length"] = []string{strconv.Itoa(len(doc))}
		c.w.WriteHeader(status)
		c.w.Write(doc)
		if cap(doc) <= maxPooledDoc {
			*bufp = doc
			c.h.docs.Put(bufp)
		}
		return nil
	}
	body, err := xml.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s response: %w", c.op, err)
	}
	h := c.w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(xml.Header)+len(body)))
	c.w.WriteHeader(status)
	io.WriteString(c.w, xml.Header)
	c.w.Write(body)
	return nil
}

// writeEmpty sends a response without a body.
func (c *call) writeEmpty(status int) error {
	c.w.Header().Set("Content-Length", "0")
	c.w.WriteHeader(status)
	return nil
}

// readXML decodes a request's XML body into v; an empty or malformed body is MalformedXML.
func (c *call) readXML(v any) error {
	body, err := io.ReadAll(io.LimitReader(c.body(), maxXMLBody+1))
	if err != nil {
		return chunkedError(err)
	}
	if len(body) > maxXMLBody {
		return awserr.New("MaxMessageLengthExceeded", "Your request was too big.")
	}
	c.bytesIn += int64(len(body))
	if len(body) == 0 {
		return errMalformedXML()
	}
	if err := xml.Unmarshal(body, v); err != nil {
		return errMalformedXML()
	}
	return nil
}

func errMalformedXML() error {
	return awserr.New("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
}

// body returns the request body, decoding aws-chunked when the request streams.
func (c *call) body() io.Reader {
	if c.isChunked() {
		return errorMapping{newChunkedReader(c.r.Body, c.req.Caller.Chunks)}
	}
	return c.r.Body
}

func (c *call) isChunked() bool {
	sha := c.r.Header.Get("X-Amz-Content-Sha256")
	if strings.HasPrefix(sha, "STREAMING-") {
		return true
	}
	for _, enc := range strings.Split(c.r.Header.Get("Content-Encoding"), ",") {
		if strings.TrimSpace(enc) == "aws-chunked" {
			return true
		}
	}
	return false
}

// writeError encodes err as S3 does: an XML Error document (no body for HEAD and 304).
func (c *call) writeError(err error) {
	var dm *objects.DeleteMarkerError
	if errors.As(err, &dm) {
		c.w.Header().Set("X-Amz-Delete-Marker", "true")
		if dm.VersionID != "" {
			c.w.Header().Set("X-Amz-Version-Id", dm.VersionID)
		}
		if dm.Err.Status == 405 {
			c.w.Header().Set("Allow", "DELETE")
		}
	}
	ae, ok := awserr.As(err)
	if !ok {
		c.h.log.Error("request_failed", "request_id", c.req.RequestID, "operation", c.op, "err", err)
		ae = &awserr.Error{Code: "InternalError", Message: "We encountered an internal error. Please try again.", Status: 500, Fault: awserr.Receiver}
	}
	if ae.Code == "InternalFailure" {
		ae = &awserr.Error{Code: "InternalError", Message: "We encountered an internal error. Please try again.", Status: 500, Fault: awserr.Receiver}
	}
	status := ae.HTTPStatus()
	if c.w.wrote {
		return // the body already started; the client sees a short read
	}
	if status == http.StatusNotModified || (c.r != nil && c.r.Method == http.MethodHead) {
		c.w.WriteHeader(status)
		return
	}
	doc := errorXML{Code: ae.Code, Message: ae.Message, RequestID: c.req.RequestID, HostID: hostID(c.req.RequestID)}
	for _, name := range slices.Sorted(maps.Keys(ae.Fields)) {
		doc.Fields = append(doc.Fields, field{XMLName: xml.Name{Local: name}, Value: ae.Fields[name]})
	}
	if c.bucket != "" {
		doc.Resource = "/" + c.bucket
		if c.key != "" {
			doc.Resource += "/" + c.key
		}
	}
	body, _ := xml.Marshal(doc) // plain strings always encode
	h := c.w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(xml.Header)+len(body)))
	c.w.WriteHeader(status)
	io.WriteString(c.w, xml.Header)
	c.w.Write(body)
}

// responseWriter remembers the status and counts the body bytes.
type responseWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
}

func (w *responseWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.wrote = true
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// ReadFrom lets io.Copy hand a body to the connection efficiently.
func (w *responseWriter) ReadFrom(r io.Reader) (int64, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.wrote = true
	n, err := io.Copy(w.ResponseWriter, r)
	w.bytes += n
	return n, err
}

// record sends the AWS/S3 request metrics of a bucket request.
func (h *Handler) record(c *call) {
	if h.cfg.Metrics == nil || c.bucket == "" {
		return
	}
	dims := []metrics.Dimension{{Name: "BucketName", Value: c.bucket}, {Name: "FilterId", Value: "EntireBucket"}}
	rec := func(name string, v float64, unit string) {
		h.cfg.Metrics.Record(c.account, "AWS/S3", name, dims, v, unit)
	}
	rec("AllRequests", 1, metrics.Count)
	switch c.op {
	case "GetObject":
		rec("GetRequests", 1, metrics.Count)
	case "PutObject", "UploadPart", "CopyObject", "UploadPartCopy":
		rec("PutRequests", 1, metrics.Count)
	case "HeadObject", "HeadBucket":
		rec("HeadRequests", 1, metrics.Count)
	case "DeleteObject", "DeleteObjects":
		rec("DeleteRequests", 1, metrics.Count)
	case "ListObjects", "ListObjectsV2", "ListObjectVersions":
		rec("ListRequests", 1, metrics.Count)
	}
	switch s := c.w.status; {
	case s >= 500:
		rec("5xxErrors", 1, metrics.Count)
	case s >= 400:
		rec("4xxErrors", 1, metrics.Count)
	}
	if c.op == "GetObject" && c.w.status < 300 && c.w.bytes > 0 {
		rec("BytesDownloaded", float64(c.w.bytes), metrics.Bytes)
	}
	if c.bytesIn > 0 {
		rec("BytesUploaded", float64(c.bytesIn), metrics.Bytes)
	}
}

// httpTime formats a header time as S3 does.
func httpTime(t time.Time) string { return t.UTC().Format(http.TimeFormat) }
