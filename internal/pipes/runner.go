package pipes

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/events/pattern"
	"github.com/ceap/ceap/internal/events/transform"
	"github.com/ceap/ceap/internal/metrics"
	"github.com/ceap/ceap/internal/store"
)

// Namespace is the CloudWatch namespace of pipe metrics.
const Namespace = "AWS/EventBridge/Pipes"

// throttlingCodes are the Step Functions errors that mean the target refused for capacity.
var throttlingCodes = map[string]bool{"ThrottlingException": true, "ExecutionLimitExceeded": true, "TooManyRequestsException": true}

// runner moves the messages of one RUNNING pipe on this node.
type runner struct {
	pipe    *Pipe
	version string // the definition the runner was started with
	cancel  context.CancelFunc
	done    chan struct{}

	mu     sync.Mutex
	reason string // why the source cannot be read, while it cannot
}

func (r *runner) setReason(s string) {
	r.mu.Lock()
	r.reason = s
	r.mu.Unlock()
}

func (r *runner) currentReason() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reason
}

func (r *runner) stopped() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// StartBackground starts the supervisor that keeps every pipe's runner in line with its desired
// state. (Start is the StartPipe operation; the server calls this through Component.)
func (s *Service) StartBackground(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel != nil {
		return nil
	}
	runCtx, cancel := context.WithCancel(context.Background())
	s.cancel, s.done = cancel, make(chan struct{})
	go s.supervise(runCtx)
	return nil
}

// StopBackground stops the supervisor and every runner, and frees this node's leases. Deliveries
// in flight are abandoned when ctx ends (their messages reappear after the visibility timeout).
func (s *Service) StopBackground(ctx context.Context) error {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.cancel = nil
	s.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
	case <-ctx.Done():
		s.kill()
		<-done
	}
	return nil
}

// Component adapts the service's background work to the server's Start/Stop.
func (s *Service) Component() interface {
	Start(context.Context) error
	Stop(context.Context) error
} {
	return component{s}
}

type component struct{ s *Service }

func (c component) Start(ctx context.Context) error { return c.s.StartBackground(ctx) }
func (c component) Stop(ctx context.Context) error  { return c.s.StopBackground(ctx) }

// poke wakes the supervisor so that a state change takes effect at once.
func (s *Service) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Service) supervise(ctx context.Context) {
	defer close(s.done)
	for {
		if err := s.Reconcile(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("pipes_reconcile_failed", "err", err)
		}
		select {
		case <-ctx.Done():
			s.stopAll()
			return
		case <-s.wake:
		case <-s.cfg.Clock.After(s.cfg.SyncInterval):
		}
	}
}

// stopAll stops every runner, waits for them, and frees their leases.
func (s *Service) stopAll() {
	s.mu.Lock()
	runners := s.runners
	s.runners = map[pipeKey]*runner{}
	s.mu.Unlock()
	for _, r := range runners {
		r.cancel()
	}
	for k, r := range runners {
		<-r.done
		s.cfg.Store.PipeLeaseRelease(context.Background(), &store.PipeLeaseParams{Account: k.account, Name: k.name, Owner: s.cfg.Node})
	}
}

// Reconcile moves every pipe one step towards its desired state: it starts and stops this node's
// runners, claims and renews leases, advances current states and removes deleted pipes. The
// supervisor calls it on every tick; tests call it directly.
func (s *Service) Reconcile(ctx context.Context) error {
	rows, err := s.cfg.Store.PipeList(ctx, &store.PipeListParams{})
	if err != nil {
		return fmt.Errorf("list pipes: %w", err)
	}
	now := s.cfg.Clock.Now()
	seen := map[pipeKey]bool{}
	var errs []error
	for _, row := range rows {
		k := pipeKey{row.Account, row.Name}
		seen[k] = true
		if err := s.reconcileOne(ctx, k, row, now); err != nil {
			errs = append(errs, fmt.Errorf("pipe %s/%s: %w", row.Account, row.Name, err))
		}
	}
	s.mu.Lock()
	for k, r := range s.runners {
		if !seen[k] {
			r.cancel()
			if r.stopped() {
				delete(s.runners, k)
			}
		}
	}
	s.mu.Unlock()
	return errors.Join(errs...)
}

