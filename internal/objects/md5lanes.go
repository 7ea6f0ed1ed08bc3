package objects

import (
	"crypto/md5"
	"hash"
	"sync"

	md5simd "github.com/minio/md5-simd"
)

// laneMinSize is the smallest declared body that may be hashed in the SIMD lanes. Below it
// crypto/md5 is cheaper: a body is handed to the lane server in 32 KiB blocks, each a channel
// round trip. Measured with BenchmarkDigest.
const laneMinSize = 256 << 10

// laneMinStreams is how many large bodies must be hashing at once (this one included) for a new
// one to take a lane. A pass of the AVX-512 kernel costs about three scalar MD5 blocks whatever
// the number of lanes filled, and the lane server runs a pass as soon as any lane has a block, so
// with the blocks of a few uploads arriving between socket reads and SHA-256 it often runs
// passes for one or two lanes (scalar) or a handful. Measured end to end (bench/s3, 1 GiB
// multipart, server CPU per GiB, load average 4 to 14): 4 parts in flight cost 10% more CPU with
// the lanes than with crypto/md5, 8 about the same, 16 10 to 16% less. Queuing each body's bytes
// ahead on a goroutine of its own did not fill more lanes: the lane server is eager, so lanes fill
// only when it is the bottleneck.
const laneMinStreams = 8

// laneGeneration is how many hashes one lane server serves before it is retired (closed once its
// last hash is done) and the next hash starts a fresh one. md5-simd v1.1.2 never forgets a
// closed hash (its client table is keyed by the wrong id on disconnect, minio/md5-simd#27, fixed
// after the last release), and its scheduler walks that table on every round, so a server that
// lived forever would slow down with every upload. A generation bounds the walk; a new server
// costs one goroutine and 1.5 MiB of block buffers, nothing next to the bodies it then hashes.
const laneGeneration = 64

// md5Lanes hashes the MD5s (ETags) of large bodies in the lanes of a multi-buffer SIMD hasher:
// with AVX-512 one pass of the instructions hashes a block of each of 16 concurrent streams, with
// AVX2 of 8, so concurrent uploads share the cost of MD5 instead of each paying it alone. Without
// AVX2 (or off amd64) md5-simd hashes with crypto/md5, so the result never depends on the CPU.
// The lanes run only between start and stop (the Service's Start and Stop) and only for large
// bodies while many are hashing at once (laneMinSize, laneMinStreams); other hashes are plain
// crypto/md5.
type md5Lanes struct {
	mu      sync.Mutex
	running bool
	// large counts the bodies of at least laneMinSize being hashed, in lanes or not.
	large int
	cur   *laneServer
}

// laneServer is one generation: an md5-simd server and the hashes it has handed out.
type laneServer struct {
	srv     md5simd.Server
	handed  int
	users   int
	retired bool
}

func (l *md5Lanes) start() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.running = true
}

// stop retires the current server; hashes in flight finish on it, and it closes after the last.
func (l *md5Lanes) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.running = false
	l.retireLocked()
}

func (l *md5Lanes) retireLocked() {
	g := l.cur
	if g == nil {
		return
	}
	l.cur = nil
	g.retired = true
	if g.users == 0 {
		g.srv.Close()
	}
}

// newHash returns an MD5 hash for a body of size bytes (-1 when unknown) and the function to call
// once its sum is taken (nil for a small body).
func (l *md5Lanes) newHash(size int64) (hash.Hash, func()) {
	if size < laneMinSize {
		return md5.New(), nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.large++
	if !l.running || l.large < laneMinStreams {
		return md5.New(), l.done
	}
	if l.cur == nil || l.cur.handed >= laneGeneration {
		l.retireLocked()
		l.cur = &laneServer{srv: md5simd.NewServer()}
	}
	g := l.cur
	g.handed++
	g.users++
	h := g.srv.NewHash()
	return h, func() {
		h.Close()
		l.release(g)
	}
}

// done ends a large crypto/md5 hash.
func (l *md5Lanes) done() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.large--
}

// release ends a lane hash.
func (l *md5Lanes) release(g *laneServer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.large--
	g.users--
	if g.retired && g.users == 0 {
		g.srv.Close()
	}
}
