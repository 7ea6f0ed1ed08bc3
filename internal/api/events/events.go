// Package events serves the Amazon EventBridge API (awsJson 1.1, target prefix AWSEvents) on top
// of the events service: it decodes each operation's input, calls the service, and encodes the
// output with the member names of botocore's events model. It holds no domain logic and no
// state.
package events

import (
	"context"
	"log/slog"
	"net/http"
	"sort"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/events"
	"github.com/ceap/ceap/internal/protocol"
)

// Handler serves the EventBridge API.
type Handler struct {
	svc *events.Service
	rpc *protocol.RPCService
}

// New returns the handler of svc.
func New(svc *events.Service, log *slog.Logger) *Handler {
	h := &Handler{svc: svc}
	h.rpc = &protocol.RPCService{Key: protocol.Events, Log: log, Ops: map[string]protocol.Op{
		"PutRule":             h.putRule,
		"DescribeRule":        h.describeRule,
		"ListRules":           h.listRules,
		"DeleteRule":          h.deleteRule,
		"EnableRule":          h.enableRule,
		"DisableRule":         h.disableRule,
		"PutTargets":          h.putTargets,
		"RemoveTargets":       h.removeTargets,
		"ListTargetsByRule":   h.listTargetsByRule,
		"PutEvents":           h.putEvents,
		"DescribeEventBus":    h.describeEventBus,
		"ListEventBuses":      h.listEventBuses,
		"TagResource":         h.tagResource,
		"UntagResource":       h.untagResource,
		"ListTagsForResource": h.listTagsForResource,
	}}
	return h
}

// ServeAWS serves one request.
func (h *Handler) ServeAWS(w http.ResponseWriter, r *protocol.Request) { h.rpc.Serve(w, r) }

// WriteError encodes err as an EventBridge error.
func (h *Handler) WriteError(w http.ResponseWriter, r *protocol.Request, err error) {
	h.rpc.WriteError(w, r, err)
}

type tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

func tagMap(tags []tag) map[string]string {
	out := map[string]string{}
	for _, t := range tags {
		out[t.Key] = t.Value
	}
	return out
}

type ruleRef struct {
	Name         string `json:"Name"`
	EventBusName string `json:"EventBusName"`
}

func (h *Handler) putRule(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		Name               string  `json:"Name"`
		EventPattern       string  `json:"EventPattern"`
		ScheduleExpression string  `json:"ScheduleExpression"`
		State              string  `json:"State"`
		Description        *string `json:"Description"`
		RoleArn            string  `json:"RoleArn"`
		EventBusName       string  `json:"EventBusName"`
		Tags               []tag   `json:"Tags"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	arn, err := h.svc.PutRule(ctx, r.Caller.Account, r.Caller.Region, events.PutRuleInput{Name: in.Name, EventPattern: in.EventPattern, ScheduleExpression: in.ScheduleExpression,
		State: in.State, Description: in.Description, RoleARN: in.RoleArn, EventBusName: in.EventBusName, Tags: tagMap(in.Tags)})
	if err != nil {
		return nil, err
	}
	return map[string]string{"RuleArn": arn}, nil
}

type ruleOut struct {
	Name               string `json:"Name"`
	Arn                string `json:"Arn"`
	EventPattern       string `json:"EventPattern,omitempty"`
	ScheduleExpression string `json:"ScheduleExpression,omitempty"`
	State              string `json:"State"`
	Description        string `json:"Description,omitempty"`
	RoleArn            string `json:"RoleArn,omitempty"`
	EventBusName       string `json:"EventBusName"`
	CreatedBy          string `json:"CreatedBy,omitempty"`
}

func outRule(rule *events.Rule, account string) ruleOut {
	return ruleOut{Name: rule.Name, Arn: rule.ARN, EventPattern: rule.EventPattern, ScheduleExpression: rule.ScheduleExpression, State: rule.State, Description: rule.Description, RoleArn: rule.RoleARN, EventBusName: rule.EventBus, CreatedBy: account}
}

func (h *Handler) describeRule(ctx context.Context, r *protocol.Request) (any, error) {
	var in ruleRef
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	rule, err := h.svc.DescribeRule(ctx, r.Caller.Account, in.EventBusName, in.Name)
	if err != nil {
		return nil, err
	}
	return outRule(rule, r.Caller.Account), nil
}

func (h *Handler) listRules(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		NamePrefix   string `json:"NamePrefix"`
		EventBusName string `json:"EventBusName"`
		NextToken    string `json:"NextToken"`
		Limit        int    `json:"Limit"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	rules, next, err := h.svc.ListRules(ctx, r.Caller.Account, in.EventBusName, in.NamePrefix, in.NextToken, in.Limit)
	if err != nil {
		return nil, err
	}
	out := struct {
		Rules     []ruleOut `json:"Rules"`
		NextToken string    `json:"NextToken,omitempty"`
	}{Rules: []ruleOut{}, NextToken: next}
	for _, rule := range rules {
		out.Rules = append(out.Rules, outRule(rule, r.Caller.Account))
	}
	return out, nil
}

func (h *Handler) deleteRule(ctx context.Context, r *protocol.Request) (any, error) {
	var in ruleRef
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	return nil, h.svc.DeleteRule(ctx, r.Caller.Account, in.EventBusName, in.Name)
}

