// Package jobs owns Glue jobs and their runs. A pythonshell job runs its script (from S3 or a
// local path) with python3 as a local process, with the arguments as Glue passes them; its stdout
// goes to /aws-glue/jobs/output and its stderr to /aws-glue/jobs/error, in a stream named after
// the run. Runs move through STARTING, RUNNING, STOPPING and end SUCCEEDED, FAILED, TIMEOUT or
// STOPPED; the node that runs one holds a lease on it, and a run whose node died is failed by the
// next node that notices.
//
// It keeps its data through store.JobStore, knows nothing of HTTP, and must never import the api
// or protocol packages. glueetl and streaming jobs need Spark: they run only when a Spark submit
// command is configured.
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/clock"
	"github.com/ceap/ceap/internal/logs"
	"github.com/ceap/ceap/internal/metrics"
	"github.com/ceap/ceap/internal/store"
)

// Glue limits and defaults.
const (
	// DefaultTimeout is a job's timeout when none is set (2,880 minutes).
	DefaultTimeout = 2880
	// DefaultMaxConcurrentRuns is a job's MaxConcurrentRuns when none is set (1).
	DefaultMaxConcurrentRuns = 1
	// MaxNameLength is the longest job name (255).
	MaxNameLength = 255
	// MaxJobsPage is the largest page of GetJobs and ListJobs (1,000).
	MaxJobsPage = 1000
	// MaxRunsPage is the largest page of GetJobRuns (200).
	MaxRunsPage = 200
	// leaseFor is how long a run's lease lasts; the running node renews it every leaseFor/3.
	leaseFor = 30 * time.Second
	// OutputGroup is the log group of runs' standard output.
	OutputGroup = "/aws-glue/jobs/output"
	// ErrorGroup is the log group of runs' standard error.
	ErrorGroup = "/aws-glue/jobs/error"
)

// Run states.
const (
	Starting  = "STARTING"
	Running   = "RUNNING"
	Stopping  = "STOPPING"
	Stopped   = "STOPPED"
	Succeeded = "SUCCEEDED"
	Failed    = "FAILED"
	Timeout   = "TIMEOUT"
)

var activeStates = []string{Starting, Running, Stopping}

// namePattern is Glue's pattern for job names (single-line string).
var namePattern = regexp.MustCompile(`^[\x{0020}-\x{D7FF}\x{E000}-\x{FFFD}\x{10000}-\x{10FFFF}\t]+$`)

// LogWriter is where run output goes (the logs service).
type LogWriter interface {
	Put(ctx context.Context, account, group, stream string, events []logs.Event) error
}

// ScriptFetcher reads scripts named by s3:// locations (the objects service).
type ScriptFetcher interface {
	Fetch(ctx context.Context, account, bucket, key, version string) ([]byte, error)
}

// Config configures the service. The zero value of every field but Store and Dir means its
// default.
type Config struct {
	Store store.JobStore
	// Dir holds the scripts of runs while they run.
	Dir     string
	Clock   clock.Clock
	Log     *slog.Logger
	Region  string
	Logs    LogWriter
	Scripts ScriptFetcher
	Metrics *metrics.Recorder
	// Python names the interpreter of pythonshell jobs (default python3).
	Python string
	// SparkSubmit, when set, is the command that runs glueetl scripts (e.g. ["spark-submit"]).
	SparkSubmit []string
	// Endpoint is given to runs as AWS_ENDPOINT_URL.
	Endpoint    string
	Credentials func(account string) (accessKey, secret string)
	// Node names this node in run leases (default a random id).
	Node string
}

