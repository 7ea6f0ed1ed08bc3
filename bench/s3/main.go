// Command s3 is ceap's S3 load generator. Against any endpoint that speaks S3 (ceap, moto_server)
// it measures small-object PUT and GET rates, listing a prefix of many keys in pages of 1,000,
// and large multipart upload and download throughput with bodies generated and checked on the
// fly (never held in memory). One JSON line per phase, with the server's CPU time per operation
// (from /proc, with --server-pid), the generator's own CPU time and the load average, so that a
// run on a shared machine can still be judged.
//
//	go run ./bench/s3 --endpoint http://127.0.0.1:4566 --small 20000 --keys 100000 --large-mb 256 --server-pid $(pidof ceap) --client sdk,http
//
// --client sdk sends the requests through aws-sdk-go-v2 (what an SDK user sees); --client http
// sends the same SigV4-signed requests with net/http alone, so that the generator's CPU goes to
// requests rather than to the SDK's middleware and XML decoding (which show up on a 2-core
// machine as a slower server).
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ceap/ceap/bench/internal/loopback"
)

// The generator's credentials; ceap without configured credentials accepts any.
const (
	benchKey    = "bench"
	benchSecret = "bench"
)

// downloadBuffer is the size of the reads of a large download: the socket is drained in large
// reads, as a client built for throughput does (io.Copy's 32 KiB reads cost the generator more
// CPU per byte than the server's sendfile).
const downloadBuffer = 1 << 20

// client is one way of sending the benchmark's requests.
type client interface {
	createBucket(ctx context.Context, bucket string) error
	// put stores body, whose hex SHA-256 is sum.
	put(ctx context.Context, bucket, key string, body []byte, sum string) error
	get(ctx context.Context, bucket, key string) (io.ReadCloser, error)
	// getRange reads bytes [start, end] of an object.
	getRange(ctx context.Context, bucket, key string, start, end int64) (io.ReadCloser, error)
	// listPage returns the number of keys of one ListObjectsV2 page and the next token ("" at the end).
	listPage(ctx context.Context, bucket, prefix, token string, maxKeys int) (int, string, error)
	// uploadLarge stores size bytes of the pattern as a multipart upload.
	uploadLarge(ctx context.Context, bucket, key string, size, partSize int64, conc int) error
}

type run struct {
	label   string
	pid     int
	conc    int
	client  client
	bucket  string
	timeout time.Duration
	// Large-object transfer shape: part size and parts in flight; ranged GETs in flight for the
	// download (1: one GET of the whole object).
	partSize     int64
	largeConc    int
	downloadConc int
}

func main() {
	endpoint := flag.String("endpoint", "http://127.0.0.1:4566", "S3 endpoint (loopback only)")
	small := flag.Int("small", 20000, "small objects to PUT and then GET")
	smallSize := flag.Int("small-size", 4096, "small object size in bytes")
	getRounds := flag.Int("get-rounds", 1, "times the GET phase reads every small object (more for a longer phase to profile)")
	listRounds := flag.Int("list-rounds", 1, "times the listing phase lists the whole prefix")
	conc := flag.Int("c", 32, "concurrent clients for small objects")
	keys := flag.Int("keys", 100000, "keys under the listed prefix (0 to skip)")
	largeMB := flag.Int("large-mb", 256, "large object size in MiB (0 to skip)")
	partMB := flag.Int("part-mb", 16, "part size of the large upload in MiB")
	largeConc := flag.Int("large-c", 4, "parts of the large upload in flight")
	downloadConc := flag.Int("download-c", 1, "ranged GETs of the large download in flight (1: one GET of the whole object)")
	pid := flag.Int("server-pid", 0, "server process id, to report its memory and CPU time")
	label := flag.String("label", "ceap", "label of the server in the output")
	clients := flag.String("client", "sdk", "comma-separated clients to run in turn: sdk (aws-sdk-go-v2), http (signed requests without the SDK)")
	timeout := flag.Duration("timeout", 30*time.Minute, "give up after this long")
	flag.Parse()
	if err := loopback.Check(*endpoint); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	transport := &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}
	for _, name := range strings.Split(*clients, ",") {
		r := &run{label: *label + "/" + name, pid: *pid, conc: *conc, bucket: fmt.Sprintf("bench-%s-%d", name, time.Now().UnixNano()),
			partSize: int64(*partMB) << 20, largeConc: *largeConc, downloadConc: max(*downloadConc, 1)}
		switch name {
		case "sdk":
			r.client = newSDKClient(*endpoint, transport)
		case "http":
			r.client = newRawClient(*endpoint, transport)
		default:
			fail("--client %q: want sdk or http", name)
		}
		if err := r.client.createBucket(ctx, r.bucket); err != nil {
			fail("create bucket: %v", err)
		}
		if *small > 0 {
			r.smallObjects(ctx, *small, *smallSize, *getRounds)
		}
		if *keys > 0 {
			r.listing(ctx, *keys, *listRounds)
		}
		if *largeMB > 0 {
			r.large(ctx, int64(*largeMB)<<20)
		}
	}
}

