package stage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"
)

// Input is what a stage's work receives.
type Input struct {
	Payload
	// Data is the previous stage's output document, or the message for the first stage.
	Data json.RawMessage
	// Now is when the stage started.
	Now time.Time
	// Objects reaches the bucket, for stages that write more than their output.
	Objects Objects
	// Log is the stage's logger, tagged with the execution id and stage.
	Log *slog.Logger
}

// Output is what a stage's work produces.
type Output struct {
	// Document is written as JSON to the stage's output key.
	Document any
	// Records is the number of records the stage processed.
	Records int
}

// Func is a stage's work.
type Func func(ctx context.Context, in *Input) (Output, error)

// Runner runs a stage's work under the contract.
type Runner struct {
	Objects Objects
	// Log receives the stage's JSON lines; nil means JSON lines on standard output.
	Log *slog.Logger
	// Now reads the clock; nil means time.Now.
	Now func() time.Time
}

// ContentType is the content type of every document a stage writes.
const ContentType = "application/json"

// The values of the status key in a stage's log lines.
const (
	logStarted   = "STARTED"
	logSucceeded = "SUCCEEDED"
	logFailed    = "FAILED"
)

// testDocument is what every stage writes in test mode.
type testDocument struct {
	Stage  string          `json:"stage"`
	Status string          `json:"status"`
	Test   bool            `json:"test"`
	FailAt string          `json:"failAt,omitempty"`
	Input  json.RawMessage `json:"input"`
}

// Run runs one invocation: it reads the stage's input, applies test mode and injected failures,
// runs fn, writes the output document and returns the result. Errors are logged here, once.
func (r *Runner) Run(ctx context.Context, p Payload, fn Func) (Result, error) {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	start := now()
	base := r.Log
	if base == nil {
		base = slog.New(slog.NewJSONHandler(os.Stdout, nil))
	}
	log := base.With("executionId", p.ExecutionID, "stage", p.CurrentStage)
	log.Info("stage started", "status", logStarted, "previousStage", p.PreviousStage)

	res, err := r.run(ctx, p, fn, log, start)
	duration := now().Sub(start).Milliseconds()
	if err != nil {
		log.Error("stage failed", "status", logFailed, "duration", duration,
			"errorType", ErrorType(err), "errorMessage", err.Error())
		return Result{}, err
	}
	log.Info("stage succeeded", "status", logSucceeded, "duration", duration,
		"recordsProcessed", res.RecordsProcessed)
	return res, nil
}

func (r *Runner) run(ctx context.Context, p Payload, fn Func, log *slog.Logger, start time.Time) (Result, error) {
	if err := p.validate(); err != nil {
		return Result{}, err
	}
	data, err := r.input(ctx, p, log)
	if err != nil {
		return Result{}, err
	}
	ctl, err := readControl(data)
	if err != nil {
		return Result{}, &InvalidJSON{What: "stage input", Err: err}
	}
	if ctl.FailAt == p.CurrentStage {
		return Result{}, &InjectedFailure{Stage: p.CurrentStage}
	}

	var out Output
	if ctl.Test {
		out.Document = testDocument{Stage: p.CurrentStage, Status: "success", Test: true, FailAt: ctl.FailAt, Input: data}
	} else {
		out, err = fn(ctx, &Input{Payload: p, Data: data, Now: start, Objects: r.Objects, Log: log})
		if err != nil {
			return Result{}, err
		}
	}

	body, err := json.Marshal(out.Document)
	if err != nil {
		return Result{}, &StageError{Err: fmt.Errorf("encode output of %s: %w", p.CurrentStage, err)}
	}
	key := OutputKey(p.ExecutionID, p.CurrentStage)
	if err := r.Objects.Put(ctx, p.WorkflowBucket, key, body, ContentType); err != nil {
		return Result{}, &StorageError{Op: "put", Bucket: p.WorkflowBucket, Key: key, Err: err}
	}
	log.Info("stage output written", "outputKey", key, "outputSize", len(body), "recordCount", out.Records)
	return Result{Status: StatusSuccess, Stage: p.CurrentStage, RecordsProcessed: out.Records}, nil
}

// input reads the previous stage's output, or takes the message for the first stage.
func (r *Runner) input(ctx context.Context, p Payload, log *slog.Logger) (json.RawMessage, error) {
	if p.PreviousStage == "" {
		msg, err := Message(p.InitialData)
		if err != nil {
			return nil, err
		}
		log.Info("stage input read", "inputSource", "initialData", "inputSize", len(msg))
		return msg, nil
	}
	key := OutputKey(p.ExecutionID, p.PreviousStage)
	body, err := r.Objects.Get(ctx, p.WorkflowBucket, key)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, &NoSuchKey{Bucket: p.WorkflowBucket, Key: key}
	case err != nil:
		return nil, &StorageError{Op: "get", Bucket: p.WorkflowBucket, Key: key, Err: err}
	}
	if !json.Valid(body) {
		return nil, &InvalidJSON{What: "s3://" + p.WorkflowBucket + "/" + key, Err: errNotJSON}
	}
	log.Info("stage input read", "inputSource", "s3", "inputKey", key, "inputSize", len(body))
	return json.RawMessage(body), nil
}

// Handler returns the Lambda handler for fn: it runs fn under the contract and returns errors
// as one of this package's types, so the Task's error is named after it.
func (r *Runner) Handler(fn Func) func(context.Context, Payload) (Result, error) {
	return func(ctx context.Context, p Payload) (Result, error) {
		res, err := r.Run(ctx, p, fn)
		if err != nil {
			return Result{}, reportable(err)
		}
		return res, nil
	}
}