// Service is the Glue jobs service.
type Service struct {
	cfg   Config
	st    store.JobStore
	clock clock.Clock
	log   *slog.Logger
	node  string

	mu      sync.Mutex
	running map[string]*run // by account/job/run id
	waiters map[string][]chan struct{}
	pyOnce  sync.Once
	pyExe   string

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New returns the service.
func New(cfg Config) *Service {
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Python == "" {
		cfg.Python = "python3"
	}
	node := cfg.Node
	if node == "" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		node = hex.EncodeToString(b[:])
	}
	lg := cfg.Log
	if lg == nil {
		lg = slog.Default()
	}
	s := &Service{cfg: cfg, st: cfg.Store, clock: clock.Or(cfg.Clock), log: lg.With("component", "jobs"), node: node,
		running: map[string]*run{}, waiters: map[string][]chan struct{}{}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// Command is a job's command.
type Command struct {
	Name           string `json:"Name"`
	ScriptLocation string `json:"ScriptLocation"`
	PythonVersion  string `json:"PythonVersion,omitempty"`
	Runtime        string `json:"Runtime,omitempty"`
}

// Job is a job definition. Fields that ceap stores but does not act on (connections, security
// configuration, notification properties, ...) are kept in Extra as the client sent them.
type Job struct {
	Name              string            `json:"Name"`
	Description       string            `json:"Description,omitempty"`
	Role              string            `json:"Role"`
	Command           Command           `json:"Command"`
	DefaultArguments  map[string]string `json:"DefaultArguments,omitempty"`
	NonOverridable    map[string]string `json:"NonOverridableArguments,omitempty"`
	MaxConcurrentRuns int               `json:"MaxConcurrentRuns"`
	MaxRetries        int               `json:"MaxRetries"`
	Timeout           int               `json:"Timeout"`
	MaxCapacity       *float64          `json:"MaxCapacity,omitempty"`
	WorkerType        string            `json:"WorkerType,omitempty"`
	NumberOfWorkers   *int              `json:"NumberOfWorkers,omitempty"`
	GlueVersion       string            `json:"GlueVersion,omitempty"`
	Tags              map[string]string `json:"Tags,omitempty"`
	Extra             map[string]any    `json:"Extra,omitempty"`
	Created           time.Time         `json:"-"`
	Modified          time.Time         `json:"-"`
}

func entityNotFound(format string, args ...any) error {
	return awserr.New("EntityNotFoundException", format, args...)
}

func invalidInput(format string, args ...any) error {
	return awserr.New("InvalidInputException", format, args...)
}

func checkJob(j *Job) error {
	if j.Name == "" || len(j.Name) > MaxNameLength || !namePattern.MatchString(j.Name) {
		return invalidInput("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\t]*", j.Name)
	}
	if j.Role == "" {
		return invalidInput("Role is required.")
	}
	if j.Command.Name == "" {
		j.Command.Name = "glueetl"
	}
	if j.Command.ScriptLocation == "" {
		return invalidInput("ScriptLocation is required.")
	}
	if j.Timeout < 0 {
		return invalidInput("Timeout must be positive.")
	}
	if j.MaxConcurrentRuns < 0 {
		return invalidInput("MaxConcurrentRuns must be positive.")
	}
	return nil
}

// CreateJob creates a job.
func (s *Service) CreateJob(ctx context.Context, account string, j *Job) error {
	if err := checkJob(j); err != nil {
		return err
	}
	if j.Timeout == 0 {
		j.Timeout = DefaultTimeout
	}
	if j.MaxConcurrentRuns == 0 {
		j.MaxConcurrentRuns = DefaultMaxConcurrentRuns
	}
	spec, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("encode job: %w", err)
	}
	now := s.clock.Now().UnixMilli()
	err = s.st.JobCreate(ctx, &store.JobCreateParams{Row: &store.JobRow{Account: account, Name: j.Name, Spec: spec, Created: now, Modified: now}})
	if errors.Is(err, store.ErrAlreadyExists) {
		return awserr.New("AlreadyExistsException", "%s already exists.", j.Name)
	}
	if err != nil {
		return fmt.Errorf("create job %q: %w", j.Name, err)
	}
	return nil
}

func decodeJob(row *store.JobRow) (*Job, error) {
	var j Job
	if err := json.Unmarshal(row.Spec, &j); err != nil {
		return nil, fmt.Errorf("decode job %q: %w", row.Name, err)
	}
	j.Created, j.Modified = time.UnixMilli(row.Created).UTC(), time.UnixMilli(row.Modified).UTC()
	return &j, nil
}

// GetJob returns a job.
func (s *Service) GetJob(ctx context.Context, account, name string) (*Job, error) {
	row, err := s.st.JobGet(ctx, &store.JobGetParams{Account: account, Name: name})
	if errors.Is(err, store.ErrNotFound) {
		return nil, entityNotFound("Job %s not found", name)
	}
	if err != nil {
		return nil, fmt.Errorf("get job %q: %w", name, err)
	}
	return decodeJob(row)
}

// GetJobs returns a page of jobs and the token of the next.
func (s *Service) GetJobs(ctx context.Context, account, token string, max int) ([]*Job, string, error) {
	if max <= 0 || max > MaxJobsPage {
		max = MaxJobsPage
	}
	rows, err := s.st.JobList(ctx, &store.JobListParams{Account: account, After: token, Limit: max + 1})
	if err != nil {
		return nil, "", fmt.Errorf("list jobs: %w", err)
	}
	next := ""
	if len(rows) > max {
		rows = rows[:max]
		next = rows[max-1].Name
	}
	out := make([]*Job, 0, len(rows))
	for _, r := range rows {
		j, err := decodeJob(r)
		if err != nil {
			return nil, "", err
		}
		out = append(out, j)
	}
	return out, next, nil
}

// UpdateJob replaces a job's definition (the name stays).
func (s *Service) UpdateJob(ctx context.Context, account, name string, j *Job) error {
	old, err := s.GetJob(ctx, account, name)
	if err != nil {
		return err
	}
	j.Name = name
	if err := checkJob(j); err != nil {
		return err
	}
	if j.Timeout == 0 {
		j.Timeout = DefaultTimeout
	}
	if j.MaxConcurrentRuns == 0 {
		j.MaxConcurrentRuns = DefaultMaxConcurrentRuns
	}
	j.Tags = old.Tags
	spec, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("encode job: %w", err)
	}
	err = s.st.JobUpdate(ctx, &store.JobUpdateParams{Row: &store.JobRow{Account: account, Name: name, Spec: spec, Modified: s.clock.Now().UnixMilli()}})
	if errors.Is(err, store.ErrNotFound) {
		return entityNotFound("Job %s not found", name)
	}
	return err
}

