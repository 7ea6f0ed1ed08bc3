package states

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ceap/ceap/internal/asl"
	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/store"
)

// SyncResult is StartSyncExecution's result.
type SyncResult struct {
	Execution
}

// expressTasks performs the Task states of an Express execution.
type expressTasks struct {
	s         *Service
	c         Caller
	execution string
}

func (t *expressTasks) RunTask(ctx context.Context, cmd asl.InvokeTask) (any, error) {
	call := &TaskCall{Caller: t.c, ExecutionARN: t.execution, StateName: cmd.StateName, Resource: cmd.Resource, Parameters: cmd.Parameters,
		TaskToken: cmd.TaskToken, TimeoutSeconds: cmd.TimeoutSeconds, HeartbeatSeconds: cmd.HeartbeatSeconds, Credentials: cmd.Credentials}
	return t.s.invoke(ctx, call, cmd.ID, true)
}

func (t *expressTasks) ReadItems(ctx context.Context, cmd asl.ReadItems) ([]any, error) {
	in, ok := t.s.integration(cmd.Resource)
	r, canRead := in.(ItemsReader)
	if !ok || !canRead {
		return nil, unknownResource(cmd.Resource)
	}
	return r.ReadItems(ctx, &TaskCall{Caller: t.c, ExecutionARN: t.execution, StateName: cmd.StateName, Resource: cmd.Resource, Parameters: cmd.Parameters, ReaderConfig: cmd.ReaderConfig})
}

// StartSyncExecution runs an Express execution to its end and returns its result.
func (s *Service) StartSyncExecution(ctx context.Context, c Caller, in *StartInput) (*SyncResult, error) {
	if in.Name == "" {
		in.Name = timeOrderedID()
	}
	if !validName(in.Name) {
		return nil, invalidName(in.Name)
	}
	raw, input, err := checkInput(in.Input)
	if err != nil {
		return nil, err
	}
	t, err := s.resolveTarget(ctx, c, in.StateMachineARN, s.pick)
	if err != nil {
		return nil, err
	}
	if t.machine.Type != TypeExpress {
		return nil, stateMachineTypeNotSupported()
	}
	e, err := s.runExpress(ctx, c, t, in, raw, input)
	if err != nil {
		return nil, err
	}
	return &SyncResult{Execution: *e}, nil
}

func stateMachineTypeNotSupported() error {
	return awserr.New("StateMachineTypeNotSupported", "This operation is not supported by this type of state machine")
}

// startExpressAsync starts an Express execution in the background (StartExecution).
func (s *Service) startExpressAsync(ctx context.Context, c Caller, t *target, in *StartInput, raw string, input any) (*Execution, error) {
	now := s.now()
	id := timeOrderedID()
	arn := expressARN(c, t.machine.Name, in.Name, id)
	doc := &execDoc{Region: c.Region, Type: TypeExpress, Input: raw, VersionARN: t.versionARN, AliasARN: t.aliasARN, Revision: t.revision, TraceHeader: in.TraceHeader}
	running := &store.ExecutionRow{ARN: arn, Account: c.Account, StateMachineARN: t.machineARN, Name: in.Name, Status: asl.StatusRunning, Express: true, StartedAt: now.UnixMilli(), Doc: marshal(doc)}
	s.express.track(&expressRecord{row: running, doc: doc, machine: t.machine.Name})
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		rctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			select {
			case <-s.stop:
				cancel()
			case <-rctx.Done():
			}
		}()
		s.runExpressAs(rctx, c, t, in, raw, input, arn, now)
	}()
	return &Execution{ARN: arn, StateMachineARN: t.machineARN, Name: in.Name, Status: asl.StatusRunning, Started: now, Input: raw, Express: true}, nil
}

func expressARN(c Caller, machine, name, id string) string {
	return "arn:aws:states:" + c.Region + ":" + c.Account + ":express:" + machine + ":" + name + ":" + id
}

func (s *Service) runExpress(ctx context.Context, c Caller, t *target, in *StartInput, raw string, input any) (*Execution, error) {
	now := s.now()
	arn := expressARN(c, t.machine.Name, in.Name, timeOrderedID())
	return s.runExpressAs(ctx, c, t, in, raw, input, arn, now)
}

