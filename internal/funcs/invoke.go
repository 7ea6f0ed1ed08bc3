package funcs

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/metrics"
	"github.com/ceap/ceap/internal/store"
)

// Invocation types of Invoke.
const (
	RequestResponse = "RequestResponse"
	Event           = "Event"
	DryRun          = "DryRun"
)

// InvokeOptions are Invoke's optional arguments.
type InvokeOptions struct {
	// InvocationType is RequestResponse (default), Event or DryRun.
	InvocationType string
	// Tail asks for the last 4 KB of the invocation's log (LogType Tail).
	Tail      bool
	Qualifier string
	// ClientContext is the client context as JSON (the API decodes X-Amz-Client-Context).
	ClientContext string
}

// InvokeResult is what Invoke returns.
type InvokeResult struct {
	// StatusCode is 200 for RequestResponse, 202 for Event and 204 for DryRun.
	StatusCode int
	Payload    []byte
	// FunctionError is "Unhandled" when the function failed.
	FunctionError string
	// LogResult is the base64 of the log tail when Tail was asked.
	LogResult       string
	ExecutedVersion string
	RequestID       string
}

// Invoke runs a function. Synchronous invocations return the function's result or its error
// (a 200 with FunctionError set); throttling answers TooManyRequestsException; asynchronous
// invocations are accepted at once and retried on failure as Lambda does.
func (s *Service) Invoke(ctx context.Context, account, fn string, payload []byte, opts InvokeOptions) (*InvokeResult, error) {
	name, q, err := s.resolve(account, fn, opts.Qualifier)
	if err != nil {
		return nil, err
	}
	kind := opts.InvocationType
	if kind == "" {
		kind = RequestResponse
	}
	switch kind {
	case RequestResponse, Event, DryRun:
	default:
		return nil, invalidValue("1 validation error detected: Value '%s' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]", kind)
	}
	if len(payload) > MaxPayloadSize {
		return nil, awserr.WithStatus(413, "RequestTooLargeException", "Request must be smaller than %d bytes for the InvokeFunction operation", MaxPayloadSize)
	}
	if kind == Event && len(payload) > MaxAsyncPayloadSize {
		return nil, awserr.WithStatus(413, "RequestTooLargeException", "Request must be smaller than %d bytes for the InvokeAsync operation", MaxAsyncPayloadSize)
	}
	if len(payload) == 0 {
		payload = []byte("{}")
	} else if !json.Valid(payload) {
		return nil, awserr.New("InvalidRequestContentException", "Could not parse request body into json: Could not parse payload into json")
	}
	spec, cfg, reserved, err := s.spec(ctx, account, name, q)
	if err != nil {
		return nil, err
	}
	switch kind {
	case DryRun:
		return &InvokeResult{StatusCode: 204, ExecutedVersion: cfg.Version}, nil
	case Event:
		id := NewRequestID()
		now := s.clock.Now().UnixMilli()
		if err := s.st.FunctionEventEnqueue(ctx, &store.FunctionEventEnqueueParams{Row: &store.FunctionEventRow{
			ID: id, Account: account, Name: name, Qualifier: q, Payload: payload, Due: now, Created: now,
		}}); err != nil {
			return nil, fmt.Errorf("queue invocation of %q: %w", name, err)
		}
		select {
		case s.asyncWake <- struct{}{}:
		default:
		}
		return &InvokeResult{StatusCode: 202, RequestID: id}, nil
	}
	res, err := s.run(ctx, account, spec, reserved, Request{ID: NewRequestID(), Payload: payload, ClientContext: opts.ClientContext, Tail: opts.Tail})
	if err != nil {
		return nil, err
	}
	out := &InvokeResult{StatusCode: 200, Payload: res.Payload, FunctionError: res.FunctionError, ExecutedVersion: cfg.Version, RequestID: res.RequestID}
	if opts.Tail {
		out.LogResult = base64.StdEncoding.EncodeToString([]byte(res.LogTail))
	}
	return out, nil
}

// run invokes once through the runner and records the AWS/Lambda metrics.
func (s *Service) run(ctx context.Context, account string, spec *Spec, reserved int, req Request) (*Result, error) {
	lim, err := s.limits(ctx, account, reserved)
	if err != nil {
		return nil, err
	}
	res, err := s.runner.InvokeRequest(ctx, spec, lim, req)
	s.record(account, spec, res, err)
	if err != nil {
		if _, ok := awserr.As(err); ok {
			return nil, err
		}
		return nil, awserr.WithStatus(500, "ServiceException", "The function could not be run: %v", errors.Unwrap(err))
	}
	return res, nil
}

