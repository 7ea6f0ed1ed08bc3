package jobs

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ceap/ceap/internal/logs"
	"github.com/ceap/ceap/internal/metrics"
	"github.com/ceap/ceap/internal/store"
)

// run is one run's process on this node.
type run struct {
	mu       sync.Mutex
	cmd      *exec.Cmd
	stopped  bool
	timeout  bool
	shutdown bool
}

// stop kills the run's process group (the run ends STOPPED).
func (r *run) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = true
	if r.cmd != nil && r.cmd.Process != nil {
		_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
	}
}

// abort kills the run's process because this node is stopping (the run ends FAILED).
func (r *run) abort() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.shutdown = true
	if r.cmd != nil && r.cmd.Process != nil {
		_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
	}
}

func (r *run) kill(timeout bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.timeout = timeout
	if r.cmd != nil && r.cmd.Process != nil {
		_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
	}
}

// launch runs a run in the background on this node.
func (s *Service) launch(account string, j *Job, row *store.JobRunRow, sp runSpec) {
	key := runKey(account, j.Name, row.ID)
	rn := &run{}
	s.mu.Lock()
	s.running[key] = rn
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() {
			s.mu.Lock()
			delete(s.running, key)
			s.mu.Unlock()
			s.wake(key)
		}()
		s.execute(account, j, row, sp, rn)
	}()
}

// execute runs the script to its end and records the outcome.
func (s *Service) execute(account string, j *Job, row *store.JobRunRow, sp runSpec, rn *run) {
	ctx := s.ctx
	dir := filepath.Join(s.cfg.Dir, "runs", row.ID)
	defer os.RemoveAll(dir)
	argv, env, err := s.command(ctx, account, j, row, sp, dir)
	if err != nil {
		s.finish(ctx, row, Failed, err.Error())
		return
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err1 := cmd.StdoutPipe()
	stderr, err2 := cmd.StderrPipe()
	if err := errors.Join(err1, err2); err != nil {
		s.finish(ctx, row, Failed, "could not start the job: "+err.Error())
		return
	}
	rn.mu.Lock()
	stoppedEarly, shutdown := rn.stopped, rn.shutdown
	if !stoppedEarly && !shutdown {
		err = cmd.Start()
		rn.cmd = cmd
	}
	rn.mu.Unlock()
	switch {
	case stoppedEarly:
		s.finish(ctx, row, Stopped, "")
		return
	case shutdown:
		s.finish(ctx, row, Failed, "The ceap node stopped while the run was in progress.")
		return
	}
	if err != nil {
		s.finish(ctx, row, Failed, "could not start the job: "+err.Error())
		return
	}
	row.State, row.Modified = Running, s.clock.Now().UnixMilli()
	if err := s.st.JobRunUpdate(ctx, &store.JobRunUpdateParams{Row: row, IfStates: []string{Starting}}); err != nil && !errors.Is(err, store.ErrConflict) {
		s.log.Warn("run_state_update_failed", "run_id", row.ID, "err", err)
	}

	var lastErr lastLine
	var pumps sync.WaitGroup
	pumps.Add(2)
	go func() { defer pumps.Done(); s.pump(account, OutputGroup, row.ID, stdout, nil) }()
	go func() { defer pumps.Done(); s.pump(account, ErrorGroup, row.ID, stderr, &lastErr) }()

	done := make(chan error, 1)
	go func() {
		pumps.Wait()
		done <- cmd.Wait()
	}()
	timer := s.clock.After(time.Duration(sp.Timeout) * time.Minute)
	var waitErr error
loop:
	for {
		select {
		case waitErr = <-done:
			break loop
		case <-timer:
			rn.kill(true)
		case <-s.clock.After(leaseFor / 3):
			s.renew(ctx, row, rn)
		}
	}
	rn.mu.Lock()
	stopped, timedOut, shutdown := rn.stopped, rn.timeout, rn.shutdown
	rn.mu.Unlock()
	switch {
	case shutdown && !stopped:
		s.finish(ctx, row, Failed, "The ceap node stopped while the run was in progress.")
	case timedOut:
		s.finish(ctx, row, Timeout, fmt.Sprintf("Job run timed out after %d minutes.", sp.Timeout))
	case stopped:
		s.finish(ctx, row, Stopped, "")
	case waitErr != nil:
		msg := lastErr.get()
		if msg == "" {
			msg = "Command failed with exit code " + exitCode(waitErr)
		}
		s.finish(ctx, row, Failed, msg)
		s.retry(account, j, row, sp)
	default:
		s.finish(ctx, row, Succeeded, "")
	}
}

// retry starts the next attempt of a failed run while the job's MaxRetries allows, as Glue does:
// the new run's id is the first attempt's with _attempt_N, and it names the run it follows.
func (s *Service) retry(account string, j *Job, prev *store.JobRunRow, sp runSpec) {
	if sp.Attempt >= j.MaxRetries || s.ctx.Err() != nil {
		return
	}
	base, _, _ := strings.Cut(prev.ID, "_attempt_")
	next := sp
	next.Attempt, next.PreviousRunID = sp.Attempt+1, prev.ID
	spec, err := json.Marshal(next)
	if err != nil {
		s.log.Error("run_retry_failed", "run_id", prev.ID, "err", err)
		return
	}
	now := s.clock.Now()
	row := &store.JobRunRow{Account: account, JobName: j.Name, ID: fmt.Sprintf("%s_attempt_%d", base, next.Attempt), State: Starting, Spec: spec,
		Started: now.UnixMilli(), Modified: now.UnixMilli(), Owner: s.node, LeaseUntil: now.Add(leaseFor).UnixMilli()}
	if err := s.st.JobRunCreate(s.ctx, &store.JobRunCreateParams{Row: row, MaxActive: max(j.MaxConcurrentRuns, 1)}); err != nil {
		s.log.Warn("run_retry_failed", "run_id", prev.ID, "err", err)
		return
	}
	s.launch(account, j, row, next)
}

func exitCode(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return fmt.Sprint(ee.ExitCode())
	}
	return err.Error()
}

