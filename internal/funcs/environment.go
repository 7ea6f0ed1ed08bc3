package funcs

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/ceap/ceap/internal/clock"
)

// InitTimeout is Lambda's limit on an on-demand environment's init phase (10 seconds).
const InitTimeout = 10 * time.Second

// Error types of invocation failures that ceap itself detects, as Lambda names them.
const (
	errTypeTimeout          = "Sandbox.Timedout"
	errTypeExit             = "Runtime.ExitError"
	errTypeResponseTooLarge = "Function.ResponseSizeTooLarge"
	errTypeEntrypoint       = "Runtime.InvalidEntrypoint"
	errTypeOutOfMemory      = "Runtime.OutOfMemory"
)

// Spec is everything an environment needs to run one version of a function.
type Spec struct {
	Account string
	Region  string
	// Name is the function name; Version is "$LATEST" or a published version number.
	Name    string
	Version string
	// ARN is the ARN the caller invoked (qualified or not), handed to the runtime.
	ARN      string
	Runtime  string
	Handler  string
	CodeDir  string
	Timeout  time.Duration
	MemoryMB int
	// Environment holds the function's own variables.
	Environment map[string]string
	// Revision changes whenever code or configuration change, so warm environments of an older
	// revision are not reused.
	Revision string
}

// LogGroup returns the function's log group, /aws/lambda/<name>.
func (s *Spec) LogGroup() string { return "/aws/lambda/" + s.Name }

// invocation is one request handed to an environment.
type invocation struct {
	id            string
	arn           string
	traceID       string
	clientContext string
	payload       []byte
	// tail asks for the last 4 KB of the invocation's log.
	tail      bool
	deadline  time.Time
	delivered chan time.Time
	// completed is guarded by the environment's mu: set once by whoever ends the invocation.
	completed bool
	done      chan struct{}
	result    []byte
	isError   bool
}

func (inv *invocation) finish(result []byte, isError bool) {
	inv.result, inv.isError = result, isError
	close(inv.done)
}

// outcome is what one invocation produced.
type outcome struct {
	payload       []byte
	functionError bool
	// broken means the environment may not be used again.
	broken bool
	// errorType is the error that ceap itself detected (a timeout, an exit), for REPORT.
	errorType string
	logTail   string
	duration  time.Duration
}

// environment is one running instance of a function's runtime: a local process and the Runtime
// API endpoint it polls. It runs one invocation at a time.
type environment struct {
	spec   *Spec
	clock  clock.Clock
	stream string

	ln     net.Listener
	srv    *http.Server
	cmd    *exec.Cmd
	output *output
	// cgroup limits the environment's memory; nil when this machine cannot enforce it.
	cgroup *envCgroup
	// status is the runtime's /proc/<pid>/status, kept open to read its peak RSS when there
	// is no cgroup to read it from.
	status *os.File
	// deadline is the environment's one timer, set for each invocation.
	deadline *time.Timer

	pending  chan *invocation
	stopping chan struct{}
	stopOnce sync.Once
	exited   chan struct{}
	exitErr  error
	// oomKilled and exitPeakMB are read from the cgroup when the runtime exits, before it is
	// removed.
	oomKilled  bool
	exitPeakMB int
	ready      chan struct{}
	readyOnce  sync.Once
	initFailed chan struct{}

	started time.Time

	mu           sync.Mutex
	current      *invocation
	initError    []byte
	lastUsed     time.Time
	initDuration time.Duration
	coldReported bool
}

// entrypointError reports a runtime that could not be started (a missing or non-executable
// bootstrap); Lambda answers it as the function's Runtime.InvalidEntrypoint error.
type entrypointError struct{ err error }

func (e *entrypointError) Error() string { return "start runtime: " + e.err.Error() }

func (e *entrypointError) Unwrap() error { return e.err }

// launch describes how to start a runtime: the command and the variables that AWS sets.
type launch struct {
	argv []string
	env  []string
}