// DeleteJob deletes a job and its runs; deleting a missing job succeeds, as in Glue.
func (s *Service) DeleteJob(ctx context.Context, account, name string) error {
	err := s.st.JobDelete(ctx, &store.JobGetParams{Account: account, Name: name})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("delete job %q: %w", name, err)
	}
	return nil
}

// ListJobs returns job names, optionally only those carrying all of tags.
func (s *Service) ListJobs(ctx context.Context, account, token string, max int, tags map[string]string) ([]string, string, error) {
	jobs, next, err := s.GetJobs(ctx, account, token, max)
	if err != nil {
		return nil, "", err
	}
	var names []string
outer:
	for _, j := range jobs {
		for k, v := range tags {
			if j.Tags[k] != v {
				continue outer
			}
		}
		names = append(names, j.Name)
	}
	return names, next, nil
}

// JobRun is one run as GetJobRun shows it.
type JobRun struct {
	ID              string
	JobName         string
	State           string
	Arguments       map[string]string
	ErrorMessage    string
	Attempt         int
	PreviousRunID   string
	Started         time.Time
	Modified        time.Time
	Completed       time.Time
	ExecutionTime   int64
	Timeout         int
	MaxCapacity     *float64
	WorkerType      string
	NumberOfWorkers *int
	GlueVersion     string
	LogGroupName    string
}

