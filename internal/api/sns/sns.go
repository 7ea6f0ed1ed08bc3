// Package sns serves the Amazon SNS API (query protocol, version 2010-03-31) on top of the
// topics service: it decodes each action's form parameters with botocore's sns model, calls the
// service, and encodes the XML results and errors. It also answers the unsigned GET requests of
// the SubscribeURL and UnsubscribeURL links that SNS sends to http/https endpoints. It holds no
// domain logic and no state.
package sns

import (
	"context"
	"log/slog"
	"net/http"
	"sort"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/protocol"
	"github.com/ceap/ceap/internal/protocol/awsmodel"
	"github.com/ceap/ceap/internal/topics"
)

// Handler serves the SNS API.
type Handler struct {
	svc *topics.Service
	rpc *protocol.RPCService
}

// New returns the handler of svc.
func New(svc *topics.Service, log *slog.Logger) (*Handler, error) {
	m, err := awsmodel.Load("sns")
	if err != nil {
		return nil, err
	}
	h := &Handler{svc: svc}
	h.rpc = &protocol.RPCService{Key: protocol.SNS, Model: m, Log: log, Ops: map[string]protocol.Op{
		"CreateTopic":               h.createTopic,
		"DeleteTopic":               h.deleteTopic,
		"ListTopics":                h.listTopics,
		"GetTopicAttributes":        h.getTopicAttributes,
		"SetTopicAttributes":        h.setTopicAttributes,
		"Subscribe":                 h.subscribe,
		"ConfirmSubscription":       h.confirmSubscription,
		"Unsubscribe":               h.unsubscribe,
		"ListSubscriptions":         h.listSubscriptions,
		"ListSubscriptionsByTopic":  h.listSubscriptionsByTopic,
		"GetSubscriptionAttributes": h.getSubscriptionAttributes,
		"SetSubscriptionAttributes": h.setSubscriptionAttributes,
		"Publish":                   h.publish,
		"PublishBatch":              h.publishBatch,
		"TagResource":               h.tagResource,
		"UntagResource":             h.untagResource,
		"ListTagsForResource":       h.listTagsForResource,
	}}
	return h, nil
}

// ServeAWS serves one request. A GET with Action in its query string (a SubscribeURL or
// UnsubscribeURL followed by an endpoint) is decoded as a query-protocol request.
func (h *Handler) ServeAWS(w http.ResponseWriter, r *protocol.Request) {
	if r.Form == nil {
		q := r.HTTP.URL.Query()
		r.Form = q
		r.Protocol = protocol.KindQuery
		r.Operation = q.Get("Action")
	}
	h.rpc.Serve(w, r)
}

// WriteError encodes err as an SNS error.
func (h *Handler) WriteError(w http.ResponseWriter, r *protocol.Request, err error) {
	h.rpc.WriteError(w, r, err)
}

