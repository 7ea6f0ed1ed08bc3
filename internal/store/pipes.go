package store

import "context"

// PipeStore keeps EventBridge pipes: their definition, desired and current state, tags, and the
// lease that makes one ceap node at a time run a pipe.
type PipeStore interface {
	// PipeCreate inserts a pipe; ErrAlreadyExists when the account has one of that name.
	PipeCreate(ctx context.Context, p *PipeCreateParams) error
	// PipeGet returns one pipe; ErrNotFound when missing.
	PipeGet(ctx context.Context, p *PipeGetParams) (*PipeRow, error)
	// PipeList returns up to Limit pipes with name > After and name starting with NamePrefix, by
	// account then name. Account "" lists every account's pipes (for the runners).
	PipeList(ctx context.Context, p *PipeListParams) ([]*PipeRow, error)
	// PipeUpdate replaces the mutable fields of a pipe (definition, states, reason, tags,
	// modified time); with IfModified set the row must still carry that Modified (ErrConflict
	// otherwise). ErrNotFound when missing.
	PipeUpdate(ctx context.Context, p *PipeUpdateParams) error
	// PipeDelete removes a pipe; ErrNotFound when missing.
	PipeDelete(ctx context.Context, p *PipeGetParams) error
	// PipeLeaseClaim gives Owner the pipe's lease until Until when the lease is free, expired at
	// Now, or already Owner's. It reports whether Owner holds the lease; ErrNotFound when the pipe
	// is missing.
	PipeLeaseClaim(ctx context.Context, p *PipeLeaseParams) (bool, error)
	// PipeLeaseRelease frees the lease when Owner holds it.
	PipeLeaseRelease(ctx context.Context, p *PipeLeaseParams) error
}

// PipeRow is one pipe.
type PipeRow struct {
	Account      string
	Name         string
	ARN          string
	Source       string
	Target       string
	Spec         []byte // the definition as the service encodes it (JSON)
	Tags         []byte // JSON object
	DesiredState string
	CurrentState string
	StateReason  string
	Created      int64
	Modified     int64
}

// PipeCreateParams are the arguments of PipeCreate.
type PipeCreateParams struct {
	Row *PipeRow
}

// PipeGetParams name one pipe.
type PipeGetParams struct {
	Account string
	Name    string
}

// PipeListParams are the arguments of PipeList.
type PipeListParams struct {
	Account    string
	NamePrefix string
	After      string // names of Account greater than this (ignored when Account is "")
	Limit      int    // 0 for no limit
}

// PipeUpdateParams are the arguments of PipeUpdate.
type PipeUpdateParams struct {
	Row        *PipeRow
	IfModified int64 // 0: unconditional
}

// PipeLeaseParams are the arguments of PipeLeaseClaim and PipeLeaseRelease.
type PipeLeaseParams struct {
	Account string
	Name    string
	Owner   string
	Now     int64
	Until   int64
}
