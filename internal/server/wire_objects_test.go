package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/ceap/ceap/internal/ceaptest"
	"github.com/ceap/ceap/internal/config"
	"github.com/ceap/ceap/internal/server"
	"github.com/ceap/ceap/internal/store/storetest"
)

func s3Client(endpoint string) *s3.Client {
	return s3.NewFromConfig(ceaptest.SDKConfig(endpoint), func(o *s3.Options) { o.UsePathStyle = true })
}

// TestNodesShareBodiesThroughS3Blobs runs two nodes on one PostgreSQL schema with the S3 blob
// backend pointed at a third server: an object put through one node reads back through the other,
// its body lives in the third server's bucket, and a delete through the other node frees it there.
//
// It is not parallel: the nodes take their blob store credentials from the process environment,
// as a deployment does, and t.Setenv needs a test of its own. AWS_ENDPOINT_URL, set as the runbook
// sets it for the aws CLI, must not take the place of the flag.
func TestNodesShareBodiesThroughS3Blobs(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "blobs")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "blobs")
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
	ctx := context.Background()
	backing := ceaptest.StartServer(t)
	bc := s3Client(backing.URL())
	if _, err := bc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bodies")}); err != nil {
		t.Fatalf("CreateBucket on the blob server: %v", err)
	}
	schema := storetest.NewSchema(t)
	useS3 := ceaptest.WithConfig(func(c *config.Config) {
		c.BlobBackend = config.BlobBackendS3
		c.BlobS3 = config.BlobS3{Endpoint: backing.URL(), Bucket: "bodies"}
	})
	a := ceaptest.StartServer(t, useS3, ceaptest.WithStore(storetest.OpenPostgresSchema(t, schema)))
	b := ceaptest.StartServer(t, useS3, ceaptest.WithStore(storetest.OpenPostgresSchema(t, schema)))
	ca, cb := s3Client(a.URL()), s3Client(b.URL())

	if _, err := ca.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("shared")}); err != nil {
		t.Fatalf("CreateBucket through node a: %v", err)
	}
	bodies := map[string][]byte{"small.json": []byte(`{"stage":"etl"}`), "large.bin": make([]byte, 3<<20)}
	if _, err := rand.Read(bodies["large.bin"]); err != nil {
		t.Fatalf("random: %v", err)
	}
	for key, body := range bodies {
		if _, err := ca.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("shared"), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
			t.Fatalf("PutObject %s through node a: %v", key, err)
		}
	}
	for key, body := range bodies {
		out, err := cb.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("shared"), Key: aws.String(key)})
		if err != nil {
			t.Fatalf("GetObject %s through node b: %v", key, err)
		}
		got, err := io.ReadAll(out.Body)
		out.Body.Close()
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("GetObject %s through node b: %d bytes (err %v), want the %d put through node a", key, len(got), err, len(body))
		}
	}
	if n := countBlobs(t, bc); n != len(bodies) {
		t.Fatalf("blob server holds %d bodies, want %d", n, len(bodies))
	}
	if _, err := cb.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("shared"), Key: aws.String("large.bin")}); err != nil {
		t.Fatalf("DeleteObject through node b: %v", err)
	}
	if n := countBlobs(t, bc); n != len(bodies)-1 {
		t.Fatalf("after a delete the blob server holds %d bodies, want %d", n, len(bodies)-1)
	}
}

func countBlobs(t *testing.T, c *s3.Client) int {
	t.Helper()
	out, err := c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("bodies")})
	if err != nil {
		t.Fatalf("list the blob bucket: %v", err)
	}
	for _, o := range out.Contents {
		if !strings.HasPrefix(aws.ToString(o.Key), "blobs/") {
			t.Fatalf("blob key %q outside the default prefix blobs/", aws.ToString(o.Key))
		}
	}
	return len(out.Contents)
}

// TestS3BlobBackendNeedsItsBucket checks that a node whose blob bucket does not exist refuses to
// start, with the store's answer.
func TestS3BlobBackendNeedsItsBucket(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "blobs")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "blobs")
	backing := ceaptest.StartServer(t)
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.Data = t.TempDir()
	cfg.BlobBackend = config.BlobBackendS3
	cfg.BlobS3 = config.BlobS3{Endpoint: backing.URL(), Bucket: "missing"}
	srv, err := server.New(cfg, server.Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	err = srv.Start(context.Background())
	if err == nil {
		srv.Stop(context.Background())
		t.Fatalf("a node started with a blob bucket that does not exist")
	}
	var nf *types.NotFound
	if !errors.As(err, &nf) {
		t.Fatalf("start error = %v, want the blob store's NotFound", err)
	}
}
