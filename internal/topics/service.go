package topics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/google/uuid"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/clock"
	"github.com/ceap/ceap/internal/events/pattern"
	"github.com/ceap/ceap/internal/metrics"
	"github.com/ceap/ceap/internal/store"
)

// AWS limits of SNS (the SNS quotas and the API reference's parameter constraints).
const (
	// MaxNameLength is a topic name's maximum length.
	MaxNameLength = 256
	// MaxMessageBytes is the maximum size of a published message (256 KiB, attributes included).
	MaxMessageBytes = 256 * 1024
	// MaxSubjectLength is the maximum length of a Publish Subject.
	MaxSubjectLength = 100
	// MaxMessageAttributes is the maximum number of message attributes of a Publish.
	MaxMessageAttributes = 10
	// ListPageSize is the page size of ListTopics (100) and of the subscription lists (100).
	ListPageSize = 100
	// MaxTags is the maximum number of tags on a topic.
	MaxTags = 50
	// MaxFilterPolicyLength is a filter policy's maximum size (256 KB).
	MaxFilterPolicyLength = 256 * 1024
	// httpAttempts is how many times an http/https notification is tried: the first attempt and
	// the 3 retries of SNS's default HTTP delivery policy (numRetries 3, 20 s apart).
	httpAttempts = 4
)

// Namespace is the CloudWatch namespace of SNS metrics.
const Namespace = "AWS/SNS"

var namePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// Attribute is a message attribute (String, String.Array, Number or Binary).
type Attribute struct {
	DataType    string
	StringValue string
	BinaryValue []byte
}

// QueueSender sends to SQS queues (by queue ARN).
type QueueSender interface {
	Send(ctx context.Context, account, queueARN, body string, attrs map[string]Attribute) error
}

// FunctionInvoker invokes Lambda functions asynchronously (InvocationType Event).
type FunctionInvoker interface {
	InvokeAsync(ctx context.Context, account, functionARN string, payload []byte) error
}

// HTTPPoster posts to http/https endpoints and returns the response status.
type HTTPPoster interface {
	Post(ctx context.Context, url string, headers map[string]string, body []byte) (int, error)
}

// Recorder records CloudWatch datapoints (metrics.Recorder).
type Recorder interface {
	Record(account, namespace, name string, dims []metrics.Dimension, value float64, unit string)
}

// Config configures the service; zero fields mean defaults.
type Config struct {
	Store     store.TopicStore
	Clock     clock.Clock
	Metrics   Recorder
	Log       *slog.Logger
	Queues    QueueSender
	Functions FunctionInvoker
	HTTP      HTTPPoster
	// Endpoint is ceap's base URL, used in SubscribeURL and UnsubscribeURL.
	Endpoint string
	// RetryDelay is the pause between http/https delivery attempts (default 20s, the
	// minDelayTarget of SNS's default HTTP delivery policy).
	RetryDelay time.Duration
}

// Service is the SNS service.
type Service struct {
	cfg Config
	log *slog.Logger

	ctx     context.Context
	cancel  context.CancelFunc
	pending sync.WaitGroup
}

// New returns the SNS service.
func New(cfg Config) *Service {
	cfg.Clock = clock.Or(cfg.Clock)
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.RetryDelay <= 0 {
		cfg.RetryDelay = 20 * time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Service{cfg: cfg, log: cfg.Log, ctx: ctx, cancel: cancel}
}

// Start does nothing: deliveries start as messages are published.
func (s *Service) Start(ctx context.Context) error { return nil }

// Stop ends the http/https deliveries in flight and their pending retries, and waits for their
// goroutines (those deliveries are kept in memory only, so they are lost).
func (s *Service) Stop(ctx context.Context) error {
	s.cancel()
	done := make(chan struct{})
	go func() { s.pending.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop sns deliveries: %w", ctx.Err())
	}
}

func invalidParameter(format string, args ...any) error {
	return awserr.New("InvalidParameterException", "Invalid parameter: "+format, args...)
}

func notFound(what string) error {
	return awserr.WithStatus(404, "NotFoundException", "%s", what)
}

// TopicARN returns a topic's ARN.
func TopicARN(region, account, name string) string {
	return "arn:aws:sns:" + region + ":" + account + ":" + name
}

// parseTopicARN checks a topic ARN of account.
func parseTopicARN(account, arn string) (name string, err error) {
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sns" || parts[5] == "" {
		return "", invalidParameter("TopicArn")
	}
	if parts[4] != account {
		return "", notFound("Topic does not exist")
	}
	return parts[5], nil
}

