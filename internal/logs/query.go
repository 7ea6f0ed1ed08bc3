package logs

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/logs/insights"
	"github.com/ceap/ceap/internal/store"
)

// Logs Insights limits.
const (
	// MaxConcurrentQueries is how many queries an account may run at once (30); one more
	// answers LimitExceededException.
	MaxConcurrentQueries = 30
	// MaxQueryDuration is how long a query may run before it ends with status Timeout (60 minutes).
	MaxQueryDuration = 60 * time.Minute
	// QueryResultRetention is how long a finished query's results stay available (7 days).
	QueryResultRetention = 7 * 24 * time.Hour
	// MaxQueryLogGroups is the most log groups one query may search (50).
	MaxQueryLogGroups = 50
	// MaxQueryResults is the largest limit of StartQuery (10,000 rows).
	MaxQueryResults = insights.MaxLimit
	// MaxDescribeQueries is the default and largest page of DescribeQueries (1,000).
	MaxDescribeQueries = 1000
	// MaxQueryDefinitionsPage is the default and largest page of DescribeQueryDefinitions (1,000).
	MaxQueryDefinitionsPage = 1000
	// MaxQueryDefinitionNameLength is the longest query definition name (255).
	MaxQueryDefinitionNameLength = 255
	// keptQueries bounds the finished queries (and their results) that an account keeps in
	// memory; older ones are dropped before their retention ends.
	keptQueries = 1000
	// maxQueryDefinitions bounds the saved query definitions of an account.
	maxQueryDefinitions = 1000
	// queryPage is how many events one read of the store hands to a query.
	queryPage = 5000
)

// QueryStatus is the status of a Logs Insights query.
type QueryStatus string

// Query statuses, as GetQueryResults and DescribeQueries show them.
const (
	QueryScheduled QueryStatus = "Scheduled"
	QueryRunning   QueryStatus = "Running"
	QueryComplete  QueryStatus = "Complete"
	QueryFailed    QueryStatus = "Failed"
	QueryCancelled QueryStatus = "Cancelled"
	QueryTimeout   QueryStatus = "Timeout"
)

func (s QueryStatus) done() bool { return s != QueryScheduled && s != QueryRunning }

func validStatus(s QueryStatus) bool {
	switch s {
	case QueryScheduled, QueryRunning, QueryComplete, QueryFailed, QueryCancelled, QueryTimeout, "Unknown":
		return true
	}
	return false
}

// QueryStatistics are a query's counts so far.
type QueryStatistics struct {
	RecordsMatched   float64
	RecordsScanned   float64
	BytesScanned     float64
	LogGroupsScanned float64
}

// QueryResults is the answer of GetQueryResults.
type QueryResults struct {
	Status     QueryStatus
	Rows       [][]insights.Field
	Statistics QueryStatistics
}

// QueryInfo describes a query for DescribeQueries.
type QueryInfo struct {
	ID           string
	Query        string
	Status       QueryStatus
	Created      int64 // Unix milliseconds
	Group        string
	BytesScanned float64
	Duration     int64 // milliseconds the query ran
}

// QueryDefinition is a saved query.
type QueryDefinition struct {
	ID           string
	Name         string
	Query        string
	Groups       []string
	LastModified int64 // Unix milliseconds
}

// Queries runs Logs Insights queries over the service's events and keeps their results in
// memory on this node: a query's results are answered by the node that ran it. The saved query
// definitions live in the store, shared by every node and kept across restarts. Every query runs in its own goroutine, bounded by MaxQueryDuration; Close
// ends them.
type Queries struct {
	svc *Service
	log *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	queries map[string]*queryRun // by id
	started int64                // queries started, for their order

	defs store.QueryDefinitionStore
}

type queryRun struct {
	id, account string
	seq         int64
	text        string
	groups      []string
	created     time.Time
	finished    time.Time
	status      QueryStatus
	stats       QueryStatistics
	rows        [][]insights.Field
	cancel      context.CancelFunc
	done        chan struct{} // closed when the query has ended
}

