// Package logs owns CloudWatch Logs: log groups, their streams and events, retention, and the
// searches over them (GetLogEvents, FilterLogEvents with the filter-pattern syntax of
// logs/filterpattern). It is the service every other service writes its user-visible logs to,
// through Service.Put: functions write START/END/REPORT lines and their output, jobs their output
// and errors, state machines their execution events.
//
// It keeps its data through store.LogStore and knows nothing of HTTP or of the wire protocol; it
// must never import the api or protocol packages.
package logs

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/clock"
	"github.com/ceap/ceap/internal/logs/filterpattern"
	"github.com/ceap/ceap/internal/store"
)

// CloudWatch Logs limits.
const (
	// MaxBatchEvents is PutLogEvents' limit on events per call (10,000).
	MaxBatchEvents = 10000
	// MaxBatchBytes is PutLogEvents' limit on a batch: the sum of the UTF-8 sizes of the messages
	// plus 26 bytes per event (1,048,576 bytes).
	MaxBatchBytes = 1048576
	// EventOverhead is the per-event size that CloudWatch Logs adds to a message (26 bytes).
	EventOverhead = 26
	// MaxEventBytes is the largest event, message plus overhead (256 KB).
	MaxEventBytes = 256 * 1024
	// MaxBatchSpan is the widest time span of one PutLogEvents batch (24 hours).
	MaxBatchSpan = 24 * time.Hour
	// MaxEventAge is how old an event may be when it is put (14 days).
	MaxEventAge = 14 * 24 * time.Hour
	// MaxEventFuture is how far in the future an event may be when it is put (2 hours).
	MaxEventFuture = 2 * time.Hour
	// MaxEventsPerPage is the default and largest page of GetLogEvents and FilterLogEvents (10,000).
	MaxEventsPerPage = 10000
	// MaxResponseBytes is the most event data GetLogEvents and FilterLogEvents return at once
	// (1 MB).
	MaxResponseBytes = 1048576
	// MaxDescribeLimit is the default and largest page of DescribeLogGroups and DescribeLogStreams (50).
	MaxDescribeLimit = 50
	// MaxNameLength is the longest log group or stream name (512).
	MaxNameLength = 512
	// MaxLogStreamNames is FilterLogEvents' limit on logStreamNames (100).
	MaxLogStreamNames = 100
	// MaxFilterPatternLength is the longest filter pattern (1,024).
	MaxFilterPatternLength = 1024
	// MaxTags is the most tags a log group may have (50).
	MaxTags = 50
	// filterScanBudget is how many stored events one FilterLogEvents call examines before it
	// returns a page (possibly empty) with a nextToken, as CloudWatch Logs does on large groups
	// (it bounds a call by time). A million events take well under a second to examine.
	filterScanBudget = 1000000
	// DefaultRetentionInterval is how often expired events are deleted.
	DefaultRetentionInterval = time.Minute
)

// validRetention returns whether days is one of the retention periods that CloudWatch Logs allows.
func validRetention(days int) bool {
	switch days {
	case 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653:
		return true
	}
	return false
}

// groupNamePattern is the model's pattern for log group names.
var groupNamePattern = regexp.MustCompile(`^[\.\-_/#A-Za-z0-9]+$`)

// Config configures the service. The zero value of every field but Store means its default.
type Config struct {
	Store  store.LogStore
	Clock  clock.Clock
	Log    *slog.Logger
	Region string
	// RetentionInterval is how often expired events are deleted.
	RetentionInterval time.Duration
}

// Service is the CloudWatch Logs service.
type Service struct {
	store    store.LogStore
	clock    clock.Clock
	log      *slog.Logger
	region   string
	interval time.Duration

	// groups and streams cache the ids of the groups and streams that Put writes to. A stream
	// that is not cached is created (when missing) and written in one store write; the cache of
	// streams is emptied when it reaches maxCachedStreams, since Step Functions names a new
	// stream per execution.
	mu      sync.Mutex
	groups  map[string]int64
	streams map[streamKey]int64

	cancel context.CancelFunc
	done   chan struct{}
}

// New returns the service.
func New(cfg Config) *Service {
	lg := cfg.Log
	if lg == nil {
		lg = slog.Default()
	}
	region := cfg.Region
	if region == "" {
		region = "us-east-1"
	}
	interval := cfg.RetentionInterval
	if interval <= 0 {
		interval = DefaultRetentionInterval
	}
	return &Service{
		store: cfg.Store, clock: clock.Or(cfg.Clock), log: lg.With("component", "logs"), region: region, interval: interval,
		groups: map[string]int64{}, streams: map[streamKey]int64{},
	}
}

