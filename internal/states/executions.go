package states

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ceap/ceap/internal/asl"
	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/store"
)

const (
	// redriveWindow is how long after it stops an execution can be redriven: 14 days.
	redriveWindow = 14 * 24 * time.Hour
	// maxWriteAttempts bounds the retries of an advance that lost an optimistic race.
	maxWriteAttempts = 20
)

// Redrive statuses of DescribeExecution.
const (
	RedriveRedrivable    = "REDRIVABLE"
	RedriveNotRedrivable = "NOT_REDRIVABLE"
)

// execDoc is the stored attributes of an execution.
type execDoc struct {
	Region      string                `json:"region"`
	Type        string                `json:"type"`
	Input       string                `json:"input"`
	Output      *string               `json:"output,omitempty"`
	Error       string                `json:"error,omitempty"`
	Cause       string                `json:"cause,omitempty"`
	VersionARN  string                `json:"versionArn,omitempty"`
	AliasARN    string                `json:"aliasArn,omitempty"`
	Revision    string                `json:"revision"`
	TraceHeader string                `json:"traceHeader,omitempty"`
	Parent      *parentRef            `json:"parent,omitempty"`
	Logging     *LoggingConfiguration `json:"logging,omitempty"`
}

// parentRef links a child execution started with states:startExecution.sync to the task
// waiting for it.
type parentRef struct {
	ExecutionARN string `json:"executionArn"`
	CommandID    string `json:"commandId"`
	Output2      bool   `json:"output2,omitempty"` // .sync:2: the output is JSON, not a string
}

// Execution is what DescribeExecution and ListExecutions tell of an execution.
type Execution struct {
	ARN                 string
	StateMachineARN     string
	Name                string
	Status              string
	Started             time.Time
	Stopped             time.Time
	Input               string
	Output              *string
	Error               string
	Cause               string
	TraceHeader         string
	VersionARN          string
	AliasARN            string
	RedriveCount        int
	RedriveDate         time.Time
	RedriveStatus       string
	RedriveStatusReason string
	Express             bool
}

// StartInput is StartExecution's and StartSyncExecution's input.
type StartInput struct {
	StateMachineARN string
	Name            string
	Input           *string
	TraceHeader     string
	parent          *parentRef
}

func isTerminal(status string) bool {
	return status != asl.StatusRunning && status != ""
}

// checkInput validates execution input and returns it decoded.
func checkInput(in *string) (string, any, error) {
	s := "{}"
	if in != nil {
		s = *in
	}
	if len(s) > maxInputBytes {
		return "", nil, awserr.New("InvalidExecutionInput", "Invalid State Machine Execution Input: 'The input exceeds the maximum number of bytes service limit.'")
	}
	v, err := decodeJSON(s)
	if err != nil {
		return "", nil, awserr.New("InvalidExecutionInput", "Invalid State Machine Execution Input: '%v'", err)
	}
	return s, v, nil
}

func decodeJSON(s string) (any, error) {
	d := json.NewDecoder(strings.NewReader(s))
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return v, nil
}

// compact renders a value as compact JSON without HTML escaping.
func compact(v any) string { return asl.CompactJSON(v) }