// settableTopicAttributes are the attributes CreateTopic and SetTopicAttributes accept.
var settableTopicAttributes = map[string]bool{
	"DisplayName": true, "Policy": true, "DeliveryPolicy": true, "KmsMasterKeyId": true, "TracingConfig": true,
	"SignatureVersion": true, "ArchivePolicy": true, "DataProtectionPolicy": true,
	"HTTPSuccessFeedbackRoleArn": true, "HTTPSuccessFeedbackSampleRate": true, "HTTPFailureFeedbackRoleArn": true,
	"SQSSuccessFeedbackRoleArn": true, "SQSSuccessFeedbackSampleRate": true, "SQSFailureFeedbackRoleArn": true,
	"LambdaSuccessFeedbackRoleArn": true, "LambdaSuccessFeedbackSampleRate": true, "LambdaFailureFeedbackRoleArn": true,
}

func checkTopicAttributes(attrs map[string]string) error {
	for k, v := range attrs {
		switch {
		case k == "FifoTopic" || k == "ContentBasedDeduplication" || k == "FifoThroughputScope":
			if k == "FifoTopic" && v == "false" {
				continue
			}
			return awserr.NotSupported("InvalidParameterException", "FIFO topics")
		case !settableTopicAttributes[k]:
			return invalidParameter("Attributes Reason: Unknown attribute %s", k)
		case k == "SignatureVersion" && v != "1" && v != "2":
			return invalidParameter("Attributes Reason: SignatureVersion must be 1 or 2")
		case (k == "Policy" || k == "DeliveryPolicy") && !json.Valid([]byte(v)):
			return invalidParameter("Attributes Reason: %s: Invalid JSON", k)
		}
	}
	return nil
}

// Topic is one topic.
type Topic struct {
	ARN        string
	Account    string
	Name       string
	Attributes map[string]string
	Tags       map[string]string
}

func fromTopicRow(r *store.TopicRow) (*Topic, error) {
	t := &Topic{ARN: r.ARN, Account: r.Account, Name: r.Name, Attributes: map[string]string{}, Tags: map[string]string{}}
	if err := json.Unmarshal(r.Attributes, &t.Attributes); err != nil {
		return nil, fmt.Errorf("topic %s attributes: %w", r.ARN, err)
	}
	if err := json.Unmarshal(r.Tags, &t.Tags); err != nil {
		return nil, fmt.Errorf("topic %s tags: %w", r.ARN, err)
	}
	return t, nil
}

func (t *Topic) row(created int64) *store.TopicRow {
	a, _ := json.Marshal(t.Attributes)
	g, _ := json.Marshal(t.Tags)
	return &store.TopicRow{ARN: t.ARN, Account: t.Account, Name: t.Name, Attributes: a, Tags: g, Created: created}
}

// CreateTopic creates a topic, or returns the existing one of that name (with the same
// attributes, as SNS requires).
func (s *Service) CreateTopic(ctx context.Context, account, region, name string, attrs, tags map[string]string) (string, error) {
	if !namePattern.MatchString(name) {
		if strings.HasSuffix(name, ".fifo") {
			return "", awserr.NotSupported("InvalidParameterException", "FIFO topics")
		}
		return "", invalidParameter("Topic Name")
	}
	if err := checkTopicAttributes(attrs); err != nil {
		return "", err
	}
	if len(tags) > MaxTags {
		return "", awserr.New("TagLimitExceededException", "Could not complete request: tag quota of per resource exceeded")
	}
	t := &Topic{ARN: TopicARN(region, account, name), Account: account, Name: name, Attributes: map[string]string{}, Tags: map[string]string{}}
	for k, v := range attrs {
		t.Attributes[k] = v
	}
	for k, v := range tags {
		t.Tags[k] = v
	}
	err := s.cfg.Store.TopicCreate(ctx, t.row(s.cfg.Clock.Now().UnixMilli()))
	if errors.Is(err, store.ErrAlreadyExists) {
		old, err := s.topic(ctx, account, t.ARN)
		if err != nil {
			return "", err
		}
		for k, v := range attrs {
			if old.Attributes[k] != v {
				return "", invalidParameter("Attributes Reason: Topic already exists with different attributes")
			}
		}
		return t.ARN, nil
	}
	if err != nil {
		return "", fmt.Errorf("create topic %q: %w", name, err)
	}
	return t.ARN, nil
}

func (s *Service) topic(ctx context.Context, account, arn string) (*Topic, error) {
	if _, err := parseTopicARN(account, arn); err != nil {
		return nil, err
	}
	row, err := s.cfg.Store.TopicGet(ctx, arn)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("Topic does not exist")
	}
	if err != nil {
		return nil, fmt.Errorf("get topic %s: %w", arn, err)
	}
	return fromTopicRow(row)
}

// DeleteTopic deletes a topic and its subscriptions; deleting a missing topic succeeds.
func (s *Service) DeleteTopic(ctx context.Context, account, arn string) error {
	if _, err := parseTopicARN(account, arn); err != nil {
		return err
	}
	err := s.cfg.Store.TopicDelete(ctx, arn)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("delete topic %s: %w", arn, err)
	}
	return nil
}

