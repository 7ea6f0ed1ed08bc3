// Package sfn serves the Step Functions API (awsJson 1.0, target prefix AWSStepFunctions): it
// decodes each operation's input, calls the states service, and encodes the output with the
// member names of botocore's stepfunctions model. It holds no domain logic and no state.
package sfn

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/ceap/ceap/internal/asl"
	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/protocol"
	"github.com/ceap/ceap/internal/states"
)

// Handler serves the Step Functions API.
type Handler struct {
	svc *states.Service
	rpc *protocol.RPCService
}

// New returns the handler of svc.
func New(svc *states.Service, log *slog.Logger) *Handler {
	h := &Handler{svc: svc}
	h.rpc = &protocol.RPCService{Key: protocol.States, Log: log, Ops: map[string]protocol.Op{
		"CreateStateMachine":               h.createStateMachine,
		"DescribeStateMachine":             h.describeStateMachine,
		"UpdateStateMachine":               h.updateStateMachine,
		"DeleteStateMachine":               h.deleteStateMachine,
		"ListStateMachines":                h.listStateMachines,
		"ValidateStateMachineDefinition":   h.validateStateMachineDefinition,
		"PublishStateMachineVersion":       h.publishStateMachineVersion,
		"ListStateMachineVersions":         h.listStateMachineVersions,
		"DeleteStateMachineVersion":        h.deleteStateMachineVersion,
		"CreateStateMachineAlias":          h.createStateMachineAlias,
		"DescribeStateMachineAlias":        h.describeStateMachineAlias,
		"UpdateStateMachineAlias":          h.updateStateMachineAlias,
		"DeleteStateMachineAlias":          h.deleteStateMachineAlias,
		"ListStateMachineAliases":          h.listStateMachineAliases,
		"StartExecution":                   h.startExecution,
		"StartSyncExecution":               h.startSyncExecution,
		"DescribeExecution":                h.describeExecution,
		"DescribeStateMachineForExecution": h.describeStateMachineForExecution,
		"ListExecutions":                   h.listExecutions,
		"GetExecutionHistory":              h.getExecutionHistory,
		"StopExecution":                    h.stopExecution,
		"RedriveExecution":                 h.redriveExecution,
		"CreateActivity":                   h.createActivity,
		"DescribeActivity":                 h.describeActivity,
		"DeleteActivity":                   h.deleteActivity,
		"ListActivities":                   h.listActivities,
		"GetActivityTask":                  h.getActivityTask,
		"SendTaskSuccess":                  h.sendTaskSuccess,
		"SendTaskFailure":                  h.sendTaskFailure,
		"SendTaskHeartbeat":                h.sendTaskHeartbeat,
		"TagResource":                      h.tagResource,
		"UntagResource":                    h.untagResource,
		"ListTagsForResource":              h.listTagsForResource,
		"TestState":                        h.testState,
		"DescribeMapRun":                   h.mapRunNotFound,
		"UpdateMapRun":                     h.mapRunNotFound,
		"ListMapRuns":                      h.listMapRuns,
	}}
	return h
}

// ServeAWS serves one request.
func (h *Handler) ServeAWS(w http.ResponseWriter, r *protocol.Request) { h.rpc.Serve(w, r) }

func caller(r *protocol.Request) states.Caller {
	return states.Caller{Account: r.Caller.Account, Region: r.Caller.Region}
}

func ts(t time.Time) *protocol.Timestamp { return protocol.TS(t) }

func required(name, value string) error {
	if value == "" {
		return awserr.MissingMember("ValidationException", name)
	}
	return nil
}

type dataDetails struct {
	Included bool `json:"included"`
}

// ---- state machines

type machineInput struct {
	StateMachineArn         string                          `json:"stateMachineArn"`
	Name                    string                          `json:"name"`
	Definition              *string                         `json:"definition"`
	RoleArn                 *string                         `json:"roleArn"`
	Type                    string                          `json:"type"`
	LoggingConfiguration    *states.LoggingConfiguration    `json:"loggingConfiguration"`
	TracingConfiguration    *states.TracingConfiguration    `json:"tracingConfiguration"`
	EncryptionConfiguration *states.EncryptionConfiguration `json:"encryptionConfiguration"`
	Tags                    []states.Tag                    `json:"tags"`
	Publish                 bool                            `json:"publish"`
	VersionDescription      string                          `json:"versionDescription"`
}

func (in *machineInput) domain() *states.MachineInput {
	return &states.MachineInput{ARN: in.StateMachineArn, Name: in.Name, Definition: in.Definition, RoleArn: in.RoleArn, Type: in.Type,
		Logging: in.LoggingConfiguration, Tracing: in.TracingConfiguration, Encryption: in.EncryptionConfiguration, Tags: in.Tags,
		Publish: in.Publish, VersionDescription: in.VersionDescription}
}