// Errors of the service, with CloudWatch Logs' codes and messages.
func groupNotFound() error {
	return awserr.New("ResourceNotFoundException", "The specified log group does not exist.")
}

func streamNotFound() error {
	return awserr.New("ResourceNotFoundException", "The specified log stream does not exist.")
}

func invalid(format string, args ...any) error {
	return awserr.New("InvalidParameterException", format, args...)
}

// Event is one log event: its time in Unix milliseconds and its message.
type Event struct {
	Timestamp int64
	Message   string
}

// LogGroup is a log group as DescribeLogGroups shows it.
type LogGroup struct {
	Name          string
	ARN           string
	Created       int64
	RetentionDays int
	StoredBytes   int64
	Class         string
	KMSKey        string
}

// LogStream is a log stream as DescribeLogStreams shows it.
type LogStream struct {
	Name          string
	ARN           string
	Created       int64
	FirstEvent    int64
	LastEvent     int64
	LastIngestion int64
	StoredBytes   int64
}

func (s *Service) groupARN(account, name string) string {
	return "arn:aws:logs:" + s.region + ":" + account + ":log-group:" + name
}

func toGroup(r *store.LogGroupRow) LogGroup {
	return LogGroup{Name: r.Name, ARN: r.ARN, Created: r.Created, RetentionDays: r.RetentionDays, StoredBytes: r.StoredBytes, Class: r.Class, KMSKey: r.KMSKey}
}

func checkGroupName(name string) error {
	if name == "" || len(name) > MaxNameLength || !groupNamePattern.MatchString(name) {
		return invalid("1 validation error detected: Value '%s' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+", name)
	}
	return nil
}

func checkStreamName(name string) error {
	if name == "" || len(name) > MaxNameLength || strings.ContainsAny(name, ":*") {
		return invalid("1 validation error detected: Value '%s' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*", name)
	}
	return nil
}

