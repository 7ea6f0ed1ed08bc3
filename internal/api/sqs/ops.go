package sqs

import (
	"context"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/protocol"
	"github.com/ceap/ceap/internal/queues"
)

type queueURLInput struct {
	QueueUrl string
}

type queueURLOutput struct {
	QueueUrl string `json:"QueueUrl,omitempty"`
}

func (h *Handler) createQueue(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		QueueName  string
		Attributes map[string]string
		Tags       map[string]string `json:"tags"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	q, err := h.svc.Create(ctx, r.Caller.Account, in.QueueName, in.Attributes, in.Tags)
	if err != nil {
		return nil, err
	}
	return queueURLOutput{QueueUrl: queueURL(r, q)}, nil
}

func (h *Handler) getQueueURL(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		QueueName              string
		QueueOwnerAWSAccountId string
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if in.QueueName == "" {
		return nil, awserr.New("MissingParameter", "The request must contain the parameter QueueName.")
	}
	account := r.Caller.Account
	if in.QueueOwnerAWSAccountId != "" && in.QueueOwnerAWSAccountId != account {
		return nil, queues.ErrNoQueue()
	}
	q, err := h.svc.Get(ctx, queues.Ref{Account: account, Name: in.QueueName})
	if err != nil {
		return nil, err
	}
	return queueURLOutput{QueueUrl: queueURL(r, q)}, nil
}

func (h *Handler) listQueues(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		QueueNamePrefix string
		MaxResults      *int
		NextToken       string
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	max := 0
	if in.MaxResults != nil {
		max = *in.MaxResults
		if max < 1 {
			return nil, awserr.New("InvalidParameterValue", "Value %d for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and %d.", max, queues.MaxListResults)
		}
	}
	qs, next, err := h.svc.List(ctx, r.Caller.Account, in.QueueNamePrefix, max, in.NextToken)
	if err != nil {
		return nil, err
	}
	var out struct {
		QueueUrls []string `json:"QueueUrls,omitempty"`
		NextToken string   `json:"NextToken,omitempty"`
	}
	for _, q := range qs {
		out.QueueUrls = append(out.QueueUrls, queueURL(r, q))
	}
	out.NextToken = next
	return out, nil
}

// queueOp decodes in (which embeds QueueUrl) and resolves the queue.
func queueOp(r *protocol.Request, in any, urlOf func() string) (queues.Ref, error) {
	if err := r.Decode(in); err != nil {
		return queues.Ref{}, err
	}
	return resolve(r, urlOf())
}

func (h *Handler) deleteQueue(ctx context.Context, r *protocol.Request) (any, error) {
	var in queueURLInput
	ref, err := queueOp(r, &in, func() string { return in.QueueUrl })
	if err != nil {
		return nil, err
	}
	return nil, h.svc.Delete(ctx, ref)
}

type attributesOutput struct {
	Attributes map[string]string `json:"Attributes,omitempty"`
}

func (h *Handler) getQueueAttributes(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		QueueUrl       string
		AttributeNames []string
	}
	ref, err := queueOp(r, &in, func() string { return in.QueueUrl })
	if err != nil {
		return nil, err
	}
	attrs, err := h.svc.Attributes(ctx, ref, in.AttributeNames)
	if err != nil {
		return nil, err
	}
	return attributesOutput{Attributes: attrs}, nil
}

func (h *Handler) setQueueAttributes(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		QueueUrl   string
		Attributes map[string]string
	}
	ref, err := queueOp(r, &in, func() string { return in.QueueUrl })
	if err != nil {
		return nil, err
	}
	return nil, h.svc.SetAttributes(ctx, ref, in.Attributes)
}

func (h *Handler) purgeQueue(ctx context.Context, r *protocol.Request) (any, error) {
	var in queueURLInput
	ref, err := queueOp(r, &in, func() string { return in.QueueUrl })
	if err != nil {
		return nil, err
	}
	return nil, h.svc.Purge(ctx, ref)
}

// attributeValue is the model's MessageAttributeValue (and MessageSystemAttributeValue).
type attributeValue struct {
	StringValue      *string  `json:"StringValue,omitempty"`
	BinaryValue      []byte   `json:"BinaryValue,omitempty"`
	StringListValues []string `json:"StringListValues,omitempty"`
	BinaryListValues [][]byte `json:"BinaryListValues,omitempty"`
	DataType         string   `json:"DataType"`
}

func toDomain(in map[string]attributeValue) map[string]queues.Attribute {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]queues.Attribute, len(in))
	for k, v := range in {
		out[k] = queues.Attribute{DataType: v.DataType, StringValue: v.StringValue, BinaryValue: v.BinaryValue, StringListValues: v.StringListValues, BinaryListValues: v.BinaryListValues}
	}
	return out
}

func fromDomain(in map[string]queues.Attribute) map[string]attributeValue {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]attributeValue, len(in))
	for k, v := range in {
		out[k] = attributeValue{DataType: v.DataType, StringValue: v.StringValue, BinaryValue: v.BinaryValue, StringListValues: v.StringListValues, BinaryListValues: v.BinaryListValues}
	}
	return out
}

type sendEntry struct {
	Id                      string
	MessageBody             *string
	DelaySeconds            *int64
	MessageAttributes       map[string]attributeValue
	MessageSystemAttributes map[string]attributeValue
	MessageDeduplicationId  string
	MessageGroupId          string
}

func (e *sendEntry) domain() queues.SendEntry {
	body := ""
	if e.MessageBody != nil {
		body = *e.MessageBody
	}
	return queues.SendEntry{ID: e.Id, Body: body, DelaySeconds: e.DelaySeconds, Attributes: toDomain(e.MessageAttributes),
		SystemAttributes: toDomain(e.MessageSystemAttributes), DedupID: e.MessageDeduplicationId, GroupID: e.MessageGroupId}
}

type sendOutput struct {
	Id                           string `json:"Id,omitempty"`
	MessageId                    string `json:"MessageId,omitempty"`
	MD5OfMessageBody             string `json:"MD5OfMessageBody,omitempty"`
	MD5OfMessageAttributes       string `json:"MD5OfMessageAttributes,omitempty"`
	MD5OfMessageSystemAttributes string `json:"MD5OfMessageSystemAttributes,omitempty"`
	SequenceNumber               string `json:"SequenceNumber,omitempty"`
}

func sendResult(r *queues.SendResult) sendOutput {
	return sendOutput{Id: r.ID, MessageId: r.MessageID, MD5OfMessageBody: r.MD5Body, MD5OfMessageAttributes: r.MD5Attributes,
		MD5OfMessageSystemAttributes: r.MD5SystemAttrs, SequenceNumber: r.SequenceNumber}
}

func (h *Handler) sendMessage(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		QueueUrl string
		sendEntry
	}
	ref, err := queueOp(r, &in, func() string { return in.QueueUrl })
	if err != nil {
		return nil, err
	}
	if in.MessageBody == nil {
		return nil, awserr.New("MissingParameter", "The request must contain the parameter MessageBody.")
	}
	e := in.domain()
	e.ID = ""
	res, err := h.svc.Send(ctx, ref, r.Caller.Account, e)
	if err != nil {
		return nil, err
	}
	return sendResult(res), nil
}

type batchFailure struct {
	Id          string
	Code        string
	Message     string
	SenderFault bool
}

func failure(id string, e *queues.BatchError) batchFailure {
	return batchFailure{Id: id, Code: e.Code, Message: e.Message, SenderFault: e.SenderFault}
}

func (h *Handler) sendMessageBatch(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		QueueUrl string
		Entries  []sendEntry
	}
	ref, err := queueOp(r, &in, func() string { return in.QueueUrl })
	if err != nil {
		return nil, err
	}
	entries := make([]queues.SendEntry, len(in.Entries))
	for i := range in.Entries {
		entries[i] = in.Entries[i].domain()
	}
	res, err := h.svc.SendBatch(ctx, ref, r.Caller.Account, entries)
	if err != nil {
		return nil, err
	}
	out := struct {
		Successful []sendOutput
		Failed     []batchFailure
	}{Successful: []sendOutput{}, Failed: []batchFailure{}}
	for _, s := range res {
		if s.Err != nil {
			out.Failed = append(out.Failed, failure(s.ID, s.Err))
			continue
		}
		out.Successful = append(out.Successful, sendResult(s))
	}
	return out, nil
}

type message struct {
	MessageId              string                    `json:"MessageId,omitempty"`
	ReceiptHandle          string                    `json:"ReceiptHandle,omitempty"`
	MD5OfBody              string                    `json:"MD5OfBody,omitempty"`
	Body                   string                    `json:"Body"`
	Attributes             map[string]string         `json:"Attributes,omitempty"`
	MD5OfMessageAttributes string                    `json:"MD5OfMessageAttributes,omitempty"`
	MessageAttributes      map[string]attributeValue `json:"MessageAttributes,omitempty"`
}

func (h *Handler) receiveMessage(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		QueueUrl                    string
		AttributeNames              []string
		MessageSystemAttributeNames []string
		MessageAttributeNames       []string
		MaxNumberOfMessages         *int64
		VisibilityTimeout           *int64
		WaitTimeSeconds             *int64
		ReceiveRequestAttemptId     string
	}
	ref, err := queueOp(r, &in, func() string { return in.QueueUrl })
	if err != nil {
		return nil, err
	}
	msgs, err := h.svc.Receive(ctx, ref, queues.ReceiveParams{
		MaxMessages: in.MaxNumberOfMessages, VisibilityTimeout: in.VisibilityTimeout, WaitTimeSeconds: in.WaitTimeSeconds,
		SystemAttributes: in.MessageSystemAttributeNames, LegacyAttributeNames: in.AttributeNames,
		MessageAttributes: in.MessageAttributeNames,
	})
	if err != nil {
		return nil, err
	}
	var out struct {
		Messages []message `json:"Messages,omitempty"`
	}
	for _, m := range msgs {
		out.Messages = append(out.Messages, message{MessageId: m.MessageID, ReceiptHandle: m.ReceiptHandle, MD5OfBody: m.MD5Body, Body: m.Body,
			Attributes: m.Attributes, MD5OfMessageAttributes: m.MD5Attributes, MessageAttributes: fromDomain(m.MessageAttributes)})
	}
	return out, nil
}

func (h *Handler) deleteMessage(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		QueueUrl      string
		ReceiptHandle string
	}
	ref, err := queueOp(r, &in, func() string { return in.QueueUrl })
	if err != nil {
		return nil, err
	}
	if in.ReceiptHandle == "" {
		return nil, awserr.New("MissingParameter", "The request must contain the parameter ReceiptHandle.")
	}
	return nil, h.svc.DeleteMessage(ctx, ref, in.ReceiptHandle)
}

type batchOutput struct {
	Successful []successID
	Failed     []batchFailure
}

type successID struct{ Id string }

func entryResults(ids []string, res []*queues.EntryResult) batchOutput {
	out := batchOutput{Successful: []successID{}, Failed: []batchFailure{}}
	for i, e := range res {
		if e != nil && e.Err != nil {
			out.Failed = append(out.Failed, failure(ids[i], e.Err))
			continue
		}
		out.Successful = append(out.Successful, successID{Id: ids[i]})
	}
	return out
}

func (h *Handler) deleteMessageBatch(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		QueueUrl string
		Entries  []struct{ Id, ReceiptHandle string }
	}
	ref, err := queueOp(r, &in, func() string { return in.QueueUrl })
	if err != nil {
		return nil, err
	}
	entries := make([]queues.DeleteEntry, len(in.Entries))
	ids := make([]string, len(in.Entries))
	for i, e := range in.Entries {
		entries[i] = queues.DeleteEntry{ID: e.Id, ReceiptHandle: e.ReceiptHandle}
		ids[i] = e.Id
	}
	res, err := h.svc.DeleteBatch(ctx, ref, entries, true)
	if err != nil {
		return nil, err
	}
	return entryResults(ids, res), nil
}

func (h *Handler) changeMessageVisibility(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		QueueUrl          string
		ReceiptHandle     string
		VisibilityTimeout *int64
	}
	ref, err := queueOp(r, &in, func() string { return in.QueueUrl })
	if err != nil {
		return nil, err
	}
	if in.ReceiptHandle == "" {
		return nil, awserr.New("MissingParameter", "The request must contain the parameter ReceiptHandle.")
	}
	if in.VisibilityTimeout == nil {
		return nil, awserr.New("MissingParameter", "The request must contain the parameter VisibilityTimeout.")
	}
	return nil, h.svc.ChangeVisibility(ctx, ref, in.ReceiptHandle, *in.VisibilityTimeout)
}

func (h *Handler) changeMessageVisibilityBatch(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		QueueUrl string
		Entries  []struct {
			Id, ReceiptHandle string
			VisibilityTimeout int64
		}
	}
	ref, err := queueOp(r, &in, func() string { return in.QueueUrl })
	if err != nil {
		return nil, err
	}
	entries := make([]queues.VisibilityEntry, len(in.Entries))
	ids := make([]string, len(in.Entries))
	for i, e := range in.Entries {
		entries[i] = queues.VisibilityEntry{ID: e.Id, ReceiptHandle: e.ReceiptHandle, VisibilityTimeout: e.VisibilityTimeout}
		ids[i] = e.Id
	}
	res, err := h.svc.ChangeVisibilityBatch(ctx, ref, entries, true)
	if err != nil {
		return nil, err
	}
	return entryResults(ids, res), nil
}

func (h *Handler) listDeadLetterSourceQueues(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		QueueUrl   string
		MaxResults *int
		NextToken  string
	}
	ref, err := queueOp(r, &in, func() string { return in.QueueUrl })
	if err != nil {
		return nil, err
	}
	max := 0
	if in.MaxResults != nil {
		if max = *in.MaxResults; max < 1 {
			return nil, awserr.New("InvalidParameterValue", "Value %d for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and %d.", max, queues.MaxListResults)
		}
	}
	qs, next, err := h.svc.DeadLetterSources(ctx, ref, max, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := struct {
		QueueUrls []string `json:"queueUrls"`
		NextToken string   `json:"NextToken,omitempty"`
	}{QueueUrls: []string{}, NextToken: next}
	for _, q := range qs {
		out.QueueUrls = append(out.QueueUrls, queueURL(r, q))
	}
	return out, nil
}

func (h *Handler) startMessageMoveTask(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		SourceArn                    string
		DestinationArn               string
		MaxNumberOfMessagesPerSecond *int64
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	rate := int64(0)
	if in.MaxNumberOfMessagesPerSecond != nil {
		if rate = *in.MaxNumberOfMessagesPerSecond; rate < 1 {
			return nil, awserr.New("InvalidParameterValue", "Value %d for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: Must be between 1 and %d.", rate, queues.MaxMoveRate)
		}
	}
	handle, err := h.svc.StartMoveTask(ctx, r.Caller.Account, in.SourceArn, in.DestinationArn, rate)
	if err != nil {
		return nil, err
	}
	return struct{ TaskHandle string }{handle}, nil
}

func (h *Handler) listMessageMoveTasks(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		SourceArn  string
		MaxResults *int
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	max := 0
	if in.MaxResults != nil {
		if max = *in.MaxResults; max < 1 {
			return nil, awserr.New("InvalidParameterValue", "Value %d for parameter MaxResults is invalid. Reason: Must be between 1 and %d.", max, queues.MaxMoveTaskResults)
		}
	}
	tasks, err := h.svc.ListMoveTasks(ctx, r.Caller.Account, in.SourceArn, max)
	if err != nil {
		return nil, err
	}
	type result struct {
		TaskHandle                        string `json:"TaskHandle,omitempty"`
		Status                            string `json:"Status,omitempty"`
		SourceArn                         string `json:"SourceArn,omitempty"`
		DestinationArn                    string `json:"DestinationArn,omitempty"`
		MaxNumberOfMessagesPerSecond      *int64 `json:"MaxNumberOfMessagesPerSecond,omitempty"`
		ApproximateNumberOfMessagesMoved  int64  `json:"ApproximateNumberOfMessagesMoved"`
		ApproximateNumberOfMessagesToMove *int64 `json:"ApproximateNumberOfMessagesToMove,omitempty"`
		FailureReason                     string `json:"FailureReason,omitempty"`
		StartedTimestamp                  int64  `json:"StartedTimestamp"`
	}
	out := struct {
		Results []result `json:"Results"`
	}{Results: []result{}}
	for _, t := range tasks {
		res := result{TaskHandle: t.Handle, Status: t.Status, SourceArn: t.SourceArn, DestinationArn: t.DestArn, ApproximateNumberOfMessagesMoved: t.Moved,
			FailureReason: t.Failure, StartedTimestamp: t.Started.UnixMilli()}
		if t.RatePerSecond > 0 {
			rate := t.RatePerSecond
			res.MaxNumberOfMessagesPerSecond = &rate
		}
		if t.Status == "RUNNING" {
			toMove := t.ToMove
			res.ApproximateNumberOfMessagesToMove = &toMove
		}
		out.Results = append(out.Results, res)
	}
	return out, nil
}

func (h *Handler) cancelMessageMoveTask(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct{ TaskHandle string }
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	moved, err := h.svc.CancelMoveTask(ctx, r.Caller.Account, in.TaskHandle)
	if err != nil {
		return nil, err
	}
	return struct{ ApproximateNumberOfMessagesMoved int64 }{moved}, nil
}

func (h *Handler) tagQueue(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		QueueUrl string
		Tags     map[string]string
	}
	ref, err := queueOp(r, &in, func() string { return in.QueueUrl })
	if err != nil {
		return nil, err
	}
	return nil, h.svc.Tag(ctx, ref, in.Tags)
}

func (h *Handler) untagQueue(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		QueueUrl string
		TagKeys  []string
	}
	ref, err := queueOp(r, &in, func() string { return in.QueueUrl })
	if err != nil {
		return nil, err
	}
	return nil, h.svc.Untag(ctx, ref, in.TagKeys)
}

func (h *Handler) listQueueTags(ctx context.Context, r *protocol.Request) (any, error) {
	var in queueURLInput
	ref, err := queueOp(r, &in, func() string { return in.QueueUrl })
	if err != nil {
		return nil, err
	}
	tags, err := h.svc.Tags(ctx, ref)
	if err != nil {
		return nil, err
	}
	return struct {
		Tags map[string]string `json:"Tags,omitempty"`
	}{tags}, nil
}
