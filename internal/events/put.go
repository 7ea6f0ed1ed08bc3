package events

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ceap/ceap/internal/asl/jsonpath"
	"github.com/ceap/ceap/internal/events/transform"
	"github.com/ceap/ceap/internal/metrics"
	"github.com/ceap/ceap/internal/store"
)

// Event is an event as a service emits it or PutEvents receives it.
type Event struct {
	Source     string
	DetailType string
	// Detail is a JSON object.
	Detail    json.RawMessage
	Resources []string
	// Time is the event's time (now when zero).
	Time time.Time
}

// Entry is one PutEvents request entry.
type Entry struct {
	Source       string
	DetailType   string
	Detail       string
	Resources    []string
	Time         *time.Time
	EventBusName string
}

// EntryResult is the outcome of one entry: an event id, or an error code and message.
type EntryResult struct {
	EventID      string
	ErrorCode    string
	ErrorMessage string
}

// envelope is an event as rules match it and targets receive it.
type envelope struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// entrySize is an entry's size as EventBridge counts it against the PutEvents limit.
func entrySize(e Entry) int {
	n := len(e.Source) + len(e.DetailType) + len(e.Detail)
	if e.Time != nil {
		n += 14
	}
	for _, r := range e.Resources {
		n += len(r)
	}
	return n
}

// PutEvents puts events on the default bus and returns one result per entry.
func (s *Service) PutEvents(ctx context.Context, account, region string, entries []Entry) ([]EntryResult, error) {
	if len(entries) == 0 || len(entries) > MaxPutEventsEntries {
		return nil, validation("1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to %d and greater than or equal to 1", MaxPutEventsEntries)
	}
	total := 0
	for _, e := range entries {
		total += entrySize(e)
	}
	if total > MaxPutEventsBytes {
		return nil, validation("Total size of the entries in the request is over the limit.")
	}
	out := make([]EntryResult, len(entries))
	for i, e := range entries {
		switch {
		case strings.TrimSpace(e.Source) == "":
			out[i] = EntryResult{ErrorCode: "InvalidArgument", ErrorMessage: "Parameter Source is not valid. Reason: Source is a required argument."}
			continue
		case strings.TrimSpace(e.DetailType) == "":
			out[i] = EntryResult{ErrorCode: "InvalidArgument", ErrorMessage: "Parameter DetailType is not valid. Reason: DetailType is a required argument."}
			continue
		case e.Detail == "":
			out[i] = EntryResult{ErrorCode: "InvalidArgument", ErrorMessage: "Parameter Detail is not valid. Reason: Detail is a required argument."}
			continue
		case !isObject(e.Detail):
			out[i] = EntryResult{ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed."}
			continue
		case strings.HasPrefix(e.Source, "aws."):
			out[i] = EntryResult{ErrorCode: "NotAuthorizedForSourceException", ErrorMessage: "Not authorized for the source."}
			continue
		}
		if _, err := bus(account, e.EventBusName); err != nil {
			out[i] = EntryResult{ErrorCode: "InvalidArgument", ErrorMessage: err.Error()}
			continue
		}
		ev := Event{Source: e.Source, DetailType: e.DetailType, Detail: json.RawMessage(e.Detail), Resources: e.Resources}
		if e.Time != nil {
			ev.Time = *e.Time
		}
		id, err := s.put(ctx, account, region, ev)
		if err != nil {
			return nil, err
		}
		out[i] = EntryResult{EventID: id}
	}
	return out, nil
}

func isObject(s string) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal([]byte(s), &m) == nil
}

// Emit puts an event of one of ceap's own services (source aws.*) on the account's default bus.
func (s *Service) Emit(ctx context.Context, account, region string, e Event) error {
	if len(e.Detail) == 0 {
		e.Detail = json.RawMessage("{}")
	}
	_, err := s.put(ctx, account, region, e)
	return err
}

// put matches an event against the enabled rules of the default bus and starts the deliveries
// to their targets.
func (s *Service) put(ctx context.Context, account, region string, e Event) (string, error) {
	at := e.Time
	if at.IsZero() {
		at = s.cfg.Clock.Now()
	}
	rows, err := s.enabledRules(ctx, account)
	if err != nil {
		return "", err
	}
	if len(rows) == 0 { // nothing can match: no need to build the event document
		return uuid.NewString(), nil
	}
	resources := e.Resources
	if resources == nil {
		resources = []string{}
	}
	env := envelope{Version: "0", ID: uuid.NewString(), DetailType: e.DetailType, Source: e.Source, Account: account,
		Time: at.UTC().Format(time.RFC3339), Region: region, Resources: resources, Detail: e.Detail}
	raw, err := json.Marshal(env)
	if err != nil {
		return "", fmt.Errorf("encode event: %w", err)
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return "", fmt.Errorf("decode event: %w", err)
	}
	matched := false
	now := s.cfg.Clock.Now()
	var outbox []*store.DeliveryRow
	for _, row := range rows {
		rule, err := ruleFromRow(row)
		if err != nil {
			return "", err
		}
		p, err := s.compiled(rule.EventPattern)
		if err != nil || !p.MatchValue(doc) {
			continue
		}
		matched = true
		s.record(account, "TriggeredRules", rule.Name, 1)
		targets, err := s.targets(ctx, account, rule)
		if err != nil {
			return "", err
		}
		for _, t := range targets {
			input, err := targetInput(t, rule, raw, doc, at)
			if err != nil {
				s.log.Warn("events_input_failed", "rule", rule.Name, "target", t.Id, "err", err)
				s.record(account, "FailedInvocations", rule.Name, 1)
				continue
			}
			spec, _ := json.Marshal(t)
			outbox = append(outbox, &store.DeliveryRow{ID: uuid.NewString(), Account: account, Rule: rule.Name, Target: spec, Input: []byte(input),
				NextAt: now.UnixMilli(), Created: now.UnixMilli()})
		}
	}
	if len(outbox) > 0 {
		if err := s.cfg.Store.DeliveriesAdd(ctx, outbox); err != nil {
			return "", fmt.Errorf("record deliveries: %w", err)
		}
		s.poke()
	}
	if matched {
		s.record(account, "MatchedEvents", "", 1)
	}
	return env.ID, nil
}