// runSpec is what a run row holds besides its state.
type runSpec struct {
	Arguments       map[string]string `json:"arguments"`
	Timeout         int               `json:"timeout"`
	MaxCapacity     *float64          `json:"maxCapacity,omitempty"`
	WorkerType      string            `json:"workerType,omitempty"`
	NumberOfWorkers *int              `json:"numberOfWorkers,omitempty"`
	GlueVersion     string            `json:"glueVersion,omitempty"`
	Attempt         int               `json:"attempt"`
	PreviousRunID   string            `json:"previousRunId,omitempty"`
}

func toRun(r *store.JobRunRow) (*JobRun, error) {
	var sp runSpec
	if err := json.Unmarshal(r.Spec, &sp); err != nil {
		return nil, fmt.Errorf("decode run %s: %w", r.ID, err)
	}
	out := &JobRun{ID: r.ID, JobName: r.JobName, State: r.State, Arguments: sp.Arguments, ErrorMessage: r.ErrorMessage,
		Attempt: sp.Attempt, PreviousRunID: sp.PreviousRunID, Started: time.UnixMilli(r.Started).UTC(), Modified: time.UnixMilli(r.Modified).UTC(),
		ExecutionTime: r.ExecutionTime, Timeout: sp.Timeout, MaxCapacity: sp.MaxCapacity, WorkerType: sp.WorkerType,
		NumberOfWorkers: sp.NumberOfWorkers, GlueVersion: sp.GlueVersion, LogGroupName: "/aws-glue/jobs"}
	if r.Completed > 0 {
		out.Completed = time.UnixMilli(r.Completed).UTC()
	}
	return out, nil
}

// StartJobRunInput are the arguments of StartJobRun.
type StartJobRunInput struct {
	JobName         string
	Arguments       map[string]string
	Timeout         int
	MaxCapacity     *float64
	WorkerType      string
	NumberOfWorkers *int
}

// NewRunID returns a Glue run id: jr_ and 64 hex digits.
func NewRunID() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return "jr_" + hex.EncodeToString(b[:])
}

// StartJobRun starts a run of a job: Arguments are merged over the job's DefaultArguments (and
// NonOverridableArguments over both). It answers ConcurrentRunsExceededException when the job
// already has MaxConcurrentRuns active runs.
func (s *Service) StartJobRun(ctx context.Context, account string, in StartJobRunInput) (string, error) {
	j, err := s.GetJob(ctx, account, in.JobName)
	if err != nil {
		return "", err
	}
	if err := s.checkRunnable(j); err != nil {
		return "", err
	}
	args := map[string]string{}
	for k, v := range j.DefaultArguments {
		args[k] = v
	}
	for k, v := range in.Arguments {
		if _, fixed := j.NonOverridable[k]; fixed {
			return "", invalidInput("Argument %s is non-overridable.", k)
		}
		args[k] = v
	}
	for k, v := range j.NonOverridable {
		args[k] = v
	}
	timeout := j.Timeout
	if in.Timeout > 0 {
		timeout = in.Timeout
	}
	sp := runSpec{Arguments: args, Timeout: timeout, MaxCapacity: in.MaxCapacity, WorkerType: in.WorkerType,
		NumberOfWorkers: in.NumberOfWorkers, GlueVersion: j.GlueVersion}
	if sp.MaxCapacity == nil {
		sp.MaxCapacity = j.MaxCapacity
	}
	if sp.WorkerType == "" {
		sp.WorkerType = j.WorkerType
	}
	if sp.NumberOfWorkers == nil {
		sp.NumberOfWorkers = j.NumberOfWorkers
	}
	spec, err := json.Marshal(sp)
	if err != nil {
		return "", fmt.Errorf("encode run: %w", err)
	}
	now := s.clock.Now()
	row := &store.JobRunRow{Account: account, JobName: j.Name, ID: NewRunID(), State: Starting, Spec: spec,
		Started: now.UnixMilli(), Modified: now.UnixMilli(), Owner: s.node, LeaseUntil: now.Add(leaseFor).UnixMilli()}
	err = s.st.JobRunCreate(ctx, &store.JobRunCreateParams{Row: row, MaxActive: j.MaxConcurrentRuns})
	switch {
	case errors.Is(err, store.ErrConflict):
		return "", awserr.New("ConcurrentRunsExceededException", "Concurrent runs exceeded for %s", j.Name)
	case errors.Is(err, store.ErrNotFound):
		return "", entityNotFound("Job %s not found", j.Name)
	case err != nil:
		return "", fmt.Errorf("start run of %q: %w", j.Name, err)
	}
	s.launch(account, j, row, sp)
	return row.ID, nil
}

