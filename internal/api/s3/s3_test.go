package s3_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/ceap/ceap/internal/ceaptest"
	"github.com/ceap/ceap/internal/clock"
)

func client(t *testing.T, opts ...ceaptest.Option) (*s3.Client, *ceaptest.Server) {
	return clientTB(t, opts...)
}

func clientTB(t testing.TB, opts ...ceaptest.Option) (*s3.Client, *ceaptest.Server) {
	t.Helper()
	srv := ceaptest.StartServer(t, opts...)
	return s3.NewFromConfig(srv.AWS, func(o *s3.Options) { o.UsePathStyle = true }), srv
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func mustBucket(t *testing.T, c *s3.Client, name string) {
	t.Helper()
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("CreateBucket(%s): %v", name, err)
	}
}

func put(t *testing.T, c *s3.Client, bucket, key, body string) *s3.PutObjectOutput {
	t.Helper()
	out, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)})
	if err != nil {
		t.Fatalf("PutObject(%s): %v", key, err)
	}
	return out
}

func read(t *testing.T, c *s3.Client, in *s3.GetObjectInput) (string, *s3.GetObjectOutput) {
	t.Helper()
	out, err := c.GetObject(context.Background(), in)
	if err != nil {
		t.Fatalf("GetObject(%s): %v", aws.ToString(in.Key), err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return string(b), out
}

func TestBuckets(t *testing.T) {
	t.Parallel()
	c, _ := client(t)
	ctx := context.Background()
	mustBucket(t, c, "workflow-bucket")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("workflow-bucket")}); apiCode(err) != "BucketAlreadyOwnedByYou" {
		t.Fatalf("second CreateBucket: %v", err)
	}
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("Bad_Name")}); apiCode(err) != "InvalidBucketName" {
		t.Fatalf("bad name: %v", err)
	}
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("workflow-bucket")}); err != nil {
		t.Fatalf("HeadBucket: %v", err)
	}
	_, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("missing-bucket")})
	var nf *types.NotFound
	if !errors.As(err, &nf) {
		t.Fatalf("HeadBucket missing: %v, want NotFound", err)
	}
	list, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil || len(list.Buckets) != 1 || aws.ToString(list.Buckets[0].Name) != "workflow-bucket" {
		t.Fatalf("ListBuckets = %+v, %v", list, err)
	}
	mustBucket(t, c, "workflow-bucket-2")
	var names []string
	for p := s3.NewListBucketsPaginator(c, &s3.ListBucketsInput{MaxBuckets: aws.Int32(1), Prefix: aws.String("workflow-")}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListBuckets page: %v", err)
		}
		for _, b := range page.Buckets {
			names = append(names, aws.ToString(b.Name))
		}
	}
	if strings.Join(names, ",") != "workflow-bucket,workflow-bucket-2" {
		t.Fatalf("paged ListBuckets = %v", names)
	}
	loc, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("workflow-bucket")})
	if err != nil || loc.LocationConstraint != "" {
		t.Fatalf("GetBucketLocation = %+v, %v", loc, err)
	}
	if _, err := c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("workflow-bucket")}); apiCode(err) != "NotImplemented" {
		t.Fatalf("GetBucketAcl: %v, want NotImplemented", err)
	}
	put(t, c, "workflow-bucket", "k", "v")
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("workflow-bucket")}); apiCode(err) != "BucketNotEmpty" {
		t.Fatalf("DeleteBucket non-empty: %v", err)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("workflow-bucket"), Key: aws.String("k")}); err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("workflow-bucket")}); err != nil {
		t.Fatalf("DeleteBucket: %v", err)
	}
	if _, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("workflow-bucket")}); apiCode(err) != "NoSuchBucket" {
		t.Fatalf("list deleted bucket: %v", err)
	}
}