func (s *Service) record(account, name, rule string, v float64) {
	if s.cfg.Metrics == nil {
		return
	}
	var dims []metrics.Dimension
	if rule != "" {
		dims = []metrics.Dimension{{Name: "RuleName", Value: rule}}
	}
	s.cfg.Metrics.Record(account, Namespace, name, dims, v, metrics.Count)
}

// targetInput is what a target receives: the event, its Input, the part its InputPath selects,
// or its InputTransformer's template filled from the event.
func targetInput(t Target, rule *Rule, raw []byte, doc any, at time.Time) (string, error) {
	switch {
	case t.Input != "":
		return t.Input, nil
	case t.InputPath != "":
		p, err := jsonpath.Compile(t.InputPath)
		if err != nil {
			return "", err
		}
		v, err := p.Get(doc)
		if err != nil {
			return "null", nil
		}
		b, err := json.Marshal(v)
		return string(b), err
	case t.InputTransformer != nil:
		vars := map[string]any{}
		for k, path := range t.InputTransformer.InputPathsMap {
			p, err := jsonpath.Compile(path)
			if err != nil {
				return "", err
			}
			if v, err := p.Get(doc); err == nil {
				vars[k] = v
			} else {
				vars[k] = nil
			}
		}
		return transform.Fill(t.InputTransformer.InputTemplate, func(name string) (any, bool) {
			switch name {
			case "aws.events.rule-arn":
				return rule.ARN, true
			case "aws.events.rule-name":
				return rule.Name, true
			case "aws.events.event.ingestion-time":
				return at.UTC().Format(time.RFC3339), true
			case "aws.events.event":
				return string(raw), true
			case "aws.events.event.json":
				return doc, true
			}
			v, ok := vars[name]
			return v, ok
		}), nil
	}
	return string(raw), nil
}

func (s *Service) invoke(ctx context.Context, account string, t Target, input string) error {
	switch targetKind(t.Arn) {
	case "sns":
		if s.cfg.Topics == nil {
			return fmt.Errorf("no topic service")
		}
		return s.cfg.Topics.Publish(ctx, account, t.Arn, input)
	case "sqs":
		if s.cfg.Queues == nil {
			return fmt.Errorf("no queue service")
		}
		group := ""
		if t.SqsParameters != nil {
			group = t.SqsParameters.MessageGroupId
		}
		return s.cfg.Queues.Send(ctx, account, t.Arn, input, group, nil)
	case "lambda":
		if s.cfg.Functions == nil {
			return fmt.Errorf("no function service")
		}
		return s.cfg.Functions.InvokeAsync(ctx, account, t.Arn, []byte(input))
	case "states":
		if s.cfg.StateMachines == nil {
			return fmt.Errorf("no state machine service")
		}
		return s.cfg.StateMachines.Start(ctx, account, t.Arn, input)
	}
	return fmt.Errorf("target %s: unsupported ARN %s", t.Id, t.Arn)
}

// ruleCacheTTL is how long a node trusts its list of an account's rules: a rule changed on this
// node is seen at once (the cache is dropped), one changed on another node within this time.
const ruleCacheTTL = time.Second

type cachedRules struct {
	rows []*store.RuleRow
	at   time.Time
}

// enabledRules returns the enabled rules of an account's default bus, from a short-lived cache:
// every Step Functions status change is an event, and most accounts have few rules or none.
func (s *Service) enabledRules(ctx context.Context, account string) ([]*store.RuleRow, error) {
	now := s.cfg.Clock.Now()
	if c, ok := s.ruleCache.Load(account); ok && now.Sub(c.(*cachedRules).at) < ruleCacheTTL {
		return c.(*cachedRules).rows, nil
	}
	rows, err := s.cfg.Store.RuleList(ctx, &store.RuleListParams{Account: account, Bus: DefaultBus})
	if err != nil {
		return nil, fmt.Errorf("list rules: %w", err)
	}
	enabled := rows[:0:0]
	for _, r := range rows {
		if r.State != "DISABLED" {
			enabled = append(enabled, r)
		}
	}
	s.ruleCache.Store(account, &cachedRules{rows: enabled, at: now})
	return enabled, nil
}

// forgetRules drops the cached rules after a change on this node.
func (s *Service) forgetRules() { s.ruleCache.Clear() }