// NewQueries returns the query runner of svc, which keeps the saved query definitions in defs.
func NewQueries(svc *Service, defs store.QueryDefinitionStore, log *slog.Logger) *Queries {
	if log == nil {
		log = svc.log
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Queries{
		svc: svc, log: log.With("component", "logs-insights"), ctx: ctx, cancel: cancel,
		queries: map[string]*queryRun{}, defs: defs,
	}
}

// Close cancels the running queries and waits for them to end.
func (q *Queries) Close() {
	q.cancel()
	q.wg.Wait()
}

// Start does nothing: queries run when they are started. It makes Queries a server component,
// stopped with the server.
func (q *Queries) Start(context.Context) error { return nil }

// Stop cancels the running queries and waits for them to end.
func (q *Queries) Stop(context.Context) error {
	q.Close()
	return nil
}

func queryNotFound() error {
	return awserr.New("ResourceNotFoundException", "The specified query does not exist.")
}

// StartQueryInput are the arguments of StartQuery.
type StartQueryInput struct {
	Group       string
	Groups      []string
	Identifiers []string
	// StartTime and EndTime bound the events in Unix seconds, both inclusive.
	StartTime, EndTime int64
	Query              string
	Limit              int
	Language           string
}

// StartQuery compiles a query and starts it in the background; it returns the query's id.
func (q *Queries) StartQuery(ctx context.Context, account string, in StartQueryInput) (string, error) {
	if in.Language != "" && in.Language != "CWLI" {
		return "", awserr.NotSupported("InvalidParameterException", "The "+in.Language+" query language")
	}
	if in.Limit < 0 || in.Limit > MaxQueryResults {
		return "", invalid("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value less than or equal to %d", in.Limit, MaxQueryResults)
	}
	if in.EndTime < in.StartTime {
		return "", invalid("endTime must be greater than or equal to startTime.")
	}
	parsed, err := insights.Parse(in.Query)
	if err != nil {
		var se *insights.SyntaxError
		if errors.As(err, &se) {
			return "", awserr.New("MalformedQueryException", "%s", se.Error())
		}
		return "", fmt.Errorf("parse query: %w", err)
	}
	names, err := queryGroups(in, parsed.Sources)
	if err != nil {
		return "", err
	}
	groups := make([]*store.LogGroupRow, len(names))
	for i, n := range names {
		if groups[i], err = q.svc.group(ctx, account, n); err != nil {
			return "", err
		}
	}
	now := q.svc.clock.Now()
	r := &queryRun{id: uuid.NewString(), account: account, text: in.Query, groups: names, created: now, status: QueryScheduled, done: make(chan struct{})}
	q.mu.Lock()
	q.prune(account, now)
	running := 0
	for _, o := range q.queries {
		if o.account == account && !o.status.done() {
			running++
		}
	}
	if running >= MaxConcurrentQueries {
		q.mu.Unlock()
		return "", awserr.New("LimitExceededException", "Account maximum query concurrency limit of [%d] reached.", MaxConcurrentQueries)
	}
	q.started++
	r.seq = q.started
	qctx, cancel := context.WithTimeout(q.ctx, MaxQueryDuration)
	r.cancel = cancel
	q.queries[r.id] = r
	q.wg.Add(1)
	q.mu.Unlock()
	go func() {
		defer q.wg.Done()
		defer close(r.done)
		defer cancel()
		q.run(qctx, r, parsed, groups, in)
	}()
	return r.id, nil
}

// queryGroups resolves the groups a query searches: one of logGroupName, logGroupNames and
// logGroupIdentifiers, or the query's SOURCE command.
func queryGroups(in StartQueryInput, sources []string) ([]string, error) {
	given := 0
	for _, set := range []bool{in.Group != "", len(in.Groups) > 0, len(in.Identifiers) > 0} {
		if set {
			given++
		}
	}
	var names []string
	switch {
	case given > 1:
		return nil, invalid("Exactly one of logGroupName, logGroupNames and logGroupIdentifiers may be given.")
	case given == 1 && len(sources) > 0:
		return nil, invalid("A query with a SOURCE command takes no logGroupName, logGroupNames or logGroupIdentifiers.")
	case in.Group != "":
		names = []string{in.Group}
	case len(in.Groups) > 0:
		names = in.Groups
	case len(in.Identifiers) > 0:
		for _, id := range in.Identifiers {
			n := id
			if strings.HasPrefix(id, "arn:") {
				var err error
				if n, err = GroupOfARN(id); err != nil {
					return nil, err
				}
			}
			names = append(names, n)
		}
	case len(sources) > 0:
		names = sources
	default:
		return nil, invalid("Query must specify log groups: logGroupName, logGroupNames, logGroupIdentifiers or a SOURCE command.")
	}
	if len(names) > MaxQueryLogGroups {
		return nil, invalid("A query may search at most %d log groups.", MaxQueryLogGroups)
	}
	seen := map[string]bool{}
	out := names[:0:0]
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out, nil
}

// run scans the groups' events in time order, group after group, through the query.
func (q *Queries) run(ctx context.Context, r *queryRun, parsed *insights.Query, groups []*store.LogGroupRow, in StartQueryInput) {
	q.setRunning(r)
	ev := parsed.Start(in.Limit)
	ev.SetPointer(recordPtr(r.account))
	start, end := in.StartTime*1000, (in.EndTime+1)*1000
	err := func() error {
		for _, g := range groups {
			more, err := q.scanGroup(ctx, r, ev, g, start, end)
			if err != nil {
				return err
			}
			q.mu.Lock()
			r.stats.LogGroupsScanned++
			q.mu.Unlock()
			if !more {
				break
			}
		}
		return nil
	}()
	rows := ev.Finish()
	q.mu.Lock()
	defer q.mu.Unlock()
	r.stats.RecordsMatched = float64(ev.Matched())
	r.finished = q.svc.clock.Now()
	switch {
	case r.status == QueryCancelled:
	case errors.Is(err, context.DeadlineExceeded):
		r.status = QueryTimeout
	case errors.Is(err, context.Canceled):
		r.status = QueryCancelled
	case err != nil:
		q.log.Warn("insights_query_failed", "query_id", r.id, "err", err)
		r.status = QueryFailed
	default:
		r.status, r.rows = QueryComplete, rows
	}
}

func (q *Queries) setRunning(r *queryRun) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !r.status.done() {
		r.status = QueryRunning
	}
}

