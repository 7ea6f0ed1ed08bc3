package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/clock"
	"github.com/ceap/ceap/internal/events/pattern"
	"github.com/ceap/ceap/internal/metrics"
	"github.com/ceap/ceap/internal/store"
)

// AWS limits of EventBridge (the API model's constraints and the EventBridge quotas).
const (
	// MaxRuleNameLength is RuleName's maximum length.
	MaxRuleNameLength = 64
	// MaxDescriptionLength is RuleDescription's maximum length.
	MaxDescriptionLength = 512
	// MaxPutEventsEntries is the maximum number of entries of one PutEvents request.
	MaxPutEventsEntries = 10
	// MaxPutEventsBytes is the maximum total size of the entries of one PutEvents request.
	MaxPutEventsBytes = 256 * 1024
	// MaxTargetsPerRule is the quota of targets per rule.
	MaxTargetsPerRule = 5
	// MaxPutTargets is the maximum number of targets of one PutTargets request.
	MaxPutTargets = 10
	// MaxListLimit is the maximum Limit of ListRules and ListTargetsByRule.
	MaxListLimit = 100
	// MaxTargetIDLength is a target Id's maximum length.
	MaxTargetIDLength = 64
	// MaxInputLength is a target Input's maximum length (TargetInput: 8192).
	MaxInputLength = 8192
	// DefaultMaximumRetryAttempts is a target's default RetryPolicy.MaximumRetryAttempts.
	DefaultMaximumRetryAttempts = 185
	// DefaultMaximumEventAge is a target's default RetryPolicy.MaximumEventAgeInSeconds.
	DefaultMaximumEventAge = 24 * time.Hour
	// MaxRetryDelay caps the pause between two delivery attempts.
	MaxRetryDelay = 5 * time.Minute
)

// DefaultBus is the name of the default event bus, the only one ceap serves.
const DefaultBus = "default"

// Namespace is the CloudWatch namespace of EventBridge metrics.
const Namespace = "AWS/Events"

var (
	namePattern = regexp.MustCompile(`^[\.\-_A-Za-z0-9]+$`)
	idPattern   = regexp.MustCompile(`^[\.\-_A-Za-z0-9]+$`)
)

// TopicPublisher publishes to SNS topics.
type TopicPublisher interface {
	Publish(ctx context.Context, account, topicARN, message string) error
}

// QueueSender sends to SQS queues (by queue ARN), with string message attributes.
type QueueSender interface {
	Send(ctx context.Context, account, queueARN, body, messageGroupID string, attrs map[string]string) error
}

// FunctionInvoker invokes Lambda functions asynchronously.
type FunctionInvoker interface {
	InvokeAsync(ctx context.Context, account, functionARN string, payload []byte) error
}

// ExecutionStarter starts Step Functions executions.
type ExecutionStarter interface {
	Start(ctx context.Context, account, stateMachineARN, input string) error
}

// Recorder records CloudWatch datapoints (metrics.Recorder).
type Recorder interface {
	Record(account, namespace, name string, dims []metrics.Dimension, value float64, unit string)
}

// Config configures the service; zero fields mean defaults.
type Config struct {
	Store         store.EventStore
	Clock         clock.Clock
	Metrics       Recorder
	Log           *slog.Logger
	Topics        TopicPublisher
	Queues        QueueSender
	Functions     FunctionInvoker
	StateMachines ExecutionStarter
	// RetryDelay is the first pause between delivery attempts; it doubles up to MaxRetryDelay
	// (default 1s).
	RetryDelay time.Duration
	// Node names this ceap node in delivery leases (default: a random id).
	Node string
	// Poll is the longest the delivery worker sleeps between looks at the outbox (default 1s);
	// new events wake it at once.
	Poll time.Duration
}

// Service is the EventBridge service.
type Service struct {
	cfg  Config
	log  *slog.Logger
	wake chan struct{}

	patterns  sync.Map // pattern source -> *pattern.Pattern
	ruleCache sync.Map // account -> *cachedRules

	mu      sync.Mutex
	stop    chan struct{}
	done    chan struct{}
	kill    context.CancelFunc
	killCtx context.Context
}

