package pipes

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

// AWS limits of the Pipes API (the constraints of the service model's shapes).
const (
	// MaxNameLength is PipeName's max length.
	MaxNameLength = 64
	// MaxDescriptionLength is PipeDescription's max length.
	MaxDescriptionLength = 512
	// MaxBatchSize is the SQS source's BatchSize maximum (LimitMax10000).
	MaxBatchSize = 10000
	// DefaultBatchSize is the SQS source's default BatchSize.
	DefaultBatchSize = 10
	// MaxBatchingWindowSeconds is MaximumBatchingWindowInSeconds' maximum.
	MaxBatchingWindowSeconds = 300
	// MaxInputTemplateLength is InputTemplate's max length.
	MaxInputTemplateLength = 8192
	// MaxTags is TagMap's max size.
	MaxTags = 50
	// MaxListLimit is ListPipes' Limit maximum (LimitMax100).
	MaxListLimit = 100
	// sqsReceiveMax is SQS's ReceiveMessage MaxNumberOfMessages maximum.
	sqsReceiveMax = 10
	// sqsMaxWait is SQS's ReceiveMessage WaitTimeSeconds maximum.
	sqsMaxWait = 20 * time.Second
)

var (
	namePattern = regexp.MustCompile(`^[\.\-_A-Za-z0-9]+$`)
	arnPattern  = regexp.MustCompile(`^arn:aws[a-zA-Z0-9-]*:([a-zA-Z0-9\-]+):([a-z0-9\-]*):(\d*):(.+)$`)
	rolePattern = regexp.MustCompile(`^arn:(aws[a-zA-Z-]*)?:iam::\d+:role/?[a-zA-Z0-9+=,.@\-_/]+$`)
)

// Message is one SQS message as a pipe receives it.
type Message struct {
	MessageID         string
	ReceiptHandle     string
	Body              string
	MD5OfBody         string
	Attributes        map[string]string
	MessageAttributes map[string]MessageAttribute
}

// MessageAttribute is an SQS message attribute.
type MessageAttribute struct {
	DataType         string
	StringValue      *string
	BinaryValue      []byte
	StringListValues []string
	BinaryListValues [][]byte
}

// QueueSource is the SQS queue service as pipes use it. queueARN is the pipe's Source.
type QueueSource interface {
	// Receive long-polls up to max messages (at most 10), with every system attribute and every
	// message attribute, waiting up to wait for the first one; it returns early when ctx ends.
	Receive(ctx context.Context, account, queueARN string, max int, wait time.Duration) ([]Message, error)
	// Delete deletes received messages by receipt handle.
	Delete(ctx context.Context, account, queueARN string, receiptHandles []string) error
}

// StateMachineTarget is the Step Functions service as pipes use it.
type StateMachineTarget interface {
	// StartSync runs an Express execution to its end and returns its status (SUCCEEDED, FAILED,
	// TIMED_OUT); err is for an execution that could not be started.
	StartSync(ctx context.Context, account, stateMachineARN, input string) (status string, err error)
	// Start starts an execution and returns once it has started.
	Start(ctx context.Context, account, stateMachineARN, input string) error
	// MachineType returns a state machine's type (STANDARD or EXPRESS).
	MachineType(ctx context.Context, account, stateMachineARN string) (string, error)
}

// Recorder records CloudWatch datapoints (metrics.Recorder).
type Recorder interface {
	Record(account, namespace, name string, dims []metrics.Dimension, value float64, unit string)
}

// Config configures the service; the zero value of each field means its default.
type Config struct {
	Store   store.PipeStore
	Clock   clock.Clock
	Metrics Recorder
	Log     *slog.Logger
	Source  QueueSource
	Target  StateMachineTarget
	// Node names this ceap node in pipe leases (default: a random id).
	Node string
	// LeaseTTL is how long a node's claim on a pipe lasts without renewal (default 15s).
	LeaseTTL time.Duration
	// SyncInterval is how often pipe states are reconciled (default 1s); API calls also wake it.
	SyncInterval time.Duration
	// Concurrency is how many batches of one pipe may be at the target at once when its queue
	// has a backlog (default 16); a pipe starts at five and scales up to it (see poll).
	Concurrency int
	// RetryDelay is the pause after a failed receive (default 1s).
	RetryDelay time.Duration
}