func (s *Service) reconcileOne(ctx context.Context, k pipeKey, row *store.PipeRow, now time.Time) error {
	s.mu.Lock()
	r := s.runners[k]
	s.mu.Unlock()
	version := row.Target + "\x00" + string(row.Spec)
	want := row.DesiredState == StateRunning && row.CurrentState != StateDeleting

	if want {
		held, err := s.cfg.Store.PipeLeaseClaim(ctx, &store.PipeLeaseParams{Account: k.account, Name: k.name, Owner: s.cfg.Node,
			Now: now.UnixMilli(), Until: now.Add(s.cfg.LeaseTTL).UnixMilli()})
		if err != nil {
			return fmt.Errorf("claim lease: %w", err)
		}
		if !held {
			// Another node runs it.
			if r != nil {
				s.stopRunner(k, r)
			}
			return nil
		}
		if r != nil && r.version != version {
			// The definition changed: start over with the new one once the old runner is out.
			if !s.stopRunner(k, r) {
				return nil
			}
			r = nil
		}
		if r == nil {
			p, err := fromRow(row)
			if err != nil {
				return err
			}
			s.startRunner(k, p, version)
		}
		reason := ""
		if r != nil {
			reason = r.currentReason()
		}
		if row.CurrentState != StateRunning || row.StateReason != reason {
			return s.setState(ctx, row, StateRunning, reason)
		}
		return nil
	}

	if r != nil && !s.stopRunner(k, r) {
		return nil // wait for in-flight batches
	}
	if row.CurrentState == StateDeleting {
		if err := s.cfg.Store.PipeDelete(ctx, &store.PipeGetParams{Account: k.account, Name: k.name}); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("delete: %w", err)
		}
		return nil
	}
	if r != nil {
		s.cfg.Store.PipeLeaseRelease(ctx, &store.PipeLeaseParams{Account: k.account, Name: k.name, Owner: s.cfg.Node})
	}
	if row.CurrentState != StateStopped {
		return s.setState(ctx, row, StateStopped, "")
	}
	return nil
}

// setState advances a pipe's current state unless its row changed since it was read.
func (s *Service) setState(ctx context.Context, row *store.PipeRow, state, reason string) error {
	next := *row
	next.CurrentState, next.StateReason = state, reason
	next.Modified = s.nextModified(row.Modified).UnixMilli()
	err := s.cfg.Store.PipeUpdate(ctx, &store.PipeUpdateParams{Row: &next, IfModified: row.Modified})
	if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
		s.poke()
		return nil
	}
	if err == nil && row.CurrentState != state {
		s.log.Info("pipe_state_changed", "account", row.Account, "pipe", row.Name, "from", row.CurrentState, "to", state)
	}
	return err
}

// stopRunner asks a runner to stop and reports whether it has; a stopped runner is forgotten.
func (s *Service) stopRunner(k pipeKey, r *runner) bool {
	r.cancel()
	if !r.stopped() {
		return false
	}
	s.mu.Lock()
	if s.runners[k] == r {
		delete(s.runners, k)
	}
	s.mu.Unlock()
	return true
}

func (s *Service) startRunner(k pipeKey, p *Pipe, version string) {
	ctx, cancel := context.WithCancel(context.Background())
	r := &runner{pipe: p, version: version, cancel: cancel, done: make(chan struct{})}
	s.mu.Lock()
	s.runners[k] = r
	s.mu.Unlock()
	var filters []*pattern.Pattern
	if fc := p.SourceParameters.FilterCriteria; fc != nil {
		for _, f := range fc.Filters {
			if f.Pattern != nil {
				if pat, err := pattern.Compile(*f.Pattern); err == nil {
					filters = append(filters, pat)
				}
			}
		}
	}
	go func() {
		s.poll(ctx, r, filters)
		close(r.done)
		s.poke()
	}()
}

