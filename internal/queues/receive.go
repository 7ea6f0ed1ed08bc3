package queues

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ceap/ceap/internal/metrics"
	"github.com/ceap/ceap/internal/store"
)

// MaxReceiveMessages is the most messages one ReceiveMessage returns.
const MaxReceiveMessages = 10

// ReceiveParams are the arguments of Receive. Nil pointers mean the queue's setting.
type ReceiveParams struct {
	MaxMessages       *int64
	VisibilityTimeout *int64
	WaitTimeSeconds   *int64
	// SystemAttributes are the message system attribute names asked for ("All" for all).
	SystemAttributes []string
	// LegacyAttributeNames are the names of the deprecated AttributeNames member; names that are
	// not message system attributes are ignored, as SQS does.
	LegacyAttributeNames []string
	// MessageAttributes are the message attribute names asked for: "All", ".*", "prefix.*" or
	// exact names.
	MessageAttributes []string
}

// Message is a received message.
type Message struct {
	MessageID     string
	ReceiptHandle string
	Body          string
	MD5Body       string
	MD5Attributes string
	Attributes    map[string]string
	// MessageAttributes are the asked-for message attributes.
	MessageAttributes map[string]Attribute
}

// systemNames are the message system attributes ReceiveMessage can return.
var systemNames = map[string]bool{
	"All": true, "SenderId": true, "SentTimestamp": true, "ApproximateReceiveCount": true, "ApproximateFirstReceiveTimestamp": true,
	"SequenceNumber": true, "MessageDeduplicationId": true, "MessageGroupId": true, "AWSTraceHeader": true, "DeadLetterQueueSourceArn": true,
}

// Receive claims messages of a queue, waiting up to the wait time for one to arrive (long
// polling), and hides them for the visibility timeout.
func (s *Service) Receive(ctx context.Context, ref Ref, p ReceiveParams) ([]*Message, error) {
	q, err := s.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	max := int64(1)
	if p.MaxMessages != nil {
		max = *p.MaxMessages
		if max < 1 || max > MaxReceiveMessages {
			return nil, errParamRange("MaxNumberOfMessages", max, fmt.Sprintf("Must be between 1 and %d, if provided.", MaxReceiveMessages))
		}
	}
	visibility := q.VisibilityTimeout
	if p.VisibilityTimeout != nil {
		visibility = *p.VisibilityTimeout
		if visibility < 0 || visibility > MaxVisibilityTimeout {
			return nil, errParamRange("VisibilityTimeout", visibility, fmt.Sprintf("Must be >= 0 and <= %d, if provided.", MaxVisibilityTimeout))
		}
	}
	wait := q.WaitTime
	if p.WaitTimeSeconds != nil {
		wait = *p.WaitTimeSeconds
		if wait < 0 || wait > MaxWaitTime {
			return nil, errParamRange("WaitTimeSeconds", wait, fmt.Sprintf("Must be >= 0 and <= %d, if provided.", MaxWaitTime))
		}
	}
	for _, n := range p.SystemAttributes {
		if !systemNames[n] {
			return nil, errAttrName(n)
		}
	}
	for _, n := range p.LegacyAttributeNames {
		if systemNames[n] {
			p.SystemAttributes = append(p.SystemAttributes, n)
		}
	}
	deadline := s.clock.Now().Add(time.Duration(wait) * time.Second)
	for {
		// Taken before the claim, so that a send between the claim and the wait still wakes.
		var woken <-chan struct{}
		if wait > 0 {
			woken = s.notify.wait(q.ID)
		}
		msgs, err := s.claim(ctx, q, int(max), visibility, &p)
		if err != nil || len(msgs) > 0 {
			return msgs, err
		}
		remaining := deadline.Sub(s.clock.Now())
		if remaining <= 0 {
			s.record(q, "NumberOfEmptyReceives", 1, metrics.Count)
			return nil, nil
		}
		select {
		case <-woken:
		case <-s.clock.After(min(remaining, s.cfg.PollInterval)):
		case <-ctx.Done():
			return nil, nil
		case <-s.stopping:
			return nil, nil
		}
		// A queue deleted or changed meanwhile is read again.
		if q, err = s.Get(ctx, ref); err != nil {
			return nil, err
		}
	}
}