func (s *Service) record(account string, spec *Spec, res *Result, err error) {
	m := s.cfg.Metrics
	if m == nil {
		return
	}
	now := s.clock.Now()
	dims := []metrics.Dimension{{Name: "FunctionName", Value: spec.Name}}
	if ae, ok := awserr.As(err); ok && ae.Code == "TooManyRequestsException" {
		m.RecordAt(now, account, "AWS/Lambda", "Throttles", dims, 1, "Count")
		m.RecordAt(now, account, "AWS/Lambda", "Throttles", nil, 1, "Count")
		return
	}
	if res == nil {
		return
	}
	errs := 0.0
	if res.FunctionError != "" {
		errs = 1
	}
	for _, d := range [][]metrics.Dimension{dims, nil} {
		m.RecordAt(now, account, "AWS/Lambda", "Invocations", d, 1, "Count")
		m.RecordAt(now, account, "AWS/Lambda", "Duration", d, float64(res.Duration.Microseconds())/1000, "Milliseconds")
		m.RecordAt(now, account, "AWS/Lambda", "Errors", d, errs, "Count")
	}
	// ConcurrentExecutions is the executions in flight while this one ran (itself included).
	m.RecordAt(now, account, "AWS/Lambda", "ConcurrentExecutions", dims, float64(res.Concurrency), "Count")
	m.RecordAt(now, account, "AWS/Lambda", "ConcurrentExecutions", nil, float64(res.AccountConcurrency), "Count")
}

// Asynchronous invocations.
const (
	// MaxEventAge is how long Lambda keeps trying an asynchronous invocation (6 hours).
	MaxEventAge = 6 * time.Hour
	// asyncLease is how long a node holds a queued invocation it runs: the longest timeout plus
	// a minute.
	asyncLease = MaxTimeout*time.Second + time.Minute
	// asyncSlots caps the queued invocations that one node runs at once.
	asyncSlots = 16
	// asyncPoll is how often the queue is looked at without a wake-up.
	asyncPoll = time.Second
)

// asyncLoop runs queued Event invocations until Stop, claiming them in the store so that an
// accepted invocation survives a crash and two nodes never run the same one at once.
func (s *Service) asyncLoop() {
	defer s.asyncWG.Done()
	slots := make(chan struct{}, asyncSlots)
	for {
		free := asyncSlots - len(slots)
		if free > 0 {
			now := s.clock.Now()
			rows, err := s.st.FunctionEventClaim(s.asyncCtx, &store.FunctionEventClaimParams{
				Owner: s.node, Now: now.UnixMilli(), Until: now.Add(asyncLease).UnixMilli(), Limit: free,
			})
			if err != nil && s.asyncCtx.Err() == nil {
				s.log.Warn("async_claim_failed", "err", err)
			}
			for _, r := range rows {
				slots <- struct{}{}
				s.asyncWG.Add(1)
				go func() {
					defer s.asyncWG.Done()
					defer func() { <-slots }()
					s.runQueued(r)
				}()
			}
			if len(rows) == free {
				continue
			}
		}
		select {
		case <-s.asyncCtx.Done():
			return
		case <-s.asyncWake:
		case <-s.clock.After(asyncPoll):
		}
	}
}

// runQueued runs one queued invocation and then deletes it, or reschedules it after a function
// error or a throttle (1 minute, then 2 minutes, by default), as Lambda does.
func (s *Service) runQueued(r *store.FunctionEventRow) {
	ctx := context.WithoutCancel(s.asyncCtx)
	drop := func(reason string) {
		s.log.Warn("async_invocation_dropped", "function", r.Name, "request_id", r.ID, "attempts", r.Attempt+1, "reason", reason)
		if err := s.st.FunctionEventDelete(ctx, &store.FunctionEventDeleteParams{ID: r.ID, Owner: s.node}); err != nil {
			s.log.Warn("async_delete_failed", "request_id", r.ID, "err", err)
		}
	}
	spec, _, reserved, err := s.spec(ctx, r.Account, r.Name, r.Qualifier)
	if err != nil {
		drop("function not found")
		return
	}
	res, err := s.run(s.asyncCtx, r.Account, spec, reserved, Request{ID: r.ID, Payload: r.Payload})
	if s.asyncCtx.Err() != nil {
		return // the node is stopping; the lease lets another node (or this one, restarted) run it
	}
	if err == nil && res.FunctionError == "" {
		if err := s.st.FunctionEventDelete(ctx, &store.FunctionEventDeleteParams{ID: r.ID, Owner: s.node}); err != nil {
			s.log.Warn("async_delete_failed", "request_id", r.ID, "err", err)
		}
		return
	}
	now := s.clock.Now()
	if r.Attempt >= len(s.cfg.AsyncRetryDelays) || r.Attempt >= DefaultAsyncRetries {
		drop("retries exhausted")
		return
	}
	due := now.Add(s.cfg.AsyncRetryDelays[r.Attempt])
	if due.Sub(time.UnixMilli(r.Created)) > MaxEventAge {
		drop("maximum event age reached")
		return
	}
	if err := s.st.FunctionEventRetry(ctx, &store.FunctionEventRetryParams{ID: r.ID, Owner: s.node, Attempt: r.Attempt + 1, Due: due.UnixMilli()}); err != nil {
		s.log.Warn("async_retry_failed", "request_id", r.ID, "err", err)
	}
}

