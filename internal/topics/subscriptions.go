package topics

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/ceap/ceap/internal/store"
)

// PendingConfirmation is the SubscriptionArn that SNS shows for an unconfirmed subscription.
const PendingConfirmation = "PendingConfirmation"

// Subscription is one subscription.
type Subscription struct {
	ARN        string
	Account    string
	TopicARN   string
	Protocol   string
	Endpoint   string
	Owner      string
	Attributes map[string]string
	Confirmed  bool
	Token      string
}

func fromSubRow(r *store.SubscriptionRow) (*Subscription, error) {
	sub := &Subscription{ARN: r.ARN, Account: r.Account, TopicARN: r.TopicARN, Protocol: r.Protocol, Endpoint: r.Endpoint, Owner: r.Owner,
		Attributes: map[string]string{}, Confirmed: r.Confirmed, Token: r.Token}
	if err := json.Unmarshal(r.Attributes, &sub.Attributes); err != nil {
		return nil, fmt.Errorf("subscription %s attributes: %w", r.ARN, err)
	}
	return sub, nil
}

func (sub *Subscription) row(created int64) *store.SubscriptionRow {
	a, _ := json.Marshal(sub.Attributes)
	return &store.SubscriptionRow{ARN: sub.ARN, Account: sub.Account, TopicARN: sub.TopicARN, Protocol: sub.Protocol, Endpoint: sub.Endpoint,
		Owner: sub.Owner, Attributes: a, Confirmed: sub.Confirmed, Token: sub.Token, Created: created}
}

// shownARN is the SubscriptionArn that lists show.
func (sub *Subscription) shownARN() string {
	if !sub.Confirmed {
		return PendingConfirmation
	}
	return sub.ARN
}

// settableSubscriptionAttributes are the attributes Subscribe and SetSubscriptionAttributes take.
var settableSubscriptionAttributes = map[string]bool{
	"DeliveryPolicy": true, "FilterPolicy": true, "FilterPolicyScope": true, "RawMessageDelivery": true, "RedrivePolicy": true, "SubscriptionRoleArn": true,
}

func checkSubscriptionAttribute(protocol, name, value string) error {
	if !settableSubscriptionAttributes[name] {
		return invalidParameter("AttributeName")
	}
	switch name {
	case "RawMessageDelivery":
		if value != "true" && value != "false" {
			return invalidParameter("Attributes Reason: RawMessageDelivery: Invalid value [%s]. Must be true or false.", value)
		}
		if protocol != "sqs" && protocol != "http" && protocol != "https" && protocol != "firehose" {
			return invalidParameter("Attributes Reason: Delivery protocol [%s] does not support raw message delivery.", protocol)
		}
	case "FilterPolicy":
		if value != "" {
			if _, err := compileFilterPolicy(value); err != nil {
				return err
			}
		}
	case "FilterPolicyScope":
		if value != "MessageAttributes" && value != "MessageBody" {
			return invalidParameter("Attributes Reason: FilterPolicyScope: Invalid value [%s]. Please use either MessageBody or MessageAttributes", value)
		}
	case "DeliveryPolicy", "RedrivePolicy":
		if !json.Valid([]byte(value)) {
			return invalidParameter("Attributes Reason: %s: Invalid JSON", name)
		}
	}
	return nil
}

func checkEndpoint(protocol, endpoint string) error {
	switch protocol {
	case "sqs":
		if p := strings.Split(endpoint, ":"); len(p) != 6 || p[0] != "arn" || p[2] != "sqs" {
			return invalidParameter("SQS endpoint ARN")
		}
	case "lambda":
		if p := strings.Split(endpoint, ":"); len(p) < 7 || p[0] != "arn" || p[2] != "lambda" || p[5] != "function" {
			return invalidParameter("Lambda endpoint ARN")
		}
	case "http", "https":
		u, err := url.Parse(endpoint)
		if err != nil || u.Scheme != protocol || u.Host == "" {
			return invalidParameter("Endpoint must match the specified protocol")
		}
	case "email", "email-json", "sms", "application", "firehose":
		return invalidParameter("Invalid protocol type: %s is not supported by ceap", protocol)
	default:
		return invalidParameter("Invalid protocol type: %s", protocol)
	}
	return nil
}

func token() string {
	b := make([]byte, 64)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Subscribe subscribes an endpoint to a topic and returns the subscription ARN, or
// "pending confirmation" for an http/https endpoint that has yet to confirm (the ARN itself
// when returnARN is set). Subscribing the same endpoint twice returns the first subscription.
func (s *Service) Subscribe(ctx context.Context, account, topicARN, protocol, endpoint string, attrs map[string]string, returnARN bool) (string, error) {
	t, err := s.topic(ctx, account, topicARN)
	if err != nil {
		return "", err
	}
	if err := checkEndpoint(protocol, endpoint); err != nil {
		return "", err
	}
	for k, v := range attrs {
		if err := checkSubscriptionAttribute(protocol, k, v); err != nil {
			return "", err
		}
	}
	existing, err := s.cfg.Store.SubscriptionList(ctx, &store.SubscriptionListParams{Account: account, TopicARN: topicARN})
	if err != nil {
		return "", fmt.Errorf("list subscriptions: %w", err)
	}
	for _, r := range existing {
		if r.Protocol == protocol && r.Endpoint == endpoint {
			sub, err := fromSubRow(r)
			if err != nil {
				return "", err
			}
			if !sub.Confirmed && !returnARN {
				return "pending confirmation", nil
			}
			return sub.ARN, nil
		}
	}
	sub := &Subscription{ARN: topicARN + ":" + newID(), Account: account, TopicARN: topicARN, Protocol: protocol, Endpoint: endpoint, Owner: account,
		Attributes: map[string]string{}, Confirmed: protocol != "http" && protocol != "https"}
	for k, v := range attrs {
		sub.Attributes[k] = v
	}
	if !sub.Confirmed {
		sub.Token = token()
	}
	if err := s.cfg.Store.SubscriptionCreate(ctx, sub.row(s.cfg.Clock.Now().UnixMilli())); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return "", notFound("Topic does not exist")
		}
		return "", fmt.Errorf("subscribe: %w", err)
	}
	if !sub.Confirmed {
		s.sendConfirmation(t, sub)
		if !returnARN {
			return "pending confirmation", nil
		}
	}
	return sub.ARN, nil
}

