package store

import "context"

// StateStore keeps Step Functions resources (state machines, their definition revisions,
// versions, aliases, activities), executions with their snapshots and history, the work that
// waits on the outside world (tasks, timers, events for executions) and activity tasks waiting
// for a worker.
//
// An execution advances with one ExecutionWrite: its row (checked against the version the caller
// read), a chunk of history events, new work rows, and the removal of the work it consumed, in one
// transaction.
type StateStore interface {
	// StateResourceGet returns one resource by ARN (ErrNotFound).
	StateResourceGet(ctx context.Context, p *StateResourceGetParams) (*StateResource, error)
	// StateResourcesList returns an account's resources of one kind (and parent, when set),
	// ordered by Key, starting after After.
	StateResourcesList(ctx context.Context, p *StateResourcesListParams) ([]*StateResource, error)
	// StateResourcesWrite applies puts and deletes in one transaction. A put with Revision 0
	// creates (ErrAlreadyExists when the ARN exists); otherwise it replaces the row whose
	// revision is Revision and stores Revision+1 (ErrConflict when it changed, ErrNotFound when
	// gone). Deleting a missing ARN is not an error.
	StateResourcesWrite(ctx context.Context, p *StateResourcesWriteParams) error

	// ExecutionGet returns one execution (ErrNotFound); the snapshot only when asked.
	ExecutionGet(ctx context.Context, p *ExecutionGetParams) (*ExecutionRow, error)
	// ExecutionsList returns executions newest first, filtered as the params say.
	ExecutionsList(ctx context.Context, p *ExecutionsListParams) ([]*ExecutionRow, error)
	// ExecutionWrite advances one execution in one transaction (see StateStore).
	ExecutionWrite(ctx context.Context, p *ExecutionWriteParams) error
	// ExecutionsRecord inserts or replaces finished executions and their history (Express
	// records), in one transaction.
	ExecutionsRecord(ctx context.Context, p *ExecutionsRecordParams) error
	// ExecutionsExpire deletes the executions (and their history) whose ExpiresAt has passed.
	ExecutionsExpire(ctx context.Context, p *ExecutionsExpireParams) (int, error)
	// HistoryList returns an execution's history chunks in event order.
	HistoryList(ctx context.Context, p *HistoryListParams) ([]*HistoryChunk, error)

	// WorkClaim leases up to Limit work rows that are ready at Now to Owner until LeaseUntil.
	// Two claimers never get the same row.
	WorkClaim(ctx context.Context, p *WorkClaimParams) ([]*WorkRow, error)
	// WorkExtend moves the lease of a row that Owner holds (ErrConflict when it lost it).
	WorkExtend(ctx context.Context, p *WorkExtendParams) error
	// WorkNextReady returns the earliest ReadyAt of all work rows (ErrNotFound when none).
	WorkNextReady(ctx context.Context, p *WorkNextReadyParams) (int64, error)

	// ActivityTaskClaim hands the oldest unclaimed task of an activity to a worker (ErrNotFound
	// when none waits).
	ActivityTaskClaim(ctx context.Context, p *ActivityTaskClaimParams) (*ActivityTaskRow, error)
	// ActivityTaskGet returns an activity task by its ID (ErrNotFound).
	ActivityTaskGet(ctx context.Context, p *ActivityTaskGetParams) (*ActivityTaskRow, error)
}

// StateResource is a state machine, a definition revision, a version, an alias or an activity.
type StateResource struct {
	ARN     string
	Account string
	Kind    string // "stateMachine", "revision", "version", "alias", "activity"
	Parent  string // the state machine of a revision, version or alias
	Key     string // list order within (account, kind, parent): the name, or a zero-padded number
	Created int64
	// Revision counts the writes of the row (1 after create).
	Revision int64
	// Doc is the resource's attributes as JSON, owned by the states package.
	Doc []byte
}

// StateResourceGetParams names a resource.
type StateResourceGetParams struct {
	ARN string
}

// StateResourcesListParams selects resources.
type StateResourcesListParams struct {
	Account string
	Kind    string
	Parent  string // "" for any
	After   string // Key to start after; "" from the start
	Limit   int
}

