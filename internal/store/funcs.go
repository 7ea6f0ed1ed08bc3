package store

import "context"

// FuncStore keeps Lambda functions: one row per function (its $LATEST configuration, aliases,
// tags and reserved concurrency) and one row per published version. Code lives outside the
// database; rows hold its SHA-256.
type FuncStore interface {
	// FunctionCreate inserts a function; ErrAlreadyExists when the account has one of that name.
	FunctionCreate(ctx context.Context, p *FunctionCreateParams) error
	// FunctionGet returns one function; ErrNotFound when missing.
	FunctionGet(ctx context.Context, p *FunctionGetParams) (*FunctionRow, error)
	// FunctionList returns up to Limit functions of Account (every account when Account is "")
	// with name > After, by account then name.
	FunctionList(ctx context.Context, p *FunctionListParams) ([]*FunctionRow, error)
	// FunctionUpdate replaces a function's mutable fields; with IfRevision set the row must still
	// carry that Revision (ErrConflict otherwise). ErrNotFound when missing.
	FunctionUpdate(ctx context.Context, p *FunctionUpdateParams) error
	// FunctionDelete removes a function and its versions; ErrNotFound when missing.
	FunctionDelete(ctx context.Context, p *FunctionGetParams) error
	// FunctionVersionCreate inserts a published version; ErrAlreadyExists when it exists.
	FunctionVersionCreate(ctx context.Context, p *FunctionVersionCreateParams) error
	// FunctionVersionGet returns one published version; ErrNotFound when missing.
	FunctionVersionGet(ctx context.Context, p *FunctionVersionGetParams) (*FunctionVersionRow, error)
	// FunctionVersionList returns a function's published versions in version order.
	FunctionVersionList(ctx context.Context, p *FunctionGetParams) ([]*FunctionVersionRow, error)
	// FunctionVersionDelete removes a published version; ErrNotFound when missing.
	FunctionVersionDelete(ctx context.Context, p *FunctionVersionGetParams) error

	// FunctionEventEnqueue stores an accepted asynchronous invocation.
	FunctionEventEnqueue(ctx context.Context, p *FunctionEventEnqueueParams) error
	// FunctionEventClaim leases to Owner, until Until, up to Limit invocations that are due at Now
	// and not leased by anyone (or whose lease ended), earliest due first.
	FunctionEventClaim(ctx context.Context, p *FunctionEventClaimParams) ([]*FunctionEventRow, error)
	// FunctionEventDelete removes an invocation that Owner holds (done, or given up).
	FunctionEventDelete(ctx context.Context, p *FunctionEventDeleteParams) error
	// FunctionEventRetry reschedules an invocation that Owner holds: its attempt and due time
	// change and its lease ends.
	FunctionEventRetry(ctx context.Context, p *FunctionEventRetryParams) error
}

// FunctionEventRow is one accepted asynchronous invocation.
type FunctionEventRow struct {
	ID         string
	Account    string
	Name       string
	Qualifier  string
	Payload    []byte
	Attempt    int
	Due        int64
	Created    int64
	Owner      string
	LeaseUntil int64
}

// FunctionEventEnqueueParams are the arguments of FunctionEventEnqueue.
type FunctionEventEnqueueParams struct {
	Row *FunctionEventRow
}

// FunctionEventClaimParams are the arguments of FunctionEventClaim.
type FunctionEventClaimParams struct {
	Owner string
	Now   int64
	Until int64
	Limit int
}

// FunctionEventDeleteParams are the arguments of FunctionEventDelete.
type FunctionEventDeleteParams struct {
	ID    string
	Owner string
}

// FunctionEventRetryParams are the arguments of FunctionEventRetry.
type FunctionEventRetryParams struct {
	ID      string
	Owner   string
	Attempt int
	Due     int64
}

// FunctionRow is one function.
type FunctionRow struct {
	Account string
	Name    string
	ARN     string
	// Spec is the $LATEST configuration as the funcs service encodes it (JSON).
	Spec []byte
	// Aliases is a JSON object of alias name to alias.
	Aliases []byte
	Tags    []byte
	// Reserved is the reserved concurrency, -1 when none.
	Reserved    int
	NextVersion int
	Revision    string
	Created     int64
	Modified    int64
}

// FunctionCreateParams are the arguments of FunctionCreate.
type FunctionCreateParams struct {
	Row *FunctionRow
}

// FunctionGetParams name one function.
type FunctionGetParams struct {
	Account string
	Name    string
}

// FunctionListParams are the arguments of FunctionList.
type FunctionListParams struct {
	Account string
	After   string
	Limit   int
}

// FunctionUpdateParams are the arguments of FunctionUpdate.
type FunctionUpdateParams struct {
	Row        *FunctionRow
	IfRevision string
}

// FunctionVersionRow is one published version of a function.
type FunctionVersionRow struct {
	Account string
	Name    string
	Version int
	Spec    []byte
	Created int64
}

// FunctionVersionCreateParams are the arguments of FunctionVersionCreate.
type FunctionVersionCreateParams struct {
	Row *FunctionVersionRow
}

// FunctionVersionGetParams name one version.
type FunctionVersionGetParams struct {
	Account string
	Name    string
	Version int
}