// defaultConcurrency bounds a pipe's concurrent batches on one node. AWS lets an SQS poller
// reach 1,000 concurrent batches; on one machine each concurrent batch of a workflow holds a
// warm function environment (a process) per stage, so ceap stops far lower. On two cores the
// CEAP workflow ran faster at 16 than at 64, where starting and scheduling some 300 function
// processes cost more CPU than the extra concurrency won (bench/e2e/README.md).
const defaultConcurrency = 16

// Service is the pipes service.
type Service struct {
	cfg  Config
	log  *slog.Logger
	wake chan struct{}

	mu       sync.Mutex
	runners  map[pipeKey]*runner
	inflight map[string]int // batches at their targets, by account
	cancel   context.CancelFunc
	done     chan struct{}
	kill     context.CancelFunc
	killCtx  context.Context
}

type pipeKey struct{ account, name string }

// New returns a pipes service; Start runs its pipes.
func New(cfg Config) *Service {
	cfg.Clock = clock.Or(cfg.Clock)
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Node == "" {
		cfg.Node = uuid.NewString()
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = 15 * time.Second
	}
	if cfg.SyncInterval <= 0 {
		cfg.SyncInterval = time.Second
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = defaultConcurrency
	}
	if cfg.RetryDelay <= 0 {
		cfg.RetryDelay = time.Second
	}
	killCtx, kill := context.WithCancel(context.Background())
	return &Service{cfg: cfg, log: cfg.Log, wake: make(chan struct{}, 1), runners: map[pipeKey]*runner{}, inflight: map[string]int{}, kill: kill, killCtx: killCtx}
}

// ARN returns the ARN of a pipe.
func ARN(region, account, name string) string {
	return "arn:aws:pipes:" + region + ":" + account + ":pipe/" + name
}

// CreateInput are the arguments of Create.
type CreateInput struct {
	Name             string
	Description      string
	DesiredState     string
	Source           string
	SourceParameters SourceParameters
	Enrichment       string
	Target           string
	TargetParameters TargetParameters
	RoleARN          string
	Tags             map[string]string
}

func validationf(format string, args ...any) error { return awserr.Validation(format, args...) }

func notFound(name string) error {
	return awserr.WithStatus(404, "NotFoundException", "Pipe %s does not exist.", name)
}

func conflict(name, format string, args ...any) error {
	e := awserr.WithStatus(409, "ConflictException", format, args...)
	e.Fields = map[string]string{"resourceId": name, "resourceType": "pipe"}
	return e
}

func validateName(name string) error {
	if name == "" || len(name) > MaxNameLength || !namePattern.MatchString(name) {
		return validationf("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+ and have length between 1 and %d", name, MaxNameLength)
	}
	return nil
}

func validateState(s string) error {
	if s != "" && s != StateRunning && s != StateStopped {
		return validationf("1 validation error detected: Value '%s' at 'desiredState' failed to satisfy constraint: Member must satisfy enum value set: [RUNNING, STOPPED]", s)
	}
	return nil
}

func validateSource(src string) error {
	m := arnPattern.FindStringSubmatch(src)
	if m == nil {
		return validationf("1 validation error detected: Value '%s' at 'source' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-]+):...", src)
	}
	if m[1] != "sqs" {
		return validationf("Source %s is not supported: ceap supports Amazon SQS queues as pipe sources.", src)
	}
	return nil
}

func validateTarget(t string) error {
	m := arnPattern.FindStringSubmatch(t)
	if m == nil {
		return validationf("1 validation error detected: Value '%s' at 'target' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-]+):...", t)
	}
	if m[1] != "states" || !strings.HasPrefix(m[4], "stateMachine:") {
		return validationf("Target %s is not supported: ceap supports Step Functions state machines as pipe targets.", t)
	}
	return nil
}