// scanGroup feeds one group's events to the query; more is false when the query wants no more.
func (q *Queries) scanGroup(ctx context.Context, r *queryRun, ev *insights.Run, g *store.LogGroupRow, start, end int64) (bool, error) {
	names, _, err := q.svc.streamsOf(ctx, g.ID, nil, "")
	if err != nil {
		return false, err
	}
	logName := r.account + ":" + g.Name
	p := &store.LogEventScanParams{GroupID: g.ID, Start: max(start, q.svc.retentionStart(g)), End: end, Limit: queryPage,
		MaxBytes: queryPage * 1024, ByteOverhead: EventOverhead}
	for {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		res, err := q.svc.store.LogEventScan(ctx, p)
		if err != nil {
			return false, fmt.Errorf("scan events of %q: %w", g.Name, err)
		}
		var scanned, bytes float64
		more := true
		for _, e := range res.Events {
			stream, ok := names[e.StreamID]
			if !ok {
				if stream, err = q.svc.streamName(ctx, g.ID, e.StreamID, names); err != nil {
					return false, err
				}
			}
			scanned++
			bytes += float64(len(e.Message) + EventOverhead)
			if !ev.Add(&insights.Event{Timestamp: e.Timestamp, Ingestion: e.Ingested, Message: e.Message, Stream: stream, Group: logName,
				StreamID: e.StreamID, ID: e.ID}) {
				more = false
				break
			}
		}
		q.mu.Lock()
		r.stats.RecordsScanned += scanned
		r.stats.BytesScanned += bytes
		r.stats.RecordsMatched = float64(ev.Matched())
		q.mu.Unlock()
		if !more {
			return false, nil
		}
		if !res.Truncated || len(res.Events) == 0 {
			return true, nil
		}
		last := res.Events[len(res.Events)-1]
		p.AfterTime, p.AfterID = last.Timestamp, last.ID
	}
}