// spec returns the runnable spec of a function version, from a short-lived cache.
func (s *Service) spec(ctx context.Context, account, name, qualifier string) (*Spec, *FunctionConfig, int, error) {
	key := account + "\x00" + name + "\x00" + qualifier
	now := s.clock.Now()
	s.mu.Lock()
	c, ok := s.specs[key]
	s.mu.Unlock()
	if ok && now.Sub(c.at) < specCacheTTL && now.Sub(c.at) >= 0 {
		return c.spec, c.cfg, c.reserved, nil
	}
	row, latest, err := s.function(ctx, account, name)
	if err != nil {
		return nil, nil, 0, err
	}
	version, sp, err := s.version(ctx, account, row, latest, qualifier)
	if err != nil {
		return nil, nil, 0, err
	}
	dir, err := s.codeDir(sp.CodeSHA256)
	if err != nil {
		return nil, nil, 0, err
	}
	cfg := s.toConfig(account, name, version, sp)
	arn := s.functionARN(account, name)
	if qualifier != "" {
		arn += ":" + qualifier
	}
	spec := &Spec{
		Account: account, Region: s.cfg.Region, Name: name, Version: version, ARN: arn,
		Runtime: sp.Runtime, Handler: sp.Handler, CodeDir: dir, Timeout: time.Duration(sp.Timeout) * time.Second,
		MemoryMB: sp.MemorySize, Environment: sp.Environment, Revision: version + "/" + sp.RevisionID,
	}
	s.mu.Lock()
	s.specs[key] = cachedSpec{spec: spec, cfg: cfg, reserved: row.Reserved, at: now}
	s.mu.Unlock()
	return spec, cfg, row.Reserved, nil
}

// limits returns the concurrency limits of an invocation: the function's reservation, or the
// account's unreserved concurrency.
func (s *Service) limits(ctx context.Context, account string, reserved int) (Limits, error) {
	if reserved >= 0 {
		return Limits{Reserved: &reserved}, nil
	}
	sum, err := s.reservedSum(ctx, account)
	if err != nil {
		return Limits{}, err
	}
	return Limits{Unreserved: s.cfg.AccountConcurrency - sum}, nil
}

func (s *Service) reservedSum(ctx context.Context, account string) (int, error) {
	s.mu.Lock()
	sum, ok := s.reserved[account]
	s.mu.Unlock()
	if ok {
		return sum, nil
	}
	rows, err := s.st.FunctionList(ctx, &store.FunctionListParams{Account: account})
	if err != nil {
		return 0, fmt.Errorf("list functions: %w", err)
	}
	sum = 0
	for _, r := range rows {
		if r.Reserved > 0 {
			sum += r.Reserved
		}
	}
	s.mu.Lock()
	s.reserved[account] = sum
	s.mu.Unlock()
	return sum, nil
}

// PutFunctionConcurrency reserves concurrency for a function.
func (s *Service) PutFunctionConcurrency(ctx context.Context, account, fn string, n int) (int, error) {
	name, _, err := s.resolve(account, fn, "")
	if err != nil {
		return 0, err
	}
	if n < 0 {
		return 0, invalidValue("1 validation error detected: Value '%d' at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 0", n)
	}
	row, _, err := s.function(ctx, account, name)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	delete(s.reserved, account)
	s.mu.Unlock()
	sum, err := s.reservedSum(ctx, account)
	if err != nil {
		return 0, err
	}
	if row.Reserved > 0 {
		sum -= row.Reserved
	}
	if s.cfg.AccountConcurrency-(sum+n) < MinUnreservedConcurrency {
		return 0, invalidValue("Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [%d].", MinUnreservedConcurrency)
	}
	if err := s.setReserved(ctx, account, row, n); err != nil {
		return 0, err
	}
	return n, nil
}