// parallel runs fn(i) for i in [0, n) on c workers and returns each call's latency.
func parallel(n, c int, fn func(i int) error) ([]time.Duration, error) {
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	lat := make([]time.Duration, n)
	for range c {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				start := time.Now()
				if err := fn(i); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				lat[i] = time.Since(start)
			}
		})
	}
	wg.Wait()
	return lat, firstErr
}

// latencies adds the median and 99th percentile of lat, in milliseconds.
func latencies(out map[string]any, lat []time.Duration) {
	slices.Sort(lat)
	out["p50_ms"] = round(float64(lat[len(lat)/2]) / 1e6)
	out["p99_ms"] = round(float64(lat[len(lat)*99/100]) / 1e6)
}

func (r *run) smallObjects(ctx context.Context, n, size, rounds int) {
	body := bytes.Repeat([]byte("x"), size)
	sum := sha256.Sum256(body)
	sumHex := hex.EncodeToString(sum[:])
	rss := loopback.RSS(r.pid)
	m := startMeter(r.pid)
	lat, err := parallel(n, r.conc, func(i int) error {
		return r.client.put(ctx, r.bucket, fmt.Sprintf("small/%08d", i), body, sumHex)
	})
	if err != nil {
		fail("put: %v", err)
	}
	out := map[string]any{"server": r.label, "phase": "put_small", "objects": n, "size": size, "clients": r.conc, "rss_mb_before": mb(rss), "rss_mb_after": mb(loopback.RSS(r.pid))}
	m.report(out, n)
	latencies(out, lat)
	emit(out)
	bufs := sync.Pool{New: func() any { b := make([]byte, size+1); return &b }}
	m = startMeter(r.pid)
	lat, err = parallel(n*rounds, r.conc, func(i int) error {
		rc, err := r.client.get(ctx, r.bucket, fmt.Sprintf("small/%08d", i%n))
		if err != nil {
			return err
		}
		defer rc.Close()
		bp := bufs.Get().(*[]byte)
		defer bufs.Put(bp)
		got, err := io.ReadFull(rc, *bp)
		if got != size || !bytes.Equal((*bp)[:got], body) {
			return fmt.Errorf("object %d: read %d bytes (%v), want %d bytes of x", i, got, err, size)
		}
		return nil
	})
	if err != nil {
		fail("get: %v", err)
	}
	out = map[string]any{"server": r.label, "phase": "get_small", "objects": n, "gets": n * rounds, "size": size, "clients": r.conc}
	m.report(out, n*rounds)
	latencies(out, lat)
	emit(out)
}

func (r *run) listing(ctx context.Context, keys, rounds int) {
	empty := []byte{}
	if _, err := parallel(keys, r.conc, func(i int) error {
		return r.client.put(ctx, r.bucket, fmt.Sprintf("list/%08d.json", i), empty, emptySHA256)
	}); err != nil {
		fail("fill prefix: %v", err)
	}
	m := startMeter(r.pid)
	pages := 0
	for range rounds {
		count, token := 0, ""
		for {
			n, next, err := r.client.listPage(ctx, r.bucket, "list/", token, 1000)
			if err != nil {
				fail("list: %v", err)
			}
			count += n
			pages++
			if next == "" {
				break
			}
			token = next
		}
		if count != keys {
			fail("listed %d keys, want %d", count, keys)
		}
	}
	out := map[string]any{"server": r.label, "phase": "list_prefix", "keys": keys, "rounds": rounds, "pages": pages}
	m.report(out, pages)
	out["seconds_per_listing"] = round(out["seconds"].(float64) / float64(rounds))
	emit(out)
}