func TestObjectsRoundTrip(t *testing.T) {
	t.Parallel()
	c, _ := client(t)
	ctx := context.Background()
	mustBucket(t, c, "data")
	body := `{"executionId":"e1","stage":"ETLStage"}`
	for _, alg := range []types.ChecksumAlgorithm{"", types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c, types.ChecksumAlgorithmCrc64nvme, types.ChecksumAlgorithmSha1, types.ChecksumAlgorithmSha256} {
		key := "executions/e1/ETLStage/output-" + string(alg) + ".json"
		out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("data"), Key: aws.String(key), Body: strings.NewReader(body),
			ContentType: aws.String("application/json"), Metadata: map[string]string{"Stage": "ETL"}, ChecksumAlgorithm: alg,
			CacheControl: aws.String("no-cache")})
		if err != nil {
			t.Fatalf("PutObject %s: %v", alg, err)
		}
		if sum := md5.Sum([]byte(body)); aws.ToString(out.ETag) != `"`+hex.EncodeToString(sum[:])+`"` {
			t.Fatalf("ETag = %s, want the body's MD5", aws.ToString(out.ETag))
		}
		got, gout := read(t, c, &s3.GetObjectInput{Bucket: aws.String("data"), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
		if got != body || aws.ToString(gout.ContentType) != "application/json" || gout.Metadata["stage"] != "ETL" || aws.ToString(gout.CacheControl) != "no-cache" {
			t.Fatalf("GetObject %s = %q %+v", alg, got, gout.Metadata)
		}
		if aws.ToString(gout.ETag) != aws.ToString(out.ETag) {
			t.Fatalf("GET ETag %s != PUT ETag %s", aws.ToString(gout.ETag), aws.ToString(out.ETag))
		}
	}
	key := "executions/e1/ETLStage/output-.json"
	part, pout := read(t, c, &s3.GetObjectInput{Bucket: aws.String("data"), Key: aws.String(key), Range: aws.String("bytes=2-12")})
	if part != body[2:13] || aws.ToString(pout.ContentRange) != fmt.Sprintf("bytes 2-12/%d", len(body)) {
		t.Fatalf("range = %q (%s)", part, aws.ToString(pout.ContentRange))
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("data"), Key: aws.String(key)})
	if err != nil || aws.ToInt64(head.ContentLength) != int64(len(body)) {
		t.Fatalf("HeadObject = %+v, %v", head, err)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("data"), Key: aws.String(key), IfNoneMatch: head.ETag})
	if !asStatus(err, http.StatusNotModified) {
		t.Fatalf("If-None-Match: %v, want 304", err)
	}
	if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("data"), Key: aws.String("nope")}); apiCode(err) != "NoSuchKey" {
		t.Fatalf("missing key: %v", err)
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("data"), Key: aws.String("bad"), Body: strings.NewReader("x"), ChecksumCRC32: aws.String("AAAAAA==")})
	if apiCode(err) != "BadDigest" {
		t.Fatalf("wrong checksum: %v, want BadDigest", err)
	}
	for _, odd := range []string{"../../escape", "/abs/path", "spaces and ünïcödé + % ?.txt", strings.Repeat("x", 1024)} {
		put(t, c, "data", odd, odd)
		if got, _ := read(t, c, &s3.GetObjectInput{Bucket: aws.String("data"), Key: aws.String(odd)}); got != odd {
			t.Fatalf("odd key %q read back %q", odd, got)
		}
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("data"), Key: aws.String(strings.Repeat("x", 1025)), Body: strings.NewReader("")}); apiCode(err) != "KeyTooLongError" {
		t.Fatalf("1025-byte key: %v", err)
	}
}

func asStatus(err error, status int) bool {
	var re interface{ HTTPStatusCode() int }
	return errors.As(err, &re) && re.HTTPStatusCode() == status
}

