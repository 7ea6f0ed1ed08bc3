package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// emptySHA256 is the hex SHA-256 of an empty body, which the SDK sends on GET.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// rawClient speaks S3's rest-xml protocol with net/http and the SDK's SigV4 signer alone, without
// the SDK's middleware stack, so that on a shared machine the load generator spends its CPU on
// requests rather than on the client library. Requests carry what the SDK sends over plain HTTP:
// path-style addressing and a signed payload hash.
type rawClient struct {
	endpoint string
	http     *http.Client
	signer   *v4.Signer
	creds    aws.Credentials
}

func newRawClient(endpoint string, transport *http.Transport) *rawClient {
	return &rawClient{
		endpoint: strings.TrimSuffix(endpoint, "/"),
		http:     &http.Client{Transport: transport},
		signer:   v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }), // S3 signs the path as sent
		creds:    aws.Credentials{AccessKeyID: benchKey, SecretAccessKey: benchSecret},
	}
}

// do signs and sends one request; payloadHash is the body's hex SHA-256. A non-2xx answer is an
// error carrying the response body.
func (c *rawClient) do(ctx context.Context, method, path string, query url.Values, body io.Reader, size int64, payloadHash string) (*http.Response, error) {
	return c.doHeader(ctx, method, path, query, nil, body, size, payloadHash)
}

// doHeader is do with extra request headers.
func (c *rawClient) doHeader(ctx context.Context, method, path string, query url.Values, header http.Header, body io.Reader, size int64, payloadHash string) (*http.Response, error) {
	u := c.endpoint + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.ContentLength = size
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	if err := c.signer.SignHTTP(ctx, c.creds, req, payloadHash, "s3", "us-east-1", time.Now()); err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		return nil, fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, b)
	}
	return resp, nil
}

func objectPath(bucket, key string) string {
	return "/" + bucket + "/" + strings.ReplaceAll(url.PathEscape(key), "%2F", "/")
}

func (c *rawClient) createBucket(ctx context.Context, bucket string) error {
	resp, err := c.do(ctx, http.MethodPut, "/"+bucket, nil, nil, 0, emptySHA256)
	if err != nil {
		return err
	}
	return drain(resp)
}

// put stores body, whose hex SHA-256 is sum.
func (c *rawClient) put(ctx context.Context, bucket, key string, body []byte, sum string) error {
	resp, err := c.do(ctx, http.MethodPut, objectPath(bucket, key), nil, bytes.NewReader(body), int64(len(body)), sum)
	if err != nil {
		return err
	}
	return drain(resp)
}

func (c *rawClient) get(ctx context.Context, bucket, key string) (io.ReadCloser, error) {
	resp, err := c.do(ctx, http.MethodGet, objectPath(bucket, key), nil, nil, 0, emptySHA256)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// getRange reads bytes [start, end] of an object.
func (c *rawClient) getRange(ctx context.Context, bucket, key string, start, end int64) (io.ReadCloser, error) {
	h := http.Header{"Range": {fmt.Sprintf("bytes=%d-%d", start, end)}}
	resp, err := c.doHeader(ctx, http.MethodGet, objectPath(bucket, key), nil, h, nil, 0, emptySHA256)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// listPage reads one ListObjectsV2 page and returns its key count and next continuation token.
// It scans the document for the two things it needs instead of decoding it: the point is the
// server's cost.
func (c *rawClient) listPage(ctx context.Context, bucket, prefix, token string, maxKeys int) (int, string, error) {
	q := url.Values{"list-type": {"2"}, "prefix": {prefix}, "max-keys": {strconv.Itoa(maxKeys)}}
	if token != "" {
		q.Set("continuation-token", token)
	}
	resp, err := c.do(ctx, http.MethodGet, "/"+bucket, q, nil, 0, emptySHA256)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	doc, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", err
	}
	next := ""
	if _, rest, ok := bytes.Cut(doc, []byte("<NextContinuationToken>")); ok {
		tok, _, _ := bytes.Cut(rest, []byte("</NextContinuationToken>"))
		next = string(tok)
	}
	return bytes.Count(doc, []byte("<Key>")), next, nil
}

// uploadLarge stores size bytes of the pattern as a multipart upload of partSize parts sent by
// conc workers, each part's SHA-256 computed before it is sent (as the SDK does over HTTP).
func (c *rawClient) uploadLarge(ctx context.Context, bucket, key string, size, partSize int64, conc int) error {
	path := objectPath(bucket, key)
	resp, err := c.do(ctx, http.MethodPost, path, url.Values{"uploads": {""}}, nil, 0, emptySHA256)
	if err != nil {
		return err
	}
	var created struct {
		UploadID string `xml:"UploadId"`
	}
	err = xml.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("create upload: %w", err)
	}
	parts := int((size + partSize - 1) / partSize)
	etags := make([]string, parts)
	errs := make([]error, parts)
	var wg sync.WaitGroup
	work := make(chan int)
	for range conc {
		wg.Go(func() {
			for i := range work {
				off := int64(i) * partSize
				n := min(partSize, size-off)
				h := sha256.New()
				io.Copy(h, &pattern{off: off, n: off + n})
				q := url.Values{"uploadId": {created.UploadID}, "partNumber": {strconv.Itoa(i + 1)}}
				resp, err := c.do(ctx, http.MethodPut, path, q, &pattern{off: off, n: off + n}, n, hex.EncodeToString(h.Sum(nil)))
				if err != nil {
					errs[i] = err
					continue
				}
				etags[i] = resp.Header.Get("ETag")
				errs[i] = drain(resp)
			}
		})
	}
	for i := range parts {
		work <- i
	}
	close(work)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	var doc bytes.Buffer
	doc.WriteString("<CompleteMultipartUpload>")
	for i, e := range etags {
		fmt.Fprintf(&doc, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", i+1, e)
	}
	doc.WriteString("</CompleteMultipartUpload>")
	sum := sha256.Sum256(doc.Bytes())
	resp, err = c.do(ctx, http.MethodPost, path, url.Values{"uploadId": {created.UploadID}}, bytes.NewReader(doc.Bytes()), int64(doc.Len()), hex.EncodeToString(sum[:]))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if bytes.Contains(answer, []byte("<Error>")) { // S3 may fail a Complete inside a 200
		return fmt.Errorf("complete upload: %s", answer)
	}
	return nil
}

func drain(resp *http.Response) error {
	_, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return err
}
