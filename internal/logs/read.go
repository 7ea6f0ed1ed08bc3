package logs

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/ceap/ceap/internal/store"
)

// OutputEvent is an event as GetLogEvents returns it.
type OutputEvent struct {
	Timestamp int64
	Message   string
	Ingestion int64
}

// GetLogEventsInput are the arguments of GetLogEvents.
type GetLogEventsInput struct {
	Group, Stream string
	// StartTime and EndTime bound the events (inclusive start, exclusive end; 0 means none).
	StartTime, EndTime int64
	NextToken          string
	Limit              int
	StartFromHead      bool
}

// GetLogEventsOutput is the result of GetLogEvents.
type GetLogEventsOutput struct {
	Events        []OutputEvent
	NextForward   string
	NextBackward  string
	StreamCreated int64
}

// cursor is a position between events: (time, id).
type cursor struct {
	ts, id int64
}

func (c cursor) token(dir string) string {
	return dir + "/" + strconv.FormatInt(c.ts, 10) + "/" + strconv.FormatInt(c.id, 10)
}

func parseCursor(tok string) (string, cursor, error) {
	parts := strings.Split(tok, "/")
	if len(parts) != 3 || (parts[0] != "f" && parts[0] != "b") {
		return "", cursor{}, invalid("The specified nextToken is invalid.")
	}
	ts, err1 := strconv.ParseInt(parts[1], 10, 64)
	id, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil {
		return "", cursor{}, invalid("The specified nextToken is invalid.")
	}
	return parts[0], cursor{ts, id}, nil
}

// GetLogEvents pages through one stream's events, forward or backward, as CloudWatch Logs does:
// without a token it returns the newest events (or the oldest with StartFromHead), and a token
// that reaches the end comes back unchanged.
func (s *Service) GetLogEvents(ctx context.Context, account string, in GetLogEventsInput) (*GetLogEventsOutput, error) {
	limit, err := pageLimit(in.Limit, MaxEventsPerPage)
	if err != nil {
		return nil, err
	}
	g, err := s.group(ctx, account, in.Group)
	if err != nil {
		return nil, err
	}
	st, err := s.store.LogStreamGet(ctx, &store.LogStreamGetParams{GroupID: g.ID, Name: in.Stream})
	if errors.Is(err, store.ErrNotFound) {
		return nil, streamNotFound()
	}
	if err != nil {
		return nil, fmt.Errorf("get log stream %q: %w", in.Stream, err)
	}
	p := &store.LogEventScanParams{
		GroupID: g.ID, StreamIDs: []int64{st.ID}, Start: max(in.StartTime, s.retentionStart(g)), End: in.EndTime,
		Limit: limit, MaxBytes: MaxResponseBytes, ByteOverhead: EventOverhead,
	}
	forward := in.StartFromHead
	var at cursor
	if in.NextToken != "" {
		dir, c, err := parseCursor(in.NextToken)
		if err != nil {
			return nil, err
		}
		forward, at = dir == "f", c
		if c.id == 0 && !forward {
			// Nothing lies before the start of a stream that was empty.
			return &GetLogEventsOutput{Events: []OutputEvent{}, NextForward: c.token("f"), NextBackward: c.token("b")}, nil
		}
		p.AfterTime, p.AfterID = c.ts, c.id
	}
	p.Descending = !forward
	// A page holds at most MaxResponseBytes of events, counted from the end it was read from.
	res, err := s.store.LogEventScan(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("read log events: %w", err)
	}
	rows := res.Events
	if !forward {
		for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
			rows[i], rows[j] = rows[j], rows[i]
		}
	}
	out := &GetLogEventsOutput{Events: make([]OutputEvent, len(rows))}
	for i, r := range rows {
		out.Events[i] = OutputEvent{Timestamp: r.Timestamp, Message: r.Message, Ingestion: r.Ingested}
	}
	switch {
	case len(rows) > 0:
		out.NextForward = cursor{rows[len(rows)-1].Timestamp, rows[len(rows)-1].ID}.token("f")
		out.NextBackward = cursor{rows[0].Timestamp, rows[0].ID}.token("b")
	case in.NextToken != "":
		out.NextForward = at.token("f")
		out.NextBackward = at.token("b")
	default:
		out.NextForward = cursor{}.token("f")
		out.NextBackward = cursor{}.token("b")
	}
	return out, nil
}

