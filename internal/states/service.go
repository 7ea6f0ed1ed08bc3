// Package states owns Step Functions: state machines with their definition revisions, versions
// and aliases; activities; Standard executions, durable and resumable on any node; Express
// executions, run in memory with short-lived records; timers; and the registry of task
// integrations that other services plug into.
//
// A Standard execution advances by loading its snapshot, feeding one event to the asl
// interpreter, and writing the new snapshot, the new history events and the new work (tasks,
// timers) in one store write. Work that waits on the outside world is a row in the store, claimed
// with a lease, so a node that dies loses nothing and two nodes never run the same step.
//
// This package must never import net/http, internal/api or internal/protocol, read the wall
// clock (only Config.Clock), or keep package-level state.
package states

import (
	"context"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/ceap/ceap/internal/asl"
	"github.com/ceap/ceap/internal/clock"
	"github.com/ceap/ceap/internal/metrics"
	"github.com/ceap/ceap/internal/store"
)

const (
	// defaultExpressRetention is how long Express execution records stay visible.
	defaultExpressRetention = 24 * time.Hour
	// defaultLease is how long a node holds claimed work before another may take it: short, so
	// that the work a dead node held is taken over within seconds; a long task keeps extending
	// it while it runs.
	defaultLease = 5 * time.Second
	// defaultPoll is the longest the worker sleeps before looking for work other nodes added.
	defaultPoll = time.Second
	// maxActivityPoll is GetActivityTask's long-poll time: AWS holds the request up to 60 s.
	maxActivityPoll = 60 * time.Second
	// expressBatch caps the Express records written in one store call.
	expressBatch = 512
	// expressWriters is how many batches of Express records are encoded and written at once, so
	// that encoding one overlaps the commit of another.
	expressWriters = 4
)

// Caller is the account and region a request acts in.
type Caller struct {
	Account string
	Region  string
}

// Integration performs the Task states whose Resource starts with the prefix it is registered
// under (e.g. "arn:aws:states:::lambda:invoke").
type Integration interface {
	// Invoke runs the task and returns its result. Failures are *fault.Error values (the task's
	// error name and cause); any other error fails the task with States.TaskFailed. For a
	// .waitForTaskToken resource the result is ignored: the execution waits for
	// SendTaskSuccess/SendTaskFailure with call.TaskToken.
	Invoke(ctx context.Context, call *TaskCall) (any, error)
}

// ItemsReader is implemented by integrations that read a Map state's ItemReader.
type ItemsReader interface {
	ReadItems(ctx context.Context, call *TaskCall) ([]any, error)
}

// TaskCall is one task invocation.
type TaskCall struct {
	Caller
	ExecutionARN string
	StateName    string
	// Resource is the Task state's Resource field.
	Resource         string
	Parameters       any
	TaskToken        string
	TimeoutSeconds   int
	HeartbeatSeconds int
	Credentials      any
	// ReaderConfig is set for ItemReader reads.
	ReaderConfig any
}

// LogEvent is one log line for the logs service.
type LogEvent struct {
	Time    time.Time
	Message string
}

// LogSink receives the execution events of state machines whose loggingConfiguration names a
// log group. The server injects the logs service; nil means none.
type LogSink interface {
	Put(ctx context.Context, account, group, stream string, events []LogEvent) error
}

// StatusChange is a Standard execution's move to a new status: the detail of EventBridge's
// "Step Functions Execution Status Change" event.
type StatusChange struct {
	Account         string
	Region          string
	ExecutionARN    string
	StateMachineARN string
	Name            string
	Status          string
	StartDate       time.Time
	StopDate        time.Time
	Input           string
	Output          *string
	Error           string
	Cause           string
	RedriveCount    int
}

// StatusListener hears every status change of Standard executions (started, redriven, and
// each terminal status), after it is committed. It must not block; delivery is at most once.
type StatusListener interface {
	ExecutionStatusChanged(ctx context.Context, c *StatusChange)
}

// Config configures the service; the zero value of each field means its default.
type Config struct {
	Store   store.StateStore
	Clock   clock.Clock
	Metrics *metrics.Recorder
	Log     *slog.Logger
	Logs    LogSink
	// Status, when set, hears the status changes of Standard executions.
	Status StatusListener
	// ExpressRetention is how long Express executions stay visible (default 24 h).
	ExpressRetention time.Duration
	// Node names this node in work leases (default a random id).
	Node string
	// Lease is how long claimed work stays with this node (default 5 s).
	Lease time.Duration
	// Poll is the longest the worker waits before looking for work (default 1 s).
	Poll time.Duration
	// Workers caps the work items performed at once (default 32).
	Workers int
}

// Service is the Step Functions service.
type Service struct {
	cfg  Config
	st   store.StateStore
	clk  clock.Clock
	log  *slog.Logger
	node string

	integrations sync.Map // prefix -> Integration
	prefixes     struct {
		sync.RWMutex
		list []string // longest first
	}
	programs sync.Map // revision ARN -> *asl.Program

	wake      chan struct{}
	actMu     sync.Mutex
	actSignal chan struct{} // closed and replaced when activity tasks are queued

	express *expressRecorder
	codec   codec
	// execLocks serialise this node's advances of one execution (by ARN hash), so that many
	// results for one execution (a Map of tasks) queue instead of failing each other's
	// optimistic version checks. Correctness never rests on them: the version check does.
	execLocks [64]sync.Mutex
	mailMu    sync.Mutex
	mail      map[string]*mailbox // execution ARN -> results waiting for the next advance
	cache     resourceCache

	stopOnce sync.Once
	stop     chan struct{}
	// working is the context of work in flight: a graceful stop lets it finish, and abandon
	// ends it when the stop runs out of time.
	working  context.Context
	abandon  context.CancelFunc
	wakeOnce sync.Once
	endPolls chan struct{} // closed by EndPolls
	wg       sync.WaitGroup
	inflight chan struct{}
}

