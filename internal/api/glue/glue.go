// Package glue serves the Glue API's job operations (awsJson 1.1, target prefix AWSGlue): it
// decodes each operation's input, calls the jobs service, and encodes the output with the member
// names of botocore's glue model. It holds no domain logic and no state.
package glue

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/jobs"
	"github.com/ceap/ceap/internal/protocol"
)

// Handler serves the Glue API.
type Handler struct {
	svc *jobs.Service
	rpc *protocol.RPCService
}

// New returns the handler of svc.
func New(svc *jobs.Service, log *slog.Logger) *Handler {
	h := &Handler{svc: svc}
	h.rpc = &protocol.RPCService{Key: protocol.Glue, Log: log, Ops: map[string]protocol.Op{
		"CreateJob":       h.createJob,
		"GetJob":          h.getJob,
		"GetJobs":         h.getJobs,
		"UpdateJob":       h.updateJob,
		"DeleteJob":       h.deleteJob,
		"ListJobs":        h.listJobs,
		"StartJobRun":     h.startJobRun,
		"GetJobRun":       h.getJobRun,
		"GetJobRuns":      h.getJobRuns,
		"BatchStopJobRun": h.batchStopJobRun,
	}}
	return h
}

// ServeAWS serves one request.
func (h *Handler) ServeAWS(w http.ResponseWriter, r *protocol.Request) { h.rpc.Serve(w, r) }

// WriteError encodes err as a Glue error.
func (h *Handler) WriteError(w http.ResponseWriter, r *protocol.Request, err error) {
	h.rpc.WriteError(w, r, err)
}

func required(name, value string) error {
	if value == "" {
		return awserr.MissingMember("InvalidInputException", name)
	}
	return nil
}

type executionProperty struct {
	MaxConcurrentRuns int `json:"MaxConcurrentRuns"`
}

// jobIO is the Job shape (input of CreateJob, JobUpdate, output of GetJob).
type jobIO struct {
	Name                    string              `json:"Name,omitempty"`
	Description             string              `json:"Description,omitempty"`
	Role                    string              `json:"Role,omitempty"`
	CreatedOn               *protocol.Timestamp `json:"CreatedOn,omitempty"`
	LastModifiedOn          *protocol.Timestamp `json:"LastModifiedOn,omitempty"`
	ExecutionProperty       *executionProperty  `json:"ExecutionProperty,omitempty"`
	Command                 *jobs.Command       `json:"Command,omitempty"`
	DefaultArguments        map[string]string   `json:"DefaultArguments,omitempty"`
	NonOverridableArguments map[string]string   `json:"NonOverridableArguments,omitempty"`
	MaxRetries              int                 `json:"MaxRetries"`
	Timeout                 int                 `json:"Timeout,omitempty"`
	MaxCapacity             *float64            `json:"MaxCapacity,omitempty"`
	WorkerType              string              `json:"WorkerType,omitempty"`
	NumberOfWorkers         *int                `json:"NumberOfWorkers,omitempty"`
	GlueVersion             string              `json:"GlueVersion,omitempty"`
	Tags                    map[string]string   `json:"Tags,omitempty"`
}

func (in *jobIO) toDomain() *jobs.Job {
	j := &jobs.Job{Name: in.Name, Description: in.Description, Role: in.Role, DefaultArguments: in.DefaultArguments,
		NonOverridable: in.NonOverridableArguments, MaxRetries: in.MaxRetries, Timeout: in.Timeout, MaxCapacity: in.MaxCapacity,
		WorkerType: in.WorkerType, NumberOfWorkers: in.NumberOfWorkers, GlueVersion: in.GlueVersion, Tags: in.Tags}
	if in.Command != nil {
		j.Command = *in.Command
	}
	if in.ExecutionProperty != nil {
		j.MaxConcurrentRuns = in.ExecutionProperty.MaxConcurrentRuns
	}
	return j
}

func jobOut(j *jobs.Job) jobIO {
	cmd := j.Command
	return jobIO{Name: j.Name, Description: j.Description, Role: j.Role, CreatedOn: protocol.TS(j.Created), LastModifiedOn: protocol.TS(j.Modified),
		ExecutionProperty: &executionProperty{MaxConcurrentRuns: j.MaxConcurrentRuns}, Command: &cmd, DefaultArguments: j.DefaultArguments,
		NonOverridableArguments: j.NonOverridable, MaxRetries: j.MaxRetries, Timeout: j.Timeout, MaxCapacity: j.MaxCapacity,
		WorkerType: j.WorkerType, NumberOfWorkers: j.NumberOfWorkers, GlueVersion: j.GlueVersion}
}

type nameOut struct {
	Name string `json:"Name"`
}