// poll is a pipe's one receiver. It long-polls the queue only while a delivery slot is free,
// splits what it receives into batches and hands each to a delivery of its own, so that several
// batches are at the target at once and a slow target holds only its own slot. The number of
// slots scales as Lambda's SQS pollers do (which Pipes' SQS source shares): it starts at
// initialConcurrency, grows by one whenever a batch has come back from the target and the next
// receive comes back full (the target keeps up and the queue has a backlog), up to
// Config.Concurrency, and falls back to initialConcurrency when a receive finds the queue empty. It returns when ctx ends and the deliveries in flight are done (unless the service is
// killed).
func (s *Service) poll(ctx context.Context, r *runner, filters []*pattern.Pattern) {
	p := r.pipe
	maxSlots := s.cfg.Concurrency
	floor := min(initialConcurrency, maxSlots)
	limit := floor
	// finished receives a token per delivery that ends; only this goroutine counts inflight.
	finished := make(chan struct{}, maxSlots)
	inflight := 0
	// returned says a batch came back from the target, while the queue had a backlog, since the
	// last step up.
	returned, backlog := false, false
	var deliveries sync.WaitGroup
	defer deliveries.Wait()
	size := p.batchSize()
	failures := 0
	for ctx.Err() == nil {
		for drained := false; !drained; {
			select {
			case <-finished:
				inflight--
				returned = returned || backlog
			default:
				drained = true
			}
		}
		if inflight >= limit {
			select {
			case <-finished:
				inflight--
				returned = returned || backlog
			case <-ctx.Done():
				return
			}
			continue
		}
		free := limit - inflight
		var batches [][]Message
		var err error
		full, empty := false, false
		if size <= sqsReceiveMax && p.batchingWindow() == 0 {
			want := min(sqsReceiveMax, free*size)
			var msgs []Message
			msgs, err = s.cfg.Source.Receive(ctx, p.Account, p.Source, want, sqsMaxWait)
			full, empty = len(msgs) == want, len(msgs) == 0
			for len(msgs) > 0 {
				n := min(size, len(msgs))
				batches = append(batches, msgs[:n])
				msgs = msgs[n:]
			}
		} else {
			var batch []Message
			batch, err = s.receiveBatch(ctx, p)
			full, empty = len(batch) >= size, len(batch) == 0
			if len(batch) > 0 {
				batches = append(batches, batch)
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if failures == 0 {
				s.log.Warn("pipe_receive_failed", "account", p.Account, "pipe", p.Name, "err", err)
				r.setReason(fmt.Sprintf("Cannot read from the source %s: %v", p.Source, err))
				s.poke()
			}
			failures++
			limit = floor
			// Back off while the source keeps failing (a deleted queue, the store away).
			delay := min(s.cfg.RetryDelay<<min(failures-1, 5), maxRetryDelay)
			select {
			case <-ctx.Done():
			case <-s.cfg.Clock.After(delay):
			}
			continue
		}
		if failures > 0 {
			s.log.Info("pipe_receive_recovered", "account", p.Account, "pipe", p.Name, "failures", failures)
			failures = 0
			r.setReason("")
			s.poke()
		}
		switch {
		case full && returned && limit < maxSlots:
			limit++
			returned = false
		case empty:
			limit, returned = floor, false
		}
		backlog = full
		for _, b := range batches {
			inflight++ // at most `free` batches were received
			deliveries.Add(1)
			go func() {
				defer deliveries.Done()
				defer func() { finished <- struct{}{} }()
				s.Deliver(s.killCtx, p, b, filters)
			}()
		}
	}
}

// initialConcurrency is how many batches a pipe has at its target at once before a backlog
// scales it up: Lambda's SQS pollers start by "processing five batches at a time with five
// concurrent invocations" and add more while messages are still available (Lambda Developer
// Guide, "Configuring scaling behavior for SQS event source mappings").
const initialConcurrency = 5

// maxRetryDelay caps the pause between failed receives.
const maxRetryDelay = 30 * time.Second

// receiveBatch gathers up to the pipe's batch size, waiting at most the batching window once the
// first message is in.
func (s *Service) receiveBatch(ctx context.Context, p *Pipe) ([]Message, error) {
	size := p.batchSize()
	first, err := s.cfg.Source.Receive(ctx, p.Account, p.Source, min(size, sqsReceiveMax), sqsMaxWait)
	if err != nil || len(first) == 0 {
		return first, err
	}
	batch := first
	window := p.batchingWindow()
	if window <= 0 || len(batch) >= size {
		return batch, nil
	}
	deadline := s.cfg.Clock.Now().Add(window)
	for len(batch) < size {
		left := deadline.Sub(s.cfg.Clock.Now())
		if left <= 0 {
			break
		}
		wait := min(left, sqsMaxWait).Truncate(time.Second)
		more, err := s.cfg.Source.Receive(ctx, p.Account, p.Source, min(size-len(batch), sqsReceiveMax), wait)
		if err != nil || ctx.Err() != nil {
			break // deliver what we have
		}
		batch = append(batch, more...)
		if len(more) == 0 && wait == 0 {
			select {
			case <-ctx.Done():
			case <-s.cfg.Clock.After(left):
			}
		}
	}
	return batch, nil
}

// Deliver hands one batch to the pipe's target and deletes the messages that the target took.
// Messages that no filter matches are deleted without being delivered, as Pipes does.
func (s *Service) Deliver(ctx context.Context, p *Pipe, batch []Message, filters []*pattern.Pattern) {
	dims := []metrics.Dimension{{Name: "PipeName", Value: p.Name}}
	record := func(name string, v float64, unit string) {
		if s.cfg.Metrics != nil {
			s.cfg.Metrics.Record(p.Account, Namespace, name, dims, v, unit)
		}
	}
	records := make([]map[string]any, 0, len(batch))
	var handles, dropped []string
	for _, m := range batch {
		rec := sqsRecord(p, m)
		if len(filters) > 0 && !matchesAny(filters, rec) {
			dropped = append(dropped, m.ReceiptHandle)
			continue
		}
		records = append(records, rec)
		handles = append(handles, m.ReceiptHandle)
	}
	if len(dropped) > 0 {
		if err := s.cfg.Source.Delete(ctx, p.Account, p.Source, dropped); err != nil {
			s.log.Warn("pipe_delete_failed", "account", p.Account, "pipe", p.Name, "err", err)
		}
	}
	if len(records) == 0 {
		return
	}
	input, err := s.input(p, records)
	if err != nil {
		s.log.Warn("pipe_input_failed", "account", p.Account, "pipe", p.Name, "err", err)
		record("ExecutionFailed", 1, metrics.None)
		return
	}
	s.mu.Lock()
	s.inflight[p.Account]++
	concurrency := s.inflight[p.Account]
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inflight[p.Account]--
		s.mu.Unlock()
	}()
	if s.cfg.Metrics != nil {
		s.cfg.Metrics.Record(p.Account, Namespace, "Concurrency", []metrics.Dimension{{Name: "AwsAccountId", Value: p.Account}}, float64(concurrency), metrics.None)
	}
	start := s.cfg.Clock.Now()
	record("Invocations", 1, metrics.None)
	record("EventCount", float64(len(records)), metrics.None)
	record("EventSize", float64(len(input)), metrics.Bytes)

	var status string
	if p.invocationType() == RequestResponse {
		status, err = s.cfg.Target.StartSync(ctx, p.Account, p.Target, input)
	} else {
		err = s.cfg.Target.Start(ctx, p.Account, p.Target, input)
		status = "STARTED"
	}
	elapsed := float64(s.cfg.Clock.Now().Sub(start).Milliseconds())
	record("TargetStageDuration", elapsed, metrics.Milliseconds)
	record("Duration", elapsed, metrics.Milliseconds)
	ok := err == nil && (status == "SUCCEEDED" || status == "STARTED")
	if !ok {
		if ae, isAWS := awserr.As(err); isAWS && throttlingCodes[ae.Code] {
			record("ExecutionThrottled", 1, metrics.None)
		} else if status == "TIMED_OUT" {
			record("ExecutionTimeout", 1, metrics.None)
		}
		record("TargetStageFailed", 1, metrics.None)
		record("ExecutionFailed", 1, metrics.None)
		s.log.Info("pipe_target_failed", "account", p.Account, "pipe", p.Name, "status", status, "err", err, "messages", len(records))
		return
	}
	if err := s.cfg.Source.Delete(ctx, p.Account, p.Source, handles); err != nil {
		s.log.Warn("pipe_delete_failed", "account", p.Account, "pipe", p.Name, "err", err)
	}
}

