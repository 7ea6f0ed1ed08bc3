package states

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/ceap/ceap/internal/asl"
	"github.com/ceap/ceap/internal/asl/fault"
	"github.com/ceap/ceap/internal/store"
)

// Work kinds.
const (
	workTask  = "task"
	workItems = "items"
	workTimer = "timer"
	workEvent = "event"
)

// workDoc is the stored body of a work row.
type workDoc struct {
	Region string          `json:"region,omitempty"`
	Task   *asl.InvokeTask `json:"task,omitempty"`
	Items  *asl.ReadItems  `json:"items,omitempty"`
	Timer  string          `json:"timer,omitempty"`
	Event  *eventDoc       `json:"event,omitempty"`
}

// eventDoc is an interpreter event waiting in the store for its execution.
type eventDoc struct {
	Kind   string          `json:"kind"` // succeeded, failed
	ID     string          `json:"id"`
	Output json.RawMessage `json:"output,omitempty"`
	Error  string          `json:"error,omitempty"`
	Cause  string          `json:"cause,omitempty"`
}

func (e *eventDoc) event() asl.Event {
	if e.Kind == "failed" {
		return asl.TaskFailed{ID: e.ID, Error: e.Error, Cause: e.Cause}
	}
	var v any
	json.Unmarshal(e.Output, &v)
	return asl.TaskSucceeded{ID: e.ID, Output: v}
}

// errTaskPending is returned by an integration whose result will arrive later as an event
// (states:startExecution.sync).
var errTaskPending = errors.New("task result pending")

// workLoop claims due work and performs it until Stop.
func (s *Service) workLoop() {
	defer s.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-s.stop
		cancel()
	}()
	lastExpire := time.Time{}
	for {
		now := s.now()
		if now.Sub(lastExpire) >= time.Minute {
			lastExpire = now
			if _, err := s.st.ExecutionsExpire(ctx, &store.ExecutionsExpireParams{Now: now.UnixMilli()}); err != nil && ctx.Err() == nil {
				s.log.Warn("express_expire_failed", "err", err)
			}
		}
		n := s.RunOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if n > 0 {
			continue
		}
		wait := s.cfg.Poll
		if next, err := s.st.WorkNextReady(ctx, &store.WorkNextReadyParams{}); err == nil {
			if d := time.UnixMilli(next).Sub(s.now()); d < wait {
				wait = d
			}
		}
		if wait <= 0 {
			continue
		}
		select {
		case <-s.stop:
			return
		case <-s.wake:
		case <-s.clk.After(wait):
		}
	}
}

// RunOnce claims the work that is due now and performs it, returning how many rows it took.
// Tests call it to drive the worker without waiting.
func (s *Service) RunOnce(ctx context.Context) int {
	free := cap(s.inflight) - len(s.inflight)
	if free <= 0 {
		select {
		case s.inflight <- struct{}{}:
			<-s.inflight
		case <-ctx.Done():
		}
		return 0
	}
	now := s.now()
	// A read first: claiming is a write, and most wake-ups find nothing due.
	if next, err := s.st.WorkNextReady(ctx, &store.WorkNextReadyParams{}); err != nil || next > now.UnixMilli() {
		return 0
	}
	rows, err := s.st.WorkClaim(ctx, &store.WorkClaimParams{Now: now.UnixMilli(), Owner: s.node, LeaseUntil: now.Add(s.cfg.Lease).UnixMilli(), Limit: free})
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("work_claim_failed", "err", err)
		}
		return 0
	}
	for _, row := range rows {
		s.inflight <- struct{}{}
		s.wg.Add(1)
		go func(row *store.WorkRow) {
			defer s.wg.Done()
			defer func() { <-s.inflight }()
			if err := s.perform(s.working, row); err != nil && s.working.Err() == nil {
				s.log.Warn("work_failed", "work", row.ID, "kind", row.Kind, "err", err)
			}
		}(row)
	}
	return len(rows)
}