func (r *run) large(ctx context.Context, size int64) {
	rss := loopback.RSS(r.pid)
	m := startMeter(r.pid)
	if err := r.client.uploadLarge(ctx, r.bucket, "large.bin", size, r.partSize, r.largeConc); err != nil {
		fail("upload: %v", err)
	}
	out := map[string]any{"server": r.label, "phase": "upload_large", "bytes": size, "part_mib": r.partSize >> 20, "parts_in_flight": r.largeConc,
		"rss_mb_before": mb(rss), "rss_mb_after": mb(loopback.RSS(r.pid))}
	m.report(out, 0)
	out["mb_per_second"] = round(float64(size) / 1e6 / out["seconds"].(float64))
	emit(out)
	m = startMeter(r.pid)
	if err := r.download(ctx, size); err != nil {
		fail("download: %v", err)
	}
	out = map[string]any{"server": r.label, "phase": "download_large", "bytes": size, "gets_in_flight": r.downloadConc,
		"read_buffer_kib": downloadBuffer >> 10, "rss_mb_after": mb(loopback.RSS(r.pid))}
	m.report(out, 0)
	out["mb_per_second"] = round(float64(size) / 1e6 / out["seconds"].(float64))
	emit(out)
}

// download reads the large object back and checks every byte: in one GET, or in downloadConc
// ranged GETs of equal share in flight at once.
func (r *run) download(ctx context.Context, size int64) error {
	if r.downloadConc == 1 {
		body, err := r.client.get(ctx, r.bucket, "large.bin")
		if err != nil {
			return err
		}
		defer body.Close()
		return readChecked(body, 0, size)
	}
	share := (size + int64(r.downloadConc) - 1) / int64(r.downloadConc)
	errs := make([]error, r.downloadConc)
	var wg sync.WaitGroup
	for i := range r.downloadConc {
		start := int64(i) * share
		end := min(start+share, size)
		if start >= end {
			continue
		}
		wg.Go(func() {
			body, err := r.client.getRange(ctx, r.bucket, "large.bin", start, end-1)
			if err != nil {
				errs[i] = err
				return
			}
			defer body.Close()
			errs[i] = readChecked(body, start, end-start)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// readChecked reads n bytes of the pattern from offset off and checks them.
func readChecked(body io.Reader, off, n int64) error {
	check := &patternCheck{off: off}
	// readerOnly hides any WriterTo of the body, so that the copy reads into the large buffer.
	got, err := io.CopyBuffer(check, readerOnly{body}, make([]byte, downloadBuffer))
	if err != nil {
		return err
	}
	if got != n {
		return fmt.Errorf("read %d bytes at %d, want %d", got, off, n)
	}
	return nil
}

type readerOnly struct{ r io.Reader }

func (r readerOnly) Read(p []byte) (int, error) { return r.r.Read(p) }

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

// sdkClient sends the requests through aws-sdk-go-v2's s3 client and upload manager.
type sdkClient struct{ c *s3.Client }

func newSDKClient(endpoint string, transport *http.Transport) *sdkClient {
	return &sdkClient{c: s3.NewFromConfig(aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(benchKey, benchSecret, ""),
		BaseEndpoint:     &endpoint,
		RetryMaxAttempts: 3,
		HTTPClient:       &http.Client{Transport: transport},
	}, func(o *s3.Options) { o.UsePathStyle = true })}
}

func (s *sdkClient) createBucket(ctx context.Context, bucket string) error {
	_, err := s.c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket})
	return err
}

func (s *sdkClient) put(ctx context.Context, bucket, key string, body []byte, _ string) error {
	_, err := s.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(body)})
	return err
}

func (s *sdkClient) get(ctx context.Context, bucket, key string) (io.ReadCloser, error) {
	out, err := s.c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		return nil, err
	}
	return out.Body, nil
}

func (s *sdkClient) getRange(ctx context.Context, bucket, key string, start, end int64) (io.ReadCloser, error) {
	rng := fmt.Sprintf("bytes=%d-%d", start, end)
	out, err := s.c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key, Range: &rng})
	if err != nil {
		return nil, err
	}
	return out.Body, nil
}

func (s *sdkClient) listPage(ctx context.Context, bucket, prefix, token string, maxKeys int) (int, string, error) {
	in := &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: &prefix, MaxKeys: aws.Int32(int32(maxKeys))}
	if token != "" {
		in.ContinuationToken = &token
	}
	page, err := s.c.ListObjectsV2(ctx, in)
	if err != nil {
		return 0, "", err
	}
	return len(page.Contents), aws.ToString(page.NextContinuationToken), nil
}

func (s *sdkClient) uploadLarge(ctx context.Context, bucket, key string, size, partSize int64, conc int) error {
	up := manager.NewUploader(s.c, func(u *manager.Uploader) { u.PartSize = partSize; u.Concurrency = conc })
	_, err := up.Upload(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: &pattern{n: size}})
	return err
}