// renew extends the run's lease, and notices a stop asked on another node.
func (s *Service) renew(ctx context.Context, row *store.JobRunRow, rn *run) {
	cur, err := s.st.JobRunGet(ctx, &store.JobRunGetParams{Account: row.Account, JobName: row.JobName, ID: row.ID})
	if err != nil {
		return
	}
	if cur.State == Stopping {
		rn.stop()
		row.State = Stopping
	}
	row.LeaseUntil, row.Modified = s.clock.Now().Add(leaseFor).UnixMilli(), s.clock.Now().UnixMilli()
	if err := s.st.JobRunUpdate(ctx, &store.JobRunUpdateParams{Row: row, IfStates: activeStates}); err != nil && !errors.Is(err, store.ErrConflict) {
		s.log.Warn("run_lease_renew_failed", "run_id", row.ID, "err", err)
	}
}

// finish records a run's final state.
func (s *Service) finish(ctx context.Context, row *store.JobRunRow, state, msg string) {
	now := s.clock.Now()
	row.State, row.ErrorMessage = state, msg
	row.Modified, row.Completed = now.UnixMilli(), now.UnixMilli()
	row.ExecutionTime = (row.Completed - row.Started + 999) / 1000
	row.LeaseUntil = 0
	if err := s.st.JobRunUpdate(context.WithoutCancel(ctx), &store.JobRunUpdateParams{Row: row}); err != nil {
		s.log.Error("run_state_update_failed", "run_id", row.ID, "err", err)
	}
	if m := s.cfg.Metrics; m != nil {
		dims := []metrics.Dimension{{Name: "JobName", Value: row.JobName}, {Name: "JobRunId", Value: "ALL"}, {Name: "Type", Value: "count"}}
		name := "glue.succeed.ALL"
		if state != Succeeded {
			name = "glue.error.ALL"
		}
		m.RecordAt(now, row.Account, "Glue", name, dims, 1, "Count")
		m.RecordAt(now, row.Account, "Glue", "glue.driver.aggregate.elapsedTime", dims, float64(row.Completed-row.Started), "Milliseconds")
	}
}

