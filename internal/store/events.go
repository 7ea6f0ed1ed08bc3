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