func (s *Service) runExpressAs(ctx context.Context, c Caller, t *target, in *StartInput, raw string, input any, arn string, now time.Time) (*Execution, error) {
	p, err := s.program(t.revision, t.machine.Definition)
	if err != nil {
		return nil, err
	}
	s.record(c.Account, "ExecutionsStarted", t.machineARN, 1, "Count")
	actx := asl.Context{ExecutionID: arn, ExecutionName: in.Name, StateMachineID: t.machineARN, StateMachineName: t.machine.Name, RoleArn: t.machine.RoleArn, StartTime: now}
	if t.versionARN != "" {
		actx.StateMachineID = t.versionARN
	}
	out, history := asl.Run(ctx, p, input, actx, &expressTasks{s: s, c: c, execution: arn}, s.now, s.sleep)
	stopped := s.now()
	doc := &execDoc{Region: c.Region, Type: TypeExpress, Input: raw, VersionARN: t.versionARN, AliasARN: t.aliasARN, Revision: t.revision, TraceHeader: in.TraceHeader, Logging: t.machine.Logging}
	switch out.Status {
	case asl.StatusSucceeded:
		o := compact(out.Output)
		doc.Output = &o
	default:
		doc.Error, doc.Cause = out.Error, out.Cause
	}
	row := &store.ExecutionRow{
		ARN: arn, Account: c.Account, StateMachineARN: t.machineARN, Name: in.Name, Status: out.Status, Express: true,
		StartedAt: now.UnixMilli(), StoppedAt: stopped.UnixMilli(), Version: 1,
		ExpiresAt: stopped.Add(s.cfg.ExpressRetention).UnixMilli(), Doc: marshal(doc),
	}
	s.recordEnd(row, doc)
	s.express.add(&expressRecord{row: row, doc: doc, history: history, machine: t.machine.Name})
	return s.execution(row, doc), nil
}

// sleep waits on the service clock.
func (s *Service) sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-s.clk.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// expressRecord is a finished Express execution on its way to the store.
type expressRecord struct {
	row     *store.ExecutionRow
	doc     *execDoc
	history []asl.HistoryEvent
	machine string
	// logsOnly marks a Standard execution's events: they go to the logs, not to the store.
	logsOnly bool
}

// expressRecorder writes Express records in batches, off the hot path, and sends their events
// to the logs service.
type expressRecorder struct {
	s       *Service
	mu      sync.Mutex
	pending map[string]*expressRecord
	queue   chan *expressRecord
	// dropped counts the records given up since the last report because the writers were behind.
	dropped atomic.Int64
}

func newExpressRecorder(s *Service) *expressRecorder {
	return &expressRecorder{s: s, pending: map[string]*expressRecord{}, queue: make(chan *expressRecord, 2*expressWriters*expressBatch)}
}

// queueLogs sends a Standard execution's new events to its log group, off the commit path.
func (r *expressRecorder) queueLogs(rec *expressRecord) {
	rec.logsOnly = true
	r.queue <- rec
}

// track makes a running Express execution visible until its record replaces it.
func (r *expressRecorder) track(rec *expressRecord) {
	r.mu.Lock()
	r.pending[rec.row.ARN] = rec
	r.mu.Unlock()
}

// add hands a finished Express execution to the writers. When they are behind and the queue is
// full the record is dropped instead of holding up the caller: the caller never waits on the
// disk for a record that AWS does not keep at all.
func (r *expressRecorder) add(rec *expressRecord) {
	r.mu.Lock()
	r.pending[rec.row.ARN] = rec
	r.mu.Unlock()
	select {
	case r.queue <- rec:
	default:
		r.mu.Lock()
		delete(r.pending, rec.row.ARN)
		r.mu.Unlock()
		r.dropped.Add(1)
	}
}

func (r *expressRecorder) pendingRecord(arn string) (*store.ExecutionRow, *execDoc, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec, ok := r.pending[arn]
	if !ok {
		return nil, nil, false
	}
	return rec.row, rec.doc, true
}

func (r *expressRecorder) pendingCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pending)
}

func (r *expressRecorder) pendingHistory(arn string) ([]asl.HistoryEvent, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec, ok := r.pending[arn]
	if !ok {
		return nil, false
	}
	return append([]asl.HistoryEvent(nil), rec.history...), true
}

func (r *expressRecorder) loop() {
	defer r.s.wg.Done()
	batch := make([]*expressRecord, 0, expressBatch)
	for {
		batch = batch[:0]
		select {
		case rec := <-r.queue:
			batch = append(batch, rec)
		case <-r.s.stop:
			for {
				select {
				case rec := <-r.queue:
					batch = append(batch, rec)
					if len(batch) == expressBatch {
						r.flush(batch)
						batch = batch[:0]
					}
				default:
					r.flush(batch)
					return
				}
			}
		}
	fill:
		for len(batch) < expressBatch {
			select {
			case rec := <-r.queue:
				batch = append(batch, rec)
			default:
				break fill
			}
		}
		r.flush(batch)
		if n := r.dropped.Swap(0); n > 0 {
			r.s.log.Warn("express_records_dropped", "count", n)
		}
	}
}

