package sfn

import (
	"context"

	"github.com/ceap/ceap/internal/asl"
	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/protocol"
	"github.com/ceap/ceap/internal/states"
)

type startInput struct {
	StateMachineArn string  `json:"stateMachineArn"`
	Name            string  `json:"name"`
	Input           *string `json:"input"`
	TraceHeader     string  `json:"traceHeader"`
	IncludedData    string  `json:"includedData"`
}

func (h *Handler) startExecution(ctx context.Context, r *protocol.Request) (any, error) {
	var in startInput
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("stateMachineArn", in.StateMachineArn); err != nil {
		return nil, err
	}
	e, err := h.svc.StartExecution(ctx, caller(r), &states.StartInput{StateMachineARN: in.StateMachineArn, Name: in.Name, Input: in.Input, TraceHeader: in.TraceHeader})
	if err != nil {
		return nil, err
	}
	return struct {
		ExecutionArn string              `json:"executionArn"`
		StartDate    *protocol.Timestamp `json:"startDate"`
	}{e.ARN, ts(e.Started)}, nil
}

func (h *Handler) startSyncExecution(ctx context.Context, r *protocol.Request) (any, error) {
	var in startInput
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("stateMachineArn", in.StateMachineArn); err != nil {
		return nil, err
	}
	res, err := h.svc.StartSyncExecution(ctx, caller(r), &states.StartInput{StateMachineARN: in.StateMachineArn, Name: in.Name, Input: in.Input, TraceHeader: in.TraceHeader})
	if err != nil {
		return nil, err
	}
	e := res.Execution
	out := struct {
		ExecutionArn    string              `json:"executionArn"`
		StateMachineArn string              `json:"stateMachineArn"`
		Name            string              `json:"name"`
		StartDate       *protocol.Timestamp `json:"startDate"`
		StopDate        *protocol.Timestamp `json:"stopDate"`
		Status          string              `json:"status"`
		Error           string              `json:"error,omitempty"`
		Cause           string              `json:"cause,omitempty"`
		Input           *string             `json:"input,omitempty"`
		InputDetails    *dataDetails        `json:"inputDetails,omitempty"`
		Output          *string             `json:"output,omitempty"`
		OutputDetails   *dataDetails        `json:"outputDetails,omitempty"`
		TraceHeader     string              `json:"traceHeader,omitempty"`
		BillingDetails  map[string]int64    `json:"billingDetails"`
	}{ExecutionArn: e.ARN, StateMachineArn: e.StateMachineARN, Name: e.Name, StartDate: ts(e.Started), StopDate: ts(e.Stopped), Status: e.Status,
		Error: e.Error, Cause: e.Cause, TraceHeader: e.TraceHeader,
		BillingDetails: map[string]int64{"billedMemoryUsedInMB": 64, "billedDurationInMilliseconds": max(100, (e.Stopped.Sub(e.Started).Milliseconds()+99)/100*100)}}
	if in.IncludedData != "METADATA_ONLY" {
		out.Input, out.InputDetails = &e.Input, &dataDetails{Included: true}
		out.Output = e.Output
		if e.Output != nil {
			out.OutputDetails = &dataDetails{Included: true}
		}
	}
	return out, nil
}

