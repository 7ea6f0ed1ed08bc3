package store

import "context"

// TopicStore keeps SNS topics and their subscriptions.
type TopicStore interface {
	// TopicCreate inserts a topic; ErrAlreadyExists when its ARN is taken.
	TopicCreate(ctx context.Context, row *TopicRow) error
	// TopicGet returns a topic by ARN; ErrNotFound when missing.
	TopicGet(ctx context.Context, arn string) (*TopicRow, error)
	// TopicList returns up to Limit topics of Account with ARN > After, by ARN.
	TopicList(ctx context.Context, p *TopicListParams) ([]*TopicRow, error)
	// TopicUpdate replaces a topic's attributes and tags; ErrNotFound when missing.
	TopicUpdate(ctx context.Context, row *TopicRow) error
	// TopicDelete removes a topic and its subscriptions; ErrNotFound when missing.
	TopicDelete(ctx context.Context, arn string) error

	// SubscriptionCreate inserts a subscription; ErrAlreadyExists when its ARN is taken,
	// ErrNotFound when its topic is missing.
	SubscriptionCreate(ctx context.Context, row *SubscriptionRow) error
	// SubscriptionGet returns a subscription by ARN; ErrNotFound when missing.
	SubscriptionGet(ctx context.Context, arn string) (*SubscriptionRow, error)
	// SubscriptionList returns up to Limit subscriptions of Account (and of TopicARN when set)
	// with ARN > After, by ARN.
	SubscriptionList(ctx context.Context, p *SubscriptionListParams) ([]*SubscriptionRow, error)
	// SubscriptionUpdate replaces a subscription's attributes, confirmation state and token;
	// ErrNotFound when missing.
	SubscriptionUpdate(ctx context.Context, row *SubscriptionRow) error
	// SubscriptionDelete removes a subscription; ErrNotFound when missing.
	SubscriptionDelete(ctx context.Context, arn string) error
}

// TopicRow is one topic.
type TopicRow struct {
	ARN        string
	Account    string
	Name       string
	Attributes []byte // JSON object of the settable attributes
	Tags       []byte // JSON object
	Created    int64
}

// TopicListParams are the arguments of TopicList.
type TopicListParams struct {
	Account string
	After   string
	Limit   int
}

// SubscriptionRow is one subscription.
type SubscriptionRow struct {
	ARN        string
	Account    string
	TopicARN   string
	Protocol   string
	Endpoint   string
	Owner      string
	Attributes []byte // JSON object
	Confirmed  bool
	Token      string // the confirmation token while pending
	Created    int64
}

// SubscriptionListParams are the arguments of SubscriptionList.
type SubscriptionListParams struct {
	Account  string
	TopicARN string
	After    string
	Limit    int
}