// startEnvironment starts the runtime process and its Runtime API endpoint.
func startEnvironment(spec *Spec, l launch, c clock.Clock, mc *memoryControl, sink func(stream string, lines []LogLine)) (*environment, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the runtime API of %q: %w", spec.Name, err)
	}
	e := &environment{
		spec:       spec,
		clock:      c,
		stream:     logStreamName(c.Now(), spec.Version),
		ln:         ln,
		pending:    make(chan *invocation, 1),
		stopping:   make(chan struct{}),
		exited:     make(chan struct{}),
		ready:      make(chan struct{}),
		initFailed: make(chan struct{}),
		started:    c.Now(),
	}
	if _, real := c.(clock.Real); real {
		e.deadline = time.NewTimer(time.Hour)
		e.deadline.Stop()
	}
	e.srv = &http.Server{Handler: e, ReadHeaderTimeout: InitTimeout}

	r, w, err := os.Pipe()
	if err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("create output pipe for %q: %w", spec.Name, err)
	}
	e.output, err = newOutput(r, c, func(lines []LogLine) { sink(e.stream, lines) })
	if err != nil {
		_ = r.Close()
		_ = w.Close()
		_ = ln.Close()
		return nil, fmt.Errorf("watch output pipe for %q: %w", spec.Name, err)
	}
	go func() { _ = e.srv.Serve(ln) }()
	env := append(l.env, "AWS_LAMBDA_RUNTIME_API="+ln.Addr().String(), "AWS_LAMBDA_LOG_STREAM_NAME="+e.stream)
	cmd := exec.Command(l.argv[0], l.argv[1:]...)
	cmd.Dir = spec.CodeDir
	cmd.Env = env
	cmd.Stdout = w
	cmd.Stderr = w
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	e.output.write(fmt.Sprintf("INIT_START Runtime Version: %s\tRuntime Version ARN: arn:aws:lambda:%s::runtime:ceap", spec.Runtime, spec.Region))
	if mc != nil {
		if e.cgroup, err = mc.newEnvCgroup(spec.MemoryMB); err != nil {
			_ = r.Close()
			_ = w.Close()
			_ = e.srv.Close()
			return nil, fmt.Errorf("start %q: %w", spec.Name, err)
		}
		err = e.cgroup.start(cmd)
	} else {
		err = cmd.Start()
	}
	if err != nil {
		_ = r.Close()
		_ = w.Close()
		_ = e.srv.Close()
		if e.cgroup != nil {
			e.cgroup.remove()
		}
		if errors.Is(err, errCgroupPlacement) {
			return nil, fmt.Errorf("start %q: %w", spec.Name, err)
		}
		return nil, &entrypointError{err: err}
	}
	_ = w.Close()
	e.cmd = cmd
	if e.cgroup == nil || e.cgroup.peak == nil {
		e.status, _ = os.Open(filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "status"))
	}
	go e.output.run()
	go func() {
		e.exitErr = cmd.Wait()
		if e.cgroup != nil {
			e.oomKilled = e.cgroup.oomKilled()
			e.exitPeakMB, _ = e.cgroup.peakMB()
			e.cgroup.remove()
		}
		if e.status != nil {
			_ = e.status.Close()
		}
		close(e.exited)
	}()
	return e, nil
}

// logStreamName is Lambda's stream name: 2006/01/02/[version]<32 hex digits>.
func logStreamName(now time.Time, version string) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("2006/01/02") + "/[" + version + "]" + hex.EncodeToString(b[:])
}

func (e *environment) markReady() {
	e.readyOnce.Do(func() {
		e.mu.Lock()
		e.initDuration = e.clock.Now().Sub(e.started)
		e.mu.Unlock()
		close(e.ready)
	})
}

// stop kills the runtime and its children and closes the endpoint.
func (e *environment) stop() {
	e.stopOnce.Do(func() {
		close(e.stopping)
		if e.cmd != nil && e.cmd.Process != nil {
			_ = syscall.Kill(-e.cmd.Process.Pid, syscall.SIGKILL)
		}
		_ = e.srv.Close()
	})
	<-e.exited
}

// formatSeconds renders a duration as Lambda does in timeout messages: 3.00.
func formatSeconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 2, 64)
}

// invoke runs one invocation to its end: a response, a function error, a timeout, or the
// runtime's exit.
func (e *environment) invoke(ctx context.Context, inv *invocation) (outcome, error) {
	inv.delivered = make(chan time.Time, 1)
	inv.done = make(chan struct{})
	e.output.begin("START RequestId: "+inv.id+" Version: "+e.spec.Version, inv.tail)
	e.pending <- inv

	var out outcome
	var deliveredAt time.Time
	var initTimer <-chan time.Time
	select {
	case <-e.ready:
	default:
		initTimer = e.clock.After(InitTimeout)
	}
	select {
	case deliveredAt = <-inv.delivered:
	case <-e.initFailed:
		e.mu.Lock()
		out.payload = e.initError
		e.mu.Unlock()
		out.functionError, out.broken = true, true
	case <-e.exited:
		out = e.exitOutcome(inv)
	case <-initTimer:
		out = e.timeoutOutcome(inv, InitTimeout)
	case <-ctx.Done():
		e.abandon(inv)
		return outcome{broken: true}, ctx.Err()
	}
	if !deliveredAt.IsZero() {
		timer := e.setDeadline(inv.deadline.Sub(e.clock.Now()))
		select {
		case <-inv.done:
			out.payload, out.functionError = inv.result, inv.isError
		case <-timer:
			out = e.timeoutOutcome(inv, e.spec.Timeout)
		case <-e.exited:
			out = e.exitOutcome(inv)
		case <-ctx.Done():
			e.stopDeadline()
			e.abandon(inv)
			return outcome{broken: true}, ctx.Err()
		}
		e.stopDeadline()
		out.duration = e.clock.Now().Sub(deliveredAt)
	}
	e.finishLog(inv, &out)
	e.mu.Lock()
	e.lastUsed = e.clock.Now()
	e.mu.Unlock()
	return out, nil
}

// setDeadline arms the environment's timer (a fake clock's timer in tests).
func (e *environment) setDeadline(d time.Duration) <-chan time.Time {
	if e.deadline == nil {
		return e.clock.After(d)
	}
	e.deadline.Reset(d)
	return e.deadline.C
}

