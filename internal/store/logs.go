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
	// last event times, last ingestion time and stored bytes, and the group's stored bytes.
	LogEventPut(ctx context.Context, p *LogEventPutParams) error
	// LogEventScan returns up to Limit events of a group in (time, id) order after (AfterTime,
	// AfterID), with Start <= time < End (End 0: no bound), restricted to StreamIDs when given,
	// and whose message contains every string of Contains. Descending reverses the order (events
	// before (AfterTime, AfterID) when AfterID is set).
	LogEventScan(ctx context.Context, p *LogEventScanParams) ([]*LogEventRow, error)
	// LogEventExpire deletes up to Limit events of a group older than Before and reports how many
	// it deleted.
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

// LogEventRow is one stored log event.
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

// LogEventScanParams are the arguments of LogEventScan.
type LogEventScanParams struct {
	GroupID    int64
	StreamIDs  []int64
	Start      int64
	End        int64
	AfterTime  int64
	AfterID    int64
	Descending bool
	Contains   []string
	Limit      int
}

// LogEventExpireParams are the arguments of LogEventExpire.
type LogEventExpireParams struct {
	GroupID int64
	Before  int64
	Limit   int
}
