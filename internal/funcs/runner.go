package funcs

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/clock"
)

// Concurrency limits of a Lambda account.
const (
	// DefaultAccountConcurrency is Lambda's default concurrent executions quota per account and
	// region (1,000).
	DefaultAccountConcurrency = 1000
	// MinUnreservedConcurrency is the part of the account quota that reservations may not take
	// (100).
	MinUnreservedConcurrency = 100
	// DefaultIdleTimeout is how long a warm environment waits for work before ceap stops it.
	DefaultIdleTimeout = 10 * time.Minute
)

// Throttle reasons, as Lambda's TooManyRequestsException carries them.
const (
	ReasonReservedLimit = "ReservedFunctionConcurrentInvocationLimitExceeded"
	ReasonAccountLimit  = "ConcurrentInvocationLimitExceeded"
)

// Throttled returns Lambda's 429 TooManyRequestsException with its Reason.
func Throttled(reason string) *awserr.Error {
	return &awserr.Error{
		Code:    "TooManyRequestsException",
		Message: "Rate Exceeded.",
		Status:  429,
		Fields:  map[string]string{"Reason": reason, "Type": "User"},
	}
}

// RunnerConfig configures the environments of all functions. The zero value means defaults.
type RunnerConfig struct {
	// Dir holds the bootstraps that ceap writes for python and nodejs.
	Dir string
	// Python and Node name the interpreters; defaults "python3" and "node".
	Python, Node string
	// Endpoint is given to functions as AWS_ENDPOINT_URL, so their SDK calls reach ceap.
	Endpoint string
	// Credentials returns what an account's functions receive; default test/test.
	Credentials func(account string) Credentials
	// IdleTimeout stops a warm environment after this long without work.
	IdleTimeout time.Duration
	Clock       clock.Clock
	Logger      *slog.Logger
	// Sink receives every line that environments write, for the function's log group.
	Sink func(account, group, stream string, lines []LogLine)
}

// Limits are the concurrency limits that apply to one invocation.
type Limits struct {
	// Reserved is the function's reserved concurrency, nil when it has none.
	Reserved *int
	// Unreserved is the account's concurrency left to functions without a reservation.
	Unreserved int
}

// Result is the outcome of one synchronous invocation.
type Result struct {
	RequestID string
	Payload   []byte
	// FunctionError is "Unhandled" when the function failed, else empty.
	FunctionError string
	// LogTail is the last 4 KB of the invocation's log.
	LogTail  string
	Duration time.Duration
	// Cold reports that a new environment was started for this invocation.
	Cold bool
	// Concurrency and AccountConcurrency are the executions in flight, of the function and of
	// the account, when this one started (itself included).
	Concurrency, AccountConcurrency int
}

// Runner runs invocations in warm environments, starting and reaping them, and enforces
// concurrency. It is the only part of ceap that starts function processes.
type Runner struct {
	cfg      RunnerConfig
	clock    clock.Clock
	log      *slog.Logger
	launcher *launcher
	// memory limits environments' memory; nil when this machine cannot (see MemoryEnforced).
	memory *memoryControl

	mu      sync.Mutex
	pools   map[string]*pool // by account and function name
	inUse   map[string]int   // unreserved executions in flight, by account
	running map[string]int   // all executions in flight, by account
	stopped bool
}

// pool holds one function's environments.
type pool struct {
	revision string
	idle     []*environment
	busy     int
}

// NewRunner returns a Runner; call Start to begin reaping idle environments.
func NewRunner(cfg RunnerConfig) *Runner {
	if cfg.Python == "" {
		cfg.Python = "python3"
	}
	if cfg.Node == "" {
		cfg.Node = "node"
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.Default()
	}
	r := &Runner{
		cfg:   cfg,
		clock: clock.Or(cfg.Clock),
		log:   lg.With("component", "funcs"),
		launcher: &launcher{
			dir: cfg.Dir, python: cfg.Python, node: cfg.Node, endpoint: cfg.Endpoint, credentials: cfg.Credentials,
		},
		pools:   make(map[string]*pool),
		inUse:   make(map[string]int),
		running: make(map[string]int),
	}
	var err error
	r.memory, err = detectMemoryControl()
	logMemoryControl(r.log, r.memory, err)
	return r
}