// FilteredEvent is an event as FilterLogEvents returns it.
type FilteredEvent struct {
	Stream    string
	Timestamp int64
	Message   string
	Ingestion int64
	EventID   string
	cursor    cursor
}

// FilterLogEventsInput are the arguments of FilterLogEvents.
type FilterLogEventsInput struct {
	Group string
	// Streams and StreamPrefix restrict the search to some streams (not both).
	Streams      []string
	StreamPrefix string
	// StartTime and EndTime bound the events, both inclusive (0 means none).
	StartTime, EndTime int64
	Pattern            string
	NextToken          string
	Limit              int
}

// FilterLogEventsOutput is the result of FilterLogEvents.
type FilterLogEventsOutput struct {
	Events    []FilteredEvent
	Searched  []string
	NextToken string
}

// FilterLogEvents searches a group's events in time order, across its streams, for those that
// match a filter pattern. A call examines a bounded number of events; when more remain it returns
// a nextToken, possibly with no events, as CloudWatch Logs does.
func (s *Service) FilterLogEvents(ctx context.Context, account string, in FilterLogEventsInput) (*FilterLogEventsOutput, error) {
	limit, err := pageLimit(in.Limit, MaxEventsPerPage)
	if err != nil {
		return nil, err
	}
	if len(in.Streams) > 0 && in.StreamPrefix != "" {
		return nil, invalid("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.")
	}
	if len(in.Streams) > MaxLogStreamNames {
		return nil, invalid("1 validation error detected: Value at 'logStreamNames' failed to satisfy constraint: Member must have length less than or equal to %d", MaxLogStreamNames)
	}
	if in.EndTime > 0 && in.StartTime > in.EndTime {
		return nil, invalid("startTime must be less than or equal to endTime.")
	}
	pat, err := compile(in.Pattern)
	if err != nil {
		return nil, err
	}
	g, err := s.group(ctx, account, in.Group)
	if err != nil {
		return nil, err
	}
	names, ids, err := s.streamsOf(ctx, g.ID, in.Streams, in.StreamPrefix)
	if err != nil {
		return nil, err
	}
	out := &FilterLogEventsOutput{Events: []FilteredEvent{}}
	if len(ids) > 0 {
		for _, id := range ids {
			out.Searched = append(out.Searched, names[id])
		}
	} else if len(in.Streams) == 0 && in.StreamPrefix == "" {
		for _, n := range names {
			out.Searched = append(out.Searched, n)
		}
		sort.Strings(out.Searched)
	}
	if (len(in.Streams) > 0 || in.StreamPrefix != "") && len(ids) == 0 {
		return out, nil
	}
	p := &store.LogEventScanParams{
		GroupID: g.ID, StreamIDs: ids, Start: max(in.StartTime, s.retentionStart(g)), Contains: pat.RequiredLiterals(), Match: pat.Match,
		Limit: limit, MaxBytes: MaxResponseBytes, ByteOverhead: EventOverhead, MaxExamined: filterScanBudget,
	}
	if in.EndTime > 0 {
		p.End = in.EndTime + 1
	}
	if in.NextToken != "" {
		_, c, err := parseCursor(in.NextToken)
		if err != nil {
			return nil, err
		}
		p.AfterTime, p.AfterID = c.ts, c.id
	}
	res, err := s.store.LogEventScan(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("scan log events: %w", err)
	}
	out.Events = make([]FilteredEvent, len(res.Events))
	for i, r := range res.Events {
		name, ok := names[r.StreamID]
		if !ok {
			name, err = s.streamName(ctx, g.ID, r.StreamID, names)
			if err != nil {
				return nil, err
			}
		}
		out.Events[i] = FilteredEvent{Stream: name, Timestamp: r.Timestamp, Message: r.Message, Ingestion: r.Ingested, EventID: eventID(r), cursor: cursor{r.Timestamp, r.ID}}
	}
	switch {
	case res.Truncated && len(out.Events) > 0:
		out.NextToken = out.Events[len(out.Events)-1].cursor.token("f")
	case res.Paused:
		out.NextToken = cursor{res.ResumeTime, res.ResumeID}.token("f")
	}
	return out, nil
}