// recordPtr is an event's @ptr: its group, stream, time and id, for GetLogRecord.
func recordPtr(account string) func(e *insights.Event) string {
	return func(e *insights.Event) string {
		group := strings.TrimPrefix(e.Group, account+":")
		return encodeToken(group + "\x00" + strconv.FormatInt(e.StreamID, 10) + "\x00" +
			strconv.FormatInt(e.Timestamp, 10) + "\x00" + strconv.FormatInt(e.ID, 10))
	}
}

// prune drops an account's finished queries past their retention, and the oldest beyond
// keptQueries. q.mu is held.
func (q *Queries) prune(account string, now time.Time) {
	var done []*queryRun
	for id, r := range q.queries {
		if !r.status.done() {
			continue
		}
		if now.Sub(r.finished) > QueryResultRetention {
			delete(q.queries, id)
			continue
		}
		if r.account == account {
			done = append(done, r)
		}
	}
	if len(done) < keptQueries {
		return
	}
	sort.Slice(done, func(i, j int) bool { return done[i].finished.Before(done[j].finished) })
	for _, r := range done[:len(done)-keptQueries+1] {
		delete(q.queries, r.id)
	}
}

func (q *Queries) get(account, id string) (*queryRun, error) {
	r, ok := q.queries[id]
	if !ok || r.account != account {
		return nil, queryNotFound()
	}
	return r, nil
}

// GetQueryResults returns a query's status, statistics and (once it is complete) its rows.
func (q *Queries) GetQueryResults(_ context.Context, account, id string) (*QueryResults, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.prune(account, q.svc.clock.Now())
	r, err := q.get(account, id)
	if err != nil {
		return nil, err
	}
	return &QueryResults{Status: r.status, Rows: r.rows, Statistics: r.stats}, nil
}

// PageQueryResults cuts a query's rows to the page that nextToken starts ("" for the first) and
// maxItems bounds (0 for every row left), as GetQueryResults pages them, and returns the token of
// the page after it ("" for none).
func PageQueryResults(rows [][]insights.Field, maxItems int, nextToken string) ([][]insights.Field, string, error) {
	key, err := decodeToken(nextToken)
	if err != nil {
		return nil, "", err
	}
	start := 0
	if key != "" {
		n, err := strconv.Atoi(key)
		if err != nil || n < 0 || n > len(rows) {
			return nil, "", invalid("The specified nextToken is invalid.")
		}
		start = n
	}
	rows = rows[start:]
	if maxItems == 0 || len(rows) <= maxItems {
		return rows, "", nil
	}
	return rows[:maxItems], encodeToken(strconv.Itoa(start + maxItems)), nil
}

// StopQuery cancels a running query; it reports false when the query had already ended.
func (q *Queries) StopQuery(_ context.Context, account, id string) (bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	r, err := q.get(account, id)
	if err != nil {
		return false, err
	}
	if r.status.done() {
		return false, nil
	}
	r.status, r.finished = QueryCancelled, q.svc.clock.Now()
	r.cancel()
	return true, nil
}

// DescribeQueriesInput are the arguments of DescribeQueries.
type DescribeQueriesInput struct {
	Group      string
	Status     QueryStatus
	MaxResults int
	NextToken  string
}