// MemoryEnforced reports how environments' MemorySize is enforced: "cgroup2" or "cgroup1", or
// "" when this machine offers no writable memory controller and MemorySize is only reported.
func (r *Runner) MemoryEnforced() string {
	if r.memory == nil {
		return ""
	}
	return r.memory.kind
}

func poolKey(account, name string) string { return account + "\x00" + name }

// NewRequestID returns a Lambda request id (a random UUID). Request ids need to be unique, not
// secret: they come from the runtime's fast random source, not a system call per id.
func NewRequestID() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], rand.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// traceID returns an X-Ray trace header value: Root=1-<epoch hex>-<96 random bits>;Sampled=0.
func traceID(now time.Time) string {
	var b [12]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint32(b[8:], rand.Uint32())
	var epoch [4]byte
	binary.BigEndian.PutUint32(epoch[:], uint32(now.Unix()))
	return "Root=1-" + hex.EncodeToString(epoch[:]) + "-" + hex.EncodeToString(b[:]) + ";Sampled=0"
}

// acquire takes a concurrency slot and an environment (nil when one must be started). It returns
// the executions in flight, of the function and of the account, this one included.
func (r *Runner) acquire(spec *Spec, lim Limits) (e *environment, fnBusy, acctBusy int, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return nil, 0, 0, awserr.WithStatus(503, "ServiceException", "The function service is shutting down.")
	}
	key := poolKey(spec.Account, spec.Name)
	p := r.pools[key]
	if p == nil {
		p = &pool{revision: spec.Revision}
		r.pools[key] = p
	}
	if lim.Reserved != nil {
		if p.busy >= *lim.Reserved {
			return nil, 0, 0, Throttled(ReasonReservedLimit)
		}
	} else if r.inUse[spec.Account] >= lim.Unreserved {
		return nil, 0, 0, Throttled(ReasonAccountLimit)
	}
	if p.revision != spec.Revision {
		for _, e := range p.idle {
			go e.stop()
		}
		p.idle, p.revision = nil, spec.Revision
	}
	p.busy++
	r.running[spec.Account]++
	if lim.Reserved == nil {
		r.inUse[spec.Account]++
	}
	fnBusy, acctBusy = p.busy, r.running[spec.Account]
	if n := len(p.idle); n > 0 {
		e = p.idle[n-1]
		p.idle = p.idle[:n-1]
	}
	return e, fnBusy, acctBusy, nil
}

// release returns the slot, and the environment to the warm pool when it is healthy and current.
func (r *Runner) release(spec *Spec, lim Limits, e *environment, healthy bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.pools[poolKey(spec.Account, spec.Name)]
	p.busy--
	r.running[spec.Account]--
	if lim.Reserved == nil {
		r.inUse[spec.Account]--
	}
	if e == nil {
		return
	}
	if healthy && !r.stopped && p.revision == spec.Revision {
		p.idle = append(p.idle, e)
		return
	}
	go e.stop()
}

// AccountConcurrency returns the executions in flight in an account.
func (r *Runner) AccountConcurrency(account string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.running[account]
}

// Concurrency returns the executions in flight for one function.
func (r *Runner) Concurrency(account, name string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p := r.pools[poolKey(account, name)]; p != nil {
		return p.busy
	}
	return 0
}

// Request is one invocation's input.
type Request struct {
	ID      string
	Payload []byte
	// ClientContext is the JSON client context, handed to the runtime as is.
	ClientContext string
	// Tail asks for the last 4 KB of the invocation's log in Result.LogTail.
	Tail bool
}

// Invoke runs payload on a warm environment of spec's function (or a new one), waiting for the
// result with its log tail. Throttling answers TooManyRequestsException; a failing function is a
// Result with FunctionError set, not an error.
func (r *Runner) Invoke(ctx context.Context, spec *Spec, lim Limits, requestID string, payload []byte) (*Result, error) {
	return r.InvokeRequest(ctx, spec, lim, Request{ID: requestID, Payload: payload, Tail: true})
}