func validateSourceParameters(sp SourceParameters) error {
	if q := sp.SqsQueueParameters; q != nil {
		if q.BatchSize != nil && (*q.BatchSize < 1 || *q.BatchSize > MaxBatchSize) {
			return validationf("1 validation error detected: Value '%d' at 'sourceParameters.sqsQueueParameters.batchSize' failed to satisfy constraint: Member must have value between 1 and %d", *q.BatchSize, MaxBatchSize)
		}
		if w := q.MaximumBatchingWindowInSeconds; w != nil && (*w < 0 || *w > MaxBatchingWindowSeconds) {
			return validationf("1 validation error detected: Value '%d' at 'sourceParameters.sqsQueueParameters.maximumBatchingWindowInSeconds' failed to satisfy constraint: Member must have value between 0 and %d", *w, MaxBatchingWindowSeconds)
		}
		if q.BatchSize != nil && *q.BatchSize > sqsReceiveMax && (q.MaximumBatchingWindowInSeconds == nil || *q.MaximumBatchingWindowInSeconds < 1) {
			return validationf("Maximum batching window must be set to at least 1 second when batch size is greater than %d.", sqsReceiveMax)
		}
	}
	if fc := sp.FilterCriteria; fc != nil {
		for _, f := range fc.Filters {
			if f.Pattern == nil {
				continue
			}
			if _, err := pattern.Compile(*f.Pattern); err != nil {
				return validationf("Invalid filter pattern definition: %v", err)
			}
		}
	}
	return nil
}

func validateTargetParameters(tp TargetParameters) error {
	if t := tp.InputTemplate; t != nil && len(*t) > MaxInputTemplateLength {
		return validationf("1 validation error detected: Value at 'targetParameters.inputTemplate' failed to satisfy constraint: Member must have length less than or equal to %d", MaxInputTemplateLength)
	}
	if s := tp.StepFunctionStateMachineParameters; s != nil && s.InvocationType != "" && s.InvocationType != RequestResponse && s.InvocationType != FireAndForget {
		return validationf("1 validation error detected: Value '%s' at 'targetParameters.stepFunctionStateMachineParameters.invocationType' failed to satisfy constraint: Member must satisfy enum value set: [REQUEST_RESPONSE, FIRE_AND_FORGET]", s.InvocationType)
	}
	return nil
}

// checkInvocation refuses REQUEST_RESPONSE for a STANDARD state machine, as Pipes does (a
// synchronous execution is Express only). A machine that cannot be looked up is left to fail
// at delivery.
func (s *Service) checkInvocation(ctx context.Context, account, target string, tp TargetParameters) error {
	p := Pipe{TargetParameters: tp}
	if p.invocationType() != RequestResponse {
		return nil
	}
	if typ, err := s.cfg.Target.MachineType(ctx, account, target); err == nil && typ == "STANDARD" {
		return validationf("REQUEST_RESPONSE is not supported for STANDARD state machine workflows (%s); use FIRE_AND_FORGET.", target)
	}
	return nil
}

func validateRole(role string) error {
	if !rolePattern.MatchString(role) {
		return validationf("1 validation error detected: Value '%s' at 'roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z0-9+=,.@\\-_/]+", role)
	}
	return nil
}

func validateTags(tags map[string]string) error {
	if len(tags) > MaxTags {
		return validationf("1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to %d", MaxTags)
	}
	for k, v := range tags {
		if k == "" || len(k) > 128 || len(v) > 256 {
			return validationf("1 validation error detected: Value at 'tags' failed to satisfy constraint: Map keys must have length between 1 and 128 and values at most 256")
		}
	}
	return nil
}

