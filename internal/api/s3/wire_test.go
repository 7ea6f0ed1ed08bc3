package s3_test

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/ceap/ceap/internal/ceaptest"
)

func crc32b64(s string) string {
	v := crc32.ChecksumIEEE([]byte(s))
	return base64.StdEncoding.EncodeToString([]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// chunkedPut sends an aws-chunked body with a trailing CRC32, as SDKs stream unsigned payloads.
func chunkedPut(t *testing.T, url, payload, trailer string) *http.Response {
	t.Helper()
	var b strings.Builder
	for i := 0; i < len(payload); i += 7 {
		part := payload[i:min(i+7, len(payload))]
		fmt.Fprintf(&b, "%x\r\n%s\r\n", len(part), part)
	}
	fmt.Fprintf(&b, "0\r\nx-amz-checksum-crc32:%s\r\n\r\n", trailer)
	req, _ := http.NewRequest(http.MethodPut, url, strings.NewReader(b.String()))
	req.Header.Set("Content-Encoding", "aws-chunked")
	req.Header.Set("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
	req.Header.Set("x-amz-decoded-content-length", fmt.Sprint(len(payload)))
	req.Header.Set("x-amz-trailer", "x-amz-checksum-crc32")
	req.Header.Set("Content-Type", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("chunked PUT: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestAWSChunkedUploadWithTrailingChecksum(t *testing.T) {
	t.Parallel()
	c, srv := client(t)
	mustBucket(t, c, "chunked")
	payload := "the quick brown fox jumps over the lazy dog"
	resp := chunkedPut(t, srv.URL()+"/chunked/fox.txt", payload, crc32b64(payload))
	if resp.StatusCode != 200 || resp.Header.Get("x-amz-checksum-crc32") != crc32b64(payload) {
		t.Fatalf("chunked PUT = %d, checksum %q", resp.StatusCode, resp.Header.Get("x-amz-checksum-crc32"))
	}
	got, out := read(t, c, &s3.GetObjectInput{Bucket: aws.String("chunked"), Key: aws.String("fox.txt"), ChecksumMode: types.ChecksumModeEnabled})
	if got != payload || aws.ToString(out.ChecksumCRC32) != crc32b64(payload) || aws.ToString(out.ContentEncoding) != "" {
		t.Fatalf("GET = %q crc %q encoding %q", got, aws.ToString(out.ChecksumCRC32), aws.ToString(out.ContentEncoding))
	}
	if resp := chunkedPut(t, srv.URL()+"/chunked/bad.txt", payload, crc32b64("something else")); resp.StatusCode != 400 {
		t.Fatalf("wrong trailing checksum: status %d, want 400 BadDigest", resp.StatusCode)
	}
	if _, err := c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("chunked"), Key: aws.String("bad.txt")}); err == nil {
		t.Fatalf("an upload with a wrong checksum was stored")
	}
}

func TestOnPostgres(t *testing.T) {
	t.Parallel()
	c, _ := client(t, ceaptest.WithPostgres())
	ctx := context.Background()
	mustBucket(t, c, "pg-bucket")
	if _, err := c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String("pg-bucket"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("team"), Value: aws.String("ceap")}}}}); err != nil {
		t.Fatalf("PutBucketTagging: %v", err)
	}
	bt, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("pg-bucket")})
	if err != nil || len(bt.TagSet) != 1 || aws.ToString(bt.TagSet[0].Value) != "ceap" {
		t.Fatalf("GetBucketTagging = %+v, %v", bt, err)
	}
	for i := range 5 {
		put(t, c, "pg-bucket", fmt.Sprintf("executions/e%d/out.json", i), fmt.Sprint(i))
	}
	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("pg-bucket"), Prefix: aws.String("executions/"), Delimiter: aws.String("/"), MaxKeys: aws.Int32(3)})
	if err != nil || len(list.CommonPrefixes) != 3 || !aws.ToBool(list.IsTruncated) {
		t.Fatalf("ListObjectsV2 = %+v, %v", list, err)
	}
	next, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("pg-bucket"), Prefix: aws.String("executions/"), Delimiter: aws.String("/"), ContinuationToken: list.NextContinuationToken})
	if err != nil || len(next.CommonPrefixes) != 2 || aws.ToString(next.CommonPrefixes[0].Prefix) != "executions/e3/" {
		t.Fatalf("second page = %+v, %v", next, err)
	}
	if got, _ := read(t, c, &s3.GetObjectInput{Bucket: aws.String("pg-bucket"), Key: aws.String("executions/e4/out.json")}); got != "4" {
		t.Fatalf("GET = %q", got)
	}
	if _, err := c.DeleteBucketTagging(ctx, &s3.DeleteBucketTaggingInput{Bucket: aws.String("pg-bucket")}); err != nil {
		t.Fatalf("DeleteBucketTagging: %v", err)
	}
	if _, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("pg-bucket")}); apiCode(err) != "NoSuchTagSet" {
		t.Fatalf("GetBucketTagging after delete: %v", err)
	}
}

// TestListingDecodesAlikeInSDKAndEncodingXML lists keys full of XML's special characters with
// the SDK and decodes the same page with encoding/xml: both read the keys that were stored.
func TestListingDecodesAlikeInSDKAndEncodingXML(t *testing.T) {
	t.Parallel()
	c, srv := client(t)
	mustBucket(t, c, "odd")
	keys := []string{`odd/a"b'c`, "odd/amp&lt;not-an-entity", "odd/<tag>", "odd/tab\tand space ", "odd/日本語/キー", "odd/emoji🙂", "odd/]]>"}
	for _, k := range keys {
		put(t, c, "odd", k, k)
	}
	out, err := c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("odd"), Prefix: aws.String("odd/")})
	if err != nil {
		t.Fatalf("ListObjectsV2: %v", err)
	}
	var sdkKeys []string
	for _, o := range out.Contents {
		sdkKeys = append(sdkKeys, aws.ToString(o.Key))
		if aws.ToInt64(o.Size) != int64(len(aws.ToString(o.Key))) || aws.ToString(o.ETag) == "" || o.LastModified == nil {
			t.Fatalf("listed %+v", o)
		}
	}
	resp, err := http.Get(srv.URL() + "/odd?list-type=2&prefix=odd%2F")
	if err != nil {
		t.Fatalf("GET listing: %v", err)
	}
	defer resp.Body.Close()
	var doc struct {
		Contents []struct {
			Key  string
			Size int64
		}
	}
	if err := xml.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatalf("encoding/xml: %v", err)
	}
	var xmlKeys []string
	for _, o := range doc.Contents {
		xmlKeys = append(xmlKeys, o.Key)
	}
	want := slices.Sorted(slices.Values(keys))
	if !slices.Equal(sdkKeys, want) || !slices.Equal(xmlKeys, want) {
		t.Fatalf("keys\n  SDK          %q\n  encoding/xml %q\n  stored       %q", sdkKeys, xmlKeys, want)
	}
}