// StartExecution starts an execution of a state machine, version or alias. A Standard
// execution runs its pure steps at once and is committed, with its history, before this
// returns; an Express one runs in the background.
func (s *Service) StartExecution(ctx context.Context, c Caller, in *StartInput) (*Execution, error) {
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
	if t.machine.Type == TypeExpress {
		return s.startExpressAsync(ctx, c, t, in, raw, input)
	}
	p, err := s.program(t.revision, t.machine.Definition)
	if err != nil {
		return nil, fmt.Errorf("compile %s: %w", t.revision, err)
	}
	now := s.now()
	arn := "arn:aws:states:" + c.Region + ":" + c.Account + ":execution:" + t.machine.Name + ":" + in.Name
	actx := asl.Context{ExecutionID: arn, ExecutionName: in.Name, StateMachineID: t.machineARN, StateMachineName: t.machine.Name, RoleArn: t.machine.RoleArn, StartTime: now}
	if t.versionARN != "" {
		actx.StateMachineID = t.versionARN
	}
	snap, out := p.Start(input, actx, now)
	doc := &execDoc{Region: c.Region, Type: TypeStandard, Input: raw, VersionARN: t.versionARN, AliasARN: t.aliasARN, Revision: t.revision, TraceHeader: in.TraceHeader, Parent: in.parent, Logging: t.machine.Logging}
	row := &store.ExecutionRow{ARN: arn, Account: c.Account, StateMachineARN: t.machineARN, Name: in.Name, StartedAt: now.UnixMilli()}
	a := &advance{row: row, doc: doc, snap: snap, out: out, before: map[string]bool{}}
	err = s.commit(ctx, a)
	if errors.Is(err, store.ErrAlreadyExists) {
		old, gerr := s.st.ExecutionGet(ctx, &store.ExecutionGetParams{ARN: arn})
		if gerr == nil {
			var od execDoc
			json.Unmarshal(old.Doc, &od)
			if old.Status == asl.StatusRunning && od.Input == raw {
				return s.execution(old, &od), nil
			}
			if in.parent != nil && od.Parent != nil && *od.Parent == *in.parent {
				return s.execution(old, &od), nil
			}
		}
		return nil, awserr.New("ExecutionAlreadyExists", "Execution Already Exists: '%s'", arn)
	}
	if err != nil {
		return nil, err
	}
	s.record(c.Account, "ExecutionsStarted", t.machineARN, 1, "Count")
	return s.execution(a.row, doc), nil
}

// timeOrderedID is a default execution name or Express execution id: a UUID, as AWS gives, of
// version 7 so that new executions' ARNs sort by time and land at the end of the store's ARN
// index instead of on a random page of it.
func timeOrderedID() string {
	u, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return u.String()
}

// pick draws the alias routing number.
func (s *Service) pick() float64 {
	u := uuid.New()
	return float64(uint64(u[0])<<8|uint64(u[1])) / 65536
}

// advance is one change of an execution on its way to the store.
type advance struct {
	row     *store.ExecutionRow // the stored row (Version 0 for a new execution)
	doc     *execDoc
	snap    *asl.Snapshot
	before  map[string]bool // pending commands before the change
	out     asl.Outcome
	claimed []*store.WorkRow
	redrive bool
}

func pendingSet(s *asl.Snapshot) map[string]bool {
	m := make(map[string]bool, len(s.Pending))
	for id := range s.Pending {
		m[id] = true
	}
	return m
}

func workID(execution, command string) string { return execution + "/" + command }

