package queues

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/store"
)

// SQS limits and defaults (Amazon SQS Developer Guide, "Quotas" and the CreateQueue reference).
const (
	// MaxVisibilityTimeout is the largest VisibilityTimeout: 12 hours.
	MaxVisibilityTimeout = 43200
	// MinRetention and MaxRetention bound MessageRetentionPeriod: 1 minute to 14 days.
	MinRetention = 60
	MaxRetention = 1209600
	// MaxDelay is the largest DelaySeconds: 15 minutes.
	MaxDelay = 900
	// MaxWaitTime is the largest ReceiveMessageWaitTimeSeconds / WaitTimeSeconds: 20 seconds.
	MaxWaitTime = 20
	// MinMessageSize and MaxMessageSize bound MaximumMessageSize: 1 KiB to 1 MiB.
	MinMessageSize = 1024
	MaxMessageSize = 1048576
	// MaxReceiveCountLimit is the largest maxReceiveCount of a redrive policy.
	MaxReceiveCountLimit = 1000
	// MaxQueueNameLength is the longest queue name (the .fifo suffix included).
	MaxQueueNameLength = 80
	// MinKmsReuse and MaxKmsReuse bound KmsDataKeyReusePeriodSeconds: 1 minute to 24 hours.
	MinKmsReuse = 60
	MaxKmsReuse = 86400
	// DeletedQueueWait is how long a deleted queue's name stays blocked: 60 seconds.
	DeletedQueueWait = 60 * time.Second
	// PurgeWait is the time between two purges of a queue: 60 seconds.
	PurgeWait = 60 * time.Second
	// DedupWindow is the FIFO deduplication interval: 5 minutes.
	DedupWindow = 5 * time.Minute
	// MaxTags is the most tags a queue may have.
	MaxTags = 50

	defaultVisibility = 30
	defaultRetention  = 345600
)

// Queue is a queue with its settings interpreted.
type Queue struct {
	ID       int64
	Account  string
	Name     string
	Arn      string
	FIFO     bool
	Created  time.Time
	Modified time.Time
	PurgedAt time.Time
	Tags     map[string]string
	// Attributes are the settable attributes as stored (absent means the default).
	Attributes map[string]string

	VisibilityTimeout int64
	Retention         int64
	Delay             int64
	WaitTime          int64
	MaxSize           int64
	ContentDedup      bool
	DedupByGroup      bool
	Redrive           *RedrivePolicy
}

// RedrivePolicy is a queue's dead-letter configuration.
type RedrivePolicy struct {
	DeadLetterTargetArn string `json:"deadLetterTargetArn"`
	MaxReceiveCount     int64  `json:"maxReceiveCount"`
}

// retainedAfter is the earliest send time of a message within the retention period (a
// dead-lettered message keeps its original send time, as in SQS).
func (q *Queue) retainedAfter(now time.Time) time.Time {
	return now.Add(-time.Duration(q.Retention) * time.Second)
}

// Arn returns the ARN of a queue.
func Arn(region, account, name string) string {
	return "arn:aws:sqs:" + region + ":" + account + ":" + name
}

// ParseArn splits a queue ARN into its region, account and name.
func ParseArn(arn string) (region, account, name string, ok bool) {
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sqs" || parts[4] == "" || parts[5] == "" {
		return "", "", "", false
	}
	return parts[3], parts[4], parts[5], true
}

