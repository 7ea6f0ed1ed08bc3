package s3blob_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ceap/ceap/internal/blob"
	"github.com/ceap/ceap/internal/blob/blobtest"
	"github.com/ceap/ceap/internal/blob/s3blob"
	"github.com/ceap/ceap/internal/ceaptest"
)

// TestConformance runs the blob suite against a second ceap server's S3 API, one bucket per test.
func TestConformance(t *testing.T) {
	t.Parallel()
	srv := ceaptest.StartServer(t)
	client := s3.NewFromConfig(srv.AWS, func(o *s3.Options) { o.UsePathStyle = true })
	var n atomic.Int64
	blobtest.Run(t, func(t *testing.T) blob.Store {
		bucket := fmt.Sprintf("blobs-%d", n.Add(1))
		if _, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
			t.Fatalf("CreateBucket: %v", err)
		}
		s, err := s3blob.New(s3blob.Config{Client: client, Bucket: bucket, Prefix: "blobs/"})
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		return s
	})
}