// Create creates a pipe. Its current state starts at CREATING and moves on to RUNNING or STOPPED.
func (s *Service) Create(ctx context.Context, account, region string, in CreateInput) (*Pipe, error) {
	for _, err := range []error{validateName(in.Name), validateState(in.DesiredState), validateSource(in.Source), validateTarget(in.Target),
		validateRole(in.RoleARN), validateSourceParameters(in.SourceParameters), validateTargetParameters(in.TargetParameters), validateTags(in.Tags)} {
		if err != nil {
			return nil, err
		}
	}
	if len(in.Description) > MaxDescriptionLength {
		return nil, validationf("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to %d", MaxDescriptionLength)
	}
	if in.Enrichment != "" {
		return nil, validationf("Enrichment is not supported by ceap.")
	}
	if err := s.checkInvocation(ctx, account, in.Target, in.TargetParameters); err != nil {
		return nil, err
	}
	desired := in.DesiredState
	if desired == "" {
		desired = StateRunning
	}
	now := s.cfg.Clock.Now().UTC().Truncate(time.Millisecond)
	p := &Pipe{Account: account, Region: region, Name: in.Name, ARN: ARN(region, account, in.Name), Description: in.Description,
		DesiredState: desired, CurrentState: StateCreating, Source: in.Source, SourceParameters: in.SourceParameters,
		Target: in.Target, TargetParameters: in.TargetParameters, RoleARN: in.RoleARN, Tags: in.Tags, Created: now, Modified: now}
	if p.Tags == nil {
		p.Tags = map[string]string{}
	}
	err := s.cfg.Store.PipeCreate(ctx, &store.PipeCreateParams{Row: toRow(p)})
	if errors.Is(err, store.ErrAlreadyExists) {
		return nil, conflict(in.Name, "Pipe %s already exists.", in.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("create pipe %q: %w", in.Name, err)
	}
	s.poke()
	return p, nil
}

// Describe returns a pipe.
func (s *Service) Describe(ctx context.Context, account, name string) (*Pipe, error) {
	if err := validateName(name); err != nil {
		return nil, err
	}
	p, _, err := s.get(ctx, account, name)
	return p, err
}

func (s *Service) get(ctx context.Context, account, name string) (*Pipe, int64, error) {
	row, err := s.cfg.Store.PipeGet(ctx, &store.PipeGetParams{Account: account, Name: name})
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, notFound(name)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("get pipe %q: %w", name, err)
	}
	p, err := fromRow(row)
	if err != nil {
		return nil, 0, err
	}
	return p, row.Modified, nil
}

// mutate applies fn to the stored pipe and writes it back, retrying when the supervisor changed
// the row in between.
func (s *Service) mutate(ctx context.Context, account, name string, fn func(p *Pipe) error) (*Pipe, error) {
	if err := validateName(name); err != nil {
		return nil, err
	}
	for {
		p, version, err := s.get(ctx, account, name)
		if err != nil {
			return nil, err
		}
		if p.CurrentState == StateDeleting {
			return nil, conflict(name, "Pipe %s is being deleted.", name)
		}
		if err := fn(p); err != nil {
			return nil, err
		}
		p.Modified = s.nextModified(version)
		err = s.cfg.Store.PipeUpdate(ctx, &store.PipeUpdateParams{Row: toRow(p), IfModified: version})
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if errors.Is(err, store.ErrNotFound) {
			return nil, notFound(name)
		}
		if err != nil {
			return nil, fmt.Errorf("update pipe %q: %w", name, err)
		}
		s.poke()
		return p, nil
	}
}

// nextModified is a modification time that is later than the stored one, so that it also
// serves as the row's version.
func (s *Service) nextModified(prev int64) time.Time {
	now := s.cfg.Clock.Now().UTC().Truncate(time.Millisecond)
	if now.UnixMilli() <= prev {
		return time.UnixMilli(prev + 1).UTC()
	}
	return now
}

// UpdateInput are the arguments of Update; nil fields are left as they are.
type UpdateInput struct {
	Name             string
	Description      *string
	DesiredState     string
	SourceParameters *SourceParameters
	Target           string
	TargetParameters *TargetParameters
	RoleARN          string
	Enrichment       *string
}