// perform runs one claimed work row.
func (s *Service) perform(ctx context.Context, row *store.WorkRow) error {
	var w workDoc
	if err := json.Unmarshal(row.Doc, &w); err != nil {
		return err
	}
	switch row.Kind {
	case workTimer:
		return s.feed(ctx, row, asl.TimerFired{ID: w.Timer})
	case workEvent:
		return s.feed(ctx, row, w.Event.event())
	case workTask:
		return s.performTask(ctx, row, &w)
	case workItems:
		return s.performItems(ctx, row, &w)
	}
	return nil
}

// feedRequest is one work row's events waiting to be fed to its execution.
type feedRequest struct {
	row  *store.WorkRow
	evs  []asl.Event
	done chan error
}

// mailbox gathers the results that arrive for one execution while an advance of it is being
// written, so that they go into the next advance together: a Map of many tasks costs one
// snapshot write per batch of results, not one per result.
type mailbox struct {
	reqs    []*feedRequest
	running bool
}

// feed resumes an execution with a work row's events and consumes the row.
func (s *Service) feed(ctx context.Context, row *store.WorkRow, evs ...asl.Event) error {
	req := &feedRequest{row: row, evs: evs, done: make(chan error, 1)}
	arn := row.ExecutionARN
	s.mailMu.Lock()
	mb := s.mail[arn]
	if mb == nil {
		mb = &mailbox{}
		s.mail[arn] = mb
	}
	mb.reqs = append(mb.reqs, req)
	if mb.running {
		s.mailMu.Unlock()
		return <-req.done
	}
	mb.running = true
	s.mailMu.Unlock()
	for {
		s.mailMu.Lock()
		batch := mb.reqs
		mb.reqs = nil
		if len(batch) == 0 {
			delete(s.mail, arn)
			s.mailMu.Unlock()
			break
		}
		s.mailMu.Unlock()
		err := s.feedBatch(ctx, arn, batch)
		for _, r := range batch {
			r.done <- err
		}
	}
	return <-req.done
}

func (s *Service) feedBatch(ctx context.Context, arn string, batch []*feedRequest) error {
	rows := make([]*store.WorkRow, len(batch))
	for i, r := range batch {
		rows[i] = r.row
	}
	err := s.update(ctx, arn, rows, func(p *asl.Program, snap *asl.Snapshot, _ *execDoc) (*asl.Outcome, error) {
		if snap == nil {
			return nil, nil
		}
		var out *asl.Outcome
		for _, r := range batch {
			for _, ev := range r.evs {
				out = merge(out, p.Resume(snap, ev, s.now()))
			}
		}
		return out, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// keepLease extends a claimed row's lease while a long task runs.
func (s *Service) keepLease(ctx context.Context, row *store.WorkRow) func() {
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-s.clk.After(s.cfg.Lease / 3):
				s.st.WorkExtend(ctx, &store.WorkExtendParams{ID: row.ID, Owner: row.Owner, LeaseUntil: s.now().Add(s.cfg.Lease).UnixMilli()})
			}
		}
	}()
	return func() { close(done) }
}

func (s *Service) performTask(ctx context.Context, row *store.WorkRow, w *workDoc) error {
	cmd := w.Task
	a, _ := parseARN(row.ExecutionARN)
	call := &TaskCall{
		Caller: Caller{Account: a.Account, Region: w.Region}, ExecutionARN: row.ExecutionARN, StateName: cmd.StateName,
		Resource: cmd.Resource, Parameters: cmd.Parameters, TaskToken: cmd.TaskToken,
		TimeoutSeconds: cmd.TimeoutSeconds, HeartbeatSeconds: cmd.HeartbeatSeconds, Credentials: cmd.Credentials,
	}
	stop := s.keepLease(ctx, row)
	out, err := s.invoke(ctx, call, cmd.ID, false)
	stop()
	started := asl.TaskStarted{ID: cmd.ID}
	switch {
	case errors.Is(err, errTaskPending):
		return s.feed(ctx, row, started)
	case err != nil:
		return s.feed(ctx, row, started, taskFailure(cmd.ID, err))
	case cmd.TaskToken != "":
		return s.feed(ctx, row, started)
	}
	return s.feed(ctx, row, started, asl.TaskSucceeded{ID: cmd.ID, Output: out})
}