// GroupName resolves a logGroupName or logGroupIdentifier (a name or an ARN) to a name.
func GroupName(name, identifier string) (string, error) {
	switch {
	case name != "" && identifier != "":
		return "", invalid("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
	case name != "":
		return name, nil
	case strings.HasPrefix(identifier, "arn:"):
		_, rest, ok := strings.Cut(identifier, ":log-group:")
		if !ok {
			return "", invalid("Invalid log group ARN: %s", identifier)
		}
		return strings.TrimSuffix(rest, ":*"), nil
	case identifier != "":
		return identifier, nil
	}
	return "", invalid("Either LogGroupName or LogGroupIdentifier must be specified.")
}

// CreateLogGroupInput are the arguments of CreateLogGroup.
type CreateLogGroupInput struct {
	Name   string
	KMSKey string
	Tags   map[string]string
	Class  string
}

// CreateLogGroup creates a log group.
func (s *Service) CreateLogGroup(ctx context.Context, account string, in CreateLogGroupInput) error {
	if err := checkGroupName(in.Name); err != nil {
		return err
	}
	if len(in.Tags) > MaxTags {
		return invalid("A log group can have at most %d tags.", MaxTags)
	}
	switch in.Class {
	case "", "STANDARD", "INFREQUENT_ACCESS", "DELIVERY":
	default:
		return invalid("1 validation error detected: Value '%s' at 'logGroupClass' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, INFREQUENT_ACCESS, DELIVERY]", in.Class)
	}
	tags, err := json.Marshal(nonNil(in.Tags))
	if err != nil {
		return fmt.Errorf("encode tags: %w", err)
	}
	_, err = s.store.LogGroupCreate(ctx, &store.LogGroupCreateParams{Row: &store.LogGroupRow{
		Account: account, Name: in.Name, ARN: s.groupARN(account, in.Name), Created: s.clock.Now().UnixMilli(),
		Class: in.Class, KMSKey: in.KMSKey, Tags: tags,
	}})
	if errors.Is(err, store.ErrAlreadyExists) {
		return awserr.New("ResourceAlreadyExistsException", "The specified log group already exists")
	}
	if err != nil {
		return fmt.Errorf("create log group %q: %w", in.Name, err)
	}
	return nil
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func (s *Service) forget(account, group string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.groups, account+"\x00"+group)
	clear(s.streams)
}

// DeleteLogGroup deletes a log group with its streams and events.
func (s *Service) DeleteLogGroup(ctx context.Context, account, name string) error {
	if err := checkGroupName(name); err != nil {
		return err
	}
	s.forget(account, name)
	err := s.store.LogGroupDelete(ctx, &store.LogGroupGetParams{Account: account, Name: name})
	if errors.Is(err, store.ErrNotFound) {
		return groupNotFound()
	}
	if err != nil {
		return fmt.Errorf("delete log group %q: %w", name, err)
	}
	return nil
}

func (s *Service) group(ctx context.Context, account, name string) (*store.LogGroupRow, error) {
	g, err := s.store.LogGroupGet(ctx, &store.LogGroupGetParams{Account: account, Name: name})
	if errors.Is(err, store.ErrNotFound) {
		return nil, groupNotFound()
	}
	if err != nil {
		return nil, fmt.Errorf("get log group %q: %w", name, err)
	}
	return g, nil
}

// DescribeLogGroupsInput are the arguments of DescribeLogGroups.
type DescribeLogGroupsInput struct {
	Prefix    string
	Pattern   string
	NextToken string
	Limit     int
}

// DescribeLogGroups lists log groups by name.
func (s *Service) DescribeLogGroups(ctx context.Context, account string, in DescribeLogGroupsInput) ([]LogGroup, string, error) {
	if in.Prefix != "" && in.Pattern != "" {
		return nil, "", invalid("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")
	}
	limit, err := pageLimit(in.Limit, MaxDescribeLimit)
	if err != nil {
		return nil, "", err
	}
	after, err := decodeToken(in.NextToken)
	if err != nil {
		return nil, "", err
	}
	var out []LogGroup
	for {
		rows, err := s.store.LogGroupList(ctx, &store.LogGroupListParams{Account: account, NamePrefix: in.Prefix, After: after, Limit: limit + 1})
		if err != nil {
			return nil, "", fmt.Errorf("list log groups: %w", err)
		}
		for i, r := range rows {
			if i == limit {
				return out, encodeToken(after), nil
			}
			after = r.Name
			if in.Pattern != "" && !strings.Contains(strings.ToLower(r.Name), strings.ToLower(in.Pattern)) {
				continue
			}
			out = append(out, toGroup(r))
			if len(out) == limit && i < len(rows)-1 {
				return out, encodeToken(after), nil
			}
		}
		if len(rows) <= limit {
			return out, "", nil
		}
	}
}

func pageLimit(limit, max int) (int, error) {
	switch {
	case limit == 0:
		return max, nil
	case limit < 1 || limit > max:
		return 0, invalid("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and %d", limit, max)
	}
	return limit, nil
}

func encodeToken(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// cutPage takes rows read with one more than limit asked for, keeps limit of them, and returns
// the token of the last one kept when there were more ("" when the listing ends here).
func cutPage[T any](rows []T, limit int, key func(T) string) ([]T, string) {
	if len(rows) <= limit {
		return rows, ""
	}
	rows = rows[:limit]
	return rows, encodeToken(key(rows[limit-1]))
}

func decodeToken(t string) (string, error) {
	if t == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(t)
	if err != nil {
		return "", invalid("The specified nextToken is invalid.")
	}
	return string(b), nil
}

// PutRetentionPolicy sets how many days a group keeps its events.
func (s *Service) PutRetentionPolicy(ctx context.Context, account, name string, days int) error {
	if !validRetention(days) {
		return invalid("1 validation error detected: Value '%d' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]", days)
	}
	return s.setRetention(ctx, account, name, days)
}

// DeleteRetentionPolicy makes a group keep its events forever.
func (s *Service) DeleteRetentionPolicy(ctx context.Context, account, name string) error {
	return s.setRetention(ctx, account, name, 0)
}

func (s *Service) setRetention(ctx context.Context, account, name string, days int) error {
	g, err := s.group(ctx, account, name)
	if err != nil {
		return err
	}
	if err := s.store.LogGroupUpdate(ctx, &store.LogGroupUpdateParams{Account: account, Name: name, RetentionDays: days, Tags: g.Tags}); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return groupNotFound()
		}
		return fmt.Errorf("set retention of %q: %w", name, err)
	}
	return nil
}

// Tags returns a group's tags.
func (s *Service) Tags(ctx context.Context, account, name string) (map[string]string, error) {
	g, err := s.group(ctx, account, name)
	if err != nil {
		return nil, err
	}
	tags := map[string]string{}
	if err := json.Unmarshal(g.Tags, &tags); err != nil {
		return nil, fmt.Errorf("decode tags of %q: %w", name, err)
	}
	return tags, nil
}