func TestListingCopyDeleteTagging(t *testing.T) {
	t.Parallel()
	c, _ := client(t)
	ctx := context.Background()
	mustBucket(t, c, "data")
	mustBucket(t, c, "archive")
	keys := []string{"executions/a/ETLStage/output.json", "executions/a/FilterStage/output.json", "executions/b/ETLStage/output.json", "top.txt"}
	for _, k := range keys {
		put(t, c, "data", k, k)
	}
	var got []string
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("data"), MaxKeys: aws.Int32(1)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListObjectsV2: %v", err)
		}
		for _, o := range page.Contents {
			got = append(got, aws.ToString(o.Key))
		}
	}
	if strings.Join(got, ",") != strings.Join(keys, ",") {
		t.Fatalf("paged list = %v", got)
	}
	d, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("data"), Prefix: aws.String("executions/"), Delimiter: aws.String("/")})
	if err != nil || len(d.CommonPrefixes) != 2 || aws.ToString(d.CommonPrefixes[1].Prefix) != "executions/b/" || len(d.Contents) != 0 {
		t.Fatalf("delimited list = %+v, %v", d, err)
	}
	v1, err := c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String("data"), Marker: aws.String("executions/b/ETLStage/output.json")})
	if err != nil || len(v1.Contents) != 1 || aws.ToString(v1.Contents[0].Key) != "top.txt" {
		t.Fatalf("ListObjects v1 = %+v, %v", v1, err)
	}
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("archive"), Key: aws.String(keys[0]), CopySource: aws.String("data/" + keys[0]),
		MetadataDirective: types.MetadataDirectiveReplace, Metadata: map[string]string{"archived": "yes"}, ContentType: aws.String("application/json")})
	if err != nil {
		t.Fatalf("CopyObject: %v", err)
	}
	body, out := read(t, c, &s3.GetObjectInput{Bucket: aws.String("archive"), Key: aws.String(keys[0])})
	if body != keys[0] || out.Metadata["archived"] != "yes" || aws.ToString(out.ContentType) != "application/json" {
		t.Fatalf("copied object = %q %+v", body, out.Metadata)
	}
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("data"), Key: aws.String("top.txt"), CopySource: aws.String("data/top.txt")}); apiCode(err) != "InvalidRequest" {
		t.Fatalf("copy onto itself: %v", err)
	}
	_, err = c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String("archive"), Key: aws.String(keys[0]),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("Retention"), Value: aws.String("LongTerm")}}}})
	if err != nil {
		t.Fatalf("PutObjectTagging: %v", err)
	}
	tags, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String("archive"), Key: aws.String(keys[0])})
	if err != nil || len(tags.TagSet) != 1 || aws.ToString(tags.TagSet[0].Value) != "LongTerm" {
		t.Fatalf("GetObjectTagging = %+v, %v", tags, err)
	}
	del, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("data"), Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String(keys[0])}, {Key: aws.String(keys[1])}, {Key: aws.String("never-existed")}}}})
	if err != nil || len(del.Deleted) != 3 || len(del.Errors) != 0 {
		t.Fatalf("DeleteObjects = %+v, %v", del, err)
	}
	left, _ := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("data")})
	if aws.ToInt32(left.KeyCount) != 2 {
		t.Fatalf("%d keys left, want 2", aws.ToInt32(left.KeyCount))
	}
}