func (s *Service) claim(ctx context.Context, q *Queue, max int, visibility int64, p *ReceiveParams) ([]*Message, error) {
	now := s.clock.Now()
	params := &store.MessagesReceiveParams{QueueID: q.ID, FIFO: q.FIFO, Max: max, Now: store.Millis(now),
		VisibleAt: store.Millis(now.Add(time.Duration(visibility) * time.Second)), RetainedAfter: store.Millis(q.retainedAfter(now))}
	var dlq *Queue
	if q.Redrive != nil {
		var err error
		if dlq, err = s.queueByArn(ctx, q.Redrive.DeadLetterTargetArn); err != nil {
			return nil, err
		}
		if dlq != nil {
			params.MaxReceiveCount, params.DeadLetterQueueID = q.Redrive.MaxReceiveCount, dlq.ID
		}
	}
	res, err := s.store.MessagesReceive(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("receive from %q: %w", q.Name, err)
	}
	if res.DeadLettered > 0 && dlq != nil {
		s.notify.notify(dlq.ID)
	}
	if len(res.Messages) == 0 {
		return nil, nil
	}
	s.record(q, "NumberOfMessagesReceived", float64(len(res.Messages)), metrics.Count)
	sys := wanted(p.SystemAttributes)
	out := make([]*Message, 0, len(res.Messages))
	for _, m := range res.Messages {
		msg := &Message{MessageID: m.MessageID, Body: m.Body, MD5Body: m.MD5Body,
			ReceiptHandle: encodeHandle(q.ID, m.ID, m.ReceiveCount)}
		if len(m.Attributes) > 0 && len(p.MessageAttributes) > 0 {
			var attrs map[string]Attribute
			if err := json.Unmarshal(m.Attributes, &attrs); err != nil {
				return nil, fmt.Errorf("message %s attributes: %w", m.MessageID, err)
			}
			msg.MessageAttributes = selectAttributes(attrs, p.MessageAttributes)
			msg.MD5Attributes = AttributesMD5(msg.MessageAttributes)
		}
		msg.Attributes = s.systemAttributes(ctx, q, m, sys)
		out = append(out, msg)
	}
	return out, nil
}

func wanted(names []string) func(string) bool {
	set := map[string]bool{}
	for _, n := range names {
		set[n] = true
	}
	return func(n string) bool { return set["All"] || set[n] }
}