// New returns the EventBridge service.
func New(cfg Config) *Service {
	cfg.Clock = clock.Or(cfg.Clock)
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.RetryDelay <= 0 {
		cfg.RetryDelay = time.Second
	}
	if cfg.Node == "" {
		cfg.Node = uuid.NewString()
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	killCtx, kill := context.WithCancel(context.Background())
	return &Service{cfg: cfg, log: cfg.Log, wake: make(chan struct{}, 1), killCtx: killCtx, kill: kill}
}

// Start runs the delivery worker.
func (s *Service) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stop != nil {
		return nil
	}
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	go s.work(s.stop, s.done)
	return nil
}

// Stop stops the delivery worker after the deliveries in flight; those still running when ctx
// ends are abandoned (their leases expire and a later run delivers them again).
func (s *Service) Stop(ctx context.Context) error {
	s.mu.Lock()
	stop, done := s.stop, s.done
	s.stop = nil
	s.mu.Unlock()
	if stop == nil {
		return nil
	}
	close(stop)
	select {
	case <-done:
	case <-ctx.Done():
		s.kill()
		<-done
	}
	return nil
}

func validation(format string, args ...any) error { return awserr.Validation(format, args...) }

func resourceNotFound(format string, args ...any) error {
	return awserr.New("ResourceNotFoundException", format, args...)
}

// bus checks an EventBusName (name or ARN) and returns the bus name.
func bus(account, name string) (string, error) {
	if name == "" || name == DefaultBus || strings.HasSuffix(name, ":event-bus/"+DefaultBus) {
		return DefaultBus, nil
	}
	return "", resourceNotFound("Event bus %s does not exist.", name)
}

// RuleARN returns the ARN of a rule on the default bus.
func RuleARN(region, account, name string) string {
	return "arn:aws:events:" + region + ":" + account + ":rule/" + name
}

// Rule is one rule.
type Rule struct {
	Name               string
	ARN                string
	EventPattern       string
	ScheduleExpression string
	State              string
	Description        string
	RoleARN            string
	EventBus           string
	Tags               map[string]string
}

type ruleSpec struct {
	EventPattern       string            `json:",omitempty"`
	ScheduleExpression string            `json:",omitempty"`
	Description        string            `json:",omitempty"`
	RoleARN            string            `json:",omitempty"`
	Tags               map[string]string `json:",omitempty"`
}

func ruleFromRow(r *store.RuleRow) (*Rule, error) {
	var sp ruleSpec
	if err := json.Unmarshal(r.Spec, &sp); err != nil {
		return nil, fmt.Errorf("rule %s: %w", r.Name, err)
	}
	rule := &Rule{Name: r.Name, ARN: r.ARN, EventPattern: sp.EventPattern, ScheduleExpression: sp.ScheduleExpression, State: r.State, Description: sp.Description, RoleARN: sp.RoleARN, EventBus: r.Bus, Tags: sp.Tags}
	if rule.Tags == nil {
		rule.Tags = map[string]string{}
	}
	return rule, nil
}

func (r *Rule) row(account string, now time.Time) *store.RuleRow {
	b, _ := json.Marshal(ruleSpec{EventPattern: r.EventPattern, ScheduleExpression: r.ScheduleExpression, Description: r.Description, RoleARN: r.RoleARN, Tags: r.Tags})
	return &store.RuleRow{Account: account, Bus: r.EventBus, Name: r.Name, ARN: r.ARN, Spec: b, State: r.State, Modified: now.UnixMilli()}
}

// PutRuleInput are the arguments of PutRule.
type PutRuleInput struct {
	Name               string
	EventPattern       string
	ScheduleExpression string
	State              string
	Description        *string
	RoleARN            string
	EventBusName       string
	Tags               map[string]string
}

func checkRuleName(name string) error {
	if name == "" || len(name) > MaxRuleNameLength || !namePattern.MatchString(name) {
		return validation("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+", name)
	}
	return nil
}