// Update changes a pipe. Its current state becomes UPDATING and moves on to the desired state.
func (s *Service) Update(ctx context.Context, account string, in UpdateInput) (*Pipe, error) {
	if err := validateState(in.DesiredState); err != nil {
		return nil, err
	}
	if err := validateRole(in.RoleARN); err != nil {
		return nil, err
	}
	if in.Target != "" {
		if err := validateTarget(in.Target); err != nil {
			return nil, err
		}
	}
	if in.SourceParameters != nil {
		if err := validateSourceParameters(*in.SourceParameters); err != nil {
			return nil, err
		}
	}
	if in.TargetParameters != nil {
		if err := validateTargetParameters(*in.TargetParameters); err != nil {
			return nil, err
		}
	}
	if in.Enrichment != nil && *in.Enrichment != "" {
		return nil, validationf("Enrichment is not supported by ceap.")
	}
	return s.mutate(ctx, account, in.Name, func(p *Pipe) error {
		if in.Description != nil {
			if len(*in.Description) > MaxDescriptionLength {
				return validationf("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to %d", MaxDescriptionLength)
			}
			p.Description = *in.Description
		}
		if in.DesiredState != "" {
			p.DesiredState = in.DesiredState
		}
		if in.SourceParameters != nil {
			if in.SourceParameters.SqsQueueParameters != nil {
				p.SourceParameters.SqsQueueParameters = in.SourceParameters.SqsQueueParameters
			}
			if in.SourceParameters.FilterCriteria != nil {
				p.SourceParameters.FilterCriteria = in.SourceParameters.FilterCriteria
			}
		}
		if in.Target != "" {
			p.Target = in.Target
		}
		if in.TargetParameters != nil {
			p.TargetParameters = *in.TargetParameters
		}
		if err := s.checkInvocation(ctx, account, p.Target, p.TargetParameters); err != nil {
			return err
		}
		p.RoleARN = in.RoleARN
		p.CurrentState = StateUpdating
		p.StateReason = ""
		return nil
	})
}

// Start sets a pipe's desired state to RUNNING.
func (s *Service) Start(ctx context.Context, account, name string) (*Pipe, error) {
	return s.mutate(ctx, account, name, func(p *Pipe) error {
		if p.DesiredState == StateRunning && (p.CurrentState == StateRunning || p.CurrentState == StateStarting) {
			return conflict(name, "Pipe %s is already in state %s.", name, p.CurrentState)
		}
		p.DesiredState, p.CurrentState, p.StateReason = StateRunning, StateStarting, ""
		return nil
	})
}

// Stop sets a pipe's desired state to STOPPED.
func (s *Service) Stop(ctx context.Context, account, name string) (*Pipe, error) {
	return s.mutate(ctx, account, name, func(p *Pipe) error {
		if p.DesiredState == StateStopped && (p.CurrentState == StateStopped || p.CurrentState == StateStopping) {
			return conflict(name, "Pipe %s is already in state %s.", name, p.CurrentState)
		}
		p.DesiredState, p.CurrentState, p.StateReason = StateStopped, StateStopping, ""
		return nil
	})
}

// Delete marks a pipe for deletion; the pipe stops and disappears shortly after.
func (s *Service) Delete(ctx context.Context, account, name string) (*Pipe, error) {
	return s.mutate(ctx, account, name, func(p *Pipe) error {
		p.DesiredState, p.CurrentState = StateDeleted, StateDeleting
		return nil
	})
}

// ListInput are the arguments of List.
type ListInput struct {
	NamePrefix   string
	DesiredState string
	CurrentState string
	SourcePrefix string
	TargetPrefix string
	NextToken    string
	Limit        int
}

// List returns a page of an account's pipes, by name, and the token of the next page.
func (s *Service) List(ctx context.Context, account string, in ListInput) ([]*Pipe, string, error) {
	limit := in.Limit
	if limit == 0 {
		limit = MaxListLimit
	}
	if limit < 1 || limit > MaxListLimit {
		return nil, "", validationf("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and %d", in.Limit, MaxListLimit)
	}
	if err := validateState(in.DesiredState); err != nil {
		return nil, "", err
	}
	after := ""
	if in.NextToken != "" {
		b, err := decodeToken(in.NextToken)
		if err != nil {
			return nil, "", validationf("Invalid NextToken.")
		}
		after = b
	}
	var out []*Pipe
	for {
		rows, err := s.cfg.Store.PipeList(ctx, &store.PipeListParams{Account: account, NamePrefix: in.NamePrefix, After: after, Limit: limit + 1})
		if err != nil {
			return nil, "", fmt.Errorf("list pipes: %w", err)
		}
		for _, r := range rows {
			after = r.Name
			p, err := fromRow(r)
			if err != nil {
				return nil, "", err
			}
			if (in.DesiredState != "" && p.DesiredState != in.DesiredState) || (in.CurrentState != "" && p.CurrentState != in.CurrentState) ||
				!strings.HasPrefix(p.Source, in.SourcePrefix) || !strings.HasPrefix(p.Target, in.TargetPrefix) {
				continue
			}
			if len(out) == limit {
				return out, encodeToken(out[len(out)-1].Name), nil
			}
			out = append(out, p)
		}
		if len(rows) <= limit {
			return out, "", nil
		}
	}
}