func (h *Handler) describeExecution(ctx context.Context, r *protocol.Request) (any, error) {
	var in arnInput
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("executionArn", in.ExecutionArn); err != nil {
		return nil, err
	}
	e, err := h.svc.DescribeExecution(ctx, caller(r), in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	out := struct {
		ExecutionArn           string              `json:"executionArn"`
		StateMachineArn        string              `json:"stateMachineArn"`
		Name                   string              `json:"name"`
		Status                 string              `json:"status"`
		StartDate              *protocol.Timestamp `json:"startDate"`
		StopDate               *protocol.Timestamp `json:"stopDate,omitempty"`
		Input                  *string             `json:"input,omitempty"`
		InputDetails           *dataDetails        `json:"inputDetails,omitempty"`
		Output                 *string             `json:"output,omitempty"`
		OutputDetails          *dataDetails        `json:"outputDetails,omitempty"`
		TraceHeader            string              `json:"traceHeader,omitempty"`
		Error                  string              `json:"error,omitempty"`
		Cause                  string              `json:"cause,omitempty"`
		StateMachineVersionArn string              `json:"stateMachineVersionArn,omitempty"`
		StateMachineAliasArn   string              `json:"stateMachineAliasArn,omitempty"`
		RedriveCount           *int                `json:"redriveCount,omitempty"`
		RedriveDate            *protocol.Timestamp `json:"redriveDate,omitempty"`
		RedriveStatus          string              `json:"redriveStatus,omitempty"`
		RedriveStatusReason    string              `json:"redriveStatusReason,omitempty"`
	}{ExecutionArn: e.ARN, StateMachineArn: e.StateMachineARN, Name: e.Name, Status: e.Status, StartDate: ts(e.Started), StopDate: ts(e.Stopped),
		TraceHeader: e.TraceHeader, Error: e.Error, Cause: e.Cause, StateMachineVersionArn: e.VersionARN, StateMachineAliasArn: e.AliasARN,
		RedriveDate: ts(e.RedriveDate), RedriveStatus: e.RedriveStatus, RedriveStatusReason: e.RedriveStatusReason}
	if !e.Express {
		out.RedriveCount = &e.RedriveCount
	}
	if in.IncludedData != "METADATA_ONLY" {
		out.Input, out.InputDetails = &e.Input, &dataDetails{Included: true}
		out.Output = e.Output
		if e.Output != nil {
			out.OutputDetails = &dataDetails{Included: true}
		}
	}
	return out, nil
}

func (h *Handler) describeStateMachineForExecution(ctx context.Context, r *protocol.Request) (any, error) {
	var in arnInput
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("executionArn", in.ExecutionArn); err != nil {
		return nil, err
	}
	m, err := h.svc.DescribeStateMachineForExecution(ctx, caller(r), in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	return machineOutput{StateMachineArn: m.ARN, Name: m.Name, Definition: m.Definition, RoleArn: m.RoleArn, UpdateDate: ts(m.Updated),
		LoggingConfiguration: defaultLogging(m.Logging), TracingConfiguration: defaultTracing(m.Tracing), RevisionID: m.RevisionID,
		EncryptionConfiguration: m.Encryption}, nil
}

func (h *Handler) listExecutions(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		StateMachineArn string `json:"stateMachineArn"`
		StatusFilter    string `json:"statusFilter"`
		MaxResults      int    `json:"maxResults"`
		NextToken       string `json:"nextToken"`
		MapRunArn       string `json:"mapRunArn"`
		RedriveFilter   string `json:"redriveFilter"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if in.MapRunArn != "" {
		return nil, awserr.New("ResourceNotFound", "Resource not found: '%s'", in.MapRunArn)
	}
	list, next, err := h.svc.ListExecutions(ctx, caller(r), &states.ListExecutionsInput{StateMachineARN: in.StateMachineArn, StatusFilter: in.StatusFilter,
		RedriveFilter: in.RedriveFilter, MaxResults: in.MaxResults, NextToken: in.NextToken})
	if err != nil {
		return nil, err
	}
	type item struct {
		ExecutionArn           string              `json:"executionArn"`
		StateMachineArn        string              `json:"stateMachineArn"`
		Name                   string              `json:"name"`
		Status                 string              `json:"status"`
		StartDate              *protocol.Timestamp `json:"startDate"`
		StopDate               *protocol.Timestamp `json:"stopDate,omitempty"`
		StateMachineVersionArn string              `json:"stateMachineVersionArn,omitempty"`
		StateMachineAliasArn   string              `json:"stateMachineAliasArn,omitempty"`
		RedriveCount           *int                `json:"redriveCount,omitempty"`
		RedriveDate            *protocol.Timestamp `json:"redriveDate,omitempty"`
	}
	out := struct {
		Executions []item `json:"executions"`
		NextToken  string `json:"nextToken,omitempty"`
	}{Executions: []item{}, NextToken: next}
	for _, e := range list {
		it := item{ExecutionArn: e.ARN, StateMachineArn: e.StateMachineARN, Name: e.Name, Status: e.Status, StartDate: ts(e.Started), StopDate: ts(e.Stopped),
			StateMachineVersionArn: e.VersionARN, StateMachineAliasArn: e.AliasARN, RedriveDate: ts(e.RedriveDate)}
		if !e.Express {
			n := e.RedriveCount
			it.RedriveCount = &n
		}
		out.Executions = append(out.Executions, it)
	}
	return out, nil
}

// wireEvent is a history event with its timestamp in the JSON protocol's encoding.
type wireEvent struct {
	asl.HistoryEvent
	Timestamp *protocol.Timestamp `json:"timestamp"`
}

func (h *Handler) getExecutionHistory(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		ExecutionArn         string `json:"executionArn"`
		MaxResults           int    `json:"maxResults"`
		ReverseOrder         bool   `json:"reverseOrder"`
		NextToken            string `json:"nextToken"`
		IncludeExecutionData *bool  `json:"includeExecutionData"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("executionArn", in.ExecutionArn); err != nil {
		return nil, err
	}
	include := in.IncludeExecutionData == nil || *in.IncludeExecutionData
	page, err := h.svc.GetExecutionHistory(ctx, caller(r), in.ExecutionArn, in.MaxResults, in.ReverseOrder, include, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := struct {
		Events    []wireEvent `json:"events"`
		NextToken string      `json:"nextToken,omitempty"`
	}{Events: make([]wireEvent, 0, len(page.Events)), NextToken: page.NextToken}
	for _, e := range page.Events {
		out.Events = append(out.Events, wireEvent{HistoryEvent: e, Timestamp: ts(e.Timestamp)})
	}
	return out, nil
}

func (h *Handler) stopExecution(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		ExecutionArn string `json:"executionArn"`
		Error        string `json:"error"`
		Cause        string `json:"cause"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("executionArn", in.ExecutionArn); err != nil {
		return nil, err
	}
	stopped, err := h.svc.StopExecution(ctx, caller(r), in.ExecutionArn, in.Error, in.Cause)
	if err != nil {
		return nil, err
	}
	return struct {
		StopDate *protocol.Timestamp `json:"stopDate"`
	}{ts(stopped)}, nil
}

func (h *Handler) redriveExecution(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		ExecutionArn string `json:"executionArn"`
		ClientToken  string `json:"clientToken"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("executionArn", in.ExecutionArn); err != nil {
		return nil, err
	}
	at, err := h.svc.RedriveExecution(ctx, caller(r), in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	return struct {
		RedriveDate *protocol.Timestamp `json:"redriveDate"`
	}{ts(at)}, nil
}

// ---- activities

func (h *Handler) createActivity(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		Name                    string                          `json:"name"`
		Tags                    []states.Tag                    `json:"tags"`
		EncryptionConfiguration *states.EncryptionConfiguration `json:"encryptionConfiguration"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("name", in.Name); err != nil {
		return nil, err
	}
	a, err := h.svc.CreateActivity(ctx, caller(r), in.Name, in.Tags, in.EncryptionConfiguration)
	if err != nil {
		return nil, err
	}
	return struct {
		ActivityArn  string              `json:"activityArn"`
		CreationDate *protocol.Timestamp `json:"creationDate"`
	}{a.ARN, ts(a.Created)}, nil
}

func (h *Handler) describeActivity(ctx context.Context, r *protocol.Request) (any, error) {
	var in arnInput
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("activityArn", in.ActivityArn); err != nil {
		return nil, err
	}
	a, err := h.svc.DescribeActivity(ctx, caller(r), in.ActivityArn)
	if err != nil {
		return nil, err
	}
	return struct {
		ActivityArn             string                          `json:"activityArn"`
		Name                    string                          `json:"name"`
		CreationDate            *protocol.Timestamp             `json:"creationDate"`
		EncryptionConfiguration *states.EncryptionConfiguration `json:"encryptionConfiguration,omitempty"`
	}{a.ARN, a.Name, ts(a.Created), a.Encryption}, nil
}

func (h *Handler) deleteActivity(ctx context.Context, r *protocol.Request) (any, error) {
	var in arnInput
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("activityArn", in.ActivityArn); err != nil {
		return nil, err
	}
	return struct{}{}, h.svc.DeleteActivity(ctx, caller(r), in.ActivityArn)
}

func (h *Handler) listActivities(ctx context.Context, r *protocol.Request) (any, error) {
	var in arnInput
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	page, err := h.svc.ListActivities(ctx, caller(r), in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	type item struct {
		ActivityArn  string              `json:"activityArn"`
		Name         string              `json:"name"`
		CreationDate *protocol.Timestamp `json:"creationDate"`
	}
	out := struct {
		Activities []item `json:"activities"`
		NextToken  string `json:"nextToken,omitempty"`
	}{Activities: []item{}, NextToken: page.NextToken}
	for _, a := range page.Items {
		out.Activities = append(out.Activities, item{a.ARN, a.Name, ts(a.Created)})
	}
	return out, nil
}

func (h *Handler) getActivityTask(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		ActivityArn string `json:"activityArn"`
		WorkerName  string `json:"workerName"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("activityArn", in.ActivityArn); err != nil {
		return nil, err
	}
	t, err := h.svc.GetActivityTask(ctx, caller(r), in.ActivityArn, in.WorkerName)
	if err != nil {
		return nil, err
	}
	if t == nil {
		return struct{}{}, nil
	}
	return struct {
		TaskToken string `json:"taskToken"`
		Input     string `json:"input"`
	}{t.Token, t.Input}, nil
}

type taskInput struct {
	TaskToken string  `json:"taskToken"`
	Output    *string `json:"output"`
	Error     string  `json:"error"`
	Cause     string  `json:"cause"`
}

func (h *Handler) sendTaskSuccess(ctx context.Context, r *protocol.Request) (any, error) {
	var in taskInput
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("taskToken", in.TaskToken); err != nil {
		return nil, err
	}
	if in.Output == nil {
		return nil, required("output", "")
	}
	return struct{}{}, h.svc.SendTaskSuccess(ctx, caller(r), in.TaskToken, *in.Output)
}

func (h *Handler) sendTaskFailure(ctx context.Context, r *protocol.Request) (any, error) {
	var in taskInput
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("taskToken", in.TaskToken); err != nil {
		return nil, err
	}
	return struct{}{}, h.svc.SendTaskFailure(ctx, caller(r), in.TaskToken, in.Error, in.Cause)
}

func (h *Handler) sendTaskHeartbeat(ctx context.Context, r *protocol.Request) (any, error) {
	var in taskInput
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("taskToken", in.TaskToken); err != nil {
		return nil, err
	}
	return struct{}{}, h.svc.SendTaskHeartbeat(ctx, caller(r), in.TaskToken)
}

func (h *Handler) testState(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		Definition      *string `json:"definition"`
		RoleArn         string  `json:"roleArn"`
		Input           *string `json:"input"`
		InspectionLevel string  `json:"inspectionLevel"`
		RevealSecrets   bool    `json:"revealSecrets"`
		Variables       *string `json:"variables"`
		StateName       string  `json:"stateName"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if in.Definition == nil {
		return nil, required("definition", "")
	}
	res, err := h.svc.TestState(ctx, caller(r), &states.TestStateInput{Definition: *in.Definition, RoleArn: in.RoleArn, Input: in.Input, StateName: in.StateName, Variables: in.Variables})
	if err != nil {
		return nil, err
	}
	type inspection struct {
		Input     string `json:"input,omitempty"`
		Result    string `json:"result,omitempty"`
		Variables string `json:"variables,omitempty"`
	}
	out := struct {
		Output         *string     `json:"output,omitempty"`
		Error          string      `json:"error,omitempty"`
		Cause          string      `json:"cause,omitempty"`
		InspectionData *inspection `json:"inspectionData,omitempty"`
		NextState      string      `json:"nextState,omitempty"`
		Status         string      `json:"status"`
	}{Output: res.Output, Error: res.Error, Cause: res.Cause, NextState: res.NextState, Status: res.Status}
	if in.InspectionLevel != "" {
		out.InspectionData = &inspection{Input: res.Input, Result: res.Result}
	}
	return out, nil
}
