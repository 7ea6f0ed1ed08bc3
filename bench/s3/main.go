// Command s3 is ceap's S3 load generator. Against any endpoint that speaks S3 (ceap, moto_server)
// it measures small-object PUT and GET rates, listing a prefix of many keys in pages of 1,000,
// and large multipart upload and download throughput with bodies generated and checked on the
// fly (never held in memory). One JSON line per phase.
//
//	go run ./bench/s3 --endpoint http://127.0.0.1:4566 --small 20000 --keys 100000 --large-mb 256 --server-pid $(pidof ceap)
package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ceap/ceap/bench/internal/loopback"
)

func main() {
	endpoint := flag.String("endpoint", "http://127.0.0.1:4566", "S3 endpoint (loopback only)")
	small := flag.Int("small", 20000, "small objects to PUT and then GET")
	smallSize := flag.Int("small-size", 4096, "small object size in bytes")
	conc := flag.Int("c", 32, "concurrent clients for small objects")
	keys := flag.Int("keys", 100000, "keys under the listed prefix (0 to skip)")
	largeMB := flag.Int("large-mb", 256, "large object size in MiB (0 to skip)")
	pid := flag.Int("server-pid", 0, "server process id, to report its memory")
	label := flag.String("label", "ceap", "label of the server in the output")
	timeout := flag.Duration("timeout", 30*time.Minute, "give up after this long")
	flag.Parse()
	if err := loopback.Check(*endpoint); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	client := s3.NewFromConfig(aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("bench", "bench", ""),
		BaseEndpoint:     endpoint,
		RetryMaxAttempts: 3,
		HTTPClient:       &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}},
	}, func(o *s3.Options) { o.UsePathStyle = true })
	bucket := fmt.Sprintf("bench-%d", time.Now().UnixNano())
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		fail("create bucket: %v", err)
	}
	if *small > 0 {
		smallObjects(ctx, client, bucket, *label, *small, *smallSize, *conc, *pid)
	}
	if *keys > 0 {
		listing(ctx, client, bucket, *label, *keys, *conc)
	}
	if *largeMB > 0 {
		large(ctx, client, bucket, *label, int64(*largeMB)<<20, *pid)
	}
}

// parallel runs fn(i) for i in [0, n) on c workers and returns the seconds taken.
func parallel(n, c int, fn func(i int) error) (float64, error) {
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(start).Seconds(), firstErr
}

func smallObjects(ctx context.Context, c *s3.Client, bucket, label string, n, size, conc, pid int) {
	body := bytes.Repeat([]byte("x"), size)
	rss := loopback.RSS(pid)
	secs, err := parallel(n, conc, func(i int) error {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String(fmt.Sprintf("small/%08d", i)), Body: bytes.NewReader(body)})
		return err
	})
	if err != nil {
		fail("put: %v", err)
	}
	emit(map[string]any{"server": label, "phase": "put_small", "objects": n, "size": size, "clients": conc, "seconds": round(secs), "per_second": round(float64(n) / secs), "rss_mb_before": mb(rss), "rss_mb_after": mb(loopback.RSS(pid))})
	buf := make([][]byte, conc)
	var slot atomic.Int64
	secs, err = parallel(n, conc, func(i int) error {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String(fmt.Sprintf("small/%08d", i))})
		if err != nil {
			return err
		}
		defer out.Body.Close()
		s := int(slot.Add(1)) % conc
		if buf[s] == nil {
			buf[s] = make([]byte, size+1)
		}
		got, err := io.ReadFull(out.Body, buf[s][:size])
		if err != nil || got != size {
			return fmt.Errorf("short body %d: %w", got, err)
		}
		return nil
	})
	if err != nil {
		fail("get: %v", err)
	}
	emit(map[string]any{"server": label, "phase": "get_small", "objects": n, "size": size, "clients": conc, "seconds": round(secs), "per_second": round(float64(n) / secs)})
}

func listing(ctx context.Context, c *s3.Client, bucket, label string, keys, conc int) {
	empty := []byte{}
	if _, err := parallel(keys, conc, func(i int) error {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String(fmt.Sprintf("list/%08d.json", i)), Body: bytes.NewReader(empty)})
		return err
	}); err != nil {
		fail("fill prefix: %v", err)
	}
	start := time.Now()
	count, pages := 0, 0
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: aws.String("list/"), MaxKeys: aws.Int32(1000)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			fail("list: %v", err)
		}
		count += len(page.Contents)
		pages++
	}
	secs := time.Since(start).Seconds()
	if count != keys {
		fail("listed %d keys, want %d", count, keys)
	}
	emit(map[string]any{"server": label, "phase": "list_prefix", "keys": count, "pages": pages, "seconds": round(secs)})
}

// pattern yields n bytes of a repeating pattern without holding them.
type pattern struct{ off, n int64 }

func (p *pattern) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	if int64(len(b)) > p.n-p.off {
		b = b[:p.n-p.off]
	}
	for i := range b {
		b[i] = byte((p.off + int64(i)) % 251)
	}
	p.off += int64(len(b))
	return len(b), nil
}

func large(ctx context.Context, c *s3.Client, bucket, label string, size int64, pid int) {
	rss := loopback.RSS(pid)
	up := manager.NewUploader(c, func(u *manager.Uploader) { u.PartSize = 16 << 20; u.Concurrency = 4 })
	start := time.Now()
	if _, err := up.Upload(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("large.bin"), Body: &pattern{n: size}}); err != nil {
		fail("upload: %v", err)
	}
	secs := time.Since(start).Seconds()
	emit(map[string]any{"server": label, "phase": "upload_large", "bytes": size, "seconds": round(secs), "mb_per_second": round(float64(size) / 1e6 / secs), "rss_mb_before": mb(rss), "rss_mb_after": mb(loopback.RSS(pid))})
	start = time.Now()
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("large.bin")})
	if err != nil {
		fail("download: %v", err)
	}
	h, want := md5.New(), md5.New()
	n, err := io.Copy(h, out.Body)
	out.Body.Close()
	secs = time.Since(start).Seconds()
	if err != nil || n != size {
		fail("download: %d bytes, %v", n, err)
	}
	io.Copy(want, &pattern{n: size})
	if !bytes.Equal(h.Sum(nil), want.Sum(nil)) {
		fail("downloaded bytes differ from the upload")
	}
	emit(map[string]any{"server": label, "phase": "download_large", "bytes": size, "seconds": round(secs), "mb_per_second": round(float64(size) / 1e6 / secs), "rss_mb_after": mb(loopback.RSS(pid))})
}

func emit(v map[string]any) {
	b, _ := json.Marshal(v)
	fmt.Println(string(b))
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "s3 bench: "+format+"\n", args...)
	os.Exit(1)
}

func round(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

func mb(b int64) float64 { return round(float64(b) / (1 << 20)) }
