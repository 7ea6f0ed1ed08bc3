package states

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/google/uuid"

	"github.com/ceap/ceap/internal/asl"
	"github.com/ceap/ceap/internal/asl/fault"
	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/store"
)

// startExecutionResource is the optimized integration that starts another state machine.
const startExecutionResource = "arn:aws:states:::states:startExecution"

// childNamespace derives the names of child executions from their parent and command, so that
// performing the same task again finds the same child. It is a constant value.
var childNamespace = uuid.MustParse("6f1c1d2e-5b7a-4d0e-9a51-3c8e2f1b7d40")

// startExecution is the states:startExecution integration (with .sync and .sync:2).
type startExecution struct{ s *Service }

func (i startExecution) Invoke(ctx context.Context, call *TaskCall) (any, error) {
	mode := strings.TrimPrefix(call.Resource, startExecutionResource)
	params, _ := call.Parameters.(map[string]any)
	machine, _ := params["StateMachineArn"].(string)
	if machine == "" {
		return nil, fault.New("States.Runtime", "The field 'StateMachineArn' is required by the resource %s.", call.Resource)
	}
	var input *string
	switch v := params["Input"].(type) {
	case nil:
	case string:
		input = &v
	default:
		s := compact(v)
		input = &s
	}
	name, _ := params["Name"].(string)
	if name == "" {
		name = uuid.NewSHA1(childNamespace, []byte(call.ExecutionARN+"\x00"+commandOf(ctx))).String()
	}
	in := &StartInput{StateMachineARN: machine, Name: name, Input: input}
	switch mode {
	case "":
	case ".sync", ".sync:2":
		in.parent = &parentRef{ExecutionARN: call.ExecutionARN, CommandID: commandOf(ctx), Output2: mode == ".sync:2"}
	default:
		return nil, unknownResource(call.Resource)
	}
	t, err := i.s.resolveTarget(ctx, call.Caller, machine, i.s.pick)
	if err != nil {
		return nil, apiFault(err)
	}
	if t.machine.Type == TypeExpress && in.parent != nil {
		raw, v, err := checkInput(in.Input)
		if err != nil {
			return nil, apiFault(err)
		}
		e, err := i.s.runExpress(ctx, call.Caller, t, in, raw, v)
		if err != nil {
			return nil, apiFault(err)
		}
		return childOutcome(e, in.parent.Output2)
	}
	e, err := i.s.StartExecution(ctx, call.Caller, in)
	if err != nil {
		return nil, apiFault(err)
	}
	if in.parent != nil {
		return nil, errTaskPending
	}
	return map[string]any{"ExecutionArn": e.ARN, "StartDate": float64(e.Started.UnixMilli()) / 1000}, nil
}

// apiFault turns an API error of a child start into the task error AWS reports
// (StepFunctions.<Code>).
func apiFault(err error) error {
	if ae, ok := awserr.As(err); ok {
		return fault.New("StepFunctions."+ae.Code+"Exception", "%s", ae.Message)
	}
	return err
}

// describeOutput is the DescribeExecution-shaped result of a .sync child.
func describeOutput(e *Execution, output2 bool) map[string]any {
	m := map[string]any{
		"ExecutionArn": e.ARN, "StateMachineArn": e.StateMachineARN, "Name": e.Name, "Status": e.Status,
		"StartDate": float64(e.Started.UnixMilli()) / 1000, "Input": e.Input, "InputDetails": map[string]any{"Included": true},
	}
	if output2 {
		var in any
		json.Unmarshal([]byte(e.Input), &in)
		m["Input"] = in
	}
	if !e.Stopped.IsZero() {
		m["StopDate"] = float64(e.Stopped.UnixMilli()) / 1000
	}
	if e.Output != nil {
		m["OutputDetails"] = map[string]any{"Included": true}
		if output2 {
			var out any
			json.Unmarshal([]byte(*e.Output), &out)
			m["Output"] = out
		} else {
			m["Output"] = *e.Output
		}
	}
	if e.Error != "" {
		m["Error"] = e.Error
	}
	if e.Cause != "" {
		m["Cause"] = e.Cause
	}
	return m
}

// childOutcome is a finished child's task result: its description, or a failure whose cause
// is that description.
func childOutcome(e *Execution, output2 bool) (any, error) {
	d := describeOutput(e, output2)
	if e.Status == asl.StatusSucceeded {
		return d, nil
	}
	return nil, &fault.Error{Name: fault.TaskFailed, Cause: compact(d)}
}

// childResult is the event a finished child sends to its parent's waiting task.
func (s *Service) childResult(row *store.ExecutionRow, doc *execDoc) *eventDoc {
	out, err := childOutcome(s.execution(row, doc), doc.Parent.Output2)
	if err != nil {
		fe := err.(*fault.Error)
		return &eventDoc{Kind: "failed", ID: doc.Parent.CommandID, Error: fe.Name, Cause: fe.Cause}
	}
	return &eventDoc{Kind: "succeeded", ID: doc.Parent.CommandID, Output: marshal(out)}
}

func (s *Service) registerBuiltins() {
	s.Register(startExecutionResource, startExecution{s})
}
