// Package logs serves the CloudWatch Logs API (awsJson 1.1, target prefix Logs_20140328): it
// decodes each operation's input, calls the logs service (and its Logs Insights query runner),
// and encodes the output with the member names of botocore's logs model. It holds no domain
// logic and no state of its own.
package logs

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/logs"
	"github.com/ceap/ceap/internal/protocol"
)

// Handler serves the CloudWatch Logs API.
type Handler struct {
	svc     *logs.Service
	queries *logs.Queries
	rpc     *protocol.RPCService
}

// New returns the handler of svc, whose Logs Insights queries run on queries.
func New(svc *logs.Service, queries *logs.Queries, log *slog.Logger) *Handler {
	h := &Handler{svc: svc, queries: queries}
	h.rpc = &protocol.RPCService{Key: protocol.Logs, Log: log, Ops: map[string]protocol.Op{
		"CreateLogGroup":           h.createLogGroup,
		"DeleteLogGroup":           h.deleteLogGroup,
		"DescribeLogGroups":        h.describeLogGroups,
		"PutRetentionPolicy":       h.putRetentionPolicy,
		"DeleteRetentionPolicy":    h.deleteRetentionPolicy,
		"CreateLogStream":          h.createLogStream,
		"DeleteLogStream":          h.deleteLogStream,
		"DescribeLogStreams":       h.describeLogStreams,
		"PutLogEvents":             h.putLogEvents,
		"GetLogEvents":             h.getLogEvents,
		"FilterLogEvents":          h.filterLogEvents,
		"TagResource":              h.tagResource,
		"UntagResource":            h.untagResource,
		"ListTagsForResource":      h.listTagsForResource,
		"TagLogGroup":              h.tagLogGroup,
		"UntagLogGroup":            h.untagLogGroup,
		"ListTagsLogGroup":         h.listTagsLogGroup,
		"StartQuery":               h.startQuery,
		"GetQueryResults":          h.getQueryResults,
		"StopQuery":                h.stopQuery,
		"DescribeQueries":          h.describeQueries,
		"GetLogRecord":             h.getLogRecord,
		"PutQueryDefinition":       h.putQueryDefinition,
		"DescribeQueryDefinitions": h.describeQueryDefinitions,
		"DeleteQueryDefinition":    h.deleteQueryDefinition,
	}}
	return h
}

// ServeAWS serves one request.
func (h *Handler) ServeAWS(w http.ResponseWriter, r *protocol.Request) { h.rpc.Serve(w, r) }

// WriteError encodes err as a CloudWatch Logs error.
func (h *Handler) WriteError(w http.ResponseWriter, r *protocol.Request, err error) {
	h.rpc.WriteError(w, r, err)
}

func required(name, value string) error {
	if value == "" {
		return awserr.MissingMember("InvalidParameterException", name)
	}
	return nil
}

type groupName struct {
	LogGroupName string `json:"logGroupName"`
}

type createLogGroupIn struct {
	LogGroupName  string            `json:"logGroupName"`
	KmsKeyID      string            `json:"kmsKeyId"`
	Tags          map[string]string `json:"tags"`
	LogGroupClass string            `json:"logGroupClass"`
}

func (h *Handler) createLogGroup(ctx context.Context, r *protocol.Request) (any, error) {
	var in createLogGroupIn
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("logGroupName", in.LogGroupName); err != nil {
		return nil, err
	}
	return nil, h.svc.CreateLogGroup(ctx, r.Caller.Account, logs.CreateLogGroupInput{Name: in.LogGroupName, KMSKey: in.KmsKeyID, Tags: in.Tags, Class: in.LogGroupClass})
}

func (h *Handler) deleteLogGroup(ctx context.Context, r *protocol.Request) (any, error) {
	var in groupName
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("logGroupName", in.LogGroupName); err != nil {
		return nil, err
	}
	return nil, h.svc.DeleteLogGroup(ctx, r.Caller.Account, in.LogGroupName)
}

type describeLogGroupsIn struct {
	LogGroupNamePrefix  string `json:"logGroupNamePrefix"`
	LogGroupNamePattern string `json:"logGroupNamePattern"`
	NextToken           string `json:"nextToken"`
	Limit               int    `json:"limit"`
}

type logGroupOut struct {
	LogGroupName      string `json:"logGroupName"`
	CreationTime      int64  `json:"creationTime"`
	RetentionInDays   *int   `json:"retentionInDays,omitempty"`
	MetricFilterCount int    `json:"metricFilterCount"`
	Arn               string `json:"arn"`
	StoredBytes       int64  `json:"storedBytes"`
	KmsKeyID          string `json:"kmsKeyId,omitempty"`
	LogGroupClass     string `json:"logGroupClass"`
	LogGroupArn       string `json:"logGroupArn"`
}

