package funcs

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// How environments' memory is limited, in the order ceap tries them.
const (
	// memoryCgroup2 is a child of ceap's own cgroup v2 with memory.max (the process is started
	// inside it with clone3's CLONE_INTO_CGROUP).
	memoryCgroup2 = "cgroup2"
	// memoryCgroup1 is a child of ceap's own cgroup in the cgroup v1 memory hierarchy with
	// memory.limit_in_bytes.
	memoryCgroup1 = "cgroup1"
)

const (
	// cgroupPrefix names the cgroup that holds one runner's environments: ceap-<pid>-<random>.
	cgroupPrefix = "ceap-"
	// cgroupRemoveTries bounds the attempts to remove an environment's cgroup while the last of
	// its processes are still being torn down by the kernel.
	cgroupRemoveTries = 50
	cgroupRemoveWait  = 2 * time.Millisecond
)

// errNoMemoryControl reports that this machine offers no writable memory controller.
var errNoMemoryControl = errors.New("no writable cgroup memory controller")

// errCgroupPlacement reports that a runtime could not be placed in its cgroup: ceap's failure,
// not the function's.
var errCgroupPlacement = errors.New("place the runtime in its cgroup")

// memoryControl limits and measures environments' memory through cgroups. A nil *memoryControl
// means the limit is not enforced (Max Memory Used then comes from the process's peak RSS).
type memoryControl struct {
	kind string
	// dir is the cgroup of this runner's environments, made at detection, below parent, ceap's
	// own cgroup.
	dir, parent string
}

// detectMemoryControl finds a memory controller that ceap may write: cgroup v2 when its memory
// controller is enabled for ceap's cgroup, else the cgroup v1 memory hierarchy. It makes the
// cgroup that will hold this process's environments and removes those left behind by ceap
// processes that are gone.
func detectMemoryControl() (*memoryControl, error) {
	mounts, err := cgroupMounts()
	if err != nil {
		return nil, err
	}
	own, err := ownCgroups()
	if err != nil {
		return nil, err
	}
	var errs []error
	if mnt, ok := mounts["cgroup2"]; ok {
		if path, ok := own[""]; ok {
			mc, err := probed(newCgroup2Control(filepath.Join(mnt, path)))
			if err == nil {
				return mc, nil
			}
			errs = append(errs, err)
		}
	}
	if mnt, ok := mounts["memory"]; ok {
		if path, ok := own["memory"]; ok {
			mc, err := probed(newCgroup1Control(filepath.Join(mnt, path)))
			if err == nil {
				return mc, nil
			}
			errs = append(errs, err)
		}
	}
	return nil, fmt.Errorf("%w: %w", errNoMemoryControl, errors.Join(errs...))
}

// probed makes and removes one environment cgroup with a limit, so that a controller ceap may
// create cgroups in but not limit is found at startup rather than at every cold start.
func probed(mc *memoryControl, err error) (*memoryControl, error) {
	if err != nil {
		return nil, err
	}
	cg, err := mc.newEnvCgroup(MinMemory)
	if err != nil {
		mc.close()
		return nil, err
	}
	cg.remove()
	return mc, nil
}

