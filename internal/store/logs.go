package store

import "context"

// LogStore keeps CloudWatch Logs data: log groups, their streams, and the events of each stream.
// Events are stored by group and time so that a scan of one or more groups over a time range
// (FilterLogEvents, Logs Insights) reads only that range.
type LogStore interface {
	// LogGroupCreate inserts a group and returns it with its id; ErrAlreadyExists when the account
	// has one of that name.
	LogGroupCreate(ctx context.Context, p *LogGroupCreateParams) (*LogGroupRow, error)
	// LogGroupGet returns one group; ErrNotFound when missing.
	LogGroupGet(ctx context.Context, p *LogGroupGetParams) (*LogGroupRow, error)
	// LogGroupList returns up to Limit groups of Account (every account when Account is "") with
	// name > After and starting with NamePrefix, by account then name.
	LogGroupList(ctx context.Context, p *LogGroupListParams) ([]*LogGroupRow, error)
	// LogGroupUpdate sets a group's retention and tags; ErrNotFound when missing.
	LogGroupUpdate(ctx context.Context, p *LogGroupUpdateParams) error
	// LogGroupDelete removes a group with its streams and events; ErrNotFound when missing.
	LogGroupDelete(ctx context.Context, p *LogGroupGetParams) error

	// LogStreamCreate inserts a stream in a group; ErrAlreadyExists when the group has one of that
	// name, ErrNotFound when the group is missing.
	LogStreamCreate(ctx context.Context, p *LogStreamCreateParams) (*LogStreamRow, error)
	// LogStreamGet returns one stream; ErrNotFound when missing.
	LogStreamGet(ctx context.Context, p *LogStreamGetParams) (*LogStreamRow, error)
	// LogStreamList returns up to Limit streams of a group, ordered by name (after After, starting
	// with NamePrefix) or, with ByLastEvent, by last event time then name (after AfterTime/After;
	// Descending reverses the order).
	LogStreamList(ctx context.Context, p *LogStreamListParams) ([]*LogStreamRow, error)
	// LogStreamDelete removes a stream and its events; ErrNotFound when missing.
	LogStreamDelete(ctx context.Context, p *LogStreamGetParams) error

	// LogEventPut appends events (in time order) to a stream and updates the stream's first and
	// last event times, last ingestion time and stored bytes, and the group's stored bytes. The
	// events are stored in blocks (see LogBlock): appended to the stream's latest block while it is
	// small (LogBlockAppendBytes) and they follow it, in new blocks otherwise.
	LogEventPut(ctx context.Context, p *LogEventPutParams) error
	// LogStreamsPut appends events to several streams of a group by name, creating the streams
	// that are missing (with Now as their creation time), all in one write; each stream's events
	// are stored as LogEventPut stores them. It returns the streams' ids, in order. ErrNotFound
	// when the group is missing (then nothing is written). It serves writers that name a new
	// stream per batch (Step Functions' execution logs), which would otherwise pay a read and two
	// writes per stream.
	LogStreamsPut(ctx context.Context, p *LogStreamsPutParams) ([]int64, error)
	// LogEventScan returns the events of a group in (time, id) order after (AfterTime, AfterID),
	// with Start <= time < End (End 0: no bound), restricted to StreamIDs when given, whose message
	// contains every string of Contains and satisfies Match (when set). It stops at Limit events,
	// at MaxBytes of messages (plus ByteOverhead each; at least one event), or after examining
	// MaxExamined events of the range (then Paused tells where to resume). Descending reverses
	// the order (events before (AfterTime, AfterID) when AfterID is set).
	LogEventScan(ctx context.Context, p *LogEventScanParams) (*LogEventScanResult, error)
	// LogEventExpire deletes up to Limit blocks of a group whose events are all older than Before
	// and reports how many events it deleted (0 when none was left).
	LogEventExpire(ctx context.Context, p *LogEventExpireParams) (int64, error)
}