func (r *expressRecorder) flush(batch []*expressRecord) {
	if len(batch) == 0 {
		return
	}
	ctx := context.Background()
	p := &store.ExecutionsRecordParams{}
	// Each record's event details are encoded once, for its history and its log records.
	encoded := make([][]encodedDetail, len(batch))
	for i, rec := range batch {
		if !rec.logsOnly || logsData(rec.doc) {
			encoded[i] = r.s.codec.eventDetails(rec.history)
		}
		if rec.logsOnly {
			continue
		}
		// An Express execution is written once, finished: its whole history rides in the row's
		// snapshot column (one insert instead of two).
		rec.row.Snapshot = r.s.codec.encodeHistoryWith(rec.history, encoded[i], false)
		p.Executions = append(p.Executions, rec.row)
	}
	if err := r.s.st.ExecutionsRecord(ctx, p); err != nil {
		r.s.log.Warn("express_record_failed", "count", len(batch), "err", err)
	}
	for i, rec := range batch {
		r.s.sendLogs(ctx, rec, encoded[i])
	}
	r.mu.Lock()
	for _, rec := range batch {
		if !rec.logsOnly {
			delete(r.pending, rec.row.ARN)
		}
	}
	r.mu.Unlock()
}

// logged says whether a logging level sends an event type.
func logged(level, typ string) bool {
	switch level {
	case "ALL":
		return true
	case "ERROR":
		return strings.HasSuffix(typ, "Failed") || strings.HasSuffix(typ, "TimedOut") || strings.HasSuffix(typ, "Aborted")
	case "FATAL":
		return typ == asl.EventExecutionFailed || typ == asl.EventExecutionTimedOut || typ == asl.EventExecutionAborted
	}
	return false
}

// logRecordOverhead is about how many bytes a log record has besides its detail and its
// execution ARN (the keys, the times, the ids and the type).
const logRecordOverhead = 160

// logsData says whether an execution's log records carry its data (then they share the
// history's encoded details).
func logsData(doc *execDoc) bool {
	return doc.Logging != nil && doc.Logging.IncludeExecutionData
}

// sendLogs sends an execution's events to its state machine's log group, in the shape of
// Step Functions' CloudWatch Logs records. encoded are the events' details when the records
// carry the execution's data (nil: encode them here).
func (s *Service) sendLogs(ctx context.Context, rec *expressRecord, encoded []encodedDetail) {
	l := rec.doc.Logging
	if s.cfg.Logs == nil || l == nil || len(l.Destinations) == 0 || l.Destinations[0].CloudWatchLogsLogGroup == nil {
		return
	}
	group := logGroupName(l.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn)
	if group == "" {
		return
	}
	// The records are written into one buffer, made one string and cut into the messages: one
	// allocation for all of them.
	arnJSON := marshal(rec.row.ARN)
	size := len(rec.history) * (logRecordOverhead + len(arnJSON))
	for _, d := range encoded {
		size += len(d.json)
	}
	buf := make([]byte, 0, size)
	ends := make([]int, 0, len(rec.history))
	events := make([]LogEvent, 0, len(rec.history))
	for i := range rec.history {
		ev := &rec.history[i]
		if !logged(l.Level, ev.Type) {
			continue
		}
		var detail *encodedDetail
		switch {
		case !l.IncludeExecutionData:
			stripped := *ev
			stripData(&stripped)
			ev = &stripped
		case encoded != nil:
			detail = &encoded[i]
		}
		buf = s.codec.appendLogRecord(buf, ev, detail, arnJSON)
		ends = append(ends, len(buf))
		events = append(events, LogEvent{Time: ev.Timestamp})
	}
	if len(events) == 0 {
		return
	}
	all, start := string(buf), 0
	for i, end := range ends {
		events[i].Message = all[start:end]
		start = end
	}
	stream := "states/" + rec.machine + "/" + time.UnixMilli(rec.row.StartedAt).UTC().Format("2006-01-02-15-04") + "/" + rec.row.ARN[strings.LastIndex(rec.row.ARN, ":")+1:]
	if err := s.cfg.Logs.Put(ctx, rec.row.Account, group, stream, events); err != nil {
		s.log.Warn("execution_logs_failed", "group", group, "err", err)
	}
}

// logGroupName extracts the name from arn:aws:logs:region:account:log-group:NAME[:*].
func logGroupName(arn string) string {
	_, rest, ok := strings.Cut(arn, ":log-group:")
	if !ok {
		return ""
	}
	return strings.TrimSuffix(rest, ":*")
}