func (s *Service) setReserved(ctx context.Context, account string, row *store.FunctionRow, n int) error {
	row.Reserved = n
	if err := s.st.FunctionUpdate(ctx, &store.FunctionUpdateParams{Row: row}); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return notFound(row.ARN)
		}
		return fmt.Errorf("set concurrency of %q: %w", row.Name, err)
	}
	s.mu.Lock()
	delete(s.reserved, account)
	s.mu.Unlock()
	s.invalidate(account, row.Name)
	return nil
}

// GetFunctionConcurrency returns a function's reservation, nil when it has none.
func (s *Service) GetFunctionConcurrency(ctx context.Context, account, fn string) (*int, error) {
	name, _, err := s.resolve(account, fn, "")
	if err != nil {
		return nil, err
	}
	row, _, err := s.function(ctx, account, name)
	if err != nil {
		return nil, err
	}
	if row.Reserved < 0 {
		return nil, nil
	}
	n := row.Reserved
	return &n, nil
}

// DeleteFunctionConcurrency removes a function's reservation.
func (s *Service) DeleteFunctionConcurrency(ctx context.Context, account, fn string) error {
	name, _, err := s.resolve(account, fn, "")
	if err != nil {
		return err
	}
	row, _, err := s.function(ctx, account, name)
	if err != nil {
		return err
	}
	return s.setReserved(ctx, account, row, -1)
}

// AccountSettings are what GetAccountSettings returns.
type AccountSettings struct {
	ConcurrentExecutions           int
	UnreservedConcurrentExecutions int
	FunctionCount                  int
	TotalCodeSize                  int64
}

// GetAccountSettings returns the account's limits and usage.
func (s *Service) GetAccountSettings(ctx context.Context, account string) (*AccountSettings, error) {
	rows, err := s.st.FunctionList(ctx, &store.FunctionListParams{Account: account})
	if err != nil {
		return nil, fmt.Errorf("list functions: %w", err)
	}
	out := &AccountSettings{ConcurrentExecutions: s.cfg.AccountConcurrency, FunctionCount: len(rows)}
	reserved := 0
	for _, r := range rows {
		if r.Reserved > 0 {
			reserved += r.Reserved
		}
		var sp storedSpec
		if json.Unmarshal(r.Spec, &sp) == nil {
			out.TotalCodeSize += sp.CodeSize
		}
	}
	out.UnreservedConcurrentExecutions = s.cfg.AccountConcurrency - reserved
	return out, nil
}

// CreateAlias points an alias at a version.
func (s *Service) CreateAlias(ctx context.Context, account, fn, alias, version, description string) (*Alias, error) {
	return s.putAlias(ctx, account, fn, alias, func(aliases map[string]Alias) (*Alias, error) {
		if _, ok := aliases[alias]; ok {
			return nil, awserr.WithStatus(409, "ResourceConflictException", "Alias already exists: %s", s.functionARN(account, fn)+":"+alias)
		}
		if isVersion(alias) || alias == "$LATEST" {
			return nil, invalidValue("Alias name cannot be a version number or $LATEST.")
		}
		a := Alias{Name: alias, FunctionVersion: version, Description: description, RevisionID: uuid.NewString()}
		return &a, nil
	})
}

// UpdateAlias changes an alias's version or description.
func (s *Service) UpdateAlias(ctx context.Context, account, fn, alias string, version, description *string) (*Alias, error) {
	return s.putAlias(ctx, account, fn, alias, func(aliases map[string]Alias) (*Alias, error) {
		a, ok := aliases[alias]
		if !ok {
			return nil, notFound(s.functionARN(account, fn) + ":" + alias)
		}
		if version != nil {
			a.FunctionVersion = *version
		}
		if description != nil {
			a.Description = *description
		}
		a.RevisionID = uuid.NewString()
		return &a, nil
	})
}

func (s *Service) putAlias(ctx context.Context, account, fn, alias string, change func(map[string]Alias) (*Alias, error)) (*Alias, error) {
	name, _, err := s.resolve(account, fn, "")
	if err != nil {
		return nil, err
	}
	row, _, err := s.function(ctx, account, name)
	if err != nil {
		return nil, err
	}
	aliases, err := aliasesOf(row)
	if err != nil {
		return nil, err
	}
	a, err := change(aliases)
	if err != nil {
		return nil, err
	}
	if a.FunctionVersion != "$LATEST" {
		n, convErr := strconv.Atoi(a.FunctionVersion)
		if convErr != nil {
			return nil, invalidValue("Invalid function version %s.", a.FunctionVersion)
		}
		if _, err := s.st.FunctionVersionGet(ctx, &store.FunctionVersionGetParams{Account: account, Name: name, Version: n}); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil, notFound(s.functionARN(account, name) + ":" + a.FunctionVersion)
			}
			return nil, fmt.Errorf("get version: %w", err)
		}
	}
	aliases[alias] = *a
	if err := s.saveAliases(ctx, row, aliases); err != nil {
		return nil, err
	}
	return a, nil
}