// commit writes an advance: the row, its history, its work.
func (s *Service) commit(ctx context.Context, a *advance) error {
	now := s.now()
	prev := a.row.Version
	row := *a.row
	row.Version = prev + 1
	row.Status = a.snap.Status
	doc := a.doc
	terminal := isTerminal(row.Status)
	switch row.Status {
	case asl.StatusSucceeded:
		o := compact(a.snap.Output)
		doc.Output, doc.Error, doc.Cause = &o, "", ""
	case asl.StatusFailed, asl.StatusTimedOut, asl.StatusAborted:
		doc.Output, doc.Error, doc.Cause = nil, a.snap.Error, a.snap.Cause
	default:
		doc.Output, doc.Error, doc.Cause = nil, "", ""
	}
	if terminal {
		row.StoppedAt = now.UnixMilli()
	} else {
		row.StoppedAt = 0
	}
	row.Doc = marshal(doc)
	if row.Status != asl.StatusSucceeded {
		row.Snapshot = marshal(a.snap)
	} else {
		row.Snapshot = nil
	}
	w := &store.ExecutionWriteParams{Execution: &row, PrevVersion: prev}
	if len(a.out.Events) > 0 {
		w.History = &store.HistoryChunk{ExecutionARN: row.ARN, FirstID: a.out.Events[0].ID, Events: s.codec.encodeHistory(a.out.Events, true)}
	}
	for _, c := range a.claimed {
		w.Claimed, w.ClaimOwner = append(w.Claimed, c.ID), c.Owner
	}
	after := a.snap.Pending
	for id := range a.before {
		if _, still := after[id]; !still || terminal {
			w.WorkDelete = append(w.WorkDelete, workID(row.ARN, id))
			w.ActivityDelete = append(w.ActivityDelete, workID(row.ARN, id))
		}
	}
	activities := 0
	if !terminal {
		for _, cmd := range a.out.Commands {
			switch c := cmd.(type) {
			case asl.InvokeTask:
				if isActivity(c.Resource) {
					w.ActivityAdd = append(w.ActivityAdd, &store.ActivityTaskRow{
						ID: workID(row.ARN, c.ID), ActivityARN: c.Resource, ExecutionARN: row.ARN,
						Token: activityToken(row.ARN, c.ID), Input: compact(c.Parameters), Created: now.UnixMilli(),
					})
					activities++
					continue
				}
				w.WorkAdd = append(w.WorkAdd, &store.WorkRow{ID: workID(row.ARN, c.ID), ExecutionARN: row.ARN, Kind: workTask, ReadyAt: now.UnixMilli(), Doc: marshal(&workDoc{Region: doc.Region, Task: &c})})
			case asl.ReadItems:
				w.WorkAdd = append(w.WorkAdd, &store.WorkRow{ID: workID(row.ARN, c.ID), ExecutionARN: row.ARN, Kind: workItems, ReadyAt: now.UnixMilli(), Doc: marshal(&workDoc{Region: doc.Region, Items: &c})})
			case asl.StartTimer:
				w.WorkAdd = append(w.WorkAdd, &store.WorkRow{ID: workID(row.ARN, c.ID), ExecutionARN: row.ARN, Kind: workTimer, ReadyAt: c.FireAt.UnixMilli(), Doc: marshal(&workDoc{Region: doc.Region, Timer: c.ID})})
			case asl.CancelTimer, asl.CancelTask:
				w.WorkDelete = append(w.WorkDelete, workID(row.ARN, c.CommandID()))
				w.ActivityDelete = append(w.ActivityDelete, workID(row.ARN, c.CommandID()))
			}
		}
	}
	if terminal && doc.Parent != nil {
		ev := s.childResult(&row, doc)
		w.WorkAdd = append(w.WorkAdd, &store.WorkRow{ID: workID(doc.Parent.ExecutionARN, doc.Parent.CommandID) + "/result", ExecutionARN: doc.Parent.ExecutionARN, Kind: workEvent, ReadyAt: now.UnixMilli(), Doc: marshal(&workDoc{Event: ev})})
	}
	if err := s.st.ExecutionWrite(ctx, w); err != nil {
		return err
	}
	changed := a.row.Status != row.Status || a.redrive
	a.row = &row
	if len(w.WorkAdd) > 0 {
		s.signalWork()
	}
	if activities > 0 {
		s.signalActivities()
		for _, t := range w.ActivityAdd {
			s.record(row.Account, "ActivitiesScheduled", t.ActivityARN, 1, "Count")
		}
	}
	if terminal {
		s.recordEnd(&row, doc)
	}
	if changed && s.cfg.Status != nil {
		s.cfg.Status.ExecutionStatusChanged(ctx, s.statusChange(&row, doc))
	}
	if doc.Logging != nil && s.cfg.Logs != nil && len(a.out.Events) > 0 {
		s.express.queueLogs(&expressRecord{row: &row, doc: doc, history: a.out.Events, machine: machineName(row.StateMachineARN)})
	}
	return nil
}

func machineName(arn string) string {
	a, _ := parseARN(arn)
	return a.Name
}

func (s *Service) statusChange(row *store.ExecutionRow, doc *execDoc) *StatusChange {
	e := s.execution(row, doc)
	return &StatusChange{Account: row.Account, Region: doc.Region, ExecutionARN: e.ARN, StateMachineARN: e.StateMachineARN, Name: e.Name,
		Status: e.Status, StartDate: e.Started, StopDate: e.Stopped, Input: e.Input, Output: e.Output, Error: e.Error, Cause: e.Cause, RedriveCount: e.RedriveCount}
}

func (s *Service) recordEnd(row *store.ExecutionRow, doc *execDoc) {
	metric := map[string]string{asl.StatusSucceeded: "ExecutionsSucceeded", asl.StatusFailed: "ExecutionsFailed", asl.StatusTimedOut: "ExecutionsTimedOut", asl.StatusAborted: "ExecutionsAborted"}[row.Status]
	if metric == "" {
		return
	}
	s.record(row.Account, metric, row.StateMachineARN, 1, "Count")
	started := row.StartedAt
	if row.RedrivenAt > 0 {
		started = row.RedrivenAt
	}
	s.record(row.Account, "ExecutionTime", row.StateMachineARN, float64(row.StoppedAt-started), "Milliseconds")
}