// Tag adds tags to a group and removes the keys in remove.
func (s *Service) Tag(ctx context.Context, account, name string, add map[string]string, remove []string) error {
	g, err := s.group(ctx, account, name)
	if err != nil {
		return err
	}
	tags := map[string]string{}
	if err := json.Unmarshal(g.Tags, &tags); err != nil {
		return fmt.Errorf("decode tags of %q: %w", name, err)
	}
	for k, v := range add {
		tags[k] = v
	}
	for _, k := range remove {
		delete(tags, k)
	}
	if len(tags) > MaxTags {
		return awserr.New("TooManyTagsException", "A log group can have at most %d tags.", MaxTags)
	}
	b, err := json.Marshal(tags)
	if err != nil {
		return fmt.Errorf("encode tags: %w", err)
	}
	if err := s.store.LogGroupUpdate(ctx, &store.LogGroupUpdateParams{Account: account, Name: name, RetentionDays: g.RetentionDays, Tags: b}); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return groupNotFound()
		}
		return fmt.Errorf("tag %q: %w", name, err)
	}
	return nil
}

// GroupOfARN returns the group name in a log group ARN.
func GroupOfARN(arn string) (string, error) {
	_, rest, ok := strings.Cut(arn, ":log-group:")
	if !ok || !strings.HasPrefix(arn, "arn:") {
		return "", awserr.New("ResourceNotFoundException", "The specified resource does not exist.")
	}
	return strings.TrimSuffix(rest, ":*"), nil
}

// CreateLogStream creates a stream in a group.
func (s *Service) CreateLogStream(ctx context.Context, account, group, name string) error {
	if err := checkGroupName(group); err != nil {
		return err
	}
	if err := checkStreamName(name); err != nil {
		return err
	}
	g, err := s.group(ctx, account, group)
	if err != nil {
		return err
	}
	_, err = s.store.LogStreamCreate(ctx, &store.LogStreamCreateParams{GroupID: g.ID, Name: name, Created: s.clock.Now().UnixMilli()})
	switch {
	case errors.Is(err, store.ErrAlreadyExists):
		return awserr.New("ResourceAlreadyExistsException", "The specified log stream already exists")
	case errors.Is(err, store.ErrNotFound):
		return groupNotFound()
	case err != nil:
		return fmt.Errorf("create log stream %q: %w", name, err)
	}
	return nil
}

// DeleteLogStream deletes a stream and its events.
func (s *Service) DeleteLogStream(ctx context.Context, account, group, name string) error {
	g, err := s.group(ctx, account, group)
	if err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.streams, streamKey{g.ID, name})
	s.mu.Unlock()
	err = s.store.LogStreamDelete(ctx, &store.LogStreamGetParams{GroupID: g.ID, Name: name})
	if errors.Is(err, store.ErrNotFound) {
		return streamNotFound()
	}
	if err != nil {
		return fmt.Errorf("delete log stream %q: %w", name, err)
	}
	return nil
}

// DescribeLogStreamsInput are the arguments of DescribeLogStreams.
type DescribeLogStreamsInput struct {
	Group      string
	Prefix     string
	OrderBy    string // LogStreamName (default) or LastEventTime
	Descending bool
	NextToken  string
	Limit      int
}

func (s *Service) streamARN(account, group, stream string) string {
	return s.groupARN(account, group) + ":log-stream:" + stream
}

// DescribeLogStreams lists a group's streams.
func (s *Service) DescribeLogStreams(ctx context.Context, account string, in DescribeLogStreamsInput) ([]LogStream, string, error) {
	limit, err := pageLimit(in.Limit, MaxDescribeLimit)
	if err != nil {
		return nil, "", err
	}
	byTime := false
	switch in.OrderBy {
	case "", "LogStreamName":
	case "LastEventTime":
		byTime = true
		if in.Prefix != "" {
			return nil, "", invalid("Cannot order by LastEventTime with a logStreamNamePrefix.")
		}
	default:
		return nil, "", invalid("1 validation error detected: Value '%s' at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]", in.OrderBy)
	}
	g, err := s.group(ctx, account, in.Group)
	if err != nil {
		return nil, "", err
	}
	tok, err := decodeToken(in.NextToken)
	if err != nil {
		return nil, "", err
	}
	p := &store.LogStreamListParams{GroupID: g.ID, NamePrefix: in.Prefix, ByLastEvent: byTime, Descending: in.Descending, Limit: limit + 1}
	if tok != "" {
		ts, name, _ := strings.Cut(tok, "\x00")
		p.After = name
		p.AfterTime, _ = strconv.ParseInt(ts, 10, 64)
	}
	rows, err := s.store.LogStreamList(ctx, p)
	if err != nil {
		return nil, "", fmt.Errorf("list log streams: %w", err)
	}
	rows, next := cutPage(rows, limit, func(r *store.LogStreamRow) string {
		return strconv.FormatInt(r.LastEvent, 10) + "\x00" + r.Name
	})
	out := make([]LogStream, len(rows))
	for i, r := range rows {
		out[i] = LogStream{Name: r.Name, ARN: s.streamARN(account, in.Group, r.Name), Created: r.Created, FirstEvent: r.FirstEvent,
			LastEvent: r.LastEvent, LastIngestion: r.LastIngestion, StoredBytes: r.StoredBytes}
	}
	return out, next, nil
}