// LogGroupRow is one log group.
type LogGroupRow struct {
	ID            int64
	Account       string
	Name          string
	ARN           string
	Created       int64
	RetentionDays int
	Class         string
	KMSKey        string
	Tags          []byte // JSON object
	StoredBytes   int64
}

// LogGroupCreateParams are the arguments of LogGroupCreate.
type LogGroupCreateParams struct {
	Row *LogGroupRow
}

// LogGroupGetParams name one group.
type LogGroupGetParams struct {
	Account string
	Name    string
}

// LogGroupListParams are the arguments of LogGroupList.
type LogGroupListParams struct {
	Account    string
	NamePrefix string
	After      string
	Limit      int
}

// LogGroupUpdateParams are the arguments of LogGroupUpdate.
type LogGroupUpdateParams struct {
	Account       string
	Name          string
	RetentionDays int
	Tags          []byte
}

// LogStreamRow is one log stream.
type LogStreamRow struct {
	ID            int64
	GroupID       int64
	Name          string
	Created       int64
	FirstEvent    int64
	LastEvent     int64
	LastIngestion int64
	StoredBytes   int64
}

// LogStreamCreateParams are the arguments of LogStreamCreate.
type LogStreamCreateParams struct {
	GroupID int64
	Name    string
	Created int64
}

// LogStreamGetParams name one stream of a group.
type LogStreamGetParams struct {
	GroupID int64
	Name    string
}

// LogStreamListParams are the arguments of LogStreamList.
type LogStreamListParams struct {
	GroupID     int64
	NamePrefix  string
	ByLastEvent bool
	Descending  bool
	After       string
	AfterTime   int64
	Limit       int
}

// LogEventRow is one stored log event. Its ID is unique in the store and orders events of the
// same time: LogEventID of its block and its place in the block.
type LogEventRow struct {
	ID        int64
	StreamID  int64
	Timestamp int64
	Ingested  int64
	Message   string
}

// LogEventPutParams are the arguments of LogEventPut.
type LogEventPutParams struct {
	GroupID  int64
	StreamID int64
	Now      int64 // the ingestion time
	Events   []LogEventRow
}

// LogStreamsPutParams are the arguments of LogStreamsPut.
type LogStreamsPutParams struct {
	GroupID int64
	Now     int64 // the ingestion time, and the creation time of new streams
	Streams []LogStreamEvents
}

// LogStreamEvents are events for one stream, by name.
type LogStreamEvents struct {
	Name   string
	Events []LogEventRow
}

// LogEventScanParams are the arguments of LogEventScan.
type LogEventScanParams struct {
	GroupID    int64
	StreamIDs  []int64
	Start      int64
	End        int64
	AfterTime  int64
	AfterID    int64
	Descending bool
	// Contains are strings that every returned message holds (exact, case-sensitive).
	Contains []string
	// Match, when set, is the last test of an event's message (after Contains); it must be safe
	// for concurrent use.
	Match func(message string) bool
	// Limit bounds the events returned (0: no bound).
	Limit int
	// MaxBytes bounds the size of the events returned: the sum of len(Message) + ByteOverhead
	// (0: no bound). The first event is returned whatever its size.
	MaxBytes     int
	ByteOverhead int
	// MaxExamined bounds the events of the range read (0: no bound).
	MaxExamined int
}

// LogEventScanResult is the result of LogEventScan.
type LogEventScanResult struct {
	Events []*LogEventRow
	// Truncated is set when the scan stopped at Limit or MaxBytes: more events may follow the
	// last one returned.
	Truncated bool
	// Examined is how many events of the range the scan read.
	Examined int
	// Paused is set when the scan stopped at MaxExamined before the end of the range: every
	// matching event up to (ResumeTime, ResumeID) was returned, and a scan after that position
	// continues the search.
	Paused               bool
	ResumeTime, ResumeID int64
}

// LogEventExpireParams are the arguments of LogEventExpire.
type LogEventExpireParams struct {
	GroupID int64
	Before  int64
	// Limit bounds the blocks deleted (0: no bound).
	Limit int
}
