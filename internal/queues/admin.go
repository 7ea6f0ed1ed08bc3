package queues

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/ceap/ceap/internal/store"
)

// Limits of the listing calls (ListQueues and ListDeadLetterSourceQueues references).
const (
	// MaxListResults is the largest MaxResults, and the page size when it is absent.
	MaxListResults = 1000
	// MaxTagKeyLength and MaxTagValueLength bound a tag.
	MaxTagKeyLength   = 128
	MaxTagValueLength = 256
)

// Create creates a queue, or returns the existing one when its attributes match those given
// (QueueNameExists when they differ).
func (s *Service) Create(ctx context.Context, account, name string, attrs, tags map[string]string) (*Queue, error) {
	if name == "" {
		return nil, errMissing("QueueName")
	}
	fifo := attrs["FifoQueue"] == "true"
	if !validName(name, fifo) {
		if fifo || strings.HasSuffix(name, ".fifo") {
			return nil, errInvalidParam("The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.")
		}
		return nil, errInvalidParam("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	checked, err := s.checkAttributes(ctx, account, name, fifo, attrs, true)
	if err != nil {
		return nil, err
	}
	if err := checkTags(tags, nil); err != nil {
		return nil, err
	}
	stored := map[string]string{}
	for k, v := range checked {
		if k != "FifoQueue" && v != "" {
			stored[k] = v
		}
	}
	now := s.clock.Now()
	row, err := s.store.QueueCreate(ctx, &store.QueueCreateParams{Account: account, Name: name, FIFO: fifo, Attributes: stored, Tags: tags,
		Now: store.Millis(now), DeletedBefore: store.Millis(now.Add(-DeletedQueueWait))})
	switch {
	case errors.Is(err, store.ErrAlreadyExists):
		s.invalidate(account, name)
		existing, err := s.queue(ctx, account, name)
		if err != nil {
			return nil, err
		}
		effective := existing.attributeValues()
		for k, v := range checked {
			if effective[k] != v {
				return nil, sqsError("QueueNameExists", "A queue already exists with the same name and a different value for attribute %s", k)
			}
		}
		return existing, nil
	case errors.Is(err, store.ErrConflict):
		return nil, sqsError("QueueDeletedRecently", "You must wait 60 seconds after deleting a queue before you can create another with the same name.")
	case err != nil:
		return nil, fmt.Errorf("create queue %q: %w", name, err)
	}
	s.invalidate(account, name)
	return fromRow(row, s.cfg.Region)
}

// attributeValues returns every settable attribute's effective value as GetQueueAttributes
// shows it.
func (q *Queue) attributeValues() map[string]string {
	out := map[string]string{
		"DelaySeconds":                  strconv.FormatInt(q.Delay, 10),
		"MaximumMessageSize":            strconv.FormatInt(q.MaxSize, 10),
		"MessageRetentionPeriod":        strconv.FormatInt(q.Retention, 10),
		"ReceiveMessageWaitTimeSeconds": strconv.FormatInt(q.WaitTime, 10),
		"VisibilityTimeout":             strconv.FormatInt(q.VisibilityTimeout, 10),
		"SqsManagedSseEnabled":          "true",
	}
	if q.FIFO {
		out["FifoQueue"] = "true"
		out["ContentBasedDeduplication"] = strconv.FormatBool(q.ContentDedup)
		out["DeduplicationScope"] = "queue"
		out["FifoThroughputLimit"] = "perQueue"
	} else {
		out["FifoQueue"] = "false"
	}
	for k, v := range q.Attributes {
		out[k] = v
	}
	if _, ok := q.Attributes["KmsMasterKeyId"]; ok {
		if _, set := q.Attributes["SqsManagedSseEnabled"]; !set {
			out["SqsManagedSseEnabled"] = "false"
		}
		if _, set := q.Attributes["KmsDataKeyReusePeriodSeconds"]; !set {
			out["KmsDataKeyReusePeriodSeconds"] = "300"
		}
	}
	return out
}

func validTagKey(k string) bool {
	if k == "" || len(k) > MaxTagKeyLength {
		return false
	}
	return !strings.HasPrefix(strings.ToLower(k), "aws:")
}

func checkTags(add map[string]string, existing map[string]string) error {
	n := len(existing)
	for k, v := range add {
		if !validTagKey(k) {
			return errInvalidParam("Tag keys must be between 1 and %d characters and must not start with aws:.", MaxTagKeyLength)
		}
		if len(v) > MaxTagValueLength {
			return errInvalidParam("Tag values must be at most %d characters.", MaxTagValueLength)
		}
		if _, ok := existing[k]; !ok {
			n++
		}
	}
	if n > MaxTags {
		return errInvalidParam("Too many tags added for queue. The maximum number of tags on a queue is %d.", MaxTags)
	}
	return nil
}

// List returns the names of an account's queues that start with prefix, a page of at most
// maxResults (0: up to 1000 and no paging), and the token of the next page.
func (s *Service) List(ctx context.Context, account, prefix string, maxResults int, nextToken string) ([]*Queue, string, error) {
	if maxResults < 0 || maxResults > MaxListResults {
		return nil, "", errParamRange("MaxResults", int64(maxResults), fmt.Sprintf("MaxResults must be an integer between 1 and %d.", MaxListResults))
	}
	after := ""
	if nextToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(nextToken)
		if err != nil || !strings.HasPrefix(string(b), "q:") {
			return nil, "", errInvalidParam("Invalid NextToken value.")
		}
		after = string(b[2:])
	}
	limit := maxResults
	if limit == 0 {
		limit = MaxListResults
	}
	rows, err := s.store.QueueList(ctx, &store.QueueListParams{Account: account, Prefix: prefix, After: after, Limit: limit + 1})
	if err != nil {
		return nil, "", fmt.Errorf("list queues: %w", err)
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		if maxResults > 0 {
			next = base64.RawURLEncoding.EncodeToString([]byte("q:" + rows[len(rows)-1].Name))
		}
	}
	out := make([]*Queue, 0, len(rows))
	for _, r := range rows {
		q, err := fromRow(r, s.cfg.Region)
		if err != nil {
			return nil, "", err
		}
		out = append(out, q)
	}
	return out, next, nil
}

// Delete deletes a queue and then its messages.
func (s *Service) Delete(ctx context.Context, ref Ref) error {
	q, err := s.Get(ctx, ref)
	if err != nil {
		return err
	}
	err = s.store.QueueDelete(ctx, &store.QueueDeleteParams{ID: q.ID, Now: store.Millis(s.clock.Now())})
	s.invalidate(q.Account, q.Name)
	if errors.Is(err, store.ErrNotFound) {
		return errNoQueue()
	}
	if err != nil {
		return fmt.Errorf("delete queue %q: %w", q.Name, err)
	}
	s.notify.notify(q.ID)
	// The messages are unreachable now; delete them in slices, so that a large queue never
	// holds the writer for long.
	for {
		n, err := s.store.MessagesExpire(ctx, &store.MessagesExpireParams{QueueID: q.ID, SentBefore: math.MaxInt64, Now: store.Millis(s.clock.Now()), Max: sweepSlice})
		if err != nil {
			return fmt.Errorf("delete messages of queue %q: %w", q.Name, err)
		}
		if n < sweepSlice {
			return nil
		}
	}
}

// readOnly lists the attributes that only GetQueueAttributes shows.
var readOnly = map[string]bool{
	"All": true, "ApproximateNumberOfMessages": true, "ApproximateNumberOfMessagesNotVisible": true,
	"ApproximateNumberOfMessagesDelayed": true, "CreatedTimestamp": true, "LastModifiedTimestamp": true, "QueueArn": true,
}

// Attributes returns the named attributes of a queue ("All" for all of them).
func (s *Service) Attributes(ctx context.Context, ref Ref, names []string) (map[string]string, error) {
	q, err := s.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	all := false
	for _, n := range names {
		if !readOnly[n] && !settable[n] {
			return nil, errAttrName(n)
		}
		all = all || n == "All"
		want[n] = true
	}
	out := map[string]string{}
	vals := q.attributeValues()
	if !q.FIFO {
		delete(vals, "FifoQueue")
	}
	vals["CreatedTimestamp"] = strconv.FormatInt(q.Created.Unix(), 10)
	vals["LastModifiedTimestamp"] = strconv.FormatInt(q.Modified.Unix(), 10)
	vals["QueueArn"] = q.Arn
	for k, v := range vals {
		if (all || want[k]) && v != "" {
			out[k] = v
		}
	}
	if all || want["ApproximateNumberOfMessages"] || want["ApproximateNumberOfMessagesNotVisible"] || want["ApproximateNumberOfMessagesDelayed"] {
		now := s.clock.Now()
		c, err := s.store.QueueCounts(ctx, &store.QueueCountsParams{ID: q.ID, Now: store.Millis(now), RetainedAfter: store.Millis(q.retainedAfter(now))})
		if err != nil {
			return nil, fmt.Errorf("count messages of %q: %w", q.Name, err)
		}
		for k, v := range map[string]int64{"ApproximateNumberOfMessages": c.Visible, "ApproximateNumberOfMessagesNotVisible": c.NotVisible, "ApproximateNumberOfMessagesDelayed": c.Delayed} {
			if all || want[k] {
				out[k] = strconv.FormatInt(v, 10)
			}
		}
	}
	return out, nil
}

// SetAttributes changes attributes of a queue.
func (s *Service) SetAttributes(ctx context.Context, ref Ref, attrs map[string]string) error {
	q, err := s.Get(ctx, ref)
	if err != nil {
		return err
	}
	if len(attrs) == 0 {
		return errMissing("Attribute.Name")
	}
	checked, err := s.checkAttributes(ctx, q.Account, q.Name, q.FIFO, attrs, false)
	if err != nil {
		return err
	}
	merged := maps.Clone(q.Attributes)
	for k, v := range checked {
		if v == "" {
			delete(merged, k)
			continue
		}
		merged[k] = v
	}
	if err := s.store.QueueUpdate(ctx, &store.QueueUpdateParams{ID: q.ID, Attributes: merged, Tags: q.Tags, Now: store.Millis(s.clock.Now())}); err != nil {
		s.invalidate(q.Account, q.Name)
		if errors.Is(err, store.ErrNotFound) {
			return errNoQueue()
		}
		return fmt.Errorf("set attributes of %q: %w", q.Name, err)
	}
	s.invalidate(q.Account, q.Name)
	return nil
}

// Purge deletes every message sent to the queue before now. The purge time is recorded first
// (one purge per minute), then the messages are deleted in slices.
func (s *Service) Purge(ctx context.Context, ref Ref) error {
	q, err := s.Get(ctx, ref)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	err = s.store.QueuePurge(ctx, &store.QueuePurgeParams{ID: q.ID, Now: store.Millis(now), PurgedAfter: store.Millis(now.Add(-PurgeWait))})
	switch {
	case errors.Is(err, store.ErrConflict):
		return sqsError("PurgeQueueInProgress", "Only one PurgeQueue operation on %s is allowed every 60 seconds.", q.Name)
	case errors.Is(err, store.ErrNotFound):
		return errNoQueue()
	case err != nil:
		return fmt.Errorf("purge %q: %w", q.Name, err)
	}
	s.invalidate(q.Account, q.Name)
	// Delete in slices, so that a large purge never holds the writer for long. As in SQS,
	// messages may still be received while the purge runs.
	for {
		n, err := s.store.MessagesExpire(ctx, &store.MessagesExpireParams{QueueID: q.ID, SentBefore: store.Millis(now) + 1, Now: store.Millis(now), Max: sweepSlice})
		if err != nil {
			return fmt.Errorf("purge %q: %w", q.Name, err)
		}
		if n < sweepSlice {
			return nil
		}
	}
}

// Tag adds or replaces tags of a queue.
func (s *Service) Tag(ctx context.Context, ref Ref, tags map[string]string) error {
	return s.changeTags(ctx, ref, func(q *Queue, t map[string]string) error {
		if len(tags) == 0 {
			return errMissing("Tags")
		}
		if err := checkTags(tags, q.Tags); err != nil {
			return err
		}
		maps.Copy(t, tags)
		return nil
	})
}

// Untag removes tags of a queue.
func (s *Service) Untag(ctx context.Context, ref Ref, keys []string) error {
	return s.changeTags(ctx, ref, func(q *Queue, t map[string]string) error {
		if len(keys) == 0 {
			return errMissing("TagKeys")
		}
		for _, k := range keys {
			delete(t, k)
		}
		return nil
	})
}

func (s *Service) changeTags(ctx context.Context, ref Ref, fn func(q *Queue, tags map[string]string) error) error {
	q, err := s.Get(ctx, ref)
	if err != nil {
		return err
	}
	tags := maps.Clone(q.Tags)
	if err := fn(q, tags); err != nil {
		return err
	}
	err = s.store.QueueUpdate(ctx, &store.QueueUpdateParams{ID: q.ID, Attributes: q.Attributes, Tags: tags, Now: store.Millis(q.Modified)})
	s.invalidate(q.Account, q.Name)
	if errors.Is(err, store.ErrNotFound) {
		return errNoQueue()
	}
	if err != nil {
		return fmt.Errorf("tag %q: %w", q.Name, err)
	}
	return nil
}

// Tags returns a queue's tags.
func (s *Service) Tags(ctx context.Context, ref Ref) (map[string]string, error) {
	q, err := s.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	return maps.Clone(q.Tags), nil
}

// DeadLetterSources returns the queues whose redrive policy names the queue as their
// dead-letter queue, paged like List.
func (s *Service) DeadLetterSources(ctx context.Context, ref Ref, maxResults int, nextToken string) ([]*Queue, string, error) {
	q, err := s.Get(ctx, ref)
	if err != nil {
		return nil, "", err
	}
	sources, err := s.sourcesOf(ctx, q)
	if err != nil {
		return nil, "", err
	}
	if maxResults < 0 || maxResults > MaxListResults {
		return nil, "", errParamRange("MaxResults", int64(maxResults), fmt.Sprintf("MaxResults must be an integer between 1 and %d.", MaxListResults))
	}
	start := 0
	if nextToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(nextToken)
		if err != nil || !strings.HasPrefix(string(b), "q:") {
			return nil, "", errInvalidParam("Invalid NextToken value.")
		}
		start = sort.Search(len(sources), func(i int) bool { return sources[i].Name > string(b[2:]) })
	}
	sources = sources[start:]
	limit := maxResults
	if limit == 0 {
		limit = MaxListResults
	}
	next := ""
	if len(sources) > limit {
		sources = sources[:limit]
		if maxResults > 0 {
			next = base64.RawURLEncoding.EncodeToString([]byte("q:" + sources[len(sources)-1].Name))
		}
	}
	return sources, next, nil
}

// sourcesOf returns the queues of dlq's account that dead-letter into it, by name.
func (s *Service) sourcesOf(ctx context.Context, dlq *Queue) ([]*Queue, error) {
	rows, err := s.store.QueueList(ctx, &store.QueueListParams{Account: dlq.Account, Limit: 1 << 30})
	if err != nil {
		return nil, fmt.Errorf("list queues: %w", err)
	}
	var out []*Queue
	for _, r := range rows {
		q, err := fromRow(r, s.cfg.Region)
		if err != nil {
			return nil, err
		}
		if q.Redrive != nil && q.Redrive.DeadLetterTargetArn == dlq.Arn {
			out = append(out, q)
		}
	}
	return out, nil
}