func (s *Service) systemAttributes(ctx context.Context, q *Queue, m *store.Message, want func(string) bool) map[string]string {
	out := map[string]string{}
	put := func(k, v string) {
		if want(k) && v != "" {
			out[k] = v
		}
	}
	put("SenderId", m.SenderID)
	put("SentTimestamp", strconv.FormatInt(m.SentAt, 10))
	put("ApproximateReceiveCount", strconv.FormatInt(m.ReceiveCount, 10))
	put("ApproximateFirstReceiveTimestamp", strconv.FormatInt(m.FirstReceive, 10))
	if q.FIFO {
		put("SequenceNumber", fmt.Sprintf("%020d", m.ID))
		put("MessageDeduplicationId", m.DedupID)
		put("MessageGroupId", m.GroupID)
	} else {
		put("MessageGroupId", m.GroupID)
	}
	if m.SourceQueueID != 0 && want("DeadLetterQueueSourceArn") {
		if src, err := s.store.QueueGetByID(ctx, m.SourceQueueID); err == nil {
			out["DeadLetterQueueSourceArn"] = Arn(s.cfg.Region, src.Account, src.Name)
		}
	}
	if len(m.SystemAttrs) > 0 && want("AWSTraceHeader") {
		var sys map[string]Attribute
		if json.Unmarshal(m.SystemAttrs, &sys) == nil {
			if a, ok := sys["AWSTraceHeader"]; ok && a.StringValue != nil {
				out["AWSTraceHeader"] = *a.StringValue
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// selectAttributes keeps the attributes that names ask for: "All" or ".*" for all, "prefix.*"
// for those starting with "prefix.", else exact names.
func selectAttributes(attrs map[string]Attribute, names []string) map[string]Attribute {
	out := map[string]Attribute{}
	for k, a := range attrs {
		for _, n := range names {
			if n == "All" || n == ".*" || n == k || (strings.HasSuffix(n, ".*") && strings.HasPrefix(k, strings.TrimSuffix(n, "*"))) {
				out[k] = a
				break
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// A receipt handle names the queue, the message row and the receive it came from, with a random
// part so that handles look as opaque as SQS's.
func encodeHandle(queueID, rowID, receive int64) string {
	raw := fmt.Sprintf("%d:%d:%d:%s", queueID, rowID, receive, strings.ReplaceAll(uuid.NewString(), "-", ""))
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

type handle struct {
	queueID, rowID, receive int64
}

func decodeHandle(h string) (handle, bool) {
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return handle{}, false
	}
	parts := strings.Split(string(b), ":")
	if len(parts) != 4 {
		return handle{}, false
	}
	var out handle
	var errs [3]error
	out.queueID, errs[0] = strconv.ParseInt(parts[0], 10, 64)
	out.rowID, errs[1] = strconv.ParseInt(parts[1], 10, 64)
	out.receive, errs[2] = strconv.ParseInt(parts[2], 10, 64)
	for _, e := range errs {
		if e != nil {
			return handle{}, false
		}
	}
	return out, true
}

// DeleteEntry is one entry of DeleteBatch.
type DeleteEntry struct {
	ID            string
	ReceiptHandle string
}

// DeleteMessage deletes a message by a receipt handle from any of its receives (SQS deletes
// with a stale handle too).
func (s *Service) DeleteMessage(ctx context.Context, ref Ref, receipt string) error {
	res, err := s.DeleteBatch(ctx, ref, []DeleteEntry{{ID: "m", ReceiptHandle: receipt}}, false)
	if err != nil {
		return err
	}
	if res[0] != nil {
		return res[0].err
	}
	return nil
}

// EntryResult is the outcome of one entry of a delete or visibility batch (nil Err: success).
type EntryResult struct {
	ID  string
	Err *BatchError
	err error
}

// DeleteBatch deletes messages by receipt handle in one store call. checkIDs applies the batch
// entry rules (DeleteMessageBatch).
func (s *Service) DeleteBatch(ctx context.Context, ref Ref, entries []DeleteEntry, checkIDs bool) ([]*EntryResult, error) {
	if checkIDs {
		ids := make([]string, len(entries))
		for i, e := range entries {
			ids[i] = e.ID
		}
		if err := checkBatchIDs("DeleteMessageBatchRequestEntry", ids); err != nil {
			return nil, err
		}
	}
	q, err := s.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	out := make([]*EntryResult, len(entries))
	var rows []int64
	for i, e := range entries {
		h, ok := decodeHandle(e.ReceiptHandle)
		if !ok || h.queueID != q.ID {
			err := errReceipt(e.ReceiptHandle)
			out[i] = &EntryResult{ID: e.ID, Err: batchErr(err), err: err}
			continue
		}
		rows = append(rows, h.rowID)
	}
	if len(rows) > 0 {
		if err := s.store.MessagesDelete(ctx, &store.MessagesDeleteParams{QueueID: q.ID, IDs: rows}); err != nil {
			return nil, fmt.Errorf("delete messages of %q: %w", q.Name, err)
		}
		s.record(q, "NumberOfMessagesDeleted", float64(len(rows)), metrics.Count)
		if q.FIFO {
			s.notify.notify(q.ID)
		}
	}
	return out, nil
}

// VisibilityEntry is one entry of ChangeVisibilityBatch.
type VisibilityEntry struct {
	ID                string
	ReceiptHandle     string
	VisibilityTimeout int64
}

// ChangeVisibility changes the visibility timeout of one received message.
func (s *Service) ChangeVisibility(ctx context.Context, ref Ref, receipt string, timeout int64) error {
	res, err := s.ChangeVisibilityBatch(ctx, ref, []VisibilityEntry{{ID: "m", ReceiptHandle: receipt, VisibilityTimeout: timeout}}, false)
	if err != nil {
		return err
	}
	if res[0] != nil {
		return res[0].err
	}
	return nil
}

// ChangeVisibilityBatch changes visibility timeouts in one store call; the timeout counts from
// now and may not end more than 12 hours after the message's first receive.
func (s *Service) ChangeVisibilityBatch(ctx context.Context, ref Ref, entries []VisibilityEntry, checkIDs bool) ([]*EntryResult, error) {
	if checkIDs {
		ids := make([]string, len(entries))
		for i, e := range entries {
			ids[i] = e.ID
		}
		if err := checkBatchIDs("ChangeMessageVisibilityBatchRequestEntry", ids); err != nil {
			return nil, err
		}
	}
	q, err := s.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	out := make([]*EntryResult, len(entries))
	fail := func(i int, err error) { out[i] = &EntryResult{ID: entries[i].ID, Err: batchErr(err), err: err} }
	var changes []store.VisibilityChange
	var idx []int
	for i, e := range entries {
		h, ok := decodeHandle(e.ReceiptHandle)
		switch {
		case !ok || h.queueID != q.ID:
			fail(i, errReceipt(e.ReceiptHandle))
		case e.VisibilityTimeout < 0 || e.VisibilityTimeout > MaxVisibilityTimeout:
			fail(i, errParamRange("VisibilityTimeout", e.VisibilityTimeout, fmt.Sprintf("Must be >= 0 and <= %d, if provided.", MaxVisibilityTimeout)))
		default:
			changes = append(changes, store.VisibilityChange{ID: h.rowID, VisibleAt: store.Millis(now.Add(time.Duration(e.VisibilityTimeout) * time.Second))})
			idx = append(idx, i)
		}
	}
	if len(changes) == 0 {
		return out, nil
	}
	st, err := s.store.MessagesChangeVisibility(ctx, &store.MessagesChangeVisibilityParams{QueueID: q.ID, Changes: changes, Now: store.Millis(now),
		MaxAfterFirstReceive: MaxVisibilityTimeout * 1000})
	if err != nil {
		return nil, fmt.Errorf("change visibility in %q: %w", q.Name, err)
	}
	woke := false
	for j, status := range st {
		i := idx[j]
		switch status {
		case store.VisibilityChanged:
			woke = woke || entries[i].VisibilityTimeout == 0
		case store.VisibilityNotInflight:
			fail(i, sqsError("MessageNotInflight", "The message referred to is not in flight."))
		case store.VisibilityTooLong:
			fail(i, errInvalidParam("Value %d for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [%d seconds]", entries[i].VisibilityTimeout, MaxVisibilityTimeout))
		case store.VisibilityGone:
			fail(i, errReceipt(entries[i].ReceiptHandle))
		}
	}
	if woke {
		s.notify.notify(q.ID)
	}
	return out, nil
}