// StateResourcesWriteParams is one transaction of resource changes.
type StateResourcesWriteParams struct {
	Puts    []*StateResource
	Deletes []string
}

// ExecutionRow is an execution, Standard or Express.
type ExecutionRow struct {
	ARN             string
	Account         string
	StateMachineARN string
	Name            string
	Status          string
	Express         bool
	StartedAt       int64
	StoppedAt       int64
	RedriveCount    int
	RedrivenAt      int64
	ExpiresAt       int64 // 0: kept
	// Version counts the writes of the execution (1 after the first).
	Version int64
	// Doc is the execution's attributes (input, output, error, ...) as JSON.
	Doc []byte
	// Snapshot is the interpreter state as JSON; nil when none is kept.
	Snapshot []byte
}

// HistoryChunk is the history events one advance of an execution recorded, as a JSON array.
type HistoryChunk struct {
	ExecutionARN string
	FirstID      int64
	Events       []byte
}

// ExecutionGetParams names an execution.
type ExecutionGetParams struct {
	ARN          string
	WithSnapshot bool
}

// ExecutionsListParams selects executions, newest first.
type ExecutionsListParams struct {
	Account         string
	StateMachineARN string
	Status          string // "" for any
	Redriven        *bool  // nil for any
	// Keyset pagination: rows strictly after (BeforeStart, BeforeARN) in (StartedAt desc, ARN desc).
	BeforeStart int64
	BeforeARN   string
	Limit       int
}

// ExecutionWriteParams is one advance of an execution.
type ExecutionWriteParams struct {
	// Execution is the new row. Its Version must be PrevVersion+1.
	Execution *ExecutionRow
	// PrevVersion is the version read; 0 inserts (ErrAlreadyExists when the ARN exists).
	// ErrConflict when the stored version differs.
	PrevVersion int64
	History     *HistoryChunk
	WorkAdd     []*WorkRow
	// WorkDelete removes rows by ID (missing ones are ignored).
	WorkDelete []string
	// Claimed are work rows this advance consumes: each must still be leased by ClaimOwner
	// (ErrConflict otherwise), and they are deleted.
	Claimed    []string
	ClaimOwner string
	// ActivityAdd queues activity tasks; ActivityDelete removes them by ID.
	ActivityAdd    []*ActivityTaskRow
	ActivityDelete []string
}

// ExecutionsRecordParams carries finished executions to record.
type ExecutionsRecordParams struct {
	Executions []*ExecutionRow
	History    []*HistoryChunk
}

// ExecutionsExpireParams says when.
type ExecutionsExpireParams struct {
	Now int64
}

// HistoryListParams names an execution.
type HistoryListParams struct {
	ExecutionARN string
}

// WorkRow is a task to perform, a timer, or an event to deliver, for one execution.
type WorkRow struct {
	ID           string
	ExecutionARN string
	Kind         string
	// ReadyAt is when the row can be claimed: its due time, then the end of its lease.
	ReadyAt int64
	Owner   string
	Doc     []byte
}

// WorkClaimParams leases ready work.
type WorkClaimParams struct {
	Now        int64
	Owner      string
	LeaseUntil int64
	Limit      int
}

// WorkExtendParams extends a lease.
type WorkExtendParams struct {
	ID         string
	Owner      string
	LeaseUntil int64
}

// WorkNextReadyParams is empty: the earliest ready time of all work.
type WorkNextReadyParams struct{}

// ActivityTaskRow is a task scheduled on an activity, waiting for (or held by) a worker.
type ActivityTaskRow struct {
	ID           string
	ActivityARN  string
	ExecutionARN string
	Token        string
	Input        string
	Created      int64
	ClaimedAt    int64
	Worker       string
}

// ActivityTaskClaimParams hands out a task.
type ActivityTaskClaimParams struct {
	ActivityARN string
	Worker      string
	Now         int64
}

// ActivityTaskGetParams names an activity task.
type ActivityTaskGetParams struct {
	ID string
}
