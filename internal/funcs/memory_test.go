package funcs

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestCgroup2StartsTheRuntimeInsideItsCgroup checks the cgroup v2 placement (clone3 into the
// environment's cgroup) on any writable cgroup v2 hierarchy, with or without its memory
// controller, and that removing the cgroup ends what is left in it.
func TestCgroup2StartsTheRuntimeInsideItsCgroup(t *testing.T) {
	t.Parallel()
	mounts, err := cgroupMounts()
	if err != nil {
		t.Fatal(err)
	}
	own, err := ownCgroups()
	if err != nil {
		t.Fatal(err)
	}
	mnt, ok := mounts["cgroup2"]
	path, inV2 := own[""]
	if !ok || !inV2 {
		t.Skip("no cgroup v2 hierarchy is mounted for this process")
	}
	dir := filepath.Join(mnt, path, "ceap-test-"+strconv.Itoa(os.Getpid())+"-"+randomHex(4))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Skipf("the cgroup v2 hierarchy is not writable here: %v", err)
	}
	t.Cleanup(func() { _ = os.Remove(dir) })
	cg := &envCgroup{dir: dir, kind: memoryCgroup2}
	cmd := exec.Command("sleep", "30")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cg.start(cmd); err != nil {
		t.Fatalf("start in %s: %v", dir, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "cgroup"))
	if err != nil {
		t.Fatal(err)
	}
	want := "0::" + filepath.Join(path, filepath.Base(dir))
	if !strings.Contains(string(b), want+"\n") {
		t.Fatalf("/proc/<pid>/cgroup of the started process = %q, want the line %q", b, want)
	}
	cg.remove()
	if err := <-exited; err == nil {
		t.Fatal("the process left in the cgroup was not killed by its removal")
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("cgroup %s after remove: %v", dir, err)
	}
}

func TestVmHWMParsesProcStatus(t *testing.T) {
	t.Parallel()
	status := []byte("Name:\tbootstrap\nVmPeak:\t 1267052 kB\nVmHWM:\t   10241 kB\nVmRSS:\t    9000 kB\n")
	if got := vmHWM(status); got != 11 {
		t.Fatalf("vmHWM = %d MiB, want 11 (10241 kB rounded up)", got)
	}
	if got := vmHWM([]byte("Name:\tx\n")); got != 0 {
		t.Fatalf("vmHWM without the line = %d, want 0", got)
	}
}