func fromRow(r *store.Queue, region string) (*Queue, error) {
	q := &Queue{ID: r.ID, Account: r.Account, Name: r.Name, Arn: Arn(region, r.Account, r.Name), FIFO: r.FIFO,
		Created: store.FromMillis(r.Created), Modified: store.FromMillis(r.Modified), PurgedAt: store.FromMillis(r.PurgedAt),
		Tags: r.Tags, Attributes: r.Attributes}
	if q.Tags == nil {
		q.Tags = map[string]string{}
	}
	if q.Attributes == nil {
		q.Attributes = map[string]string{}
	}
	num := func(name string, def int64) int64 {
		if v, ok := q.Attributes[name]; ok {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				return n
			}
		}
		return def
	}
	q.VisibilityTimeout = num("VisibilityTimeout", defaultVisibility)
	q.Retention = num("MessageRetentionPeriod", defaultRetention)
	q.Delay = num("DelaySeconds", 0)
	q.WaitTime = num("ReceiveMessageWaitTimeSeconds", 0)
	q.MaxSize = num("MaximumMessageSize", MaxMessageSize)
	q.ContentDedup = q.Attributes["ContentBasedDeduplication"] == "true"
	q.DedupByGroup = q.Attributes["DeduplicationScope"] == "messageGroup"
	if rp := q.Attributes["RedrivePolicy"]; rp != "" {
		var p RedrivePolicy
		if err := json.Unmarshal([]byte(rp), &p); err != nil {
			return nil, fmt.Errorf("queue %q redrive policy: %w", r.Name, err)
		}
		q.Redrive = &p
	}
	return q, nil
}

var queueNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func validName(name string, fifo bool) bool {
	if len(name) == 0 || len(name) > MaxQueueNameLength {
		return false
	}
	base := name
	if fifo {
		if !strings.HasSuffix(name, ".fifo") {
			return false
		}
		base = strings.TrimSuffix(name, ".fifo")
	}
	return queueNameRE.MatchString(base)
}

// queue returns the live queue of account and name, from the cache when it is fresh. Absent
// queues are not cached, so a queue created on another node is found at once.
func (s *Service) queue(ctx context.Context, account, name string) (*Queue, error) {
	k := queueKey{account, name}
	now := s.clock.Now()
	s.cacheMu.Lock()
	c, ok := s.cache[k]
	s.cacheMu.Unlock()
	if ok && now.Sub(c.loaded) < s.cfg.CacheTTL {
		return c.q, nil
	}
	row, err := s.store.QueueGet(ctx, account, name)
	if errors.Is(err, store.ErrNotFound) {
		s.invalidate(account, name)
		return nil, errNoQueue()
	}
	if err != nil {
		return nil, fmt.Errorf("get queue %q: %w", name, err)
	}
	q, err := fromRow(row, s.cfg.Region)
	if err != nil {
		return nil, err
	}
	s.cacheMu.Lock()
	if len(s.cache) >= maxCachedQueues {
		clear(s.cache)
	}
	s.cache[k] = &cached{q: q, loaded: now}
	s.cacheMu.Unlock()
	return q, nil
}

// maxCachedQueues bounds the queue cache; it starts over when full.
const maxCachedQueues = 100000

func (s *Service) invalidate(account, name string) {
	s.cacheMu.Lock()
	delete(s.cache, queueKey{account, name})
	s.cacheMu.Unlock()
}

// queueByArn resolves a queue ARN (nil, nil when the queue does not exist).
func (s *Service) queueByArn(ctx context.Context, arn string) (*Queue, error) {
	_, account, name, ok := ParseArn(arn)
	if !ok {
		return nil, nil
	}
	q, err := s.queue(ctx, account, name)
	if isNoQueue(err) {
		return nil, nil
	}
	return q, err
}

func isNoQueue(err error) bool {
	ae, ok := awserr.As(err)
	return ok && ae.Code == "QueueDoesNotExist"
}

// Ref names a queue: the account in its URL and its name.
type Ref struct {
	Account string
	Name    string
}

// Get returns a queue (QueueDoesNotExist when there is none).
func (s *Service) Get(ctx context.Context, ref Ref) (*Queue, error) {
	return s.queue(ctx, ref.Account, ref.Name)
}

// settable lists the attributes CreateQueue and SetQueueAttributes accept.
var settable = map[string]bool{
	"DelaySeconds": true, "MaximumMessageSize": true, "MessageRetentionPeriod": true, "Policy": true,
	"ReceiveMessageWaitTimeSeconds": true, "VisibilityTimeout": true, "RedrivePolicy": true, "RedriveAllowPolicy": true,
	"KmsMasterKeyId": true, "KmsDataKeyReusePeriodSeconds": true, "SqsManagedSseEnabled": true,
	"FifoQueue": true, "ContentBasedDeduplication": true, "DeduplicationScope": true, "FifoThroughputLimit": true,
}