func TestMultipartWithUploadManager(t *testing.T) {
	t.Parallel()
	c, _ := client(t)
	ctx := context.Background()
	mustBucket(t, c, "big")
	payload := bytes.Repeat([]byte("0123456789abcdef"), (12<<20)/16+3)
	up := manager.NewUploader(c, func(u *manager.Uploader) { u.PartSize = 5 << 20; u.Concurrency = 3 })
	res, err := up.Upload(ctx, &s3.PutObjectInput{Bucket: aws.String("big"), Key: aws.String("blob.bin"), Body: bytes.NewReader(payload)})
	if err != nil {
		t.Fatalf("Upload: %v", err)
	}
	if !strings.HasSuffix(aws.ToString(res.ETag), `-3"`) {
		t.Fatalf("multipart ETag = %s", aws.ToString(res.ETag))
	}
	dl := manager.NewDownloader(c, func(d *manager.Downloader) { d.PartSize = 4 << 20 })
	buf := manager.NewWriteAtBuffer(nil)
	n, err := dl.Download(ctx, buf, &s3.GetObjectInput{Bucket: aws.String("big"), Key: aws.String("blob.bin")})
	if err != nil || n != int64(len(payload)) || !bytes.Equal(buf.Bytes(), payload) {
		t.Fatalf("Download = %d bytes, %v; equal %v", n, err, bytes.Equal(buf.Bytes(), payload))
	}
	cr, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("big"), Key: aws.String("copy.bin")})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	pc, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String("big"), Key: aws.String("copy.bin"), UploadId: cr.UploadId, PartNumber: aws.Int32(1),
		CopySource: aws.String("big/blob.bin"), CopySourceRange: aws.String("bytes=0-99")})
	if err != nil {
		t.Fatalf("UploadPartCopy: %v", err)
	}
	parts, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("big"), Key: aws.String("copy.bin"), UploadId: cr.UploadId})
	if err != nil || len(parts.Parts) != 1 || aws.ToInt64(parts.Parts[0].Size) != 100 {
		t.Fatalf("ListParts = %+v, %v", parts, err)
	}
	ups, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("big")})
	if err != nil || len(ups.Uploads) != 1 {
		t.Fatalf("ListMultipartUploads = %+v, %v", ups, err)
	}
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("big"), Key: aws.String("copy.bin"), UploadId: cr.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: pc.CopyPartResult.ETag}}}})
	if err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	got, _ := read(t, c, &s3.GetObjectInput{Bucket: aws.String("big"), Key: aws.String("copy.bin")})
	if got != string(payload[:100]) {
		t.Fatalf("copied part = %q", got)
	}
	cr2, _ := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("big"), Key: aws.String("aborted")})
	if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String("big"), Key: aws.String("aborted"), UploadId: cr2.UploadId}); err != nil {
		t.Fatalf("AbortMultipartUpload: %v", err)
	}
	if _, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("big"), Key: aws.String("aborted"), UploadId: cr2.UploadId}); apiCode(err) != "NoSuchUpload" {
		t.Fatalf("ListParts after abort: %v", err)
	}
}

func TestVersioning(t *testing.T) {
	t.Parallel()
	c, _ := client(t)
	ctx := context.Background()
	mustBucket(t, c, "ver")
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("ver"), VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatalf("PutBucketVersioning: %v", err)
	}
	v1 := put(t, c, "ver", "k", "one")
	v2 := put(t, c, "ver", "k", "two")
	if aws.ToString(v1.VersionId) == "" || aws.ToString(v1.VersionId) == aws.ToString(v2.VersionId) {
		t.Fatalf("version ids %q %q", aws.ToString(v1.VersionId), aws.ToString(v2.VersionId))
	}
	del, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("ver"), Key: aws.String("k")})
	if err != nil || !aws.ToBool(del.DeleteMarker) {
		t.Fatalf("DeleteObject = %+v, %v", del, err)
	}
	if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("ver"), Key: aws.String("k")}); apiCode(err) != "NoSuchKey" {
		t.Fatalf("GET after delete: %v", err)
	}
	if got, _ := read(t, c, &s3.GetObjectInput{Bucket: aws.String("ver"), Key: aws.String("k"), VersionId: v1.VersionId}); got != "one" {
		t.Fatalf("version 1 = %q", got)
	}
	vs, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("ver")})
	if err != nil || len(vs.Versions) != 2 || len(vs.DeleteMarkers) != 1 || !aws.ToBool(vs.DeleteMarkers[0].IsLatest) {
		t.Fatalf("ListObjectVersions = %+v, %v", vs, err)
	}
	got, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String("ver")})
	if err != nil || got.Status != types.BucketVersioningStatusEnabled {
		t.Fatalf("GetBucketVersioning = %+v, %v", got, err)
	}
}