// update loads an execution, lets fn feed it events, and commits, retrying when another writer
// advanced it first. fn returns the merged outcome; a nil outcome with nil error writes nothing.
func (s *Service) update(ctx context.Context, arn string, claimed []*store.WorkRow, fn func(p *asl.Program, snap *asl.Snapshot, doc *execDoc) (*asl.Outcome, error)) error {
	unlock := s.lockExecution(arn)
	defer unlock()
	for attempt := 0; ; attempt++ {
		row, err := s.st.ExecutionGet(ctx, &store.ExecutionGetParams{ARN: arn, WithSnapshot: true})
		if err != nil {
			return err
		}
		doc := &execDoc{}
		if err := json.Unmarshal(row.Doc, doc); err != nil {
			return fmt.Errorf("decode execution %s: %w", arn, err)
		}
		if row.Snapshot == nil {
			// A succeeded execution keeps no snapshot; nothing can change it.
			if len(claimed) > 0 {
				return s.dropClaimed(ctx, row, claimed)
			}
			_, err := fn(nil, nil, doc)
			return err
		}
		snap := &asl.Snapshot{}
		if err := json.Unmarshal(row.Snapshot, snap); err != nil {
			return fmt.Errorf("decode snapshot of %s: %w", arn, err)
		}
		p, err := s.programOf(ctx, doc)
		if err != nil {
			return err
		}
		before := pendingSet(snap)
		out, err := fn(p, snap, doc)
		if err != nil {
			return err
		}
		if out == nil {
			if len(claimed) == 0 {
				return nil
			}
			out = &asl.Outcome{Snapshot: snap, Status: snap.Status}
		}
		err = s.commit(ctx, &advance{row: row, doc: doc, snap: snap, before: before, out: *out, claimed: claimed})
		// Another node advanced the execution first (or took over the claimed work, in which
		// case every attempt conflicts until the bound and that node's advance stands).
		if errors.Is(err, store.ErrConflict) && attempt < maxWriteAttempts {
			continue
		}
		return err
	}
}

// dropClaimed consumes work rows of an execution that can no longer use them.
func (s *Service) dropClaimed(ctx context.Context, row *store.ExecutionRow, claimed []*store.WorkRow) error {
	r := *row
	r.Version++
	w := &store.ExecutionWriteParams{Execution: &r, PrevVersion: row.Version}
	for _, c := range claimed {
		w.Claimed, w.ClaimOwner = append(w.Claimed, c.ID), c.Owner
	}
	return s.st.ExecutionWrite(ctx, w)
}

// programOf returns the compiled program an execution runs.
func (s *Service) programOf(ctx context.Context, doc *execDoc) (*asl.Program, error) {
	if p, ok := s.programs.Load(doc.Revision); ok {
		return p.(*asl.Program), nil
	}
	m, err := s.getMachine(ctx, doc.Revision)
	if err != nil {
		return nil, fmt.Errorf("definition revision %s: %w", doc.Revision, err)
	}
	return s.program(doc.Revision, m.Definition)
}

// merge appends the second outcome to the first.
func merge(a *asl.Outcome, b asl.Outcome) *asl.Outcome {
	if a == nil {
		return &b
	}
	b.Events = append(a.Events, b.Events...)
	b.Commands = append(a.Commands, b.Commands...)
	return &b
}

func (s *Service) execution(row *store.ExecutionRow, doc *execDoc) *Execution {
	e := &Execution{
		ARN: row.ARN, StateMachineARN: row.StateMachineARN, Name: row.Name, Status: row.Status,
		Started: time.UnixMilli(row.StartedAt).UTC(), Input: doc.Input, Output: doc.Output, Error: doc.Error, Cause: doc.Cause,
		TraceHeader: doc.TraceHeader, VersionARN: doc.VersionARN, AliasARN: doc.AliasARN, RedriveCount: row.RedriveCount, Express: row.Express,
	}
	if row.StoppedAt > 0 {
		e.Stopped = time.UnixMilli(row.StoppedAt).UTC()
	}
	if row.RedrivenAt > 0 {
		e.RedriveDate = time.UnixMilli(row.RedrivenAt).UTC()
	}
	switch {
	case row.Express:
		e.RedriveStatus, e.RedriveStatusReason = RedriveNotRedrivable, "Execution is of Express type and cannot be redriven"
	case row.Status == asl.StatusRunning || row.Status == asl.StatusSucceeded:
		e.RedriveStatus, e.RedriveStatusReason = RedriveNotRedrivable, "Execution is "+row.Status+" and cannot be redriven"
	case s.now().Sub(e.Stopped) > redriveWindow:
		e.RedriveStatus, e.RedriveStatusReason = RedriveNotRedrivable, "Execution can no longer be redriven"
	default:
		e.RedriveStatus = RedriveRedrivable
	}
	return e
}