// Rejected says which events of a PutLogEvents batch were not stored, by index ranges.
type Rejected struct {
	TooNewStartIndex *int
	TooOldEndIndex   *int
	ExpiredEndIndex  *int
}

// PutLogEvents stores a batch of events in an existing stream, with CloudWatch Logs' checks.
func (s *Service) PutLogEvents(ctx context.Context, account, group, stream string, events []Event) (*Rejected, error) {
	if len(events) == 0 {
		return nil, invalid("1 validation error detected: Value '[]' at 'logEvents' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if len(events) > MaxBatchEvents {
		return nil, invalid("1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to %d", MaxBatchEvents)
	}
	size := 0
	for i, e := range events {
		if e.Message == "" {
			return nil, invalid("1 validation error detected: Value '' at 'logEvents.%d.member.message' failed to satisfy constraint: Member must have length greater than or equal to 1", i+1)
		}
		if !utf8.ValidString(e.Message) {
			return nil, invalid("Log event message is not valid UTF-8.")
		}
		if len(e.Message)+EventOverhead > MaxEventBytes {
			return nil, invalid("Log event too large: %d bytes exceeds limit of %d", len(e.Message)+EventOverhead, MaxEventBytes)
		}
		size += len(e.Message) + EventOverhead
		if i > 0 && e.Timestamp < events[i-1].Timestamp {
			return nil, invalid("Log events in a single PutLogEvents request must be in chronological order.")
		}
	}
	if size > MaxBatchBytes {
		return nil, invalid("Upload too large: %d bytes exceeds limit of %d", size, MaxBatchBytes)
	}
	if time.Duration(events[len(events)-1].Timestamp-events[0].Timestamp)*time.Millisecond > MaxBatchSpan {
		return nil, invalid("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.")
	}
	g, err := s.group(ctx, account, group)
	if err != nil {
		return nil, err
	}
	st, err := s.store.LogStreamGet(ctx, &store.LogStreamGetParams{GroupID: g.ID, Name: stream})
	if errors.Is(err, store.ErrNotFound) {
		return nil, streamNotFound()
	}
	if err != nil {
		return nil, fmt.Errorf("get log stream %q: %w", stream, err)
	}
	now := s.clock.Now()
	oldest := now.Add(-MaxEventAge).UnixMilli()
	expired := int64(0)
	if g.RetentionDays > 0 {
		expired = now.Add(-time.Duration(g.RetentionDays) * 24 * time.Hour).UnixMilli()
	}
	newest := now.Add(MaxEventFuture).UnixMilli()
	var rej Rejected
	var keep []store.LogEventRow
	for i, e := range events {
		switch {
		case e.Timestamp > newest:
			if rej.TooNewStartIndex == nil {
				i := i
				rej.TooNewStartIndex = &i
			}
		case e.Timestamp < expired:
			i := i
			rej.ExpiredEndIndex = &i
		case e.Timestamp < oldest:
			i := i
			rej.TooOldEndIndex = &i
		default:
			keep = append(keep, store.LogEventRow{Timestamp: e.Timestamp, Message: e.Message})
		}
	}
	if len(keep) > 0 {
		err := s.store.LogEventPut(ctx, &store.LogEventPutParams{GroupID: g.ID, StreamID: st.ID, Now: now.UnixMilli(), Events: keep})
		if errors.Is(err, store.ErrNotFound) {
			return nil, streamNotFound()
		}
		if err != nil {
			return nil, fmt.Errorf("put log events: %w", err)
		}
	}
	if rej.TooNewStartIndex == nil && rej.TooOldEndIndex == nil && rej.ExpiredEndIndex == nil {
		return nil, nil
	}
	return &rej, nil
}

// Put writes events that ceap's own services produce (function output, job output, execution
// events) to a stream, creating the group and the stream when they are missing, as the AWS
// services do with their roles' permissions. Events need not be sorted. The stream is created
// and written in one store write.
func (s *Service) Put(ctx context.Context, account, group, stream string, events []Event) error {
	if len(events) == 0 {
		return nil
	}
	sorted := make([]store.LogEventRow, len(events))
	for i, e := range events {
		msg := e.Message
		if len(msg)+EventOverhead > MaxEventBytes {
			msg = truncateUTF8(msg, MaxEventBytes-EventOverhead)
		}
		sorted[i] = store.LogEventRow{Timestamp: e.Timestamp, Message: msg}
	}
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Timestamp < sorted[j].Timestamp })
	now := s.clock.Now().UnixMilli()
	for attempt := 0; ; attempt++ {
		gid, err := s.ensure(ctx, account, group)
		if err != nil {
			return err
		}
		key := streamKey{gid, stream}
		s.mu.Lock()
		sid, ok := s.streams[key]
		s.mu.Unlock()
		if ok {
			err = s.store.LogEventPut(ctx, &store.LogEventPutParams{GroupID: gid, StreamID: sid, Now: now, Events: sorted})
		} else {
			var ids []int64
			ids, err = s.store.LogStreamsPut(ctx, &store.LogStreamsPutParams{GroupID: gid, Now: now, Streams: []store.LogStreamEvents{{Name: stream, Events: sorted}}})
			if err == nil {
				s.mu.Lock()
				if len(s.streams) >= maxCachedStreams {
					clear(s.streams)
				}
				s.streams[key] = ids[0]
				s.mu.Unlock()
			}
		}
		if errors.Is(err, store.ErrNotFound) && attempt == 0 {
			// The group or the stream was deleted since it was cached; create it again.
			s.forget(account, group)
			continue
		}
		if err != nil {
			return fmt.Errorf("put to %s/%s: %w", group, stream, err)
		}
		return nil
	}
}

