package s3_test

import (
	"bytes"
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func benchClient(b *testing.B) *s3.Client {
	b.Helper()
	c, _ := clientTB(b)
	return c
}

func BenchmarkPutSmall(b *testing.B) {
	c := benchClient(b)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bench")}); err != nil {
		b.Fatal(err)
	}
	body := bytes.Repeat([]byte("x"), 4096)
	var n atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			key := fmt.Sprintf("k/%d", n.Add(1))
			if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bench"), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkGetSmall(b *testing.B) {
	c := benchClient(b)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bench")}); err != nil {
		b.Fatal(err)
	}
	body := bytes.Repeat([]byte("x"), 4096)
	for i := range 100 {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bench"), Key: aws.String(fmt.Sprintf("k/%d", i)), Body: bytes.NewReader(body)}); err != nil {
			b.Fatal(err)
		}
	}
	var n atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, 8192)
		for pb.Next() {
			out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bench"), Key: aws.String(fmt.Sprintf("k/%d", n.Add(1)%100))})
			if err != nil {
				b.Fatal(err)
			}
			for {
				if _, err := out.Body.Read(buf); err != nil {
					break
				}
			}
			out.Body.Close()
		}
	})
}

// BenchmarkListPage measures one ListObjectsV2 page of 1,000 keys.
func BenchmarkListPage(b *testing.B) {
	c := benchClient(b)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bench")}); err != nil {
		b.Fatal(err)
	}
	const keys = 1000
	var n atomic.Int64
	errs := make(chan error, 16)
	for range 16 {
		go func() {
			var err error
			for i := n.Add(1); i <= keys && err == nil; i = n.Add(1) {
				_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bench"), Key: aws.String(fmt.Sprintf("p/%06d", i)), Body: bytes.NewReader([]byte("x"))})
			}
			errs <- err
		}()
	}
	for range 16 {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bench"), Prefix: aws.String("p/"), MaxKeys: aws.Int32(keys)})
		if err != nil {
			b.Fatal(err)
		}
		if len(out.Contents) != keys {
			b.Fatalf("listed %d keys, want %d", len(out.Contents), keys)
		}
	}
}