func (s *Service) loadExecution(ctx context.Context, c Caller, arn string) (*store.ExecutionRow, *execDoc, error) {
	a, ok := parseARN(arn)
	if !ok || (a.Type != "execution" && a.Type != "express") {
		return nil, nil, invalidARN(arn)
	}
	if a.Account != c.Account {
		return nil, nil, executionNotFound(arn)
	}
	if r, d, ok := s.express.pendingRecord(arn); ok {
		return r, d, nil
	}
	row, err := s.st.ExecutionGet(ctx, &store.ExecutionGetParams{ARN: arn})
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, executionNotFound(arn)
	}
	if err != nil {
		return nil, nil, err
	}
	doc := &execDoc{}
	if err := json.Unmarshal(row.Doc, doc); err != nil {
		return nil, nil, fmt.Errorf("decode execution %s: %w", arn, err)
	}
	return row, doc, nil
}

// DescribeExecution returns an execution, Standard or Express.
func (s *Service) DescribeExecution(ctx context.Context, c Caller, arn string) (*Execution, error) {
	row, doc, err := s.loadExecution(ctx, c, arn)
	if err != nil {
		return nil, err
	}
	return s.execution(row, doc), nil
}

// DescribeStateMachineForExecution returns the definition revision an execution runs.
func (s *Service) DescribeStateMachineForExecution(ctx context.Context, c Caller, arn string) (*StateMachine, error) {
	row, doc, err := s.loadExecution(ctx, c, arn)
	if err != nil {
		return nil, err
	}
	m, err := s.getMachine(ctx, doc.Revision)
	if err != nil {
		return nil, fmt.Errorf("definition revision %s: %w", doc.Revision, err)
	}
	sm := m.StateMachine
	sm.ARN = row.StateMachineARN
	return &sm, nil
}

// ListExecutionsInput is ListExecutions' input.
type ListExecutionsInput struct {
	StateMachineARN string
	StatusFilter    string
	RedriveFilter   string
	MaxResults      int
	NextToken       string
}

// ListExecutions lists a state machine's executions, newest first.
func (s *Service) ListExecutions(ctx context.Context, c Caller, in *ListExecutionsInput) ([]*Execution, string, error) {
	if in.StateMachineARN == "" {
		return nil, "", awserr.Validation("Must provide a StateMachine ARN or MapRun ARN")
	}
	a, err := checkMachineARN(c, in.StateMachineARN)
	if err != nil {
		return nil, "", err
	}
	limit, err := pageLimit(in.MaxResults)
	if err != nil {
		return nil, "", err
	}
	if _, err := s.st.StateResourceGet(ctx, &store.StateResourceGetParams{ARN: in.StateMachineARN}); errors.Is(err, store.ErrNotFound) {
		// Executions outlive their deleted state machine; list them if there are any.
		if a.Qualifier != "" {
			return nil, "", resourceNotFound(in.StateMachineARN)
		}
		if rows, _ := s.st.ExecutionsList(ctx, &store.ExecutionsListParams{Account: c.Account, StateMachineARN: in.StateMachineARN, Limit: 1}); len(rows) == 0 {
			return nil, "", machineNotFound(in.StateMachineARN)
		}
	} else if err != nil {
		return nil, "", err
	}
	p := &store.ExecutionsListParams{Account: c.Account, StateMachineARN: a.baseMachine(), Status: in.StatusFilter, Limit: limit + 1}
	switch in.RedriveFilter {
	case "":
	case "REDRIVEN", "NOT_REDRIVEN":
		v := in.RedriveFilter == "REDRIVEN"
		p.Redriven = &v
	default:
		return nil, "", awserr.Validation("1 validation error detected: Value '%s' at 'redriveFilter' failed to satisfy constraint: Member must satisfy enum value set: [REDRIVEN, NOT_REDRIVEN]", in.RedriveFilter)
	}
	if in.NextToken != "" {
		t, err := decodeToken(in.NextToken)
		if err != nil {
			return nil, "", err
		}
		ms, arn, ok := strings.Cut(t, "|")
		n, perr := strconv.ParseInt(ms, 10, 64)
		if !ok || perr != nil {
			return nil, "", awserr.New("InvalidToken", "Invalid Token: '%s'", in.NextToken)
		}
		p.BeforeStart, p.BeforeARN = n, arn
	}
	var out []*Execution
	next := ""
	for len(out) <= limit {
		rows, err := s.st.ExecutionsList(ctx, p)
		if err != nil {
			return nil, "", fmt.Errorf("list executions: %w", err)
		}
		for _, r := range rows {
			d := &execDoc{}
			json.Unmarshal(r.Doc, d)
			p.BeforeStart, p.BeforeARN = r.StartedAt, r.ARN
			if a.Qualifier != "" && d.VersionARN != in.StateMachineARN && d.AliasARN != in.StateMachineARN {
				continue
			}
			if len(out) == limit {
				next = encodeToken(strconv.FormatInt(out[limit-1].Started.UnixMilli(), 10) + "|" + out[limit-1].ARN)
				return out, next, nil
			}
			out = append(out, s.execution(r, d))
		}
		if len(rows) < p.Limit {
			break
		}
	}
	return out, next, nil
}