func TestLifecycleThroughTheAPI(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(time.Now().UTC())
	c, _ := client(t, ceaptest.WithClock(clk))
	ctx := context.Background()
	mustBucket(t, c, "ceap-workflow-dev-123456789")
	b := aws.String("ceap-workflow-dev-123456789")
	put(t, c, *b, "executions/e1/ETLStage/output.json", "{}")
	put(t, c, *b, "keep/me.json", "{}")
	rule := func(days int32) *types.BucketLifecycleConfiguration {
		return &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{{ID: aws.String("DeleteOldExecutions"), Status: types.ExpirationStatusEnabled,
			Filter: &types.LifecycleRuleFilter{Prefix: aws.String("executions/")}, Expiration: &types.LifecycleExpiration{Days: aws.Int32(days)}}}}
	}
	if _, err := c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: b, LifecycleConfiguration: rule(7)}); err != nil {
		t.Fatalf("PutBucketLifecycleConfiguration: %v", err)
	}
	got, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: b})
	if err != nil || len(got.Rules) != 1 || aws.ToInt32(got.Rules[0].Expiration.Days) != 7 || aws.ToString(got.Rules[0].Filter.Prefix) != "executions/" {
		t.Fatalf("GetBucketLifecycleConfiguration = %+v, %v", got, err)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("executions/e1/ETLStage/output.json")})
	if err != nil || !strings.Contains(aws.ToString(head.Expiration), `rule-id="DeleteOldExecutions"`) {
		t.Fatalf("x-amz-expiration = %q, %v", aws.ToString(head.Expiration), err)
	}
	bad := rule(0)
	if _, err := c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: b, LifecycleConfiguration: bad}); apiCode(err) != "InvalidArgument" {
		t.Fatalf("Days 0: %v", err)
	}
	clk.Advance(8 * 24 * time.Hour) // fires the sweeper
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("executions/e1/ETLStage/output.json")})
		if asStatus(err, http.StatusNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("object not expired by the sweeper on day 8: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("keep/me.json")}); err != nil {
		t.Fatalf("object outside the rule: %v", err)
	}
	if _, err := c.DeleteBucketLifecycle(ctx, &s3.DeleteBucketLifecycleInput{Bucket: b}); err != nil {
		t.Fatalf("DeleteBucketLifecycle: %v", err)
	}
	if _, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: b}); apiCode(err) != "NoSuchLifecycleConfiguration" {
		t.Fatalf("Get after delete: %v", err)
	}
}

func TestVirtualHostAndPresign(t *testing.T) {
	t.Parallel()
	c, srv := client(t)
	ctx := context.Background()
	mustBucket(t, c, "vhost")
	put(t, c, "vhost", "dir/file.txt", "hello")
	req, _ := http.NewRequest(http.MethodGet, srv.URL()+"/dir/file.txt", nil)
	req.Host = "vhost.localhost"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("virtual-host GET: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "hello" {
		t.Fatalf("virtual-host GET = %d %q", resp.StatusCode, b)
	}
	ps, err := s3.NewPresignClient(c).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("vhost"), Key: aws.String("dir/file.txt")})
	if err != nil {
		t.Fatalf("presign: %v", err)
	}
	resp, err = http.Get(ps.URL)
	if err != nil {
		t.Fatalf("presigned GET: %v", err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "hello" {
		t.Fatalf("presigned GET = %d %q", resp.StatusCode, b)
	}
	resp, err = http.Get(srv.URL() + "/vhost/missing")
	if err != nil {
		t.Fatalf("GET missing: %v", err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || !strings.Contains(string(b), "<Code>NoSuchKey</Code>") || !strings.Contains(string(b), "<RequestId>") {
		t.Fatalf("error document = %d %s", resp.StatusCode, b)
	}
}
