package topics

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/metrics"
	"github.com/ceap/ceap/internal/store"
)

// PublishInput are the arguments of Publish.
type PublishInput struct {
	TopicARN          string
	Message           string
	Subject           string
	MessageStructure  string
	MessageAttributes map[string]Attribute
}

const timeFormat = "2006-01-02T15:04:05.000Z"

func checkAttributes(attrs map[string]Attribute) (int, error) {
	if len(attrs) > MaxMessageAttributes {
		return 0, invalidParameter("MessageAttributes: Number of message attributes [%d] exceeds the allowed maximum [%d].", len(attrs), MaxMessageAttributes)
	}
	size := 0
	for name, a := range attrs {
		size += len(name) + len(a.DataType) + len(a.StringValue) + len(a.BinaryValue)
		base, _, _ := strings.Cut(a.DataType, ".")
		switch base {
		case "String":
			if a.DataType == "String.Array" && !json.Valid([]byte(a.StringValue)) {
				return 0, awserr.New("InvalidParameterValueException", "The message attribute '%s' has an invalid message attribute value.", name)
			}
		case "Number":
			var f json.Number
			if err := json.Unmarshal([]byte(a.StringValue), &f); err != nil {
				return 0, awserr.New("InvalidParameterValueException", "The message attribute '%s' with type 'Number' must be a numeric value.", name)
			}
		case "Binary":
		default:
			return 0, awserr.New("InvalidParameterValueException", "The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", name)
		}
		if a.StringValue == "" && a.BinaryValue == nil {
			return 0, awserr.New("InvalidParameterValueException", "The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, a.DataType)
		}
	}
	return size, nil
}

// Publish sends a message to every confirmed subscription of a topic whose filter policy
// matches. Queue and function deliveries are done when Publish returns; http/https deliveries
// continue in the background with retries.
func (s *Service) Publish(ctx context.Context, account string, in PublishInput) (string, error) {
	t, err := s.topic(ctx, account, in.TopicARN)
	if err != nil {
		return "", err
	}
	if in.Message == "" {
		return "", invalidParameter("Empty message")
	}
	if len(in.Subject) > MaxSubjectLength || (in.Subject != "" && (!isPrintableASCII(in.Subject) || strings.TrimSpace(in.Subject) == "")) {
		return "", invalidParameter("Subject")
	}
	attrSize, err := checkAttributes(in.MessageAttributes)
	if err != nil {
		return "", err
	}
	if len(in.Message)+attrSize > MaxMessageBytes {
		return "", invalidParameter("Message too long")
	}
	var perProtocol map[string]string
	if in.MessageStructure != "" {
		if in.MessageStructure != "json" {
			return "", invalidParameter("MessageStructure")
		}
		if err := json.Unmarshal([]byte(in.Message), &perProtocol); err != nil {
			return "", invalidParameter("Message Structure - JSON message body failed to parse")
		}
		if _, ok := perProtocol["default"]; !ok {
			return "", invalidParameter("Message Structure - No default entry in JSON message body")
		}
	}
	id := newID()
	now := s.cfg.Clock.Now().UTC()
	dims := []metrics.Dimension{{Name: "TopicName", Value: t.Name}}
	s.record(account, "NumberOfMessagesPublished", dims, 1, metrics.Count)
	s.record(account, "PublishSize", dims, float64(len(in.Message)), metrics.Bytes)

	rows, err := s.cfg.Store.SubscriptionList(ctx, &store.SubscriptionListParams{Account: account, TopicARN: t.ARN})
	if err != nil {
		return "", fmt.Errorf("list subscriptions: %w", err)
	}
	for _, r := range rows {
		if !r.Confirmed {
			continue
		}
		sub, err := fromSubRow(r)
		if err != nil {
			return "", err
		}
		msg := in.Message
		if perProtocol != nil {
			msg = perProtocol["default"]
			if m, ok := perProtocol[sub.Protocol]; ok {
				msg = m
			}
		}
		if !s.accepts(sub, msg, in.MessageAttributes) {
			s.record(account, "NumberOfNotificationsFilteredOut", dims, 1, metrics.Count)
			continue
		}
		n := notification{id: id, topic: t, sub: sub, message: msg, subject: in.Subject, attrs: in.MessageAttributes, at: now}
		switch sub.Protocol {
		case "http", "https":
			s.deliverHTTP(n, dims)
		default:
			err := s.deliver(ctx, n)
			if err != nil {
				s.log.Warn("sns_delivery_failed", "topic", t.ARN, "subscription", sub.ARN, "err", err)
				s.record(account, "NumberOfNotificationsFailed", dims, 1, metrics.Count)
			} else {
				s.record(account, "NumberOfNotificationsDelivered", dims, 1, metrics.Count)
			}
		}
	}
	return id, nil
}

func (s *Service) record(account, name string, dims []metrics.Dimension, v float64, unit string) {
	if s.cfg.Metrics != nil {
		s.cfg.Metrics.Record(account, Namespace, name, dims, v, unit)
	}
}

// accepts applies a subscription's filter policy.
func (s *Service) accepts(sub *Subscription, message string, attrs map[string]Attribute) bool {
	policy := sub.Attributes["FilterPolicy"]
	if policy == "" {
		return true
	}
	p, err := compileFilterPolicy(policy)
	if err != nil {
		return false
	}
	if sub.Attributes["FilterPolicyScope"] == "MessageBody" {
		dec := json.NewDecoder(strings.NewReader(message))
		dec.UseNumber()
		var body any
		if dec.Decode(&body) != nil {
			return false
		}
		return p.MatchValue(body)
	}
	doc := map[string]any{}
	for name, a := range attrs {
		switch {
		case a.DataType == "String.Array":
			var arr []any
			dec := json.NewDecoder(strings.NewReader(a.StringValue))
			dec.UseNumber()
			if dec.Decode(&arr) == nil {
				doc[name] = arr
			}
		case strings.HasPrefix(a.DataType, "Number"):
			doc[name] = json.Number(a.StringValue)
		case strings.HasPrefix(a.DataType, "String"):
			doc[name] = a.StringValue
		}
	}
	return p.MatchValue(doc)
}

type notification struct {
	id      string
	topic   *Topic
	sub     *Subscription
	message string
	subject string
	attrs   map[string]Attribute
	at      time.Time
}

func (s *Service) unsubscribeURL(sub *Subscription) string {
	return strings.TrimSuffix(s.cfg.Endpoint, "/") + "/?Action=Unsubscribe&Version=2010-03-31&SubscriptionArn=" + url.QueryEscape(sub.ARN)
}

// envelope is the SNS JSON document of a notification.
func (s *Service) envelope(n notification) []byte {
	doc := map[string]any{
		"Type": "Notification", "MessageId": n.id, "TopicArn": n.topic.ARN, "Message": n.message,
		"Timestamp": n.at.Format(timeFormat), "SignatureVersion": "1", "UnsubscribeURL": s.unsubscribeURL(n.sub),
	}
	if n.subject != "" {
		doc["Subject"] = n.subject
	}
	if len(n.attrs) > 0 {
		ma := map[string]any{}
		for k, a := range n.attrs {
			v := a.StringValue
			if strings.HasPrefix(a.DataType, "Binary") {
				v = base64.StdEncoding.EncodeToString(a.BinaryValue)
			}
			ma[k] = map[string]string{"Type": a.DataType, "Value": v}
		}
		doc["MessageAttributes"] = ma
	}
	b, _ := json.Marshal(doc)
	return b
}

func (n notification) raw() bool { return n.sub.Attributes["RawMessageDelivery"] == "true" }

// deliver sends a notification to a queue or a function.
func (s *Service) deliver(ctx context.Context, n notification) error {
	switch n.sub.Protocol {
	case "sqs":
		if s.cfg.Queues == nil {
			return fmt.Errorf("no queue service")
		}
		if n.raw() {
			return s.cfg.Queues.Send(ctx, n.sub.Account, n.sub.Endpoint, n.message, n.attrs)
		}
		return s.cfg.Queues.Send(ctx, n.sub.Account, n.sub.Endpoint, string(s.envelope(n)), nil)
	case "lambda":
		if s.cfg.Functions == nil {
			return fmt.Errorf("no function service")
		}
		var env map[string]any
		json.Unmarshal(s.envelope(n), &env)
		delete(env, "UnsubscribeURL")
		env["UnsubscribeUrl"] = s.unsubscribeURL(n.sub)
		if _, ok := env["Subject"]; !ok {
			env["Subject"] = nil
		}
		if _, ok := env["MessageAttributes"]; !ok {
			env["MessageAttributes"] = map[string]any{}
		}
		payload, _ := json.Marshal(map[string]any{"Records": []any{map[string]any{
			"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": n.sub.ARN, "Sns": env,
		}}})
		return s.cfg.Functions.InvokeAsync(ctx, n.sub.Account, n.sub.Endpoint, payload)
	}
	return fmt.Errorf("protocol %s cannot be delivered", n.sub.Protocol)
}

// deliverHTTP posts a notification in the background, retrying failed attempts.
func (s *Service) deliverHTTP(n notification, dims []metrics.Dimension) {
	body := s.envelope(n)
	headers := map[string]string{
		"Content-Type": "text/plain; charset=UTF-8", "x-amz-sns-message-type": "Notification", "x-amz-sns-message-id": n.id,
		"x-amz-sns-topic-arn": n.topic.ARN, "x-amz-sns-subscription-arn": n.sub.ARN,
	}
	if n.raw() {
		body = []byte(n.message)
		headers["x-amz-sns-rawdelivery"] = "true"
	}
	s.post(n.sub, body, headers, func(ok bool) {
		if ok {
			s.record(n.sub.Account, "NumberOfNotificationsDelivered", dims, 1, metrics.Count)
		} else {
			s.record(n.sub.Account, "NumberOfNotificationsFailed", dims, 1, metrics.Count)
		}
	})
}

// sendConfirmation posts the SubscriptionConfirmation message to a new http/https endpoint.
func (s *Service) sendConfirmation(t *Topic, sub *Subscription) {
	id := newID()
	subscribeURL := strings.TrimSuffix(s.cfg.Endpoint, "/") + "/?Action=ConfirmSubscription&Version=2010-03-31&TopicArn=" + url.QueryEscape(t.ARN) + "&Token=" + sub.Token
	body, _ := json.Marshal(map[string]any{
		"Type": "SubscriptionConfirmation", "MessageId": id, "Token": sub.Token, "TopicArn": t.ARN,
		"Message":      "You have chosen to subscribe to the topic " + t.ARN + ".\nTo confirm the subscription, visit the SubscribeURL included in this message.",
		"SubscribeURL": subscribeURL, "Timestamp": s.cfg.Clock.Now().UTC().Format(timeFormat), "SignatureVersion": "1",
	})
	headers := map[string]string{
		"Content-Type": "text/plain; charset=UTF-8", "x-amz-sns-message-type": "SubscriptionConfirmation", "x-amz-sns-message-id": id, "x-amz-sns-topic-arn": t.ARN,
	}
	s.post(sub, body, headers, nil)
}

func (s *Service) post(sub *Subscription, body []byte, headers map[string]string, done func(bool)) {
	if s.cfg.HTTP == nil {
		if done != nil {
			done(false)
		}
		return
	}
	s.pending.Add(1)
	go func() {
		defer s.pending.Done()
		ok := false
		for attempt := 0; attempt < httpAttempts && !ok; attempt++ {
			if attempt > 0 {
				select {
				case <-s.ctx.Done():
					attempt = httpAttempts
					continue
				case <-s.cfg.Clock.After(s.cfg.RetryDelay):
				}
			}
			status, err := s.cfg.HTTP.Post(s.ctx, sub.Endpoint, headers, body)
			ok = err == nil && status >= 200 && status < 300
			if !ok {
				s.log.Info("sns_http_attempt_failed", "subscription", sub.ARN, "status", status, "err", err)
			}
		}
		if done != nil {
			done(ok)
		}
	}()
}

// MaxBatchEntries is the maximum number of entries of a PublishBatch request.
const MaxBatchEntries = 10

var batchIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// BatchEntry is one message of PublishBatch.
type BatchEntry struct {
	ID string
	PublishInput
}

// BatchResult is the outcome of one BatchEntry: a message id, or an error.
type BatchResult struct {
	ID        string
	MessageID string
	Err       *awserr.Error
}

// PublishBatch publishes up to 10 messages to a topic; each entry succeeds or fails on its own.
func (s *Service) PublishBatch(ctx context.Context, account, topicARN string, entries []BatchEntry) ([]BatchResult, error) {
	if _, err := s.topic(ctx, account, topicARN); err != nil {
		return nil, err
	}
	switch {
	case len(entries) == 0:
		return nil, awserr.New("EmptyBatchRequestException", "The batch request doesn't contain any entries.")
	case len(entries) > MaxBatchEntries:
		return nil, awserr.New("TooManyEntriesInBatchRequestException", "The batch request contains more entries than permissible.")
	}
	seen := map[string]bool{}
	total := 0
	for _, e := range entries {
		if !batchIDPattern.MatchString(e.ID) {
			return nil, awserr.New("InvalidBatchEntryIdException", "The Id of a batch entry in a batch request doesn't abide by the specification.")
		}
		if seen[e.ID] {
			return nil, awserr.New("BatchEntryIdsNotDistinctException", "Two or more batch entries in the request have the same Id.")
		}
		seen[e.ID] = true
		total += len(e.Message)
	}
	if total > MaxMessageBytes {
		return nil, awserr.New("BatchRequestTooLongException", "The length of all the messages put together is more than the limit.")
	}
	out := make([]BatchResult, len(entries))
	for i, e := range entries {
		e.TopicARN = topicARN
		id, err := s.Publish(ctx, account, e.PublishInput)
		if err != nil {
			ae, ok := awserr.As(err)
			if !ok {
				return nil, err
			}
			out[i] = BatchResult{ID: e.ID, Err: ae}
			continue
		}
		out[i] = BatchResult{ID: e.ID, MessageID: id}
	}
	return out, nil
}