func matchesAny(filters []*pattern.Pattern, rec map[string]any) bool {
	// Patterns see the body as JSON when it is JSON, as Pipes filtering does.
	doc := map[string]any{}
	for k, v := range rec {
		doc[k] = v
	}
	if body, ok := rec["body"].(string); ok {
		if v, ok := parseJSON(body); ok {
			doc["body"] = v
		}
	}
	for _, f := range filters {
		if f.MatchValue(doc) {
			return true
		}
	}
	return false
}

func parseJSON(s string) (any, bool) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return nil, false
	}
	return v, true
}

// sqsRecord is a message as Pipes hands it to a target.
func sqsRecord(p *Pipe, m Message) map[string]any {
	attrs := map[string]any{}
	for k, v := range m.Attributes {
		attrs[k] = v
	}
	mattrs := map[string]any{}
	for k, a := range m.MessageAttributes {
		v := map[string]any{"dataType": a.DataType, "stringListValues": nonNil(a.StringListValues), "binaryListValues": binList(a.BinaryListValues)}
		if a.StringValue != nil {
			v["stringValue"] = *a.StringValue
		}
		if a.BinaryValue != nil {
			v["binaryValue"] = base64.StdEncoding.EncodeToString(a.BinaryValue)
		}
		mattrs[k] = v
	}
	return map[string]any{
		"messageId":         m.MessageID,
		"receiptHandle":     m.ReceiptHandle,
		"body":              m.Body,
		"attributes":        attrs,
		"messageAttributes": mattrs,
		"md5OfBody":         m.MD5OfBody,
		"eventSource":       "aws:sqs",
		"eventSourceARN":    p.Source,
		"awsRegion":         p.Region,
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func binList(b [][]byte) []string {
	out := []string{}
	for _, x := range b {
		out = append(out, base64.StdEncoding.EncodeToString(x))
	}
	return out
}

// input is what the target receives: the records as a JSON array, or each record through the
// pipe's InputTemplate (a JSON array of the results).
func (s *Service) input(p *Pipe, records []map[string]any) (string, error) {
	tmpl := p.TargetParameters.InputTemplate
	if tmpl == nil || *tmpl == "" {
		b, err := json.Marshal(records)
		return string(b), err
	}
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, rec := range records {
		if i > 0 {
			buf.WriteByte(',')
		}
		out := transform.Fill(*tmpl, s.templateLookup(p, rec))
		if _, ok := parseJSON(out); ok {
			buf.WriteString(out)
		} else {
			q, _ := json.Marshal(out)
			buf.Write(q)
		}
	}
	buf.WriteByte(']')
	return buf.String(), nil
}

func (s *Service) templateLookup(p *Pipe, rec map[string]any) transform.Lookup {
	doc := map[string]any{}
	for k, v := range rec {
		doc[k] = v
	}
	if body, ok := rec["body"].(string); ok {
		if v, ok := parseJSON(body); ok {
			doc["body"] = v
		}
	}
	return func(name string) (any, bool) {
		switch name {
		case "aws.pipes.pipe-arn":
			return p.ARN, true
		case "aws.pipes.pipe-name":
			return p.Name, true
		case "aws.pipes.source-arn":
			return p.Source, true
		case "aws.pipes.target-arn":
			return p.Target, true
		case "aws.pipes.enrichment-arn":
			return p.Enrichment, true
		case "aws.pipes.event.ingestion-time":
			return s.cfg.Clock.Now().UTC().Format(time.RFC3339), true
		case "aws.pipes.event":
			b, _ := json.Marshal(rec)
			return string(b), true
		case "aws.pipes.event.json":
			return doc, true
		}
		if strings.HasPrefix(name, "$.") || name == "$" {
			return lookupPath(doc, name), true
		}
		return nil, false
	}
}

// lookupPath follows a simple JSON path ($.a.b[0].c) through doc; missing members give nil.
func lookupPath(doc any, path string) any {
	cur := doc
	rest := strings.TrimPrefix(path, "$")
	for rest != "" {
		switch rest[0] {
		case '.':
			rest = rest[1:]
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			obj, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			cur = obj[rest[:end]]
			rest = rest[end:]
		case '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil
			}
			var idx int
			if _, err := fmt.Sscanf(rest[1:end], "%d", &idx); err != nil {
				return nil
			}
			arr, ok := cur.([]any)
			if !ok || idx < 0 || idx >= len(arr) {
				return nil
			}
			cur = arr[idx]
			rest = rest[end+1:]
		default:
			return nil
		}
	}
	return cur
}

func encodeToken(name string) string { return base64.RawURLEncoding.EncodeToString([]byte(name)) }

func decodeToken(tok string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	return string(b), err
}
