package store

import "context"

// AlarmStore keeps CloudWatch metric alarms (their configuration, state and history), the
// claims that make one ceap node evaluate each minute, and CloudWatch dashboards.
type AlarmStore interface {
	// AlarmPut inserts an alarm, or replaces the configuration (Spec, Modified) of an existing
	// one while keeping its state, tags and ARN, and appends History in the same transaction. It
	// bumps Version either way.
	AlarmPut(ctx context.Context, p *AlarmPutParams) error
	// AlarmGet returns one alarm; ErrNotFound when missing.
	AlarmGet(ctx context.Context, p *AlarmGetParams) (*AlarmRow, error)
	// AlarmList returns up to Limit alarms with name > After and name starting with NamePrefix,
	// by account then name. Account "" lists every account's alarms (for the evaluator).
	AlarmList(ctx context.Context, p *AlarmListParams) ([]*AlarmRow, error)
	// AlarmUpdate replaces the state, Spec, Tags and PendingActions of an alarm whose Version is still
	// IfVersion, bumps Version, and appends History, all in one transaction. ErrConflict when
	// the version moved; ErrNotFound when the alarm is missing.
	AlarmUpdate(ctx context.Context, p *AlarmUpdateParams) error
	// AlarmDelete removes the named alarms of an account (missing names are skipped) and
	// returns how many it removed. Their history stays until it is pruned.
	AlarmDelete(ctx context.Context, p *AlarmDeleteParams) (int, error)
	// AlarmHistoryList returns history items of an account, newest first (oldest first with
	// OldestFirst), optionally of one alarm and one item type, in [From, To), after the cursor
	// After (an item's Seq), up to Limit.
	AlarmHistoryList(ctx context.Context, p *AlarmHistoryListParams) ([]*AlarmHistoryRow, error)
	// AlarmHistoryPrune deletes the history items older than Before, of every account.
	AlarmHistoryPrune(ctx context.Context, p *AlarmHistoryPruneParams) error
	// AlarmEvaluationClaim records that Owner evaluates the alarms for Minute. It reports false
	// when the minute was already claimed (by any owner), so that each minute is evaluated once
	// however many nodes share the database. Claims older than a day are dropped.
	AlarmEvaluationClaim(ctx context.Context, p *AlarmEvaluationClaimParams) (bool, error)

	// DashboardPut creates or replaces a dashboard.
	DashboardPut(ctx context.Context, p *DashboardPutParams) error
	// DashboardGet returns one dashboard; ErrNotFound when missing.
	DashboardGet(ctx context.Context, p *DashboardGetParams) (*DashboardRow, error)
	// DashboardList returns up to Limit dashboards of an account with name > After and starting
	// with NamePrefix, by name.
	DashboardList(ctx context.Context, p *DashboardListParams) ([]*DashboardRow, error)
	// DashboardDelete removes the named dashboards of an account, all or none: ErrNotFound (and
	// nothing removed) when one of them is missing.
	DashboardDelete(ctx context.Context, p *DashboardDeleteParams) error
}

// AlarmRow is one alarm.
type AlarmRow struct {
	Account string
	Name    string
	ARN     string
	// Spec is the alarm's configuration as the alarms service encodes it (JSON).
	Spec []byte
	// Tags is a JSON array of {"Key","Value"} objects.
	Tags            []byte
	State           string
	StateReason     string
	StateReasonData string
	// StateUpdated is when the state (or its reason) was last written; StateTransitioned is when
	// the state value last changed. Unix ms.
	StateUpdated      int64
	StateTransitioned int64
	// Modified is when the configuration was last written (Unix ms).
	Modified int64
	// Version counts the writes of the row; AlarmUpdate is conditional on it.
	Version int64
	// PendingActions, when not empty, records a state change whose actions have not run yet
	// (written with the state, cleared once they ran), so that a node that dies in between
	// leaves them to the next evaluation.
	PendingActions string
}

// AlarmHistoryRow is one item of an alarm's history.
type AlarmHistoryRow struct {
	Seq       int64 // assigned by the store, increasing
	Account   string
	AlarmName string
	AlarmType string
	Time      int64
	ItemType  string // ConfigurationUpdate, StateUpdate, Action
	Summary   string
	Data      string
}

// AlarmPutParams are the arguments of AlarmPut. Row carries the new alarm (its state fields are
// used only when it is created).
type AlarmPutParams struct {
	Row     *AlarmRow
	History []*AlarmHistoryRow
}

// AlarmGetParams name one alarm.
type AlarmGetParams struct {
	Account string
	Name    string
}

// AlarmListParams are the arguments of AlarmList.
type AlarmListParams struct {
	Account    string
	NamePrefix string
	After      string
	Limit      int // 0 for no limit
}

// AlarmUpdateParams are the arguments of AlarmUpdate: Row's state fields, Spec and Tags are
// written.
type AlarmUpdateParams struct {
	Row       *AlarmRow
	IfVersion int64
	History   []*AlarmHistoryRow
}

// AlarmDeleteParams are the arguments of AlarmDelete.
type AlarmDeleteParams struct {
	Account string
	Names   []string
}

// AlarmHistoryListParams are the arguments of AlarmHistoryList.
type AlarmHistoryListParams struct {
	Account     string
	AlarmName   string // "" for every alarm
	ItemType    string // "" for every type
	From, To    int64  // Unix ms; To 0 for no upper bound
	After       int64  // Seq cursor; 0 to start
	OldestFirst bool
	Limit       int
}

// AlarmHistoryPruneParams are the arguments of AlarmHistoryPrune.
type AlarmHistoryPruneParams struct {
	Before int64
}

// AlarmEvaluationClaimParams are the arguments of AlarmEvaluationClaim.
type AlarmEvaluationClaimParams struct {
	Minute int64 // Unix ms of the minute's start
	Owner  string
	Now    int64
}

// DashboardRow is one dashboard.
type DashboardRow struct {
	Account  string
	Name     string
	ARN      string
	Body     string
	Modified int64
}

// DashboardPutParams are the arguments of DashboardPut.
type DashboardPutParams struct {
	Row *DashboardRow
}

// DashboardGetParams name one dashboard.
type DashboardGetParams struct {
	Account string
	Name    string
}

// DashboardListParams are the arguments of DashboardList.
type DashboardListParams struct {
	Account    string
	NamePrefix string
	After      string
	Limit      int // 0 for no limit
}

// DashboardDeleteParams are the arguments of DashboardDelete.
type DashboardDeleteParams struct {
	Account string
	Names   []string
}
