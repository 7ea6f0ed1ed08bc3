package ceaptest

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// Binary builds cmd/ceap once per test process and returns the path of the executable.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		dir, err := os.MkdirTemp("", "ceap-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "ceap")
		cmd := exec.Command("go", "build", "-o", buildPath, "./cmd/ceap")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v: %s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatalf("build ceap: %v", buildErr)
	}
	return buildPath
}

// Process is a `ceap serve` running as a separate process.
type Process struct {
	t    testing.TB
	cmd  *exec.Cmd
	Addr string
	Data string
	out  *bytes.Buffer
}

// URL returns the endpoint of the process.
func (p *Process) URL() string { return "http://" + p.Addr }

// StartProcess runs `ceap serve` on a free loopback port with the given data directory and extra
// flags, and waits until /_ceap/health answers 200.
func StartProcess(t testing.TB, data string, flags ...string) *Process {
	t.Helper()
	bin := Binary(t)
	addr := freeAddr(t)
	args := append([]string{"serve", "--listen", addr, "--data", data, "--account-id", Account}, flags...)
	var out bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start ceap: %v", err)
	}
	p := &Process{t: t, cmd: cmd, Addr: addr, Data: data, out: &out}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(p.URL() + "/_ceap/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.cmd.Process.Kill()
	p.cmd.Wait()
	t.Fatalf("ceap did not become healthy: %s", out.String())
	return nil
}

// Kill sends SIGKILL and waits for the process to end.
func (p *Process) Kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.cmd.Wait()
}

// Stop sends SIGTERM and waits for a graceful exit.
func (p *Process) Stop() error {
	p.cmd.Process.Signal(syscall.SIGTERM)
	return p.cmd.Wait()
}

// Output returns what the process printed so far.
func (p *Process) Output() string { return p.out.String() }

func freeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