func (h *Handler) createJob(ctx context.Context, r *protocol.Request) (any, error) {
	var in jobIO
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("name", in.Name); err != nil {
		return nil, err
	}
	if err := required("role", in.Role); err != nil {
		return nil, err
	}
	if in.Command == nil {
		return nil, required("command", "")
	}
	if err := h.svc.CreateJob(ctx, r.Caller.Account, in.toDomain()); err != nil {
		return nil, err
	}
	return nameOut{Name: in.Name}, nil
}

type jobNameIn struct {
	JobName string `json:"JobName"`
}

type getJobOut struct {
	Job jobIO `json:"Job"`
}

func (h *Handler) getJob(ctx context.Context, r *protocol.Request) (any, error) {
	var in jobNameIn
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("jobName", in.JobName); err != nil {
		return nil, err
	}
	j, err := h.svc.GetJob(ctx, r.Caller.Account, in.JobName)
	if err != nil {
		return nil, err
	}
	return getJobOut{Job: jobOut(j)}, nil
}

type pageIn struct {
	NextToken  string            `json:"NextToken"`
	MaxResults int               `json:"MaxResults"`
	Tags       map[string]string `json:"Tags"`
	JobName    string            `json:"JobName"`
}

type getJobsOut struct {
	Jobs      []jobIO `json:"Jobs"`
	NextToken string  `json:"NextToken,omitempty"`
}