type describeLogGroupsOut struct {
	LogGroups []logGroupOut `json:"logGroups"`
	NextToken string        `json:"nextToken,omitempty"`
}

func (h *Handler) describeLogGroups(ctx context.Context, r *protocol.Request) (any, error) {
	var in describeLogGroupsIn
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	groups, next, err := h.svc.DescribeLogGroups(ctx, r.Caller.Account, logs.DescribeLogGroupsInput{
		Prefix: in.LogGroupNamePrefix, Pattern: in.LogGroupNamePattern, NextToken: in.NextToken, Limit: in.Limit,
	})
	if err != nil {
		return nil, err
	}
	out := describeLogGroupsOut{LogGroups: make([]logGroupOut, len(groups)), NextToken: next}
	for i, g := range groups {
		o := logGroupOut{LogGroupName: g.Name, CreationTime: g.Created, Arn: g.ARN + ":*", StoredBytes: g.StoredBytes,
			KmsKeyID: g.KMSKey, LogGroupClass: g.Class, LogGroupArn: g.ARN}
		if g.RetentionDays > 0 {
			days := g.RetentionDays
			o.RetentionInDays = &days
		}
		out.LogGroups[i] = o
	}
	return out, nil
}

type retentionIn struct {
	LogGroupName    string `json:"logGroupName"`
	RetentionInDays *int   `json:"retentionInDays"`
}

func (h *Handler) putRetentionPolicy(ctx context.Context, r *protocol.Request) (any, error) {
	var in retentionIn
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("logGroupName", in.LogGroupName); err != nil {
		return nil, err
	}
	if in.RetentionInDays == nil {
		return nil, required("retentionInDays", "")
	}
	return nil, h.svc.PutRetentionPolicy(ctx, r.Caller.Account, in.LogGroupName, *in.RetentionInDays)
}

func (h *Handler) deleteRetentionPolicy(ctx context.Context, r *protocol.Request) (any, error) {
	var in groupName
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("logGroupName", in.LogGroupName); err != nil {
		return nil, err
	}
	return nil, h.svc.DeleteRetentionPolicy(ctx, r.Caller.Account, in.LogGroupName)
}

type streamIn struct {
	LogGroupName  string `json:"logGroupName"`
	LogStreamName string `json:"logStreamName"`
}

func (in streamIn) check() error {
	if err := required("logGroupName", in.LogGroupName); err != nil {
		return err
	}
	return required("logStreamName", in.LogStreamName)
}

func (h *Handler) createLogStream(ctx context.Context, r *protocol.Request) (any, error) {
	var in streamIn
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	return nil, h.svc.CreateLogStream(ctx, r.Caller.Account, in.LogGroupName, in.LogStreamName)
}

func (h *Handler) deleteLogStream(ctx context.Context, r *protocol.Request) (any, error) {
	var in streamIn
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	return nil, h.svc.DeleteLogStream(ctx, r.Caller.Account, in.LogGroupName, in.LogStreamName)
}

type describeLogStreamsIn struct {
	LogGroupName        string `json:"logGroupName"`
	LogGroupIdentifier  string `json:"logGroupIdentifier"`
	LogStreamNamePrefix string `json:"logStreamNamePrefix"`
	OrderBy             string `json:"orderBy"`
	Descending          bool   `json:"descending"`
	NextToken           string `json:"nextToken"`
	Limit               int    `json:"limit"`
}

type logStreamOut struct {
	LogStreamName       string `json:"logStreamName"`
	CreationTime        int64  `json:"creationTime"`
	FirstEventTimestamp int64  `json:"firstEventTimestamp,omitempty"`
	LastEventTimestamp  int64  `json:"lastEventTimestamp,omitempty"`
	LastIngestionTime   int64  `json:"lastIngestionTime,omitempty"`
	Arn                 string `json:"arn"`
	StoredBytes         int64  `json:"storedBytes"`
}

type describeLogStreamsOut struct {
	LogStreams []logStreamOut `json:"logStreams"`
	NextToken  string         `json:"nextToken,omitempty"`
}

