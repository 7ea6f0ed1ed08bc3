package s3_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ceap/ceap/internal/ceaptest"
)

// TestCrashDuringUploads kills a real `ceap serve` with SIGKILL while clients upload, restarts
// it on the same data directory, and checks that every acknowledged object is there with its
// exact bytes and that no listed object is torn (every body matches its ETag).
func TestCrashDuringUploads(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and kills a real ceap process; not in -short")
	}
	data := t.TempDir()
	p := ceaptest.StartProcess(t, data)
	c := s3.NewFromConfig(ceaptest.SDKConfig(p.URL()), func(o *s3.Options) { o.UsePathStyle = true })
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("crash")}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	var mu sync.Mutex
	acked := map[string]string{} // key -> hex MD5 of the body
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				body := make([]byte, 1+rng.IntN(300_000))
				for j := range body {
					body[j] = byte(rng.Uint32())
				}
				key := fmt.Sprintf("w%d/obj-%05d", w, i)
				_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("crash"), Key: aws.String(key), Body: bytes.NewReader(body)})
				if err != nil {
					return // the server is gone
				}
				sum := md5.Sum(body)
				mu.Lock()
				acked[key] = hex.EncodeToString(sum[:])
				mu.Unlock()
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	p.Kill()
	close(stop)
	wg.Wait()
	if len(acked) == 0 {
		t.Fatalf("no upload was acknowledged before the kill")
	}

	p2 := ceaptest.StartProcess(t, data)
	c2 := s3.NewFromConfig(ceaptest.SDKConfig(p2.URL()), func(o *s3.Options) { o.UsePathStyle = true })
	check := func(key string) string {
		out, err := c2.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("crash"), Key: aws.String(key)})
		if err != nil {
			t.Fatalf("GET %s after restart: %v", key, err)
		}
		defer out.Body.Close()
		h := md5.New()
		if _, err := io.Copy(h, out.Body); err != nil {
			t.Fatalf("read %s after restart: %v", key, err)
		}
		got := hex.EncodeToString(h.Sum(nil))
		if etag := aws.ToString(out.ETag); etag != `"`+got+`"` {
			t.Fatalf("torn object %s: body MD5 %s, ETag %s", key, got, etag)
		}
		return got
	}
	for key, want := range acked {
		if got := check(key); got != want {
			t.Fatalf("acknowledged object %s: MD5 %s, want %s", key, got, want)
		}
	}
	listed := 0
	pg := s3.NewListObjectsV2Paginator(c2, &s3.ListObjectsV2Input{Bucket: aws.String("crash")})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatalf("list after restart: %v", err)
		}
		for _, o := range page.Contents {
			check(aws.ToString(o.Key))
			listed++
		}
	}
	if listed < len(acked) {
		t.Fatalf("%d objects listed after restart, fewer than the %d acknowledged", listed, len(acked))
	}
	t.Logf("%d uploads acknowledged before SIGKILL, %d objects after restart, all intact", len(acked), listed)
}
