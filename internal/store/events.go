package store

import "context"

// EventStore keeps EventBridge rules and their targets.
type EventStore interface {
	// RulePut inserts or replaces a rule (targets are kept).
	RulePut(ctx context.Context, row *RuleRow) error
	// RuleGet returns one rule; ErrNotFound when missing.
	RuleGet(ctx context.Context, p *RuleGetParams) (*RuleRow, error)
	// RuleList returns up to Limit rules of a bus with name > After and starting with NamePrefix,
	// by name.
	RuleList(ctx context.Context, p *RuleListParams) ([]*RuleRow, error)
	// RuleDelete removes a rule; ErrConflict while it has targets, ErrNotFound when missing.
	RuleDelete(ctx context.Context, p *RuleGetParams) error

	// TargetsPut inserts or replaces targets of an existing rule by id; ErrNotFound when the rule
	// is missing.
	TargetsPut(ctx context.Context, p *TargetsPutParams) error
	// TargetsRemove removes the targets of a rule whose ids are given and returns the ids that
	// were not there.
	TargetsRemove(ctx context.Context, p *TargetsRemoveParams) ([]string, error)
	// TargetsList returns the targets of a rule, by id.
	TargetsList(ctx context.Context, p *RuleGetParams) ([]*TargetRow, error)

	// DeliveriesAdd records deliveries of matched events to targets (the outbox).
	DeliveriesAdd(ctx context.Context, rows []*DeliveryRow) error
	// DeliveriesClaim leases up to Limit deliveries that are due at Now and not leased by a live
	// owner, oldest due first, to Owner until Until. Two claimers never get the same row.
	DeliveriesClaim(ctx context.Context, p *DeliveriesClaimParams) ([]*DeliveryRow, error)
	// DeliveryDelete removes a delivery (done, or given up).
	DeliveryDelete(ctx context.Context, id string) error
	// DeliveryRetry frees a delivery's lease and makes it due again at NextAt after Attempts
	// attempts.
	DeliveryRetry(ctx context.Context, p *DeliveryRetryParams) error
}

// DeliveryRow is one pending delivery of an event to a target.
type DeliveryRow struct {
	ID       string
	Account  string
	Rule     string
	Target   []byte // the target as the service encodes it (JSON)
	Input    []byte // what the target receives
	Attempts int
	NextAt   int64
	Created  int64
}

// DeliveriesClaimParams are the arguments of DeliveriesClaim.
type DeliveriesClaimParams struct {
	Owner string
	Now   int64
	Until int64
	Limit int
}

// DeliveryRetryParams are the arguments of DeliveryRetry.
type DeliveryRetryParams struct {
	ID       string
	Attempts int
	NextAt   int64
}

// RuleRow is one rule.
type RuleRow struct {
	Account  string
	Bus      string
	Name     string
	ARN      string
	Spec     []byte // the definition as the service encodes it (JSON)
	State    string // ENABLED or DISABLED
	Modified int64
}

// RuleGetParams name one rule.
type RuleGetParams struct {
	Account string
	Bus     string
	Name    string
}

// RuleListParams are the arguments of RuleList.
type RuleListParams struct {
	Account    string
	Bus        string
	NamePrefix string
	After      string
	Limit      int // 0 for no limit
}

// TargetRow is one target of a rule.
type TargetRow struct {
	ID   string
	ARN  string
	Spec []byte // the target as the service encodes it (JSON)
}

// TargetsPutParams are the arguments of TargetsPut.
type TargetsPutParams struct {
	Rule    RuleGetParams
	Targets []*TargetRow
}

// TargetsRemoveParams are the arguments of TargetsRemove.
type TargetsRemoveParams struct {
	Rule RuleGetParams
	IDs  []string
}