var fifoOnly = map[string]bool{"ContentBasedDeduplication": true, "DeduplicationScope": true, "FifoThroughputLimit": true}

// checkAttributes validates attributes for a queue (fifo says which kind) and returns them
// normalised as stored.
func (s *Service) checkAttributes(ctx context.Context, account, name string, fifo bool, in map[string]string, creating bool) (map[string]string, error) {
	out := map[string]string{}
	names := make([]string, 0, len(in))
	for k := range in {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := in[k]
		if !settable[k] || (fifoOnly[k] && !fifo) || (k == "FifoQueue" && !creating) {
			return nil, errAttrName(k)
		}
		rng := func(lo, hi int64) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < lo || n > hi {
				return errAttrValue(k)
			}
			out[k] = strconv.FormatInt(n, 10)
			return nil
		}
		var err error
		switch k {
		case "DelaySeconds":
			err = rng(0, MaxDelay)
		case "MaximumMessageSize":
			err = rng(MinMessageSize, MaxMessageSize)
		case "MessageRetentionPeriod":
			err = rng(MinRetention, MaxRetention)
		case "ReceiveMessageWaitTimeSeconds":
			err = rng(0, MaxWaitTime)
		case "VisibilityTimeout":
			err = rng(0, MaxVisibilityTimeout)
		case "KmsDataKeyReusePeriodSeconds":
			err = rng(MinKmsReuse, MaxKmsReuse)
		case "FifoQueue":
			if v != "true" && v != "false" {
				err = errAttrValue(k)
			}
		case "ContentBasedDeduplication", "SqsManagedSseEnabled":
			if v != "true" && v != "false" {
				err = errAttrValue(k)
			} else {
				out[k] = v
			}
		case "DeduplicationScope":
			if v != "queue" && v != "messageGroup" {
				err = errAttrValue(k)
			} else {
				out[k] = v
			}
		case "FifoThroughputLimit":
			if v != "perQueue" && v != "perMessageGroupId" {
				err = errAttrValue(k)
			} else {
				out[k] = v
			}
		case "RedrivePolicy":
			if v == "" {
				out[k] = ""
				continue
			}
			out[k], err = s.checkRedrive(ctx, account, name, fifo, v)
		case "RedriveAllowPolicy":
			if v == "" {
				out[k] = ""
				continue
			}
			out[k], err = checkRedriveAllow(v)
		case "Policy":
			if v != "" && !json.Valid([]byte(v)) {
				err = errAttrValue(k)
			} else {
				out[k] = v
			}
		default:
			out[k] = v
		}
		if err != nil {
			return nil, err
		}
	}
	if out["FifoThroughputLimit"] == "perMessageGroupId" && in["DeduplicationScope"] == "queue" {
		return nil, errInvalidParam("The perMessageGroupId value is allowed only when the value for DeduplicationScope is messageGroup.")
	}
	return out, nil
}