// cgroupMounts returns the mount points of the cgroup v2 hierarchy (key "cgroup2") and of each
// cgroup v1 controller (keyed by controller name), from /proc/self/mountinfo.
func cgroupMounts() (map[string]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("read mounts: %w", err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// id parent major:minor root mountpoint options [optional...] - fstype source superoptions
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		pf, qf := strings.Fields(pre), strings.Fields(post)
		if len(pf) < 5 || len(qf) < 3 {
			continue
		}
		switch qf[0] {
		case "cgroup2":
			if _, seen := out["cgroup2"]; !seen {
				out["cgroup2"] = pf[4]
			}
		case "cgroup":
			for _, opt := range strings.Split(qf[2], ",") {
				if _, seen := out[opt]; !seen {
					out[opt] = pf[4]
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read mounts: %w", err)
	}
	return out, nil
}

// ownCgroups returns this process's cgroup path in each hierarchy, from /proc/self/cgroup: the
// cgroup v2 path under key "", v1 paths under each controller name.
func ownCgroups() (map[string]string, error) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, fmt.Errorf("read own cgroups: %w", err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[1] == "" {
			out[""] = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			out[c] = parts[2]
		}
	}
	return out, nil
}

func newCgroup2Control(own string) (*memoryControl, error) {
	controllers, err := os.ReadFile(filepath.Join(own, "cgroup.controllers"))
	if err != nil {
		return nil, fmt.Errorf("cgroup v2: %w", err)
	}
	if !hasWord(controllers, "memory") {
		return nil, fmt.Errorf("cgroup v2: the memory controller is not available in %s", own)
	}
	// Children of ceap's cgroup get the memory controller only when ceap's cgroup delegates it.
	if err := enableMemory(own); err != nil {
		return nil, err
	}
	removeStaleCgroups(own)
	dir := runnerCgroupDir(own)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cgroup v2: %w", err)
	}
	if err := enableMemory(dir); err != nil {
		_ = os.Remove(dir)
		return nil, err
	}
	return &memoryControl{kind: memoryCgroup2, dir: dir, parent: own}, nil
}

// enableMemory makes the memory controller available to dir's children.
func enableMemory(dir string) error {
	sub, err := os.ReadFile(filepath.Join(dir, "cgroup.subtree_control"))
	if err != nil {
		return fmt.Errorf("cgroup v2: %w", err)
	}
	if hasWord(sub, "memory") {
		return nil
	}
	if err := writeCgroupFile(dir, "cgroup.subtree_control", "+memory"); err != nil {
		return fmt.Errorf("cgroup v2: delegate memory below %s: %w", dir, err)
	}
	return nil
}

func newCgroup1Control(own string) (*memoryControl, error) {
	if _, err := os.Stat(filepath.Join(own, "memory.limit_in_bytes")); err != nil {
		return nil, fmt.Errorf("cgroup v1 memory: %w", err)
	}
	removeStaleCgroups(own)
	dir := runnerCgroupDir(own)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cgroup v1 memory: %w", err)
	}
	return &memoryControl{kind: memoryCgroup1, dir: dir, parent: own}, nil
}

// runnerCgroupDir names a new cgroup for one runner's environments below parent.
func runnerCgroupDir(parent string) string {
	return filepath.Join(parent, cgroupPrefix+strconv.Itoa(os.Getpid())+"-"+randomHex(4))
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// removeStaleCgroups removes the environment cgroups of ceap processes that no longer run (a
// crash leaves them behind, empty once their processes are gone).
func removeStaleCgroups(parent string) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		pidPart, _, _ := strings.Cut(strings.TrimPrefix(e.Name(), cgroupPrefix), "-")
		pid, err := strconv.Atoi(pidPart)
		if !e.IsDir() || !strings.HasPrefix(e.Name(), cgroupPrefix) || err != nil || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			continue // that ceap still runs (or the pid is not ours to probe)
		}
		dir := filepath.Join(parent, e.Name())
		children, _ := os.ReadDir(dir)
		for _, c := range children {
			if c.IsDir() {
				removeCgroup(filepath.Join(dir, c.Name()))
			}
		}
		_ = os.Remove(dir)
	}
}

func hasWord(b []byte, w string) bool {
	for _, f := range strings.Fields(string(b)) {
		if f == w {
			return true
		}
	}
	return false
}

func writeCgroupFile(dir, name, value string) error {
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(value)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// close removes the cgroup of this process's environments (they must all have ended).
func (mc *memoryControl) close() {
	if mc != nil {
		_ = os.Remove(mc.dir)
	}
}

// envCgroup is the cgroup of one environment.
type envCgroup struct {
	dir  string
	kind string
	// home is ceap's own cgroup, where the forking thread returns (cgroup v1).
	home string
	// peak is kept open so that reading the environment's peak memory after each invocation is
	// one pread.
	peak *os.File
}

// newEnvCgroup makes an environment's cgroup limited to limitMB MiB of memory and no swap.
func (mc *memoryControl) newEnvCgroup(limitMB int) (*envCgroup, error) {
	dir := filepath.Join(mc.dir, "env-"+randomHex(8))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("make environment cgroup: %w", err)
	}
	cg := &envCgroup{dir: dir, kind: mc.kind, home: mc.parent}
	limit := strconv.FormatInt(int64(limitMB)<<20, 10)
	var err error
	var peakFile string
	switch mc.kind {
	case memoryCgroup2:
		peakFile = "memory.peak"
		err = writeCgroupFile(dir, "memory.max", limit)
		if err == nil {
			err = writeCgroupFile(dir, "memory.swap.max", "0")
			if errors.Is(err, fs.ErrNotExist) {
				err = nil // no swap accounting: there is no swap to limit
			}
		}
		if err == nil {
			// An out-of-memory kill takes every process of the environment, as Lambda ends
			// the whole sandbox.
			_ = writeCgroupFile(dir, "memory.oom.group", "1")
		}
	default:
		peakFile = "memory.max_usage_in_bytes"
		err = writeCgroupFile(dir, "memory.limit_in_bytes", limit)
		if err == nil {
			// memsw (memory plus swap) exists only with swap accounting; equal to the memory
			// limit, it forbids swap.
			if werr := writeCgroupFile(dir, "memory.memsw.limit_in_bytes", limit); werr != nil && !errors.Is(werr, fs.ErrNotExist) {
				err = werr
			}
		}
	}
	if err != nil {
		removeCgroup(dir)
		return nil, fmt.Errorf("limit environment memory: %w", err)
	}
	// memory.peak needs Linux 5.19; without it Max Memory Used falls back to the process's RSS.
	cg.peak, _ = os.Open(filepath.Join(dir, peakFile))
	return cg, nil
}