// ListTags returns the tags of a pipe by ARN.
func (s *Service) ListTags(ctx context.Context, account, arn string) (map[string]string, error) {
	name, err := nameOfARN(account, arn)
	if err != nil {
		return nil, err
	}
	p, _, err := s.get(ctx, account, name)
	if err != nil {
		return nil, err
	}
	return p.Tags, nil
}

// Tag adds or replaces tags of a pipe by ARN.
func (s *Service) Tag(ctx context.Context, account, arn string, tags map[string]string) error {
	name, err := nameOfARN(account, arn)
	if err != nil {
		return err
	}
	if len(tags) == 0 {
		return validationf("1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	_, err = s.mutateTags(ctx, account, name, func(t map[string]string) {
		for k, v := range tags {
			t[k] = v
		}
	})
	return err
}

// Untag removes tags of a pipe by ARN.
func (s *Service) Untag(ctx context.Context, account, arn string, keys []string) error {
	name, err := nameOfARN(account, arn)
	if err != nil {
		return err
	}
	_, err = s.mutateTags(ctx, account, name, func(t map[string]string) {
		for _, k := range keys {
			delete(t, k)
		}
	})
	return err
}

func (s *Service) mutateTags(ctx context.Context, account, name string, fn func(map[string]string)) (*Pipe, error) {
	for {
		p, version, err := s.get(ctx, account, name)
		if err != nil {
			return nil, err
		}
		fn(p.Tags)
		if err := validateTags(p.Tags); err != nil {
			return nil, err
		}
		p.Modified = s.nextModified(version)
		err = s.cfg.Store.PipeUpdate(ctx, &store.PipeUpdateParams{Row: toRow(p), IfModified: version})
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("tag pipe %q: %w", name, err)
		}
		return p, nil
	}
}

func nameOfARN(account, arn string) (string, error) {
	m := arnPattern.FindStringSubmatch(arn)
	if m == nil || m[1] != "pipes" || !strings.HasPrefix(m[4], "pipe/") {
		return "", validationf("1 validation error detected: Value '%s' at 'resourceArn' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:aws([a-z]|\\-)*:([a-zA-Z0-9\\-]+):([a-z]|\\d|\\-)*:([0-9]{12})?:(.+)", arn)
	}
	if m[3] != account {
		return "", awserr.WithStatus(404, "NotFoundException", "Resource %s does not exist.", arn)
	}
	return strings.TrimPrefix(m[4], "pipe/"), nil
}

func toRow(p *Pipe) *store.PipeRow {
	tags, _ := json.Marshal(p.Tags)
	return &store.PipeRow{Account: p.Account, Name: p.Name, ARN: p.ARN, Source: p.Source, Target: p.Target, Spec: p.spec(), Tags: tags,
		DesiredState: p.DesiredState, CurrentState: p.CurrentState, StateReason: p.StateReason, Created: store.Millis(p.Created), Modified: store.Millis(p.Modified)}
}

func fromRow(r *store.PipeRow) (*Pipe, error) {
	var sp spec
	if err := json.Unmarshal(r.Spec, &sp); err != nil {
		return nil, fmt.Errorf("pipe %q: decode definition: %w", r.Name, err)
	}
	p := &Pipe{Account: r.Account, Region: sp.Region, Name: r.Name, ARN: r.ARN, Description: sp.Description, DesiredState: r.DesiredState,
		CurrentState: r.CurrentState, StateReason: r.StateReason, Source: r.Source, SourceParameters: sp.SourceParameters, Enrichment: sp.Enrichment,
		Target: r.Target, TargetParameters: sp.TargetParameters, RoleARN: sp.RoleARN, Tags: map[string]string{},
		Created: store.FromMillis(r.Created), Modified: store.FromMillis(r.Modified)}
	if len(r.Tags) > 0 {
		if err := json.Unmarshal(r.Tags, &p.Tags); err != nil {
			return nil, fmt.Errorf("pipe %q: decode tags: %w", r.Name, err)
		}
	}
	return p, nil
}