// DescribeQueries lists an account's recent queries, newest first.
func (q *Queries) DescribeQueries(_ context.Context, account string, in DescribeQueriesInput) ([]QueryInfo, string, error) {
	limit, err := pageLimit(in.MaxResults, MaxDescribeQueries)
	if err != nil {
		return nil, "", err
	}
	if in.Status != "" && !validStatus(in.Status) {
		return nil, "", invalid("1 validation error detected: Value '%s' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Scheduled, Running, Complete, Failed, Cancelled, Timeout, Unknown]", in.Status)
	}
	offset, err := pageOffset(in.NextToken)
	if err != nil {
		return nil, "", err
	}
	now := q.svc.clock.Now()
	q.mu.Lock()
	q.prune(account, now)
	var runs []*queryRun
	for _, r := range q.queries {
		if r.account == account && (in.Status == "" || r.status == in.Status) && (in.Group == "" || contains(r.groups, in.Group)) {
			runs = append(runs, r)
		}
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].seq > runs[j].seq })
	out := make([]QueryInfo, 0, len(runs))
	for _, r := range runs {
		info := QueryInfo{ID: r.id, Query: r.text, Status: r.status, Created: r.created.UnixMilli(), BytesScanned: r.stats.BytesScanned}
		if len(r.groups) > 0 {
			info.Group = r.groups[0]
		}
		if r.status.done() {
			info.Duration = r.finished.Sub(r.created).Milliseconds()
		} else {
			info.Duration = now.Sub(r.created).Milliseconds()
		}
		out = append(out, info)
	}
	q.mu.Unlock()
	return pageOf(out, offset, limit)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func pageOffset(token string) (int, error) {
	if token == "" {
		return 0, nil
	}
	s, err := decodeToken(token)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, invalid("The specified nextToken is invalid.")
	}
	return n, nil
}

func pageOf[T any](all []T, offset, limit int) ([]T, string, error) {
	if offset > len(all) {
		offset = len(all)
	}
	end := min(offset+limit, len(all))
	next := ""
	if end < len(all) {
		next = encodeToken(strconv.Itoa(end))
	}
	return append([]T{}, all[offset:end]...), next, nil
}

// GetLogRecord returns the fields of the event that an @ptr points to: the system fields and
// those discovered in its message.
func (q *Queries) GetLogRecord(ctx context.Context, account, ptr string) (map[string]string, error) {
	bad := invalid("The specified logRecordPointer is invalid.")
	raw, err := base64.RawURLEncoding.DecodeString(ptr)
	if err != nil {
		return nil, bad
	}
	parts := strings.Split(string(raw), "\x00")
	if len(parts) != 4 {
		return nil, bad
	}
	sid, err1 := strconv.ParseInt(parts[1], 10, 64)
	ts, err2 := strconv.ParseInt(parts[2], 10, 64)
	id, err3 := strconv.ParseInt(parts[3], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return nil, bad
	}
	g, err := q.svc.group(ctx, account, parts[0])
	if err != nil {
		return nil, err
	}
	res, err := q.svc.store.LogEventScan(ctx, &store.LogEventScanParams{GroupID: g.ID, StreamIDs: []int64{sid}, Start: ts, End: ts + 1})
	if err != nil {
		return nil, fmt.Errorf("read log record: %w", err)
	}
	for _, e := range res.Events {
		if e.ID != id {
			continue
		}
		names, _, err := q.svc.streamsOf(ctx, g.ID, nil, "")
		if err != nil {
			return nil, err
		}
		out := insights.Discover(e.Message)
		out["@message"] = e.Message
		out["@timestamp"] = strconv.FormatInt(e.Timestamp, 10)
		out["@ingestionTime"] = strconv.FormatInt(e.Ingested, 10)
		out["@logStream"] = names[e.StreamID]
		out["@log"] = account + ":" + g.Name
		return out, nil
	}
	return nil, awserr.New("ResourceNotFoundException", "The specified log record does not exist.")
}

