// Package pipes serves the EventBridge Pipes API (rest-json) on top of the pipes service: it
// routes by method and path as botocore's pipes model binds the operations, decodes the JSON
// bodies and query strings, and encodes results and errors as the SDKs expect them. It holds no
// domain logic and no state.
package pipes

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/pipes"
	"github.com/ceap/ceap/internal/protocol"
)

// Handler serves the Pipes API.
type Handler struct {
	svc *pipes.Service
	log *slog.Logger
}

// New returns the API handler of svc.
func New(svc *pipes.Service, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.Default()
	}
	return &Handler{svc: svc, log: log}
}

type route func(ctx context.Context, r *protocol.Request, arg string) (any, error)

// ServeAWS routes one request.
func (h *Handler) ServeAWS(w http.ResponseWriter, r *protocol.Request) {
	r.Protocol = protocol.KindRestJSON
	fn, arg, op := h.route(r.HTTP.Method, r.HTTP.URL.EscapedPath())
	r.Operation = op
	if fn == nil {
		h.WriteError(w, r, awserr.WithStatus(404, "UnknownOperationException", "No operation matches %s %s.", r.HTTP.Method, r.HTTP.URL.Path))
		return
	}
	out, err := fn(protocol.WithRequest(r.HTTP.Context(), r), r, arg)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	body := []byte("{}")
	if out != nil {
		if body, err = json.Marshal(out); err != nil {
			h.WriteError(w, r, err)
			return
		}
	}
	w.Header().Set("x-amzn-RequestId", r.RequestID)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

func (h *Handler) route(method, path string) (route, string, string) {
	if rest, ok := strings.CutPrefix(path, "/tags/"); ok {
		arn, err := url.PathUnescape(rest)
		if err != nil {
			return nil, "", ""
		}
		switch method {
		case http.MethodGet:
			return h.listTags, arn, "ListTagsForResource"
		case http.MethodPost:
			return h.tag, arn, "TagResource"
		case http.MethodDelete:
			return h.untag, arn, "UntagResource"
		}
		return nil, "", ""
	}
	if path == "/v1/pipes" || path == "/v1/pipes/" {
		if method == http.MethodGet {
			return h.list, "", "ListPipes"
		}
		return nil, "", ""
	}
	rest, ok := strings.CutPrefix(path, "/v1/pipes/")
	if !ok {
		return nil, "", ""
	}
	seg, action, _ := strings.Cut(rest, "/")
	name, err := url.PathUnescape(seg)
	if err != nil {
		return nil, "", ""
	}
	switch {
	case action == "start" && method == http.MethodPost:
		return h.start, name, "StartPipe"
	case action == "stop" && method == http.MethodPost:
		return h.stop, name, "StopPipe"
	case action != "":
		return nil, "", ""
	case method == http.MethodPost:
		return h.create, name, "CreatePipe"
	case method == http.MethodGet:
		return h.describe, name, "DescribePipe"
	case method == http.MethodPut:
		return h.update, name, "UpdatePipe"
	case method == http.MethodDelete:
		return h.delete, name, "DeletePipe"
	}
	return nil, "", ""
}

// WriteError encodes err as a rest-json error.
func (h *Handler) WriteError(w http.ResponseWriter, r *protocol.Request, err error) {
	ae, ok := awserr.As(err)
	if !ok {
		h.log.Error("request_failed", "request_id", r.RequestID, "service", "pipes", "operation", r.Operation, "err", err)
		ae = &awserr.Error{Code: "InternalException", Message: "An internal error occurred.", Status: 500, Fault: awserr.Receiver}
	}
	body := map[string]any{"message": ae.Message}
	for k, v := range ae.Fields {
		body[k] = v
	}
	b, _ := json.Marshal(body)
	w.Header().Set("x-amzn-RequestId", r.RequestID)
	w.Header().Set("X-Amzn-Errortype", ae.Code)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(ae.HTTPStatus())
	w.Write(b)
}

func decode(r *protocol.Request, v any) error {
	if len(strings.TrimSpace(string(r.Body))) == 0 {
		return nil
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		return awserr.Validation("Could not parse the request body: %v", err)
	}
	return nil
}

type pipeState struct {
	Arn              string              `json:"Arn,omitempty"`
	Name             string              `json:"Name,omitempty"`
	DesiredState     string              `json:"DesiredState,omitempty"`
	CurrentState     string              `json:"CurrentState,omitempty"`
	CreationTime     *protocol.Timestamp `json:"CreationTime,omitempty"`
	LastModifiedTime *protocol.Timestamp `json:"LastModifiedTime,omitempty"`
}

func stateOf(p *pipes.Pipe) pipeState {
	return pipeState{Arn: p.ARN, Name: p.Name, DesiredState: p.DesiredState, CurrentState: p.CurrentState, CreationTime: protocol.TS(p.Created), LastModifiedTime: protocol.TS(p.Modified)}
}

type createInput struct {
	Description      string
	DesiredState     string
	Source           string
	SourceParameters *pipes.SourceParameters
	Enrichment       string
	Target           string
	TargetParameters *pipes.TargetParameters
	RoleArn          string
	Tags             map[string]string
}

func (h *Handler) create(ctx context.Context, r *protocol.Request, name string) (any, error) {
	var in createInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	ci := pipes.CreateInput{Name: name, Description: in.Description, DesiredState: in.DesiredState, Source: in.Source, Enrichment: in.Enrichment,
		Target: in.Target, RoleARN: in.RoleArn, Tags: in.Tags}
	if in.SourceParameters != nil {
		ci.SourceParameters = *in.SourceParameters
	}
	if in.TargetParameters != nil {
		ci.TargetParameters = *in.TargetParameters
	}
	p, err := h.svc.Create(ctx, r.Caller.Account, r.Caller.Region, ci)
	if err != nil {
		return nil, err
	}
	return stateOf(p), nil
}

type describeOutput struct {
	pipeState
	Description      string                 `json:"Description,omitempty"`
	StateReason      string                 `json:"StateReason,omitempty"`
	Source           string                 `json:"Source,omitempty"`
	SourceParameters pipes.SourceParameters `json:"SourceParameters"`
	Enrichment       string                 `json:"Enrichment,omitempty"`
	Target           string                 `json:"Target,omitempty"`
	TargetParameters pipes.TargetParameters `json:"TargetParameters"`
	RoleArn          string                 `json:"RoleArn,omitempty"`
	Tags             map[string]string      `json:"Tags,omitempty"`
}

func (h *Handler) describe(ctx context.Context, r *protocol.Request, name string) (any, error) {
	p, err := h.svc.Describe(ctx, r.Caller.Account, name)
	if err != nil {
		return nil, err
	}
	return describeOutput{pipeState: stateOf(p), Description: p.Description, StateReason: p.StateReason, Source: p.Source, SourceParameters: p.SourceParameters,
		Enrichment: p.Enrichment, Target: p.Target, TargetParameters: p.TargetParameters, RoleArn: p.RoleARN, Tags: p.Tags}, nil
}

type updateInput struct {
	Description      *string
	DesiredState     string
	SourceParameters *pipes.SourceParameters
	Enrichment       *string
	Target           string
	TargetParameters *pipes.TargetParameters
	RoleArn          string
}

func (h *Handler) update(ctx context.Context, r *protocol.Request, name string) (any, error) {
	var in updateInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	p, err := h.svc.Update(ctx, r.Caller.Account, pipes.UpdateInput{Name: name, Description: in.Description, DesiredState: in.DesiredState,
		SourceParameters: in.SourceParameters, Target: in.Target, TargetParameters: in.TargetParameters, RoleARN: in.RoleArn, Enrichment: in.Enrichment})
	if err != nil {
		return nil, err
	}
	return stateOf(p), nil
}

func (h *Handler) start(ctx context.Context, r *protocol.Request, name string) (any, error) {
	p, err := h.svc.Start(ctx, r.Caller.Account, name)
	if err != nil {
		return nil, err
	}
	return stateOf(p), nil
}

func (h *Handler) stop(ctx context.Context, r *protocol.Request, name string) (any, error) {
	p, err := h.svc.Stop(ctx, r.Caller.Account, name)
	if err != nil {
		return nil, err
	}
	return stateOf(p), nil
}

func (h *Handler) delete(ctx context.Context, r *protocol.Request, name string) (any, error) {
	p, err := h.svc.Delete(ctx, r.Caller.Account, name)
	if err != nil {
		return nil, err
	}
	return stateOf(p), nil
}

type listEntry struct {
	pipeState
	StateReason string `json:"StateReason,omitempty"`
	Source      string `json:"Source,omitempty"`
	Target      string `json:"Target,omitempty"`
	Enrichment  string `json:"Enrichment,omitempty"`
}

type listOutput struct {
	Pipes     []listEntry `json:"Pipes"`
	NextToken string      `json:"NextToken,omitempty"`
}

func (h *Handler) list(ctx context.Context, r *protocol.Request, _ string) (any, error) {
	q := r.HTTP.URL.Query()
	in := pipes.ListInput{NamePrefix: q.Get("NamePrefix"), DesiredState: q.Get("DesiredState"), CurrentState: q.Get("CurrentState"),
		SourcePrefix: q.Get("SourcePrefix"), TargetPrefix: q.Get("TargetPrefix"), NextToken: q.Get("NextToken")}
	if l := q.Get("Limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil {
			return nil, awserr.Validation("1 validation error detected: Value '%s' at 'limit' failed to satisfy constraint: Member must be a number", l)
		}
		in.Limit = n
	}
	ps, next, err := h.svc.List(ctx, r.Caller.Account, in)
	if err != nil {
		return nil, err
	}
	out := listOutput{Pipes: []listEntry{}, NextToken: next}
	for _, p := range ps {
		out.Pipes = append(out.Pipes, listEntry{pipeState: stateOf(p), StateReason: p.StateReason, Source: p.Source, Target: p.Target, Enrichment: p.Enrichment})
	}
	return out, nil
}

func (h *Handler) listTags(ctx context.Context, r *protocol.Request, arn string) (any, error) {
	tags, err := h.svc.ListTags(ctx, r.Caller.Account, arn)
	if err != nil {
		return nil, err
	}
	return map[string]any{"tags": tags}, nil
}

func (h *Handler) tag(ctx context.Context, r *protocol.Request, arn string) (any, error) {
	var in struct {
		Tags map[string]string `json:"tags"`
	}
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return nil, h.svc.Tag(ctx, r.Caller.Account, arn, in.Tags)
}

func (h *Handler) untag(ctx context.Context, r *protocol.Request, arn string) (any, error) {
	return nil, h.svc.Untag(ctx, r.Caller.Account, arn, r.HTTP.URL.Query()["tagKeys"])
}