func (h *Handler) createStateMachine(ctx context.Context, r *protocol.Request) (any, error) {
	var in machineInput
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("name", in.Name); err != nil {
		return nil, err
	}
	if in.Definition == nil {
		return nil, required("definition", "")
	}
	if in.RoleArn == nil {
		return nil, required("roleArn", "")
	}
	res, err := h.svc.CreateStateMachine(ctx, caller(r), in.domain())
	if err != nil {
		return nil, err
	}
	return struct {
		StateMachineArn        string              `json:"stateMachineArn"`
		CreationDate           *protocol.Timestamp `json:"creationDate"`
		StateMachineVersionArn string              `json:"stateMachineVersionArn,omitempty"`
	}{res.ARN, ts(res.Created), res.VersionARN}, nil
}

type arnInput struct {
	StateMachineArn        string `json:"stateMachineArn"`
	StateMachineVersionArn string `json:"stateMachineVersionArn"`
	StateMachineAliasArn   string `json:"stateMachineAliasArn"`
	ExecutionArn           string `json:"executionArn"`
	ActivityArn            string `json:"activityArn"`
	ResourceArn            string `json:"resourceArn"`
	IncludedData           string `json:"includedData"`
	MaxResults             int    `json:"maxResults"`
	NextToken              string `json:"nextToken"`
}

type machineOutput struct {
	StateMachineArn         string                          `json:"stateMachineArn"`
	Name                    string                          `json:"name"`
	Status                  string                          `json:"status,omitempty"`
	Definition              string                          `json:"definition"`
	RoleArn                 string                          `json:"roleArn"`
	Type                    string                          `json:"type,omitempty"`
	CreationDate            *protocol.Timestamp             `json:"creationDate,omitempty"`
	UpdateDate              *protocol.Timestamp             `json:"updateDate,omitempty"`
	LoggingConfiguration    *states.LoggingConfiguration    `json:"loggingConfiguration,omitempty"`
	TracingConfiguration    *states.TracingConfiguration    `json:"tracingConfiguration,omitempty"`
	RevisionID              string                          `json:"revisionId,omitempty"`
	Description             string                          `json:"description,omitempty"`
	EncryptionConfiguration *states.EncryptionConfiguration `json:"encryptionConfiguration,omitempty"`
}

func defaultLogging(l *states.LoggingConfiguration) *states.LoggingConfiguration {
	if l == nil {
		return &states.LoggingConfiguration{Level: "OFF"}
	}
	return l
}

func defaultTracing(t *states.TracingConfiguration) *states.TracingConfiguration {
	if t == nil {
		return &states.TracingConfiguration{}
	}
	return t
}