func (h *Handler) describeLogStreams(ctx context.Context, r *protocol.Request) (any, error) {
	var in describeLogStreamsIn
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	group, err := logs.GroupName(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	streams, next, err := h.svc.DescribeLogStreams(ctx, r.Caller.Account, logs.DescribeLogStreamsInput{
		Group: group, Prefix: in.LogStreamNamePrefix, OrderBy: in.OrderBy, Descending: in.Descending, NextToken: in.NextToken, Limit: in.Limit,
	})
	if err != nil {
		return nil, err
	}
	out := describeLogStreamsOut{LogStreams: make([]logStreamOut, len(streams)), NextToken: next}
	for i, s := range streams {
		out.LogStreams[i] = logStreamOut{LogStreamName: s.Name, CreationTime: s.Created, FirstEventTimestamp: s.FirstEvent,
			LastEventTimestamp: s.LastEvent, LastIngestionTime: s.LastIngestion, Arn: s.ARN, StoredBytes: s.StoredBytes}
	}
	return out, nil
}

type inputLogEvent struct {
	Timestamp *int64  `json:"timestamp"`
	Message   *string `json:"message"`
}

type putLogEventsIn struct {
	LogGroupName  string          `json:"logGroupName"`
	LogStreamName string          `json:"logStreamName"`
	LogEvents     []inputLogEvent `json:"logEvents"`
	SequenceToken string          `json:"sequenceToken"`
}

type rejectedOut struct {
	TooNewLogEventStartIndex *int `json:"tooNewLogEventStartIndex,omitempty"`
	TooOldLogEventEndIndex   *int `json:"tooOldLogEventEndIndex,omitempty"`
	ExpiredLogEventEndIndex  *int `json:"expiredLogEventEndIndex,omitempty"`
}

type putLogEventsOut struct {
	RejectedLogEventsInfo *rejectedOut `json:"rejectedLogEventsInfo,omitempty"`
}

func (h *Handler) putLogEvents(ctx context.Context, r *protocol.Request) (any, error) {
	var in putLogEventsIn
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := (streamIn{in.LogGroupName, in.LogStreamName}).check(); err != nil {
		return nil, err
	}
	if in.LogEvents == nil {
		return nil, required("logEvents", "")
	}
	events := make([]logs.Event, len(in.LogEvents))
	for i, e := range in.LogEvents {
		if e.Timestamp == nil || e.Message == nil {
			return nil, awserr.MissingMember("InvalidParameterException", "logEvents."+strconv.Itoa(i+1)+".member.timestamp")
		}
		events[i] = logs.Event{Timestamp: *e.Timestamp, Message: *e.Message}
	}
	rej, err := h.svc.PutLogEvents(ctx, r.Caller.Account, in.LogGroupName, in.LogStreamName, events)
	if err != nil {
		return nil, err
	}
	var out putLogEventsOut
	if rej != nil {
		out.RejectedLogEventsInfo = &rejectedOut{TooNewLogEventStartIndex: rej.TooNewStartIndex, TooOldLogEventEndIndex: rej.TooOldEndIndex, ExpiredLogEventEndIndex: rej.ExpiredEndIndex}
	}
	return out, nil
}

type getLogEventsIn struct {
	LogGroupName       string `json:"logGroupName"`
	LogGroupIdentifier string `json:"logGroupIdentifier"`
	LogStreamName      string `json:"logStreamName"`
	StartTime          int64  `json:"startTime"`
	EndTime            int64  `json:"endTime"`
	NextToken          string `json:"nextToken"`
	Limit              int    `json:"limit"`
	StartFromHead      bool   `json:"startFromHead"`
}

type outputLogEvent struct {
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
}

type getLogEventsOut struct {
	Events            []outputLogEvent `json:"events"`
	NextForwardToken  string           `json:"nextForwardToken"`
	NextBackwardToken string           `json:"nextBackwardToken"`
}

func (h *Handler) getLogEvents(ctx context.Context, r *protocol.Request) (any, error) {
	var in getLogEventsIn
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("logStreamName", in.LogStreamName); err != nil {
		return nil, err
	}
	group, err := logs.GroupName(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	res, err := h.svc.GetLogEvents(ctx, r.Caller.Account, logs.GetLogEventsInput{
		Group: group, Stream: in.LogStreamName, StartTime: in.StartTime, EndTime: in.EndTime,
		NextToken: in.NextToken, Limit: in.Limit, StartFromHead: in.StartFromHead,
	})
	if err != nil {
		return nil, err
	}
	out := getLogEventsOut{Events: make([]outputLogEvent, len(res.Events)), NextForwardToken: res.NextForward, NextBackwardToken: res.NextBackward}
	for i, e := range res.Events {
		out.Events[i] = outputLogEvent{Timestamp: e.Timestamp, Message: e.Message, IngestionTime: e.Ingestion}
	}
	return out, nil
}

type filterLogEventsIn struct {
	LogGroupName        string   `json:"logGroupName"`
	LogGroupIdentifier  string   `json:"logGroupIdentifier"`
	LogStreamNames      []string `json:"logStreamNames"`
	LogStreamNamePrefix string   `json:"logStreamNamePrefix"`
	StartTime           int64    `json:"startTime"`
	EndTime             int64    `json:"endTime"`
	FilterPattern       string   `json:"filterPattern"`
	NextToken           string   `json:"nextToken"`
	Limit               int      `json:"limit"`
}

type filteredLogEvent struct {
	LogStreamName string `json:"logStreamName"`
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
	EventID       string `json:"eventId"`
}

type searchedLogStream struct {
	LogStreamName      string `json:"logStreamName"`
	SearchedCompletely bool   `json:"searchedCompletely"`
}

type filterLogEventsOut struct {
	Events             []filteredLogEvent  `json:"events"`
	SearchedLogStreams []searchedLogStream `json:"searchedLogStreams"`
	NextToken          string              `json:"nextToken,omitempty"`
}

func (h *Handler) filterLogEvents(ctx context.Context, r *protocol.Request) (any, error) {
	var in filterLogEventsIn
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	group, err := logs.GroupName(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	res, err := h.svc.FilterLogEvents(ctx, r.Caller.Account, logs.FilterLogEventsInput{
		Group: group, Streams: in.LogStreamNames, StreamPrefix: in.LogStreamNamePrefix, StartTime: in.StartTime,
		EndTime: in.EndTime, Pattern: in.FilterPattern, NextToken: in.NextToken, Limit: in.Limit,
	})
	if err != nil {
		return nil, err
	}
	out := filterLogEventsOut{Events: make([]filteredLogEvent, len(res.Events)), SearchedLogStreams: make([]searchedLogStream, len(res.Searched)), NextToken: res.NextToken}
	for i, e := range res.Events {
		out.Events[i] = filteredLogEvent{LogStreamName: e.Stream, Timestamp: e.Timestamp, Message: e.Message, IngestionTime: e.Ingestion, EventID: e.EventID}
	}
	for i, s := range res.Searched {
		out.SearchedLogStreams[i] = searchedLogStream{LogStreamName: s, SearchedCompletely: res.NextToken == ""}
	}
	return out, nil
}

type tagResourceIn struct {
	ResourceArn string            `json:"resourceArn"`
	Tags        map[string]string `json:"tags"`
	TagKeys     []string          `json:"tagKeys"`
}

type tagsOut struct {
	Tags map[string]string `json:"tags"`
}

func (h *Handler) tagResource(ctx context.Context, r *protocol.Request) (any, error) {
	var in tagResourceIn
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	name, err := logs.GroupOfARN(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	return nil, h.svc.Tag(ctx, r.Caller.Account, name, in.Tags, nil)
}

func (h *Handler) untagResource(ctx context.Context, r *protocol.Request) (any, error) {
	var in tagResourceIn
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	name, err := logs.GroupOfARN(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	return nil, h.svc.Tag(ctx, r.Caller.Account, name, nil, in.TagKeys)
}

func (h *Handler) listTagsForResource(ctx context.Context, r *protocol.Request) (any, error) {
	var in tagResourceIn
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	name, err := logs.GroupOfARN(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	tags, err := h.svc.Tags(ctx, r.Caller.Account, name)
	if err != nil {
		return nil, err
	}
	return tagsOut{Tags: tags}, nil
}

type tagLogGroupIn struct {
	LogGroupName string            `json:"logGroupName"`
	Tags         map[string]string `json:"tags"`
}

func (h *Handler) tagLogGroup(ctx context.Context, r *protocol.Request) (any, error) {
	var in tagLogGroupIn
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	return nil, h.svc.Tag(ctx, r.Caller.Account, in.LogGroupName, in.Tags, nil)
}

type untagLogGroupIn struct {
	LogGroupName string   `json:"logGroupName"`
	Tags         []string `json:"tags"`
}

func (h *Handler) untagLogGroup(ctx context.Context, r *protocol.Request) (any, error) {
	var in untagLogGroupIn
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	return nil, h.svc.Tag(ctx, r.Caller.Account, in.LogGroupName, nil, in.Tags)
}

func (h *Handler) listTagsLogGroup(ctx context.Context, r *protocol.Request) (any, error) {
	var in groupName
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	tags, err := h.svc.Tags(ctx, r.Caller.Account, in.LogGroupName)
	if err != nil {
		return nil, err
	}
	return tagsOut{Tags: tags}, nil
}
