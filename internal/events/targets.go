package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ceap/ceap/internal/asl/jsonpath"
	"github.com/ceap/ceap/internal/store"
)

// Target is one target of a rule. Its JSON form is the PutTargets model's Target shape.
type Target struct {
	Id               string
	Arn              string
	RoleArn          string            `json:",omitempty"`
	Input            string            `json:",omitempty"`
	InputPath        string            `json:",omitempty"`
	InputTransformer *InputTransformer `json:",omitempty"`
	SqsParameters    *SqsParameters    `json:",omitempty"`
	RetryPolicy      json.RawMessage   `json:",omitempty"`
	DeadLetterConfig *DeadLetterConfig `json:",omitempty"`
}

// InputTransformer builds a target's input from parts of the event.
type InputTransformer struct {
	InputPathsMap map[string]string `json:",omitempty"`
	InputTemplate string
}

// DeadLetterConfig names the SQS queue that receives the events a target could not take.
type DeadLetterConfig struct {
	Arn string `json:",omitempty"`
}

// SqsParameters are the settings of an SQS target.
type SqsParameters struct {
	MessageGroupId string `json:",omitempty"`
}

// FailedEntry is a target that PutTargets or RemoveTargets could not handle.
type FailedEntry struct {
	TargetID     string `json:"TargetId"`
	ErrorCode    string `json:"ErrorCode"`
	ErrorMessage string `json:"ErrorMessage"`
}

// targetKind returns the service of a target ARN that ceap delivers to.
func targetKind(arn string) string {
	p := strings.SplitN(arn, ":", 6)
	if len(p) != 6 || p[0] != "arn" {
		return ""
	}
	switch {
	case p[2] == "sns", p[2] == "sqs", p[2] == "lambda" && strings.HasPrefix(p[5], "function:"), p[2] == "states" && strings.HasPrefix(p[5], "stateMachine:"):
		return p[2]
	}
	return ""
}

func checkTarget(t *Target) error {
	if t.Id == "" || len(t.Id) > MaxTargetIDLength || !idPattern.MatchString(t.Id) {
		return validation("1 validation error detected: Value '%s' at 'targets.1.member.id' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+", t.Id)
	}
	if targetKind(t.Arn) == "" {
		return validation("Parameter(s) Arn is not valid: ceap delivers to SNS topics, SQS queues, Lambda functions and Step Functions state machines (target %s).", t.Id)
	}
	n := 0
	if t.Input != "" {
		n++
		if len(t.Input) > MaxInputLength || !json.Valid([]byte(t.Input)) {
			return validation("Input for target %s is not valid JSON text.", t.Id)
		}
	}
	if t.InputPath != "" {
		n++
		if _, err := jsonpath.Compile(t.InputPath); err != nil {
			return validation("InputPath for target %s is invalid.", t.Id)
		}
	}
	if it := t.InputTransformer; it != nil {
		n++
		if it.InputTemplate == "" {
			return validation("InputTemplate for target %s is required.", t.Id)
		}
		for k, p := range it.InputPathsMap {
			if _, err := jsonpath.Compile(p); err != nil || strings.HasPrefix(k, "aws.") {
				return validation("InputPathsMap for target %s is invalid: %s.", t.Id, k)
			}
		}
	}
	if n > 1 {
		return validation("Only one of Input, InputPath, or InputTransformer must be provided for target %s.", t.Id)
	}
	if d := t.DeadLetterConfig; d != nil && d.Arn != "" && targetKind(d.Arn) != "sqs" {
		return validation("The dead-letter queue of target %s must be an SQS queue ARN.", t.Id)
	}
	return nil
}

// PutTargets adds or updates targets of a rule.
func (s *Service) PutTargets(ctx context.Context, account, busName, rule string, targets []Target) ([]FailedEntry, error) {
	r, err := s.rule(ctx, account, busName, rule)
	if err != nil {
		return nil, err
	}
	if len(targets) == 0 || len(targets) > MaxPutTargets {
		return nil, validation("1 validation error detected: Value at 'targets' failed to satisfy constraint: Member must have length between 1 and %d", MaxPutTargets)
	}
	existing, err := s.cfg.Store.TargetsList(ctx, &store.RuleGetParams{Account: account, Bus: r.EventBus, Name: r.Name})
	if err != nil {
		return nil, fmt.Errorf("list targets: %w", err)
	}
	ids := map[string]bool{}
	for _, t := range existing {
		ids[t.ID] = true
	}
	rows := make([]*store.TargetRow, 0, len(targets))
	for i := range targets {
		t := &targets[i]
		if err := checkTarget(t); err != nil {
			return nil, err
		}
		ids[t.Id] = true
		spec, _ := json.Marshal(t)
		rows = append(rows, &store.TargetRow{ID: t.Id, ARN: t.Arn, Spec: spec})
	}
	if len(ids) > MaxTargetsPerRule {
		return nil, limitExceeded("The requested resource exceeds the maximum number allowed.")
	}
	err = s.cfg.Store.TargetsPut(ctx, &store.TargetsPutParams{Rule: store.RuleGetParams{Account: account, Bus: r.EventBus, Name: r.Name}, Targets: rows})
	if errors.Is(err, store.ErrNotFound) {
		return nil, resourceNotFound("Rule %s does not exist on EventBus %s.", rule, r.EventBus)
	}
	if err != nil {
		return nil, fmt.Errorf("put targets: %w", err)
	}
	return nil, nil
}

// RemoveTargets removes targets of a rule by id.
func (s *Service) RemoveTargets(ctx context.Context, account, busName, rule string, ids []string) ([]FailedEntry, error) {
	r, err := s.rule(ctx, account, busName, rule)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 || len(ids) > MaxPutTargets {
		return nil, validation("1 validation error detected: Value at 'ids' failed to satisfy constraint: Member must have length between 1 and %d", MaxPutTargets)
	}
	if _, err := s.cfg.Store.TargetsRemove(ctx, &store.TargetsRemoveParams{Rule: store.RuleGetParams{Account: account, Bus: r.EventBus, Name: r.Name}, IDs: ids}); err != nil {
		return nil, fmt.Errorf("remove targets: %w", err)
	}
	return nil, nil
}

// ListTargets returns the targets of a rule.
func (s *Service) ListTargets(ctx context.Context, account, busName, rule string) ([]Target, error) {
	r, err := s.rule(ctx, account, busName, rule)
	if err != nil {
		return nil, err
	}
	return s.targets(ctx, account, r)
}

func (s *Service) targets(ctx context.Context, account string, r *Rule) ([]Target, error) {
	rows, err := s.cfg.Store.TargetsList(ctx, &store.RuleGetParams{Account: account, Bus: r.EventBus, Name: r.Name})
	if err != nil {
		return nil, fmt.Errorf("list targets: %w", err)
	}
	out := make([]Target, 0, len(rows))
	for _, row := range rows {
		var t Target
		if err := json.Unmarshal(row.Spec, &t); err != nil {
			return nil, fmt.Errorf("target %s: %w", row.ID, err)
		}
		out = append(out, t)
	}
	return out, nil
}