func (s *Service) checkRedrive(ctx context.Context, account, name string, fifo bool, v string) (string, error) {
	var raw map[string]any
	if err := json.Unmarshal([]byte(v), &raw); err != nil {
		return "", errInvalidParam("Value %s for parameter RedrivePolicy is invalid. Reason: Invalid value for RedrivePolicy.", v)
	}
	for k := range raw {
		if k != "deadLetterTargetArn" && k != "maxReceiveCount" {
			return "", errInvalidParam("Value %s for parameter RedrivePolicy is invalid. Reason: Only following attributes are supported:[deadLetterTargetArn, maxReceiveCount].", v)
		}
	}
	arn, _ := raw["deadLetterTargetArn"].(string)
	if arn == "" {
		return "", errInvalidParam("Value %s for parameter RedrivePolicy is invalid. Reason: Redrive policy does not contain mandatory attribute: deadLetterTargetArn.", v)
	}
	var count int64
	switch c := raw["maxReceiveCount"].(type) {
	case float64:
		count = int64(c)
		if float64(count) != c {
			count = 0
		}
	case string:
		count, _ = strconv.ParseInt(c, 10, 64)
	case nil:
		return "", errInvalidParam("Value %s for parameter RedrivePolicy is invalid. Reason: Redrive policy does not contain mandatory attribute: maxReceiveCount.", v)
	}
	if count < 1 || count > MaxReceiveCountLimit {
		return "", errInvalidParam("Value %s for parameter RedrivePolicy is invalid. Reason: Invalid value for maxReceiveCount: %v, valid values are from 1 to %d both inclusive.", v, raw["maxReceiveCount"], MaxReceiveCountLimit)
	}
	_, dAccount, dName, ok := ParseArn(arn)
	if !ok || dAccount != account {
		return "", errInvalidParam("Value %s for parameter RedrivePolicy is invalid. Reason: Dead-letter target ARN is not valid.", v)
	}
	if dName == name {
		return "", errInvalidParam("Value %s for parameter RedrivePolicy is invalid. Reason: Dead-letter target cannot be the source queue.", v)
	}
	dlq, err := s.queue(ctx, dAccount, dName)
	if err != nil {
		if isNoQueue(err) {
			return "", errInvalidParam("Value %s for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.", v)
		}
		return "", err
	}
	if dlq.FIFO != fifo {
		return "", errInvalidParam("Value %s for parameter RedrivePolicy is invalid. Reason: Dead-letter queue must be same type of queue as the source.", v)
	}
	if allow := dlq.Attributes["RedriveAllowPolicy"]; allow != "" {
		var p redriveAllow
		if json.Unmarshal([]byte(allow), &p) == nil {
			src := Arn(s.cfg.Region, account, name)
			switch p.RedrivePermission {
			case "denyAll":
				return "", errInvalidParam("Value %s for parameter RedrivePolicy is invalid. Reason: Queue %s does not allow this queue to use it as a dead-letter queue.", v, arn)
			case "byQueue":
				allowed := false
				for _, a := range p.SourceQueueArns {
					allowed = allowed || a == src
				}
				if !allowed {
					return "", errInvalidParam("Value %s for parameter RedrivePolicy is invalid. Reason: Queue %s does not allow this queue to use it as a dead-letter queue.", v, arn)
				}
			}
		}
	}
	b, _ := json.Marshal(RedrivePolicy{DeadLetterTargetArn: arn, MaxReceiveCount: count})
	return string(b), nil
}

type redriveAllow struct {
	RedrivePermission string   `json:"redrivePermission"`
	SourceQueueArns   []string `json:"sourceQueueArns,omitempty"`
}

// MaxRedriveSources is the most source queues a byQueue RedriveAllowPolicy may name.
const MaxRedriveSources = 10

func checkRedriveAllow(v string) (string, error) {
	var p redriveAllow
	bad := func(reason string) error {
		return errInvalidParam("Value %s for parameter RedriveAllowPolicy is invalid. Reason: %s", v, reason)
	}
	if err := json.Unmarshal([]byte(v), &p); err != nil {
		return "", bad("Invalid value for RedriveAllowPolicy.")
	}
	switch p.RedrivePermission {
	case "allowAll", "denyAll":
		if len(p.SourceQueueArns) > 0 {
			return "", bad("sourceQueueArns is allowed only when redrivePermission is byQueue.")
		}
	case "byQueue":
		if len(p.SourceQueueArns) == 0 || len(p.SourceQueueArns) > MaxRedriveSources {
			return "", bad(fmt.Sprintf("Amount of source queue ARNs must be between 1 and %d.", MaxRedriveSources))
		}
	default:
		return "", bad("redrivePermission must be one of allowAll, denyAll, byQueue.")
	}
	b, _ := json.Marshal(p)
	return string(b), nil
}