// New builds the service; background work begins with Start.
func New(cfg Config) *Service {
	cfg.Clock = clock.Or(cfg.Clock)
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.ExpressRetention <= 0 {
		cfg.ExpressRetention = defaultExpressRetention
	}
	if cfg.Node == "" {
		cfg.Node = uuid.NewString()
	}
	if cfg.Lease <= 0 {
		cfg.Lease = defaultLease
	}
	if cfg.Poll <= 0 {
		cfg.Poll = defaultPoll
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 32
	}
	s := &Service{
		cfg: cfg, st: cfg.Store, clk: cfg.Clock, log: cfg.Log, node: cfg.Node,
		wake:      make(chan struct{}, 1),
		actSignal: make(chan struct{}),
		stop:      make(chan struct{}),
		endPolls:  make(chan struct{}),
		mail:      map[string]*mailbox{},
		inflight:  make(chan struct{}, cfg.Workers),
	}
	s.working, s.abandon = context.WithCancel(context.Background())
	s.express = newExpressRecorder(s)
	s.registerBuiltins()
	return s
}

// Register plugs in the integration for Task resources that start with prefix.
func (s *Service) Register(prefix string, in Integration) {
	s.integrations.Store(prefix, in)
	s.prefixes.Lock()
	defer s.prefixes.Unlock()
	for _, p := range s.prefixes.list {
		if p == prefix {
			return
		}
	}
	s.prefixes.list = append(s.prefixes.list, prefix)
	sort.Slice(s.prefixes.list, func(i, j int) bool { return len(s.prefixes.list[i]) > len(s.prefixes.list[j]) })
}

// integration finds the integration registered for a resource (longest prefix wins).
func (s *Service) integration(resource string) (Integration, bool) {
	s.prefixes.RLock()
	defer s.prefixes.RUnlock()
	for _, p := range s.prefixes.list {
		if strings.HasPrefix(resource, p) {
			v, _ := s.integrations.Load(p)
			return v.(Integration), true
		}
	}
	return nil, false
}

// Start begins the worker loop and the Express recorder.
func (s *Service) Start(ctx context.Context) error {
	s.wg.Add(1 + expressWriters)
	go s.workLoop()
	for i := 0; i < expressWriters; i++ {
		go s.express.loop()
	}
	return nil
}

// Stop ends background work, waiting for work in flight and flushing Express records.
func (s *Service) Stop(ctx context.Context) error {
	s.stopOnce.Do(func() { close(s.stop) })
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		// Work in flight did not finish in time: abandon it (its lease runs out and another
		// node, or this one restarted, takes it over).
		s.abandon()
		return ctx.Err()
	}
}

// EndPolls ends every GetActivityTask long poll at once (empty answers) and makes new ones
// return immediately: the server calls it when it begins to shut down, so that long polls never
// hold up a graceful stop.
func (s *Service) EndPolls() {
	s.wakeOnce.Do(func() { close(s.endPolls) })
}

// signalWork wakes the worker loop.
func (s *Service) signalWork() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// signalActivities wakes GetActivityTask pollers.
func (s *Service) signalActivities() {
	s.actMu.Lock()
	close(s.actSignal)
	s.actSignal = make(chan struct{})
	s.actMu.Unlock()
}

func (s *Service) activityWait() <-chan struct{} {
	s.actMu.Lock()
	defer s.actMu.Unlock()
	return s.actSignal
}

// record adds an AWS/States datapoint for a state machine.
func (s *Service) record(account, name, arn string, value float64, unit string) {
	if s.cfg.Metrics == nil {
		return
	}
	dimName := "StateMachineArn"
	if strings.Contains(arn, ":activity:") {
		dimName = "ActivityArn"
	}
	s.cfg.Metrics.Record(account, "AWS/States", name, []metrics.Dimension{{Name: dimName, Value: arn}}, value, unit)
}

// program returns the compiled program of a definition revision, compiling it once.
func (s *Service) program(revisionARN, definition string) (*asl.Program, error) {
	if p, ok := s.programs.Load(revisionARN); ok {
		return p.(*asl.Program), nil
	}
	p, err := asl.Compile(definition)
	if err != nil {
		return nil, err
	}
	s.programs.Store(revisionARN, p)
	return p, nil
}

func (s *Service) now() time.Time { return s.clk.Now().UTC() }

// lockExecution takes this node's lock for advancing an execution.
func (s *Service) lockExecution(arn string) func() {
	h := uint32(2166136261)
	for i := 0; i < len(arn); i++ {
		h = (h ^ uint32(arn[i])) * 16777619
	}
	m := &s.execLocks[h%uint32(len(s.execLocks))]
	m.Lock()
	return m.Unlock
}
