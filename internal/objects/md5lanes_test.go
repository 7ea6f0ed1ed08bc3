package objects

import (
	"bytes"
	"crypto/md5"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	md5simd "github.com/minio/md5-simd"
)

// TestLaneMD5MatchesCryptoMD5 hashes bodies of random sizes (around the lane threshold and
// well above it, written in random pieces) from many goroutines at once, across several lane
// generations and a stop in the middle, and compares every sum with crypto/md5's. The gate on
// concurrent bodies is held open (TestLanesOnlyWhenManyHash checks it).
func TestLaneMD5MatchesCryptoMD5(t *testing.T) {
	t.Parallel()
	var l md5Lanes
	l.start()
	l.large = laneMinStreams // as if that many other large bodies were hashing: the gate is open
	src := randomBytes(3<<20, 1)
	const workers, perWorker = 2 * laneMinStreams, 12 // 192 hashes: several generations
	var wg sync.WaitGroup
	var lanes atomic.Int64
	errs := make(chan error, workers*perWorker)
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for i := range perWorker {
				if w == 0 && i == perWorker/2 {
					l.stop() // hashes in flight finish on the retired server
					l.start()
				}
				size := laneMinSize + rng.IntN(len(src)-laneMinSize)
				if i%3 == 0 {
					size = laneMinSize - 64 + rng.IntN(130) // either side of the threshold, odd tails
				}
				body := src[rng.IntN(len(src)-size+1):][:size]
				h, release := l.newHash(int64(size))
				if (release == nil) != (size < laneMinSize) {
					errs <- fmt.Errorf("a %d-byte body: release function %v", size, release != nil)
					return
				}
				if _, ok := h.(md5simd.Hasher); ok {
					lanes.Add(1)
				}
				for rest := body; len(rest) > 0; {
					n := min(len(rest), 1+rng.IntN(200<<10))
					h.Write(rest[:n])
					rest = rest[n:]
				}
				got := h.Sum(nil)
				if release != nil {
					release()
				}
				if want := md5.Sum(body); !bytes.Equal(got, want[:]) {
					errs <- fmt.Errorf("MD5 of %d bytes = %x, want %x", size, got, want)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if lanes.Load() < laneGeneration {
		t.Fatalf("only %d of %d hashes ran in lanes", lanes.Load(), workers*perWorker)
	}
	l.stop()
	if l.cur != nil || l.running || l.large != laneMinStreams {
		t.Fatalf("after stop: current server %v, running %v, %d large hashes", l.cur, l.running, l.large)
	}
	h, release := l.newHash(1 << 20)
	if _, ok := h.(md5simd.Hasher); ok {
		t.Fatal("a stopped service handed out a lane hash")
	}
	release()
}

// TestLanesOnlyWhenManyHash checks the gate: large bodies take lanes only while laneMinStreams
// of them are hashing, and small bodies never do.
func TestLanesOnlyWhenManyHash(t *testing.T) {
	t.Parallel()
	var l md5Lanes
	l.start()
	defer l.stop()
	var releases []func()
	for i := 1; i <= laneMinStreams; i++ {
		h, release := l.newHash(laneMinSize)
		_, lane := h.(md5simd.Hasher)
		if lane != (i == laneMinStreams) {
			t.Fatalf("hash %d of %d in flight: lane %v", i, laneMinStreams, lane)
		}
		releases = append(releases, release)
	}
	if h, release := l.newHash(laneMinSize - 1); release != nil {
		t.Fatalf("a small body got %T and a release function", h)
	}
	for _, release := range releases {
		release()
	}
	if l.large != 0 || l.cur.users != 0 {
		t.Fatalf("after every release: %d large hashes, %d lane users", l.large, l.cur.users)
	}
	if h, _ := l.newHash(laneMinSize); h == nil {
		t.Fatal("no hash")
	} else if _, lane := h.(md5simd.Hasher); lane {
		t.Fatal("a lone large body took a lane")
	}
}

// TestDigestETagWithLanes checks the ETag that writeBody's digest gives a large body with the
// lanes running, and that the digest gives its lane back exactly once.
func TestDigestETagWithLanes(t *testing.T) {
	t.Parallel()
	s := &Service{}
	s.md5.start()
	defer s.md5.stop()
	s.md5.large = laneMinStreams - 1 // as if that many other large bodies were hashing
	body := bytes.Repeat([]byte("0123456789abcdef"), laneMinSize/16+5)
	d, err := s.newDigest(CRC32C, int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := d.md5.(md5simd.Hasher); !ok {
		t.Fatal("no lane hash for a large body")
	}
	d.Write(body)
	d.finish()
	d.finish()
	want := md5.Sum(body)
	if got := ETag(d.MD5()); got != ETag(want[:]) {
		t.Fatalf("ETag %s, want %s", got, ETag(want[:]))
	}
	if d.Checksum() != checksumOf(t, CRC32C, body) {
		t.Fatalf("CRC32C %s, want %s", d.Checksum(), checksumOf(t, CRC32C, body))
	}
	s.md5.mu.Lock()
	users, large := s.md5.cur.users, s.md5.large
	s.md5.mu.Unlock()
	if users != 0 || large != laneMinStreams-1 {
		t.Fatalf("after finish: %d lane users, %d large hashes", users, large)
	}
	if _, err := s.newDigest("MD4", 1<<20); err == nil {
		t.Fatal("unknown algorithm accepted")
	}
}

// BenchmarkDigest compares crypto/md5 with the lanes (whatever the gate would say) for bodies of several sizes hashed by
// several streams at once (written in 1 MiB pieces, as a large upload is), and reports the
// process's CPU time per MiB hashed, the figure that matters on a busy server.
//
//	go test ./internal/objects -run XXX -bench Digest
func BenchmarkDigest(b *testing.B) {
	src := randomBytes(16<<20, 3)
	for _, size := range []int{64 << 10, 256 << 10, 1 << 20, 16 << 20} {
		for _, streams := range []int{1, 4, 8} {
			for _, lanes := range []bool{false, true} {
				name := fmt.Sprintf("size=%dKiB/streams=%d/lanes=%v", size>>10, streams, lanes)
				b.Run(name, func(b *testing.B) {
					var l md5Lanes
					if lanes {
						l.start()
						defer l.stop()
						l.large = laneMinStreams // every stream takes a lane
					}
					hashSize := int64(size)
					if !lanes {
						hashSize = 0
					}
					b.SetBytes(int64(size * streams))
					cpu0 := cpuTime()
					for b.Loop() {
						var wg sync.WaitGroup
						for range streams {
							wg.Go(func() {
								h, release := l.newHash(hashSize)
								for off := 0; off < size; off += 1 << 20 {
									h.Write(src[off:min(size, off+1<<20)])
								}
								h.Sum(nil)
								if release != nil {
									release()
								}
							})
						}
						wg.Wait()
					}
					mib := float64(b.N) * float64(size*streams) / (1 << 20)
					b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/mib, "cpu-µs/MiB")
				})
			}
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func randomBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed)})
	r.Read(b)
	return b
}