func (h *Handler) enableRule(ctx context.Context, r *protocol.Request) (any, error) {
	var in ruleRef
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	return nil, h.svc.SetRuleState(ctx, r.Caller.Account, in.EventBusName, in.Name, true)
}

func (h *Handler) disableRule(ctx context.Context, r *protocol.Request) (any, error) {
	var in ruleRef
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	return nil, h.svc.SetRuleState(ctx, r.Caller.Account, in.EventBusName, in.Name, false)
}

type failedOut struct {
	FailedEntryCount int                  `json:"FailedEntryCount"`
	FailedEntries    []events.FailedEntry `json:"FailedEntries"`
}

func failed(f []events.FailedEntry) failedOut {
	if f == nil {
		f = []events.FailedEntry{}
	}
	return failedOut{FailedEntryCount: len(f), FailedEntries: f}
}

func (h *Handler) putTargets(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		Rule         string          `json:"Rule"`
		EventBusName string          `json:"EventBusName"`
		Targets      []events.Target `json:"Targets"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	f, err := h.svc.PutTargets(ctx, r.Caller.Account, in.EventBusName, in.Rule, in.Targets)
	if err != nil {
		return nil, err
	}
	return failed(f), nil
}

func (h *Handler) removeTargets(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		Rule         string   `json:"Rule"`
		EventBusName string   `json:"EventBusName"`
		Ids          []string `json:"Ids"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	f, err := h.svc.RemoveTargets(ctx, r.Caller.Account, in.EventBusName, in.Rule, in.Ids)
	if err != nil {
		return nil, err
	}
	return failed(f), nil
}

func (h *Handler) listTargetsByRule(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		Rule         string `json:"Rule"`
		EventBusName string `json:"EventBusName"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	ts, err := h.svc.ListTargets(ctx, r.Caller.Account, in.EventBusName, in.Rule)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Targets": ts}, nil
}

func (h *Handler) putEvents(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		Entries []struct {
			Source       string              `json:"Source"`
			DetailType   string              `json:"DetailType"`
			Detail       string              `json:"Detail"`
			Resources    []string            `json:"Resources"`
			Time         *protocol.Timestamp `json:"Time"`
			EventBusName string              `json:"EventBusName"`
		} `json:"Entries"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	entries := make([]events.Entry, len(in.Entries))
	for i, e := range in.Entries {
		entries[i] = events.Entry{Source: e.Source, DetailType: e.DetailType, Detail: e.Detail, Resources: e.Resources, EventBusName: e.EventBusName}
		if e.Time != nil {
			t := e.Time.Time()
			entries[i].Time = &t
		}
	}
	res, err := h.svc.PutEvents(ctx, r.Caller.Account, r.Caller.Region, entries)
	if err != nil {
		return nil, err
	}
	type entryOut struct {
		EventId      string `json:"EventId,omitempty"`
		ErrorCode    string `json:"ErrorCode,omitempty"`
		ErrorMessage string `json:"ErrorMessage,omitempty"`
	}
	out := struct {
		FailedEntryCount int        `json:"FailedEntryCount"`
		Entries          []entryOut `json:"Entries"`
	}{Entries: make([]entryOut, len(res))}
	for i, e := range res {
		out.Entries[i] = entryOut{EventId: e.EventID, ErrorCode: e.ErrorCode, ErrorMessage: e.ErrorMessage}
		if e.ErrorCode != "" {
			out.FailedEntryCount++
		}
	}
	return out, nil
}

func busOut(r *protocol.Request) map[string]string {
	return map[string]string{"Name": events.DefaultBus, "Arn": "arn:aws:events:" + r.Caller.Region + ":" + r.Caller.Account + ":event-bus/" + events.DefaultBus}
}

func (h *Handler) describeEventBus(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		Name string `json:"Name"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if in.Name != "" && in.Name != events.DefaultBus {
		return nil, awserr.New("ResourceNotFoundException", "Event bus %s does not exist.", in.Name)
	}
	return busOut(r), nil
}

func (h *Handler) listEventBuses(ctx context.Context, r *protocol.Request) (any, error) {
	return map[string]any{"EventBuses": []map[string]string{busOut(r)}}, nil
}

func (h *Handler) tagResource(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		ResourceARN string `json:"ResourceARN"`
		Tags        []tag  `json:"Tags"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	return nil, h.svc.Tag(ctx, r.Caller.Account, in.ResourceARN, tagMap(in.Tags), nil)
}

func (h *Handler) untagResource(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		ResourceARN string   `json:"ResourceARN"`
		TagKeys     []string `json:"TagKeys"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	return nil, h.svc.Tag(ctx, r.Caller.Account, in.ResourceARN, nil, in.TagKeys)
}

func (h *Handler) listTagsForResource(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		ResourceARN string `json:"ResourceARN"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	tags, err := h.svc.Tags(ctx, r.Caller.Account, in.ResourceARN)
	if err != nil {
		return nil, err
	}
	list := []tag{}
	for k, v := range tags {
		list = append(list, tag{k, v})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Key < list[j].Key })
	return map[string]any{"Tags": list}, nil
}