func (s *Service) checkRunnable(j *Job) error {
	switch j.Command.Name {
	case "pythonshell":
		return nil
	case "glueetl", "gluestreaming", "glueray":
		if len(s.cfg.SparkSubmit) > 0 && j.Command.Name == "glueetl" {
			return nil
		}
		return invalidInput("Job %s has command %s, which needs Spark; ceap runs glueetl scripts only when a Spark submit command is configured. Use a pythonshell job instead.", j.Name, j.Command.Name)
	}
	return invalidInput("Unknown job command %s.", j.Command.Name)
}

// GetJobRun returns one run.
func (s *Service) GetJobRun(ctx context.Context, account, jobName, runID string) (*JobRun, error) {
	r, err := s.st.JobRunGet(ctx, &store.JobRunGetParams{Account: account, JobName: jobName, ID: runID})
	if errors.Is(err, store.ErrNotFound) {
		if _, jerr := s.GetJob(ctx, account, jobName); jerr != nil {
			return nil, jerr
		}
		return nil, entityNotFound("Job Run %s not found", runID)
	}
	if err != nil {
		return nil, fmt.Errorf("get run %s: %w", runID, err)
	}
	return toRun(r)
}

// GetJobRuns returns a job's runs, newest first, and the token of the next page.
func (s *Service) GetJobRuns(ctx context.Context, account, jobName, token string, max int) ([]*JobRun, string, error) {
	if _, err := s.GetJob(ctx, account, jobName); err != nil {
		return nil, "", err
	}
	if max <= 0 || max > MaxRunsPage {
		max = MaxRunsPage
	}
	p := &store.JobRunListParams{Account: account, JobName: jobName, Limit: max + 1}
	if token != "" {
		ts, id, ok := strings.Cut(token, "/")
		if !ok {
			return nil, "", invalidInput("Invalid NextToken.")
		}
		fmt.Sscan(ts, &p.BeforeStarted)
		p.BeforeID = id
	}
	rows, err := s.st.JobRunList(ctx, p)
	if err != nil {
		return nil, "", fmt.Errorf("list runs of %q: %w", jobName, err)
	}
	next := ""
	if len(rows) > max {
		rows = rows[:max]
		last := rows[max-1]
		next = fmt.Sprintf("%d/%s", last.Started, last.ID)
	}
	out := make([]*JobRun, 0, len(rows))
	for _, r := range rows {
		jr, err := toRun(r)
		if err != nil {
			return nil, "", err
		}
		out = append(out, jr)
	}
	return out, next, nil
}

// StopError is one run that BatchStopJobRun could not stop.
type StopError struct {
	RunID, Code, Message string
}

// BatchStopJobRun asks runs to stop: their state becomes STOPPING and then STOPPED once their
// process has ended.
func (s *Service) BatchStopJobRun(ctx context.Context, account, jobName string, runIDs []string) ([]string, []StopError, error) {
	var ok []string
	var failed []StopError
	for _, id := range runIDs {
		r, err := s.st.JobRunGet(ctx, &store.JobRunGetParams{Account: account, JobName: jobName, ID: id})
		if errors.Is(err, store.ErrNotFound) {
			failed = append(failed, StopError{RunID: id, Code: "EntityNotFoundException", Message: "Job Run " + id + " not found"})
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("get run %s: %w", id, err)
		}
		r.State, r.Modified = Stopping, s.clock.Now().UnixMilli()
		err = s.st.JobRunUpdate(ctx, &store.JobRunUpdateParams{Row: r, IfStates: []string{Starting, Running}})
		if errors.Is(err, store.ErrConflict) {
			failed = append(failed, StopError{RunID: id, Code: "InvalidInputException", Message: "Job Run " + id + " is not in a stoppable state"})
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("stop run %s: %w", id, err)
		}
		s.mu.Lock()
		rn := s.running[runKey(account, jobName, id)]
		s.mu.Unlock()
		if rn != nil {
			rn.stop()
		}
		ok = append(ok, id)
	}
	return ok, failed, nil
}