func (e *environment) stopDeadline() {
	if e.deadline != nil {
		e.deadline.Stop()
	}
}

// abandon ends an invocation whose caller has gone away; the environment cannot be trusted after.
func (e *environment) abandon(inv *invocation) {
	e.mu.Lock()
	inv.completed = true
	e.mu.Unlock()
	e.output.end()
	e.stop()
}

func (e *environment) timeoutOutcome(inv *invocation, limit time.Duration) outcome {
	e.mu.Lock()
	already := inv.completed
	inv.completed = true
	e.mu.Unlock()
	if already {
		// The response arrived as the timer fired; it wins.
		<-inv.done
		return outcome{payload: inv.result, functionError: inv.isError}
	}
	e.output.drain()
	msg := "Task timed out after " + formatSeconds(limit) + " seconds"
	e.output.write(e.clock.Now().UTC().Format("2006-01-02T15:04:05.000Z") + " " + inv.id + " " + msg)
	e.stop()
	return outcome{
		payload:       functionErrorPayload(errTypeTimeout, "RequestId: "+inv.id+" Error: "+msg),
		functionError: true,
		broken:        true,
		errorType:     errTypeTimeout,
	}
}

func (e *environment) exitOutcome(inv *invocation) outcome {
	e.mu.Lock()
	already := inv.completed
	inv.completed = true
	initErr := e.initError
	e.mu.Unlock()
	if already {
		<-inv.done
		return outcome{payload: inv.result, functionError: inv.isError, broken: true}
	}
	<-e.output.doneRun
	if initErr != nil {
		return outcome{payload: initErr, functionError: true, broken: true}
	}
	reason := "Runtime exited without providing a reason"
	if e.exitErr != nil {
		reason = "Runtime exited with error: " + e.exitErr.Error()
	}
	errType := errTypeExit
	if e.oomKilled {
		errType = errTypeOutOfMemory
	}
	msg := "RequestId: " + inv.id + " Error: " + reason
	e.output.write(msg, errType)
	return outcome{payload: functionErrorPayload(errType, msg), functionError: true, broken: true, errorType: errType}
}

// finishLog writes END and REPORT and collects the tail.
func (e *environment) finishLog(inv *invocation, out *outcome) {
	us := out.duration.Microseconds()
	billed := max(1, (us+999)/1000)
	b := make([]byte, 0, 192)
	b = append(b, "REPORT RequestId: "...)
	b = append(b, inv.id...)
	b = append(b, "\tDuration: "...)
	b = appendMillis(b, us)
	b = append(b, " ms\tBilled Duration: "...)
	b = strconv.AppendInt(b, billed, 10)
	b = append(b, " ms\tMemory Size: "...)
	b = strconv.AppendInt(b, int64(e.spec.MemoryMB), 10)
	b = append(b, " MB\tMax Memory Used: "...)
	b = strconv.AppendInt(b, int64(e.maxMemoryMB()), 10)
	b = append(b, " MB"...)
	e.mu.Lock()
	cold, initDuration := !e.coldReported, e.initDuration
	e.coldReported = true
	e.mu.Unlock()
	if cold {
		b = append(b, "\tInit Duration: "...)
		b = appendMillis(b, initDuration.Microseconds())
		b = append(b, " ms"...)
	}
	if out.broken && out.functionError {
		switch out.errorType {
		case errTypeTimeout:
			b = append(b, "\tStatus: timeout"...)
		case "":
			b = append(b, "\tStatus: error"...)
		default:
			b = append(b, "\tStatus: error\tError Type: "...)
			b = append(b, out.errorType...)
		}
	}
	e.output.write("END RequestId: "+inv.id, string(b))
	out.logTail = e.output.end()
}

// appendMillis appends microseconds as milliseconds with two decimals, as REPORT lines show them.
func appendMillis(b []byte, us int64) []byte {
	return strconv.AppendFloat(b, float64(us)/1000, 'f', 2, 64)
}

// maxMemoryMB returns the environment's peak memory: its cgroup's peak usage, which Lambda
// never reports above the memory size (the kernel may account a few pages past the limit as it
// kills), or the runtime process's peak resident set when there is no cgroup.
func (e *environment) maxMemoryMB() int {
	select {
	case <-e.exited:
		if e.exitPeakMB > 0 {
			return min(e.exitPeakMB, e.spec.MemoryMB)
		}
	default:
		if e.cgroup != nil {
			if mb, ok := e.cgroup.peakMB(); ok {
				return min(mb, e.spec.MemoryMB)
			}
		}
	}
	if e.status == nil {
		return 0
	}
	var buf [2048]byte
	n, _ := e.status.ReadAt(buf[:], 0)
	return vmHWM(buf[:n])
}

// vmHWM returns the VmHWM line of a /proc/<pid>/status in MiB, rounded up; 0 when absent.
func vmHWM(status []byte) int {
	_, rest, ok := bytes.Cut(status, []byte("VmHWM:"))
	if !ok {
		return 0
	}
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	kb, err := strconv.Atoi(string(bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(line), []byte("kB")))))
	if err != nil {
		return 0
	}
	return (kb + 1023) / 1024
}
