package server

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	apisfn "github.com/ceap/ceap/internal/api/sfn"
	"github.com/ceap/ceap/internal/asl/fault"
	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/clock"
	"github.com/ceap/ceap/internal/funcs"
	"github.com/ceap/ceap/internal/jobs"
	"github.com/ceap/ceap/internal/protocol"
	"github.com/ceap/ceap/internal/queues"
	"github.com/ceap/ceap/internal/states"
	"github.com/ceap/ceap/internal/topics"
)

// glueRunPoll is how often a glue:startJobRun.sync task looks at its job run.
const glueRunPoll = 500 * time.Millisecond

// wireStates builds the Step Functions service, serves its API and runs its worker (timers,
// tasks, child executions) and its Express recorder, and registers the task integrations of
// the services it runs tasks on (Lambda, Glue, SQS, SNS, S3). GetActivityTask long polls end as soon
// as the server begins to shut down.
func wireStates(s *Server) error {
	svc := states.New(states.Config{
		Store: s.store, Clock: s.clock, Metrics: s.metrics, Log: s.log.With("component", "states"),
		ExpressRetention: time.Duration(s.cfg.ExpressRetention),
		Logs:             s.statesLogs(),
		Status:           s.statesStatusListener(),
	})
	if fs := s.funcService(); fs != nil {
		l := lambdaTasks{fs}
		svc.Register("arn:aws:states:::lambda:invoke", l)
		svc.Register("arn:aws:lambda:", l)
	}
	if js := s.jobService(); js != nil {
		svc.Register("arn:aws:states:::glue:startJobRun", glueTasks{js, s.clock})
	}
	if qs := s.queueService(); qs != nil {
		svc.Register("arn:aws:states:::sqs:sendMessage", sqsTasks{qs})
	}
	if ts := s.topicService(); ts != nil {
		svc.Register("arn:aws:states:::sns:publish", snsTasks{ts})
	}
	s3 := s3Tasks{s}
	svc.Register("arn:aws:states:::s3:getObject", s3)
	svc.Register("arn:aws:states:::s3:listObjectsV2", s3)
	svc.Register("arn:aws:states:::aws-sdk:s3:", s3)
	if s.http != nil {
		s.http.RegisterOnShutdown(svc.EndPolls)
	}
	s.handle(protocol.States, apisfn.New(svc, s.log.With("component", "sfn")))
	s.component(protocol.States, svc)
	return nil
}

// stateService returns the wired Step Functions service (nil before wireStates ran), for the
// services that start executions (pipes, EventBridge targets).
func (s *Server) stateService() *states.Service {
	for _, c := range s.components {
		if svc, ok := c.c.(*states.Service); ok {
			return svc
		}
	}
	return nil
}

// taskFault turns a service's API error into the task error Step Functions reports for it:
// "<Service>.<Code>", the code ending in Exception.
func taskFault(service string, err error) error {
	ae, ok := awserr.As(err)
	if !ok {
		return err
	}
	code := ae.Code
	if !strings.HasSuffix(code, "Exception") {
		code += "Exception"
	}
	return &fault.Error{Name: service + "." + code, Cause: ae.Message}
}

func params(call *states.TaskCall) map[string]any {
	p, _ := call.Parameters.(map[string]any)
	if p == nil {
		p = map[string]any{}
	}
	return p
}

