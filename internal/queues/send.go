package queues

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/ceap/ceap/internal/metrics"
	"github.com/ceap/ceap/internal/store"
)

// Batch limits (SendMessageBatch, DeleteMessageBatch and ChangeMessageVisibilityBatch
// references).
const (
	// MaxBatchEntries is the most entries in one batch call.
	MaxBatchEntries = 10
	// MaxBatchPayload is the largest total of a SendMessageBatch's messages: 1 MiB.
	MaxBatchPayload = 1048576
	// MaxMessageAttributes is the most message attributes of one message.
	MaxMessageAttributes = 10
	// MaxAttributeNameLength is the longest message attribute name.
	MaxAttributeNameLength = 256
	// MaxDedupIDLength is the longest MessageDeduplicationId and MessageGroupId.
	MaxDedupIDLength = 128
	// MaxNumberDigits is the precision of a Number message attribute: 38 digits.
	MaxNumberDigits = 38
)

// Attribute is one message attribute (or message system attribute).
type Attribute struct {
	DataType         string   `json:"t"`
	StringValue      *string  `json:"s,omitempty"`
	BinaryValue      []byte   `json:"b,omitempty"`
	StringListValues []string `json:"sl,omitempty"`
	BinaryListValues [][]byte `json:"bl,omitempty"`
}

// SendEntry is one message to send. ID is the batch entry id (empty for SendMessage).
type SendEntry struct {
	ID               string
	Body             string
	DelaySeconds     *int64
	Attributes       map[string]Attribute
	SystemAttributes map[string]Attribute
	DedupID          string
	GroupID          string
}

// SendResult is the outcome of one SendEntry: Err, or the message's id and checksums.
type SendResult struct {
	ID             string
	MessageID      string
	MD5Body        string
	MD5Attributes  string
	MD5SystemAttrs string
	SequenceNumber string
	Err            *BatchError
	err            error
	stored         *store.Message
}

// MaxBatchIDLength is the longest batch entry id.
const MaxBatchIDLength = 80

// validBatchID reports whether id matches [A-Za-z0-9_-]{1,80}.
func validBatchID(id string) bool {
	if id == "" || len(id) > MaxBatchIDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// checkBatchIDs applies the batch rules shared by the batch calls; entry names the entry shape
// in messages (e.g. SendMessageBatchRequestEntry).
func checkBatchIDs(entry string, ids []string) error {
	if len(ids) == 0 {
		return sqsError("EmptyBatchRequest", "There should be at least one %s in the request.", entry)
	}
	if len(ids) > MaxBatchEntries {
		return sqsError("TooManyEntriesInBatchRequest", "Maximum number of entries per request are %d. You have sent %d.", MaxBatchEntries, len(ids))
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if !validBatchID(id) {
			return sqsError("InvalidBatchEntryId", "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
		}
		if seen[id] {
			return sqsError("BatchEntryIdsNotDistinct", "Id %s repeated.", id)
		}
		seen[id] = true
	}
	return nil
}

// Send sends one message (SendMessage): the error is the call's.
func (s *Service) Send(ctx context.Context, ref Ref, sender string, e SendEntry) (*SendResult, error) {
	q, err := s.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	r := s.prepare(q, sender, &e)
	if r.err != nil {
		return nil, r.err
	}
	if err := s.commitSends(ctx, q, []*SendResult{r}); err != nil {
		return nil, err
	}
	return r, nil
}

// SendBatch sends up to ten messages in one store call (SendMessageBatch); entries that fail
// validation carry Err, the others are sent.
func (s *Service) SendBatch(ctx context.Context, ref Ref, sender string, entries []SendEntry) ([]*SendResult, error) {
	ids := make([]string, len(entries))
	total := 0
	for i, e := range entries {
		ids[i] = e.ID
		total += messageSize(&e)
	}
	if err := checkBatchIDs("SendMessageBatchRequestEntry", ids); err != nil {
		return nil, err
	}
	if total > MaxBatchPayload {
		return nil, sqsError("BatchRequestTooLong", "Batch requests cannot be longer than %d bytes. You have sent %d bytes.", MaxBatchPayload, total)
	}
	q, err := s.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	out := make([]*SendResult, len(entries))
	var ok []*SendResult
	for i := range entries {
		out[i] = s.prepare(q, sender, &entries[i])
		if out[i].err != nil {
			out[i].Err = batchErr(out[i].err)
			continue
		}
		ok = append(ok, out[i])
	}
	if len(ok) > 0 {
		if err := s.commitSends(ctx, q, ok); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Service) commitSends(ctx context.Context, q *Queue, rs []*SendResult) error {
	msgs := make([]*store.Message, len(rs))
	for i, r := range rs {
		msgs[i] = r.stored
	}
	now := s.clock.Now()
	sent, err := s.store.MessagesSend(ctx, &store.MessagesSendParams{QueueID: q.ID, Messages: msgs, Now: store.Millis(now),
		DedupUntil: store.Millis(now.Add(DedupWindow)), DedupByGroup: q.DedupByGroup})
	if err != nil {
		return fmt.Errorf("send to %q: %w", q.Name, err)
	}
	visibleNow := false
	accepted := 0
	for i, r := range rs {
		r.MessageID = sent[i].MessageID
		if q.FIFO {
			r.SequenceNumber = fmt.Sprintf("%020d", sent[i].ID)
		}
		if !sent[i].Duplicate {
			accepted++
			s.record(q, "SentMessageSize", float64(len(r.stored.Body)), metrics.Bytes)
			visibleNow = visibleNow || r.stored.VisibleAt <= store.Millis(now)
		}
	}
	if accepted > 0 {
		s.record(q, "NumberOfMessagesSent", float64(accepted), metrics.Count)
	}
	if visibleNow {
		s.notify.notify(q.ID)
	}
	return nil
}

// messageSize is a message's size as SQS counts it: the body and each attribute's name, type
// and value.
func messageSize(e *SendEntry) int {
	n := len(e.Body)
	for k, a := range e.Attributes {
		n += len(k) + len(a.DataType) + len(a.BinaryValue)
		if a.StringValue != nil {
			n += len(*a.StringValue)
		}
	}
	return n
}

// validText reports whether s holds only the characters SQS allows in a message: #x9, #xA, #xD,
// #x20 to #xD7FF, #xE000 to #xFFFD, #x10000 to #x10FFFF.
func validText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == 0x9 || r == 0xA || r == 0xD:
		case r >= 0x20 && r <= 0xD7FF:
		case r >= 0xE000 && r <= 0xFFFD:
		case r >= 0x10000 && r <= 0x10FFFF:
		default:
			return false
		}
	}
	return true
}