// HistoryPage is a page of GetExecutionHistory.
type HistoryPage struct {
	Events    []asl.HistoryEvent
	NextToken string
}

// GetExecutionHistory returns an execution's events.
func (s *Service) GetExecutionHistory(ctx context.Context, c Caller, arn string, max int, reverse, includeData bool, token string) (*HistoryPage, error) {
	if _, _, err := s.loadExecution(ctx, c, arn); err != nil {
		return nil, err
	}
	limit, err := pageLimit(max)
	if err != nil {
		return nil, err
	}
	events, err := s.history(ctx, arn)
	if err != nil {
		return nil, err
	}
	if reverse {
		for i, j := 0, len(events)-1; i < j; i, j = i+1, j-1 {
			events[i], events[j] = events[j], events[i]
		}
	}
	start := 0
	if token != "" {
		t, err := decodeToken(token)
		if err != nil {
			return nil, err
		}
		if start, err = strconv.Atoi(t); err != nil || start < 0 || start > len(events) {
			return nil, awserr.New("InvalidToken", "Invalid Token: '%s'", token)
		}
	}
	page := &HistoryPage{}
	end := start + limit
	if end < len(events) {
		page.NextToken = encodeToken(strconv.Itoa(end))
	} else {
		end = len(events)
	}
	page.Events = events[start:end]
	if !includeData {
		for i := range page.Events {
			stripData(&page.Events[i])
		}
	}
	return page, nil
}

func (s *Service) history(ctx context.Context, arn string) ([]asl.HistoryEvent, error) {
	if ev, ok := s.express.pendingHistory(arn); ok {
		return ev, nil
	}
	if a, _ := parseARN(arn); a.Type == "express" {
		row, err := s.st.ExecutionGet(ctx, &store.ExecutionGetParams{ARN: arn, WithSnapshot: true})
		if err != nil {
			return nil, fmt.Errorf("history of %s: %w", arn, err)
		}
		return decodeHistory(row.Snapshot)
	}
	chunks, err := s.st.HistoryList(ctx, &store.HistoryListParams{ExecutionARN: arn})
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", arn, err)
	}
	var events []asl.HistoryEvent
	for _, ch := range chunks {
		evs, err := decodeHistory(ch.Events)
		if err != nil {
			return nil, fmt.Errorf("history of %s: %w", arn, err)
		}
		events = append(events, evs...)
	}
	return events, nil
}