// PutQueryDefinitionInput are the arguments of PutQueryDefinition.
type PutQueryDefinitionInput struct {
	ID     string // set to update a definition
	Name   string
	Query  string
	Groups []string
}

// PutQueryDefinition saves a query definition, or updates the one with the given id. The
// definition is in the store when PutQueryDefinition returns.
func (q *Queries) PutQueryDefinition(ctx context.Context, account string, in PutQueryDefinitionInput) (string, error) {
	if in.Name == "" || len(in.Name) > MaxQueryDefinitionNameLength {
		return "", invalid("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must have length between 1 and %d", in.Name, MaxQueryDefinitionNameLength)
	}
	if in.Query == "" || len(in.Query) > insights.MaxQueryLength {
		return "", invalid("1 validation error detected: Value at 'queryString' failed to satisfy constraint: Member must have length between 1 and %d", insights.MaxQueryLength)
	}
	groups, err := json.Marshal(append([]string{}, in.Groups...))
	if err != nil {
		return "", fmt.Errorf("encode query definition log groups: %w", err)
	}
	row := &store.QueryDefinitionRow{ID: in.ID, Account: account, Name: in.Name, Query: in.Query, LogGroups: groups, LastModified: q.svc.clock.Now().UnixMilli()}
	if in.ID == "" {
		row.ID = uuid.NewString()
	}
	err = q.defs.QueryDefinitionPut(ctx, &store.QueryDefinitionPutParams{Row: row, Update: in.ID != "", Max: maxQueryDefinitions})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "", queryDefinitionNotFound()
	case errors.Is(err, store.ErrLimitExceeded):
		return "", awserr.New("LimitExceededException", "Account maximum of %d query definitions reached.", maxQueryDefinitions)
	case err != nil:
		return "", fmt.Errorf("put query definition: %w", err)
	}
	return row.ID, nil
}

func queryDefinitionNotFound() error {
	return awserr.New("ResourceNotFoundException", "The specified query definition does not exist.")
}

// DescribeQueryDefinitions lists an account's saved queries by name, then id. A nextToken holds
// the name and id of the last definition of the page before.
func (q *Queries) DescribeQueryDefinitions(ctx context.Context, account, prefix string, maxResults int, nextToken string) ([]QueryDefinition, string, error) {
	limit, err := pageLimit(maxResults, MaxQueryDefinitionsPage)
	if err != nil {
		return nil, "", err
	}
	p := &store.QueryDefinitionListParams{Account: account, Prefix: prefix, Limit: limit + 1}
	if nextToken != "" {
		key, err := decodeToken(nextToken)
		if err != nil {
			return nil, "", err
		}
		// The id is a UUID: the last NUL ends the name.
		i := strings.LastIndexByte(key, 0)
		if i < 0 {
			return nil, "", invalid("The specified nextToken is invalid.")
		}
		p.AfterName, p.AfterID = key[:i], key[i+1:]
	}
	rows, err := q.defs.QueryDefinitionList(ctx, p)
	if err != nil {
		return nil, "", fmt.Errorf("list query definitions: %w", err)
	}
	rows, next := cutPage(rows, limit, func(r *store.QueryDefinitionRow) string { return r.Name + "\x00" + r.ID })
	out := make([]QueryDefinition, 0, len(rows))
	for _, r := range rows {
		d := QueryDefinition{ID: r.ID, Name: r.Name, Query: r.Query, LastModified: r.LastModified}
		if err := json.Unmarshal(r.LogGroups, &d.Groups); err != nil {
			return nil, "", fmt.Errorf("decode log groups of query definition %s: %w", r.ID, err)
		}
		out = append(out, d)
	}
	return out, next, nil
}

// DeleteQueryDefinition deletes a saved query.
func (q *Queries) DeleteQueryDefinition(ctx context.Context, account, id string) error {
	err := q.defs.QueryDefinitionDelete(ctx, account, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return queryDefinitionNotFound()
	case err != nil:
		return fmt.Errorf("delete query definition: %w", err)
	}
	return nil
}