// streamKey names a stream in the cache of stream ids.
type streamKey struct {
	group int64
	name  string
}

// maxCachedStreams bounds the cache of stream ids (about 100 bytes each).
const maxCachedStreams = 4096

func truncateUTF8(s string, n int) string {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// ensure returns the id of a group, creating it when missing.
func (s *Service) ensure(ctx context.Context, account, group string) (int64, error) {
	gkey := account + "\x00" + group
	s.mu.Lock()
	gid, ok := s.groups[gkey]
	s.mu.Unlock()
	if ok {
		return gid, nil
	}
	g, err := s.store.LogGroupGet(ctx, &store.LogGroupGetParams{Account: account, Name: group})
	if errors.Is(err, store.ErrNotFound) {
		g, err = s.store.LogGroupCreate(ctx, &store.LogGroupCreateParams{Row: &store.LogGroupRow{
			Account: account, Name: group, ARN: s.groupARN(account, group), Created: s.clock.Now().UnixMilli(), Tags: []byte("{}"),
		}})
		if errors.Is(err, store.ErrAlreadyExists) {
			g, err = s.store.LogGroupGet(ctx, &store.LogGroupGetParams{Account: account, Name: group})
		}
	}
	if err != nil {
		return 0, fmt.Errorf("log group %q: %w", group, err)
	}
	s.mu.Lock()
	s.groups[gkey] = g.ID
	s.mu.Unlock()
	return g.ID, nil
}

// retentionStart is the earliest event time that a group still shows.
func (s *Service) retentionStart(g *store.LogGroupRow) int64 {
	if g.RetentionDays <= 0 {
		return 0
	}
	return s.clock.Now().Add(-time.Duration(g.RetentionDays) * 24 * time.Hour).UnixMilli()
}

// compile parses a filter pattern, answering InvalidParameterException for a bad one.
func compile(pattern string) (*filterpattern.Pattern, error) {
	if len(pattern) > MaxFilterPatternLength {
		return nil, invalid("1 validation error detected: Value at 'filterPattern' failed to satisfy constraint: Member must have length less than or equal to %d", MaxFilterPatternLength)
	}
	p, err := filterpattern.Parse(pattern)
	if err != nil {
		return nil, invalid("Invalid filter pattern: %v", err)
	}
	return p, nil
}