// stripData removes inputs and outputs from an event (includeExecutionData false).
func stripData(e *asl.HistoryEvent) {
	if d := e.ExecutionStartedEventDetails; d != nil {
		c := *d
		c.Input, c.InputDetails = "", nil
		e.ExecutionStartedEventDetails = &c
	}
	if d := e.StateEnteredEventDetails; d != nil {
		c := *d
		c.Input, c.InputDetails = "", nil
		e.StateEnteredEventDetails = &c
	}
	if d := e.StateExitedEventDetails; d != nil {
		c := *d
		c.Output, c.OutputDetails = "", nil
		e.StateExitedEventDetails = &c
	}
	for _, d := range []**asl.OutputDetails{&e.ExecutionSucceededEventDetails, &e.ActivitySucceededEventDetails, &e.LambdaFunctionSucceededEventDetails} {
		if *d != nil {
			c := **d
			c.Output, c.OutputDetails = "", nil
			*d = &c
		}
	}
	if d := e.TaskSucceededEventDetails; d != nil {
		c := *d
		c.Output, c.OutputDetails = "", nil
		e.TaskSucceededEventDetails = &c
	}
	if d := e.TaskScheduledEventDetails; d != nil {
		c := *d
		c.Parameters = ""
		e.TaskScheduledEventDetails = &c
	}
}

// StopExecution aborts a running Standard execution.
func (s *Service) StopExecution(ctx context.Context, c Caller, arn, errName, cause string) (time.Time, error) {
	row, _, err := s.loadExecution(ctx, c, arn)
	if err != nil {
		return time.Time{}, err
	}
	if row.Express {
		return time.Time{}, awserr.Validation("Express executions cannot be stopped: '%s'", arn)
	}
	var stopped time.Time
	err = s.update(ctx, arn, nil, func(p *asl.Program, snap *asl.Snapshot, doc *execDoc) (*asl.Outcome, error) {
		if snap == nil || snap.Status != asl.StatusRunning {
			return nil, nil
		}
		out := p.Resume(snap, asl.Stop{Error: errName, Cause: cause}, s.now())
		return &out, nil
	})
	if err != nil {
		return time.Time{}, err
	}
	if row, err = s.st.ExecutionGet(ctx, &store.ExecutionGetParams{ARN: arn}); err != nil {
		return time.Time{}, err
	}
	stopped = time.UnixMilli(row.StoppedAt).UTC()
	return stopped, nil
}

// RedriveExecution restarts a failed, timed-out or aborted Standard execution from the state
// that did not succeed.
func (s *Service) RedriveExecution(ctx context.Context, c Caller, arn string) (time.Time, error) {
	row, doc, err := s.loadExecution(ctx, c, arn)
	if err != nil {
		return time.Time{}, err
	}
	e := s.execution(row, doc)
	if e.RedriveStatus != RedriveRedrivable {
		return time.Time{}, awserr.New("ExecutionNotRedrivable", "Execution '%s' is not redrivable: %s", arn, e.RedriveStatusReason)
	}
	now := s.now()
	for attempt := 0; ; attempt++ {
		row, err := s.st.ExecutionGet(ctx, &store.ExecutionGetParams{ARN: arn, WithSnapshot: true})
		if err != nil {
			return time.Time{}, err
		}
		doc := &execDoc{}
		snap := &asl.Snapshot{}
		if err := json.Unmarshal(row.Doc, doc); err != nil {
			return time.Time{}, err
		}
		if err := json.Unmarshal(row.Snapshot, snap); err != nil {
			return time.Time{}, fmt.Errorf("decode snapshot of %s: %w", arn, err)
		}
		p, err := s.programOf(ctx, doc)
		if err != nil {
			return time.Time{}, err
		}
		before := pendingSet(snap)
		out, err := p.Redrive(snap, now)
		if errors.Is(err, asl.ErrNotRedrivable) {
			return time.Time{}, awserr.New("ExecutionNotRedrivable", "Execution '%s' is not redrivable: execution status is %s", arn, row.Status)
		}
		if err != nil {
			return time.Time{}, fmt.Errorf("redrive %s: %w", arn, err)
		}
		r := *row
		r.RedriveCount = snap.Context.RedriveCount
		r.RedrivenAt = now.UnixMilli()
		err = s.commit(ctx, &advance{row: &r, doc: doc, snap: snap, before: before, out: out, redrive: true})
		if errors.Is(err, store.ErrConflict) && attempt < maxWriteAttempts {
			continue
		}
		if err != nil {
			return time.Time{}, err
		}
		s.record(c.Account, "ExecutionsRedriven", row.StateMachineARN, 1, "Count")
		return now, nil
	}
}