func (h *Handler) getJobs(ctx context.Context, r *protocol.Request) (any, error) {
	var in pageIn
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	list, next, err := h.svc.GetJobs(ctx, r.Caller.Account, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	out := getJobsOut{Jobs: make([]jobIO, len(list)), NextToken: next}
	for i, j := range list {
		out.Jobs[i] = jobOut(j)
	}
	return out, nil
}

type updateJobIn struct {
	JobName   string `json:"JobName"`
	JobUpdate *jobIO `json:"JobUpdate"`
}

type jobNameOut struct {
	JobName string `json:"JobName"`
}

func (h *Handler) updateJob(ctx context.Context, r *protocol.Request) (any, error) {
	var in updateJobIn
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("jobName", in.JobName); err != nil {
		return nil, err
	}
	if in.JobUpdate == nil {
		return nil, required("jobUpdate", "")
	}
	if err := h.svc.UpdateJob(ctx, r.Caller.Account, in.JobName, in.JobUpdate.toDomain()); err != nil {
		return nil, err
	}
	return jobNameOut{JobName: in.JobName}, nil
}

func (h *Handler) deleteJob(ctx context.Context, r *protocol.Request) (any, error) {
	var in jobNameIn
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("jobName", in.JobName); err != nil {
		return nil, err
	}
	if err := h.svc.DeleteJob(ctx, r.Caller.Account, in.JobName); err != nil {
		return nil, err
	}
	return jobNameOut{JobName: in.JobName}, nil
}

type listJobsOut struct {
	JobNames  []string `json:"JobNames"`
	NextToken string   `json:"NextToken,omitempty"`
}

func (h *Handler) listJobs(ctx context.Context, r *protocol.Request) (any, error) {
	var in pageIn
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	names, next, err := h.svc.ListJobs(ctx, r.Caller.Account, in.NextToken, in.MaxResults, in.Tags)
	if err != nil {
		return nil, err
	}
	if names == nil {
		names = []string{}
	}
	return listJobsOut{JobNames: names, NextToken: next}, nil
}

type startJobRunIn struct {
	JobName         string            `json:"JobName"`
	Arguments       map[string]string `json:"Arguments"`
	Timeout         int               `json:"Timeout"`
	MaxCapacity     *float64          `json:"MaxCapacity"`
	WorkerType      string            `json:"WorkerType"`
	NumberOfWorkers *int              `json:"NumberOfWorkers"`
}

type startJobRunOut struct {
	JobRunID string `json:"JobRunId"`
}

func (h *Handler) startJobRun(ctx context.Context, r *protocol.Request) (any, error) {
	var in startJobRunIn
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("jobName", in.JobName); err != nil {
		return nil, err
	}
	id, err := h.svc.StartJobRun(ctx, r.Caller.Account, jobs.StartJobRunInput{JobName: in.JobName, Arguments: in.Arguments, Timeout: in.Timeout,
		MaxCapacity: in.MaxCapacity, WorkerType: in.WorkerType, NumberOfWorkers: in.NumberOfWorkers})
	if err != nil {
		return nil, err
	}
	return startJobRunOut{JobRunID: id}, nil
}

type jobRunOut struct {
	ID              string              `json:"Id"`
	Attempt         int                 `json:"Attempt"`
	PreviousRunID   string              `json:"PreviousRunId,omitempty"`
	JobName         string              `json:"JobName"`
	StartedOn       *protocol.Timestamp `json:"StartedOn,omitempty"`
	LastModifiedOn  *protocol.Timestamp `json:"LastModifiedOn,omitempty"`
	CompletedOn     *protocol.Timestamp `json:"CompletedOn,omitempty"`
	JobRunState     string              `json:"JobRunState"`
	Arguments       map[string]string   `json:"Arguments,omitempty"`
	ErrorMessage    string              `json:"ErrorMessage,omitempty"`
	ExecutionTime   int64               `json:"ExecutionTime"`
	Timeout         int                 `json:"Timeout,omitempty"`
	MaxCapacity     *float64            `json:"MaxCapacity,omitempty"`
	WorkerType      string              `json:"WorkerType,omitempty"`
	NumberOfWorkers *int                `json:"NumberOfWorkers,omitempty"`
	GlueVersion     string              `json:"GlueVersion,omitempty"`
	LogGroupName    string              `json:"LogGroupName,omitempty"`
}

func runOut(jr *jobs.JobRun) jobRunOut {
	return jobRunOut{ID: jr.ID, Attempt: jr.Attempt, PreviousRunID: jr.PreviousRunID, JobName: jr.JobName, StartedOn: protocol.TS(jr.Started), LastModifiedOn: protocol.TS(jr.Modified),
		CompletedOn: protocol.TS(jr.Completed), JobRunState: jr.State, Arguments: jr.Arguments, ErrorMessage: jr.ErrorMessage,
		ExecutionTime: jr.ExecutionTime, Timeout: jr.Timeout, MaxCapacity: jr.MaxCapacity, WorkerType: jr.WorkerType,
		NumberOfWorkers: jr.NumberOfWorkers, GlueVersion: jr.GlueVersion, LogGroupName: jr.LogGroupName}
}

type getJobRunIn struct {
	JobName string `json:"JobName"`
	RunID   string `json:"RunId"`
}

type getJobRunOut struct {
	JobRun jobRunOut `json:"JobRun"`
}

func (h *Handler) getJobRun(ctx context.Context, r *protocol.Request) (any, error) {
	var in getJobRunIn
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("jobName", in.JobName); err != nil {
		return nil, err
	}
	if err := required("runId", in.RunID); err != nil {
		return nil, err
	}
	jr, err := h.svc.GetJobRun(ctx, r.Caller.Account, in.JobName, in.RunID)
	if err != nil {
		return nil, err
	}
	return getJobRunOut{JobRun: runOut(jr)}, nil
}

type getJobRunsOut struct {
	JobRuns   []jobRunOut `json:"JobRuns"`
	NextToken string      `json:"NextToken,omitempty"`
}

func (h *Handler) getJobRuns(ctx context.Context, r *protocol.Request) (any, error) {
	var in pageIn
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("jobName", in.JobName); err != nil {
		return nil, err
	}
	runs, next, err := h.svc.GetJobRuns(ctx, r.Caller.Account, in.JobName, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	out := getJobRunsOut{JobRuns: make([]jobRunOut, len(runs)), NextToken: next}
	for i, jr := range runs {
		out.JobRuns[i] = runOut(jr)
	}
	return out, nil
}

type batchStopIn struct {
	JobName   string   `json:"JobName"`
	JobRunIDs []string `json:"JobRunIds"`
}

type stopSubmission struct {
	JobName  string `json:"JobName"`
	JobRunID string `json:"JobRunId"`
}

type stopError struct {
	JobName     string            `json:"JobName"`
	JobRunID    string            `json:"JobRunId"`
	ErrorDetail map[string]string `json:"ErrorDetail"`
}

type batchStopOut struct {
	SuccessfulSubmissions []stopSubmission `json:"SuccessfulSubmissions"`
	Errors                []stopError      `json:"Errors"`
}

func (h *Handler) batchStopJobRun(ctx context.Context, r *protocol.Request) (any, error) {
	var in batchStopIn
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("jobName", in.JobName); err != nil {
		return nil, err
	}
	ok, failed, err := h.svc.BatchStopJobRun(ctx, r.Caller.Account, in.JobName, in.JobRunIDs)
	if err != nil {
		return nil, err
	}
	out := batchStopOut{SuccessfulSubmissions: []stopSubmission{}, Errors: []stopError{}}
	for _, id := range ok {
		out.SuccessfulSubmissions = append(out.SuccessfulSubmissions, stopSubmission{JobName: in.JobName, JobRunID: id})
	}
	for _, f := range failed {
		out.Errors = append(out.Errors, stopError{JobName: in.JobName, JobRunID: f.RunID, ErrorDetail: map[string]string{"ErrorCode": f.Code, "ErrorMessage": f.Message}})
	}
	return out, nil
}
