// Package sqs serves the SQS API (awsJson 1.0 and, for older clients, the query protocol) on the
// queues domain: an operation table whose entries decode the request, resolve the queue URL,
// call queues.Service and return the model's output shape. It owns the wire names and queue URLs
// and nothing else; it must never hold queue semantics or touch the store.
package sqs

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/protocol"
	"github.com/ceap/ceap/internal/protocol/awsmodel"
	"github.com/ceap/ceap/internal/queues"
)

// Handler serves SQS requests.
type Handler struct {
	svc *queues.Service
	rpc *protocol.RPCService
}

// New returns the SQS handler of svc.
func New(svc *queues.Service, log *slog.Logger) (*Handler, error) {
	model, err := awsmodel.Load("sqs")
	if err != nil {
		return nil, err
	}
	h := &Handler{svc: svc}
	h.rpc = &protocol.RPCService{Key: protocol.SQS, Model: model, ErrorNamespace: "com.amazonaws.sqs", Log: log, Ops: map[string]protocol.Op{
		"CreateQueue":                  h.createQueue,
		"GetQueueUrl":                  h.getQueueURL,
		"ListQueues":                   h.listQueues,
		"DeleteQueue":                  h.deleteQueue,
		"GetQueueAttributes":           h.getQueueAttributes,
		"SetQueueAttributes":           h.setQueueAttributes,
		"PurgeQueue":                   h.purgeQueue,
		"SendMessage":                  h.sendMessage,
		"SendMessageBatch":             h.sendMessageBatch,
		"ReceiveMessage":               h.receiveMessage,
		"DeleteMessage":                h.deleteMessage,
		"DeleteMessageBatch":           h.deleteMessageBatch,
		"ChangeMessageVisibility":      h.changeMessageVisibility,
		"ChangeMessageVisibilityBatch": h.changeMessageVisibilityBatch,
		"ListDeadLetterSourceQueues":   h.listDeadLetterSourceQueues,
		"StartMessageMoveTask":         h.startMessageMoveTask,
		"ListMessageMoveTasks":         h.listMessageMoveTasks,
		"CancelMessageMoveTask":        h.cancelMessageMoveTask,
		"TagQueue":                     h.tagQueue,
		"UntagQueue":                   h.untagQueue,
		"ListQueueTags":                h.listQueueTags,
		"AddPermission":                unsupported("AddPermission"),
		"RemovePermission":             unsupported("RemovePermission"),
	}}
	return h, nil
}

// ServeAWS serves one SQS request.
func (h *Handler) ServeAWS(w http.ResponseWriter, r *protocol.Request) { h.rpc.Serve(w, r) }

// WriteError writes err in the request's protocol (used by the server for failures before the
// operation runs, such as a bad signature).
func (h *Handler) WriteError(w http.ResponseWriter, r *protocol.Request, err error) {
	h.rpc.WriteError(w, r, err)
}

func unsupported(op string) protocol.Op {
	return func(ctx context.Context, r *protocol.Request) (any, error) {
		e := awserr.NotSupported("UnsupportedOperation", op)
		e.QueryCode = "AWS.SimpleQueueService.UnsupportedOperation"
		return nil, e
	}
}

// queueURL is ceap's URL of a queue: http://<host of the request>/<account>/<name>, which the
// SDKs then call back.
func queueURL(r *protocol.Request, q *queues.Queue) string {
	scheme := "http"
	if r.HTTP.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.HTTP.Host + "/" + q.Account + "/" + q.Name
}

// resolve turns a queue URL of any form (ceap's, sqs.<region>.amazonaws.com,
// queue.amazonaws.com, or the request's own path for query clients that post to the queue URL)
// into the queue's account and name. Only the caller's own account's queues exist for it.
func resolve(r *protocol.Request, queueURL string) (queues.Ref, error) {
	path := ""
	if queueURL == "" {
		path = r.HTTP.URL.Path
	} else if u, err := url.Parse(queueURL); err == nil && u.Scheme != "" {
		path = u.Path
	} else {
		path = queueURL
	}
	parts := strings.FieldsFunc(path, func(c rune) bool { return c == '/' })
	var ref queues.Ref
	switch len(parts) {
	case 0:
		if queueURL == "" {
			return ref, awserr.New("MissingParameter", "The request must contain the parameter QueueUrl.")
		}
		return ref, invalidAddress(queueURL)
	case 1:
		ref = queues.Ref{Account: r.Caller.Account, Name: parts[0]}
	case 2:
		ref = queues.Ref{Account: parts[0], Name: parts[1]}
	default:
		return ref, invalidAddress(queueURL)
	}
	if ref.Account != r.Caller.Account {
		return ref, queues.ErrNoQueue()
	}
	return ref, nil
}

func invalidAddress(u string) error {
	return &awserr.Error{Code: "InvalidAddress", Status: 404, Message: "The address " + u + " is not valid for this endpoint."}
}