// eventID is a stable id for an event, as `aws logs tail` uses to skip events it has shown.
func eventID(r *store.LogEventRow) string {
	return fmt.Sprintf("%020d%020d", r.Timestamp, r.ID)
}

// streamsOf resolves stream names or a prefix to ids; with neither it returns no ids (all streams)
// but still the names it knows.
func (s *Service) streamsOf(ctx context.Context, gid int64, names []string, prefix string) (map[int64]string, []int64, error) {
	byID := map[int64]string{}
	var ids []int64
	if len(names) > 0 {
		for _, n := range names {
			st, err := s.store.LogStreamGet(ctx, &store.LogStreamGetParams{GroupID: gid, Name: n})
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, nil, fmt.Errorf("get log stream %q: %w", n, err)
			}
			if _, dup := byID[st.ID]; !dup {
				byID[st.ID] = st.Name
				ids = append(ids, st.ID)
			}
		}
		return byID, ids, nil
	}
	rows, err := s.store.LogStreamList(ctx, &store.LogStreamListParams{GroupID: gid, NamePrefix: prefix})
	if err != nil {
		return nil, nil, fmt.Errorf("list log streams: %w", err)
	}
	for _, r := range rows {
		byID[r.ID] = r.Name
		if prefix != "" {
			ids = append(ids, r.ID)
		}
	}
	return byID, ids, nil
}

// streamName finds the name of a stream created after the search began.
func (s *Service) streamName(ctx context.Context, gid, id int64, names map[int64]string) (string, error) {
	rows, err := s.store.LogStreamList(ctx, &store.LogStreamListParams{GroupID: gid})
	if err != nil {
		return "", fmt.Errorf("list log streams: %w", err)
	}
	for _, r := range rows {
		names[r.ID] = r.Name
	}
	return names[id], nil
}

// Start runs the retention sweeper until Stop.
func (s *Service) Start(ctx context.Context) error {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-s.clock.After(s.interval):
				if _, err := s.ExpireOnce(ctx); err != nil && ctx.Err() == nil {
					s.log.Warn("retention_sweep_failed", "err", err)
				}
			}
		}
	}()
	return nil
}

// Stop ends the sweeper.
func (s *Service) Stop(ctx context.Context) error {
	if s.cancel == nil {
		return nil
	}
	s.cancel()
	select {
	case <-s.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// ExpireOnce deletes the events that every group's retention no longer keeps, and reports how
// many it deleted.
func (s *Service) ExpireOnce(ctx context.Context) (int64, error) {
	groups, err := s.store.LogGroupList(ctx, &store.LogGroupListParams{})
	if err != nil {
		return 0, fmt.Errorf("list log groups: %w", err)
	}
	var total int64
	for _, g := range groups {
		if g.RetentionDays <= 0 {
			continue
		}
		before := s.retentionStart(g)
		for {
			n, err := s.store.LogEventExpire(ctx, &store.LogEventExpireParams{GroupID: g.ID, Before: before, Limit: expireBatch})
			if err != nil {
				return total, fmt.Errorf("expire events of %q: %w", g.Name, err)
			}
			total += n
			if n == 0 {
				break
			}
		}
	}
	return total, nil
}

// expireBatch is how many blocks of events one delete of the sweeper removes.
const expireBatch = 1000