// ListTopics returns a page of topic ARNs and the next token.
func (s *Service) ListTopics(ctx context.Context, account, token string) ([]string, string, error) {
	rows, err := s.cfg.Store.TopicList(ctx, &store.TopicListParams{Account: account, After: token, Limit: ListPageSize + 1})
	if err != nil {
		return nil, "", fmt.Errorf("list topics: %w", err)
	}
	var out []string
	for _, r := range rows {
		out = append(out, r.ARN)
	}
	if len(out) > ListPageSize {
		return out[:ListPageSize], out[ListPageSize-1], nil
	}
	return out, "", nil
}

// defaultPolicy is the access policy SNS gives a new topic.
func defaultPolicy(arn, account string) string {
	return `{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission","SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"],"Resource":"` + arn + `","Condition":{"StringEquals":{"AWS:SourceOwner":"` + account + `"}}}]}`
}

const defaultDeliveryPolicy = `{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}`

// GetTopicAttributes returns a topic's attributes with the ones SNS computes.
func (s *Service) GetTopicAttributes(ctx context.Context, account, arn string) (map[string]string, error) {
	t, err := s.topic(ctx, account, arn)
	if err != nil {
		return nil, err
	}
	subs, err := s.cfg.Store.SubscriptionList(ctx, &store.SubscriptionListParams{Account: account, TopicARN: arn})
	if err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", err)
	}
	confirmed, pending := 0, 0
	for _, sub := range subs {
		if sub.Confirmed {
			confirmed++
		} else {
			pending++
		}
	}
	out := map[string]string{
		"TopicArn": arn, "Owner": account, "DisplayName": "", "Policy": defaultPolicy(arn, account),
		"SubscriptionsConfirmed": strconv.Itoa(confirmed), "SubscriptionsPending": strconv.Itoa(pending), "SubscriptionsDeleted": "0",
		"EffectiveDeliveryPolicy": defaultDeliveryPolicy,
	}
	for k, v := range t.Attributes {
		out[k] = v
	}
	return out, nil
}

// SetTopicAttributes sets one attribute of a topic.
func (s *Service) SetTopicAttributes(ctx context.Context, account, arn, name, value string) error {
	if err := checkTopicAttributes(map[string]string{name: value}); err != nil {
		return err
	}
	return s.updateTopic(ctx, account, arn, func(t *Topic) error {
		t.Attributes[name] = value
		return nil
	})
}

func (s *Service) updateTopic(ctx context.Context, account, arn string, fn func(*Topic) error) error {
	t, err := s.topic(ctx, account, arn)
	if err != nil {
		return err
	}
	if err := fn(t); err != nil {
		return err
	}
	if err := s.cfg.Store.TopicUpdate(ctx, t.row(0)); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return notFound("Topic does not exist")
		}
		return fmt.Errorf("update topic %s: %w", arn, err)
	}
	return nil
}

// Tag adds or replaces tags of a topic.
func (s *Service) Tag(ctx context.Context, account, arn string, tags map[string]string) error {
	err := s.updateTopic(ctx, account, arn, func(t *Topic) error {
		for k, v := range tags {
			t.Tags[k] = v
		}
		if len(t.Tags) > MaxTags {
			return awserr.New("TagLimitExceededException", "Could not complete request: tag quota of per resource exceeded")
		}
		return nil
	})
	return resourceNotFound(err)
}

// Untag removes tags of a topic.
func (s *Service) Untag(ctx context.Context, account, arn string, keys []string) error {
	return resourceNotFound(s.updateTopic(ctx, account, arn, func(t *Topic) error {
		for _, k := range keys {
			delete(t.Tags, k)
		}
		return nil
	}))
}

// Tags returns the tags of a topic.
func (s *Service) Tags(ctx context.Context, account, arn string) (map[string]string, error) {
	t, err := s.topic(ctx, account, arn)
	if err != nil {
		return nil, resourceNotFound(err)
	}
	return t.Tags, nil
}

// resourceNotFound turns NotFound into the tagging API's ResourceNotFound.
func resourceNotFound(err error) error {
	if ae, ok := awserr.As(err); ok && ae.Code == "NotFoundException" {
		return awserr.WithStatus(404, "ResourceNotFoundException", "Resource does not exist")
	}
	return err
}

func isPrintableASCII(s string) bool {
	for _, r := range s {
		if r > unicode.MaxASCII || r < 0x20 {
			return false
		}
	}
	return true
}

// compileFilterPolicy checks a filter policy: the EventBridge pattern language over message
// attributes (or the message body, with FilterPolicyScope MessageBody).
func compileFilterPolicy(policy string) (*pattern.Pattern, error) {
	if len(policy) > MaxFilterPolicyLength {
		return nil, invalidParameter("FilterPolicy: Filter policy is too complex")
	}
	p, err := pattern.Compile(policy)
	if err != nil {
		var pe *pattern.Error
		if errors.As(err, &pe) {
			return nil, invalidParameter("FilterPolicy: %s", pe.Reason)
		}
		return nil, err
	}
	return p, nil
}

func newID() string { return uuid.NewString() }