// command builds the run's command line and environment, fetching an S3 script into dir.
func (s *Service) command(ctx context.Context, account string, j *Job, row *store.JobRunRow, sp runSpec, dir string) ([]string, []string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("create run dir: %w", err)
	}
	script, err := s.script(ctx, account, j.Command.ScriptLocation, dir)
	if err != nil {
		return nil, nil, err
	}
	args := append([]string{"--JOB_ID", "j_" + row.ID[3:19], "--JOB_RUN_ID", row.ID, "--JOB_NAME", j.Name}, sortedArgs(sp.Arguments)...)
	var argv []string
	var extraPath string
	switch j.Command.Name {
	case "pythonshell":
		py := s.python()
		if py == "" {
			return nil, nil, errors.New("python3 was not found on this machine")
		}
		argv = append([]string{py, "-u", script}, args...)
		extraPath = filepath.Dir(py)
	default:
		argv = append(append(append([]string{}, s.cfg.SparkSubmit...), script), args...)
	}
	key, secret := "test", "test"
	if s.cfg.Credentials != nil {
		key, secret = s.cfg.Credentials(account)
	}
	path := "/usr/local/bin:/usr/bin:/bin"
	if extraPath != "" {
		path = extraPath + ":" + path
	}
	env := []string{
		"PATH=" + path, "LANG=en_US.UTF-8", "TZ=UTC", "HOME=" + dir, "PYTHONUNBUFFERED=1",
		"AWS_REGION=" + s.cfg.Region, "AWS_DEFAULT_REGION=" + s.cfg.Region,
		"AWS_ACCESS_KEY_ID=" + key, "AWS_SECRET_ACCESS_KEY=" + secret,
		"GLUE_JOB_NAME=" + j.Name, "GLUE_JOB_RUN_ID=" + row.ID,
	}
	if s.cfg.Endpoint != "" {
		env = append(env, "AWS_ENDPOINT_URL="+s.cfg.Endpoint)
	}
	return argv, env, nil
}

// script returns a local path for a ScriptLocation: an s3:// object copied into dir, or a local
// path (file:// or plain).
func (s *Service) script(ctx context.Context, account, location, dir string) (string, error) {
	if rest, ok := strings.CutPrefix(location, "s3://"); ok {
		bucket, key, _ := strings.Cut(rest, "/")
		if s.cfg.Scripts == nil {
			return "", errors.New("scripts in S3 need the objects service")
		}
		body, err := s.cfg.Scripts.Fetch(ctx, account, bucket, key, "")
		if err != nil {
			return "", fmt.Errorf("could not read the script %s: %v", location, err)
		}
		p := filepath.Join(dir, filepath.Base(key))
		if err := os.WriteFile(p, body, 0o644); err != nil {
			return "", fmt.Errorf("write script: %w", err)
		}
		return p, nil
	}
	p := strings.TrimPrefix(location, "file://")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("could not read the script %s: %v", location, err)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("script path: %w", err)
	}
	return abs, nil
}

// python resolves the interpreter to its real executable, past version-manager shims.
func (s *Service) python() string {
	s.pyOnce.Do(func() {
		py, err := exec.LookPath(s.cfg.Python)
		if err != nil {
			return
		}
		out, err := exec.Command(py, "-c", "import sys; print(sys.executable)").Output()
		if err == nil && len(bytes.TrimSpace(out)) > 0 {
			s.pyExe = string(bytes.TrimSpace(out))
		}
	})
	return s.pyExe
}

// lastLine keeps the last non-blank line of a stream (the error of a failed script).
type lastLine struct {
	mu   sync.Mutex
	line string
}

func (l *lastLine) set(s string) {
	if strings.TrimSpace(s) == "" {
		return
	}
	l.mu.Lock()
	l.line = s
	l.mu.Unlock()
}

func (l *lastLine) get() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.line
}

// pump copies a stream's lines to a log group, in batches.
func (s *Service) pump(account, group, stream string, r io.Reader, last *lastLine) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), logs.MaxEventBytes)
	var batch []logs.Event
	flushed := s.clock.Now()
	flush := func() {
		flushed = s.clock.Now()
		if len(batch) == 0 || s.cfg.Logs == nil {
			batch = batch[:0]
			return
		}
		if err := s.cfg.Logs.Put(context.Background(), account, group, stream, batch); err != nil {
			s.log.Warn("run_log_write_failed", "group", group, "err", err)
		}
		batch = batch[:0]
	}
	for sc.Scan() {
		line := sc.Text()
		if last != nil {
			last.set(line)
		}
		batch = append(batch, logs.Event{Timestamp: s.clock.Now().UnixMilli(), Message: line})
		if len(batch) >= 100 || s.clock.Now().Sub(flushed) >= time.Second {
			flush()
		}
	}
	flush()
}