func (h *Handler) describeStateMachine(ctx context.Context, r *protocol.Request) (any, error) {
	var in arnInput
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("stateMachineArn", in.StateMachineArn); err != nil {
		return nil, err
	}
	m, err := h.svc.DescribeStateMachine(ctx, caller(r), in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	out := machineOutput{StateMachineArn: m.ARN, Name: m.Name, Status: m.Status, Definition: m.Definition, RoleArn: m.RoleArn, Type: m.Type,
		CreationDate: ts(m.Created), LoggingConfiguration: defaultLogging(m.Logging), TracingConfiguration: defaultTracing(m.Tracing),
		RevisionID: m.RevisionID, Description: m.Description, EncryptionConfiguration: m.Encryption}
	return out, nil
}

func (h *Handler) updateStateMachine(ctx context.Context, r *protocol.Request) (any, error) {
	var in machineInput
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("stateMachineArn", in.StateMachineArn); err != nil {
		return nil, err
	}
	res, err := h.svc.UpdateStateMachine(ctx, caller(r), in.domain())
	if err != nil {
		return nil, err
	}
	return struct {
		UpdateDate             *protocol.Timestamp `json:"updateDate"`
		RevisionID             string              `json:"revisionId,omitempty"`
		StateMachineVersionArn string              `json:"stateMachineVersionArn,omitempty"`
	}{ts(res.Updated), res.RevisionID, res.VersionARN}, nil
}

func (h *Handler) deleteStateMachine(ctx context.Context, r *protocol.Request) (any, error) {
	var in arnInput
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("stateMachineArn", in.StateMachineArn); err != nil {
		return nil, err
	}
	return struct{}{}, h.svc.DeleteStateMachine(ctx, caller(r), in.StateMachineArn)
}

func (h *Handler) listStateMachines(ctx context.Context, r *protocol.Request) (any, error) {
	var in arnInput
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	page, err := h.svc.ListStateMachines(ctx, caller(r), in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	type item struct {
		StateMachineArn string              `json:"stateMachineArn"`
		Name            string              `json:"name"`
		Type            string              `json:"type"`
		CreationDate    *protocol.Timestamp `json:"creationDate"`
	}
	out := struct {
		StateMachines []item `json:"stateMachines"`
		NextToken     string `json:"nextToken,omitempty"`
	}{StateMachines: []item{}, NextToken: page.NextToken}
	for _, m := range page.Items {
		out.StateMachines = append(out.StateMachines, item{m.ARN, m.Name, m.Type, ts(m.Created)})
	}
	return out, nil
}

func (h *Handler) validateStateMachineDefinition(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		Definition *string `json:"definition"`
		Type       string  `json:"type"`
		Severity   string  `json:"severity"`
		MaxResults int     `json:"maxResults"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if in.Definition == nil {
		return nil, required("definition", "")
	}
	if in.MaxResults < 0 || in.MaxResults > 100 {
		return nil, awserr.Validation("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100", in.MaxResults)
	}
	limit := in.MaxResults
	if limit == 0 {
		limit = 100
	}
	severity := in.Severity
	if severity == "" {
		severity = asl.SeverityError
	}
	out := struct {
		Result      string           `json:"result"`
		Diagnostics []asl.Diagnostic `json:"diagnostics"`
		Truncated   bool             `json:"truncated"`
	}{Result: "OK", Diagnostics: []asl.Diagnostic{}}
	for _, d := range asl.Validate(*in.Definition) {
		if d.Severity == asl.SeverityError {
			out.Result = "FAIL"
		}
		if severity == asl.SeverityError && d.Severity != asl.SeverityError {
			continue
		}
		if len(out.Diagnostics) == limit {
			out.Truncated = true
			continue
		}
		out.Diagnostics = append(out.Diagnostics, d)
	}
	return out, nil
}

type versionItem struct {
	StateMachineVersionArn string              `json:"stateMachineVersionArn"`
	CreationDate           *protocol.Timestamp `json:"creationDate"`
}

func (h *Handler) publishStateMachineVersion(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		StateMachineArn string `json:"stateMachineArn"`
		RevisionID      string `json:"revisionId"`
		Description     string `json:"description"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("stateMachineArn", in.StateMachineArn); err != nil {
		return nil, err
	}
	arn, created, err := h.svc.PublishStateMachineVersion(ctx, caller(r), in.StateMachineArn, in.RevisionID, in.Description)
	if err != nil {
		return nil, err
	}
	return versionItem{arn, ts(created)}, nil
}

func (h *Handler) listStateMachineVersions(ctx context.Context, r *protocol.Request) (any, error) {
	var in arnInput
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("stateMachineArn", in.StateMachineArn); err != nil {
		return nil, err
	}
	page, err := h.svc.ListStateMachineVersions(ctx, caller(r), in.StateMachineArn, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := struct {
		StateMachineVersions []versionItem `json:"stateMachineVersions"`
		NextToken            string        `json:"nextToken,omitempty"`
	}{StateMachineVersions: []versionItem{}, NextToken: page.NextToken}
	for _, v := range page.Items {
		out.StateMachineVersions = append(out.StateMachineVersions, versionItem{v.ARN, ts(v.Created)})
	}
	return out, nil
}

func (h *Handler) deleteStateMachineVersion(ctx context.Context, r *protocol.Request) (any, error) {
	var in arnInput
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("stateMachineVersionArn", in.StateMachineVersionArn); err != nil {
		return nil, err
	}
	return struct{}{}, h.svc.DeleteStateMachineVersion(ctx, caller(r), in.StateMachineVersionArn)
}

// ---- aliases

type aliasInput struct {
	StateMachineAliasArn string         `json:"stateMachineAliasArn"`
	Name                 string         `json:"name"`
	Description          *string        `json:"description"`
	RoutingConfiguration []states.Route `json:"routingConfiguration"`
}

func (h *Handler) createStateMachineAlias(ctx context.Context, r *protocol.Request) (any, error) {
	var in aliasInput
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("name", in.Name); err != nil {
		return nil, err
	}
	desc := ""
	if in.Description != nil {
		desc = *in.Description
	}
	arn, created, err := h.svc.CreateStateMachineAlias(ctx, caller(r), in.Name, desc, in.RoutingConfiguration)
	if err != nil {
		return nil, err
	}
	return struct {
		StateMachineAliasArn string              `json:"stateMachineAliasArn"`
		CreationDate         *protocol.Timestamp `json:"creationDate"`
	}{arn, ts(created)}, nil
}

func (h *Handler) describeStateMachineAlias(ctx context.Context, r *protocol.Request) (any, error) {
	var in aliasInput
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("stateMachineAliasArn", in.StateMachineAliasArn); err != nil {
		return nil, err
	}
	a, err := h.svc.DescribeStateMachineAlias(ctx, caller(r), in.StateMachineAliasArn)
	if err != nil {
		return nil, err
	}
	return struct {
		StateMachineAliasArn string              `json:"stateMachineAliasArn"`
		Name                 string              `json:"name"`
		Description          string              `json:"description,omitempty"`
		RoutingConfiguration []states.Route      `json:"routingConfiguration"`
		CreationDate         *protocol.Timestamp `json:"creationDate"`
		UpdateDate           *protocol.Timestamp `json:"updateDate"`
	}{a.ARN, a.Name, a.Description, a.Routing, ts(a.Created), ts(a.Updated)}, nil
}

func (h *Handler) updateStateMachineAlias(ctx context.Context, r *protocol.Request) (any, error) {
	var in aliasInput
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("stateMachineAliasArn", in.StateMachineAliasArn); err != nil {
		return nil, err
	}
	updated, err := h.svc.UpdateStateMachineAlias(ctx, caller(r), in.StateMachineAliasArn, in.Description, in.RoutingConfiguration)
	if err != nil {
		return nil, err
	}
	return struct {
		UpdateDate *protocol.Timestamp `json:"updateDate"`
	}{ts(updated)}, nil
}

func (h *Handler) deleteStateMachineAlias(ctx context.Context, r *protocol.Request) (any, error) {
	var in aliasInput
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("stateMachineAliasArn", in.StateMachineAliasArn); err != nil {
		return nil, err
	}
	return struct{}{}, h.svc.DeleteStateMachineAlias(ctx, caller(r), in.StateMachineAliasArn)
}

func (h *Handler) listStateMachineAliases(ctx context.Context, r *protocol.Request) (any, error) {
	var in arnInput
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("stateMachineArn", in.StateMachineArn); err != nil {
		return nil, err
	}
	page, err := h.svc.ListStateMachineAliases(ctx, caller(r), in.StateMachineArn, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	type item struct {
		StateMachineAliasArn string              `json:"stateMachineAliasArn"`
		CreationDate         *protocol.Timestamp `json:"creationDate"`
	}
	out := struct {
		StateMachineAliases []item `json:"stateMachineAliases"`
		NextToken           string `json:"nextToken,omitempty"`
	}{StateMachineAliases: []item{}, NextToken: page.NextToken}
	for _, a := range page.Items {
		out.StateMachineAliases = append(out.StateMachineAliases, item{a.ARN, ts(a.Created)})
	}
	return out, nil
}

// ---- tags

func (h *Handler) tagResource(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		ResourceArn string       `json:"resourceArn"`
		Tags        []states.Tag `json:"tags"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("resourceArn", in.ResourceArn); err != nil {
		return nil, err
	}
	return struct{}{}, h.svc.TagResource(ctx, caller(r), in.ResourceArn, in.Tags)
}

func (h *Handler) untagResource(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		ResourceArn string   `json:"resourceArn"`
		TagKeys     []string `json:"tagKeys"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("resourceArn", in.ResourceArn); err != nil {
		return nil, err
	}
	return struct{}{}, h.svc.UntagResource(ctx, caller(r), in.ResourceArn, in.TagKeys)
}

func (h *Handler) listTagsForResource(ctx context.Context, r *protocol.Request) (any, error) {
	var in arnInput
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("resourceArn", in.ResourceArn); err != nil {
		return nil, err
	}
	tags, err := h.svc.ListTagsForResource(ctx, caller(r), in.ResourceArn)
	if err != nil {
		return nil, err
	}
	if tags == nil {
		tags = []states.Tag{}
	}
	return struct {
		Tags []states.Tag `json:"tags"`
	}{tags}, nil
}

// ---- map runs: distributed Map runs inline, so there are no map runs to describe.

func (h *Handler) mapRunNotFound(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		MapRunArn string `json:"mapRunArn"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	return nil, awserr.New("ResourceNotFound", "Resource not found: '%s'", in.MapRunArn)
}

func (h *Handler) listMapRuns(ctx context.Context, r *protocol.Request) (any, error) {
	var in arnInput
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("executionArn", in.ExecutionArn); err != nil {
		return nil, err
	}
	if _, err := h.svc.DescribeExecution(ctx, caller(r), in.ExecutionArn); err != nil {
		return nil, err
	}
	return struct {
		MapRuns []struct{} `json:"mapRuns"`
	}{[]struct{}{}}, nil
}