// PutRule creates or updates a rule and returns its ARN.
func (s *Service) PutRule(ctx context.Context, account, region string, in PutRuleInput) (string, error) {
	if err := checkRuleName(in.Name); err != nil {
		return "", err
	}
	b, err := bus(account, in.EventBusName)
	if err != nil {
		return "", err
	}
	if in.EventPattern == "" && in.ScheduleExpression == "" {
		return "", validation("Parameter(s) EventPattern or ScheduleExpression must be specified.")
	}
	if in.ScheduleExpression != "" {
		if _, err := parseSchedule(in.ScheduleExpression); err != nil {
			return "", err
		}
	}
	if in.EventPattern != "" {
		if _, err := pattern.Compile(in.EventPattern); err != nil {
			var pe *pattern.Error
			if errors.As(err, &pe) {
				return "", awserr.New("InvalidEventPatternException", "%s", pe.Error())
			}
			return "", err
		}
	}
	switch in.State {
	case "":
		in.State = "ENABLED"
	case "ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS":
	default:
		return "", validation("1 validation error detected: Value '%s' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [DISABLED, ENABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]", in.State)
	}
	rule := &Rule{Name: in.Name, ARN: RuleARN(region, account, in.Name), EventPattern: in.EventPattern, ScheduleExpression: in.ScheduleExpression, State: in.State, RoleARN: in.RoleARN, EventBus: b, Tags: map[string]string{}}
	if old, err := s.cfg.Store.RuleGet(ctx, &store.RuleGetParams{Account: account, Bus: b, Name: in.Name}); err == nil {
		prev, err := ruleFromRow(old)
		if err != nil {
			return "", err
		}
		rule.Tags, rule.Description, rule.ARN = prev.Tags, prev.Description, prev.ARN
	} else if !errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("get rule %q: %w", in.Name, err)
	}
	if in.Description != nil {
		if len(*in.Description) > MaxDescriptionLength {
			return "", validation("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to %d", MaxDescriptionLength)
		}
		rule.Description = *in.Description
	}
	for k, v := range in.Tags {
		rule.Tags[k] = v
	}
	defer s.forgetRules()
	if err := s.cfg.Store.RulePut(ctx, rule.row(account, s.cfg.Clock.Now())); err != nil {
		return "", fmt.Errorf("put rule %q: %w", in.Name, err)
	}
	if err := s.arm(ctx, account, rule); err != nil {
		return "", err
	}
	return rule.ARN, nil
}

func (s *Service) rule(ctx context.Context, account, busName, name string) (*Rule, error) {
	if err := checkRuleName(name); err != nil {
		return nil, err
	}
	b, err := bus(account, busName)
	if err != nil {
		return nil, err
	}
	row, err := s.cfg.Store.RuleGet(ctx, &store.RuleGetParams{Account: account, Bus: b, Name: name})
	if errors.Is(err, store.ErrNotFound) {
		return nil, resourceNotFound("Rule %s does not exist on EventBus %s.", name, b)
	}
	if err != nil {
		return nil, fmt.Errorf("get rule %q: %w", name, err)
	}
	return ruleFromRow(row)
}

// DescribeRule returns a rule.
func (s *Service) DescribeRule(ctx context.Context, account, busName, name string) (*Rule, error) {
	return s.rule(ctx, account, busName, name)
}

// SetRuleState enables or disables a rule.
func (s *Service) SetRuleState(ctx context.Context, account, busName, name string, enabled bool) error {
	rule, err := s.rule(ctx, account, busName, name)
	if err != nil {
		return err
	}
	rule.State = "DISABLED"
	if enabled {
		rule.State = "ENABLED"
	}
	defer s.forgetRules()
	if err := s.cfg.Store.RulePut(ctx, rule.row(account, s.cfg.Clock.Now())); err != nil {
		return fmt.Errorf("put rule %q: %w", name, err)
	}
	return s.arm(ctx, account, rule)
}