var dedupRE = regexp.MustCompile("^[\x21-\x7e]{1,128}$")

// prepare validates e against q and builds its row; failures land in the result's err.
func (s *Service) prepare(q *Queue, sender string, e *SendEntry) *SendResult {
	r := &SendResult{ID: e.ID}
	fail := func(err error) *SendResult { r.err = err; return r }
	if e.Body == "" {
		return fail(errMissing("MessageBody"))
	}
	if !validText(e.Body) {
		return fail(sqsError("InvalidMessageContents", "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF"))
	}
	if size := messageSize(e); int64(size) > q.MaxSize {
		return fail(errInvalidParam("One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", q.MaxSize))
	}
	if err := checkAttributes(e.Attributes, false); err != nil {
		return fail(err)
	}
	if err := checkAttributes(e.SystemAttributes, true); err != nil {
		return fail(err)
	}
	delay := q.Delay
	if e.DelaySeconds != nil {
		if q.FIFO {
			return fail(errInvalidParam("Value %d for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.", *e.DelaySeconds))
		}
		if *e.DelaySeconds < 0 || *e.DelaySeconds > MaxDelay {
			return fail(errParamRange("DelaySeconds", *e.DelaySeconds, fmt.Sprintf("DelaySeconds must be >= 0 and <= %d.", MaxDelay)))
		}
		delay = *e.DelaySeconds
	}
	if e.GroupID != "" && !dedupRE.MatchString(e.GroupID) {
		return fail(errInvalidParam("Value %s for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.", e.GroupID))
	}
	if e.DedupID != "" && !dedupRE.MatchString(e.DedupID) {
		return fail(errInvalidParam("Value %s for parameter MessageDeduplicationId is invalid. Reason: MessageDeduplicationId can only include alphanumeric and punctuation characters. 1 to 128 in length.", e.DedupID))
	}
	dedup := e.DedupID
	if q.FIFO {
		if e.GroupID == "" {
			return fail(errMissing("MessageGroupId"))
		}
		if dedup == "" {
			if !q.ContentDedup {
				return fail(errInvalidParam("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"))
			}
			sum := sha256.Sum256([]byte(e.Body))
			dedup = hex.EncodeToString(sum[:])
		}
	} else if e.DedupID != "" {
		return fail(errInvalidParam("Value %s for parameter MessageDeduplicationId is invalid. Reason: The request includes a parameter that is not valid for this queue type.", e.DedupID))
	}
	now := s.clock.Now()
	bodySum := md5.Sum([]byte(e.Body))
	r.MD5Body = hex.EncodeToString(bodySum[:])
	r.MD5Attributes = AttributesMD5(e.Attributes)
	r.MD5SystemAttrs = AttributesMD5(e.SystemAttributes)
	m := &store.Message{MessageID: uuid.NewString(), Body: e.Body, MD5Body: r.MD5Body, MD5Attributes: r.MD5Attributes, SenderID: sender,
		SentAt: store.Millis(now), VisibleAt: store.Millis(now.Add(time.Duration(delay) * time.Second)), GroupID: e.GroupID, DedupID: dedup}
	if len(e.Attributes) > 0 {
		m.Attributes, _ = json.Marshal(e.Attributes)
	}
	if len(e.SystemAttributes) > 0 {
		m.SystemAttrs, _ = json.Marshal(e.SystemAttributes)
	}
	r.stored = m
	return r
}

var attrNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// checkAttributes validates message attributes (system: message system attributes).
func checkAttributes(attrs map[string]Attribute, system bool) error {
	if len(attrs) > MaxMessageAttributes {
		return errInvalidParam("Number of message attributes [%d] exceeds the allowed maximum [%d].", len(attrs), MaxMessageAttributes)
	}
	for name, a := range attrs {
		if system {
			if name != "AWSTraceHeader" {
				return errInvalidParam("Message system attribute name '%s' is invalid.", name)
			}
			if a.DataType != "String" {
				return errInvalidParam("Message system attribute 'AWSTraceHeader' must be of type String.")
			}
		} else {
			lower := strings.ToLower(name)
			if len(name) > MaxAttributeNameLength || !attrNameRE.MatchString(name) || strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") ||
				strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, "..") {
				return errInvalidParam("Message (user) attribute name '%s' is invalid. The attribute name can contain alphanumeric characters, underscore (_), hyphen (-) and period (.). It must not start or end with a period, contain consecutive periods, or start with AWS. or Amazon.", name)
			}
		}
		base, custom, _ := strings.Cut(a.DataType, ".")
		if a.DataType == "" {
			return errInvalidParam("The message attribute '%s' must contain non-empty message attribute type.", name)
		}
		if (base != "String" && base != "Number" && base != "Binary") || (strings.Contains(a.DataType, ".") && custom == "") || len(a.DataType) > MaxAttributeNameLength {
			return errInvalidParam("The type of message (user) attribute '%s' is invalid. You must use only the following supported type prefixes: Binary, Number, String.", name)
		}
		if len(a.StringListValues) > 0 || len(a.BinaryListValues) > 0 {
			return errInvalidParam("Message attribute list values in SendMessage operation are not supported.")
		}
		switch base {
		case "Binary":
			if len(a.BinaryValue) == 0 {
				return errInvalidParam("The message attribute '%s' with type 'Binary' must use field 'Binary'.", name)
			}
		default:
			if a.StringValue == nil || *a.StringValue == "" {
				return errInvalidParam("The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, base)
			}
			if !validText(*a.StringValue) {
				return sqsError("InvalidMessageContents", "Invalid characters found in the message attribute '%s'.", name)
			}
			if base == "Number" && !validNumber(*a.StringValue) {
				return errInvalidParam("Could not cast message attribute '%s' value to number.", name)
			}
		}
	}
	return nil
}

// validNumber reports whether v is a number SQS accepts: up to 38 significant digits, between
// -10^126 and 10^126, magnitude at least 10^-128 (or zero).
func validNumber(v string) bool {
	f, ok := new(big.Float).SetPrec(256).SetString(strings.TrimSpace(v))
	if !ok {
		return false
	}
	digits := 0
	for _, c := range strings.TrimLeft(strings.SplitN(strings.ToLower(v), "e", 2)[0], "+-0.") {
		if c >= '0' && c <= '9' {
			digits++
		}
	}
	if digits > MaxNumberDigits {
		return false
	}
	if f.Sign() == 0 {
		return true
	}
	abs := new(big.Float).Abs(f)
	hi, _ := new(big.Float).SetPrec(256).SetString("1e126")
	lo, _ := new(big.Float).SetPrec(256).SetString("1e-128")
	return abs.Cmp(hi) <= 0 && abs.Cmp(lo) >= 0
}

// AttributesMD5 computes MD5OfMessageAttributes as SQS does (and as the SDKs verify it): for each
// attribute in name order, the length-prefixed name, the length-prefixed data type, a transport
// type byte (1 string, 2 binary, 3 string list, 4 binary list) and the length-prefixed value(s),
// all MD5-hashed together. It is "" for no attributes.
func AttributesMD5(attrs map[string]Attribute) string {
	if len(attrs) == 0 {
		return ""
	}
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	h := md5.New()
	put := func(b []byte) {
		var l [4]byte
		binary.BigEndian.PutUint32(l[:], uint32(len(b)))
		h.Write(l[:])
		h.Write(b)
	}
	for _, n := range names {
		a := attrs[n]
		put([]byte(n))
		put([]byte(a.DataType))
		switch {
		case a.StringValue != nil:
			h.Write([]byte{1})
			put([]byte(*a.StringValue))
		case a.BinaryValue != nil:
			h.Write([]byte{2})
			put(a.BinaryValue)
		case len(a.StringListValues) > 0:
			h.Write([]byte{3})
			for _, v := range a.StringListValues {
				put([]byte(v))
			}
		case len(a.BinaryListValues) > 0:
			h.Write([]byte{4})
			for _, v := range a.BinaryListValues {
				put(v)
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}
