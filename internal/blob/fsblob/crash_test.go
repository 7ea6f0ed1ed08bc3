package fsblob

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ceap/ceap/internal/blob"
)

// crashChildEnv names the data directory of the child process that TestCrashDuringAppends kills.
const crashChildEnv = "CEAP_FSBLOB_CRASH_CHILD"

// TestCrashDuringAppends runs a child process that stores blobs from 16 goroutines (most small
// enough to be extents, some files) and prints each id once Put has returned (half of the
// goroutines write a few blobs with PutDeferred and flush only the last, whose flush covers
// the others), kills it with
// SIGKILL mid-stream, reopens the store, and checks that every acknowledged blob reads back with
// its exact bytes, that every blob Walk lists is intact, and that new blobs go to a new segment.
func TestCrashDuringAppends(t *testing.T) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir)
		return
	}
	t.Parallel()
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashDuringAppends$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("stdout pipe: %v", err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start child: %v", err)
	}
	acked := map[string]string{} // id -> SHA-256 of its body
	lines := bufio.NewReader(out)
	deadline := time.Now().Add(5 * time.Second)
	for len(acked) < 400 && time.Now().Before(deadline) {
		line, err := lines.ReadString('\n')
		if err != nil {
			t.Fatalf("child output: %v (after %d blobs)", err, len(acked))
		}
		id, sum, _ := strings.Cut(strings.TrimSpace(line), " ")
		acked[id] = sum
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill child: %v", err)
	}
	// Lines written before the kill were acknowledged too; a line cut short was not.
	rest, _ := io.ReadAll(lines)
	for _, line := range strings.SplitAfter(string(rest), "\n") {
		if id, sum, ok := strings.Cut(strings.TrimSuffix(line, "\n"), " "); ok && strings.HasSuffix(line, "\n") {
			acked[id] = sum
		}
	}
	_ = cmd.Wait()
	if len(acked) < 100 {
		t.Fatalf("only %d blobs acknowledged before the kill", len(acked))
	}

	s := newStore(t, dir)
	ctx := context.Background()
	var maxSeg uint32
	for id, sum := range acked {
		body := mustRead(t, s, id)
		if got := sha256.Sum256(body); hex.EncodeToString(got[:]) != sum {
			t.Fatalf("acknowledged blob %s reads back %d bytes that differ", id, len(body))
		}
		if ref, ok := parseExtentID(id); ok {
			maxSeg = max(maxSeg, ref.seg)
		}
	}
	listed := 0
	err = s.Walk(ctx, func(i blob.Info) error {
		listed++
		rc, err := s.Open(ctx, i.ID, 0, -1)
		if err != nil {
			return fmt.Errorf("open listed blob %s: %w", i.ID, err)
		}
		defer rc.Close()
		n, err := io.Copy(io.Discard, rc)
		if err != nil || n != i.Size {
			return fmt.Errorf("listed blob %s: read %d bytes of %d: %v", i.ID, n, i.Size, err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Walk after the crash: %v", err)
	}
	if listed < len(acked) {
		t.Fatalf("Walk lists %d blobs, fewer than the %d acknowledged", listed, len(acked))
	}
	info := mustPut(t, s, []byte("after the crash"))
	if ref, _ := parseExtentID(info.ID); ref.seg <= maxSeg {
		t.Fatalf("first Put after the crash went to segment %d, want a new one after %d", ref.seg, maxSeg)
	}
}

// crashChild stores blobs until it is killed, printing "id sha256" for each once it is stored.
func crashChild(dir string) {
	s, err := New(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: open store:", err)
		os.Exit(2)
	}
	var mu sync.Mutex
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "child: put:", err)
		os.Exit(2)
	}
	for w := range 16 {
		go func() {
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for {
				n := 1
				if w%2 == 1 {
					n = 1 + rng.IntN(4)
				}
				lines := make([]string, 0, n)
				var flush func() error
				for range n {
					size := rng.IntN(12 << 10)
					if rng.IntN(20) == 0 {
						size = maxExtent - 100 + rng.IntN(300) // either side of the limit
					}
					body := make([]byte, size)
					for i := range body {
						body[i] = byte(rng.Uint32())
					}
					var info blob.Info
					var err error
					if w%2 == 1 {
						info, flush, err = s.PutDeferred(context.Background(), bytes.NewReader(body))
					} else {
						info, err = s.Put(context.Background(), bytes.NewReader(body))
					}
					if err != nil {
						fail(err)
					}
					sum := sha256.Sum256(body)
					lines = append(lines, fmt.Sprintf("%s %s\n", info.ID, hex.EncodeToString(sum[:])))
				}
				if flush != nil {
					if err := flush(); err != nil {
						fail(err)
					}
				}
				mu.Lock()
				for _, l := range lines {
					fmt.Fprint(os.Stdout, l)
				}
				mu.Unlock()
			}
		}()
	}
	select {}
}