// start starts cmd inside the cgroup, so that the runtime never allocates outside its limit.
func (cg *envCgroup) start(cmd *exec.Cmd) error {
	if cg.kind == memoryCgroup2 {
		fd, err := syscall.Open(cg.dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("%w: open %s: %w", errCgroupPlacement, cg.dir, err)
		}
		defer syscall.Close(fd)
		cmd.SysProcAttr.UseCgroupFD = true
		cmd.SysProcAttr.CgroupFD = fd
		return cmd.Start()
	}
	// cgroup v1 has no clone-into-cgroup. A child starts in the cgroups of the thread that
	// forks it, so a thread of ceap's own joins the environment's cgroup, forks there and goes
	// home. The thread is never unlocked: it ends with this goroutine and runs nothing else, so
	// whatever happens, no other work of ceap's runs (or is charged) in the environment's cgroup.
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		tid := strconv.Itoa(syscall.Gettid())
		if err := writeCgroupFile(cg.dir, "tasks", tid); err != nil {
			errc <- fmt.Errorf("%w: %w", errCgroupPlacement, err)
			return
		}
		err := cmd.Start()
		_ = writeCgroupFile(cg.home, "tasks", tid)
		errc <- err
	}()
	return <-errc
}

// peakMB returns the environment's peak memory use in MiB, rounded up.
func (cg *envCgroup) peakMB() (int, bool) {
	if cg.peak == nil {
		return 0, false
	}
	var buf [32]byte
	n, err := cg.peak.ReadAt(buf[:], 0)
	if n == 0 && err != nil {
		return 0, false
	}
	v, err := strconv.ParseInt(string(bytes.TrimSpace(buf[:n])), 10, 64)
	if err != nil {
		return 0, false
	}
	return int((v + 1<<20 - 1) >> 20), true
}

// oomKilled reports whether the kernel killed a process of the environment for exceeding its
// memory limit.
func (cg *envCgroup) oomKilled() bool {
	name := "memory.oom_control"
	if cg.kind == memoryCgroup2 {
		name = "memory.events"
	}
	b, err := os.ReadFile(filepath.Join(cg.dir, name))
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "oom_kill "); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			return err == nil && n > 0
		}
	}
	return false
}

// remove kills what is left in the cgroup and removes it.
func (cg *envCgroup) remove() {
	if cg.peak != nil {
		_ = cg.peak.Close()
	}
	removeCgroup(cg.dir)
}

// removeCgroup kills the processes left in a cgroup and removes it, waiting (briefly, bounded)
// for the kernel to finish tearing them down.
func removeCgroup(dir string) {
	for range cgroupRemoveTries {
		err := os.Remove(dir)
		if err == nil || errors.Is(err, fs.ErrNotExist) {
			return
		}
		if b, rerr := os.ReadFile(filepath.Join(dir, "cgroup.procs")); rerr == nil {
			for _, f := range strings.Fields(string(b)) {
				// ceap's own pid shows while its forking thread is still on its way out.
				if pid, err := strconv.Atoi(f); err == nil && pid != os.Getpid() {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		}
		time.Sleep(cgroupRemoveWait)
	}
}

// logMemoryControl says once, at startup, how memory limits are enforced.
func logMemoryControl(log *slog.Logger, mc *memoryControl, err error) {
	if mc == nil {
		log.Warn("function_memory_not_enforced", "reason", err)
		return
	}
	log.Debug("function_memory_enforced", "cgroup", mc.kind, "dir", mc.dir)
}