func required(name, value string) error {
	if value == "" {
		return awserr.New("InvalidParameterException", "Invalid parameter: %s", name)
	}
	return nil
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

func (h *Handler) createTopic(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		Name       string            `json:"Name"`
		Attributes map[string]string `json:"Attributes"`
		Tags       []tag             `json:"Tags"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	arn, err := h.svc.CreateTopic(ctx, r.Caller.Account, r.Caller.Region, in.Name, in.Attributes, tagMap(in.Tags))
	if err != nil {
		return nil, err
	}
	return map[string]string{"TopicArn": arn}, nil
}

type topicArn struct {
	TopicArn string `json:"TopicArn"`
}

func (h *Handler) deleteTopic(ctx context.Context, r *protocol.Request) (any, error) {
	var in topicArn
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("TopicArn", in.TopicArn); err != nil {
		return nil, err
	}
	return nil, h.svc.DeleteTopic(ctx, r.Caller.Account, in.TopicArn)
}

func (h *Handler) listTopics(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		NextToken string `json:"NextToken"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	arns, next, err := h.svc.ListTopics(ctx, r.Caller.Account, in.NextToken)
	if err != nil {
		return nil, err
	}
	list := make([]topicArn, len(arns))
	for i, a := range arns {
		list[i] = topicArn{a}
	}
	out := map[string]any{"Topics": list}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

func (h *Handler) getTopicAttributes(ctx context.Context, r *protocol.Request) (any, error) {
	var in topicArn
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("TopicArn", in.TopicArn); err != nil {
		return nil, err
	}
	attrs, err := h.svc.GetTopicAttributes(ctx, r.Caller.Account, in.TopicArn)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Attributes": attrs}, nil
}

func (h *Handler) setTopicAttributes(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		TopicArn       string `json:"TopicArn"`
		AttributeName  string `json:"AttributeName"`
		AttributeValue string `json:"AttributeValue"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("TopicArn", in.TopicArn); err != nil {
		return nil, err
	}
	return nil, h.svc.SetTopicAttributes(ctx, r.Caller.Account, in.TopicArn, in.AttributeName, in.AttributeValue)
}

func (h *Handler) subscribe(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		TopicArn              string            `json:"TopicArn"`
		Protocol              string            `json:"Protocol"`
		Endpoint              string            `json:"Endpoint"`
		Attributes            map[string]string `json:"Attributes"`
		ReturnSubscriptionArn bool              `json:"ReturnSubscriptionArn"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("TopicArn", in.TopicArn); err != nil {
		return nil, err
	}
	arn, err := h.svc.Subscribe(ctx, r.Caller.Account, in.TopicArn, in.Protocol, in.Endpoint, in.Attributes, in.ReturnSubscriptionArn)
	if err != nil {
		return nil, err
	}
	return map[string]string{"SubscriptionArn": arn}, nil
}

func (h *Handler) confirmSubscription(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		TopicArn string `json:"TopicArn"`
		Token    string `json:"Token"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("Token", in.Token); err != nil {
		return nil, err
	}
	arn, err := h.svc.ConfirmSubscription(ctx, r.Caller.Account, in.TopicArn, in.Token)
	if err != nil {
		return nil, err
	}
	return map[string]string{"SubscriptionArn": arn}, nil
}

type subscriptionArn struct {
	SubscriptionArn string `json:"SubscriptionArn"`
}

func (h *Handler) unsubscribe(ctx context.Context, r *protocol.Request) (any, error) {
	var in subscriptionArn
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	return nil, h.svc.Unsubscribe(ctx, r.Caller.Account, in.SubscriptionArn)
}

type subscription struct {
	SubscriptionArn string `json:"SubscriptionArn"`
	Owner           string `json:"Owner"`
	Protocol        string `json:"Protocol"`
	Endpoint        string `json:"Endpoint"`
	TopicArn        string `json:"TopicArn"`
}

func (h *Handler) subscriptions(ctx context.Context, r *protocol.Request, topic, token string) (any, error) {
	subs, next, err := h.svc.ListSubscriptions(ctx, r.Caller.Account, topic, token)
	if err != nil {
		return nil, err
	}
	list := make([]subscription, len(subs))
	for i, s := range subs {
		list[i] = subscription{SubscriptionArn: topics.ShownARN(s), Owner: s.Owner, Protocol: s.Protocol, Endpoint: s.Endpoint, TopicArn: s.TopicARN}
	}
	out := map[string]any{"Subscriptions": list}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

func (h *Handler) listSubscriptions(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		NextToken string `json:"NextToken"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	return h.subscriptions(ctx, r, "", in.NextToken)
}

func (h *Handler) listSubscriptionsByTopic(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		TopicArn  string `json:"TopicArn"`
		NextToken string `json:"NextToken"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("TopicArn", in.TopicArn); err != nil {
		return nil, err
	}
	return h.subscriptions(ctx, r, in.TopicArn, in.NextToken)
}

func (h *Handler) getSubscriptionAttributes(ctx context.Context, r *protocol.Request) (any, error) {
	var in subscriptionArn
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	attrs, err := h.svc.GetSubscriptionAttributes(ctx, r.Caller.Account, in.SubscriptionArn)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Attributes": attrs}, nil
}

func (h *Handler) setSubscriptionAttributes(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		SubscriptionArn string `json:"SubscriptionArn"`
		AttributeName   string `json:"AttributeName"`
		AttributeValue  string `json:"AttributeValue"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	return nil, h.svc.SetSubscriptionAttributes(ctx, r.Caller.Account, in.SubscriptionArn, in.AttributeName, in.AttributeValue)
}

type messageAttribute struct {
	DataType    string `json:"DataType"`
	StringValue string `json:"StringValue"`
	BinaryValue []byte `json:"BinaryValue"`
}

func (h *Handler) publish(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		TopicArn          string                      `json:"TopicArn"`
		TargetArn         string                      `json:"TargetArn"`
		PhoneNumber       string                      `json:"PhoneNumber"`
		Message           string                      `json:"Message"`
		Subject           string                      `json:"Subject"`
		MessageStructure  string                      `json:"MessageStructure"`
		MessageAttributes map[string]messageAttribute `json:"MessageAttributes"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if in.PhoneNumber != "" {
		return nil, awserr.NotSupported("InvalidParameterException", "Publishing to phone numbers")
	}
	topic := in.TopicArn
	if topic == "" {
		topic = in.TargetArn
	}
	if topic == "" {
		return nil, awserr.New("InvalidParameterException", "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter")
	}
	attrs := map[string]topics.Attribute{}
	for k, a := range in.MessageAttributes {
		attrs[k] = topics.Attribute{DataType: a.DataType, StringValue: a.StringValue, BinaryValue: a.BinaryValue}
	}
	id, err := h.svc.Publish(ctx, r.Caller.Account, topics.PublishInput{TopicARN: topic, Message: in.Message, Subject: in.Subject, MessageStructure: in.MessageStructure, MessageAttributes: attrs})
	if err != nil {
		return nil, err
	}
	return map[string]string{"MessageId": id}, nil
}

func (h *Handler) tagResource(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		ResourceArn string `json:"ResourceArn"`
		Tags        []tag  `json:"Tags"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	return struct{}{}, h.svc.Tag(ctx, r.Caller.Account, in.ResourceArn, tagMap(in.Tags))
}

func (h *Handler) untagResource(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		ResourceArn string   `json:"ResourceArn"`
		TagKeys     []string `json:"TagKeys"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	return struct{}{}, h.svc.Untag(ctx, r.Caller.Account, in.ResourceArn, in.TagKeys)
}

func (h *Handler) listTagsForResource(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		ResourceArn string `json:"ResourceArn"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	tags, err := h.svc.Tags(ctx, r.Caller.Account, in.ResourceArn)
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

func (h *Handler) publishBatch(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		TopicArn                   string `json:"TopicArn"`
		PublishBatchRequestEntries []struct {
			Id                string                      `json:"Id"`
			Message           string                      `json:"Message"`
			Subject           string                      `json:"Subject"`
			MessageStructure  string                      `json:"MessageStructure"`
			MessageAttributes map[string]messageAttribute `json:"MessageAttributes"`
		} `json:"PublishBatchRequestEntries"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	entries := make([]topics.BatchEntry, len(in.PublishBatchRequestEntries))
	for i, e := range in.PublishBatchRequestEntries {
		attrs := map[string]topics.Attribute{}
		for k, a := range e.MessageAttributes {
			attrs[k] = topics.Attribute{DataType: a.DataType, StringValue: a.StringValue, BinaryValue: a.BinaryValue}
		}
		entries[i] = topics.BatchEntry{ID: e.Id, PublishInput: topics.PublishInput{Message: e.Message, Subject: e.Subject, MessageStructure: e.MessageStructure, MessageAttributes: attrs}}
	}
	res, err := h.svc.PublishBatch(ctx, r.Caller.Account, in.TopicArn, entries)
	if err != nil {
		return nil, err
	}
	type ok struct {
		Id        string `json:"Id"`
		MessageId string `json:"MessageId"`
	}
	type failed struct {
		Id          string `json:"Id"`
		Code        string `json:"Code"`
		Message     string `json:"Message"`
		SenderFault bool   `json:"SenderFault"`
	}
	out := struct {
		Successful []ok     `json:"Successful"`
		Failed     []failed `json:"Failed"`
	}{Successful: []ok{}, Failed: []failed{}}
	for _, e := range res {
		if e.Err != nil {
			code, _, _ := h.rpc.Model.QueryErrorCode(e.Err.Code)
			out.Failed = append(out.Failed, failed{Id: e.ID, Code: code, Message: e.Err.Message, SenderFault: e.Err.Fault == awserr.Sender})
			continue
		}
		out.Successful = append(out.Successful, ok{Id: e.ID, MessageId: e.MessageID})
	}
	return out, nil
}