// ConfirmSubscription confirms the pending subscription that token was sent to.
func (s *Service) ConfirmSubscription(ctx context.Context, account, topicARN, tok string) (string, error) {
	if _, err := s.topic(ctx, account, topicARN); err != nil {
		return "", err
	}
	rows, err := s.cfg.Store.SubscriptionList(ctx, &store.SubscriptionListParams{Account: account, TopicARN: topicARN})
	if err != nil {
		return "", fmt.Errorf("list subscriptions: %w", err)
	}
	for _, r := range rows {
		if r.Token != "" && r.Token == tok {
			r.Confirmed, r.Token = true, ""
			if err := s.cfg.Store.SubscriptionUpdate(ctx, r); err != nil {
				return "", fmt.Errorf("confirm subscription: %w", err)
			}
			return r.ARN, nil
		}
	}
	return "", invalidParameter("Token")
}

// Unsubscribe deletes a subscription.
func (s *Service) Unsubscribe(ctx context.Context, account, arn string) error {
	sub, err := s.subscription(ctx, account, arn)
	if err != nil {
		return err
	}
	if err := s.cfg.Store.SubscriptionDelete(ctx, sub.ARN); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("unsubscribe: %w", err)
	}
	return nil
}

func (s *Service) subscription(ctx context.Context, account, arn string) (*Subscription, error) {
	p := strings.Split(arn, ":")
	if len(p) != 7 || p[0] != "arn" || p[2] != "sns" {
		return nil, invalidParameter("SubscriptionArn")
	}
	r, err := s.cfg.Store.SubscriptionGet(ctx, arn)
	if errors.Is(err, store.ErrNotFound) || (err == nil && r.Account != account) {
		return nil, notFound("Subscription does not exist")
	}
	if err != nil {
		return nil, fmt.Errorf("get subscription: %w", err)
	}
	return fromSubRow(r)
}

// ListSubscriptions returns a page of an account's subscriptions (of one topic when topicARN
// is set) and the next token.
func (s *Service) ListSubscriptions(ctx context.Context, account, topicARN, tok string) ([]*Subscription, string, error) {
	if topicARN != "" {
		if _, err := s.topic(ctx, account, topicARN); err != nil {
			return nil, "", err
		}
	}
	rows, err := s.cfg.Store.SubscriptionList(ctx, &store.SubscriptionListParams{Account: account, TopicARN: topicARN, After: tok, Limit: ListPageSize + 1})
	if err != nil {
		return nil, "", fmt.Errorf("list subscriptions: %w", err)
	}
	var out []*Subscription
	for _, r := range rows {
		sub, err := fromSubRow(r)
		if err != nil {
			return nil, "", err
		}
		out = append(out, sub)
	}
	if len(out) > ListPageSize {
		return out[:ListPageSize], out[ListPageSize-1].ARN, nil
	}
	return out, "", nil
}

// ShownARN is the SubscriptionArn that ListSubscriptions shows for sub.
func ShownARN(sub *Subscription) string { return sub.shownARN() }

// GetSubscriptionAttributes returns a subscription's attributes with the ones SNS computes.
func (s *Service) GetSubscriptionAttributes(ctx context.Context, account, arn string) (map[string]string, error) {
	sub, err := s.subscription(ctx, account, arn)
	if err != nil {
		return nil, err
	}
	out := map[string]string{
		"SubscriptionArn": sub.ARN, "TopicArn": sub.TopicARN, "Owner": sub.Owner, "Protocol": sub.Protocol, "Endpoint": sub.Endpoint,
		"ConfirmationWasAuthenticated": fmt.Sprint(sub.Confirmed && sub.Protocol != "http" && sub.Protocol != "https"),
		"PendingConfirmation":          fmt.Sprint(!sub.Confirmed), "RawMessageDelivery": "false",
		"EffectiveDeliveryPolicy": defaultDeliveryPolicy, "SubscriptionPrincipal": "arn:aws:iam::" + sub.Account + ":root",
	}
	for k, v := range sub.Attributes {
		out[k] = v
	}
	return out, nil
}

// SetSubscriptionAttributes sets one attribute of a subscription.
func (s *Service) SetSubscriptionAttributes(ctx context.Context, account, arn, name, value string) error {
	sub, err := s.subscription(ctx, account, arn)
	if err != nil {
		return err
	}
	if err := checkSubscriptionAttribute(sub.Protocol, name, value); err != nil {
		return err
	}
	if value == "" {
		delete(sub.Attributes, name)
	} else {
		sub.Attributes[name] = value
	}
	if err := s.cfg.Store.SubscriptionUpdate(ctx, sub.row(0)); err != nil {
		return fmt.Errorf("set subscription attributes: %w", err)
	}
	return nil
}