// DeleteRule deletes a rule that has no targets; deleting a missing rule succeeds.
func (s *Service) DeleteRule(ctx context.Context, account, busName, name string) error {
	if err := checkRuleName(name); err != nil {
		return err
	}
	b, err := bus(account, busName)
	if err != nil {
		return err
	}
	defer s.forgetRules()
	err = s.cfg.Store.RuleDelete(ctx, &store.RuleGetParams{Account: account, Bus: b, Name: name})
	if err == nil {
		if err := s.cfg.Store.DeliveryDelete(ctx, tickID(account, b, name)); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("delete schedule of %q: %w", name, err)
		}
	}
	switch {
	case errors.Is(err, store.ErrConflict):
		return validation("Rule can't be deleted since it has targets.")
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("delete rule %q: %w", name, err)
	}
	return nil
}

// ListRules returns a page of rules and the next token.
func (s *Service) ListRules(ctx context.Context, account, busName, prefix, token string, limit int) ([]*Rule, string, error) {
	b, err := bus(account, busName)
	if err != nil {
		return nil, "", err
	}
	if limit == 0 {
		limit = MaxListLimit
	}
	if limit < 1 || limit > MaxListLimit {
		return nil, "", validation("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and %d", limit, MaxListLimit)
	}
	rows, err := s.cfg.Store.RuleList(ctx, &store.RuleListParams{Account: account, Bus: b, NamePrefix: prefix, After: token, Limit: limit + 1})
	if err != nil {
		return nil, "", fmt.Errorf("list rules: %w", err)
	}
	var out []*Rule
	for _, r := range rows {
		rule, err := ruleFromRow(r)
		if err != nil {
			return nil, "", err
		}
		out = append(out, rule)
	}
	if len(out) > limit {
		return out[:limit], out[limit-1].Name, nil
	}
	return out, "", nil
}

// ruleOfARN finds the rule named by a rule ARN.
func (s *Service) ruleOfARN(ctx context.Context, account, arn string) (*Rule, error) {
	p := strings.SplitN(arn, ":", 6)
	if len(p) != 6 || p[2] != "events" || !strings.HasPrefix(p[5], "rule/") {
		return nil, validation("Provided ARN is not a rule ARN: %s", arn)
	}
	name := strings.TrimPrefix(p[5], "rule/")
	busName := DefaultBus
	if i := strings.IndexByte(name, '/'); i >= 0 {
		busName, name = name[:i], name[i+1:]
	}
	if p[4] != account {
		return nil, resourceNotFound("Rule %s does not exist on EventBus %s.", name, busName)
	}
	return s.rule(ctx, account, busName, name)
}

// Tags returns the tags of a rule by ARN.
func (s *Service) Tags(ctx context.Context, account, arn string) (map[string]string, error) {
	rule, err := s.ruleOfARN(ctx, account, arn)
	if err != nil {
		return nil, err
	}
	return rule.Tags, nil
}

// Tag adds or replaces tags of a rule; with remove set it removes the keys of tags instead.
func (s *Service) Tag(ctx context.Context, account, arn string, tags map[string]string, remove []string) error {
	rule, err := s.ruleOfARN(ctx, account, arn)
	if err != nil {
		return err
	}
	for k, v := range tags {
		rule.Tags[k] = v
	}
	for _, k := range remove {
		delete(rule.Tags, k)
	}
	defer s.forgetRules()
	if err := s.cfg.Store.RulePut(ctx, rule.row(account, s.cfg.Clock.Now())); err != nil {
		return fmt.Errorf("tag rule %q: %w", rule.Name, err)
	}
	return nil
}

func limitExceeded(msg string) error { return awserr.New("LimitExceededException", "%s", msg) }

// compiled returns the compiled form of a stored rule's pattern.
func (s *Service) compiled(src string) (*pattern.Pattern, error) {
	if p, ok := s.patterns.Load(src); ok {
		return p.(*pattern.Pattern), nil
	}
	p, err := pattern.Compile(src)
	if err != nil {
		return nil, err
	}
	s.patterns.Store(src, p)
	return p, nil
}