func taskFailure(id string, err error) asl.TaskFailed {
	var fe *fault.Error
	if errors.As(err, &fe) {
		return asl.TaskFailed{ID: id, Error: fe.Name, Cause: fe.Cause}
	}
	return asl.TaskFailed{ID: id, Error: fault.TaskFailed, Cause: err.Error()}
}

func (s *Service) performItems(ctx context.Context, row *store.WorkRow, w *workDoc) error {
	cmd := w.Items
	a, _ := parseARN(row.ExecutionARN)
	call := &TaskCall{Caller: Caller{Account: a.Account, Region: w.Region}, ExecutionARN: row.ExecutionARN, StateName: cmd.StateName, Resource: cmd.Resource, Parameters: cmd.Parameters, ReaderConfig: cmd.ReaderConfig}
	in, ok := s.integration(cmd.Resource)
	r, canRead := in.(ItemsReader)
	if !ok || !canRead {
		return s.feed(ctx, row, asl.TaskFailed{ID: cmd.ID, Error: fault.ItemReaderFailed, Cause: "The item reader resource '" + cmd.Resource + "' is not available."})
	}
	stop := s.keepLease(ctx, row)
	items, err := r.ReadItems(ctx, call)
	stop()
	if err != nil {
		return s.feed(ctx, row, asl.TaskFailed{ID: cmd.ID, Error: fault.ItemReaderFailed, Cause: err.Error()})
	}
	out := make([]any, len(items))
	copy(out, items)
	return s.feed(ctx, row, asl.TaskSucceeded{ID: cmd.ID, Output: out})
}

// invoke performs a Task resource through the registry. express is set for Express
// executions, which cannot wait for callbacks or child executions.
func (s *Service) invoke(ctx context.Context, call *TaskCall, id string, express bool) (any, error) {
	res := call.Resource
	if express && (strings.HasSuffix(res, ".waitForTaskToken") || strings.Contains(res, ".sync") || isActivity(res)) {
		return nil, fault.New(fault.Runtime, "Express state machines do not support the resource '%s'.", res)
	}
	if isActivity(res) {
		return nil, fault.New(fault.Runtime, "Activity '%s' cannot be invoked directly.", res)
	}
	in, ok := s.integration(res)
	if !ok {
		return nil, unknownResource(res)
	}
	return in.Invoke(withCommand(ctx, id), call)
}

// unknownResource is the task failure for a resource no service serves: the error AWS
// reports when the target does not exist.
func unknownResource(res string) error {
	service := ""
	if rest, ok := strings.CutPrefix(res, "arn:aws:states:::"); ok {
		service, _, _ = strings.Cut(rest, ":")
	} else if parts := strings.Split(res, ":"); len(parts) > 2 {
		service = parts[2]
	}
	switch service {
	case "lambda":
		return fault.New("Lambda.ResourceNotFoundException", "Function not found: %s", res)
	case "glue":
		return fault.New("Glue.EntityNotFoundException", "The job of resource %s was not found.", res)
	case "sqs":
		return fault.New("SQS.QueueDoesNotExistException", "The specified queue does not exist for resource %s.", res)
	case "sns":
		return fault.New("SNS.NotFoundException", "Topic does not exist for resource %s.", res)
	case "s3", "aws-sdk":
		return fault.New("States.Runtime", "The resource %s is not available.", res)
	}
	return fault.New(fault.Runtime, "The resource %s is not available.", res)
}

func isActivity(res string) bool {
	a, ok := parseARN(res)
	return ok && a.Type == "activity"
}

type commandKey struct{}

// withCommand carries the interpreter's command id to integrations that need it to be
// idempotent (states:startExecution names its child after it).
func withCommand(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, commandKey{}, id)
}

func commandOf(ctx context.Context) string {
	id, _ := ctx.Value(commandKey{}).(string)
	return id
}
