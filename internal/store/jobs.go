package store

import "context"

// JobStore keeps Glue jobs and their runs. A run is executed by the node that started it, which
// holds a lease on it and renews it while the run's process lives; a run whose lease expires is
// ended by whichever node notices (JobRunStale).
type JobStore interface {
	// JobCreate inserts a job; ErrAlreadyExists when the account has one of that name.
	JobCreate(ctx context.Context, p *JobCreateParams) error
	// JobGet returns one job; ErrNotFound when missing.
	JobGet(ctx context.Context, p *JobGetParams) (*JobRow, error)
	// JobList returns up to Limit jobs of an account with name > After, by name.
	JobList(ctx context.Context, p *JobListParams) ([]*JobRow, error)
	// JobUpdate replaces a job's definition; ErrNotFound when missing.
	JobUpdate(ctx context.Context, p *JobUpdateParams) error
	// JobDelete removes a job and its runs; ErrNotFound when missing.
	JobDelete(ctx context.Context, p *JobGetParams) error

	// JobRunCreate inserts a run when the job has fewer than MaxActive runs in an active state
	// (STARTING, RUNNING, STOPPING); ErrConflict otherwise, ErrNotFound when the job is missing.
	JobRunCreate(ctx context.Context, p *JobRunCreateParams) error
	// JobRunGet returns one run; ErrNotFound when missing.
	JobRunGet(ctx context.Context, p *JobRunGetParams) (*JobRunRow, error)
	// JobRunList returns up to Limit runs of a job, newest first, older than the cursor
	// (BeforeStarted, BeforeID) when BeforeID is set.
	JobRunList(ctx context.Context, p *JobRunListParams) ([]*JobRunRow, error)
	// JobRunUpdate replaces a run's state fields when its current state is one of IfStates (any
	// state when empty); ErrConflict when it is not, ErrNotFound when missing.
	JobRunUpdate(ctx context.Context, p *JobRunUpdateParams) error
	// JobRunStale returns active runs whose lease ended before Now.
	JobRunStale(ctx context.Context, p *JobRunStaleParams) ([]*JobRunRow, error)
}

// JobRow is one job.
type JobRow struct {
	Account  string
	Name     string
	Spec     []byte // the definition as the jobs service encodes it (JSON)
	Created  int64
	Modified int64
}

// JobCreateParams are the arguments of JobCreate.
type JobCreateParams struct {
	Row *JobRow
}

// JobGetParams name one job.
type JobGetParams struct {
	Account string
	Name    string
}

// JobListParams are the arguments of JobList.
type JobListParams struct {
	Account string
	After   string
	Limit   int
}

// JobUpdateParams are the arguments of JobUpdate.
type JobUpdateParams struct {
	Row *JobRow
}

// JobRunRow is one run of a job.
type JobRunRow struct {
	Account       string
	JobName       string
	ID            string
	State         string
	Spec          []byte // arguments and settings of the run (JSON)
	ErrorMessage  string
	Started       int64
	Modified      int64
	Completed     int64
	ExecutionTime int64 // seconds
	Owner         string
	LeaseUntil    int64
}

// JobRunCreateParams are the arguments of JobRunCreate.
type JobRunCreateParams struct {
	Row       *JobRunRow
	MaxActive int
}

// JobRunGetParams name one run.
type JobRunGetParams struct {
	Account string
	JobName string
	ID      string
}

// JobRunListParams are the arguments of JobRunList.
type JobRunListParams struct {
	Account       string
	JobName       string
	BeforeStarted int64
	BeforeID      string
	Limit         int
}

// JobRunUpdateParams are the arguments of JobRunUpdate.
type JobRunUpdateParams struct {
	Row      *JobRunRow
	IfStates []string
}

// JobRunStaleParams are the arguments of JobRunStale.
type JobRunStaleParams struct {
	Now int64
}