// InvokeRequest is Invoke with every part of the request.
func (r *Runner) InvokeRequest(ctx context.Context, spec *Spec, lim Limits, req Request) (*Result, error) {
	requestID, payload := req.ID, req.Payload
	e, fnBusy, acctBusy, err := r.acquire(spec, lim)
	if err != nil {
		return nil, err
	}
	cold := e == nil
	if cold {
		l, err := r.launcher.build(spec)
		if err == nil {
			e, err = startEnvironment(spec, l, r.clock, r.memory, func(stream string, lines []LogLine) {
				if r.cfg.Sink != nil {
					r.cfg.Sink(spec.Account, spec.LogGroup(), stream, lines)
				}
			})
		}
		var ee *entrypointError
		if errors.As(err, &ee) {
			r.release(spec, lim, nil, false)
			msg := "RequestId: " + requestID + " Error: " + ee.err.Error()
			if r.cfg.Sink != nil {
				now := r.clock.Now()
				r.cfg.Sink(spec.Account, spec.LogGroup(), logStreamName(now, spec.Version), []LogLine{{Time: now, Message: msg}, {Time: now, Message: errTypeEntrypoint}})
			}
			return &Result{RequestID: requestID, Payload: functionErrorPayload(errTypeEntrypoint, msg), FunctionError: "Unhandled", Cold: true}, nil
		}
		if err != nil {
			r.release(spec, lim, nil, false)
			return nil, fmt.Errorf("start environment of %q: %w", spec.Name, err)
		}
	}
	inv := &invocation{
		id:      requestID,
		arn:     spec.ARN,
		traceID: traceID(r.clock.Now()),
		payload: payload,

		clientContext: req.ClientContext,
		tail:          req.Tail,
	}
	out, err := e.invoke(ctx, inv)
	r.release(spec, lim, e, err == nil && !out.broken)
	if err != nil {
		return nil, fmt.Errorf("invoke %q: %w", spec.Name, err)
	}
	res := &Result{RequestID: requestID, Payload: out.payload, LogTail: out.logTail, Duration: out.duration, Cold: cold,
		Concurrency: fnBusy, AccountConcurrency: acctBusy}
	if out.functionError {
		res.FunctionError = "Unhandled"
	}
	return res, nil
}

// Start reaps idle environments until ctx ends.
func (r *Runner) Start(ctx context.Context) {
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-r.clock.After(r.cfg.IdleTimeout / 4):
				r.reap()
			}
		}
	}()
}

// reap stops environments idle for longer than IdleTimeout.
func (r *Runner) reap() int {
	now := r.clock.Now()
	var stale []*environment
	r.mu.Lock()
	for _, p := range r.pools {
		kept := p.idle[:0]
		for _, e := range p.idle {
			e.mu.Lock()
			last := e.lastUsed
			e.mu.Unlock()
			if now.Sub(last) >= r.cfg.IdleTimeout {
				stale = append(stale, e)
				continue
			}
			kept = append(kept, e)
		}
		p.idle = kept
	}
	r.mu.Unlock()
	for _, e := range stale {
		e.stop()
	}
	return len(stale)
}

// Stop stops every idle environment and refuses new invocations; environments that are running
// an invocation stop when it ends.
func (r *Runner) Stop() {
	r.mu.Lock()
	r.stopped = true
	var all []*environment
	for _, p := range r.pools {
		all = append(all, p.idle...)
		p.idle = nil
	}
	r.mu.Unlock()
	for _, e := range all {
		e.stop()
	}
	r.memory.close()
}

// Forget stops the idle environments of a deleted function.
func (r *Runner) Forget(account, name string) {
	r.mu.Lock()
	p := r.pools[poolKey(account, name)]
	var idle []*environment
	if p != nil {
		idle, p.idle = p.idle, nil
		if p.busy == 0 {
			delete(r.pools, poolKey(account, name))
		}
	}
	r.mu.Unlock()
	for _, e := range idle {
		e.stop()
	}
}