func runKey(account, job, id string) string { return account + "\x00" + job + "\x00" + id }

// WaitJobRun waits until a run ends (or ctx does) and returns it; Step Functions' .sync
// integration uses it.
func (s *Service) WaitJobRun(ctx context.Context, account, jobName, runID string) (*JobRun, error) {
	for {
		key := runKey(account, jobName, runID)
		ch := make(chan struct{})
		s.mu.Lock()
		s.waiters[key] = append(s.waiters[key], ch)
		s.mu.Unlock()
		jr, err := s.GetJobRun(ctx, account, jobName, runID)
		if err != nil {
			return nil, err
		}
		switch jr.State {
		case Succeeded, Failed, Timeout, Stopped:
			return jr, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-ch:
		case <-s.clock.After(2 * time.Second):
			// Runs on other nodes end without waking this one; look again.
		}
	}
}

func (s *Service) wake(key string) {
	s.mu.Lock()
	ws := s.waiters[key]
	delete(s.waiters, key)
	s.mu.Unlock()
	for _, ch := range ws {
		close(ch)
	}
}

// Start fails the runs of nodes that died (their lease ended) and keeps doing so until Stop.
func (s *Service) Start(ctx context.Context) error {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			if err := s.reapStale(s.ctx); err != nil && s.ctx.Err() == nil {
				s.log.Warn("stale_run_sweep_failed", "err", err)
			}
			select {
			case <-s.ctx.Done():
				return
			case <-s.clock.After(leaseFor):
			}
		}
	}()
	return nil
}

// Stop stops this node's runs and its background work.
func (s *Service) Stop(ctx context.Context) error {
	s.mu.Lock()
	runs := make([]*run, 0, len(s.running))
	for _, r := range s.running {
		runs = append(runs, r)
	}
	s.mu.Unlock()
	for _, r := range runs {
		r.abort()
	}
	s.cancel()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// reapStale ends runs whose node stopped renewing their lease.
func (s *Service) reapStale(ctx context.Context) error {
	stale, err := s.st.JobRunStale(ctx, &store.JobRunStaleParams{Now: s.clock.Now().UnixMilli()})
	if err != nil {
		return err
	}
	for _, r := range stale {
		s.mu.Lock()
		_, mine := s.running[runKey(r.Account, r.JobName, r.ID)]
		s.mu.Unlock()
		if mine {
			continue
		}
		now := s.clock.Now()
		if r.State == Stopping {
			r.State = Stopped
		} else {
			r.State, r.ErrorMessage = Failed, "The run's ceap node stopped before the run ended."
		}
		r.Modified, r.Completed = now.UnixMilli(), now.UnixMilli()
		r.ExecutionTime = (r.Completed - r.Started) / 1000
		if err := s.st.JobRunUpdate(ctx, &store.JobRunUpdateParams{Row: r, IfStates: activeStates}); err != nil && !errors.Is(err, store.ErrConflict) {
			return err
		}
		s.wake(runKey(r.Account, r.JobName, r.ID))
	}
	return nil
}

// sortedArgs returns a run's arguments as Glue passes them on the command line.
func sortedArgs(args map[string]string) []string {
	keys := make([]string, 0, len(args))
	for k := range args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		name := k
		if !strings.HasPrefix(name, "--") {
			name = "--" + name
		}
		out = append(out, name, args[k])
	}
	return out
}