// text is a parameter that may be given as a string or as any JSON value (sent as its JSON).
func text(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if v == nil {
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func httpMetadata(status int, requestID string) (map[string]any, map[string]any) {
	return map[string]any{"HttpStatusCode": status, "HttpHeaders": map[string]any{"x-amzn-RequestId": requestID}},
		map[string]any{"RequestId": requestID}
}

// lambdaTasks runs Lambda functions: the optimized arn:aws:states:::lambda:invoke integration
// (its result is Invoke's response, the function's result under Payload) and function ARNs used
// as resources (the result is the function's own).
type lambdaTasks struct{ svc *funcs.Service }

func (l lambdaTasks) Invoke(ctx context.Context, call *states.TaskCall) (any, error) {
	optimized := strings.HasPrefix(call.Resource, "arn:aws:states:::lambda:invoke")
	fn, payload, opts := call.Resource, []byte("{}"), funcs.InvokeOptions{}
	if optimized {
		p := params(call)
		fn = text(p["FunctionName"])
		opts.Qualifier, _ = p["Qualifier"].(string)
		opts.InvocationType, _ = p["InvocationType"].(string)
		opts.ClientContext, _ = p["ClientContext"].(string)
		if v, ok := p["Payload"]; ok {
			payload, _ = json.Marshal(v)
		}
	} else if call.Parameters != nil {
		payload, _ = json.Marshal(call.Parameters)
	}
	res, err := l.svc.Invoke(ctx, call.Account, fn, payload, opts)
	if err != nil {
		return nil, taskFault("Lambda", err)
	}
	if res.FunctionError != "" {
		var fe struct {
			ErrorType string `json:"errorType"`
		}
		json.Unmarshal(res.Payload, &fe)
		name := fe.ErrorType
		if name == "" {
			name = "Lambda.Unknown"
		}
		return nil, &fault.Error{Name: name, Cause: string(res.Payload)}
	}
	var out any
	if len(res.Payload) > 0 {
		if err := json.Unmarshal(res.Payload, &out); err != nil {
			out = string(res.Payload)
		}
	}
	if !optimized {
		return out, nil
	}
	http, meta := httpMetadata(res.StatusCode, res.RequestID)
	result := map[string]any{"ExecutedVersion": res.ExecutedVersion, "StatusCode": res.StatusCode, "SdkHttpMetadata": http, "SdkResponseMetadata": meta}
	if out != nil {
		result["Payload"] = out
	}
	return result, nil
}

// glueTasks runs glue:startJobRun and, with .sync, waits for the run to end: a run that does not
// succeed fails the task with States.TaskFailed and the run as the cause, as AWS reports it.
type glueTasks struct {
	svc *jobs.Service
	clk clock.Clock
}

func (g glueTasks) Invoke(ctx context.Context, call *states.TaskCall) (any, error) {
	p := params(call)
	in := jobs.StartJobRunInput{JobName: text(p["JobName"])}
	if args, ok := p["Arguments"].(map[string]any); ok {
		in.Arguments = map[string]string{}
		for k, v := range args {
			in.Arguments[k] = text(v)
		}
	}
	if t, ok := p["Timeout"].(float64); ok {
		in.Timeout = int(t)
	}
	if w, ok := p["WorkerType"].(string); ok {
		in.WorkerType = w
	}
	id, err := g.svc.StartJobRun(ctx, call.Account, in)
	if err != nil {
		return nil, taskFault("Glue", err)
	}
	if !strings.HasSuffix(call.Resource, ".sync") {
		return map[string]any{"JobRunId": id}, nil
	}
	for {
		run, err := g.svc.GetJobRun(ctx, call.Account, in.JobName, id)
		if err != nil {
			return nil, taskFault("Glue", err)
		}
		switch run.State {
		case jobs.Succeeded:
			return jobRunOutput(run), nil
		case jobs.Failed, jobs.Stopped, jobs.Timeout, "ERROR", "EXPIRED":
			b, _ := json.Marshal(jobRunOutput(run))
			return nil, &fault.Error{Name: fault.TaskFailed, Cause: string(b)}
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-g.clk.After(glueRunPoll):
		}
	}
}

// jobRunOutput is GetJobRun's JobRun as a .sync task returns it.
func jobRunOutput(r *jobs.JobRun) map[string]any {
	out := map[string]any{
		"Id": r.ID, "JobName": r.JobName, "JobRunState": r.State, "Attempt": r.Attempt, "ExecutionTime": r.ExecutionTime,
		"StartedOn": r.Started.UnixMilli(), "LastModifiedOn": r.Modified.UnixMilli(), "Timeout": r.Timeout,
	}
	if len(r.Arguments) > 0 {
		out["Arguments"] = r.Arguments
	}
	if !r.Completed.IsZero() {
		out["CompletedOn"] = r.Completed.UnixMilli()
	}
	if r.ErrorMessage != "" {
		out["ErrorMessage"] = r.ErrorMessage
	}
	if r.GlueVersion != "" {
		out["GlueVersion"] = r.GlueVersion
	}
	if r.LogGroupName != "" {
		out["LogGroupName"] = r.LogGroupName
	}
	return out
}

// sqsTasks runs sqs:sendMessage.
type sqsTasks struct{ svc *queues.Service }

func (q sqsTasks) Invoke(ctx context.Context, call *states.TaskCall) (any, error) {
	p := params(call)
	url := text(p["QueueUrl"])
	parts := strings.Split(strings.TrimRight(url, "/"), "/")
	if len(parts) < 2 {
		return nil, &fault.Error{Name: "SQS.QueueDoesNotExistException", Cause: fmt.Sprintf("The specified queue does not exist: %s", url)}
	}
	ref := queues.Ref{Account: parts[len(parts)-2], Name: parts[len(parts)-1]}
	if ref.Account != call.Account {
		return nil, &fault.Error{Name: "SQS.QueueDoesNotExistException", Cause: fmt.Sprintf("The specified queue does not exist: %s", url)}
	}
	e := queues.SendEntry{Body: text(p["MessageBody"])}
	e.GroupID, _ = p["MessageGroupId"].(string)
	e.DedupID, _ = p["MessageDeduplicationId"].(string)
	if d, ok := p["DelaySeconds"].(float64); ok {
		n := int64(d)
		e.DelaySeconds = &n
	}
	if attrs, ok := p["MessageAttributes"].(map[string]any); ok {
		e.Attributes = map[string]queues.Attribute{}
		for k, v := range attrs {
			m, _ := v.(map[string]any)
			sv := text(m["StringValue"])
			e.Attributes[k] = queues.Attribute{DataType: text(m["DataType"]), StringValue: &sv}
		}
	}
	res, err := q.svc.Send(ctx, ref, call.ExecutionARN, e)
	if err != nil {
		return nil, taskFault("SQS", err)
	}
	http, meta := httpMetadata(200, res.MessageID)
	out := map[string]any{"MessageId": res.MessageID, "MD5OfMessageBody": res.MD5Body, "SdkHttpMetadata": http, "SdkResponseMetadata": meta}
	if res.MD5Attributes != "" {
		out["MD5OfMessageAttributes"] = res.MD5Attributes
	}
	if res.SequenceNumber != "" {
		out["SequenceNumber"] = res.SequenceNumber
	}
	return out, nil
}

// snsTasks runs sns:publish.
type snsTasks struct{ svc *topics.Service }

func (t snsTasks) Invoke(ctx context.Context, call *states.TaskCall) (any, error) {
	p := params(call)
	in := topics.PublishInput{TopicARN: text(p["TopicArn"]), Message: text(p["Message"])}
	in.Subject, _ = p["Subject"].(string)
	in.MessageStructure, _ = p["MessageStructure"].(string)
	if attrs, ok := p["MessageAttributes"].(map[string]any); ok {
		in.MessageAttributes = map[string]topics.Attribute{}
		for k, v := range attrs {
			m, _ := v.(map[string]any)
			in.MessageAttributes[k] = topics.Attribute{DataType: text(m["DataType"]), StringValue: text(m["StringValue"])}
		}
	}
	id, err := t.svc.Publish(ctx, call.Account, in)
	if err != nil {
		return nil, taskFault("SNS", err)
	}
	http, meta := httpMetadata(200, id)
	return map[string]any{"MessageId": id, "SdkHttpMetadata": http, "SdkResponseMetadata": meta}, nil
}