func (s *Service) saveAliases(ctx context.Context, row *store.FunctionRow, aliases map[string]Alias) error {
	b, err := json.Marshal(aliases)
	if err != nil {
		return fmt.Errorf("encode aliases: %w", err)
	}
	row.Aliases = b
	if err := s.st.FunctionUpdate(ctx, &store.FunctionUpdateParams{Row: row, IfRevision: row.Revision}); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return awserr.WithStatus(409, "ResourceConflictException", "The operation cannot be performed at this time. An update is in progress for resource: %s", row.ARN)
		}
		return fmt.Errorf("save aliases of %q: %w", row.Name, err)
	}
	s.invalidate(row.Account, row.Name)
	return nil
}

// GetAlias returns an alias.
func (s *Service) GetAlias(ctx context.Context, account, fn, alias string) (*Alias, error) {
	aliases, name, err := s.aliases(ctx, account, fn)
	if err != nil {
		return nil, err
	}
	a, ok := aliases[alias]
	if !ok {
		return nil, notFound(s.functionARN(account, name) + ":" + alias)
	}
	return &a, nil
}

// ListAliases returns a function's aliases.
func (s *Service) ListAliases(ctx context.Context, account, fn string) ([]Alias, error) {
	aliases, _, err := s.aliases(ctx, account, fn)
	if err != nil {
		return nil, err
	}
	out := make([]Alias, 0, len(aliases))
	for _, a := range aliases {
		out = append(out, a)
	}
	sortAliases(out)
	return out, nil
}

func sortAliases(a []Alias) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j].Name < a[j-1].Name; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

func (s *Service) aliases(ctx context.Context, account, fn string) (map[string]Alias, string, error) {
	name, _, err := s.resolve(account, fn, "")
	if err != nil {
		return nil, "", err
	}
	row, _, err := s.function(ctx, account, name)
	if err != nil {
		return nil, "", err
	}
	a, err := aliasesOf(row)
	return a, name, err
}

// DeleteAlias removes an alias.
func (s *Service) DeleteAlias(ctx context.Context, account, fn, alias string) error {
	name, _, err := s.resolve(account, fn, "")
	if err != nil {
		return err
	}
	row, _, err := s.function(ctx, account, name)
	if err != nil {
		return err
	}
	aliases, err := aliasesOf(row)
	if err != nil {
		return err
	}
	if _, ok := aliases[alias]; !ok {
		return notFound(s.functionARN(account, name) + ":" + alias)
	}
	delete(aliases, alias)
	return s.saveAliases(ctx, row, aliases)
}

// AliasARN returns the ARN of an alias.
func (s *Service) AliasARN(account, name, alias string) string {
	return s.functionARN(account, name) + ":" + alias
}

// Tags returns the tags of a function named by ARN.
func (s *Service) Tags(ctx context.Context, account, arn string) (map[string]string, error) {
	name, _, err := s.resolve(account, arn, "")
	if err != nil {
		return nil, err
	}
	row, _, err := s.function(ctx, account, name)
	if err != nil {
		return nil, err
	}
	tags := map[string]string{}
	if err := json.Unmarshal(row.Tags, &tags); err != nil {
		return nil, fmt.Errorf("decode tags: %w", err)
	}
	return tags, nil
}

// Tag adds and removes tags of a function named by ARN.
func (s *Service) Tag(ctx context.Context, account, arn string, add map[string]string, remove []string) error {
	name, _, err := s.resolve(account, arn, "")
	if err != nil {
		return err
	}
	row, _, err := s.function(ctx, account, name)
	if err != nil {
		return err
	}
	tags := map[string]string{}
	if err := json.Unmarshal(row.Tags, &tags); err != nil {
		return fmt.Errorf("decode tags: %w", err)
	}
	for k, v := range add {
		tags[k] = v
	}
	for _, k := range remove {
		delete(tags, k)
	}
	if row.Tags, err = json.Marshal(tags); err != nil {
		return fmt.Errorf("encode tags: %w", err)
	}
	if err := s.st.FunctionUpdate(ctx, &store.FunctionUpdateParams{Row: row, IfRevision: row.Revision}); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return notFound(row.ARN)
		}
		return fmt.Errorf("tag %q: %w", name, err)
	}
	return nil
}
