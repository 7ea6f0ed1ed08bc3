package states

import (
	"context"
	"encoding/json"
	"time"

	"github.com/ceap/ceap/internal/asl"
	"github.com/ceap/ceap/internal/awserr"
)

// testStateTimeout bounds a TestState run: AWS limits it to 5 minutes.
const testStateTimeout = 5 * time.Minute

// TestStateInput is TestState's input.
type TestStateInput struct {
	Definition string
	RoleArn    string
	Input      *string
	StateName  string
	Variables  *string
}

// TestStateResult is TestState's result.
type TestStateResult struct {
	Output    *string
	Error     string
	Cause     string
	NextState string
	Status    string // SUCCEEDED, FAILED, RETRIABLE, CAUGHT_ERROR
	Input     string
	Result    string
}

// TestState runs one state on its own: the state (or the named state of a whole definition) is
// placed in a machine whose transitions all lead to stub Succeed states, so the first state
// entered after it names nextState.
func (s *Service) TestState(ctx context.Context, c Caller, in *TestStateInput) (*TestStateResult, error) {
	var def map[string]any
	if err := json.Unmarshal([]byte(in.Definition), &def); err != nil {
		return nil, awserr.New("InvalidDefinition", "Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: %v'", err)
	}
	name := "TestState"
	st := def
	if all, ok := def["States"].(map[string]any); ok {
		name = in.StateName
		if name == "" {
			name, _ = def["StartAt"].(string)
		}
		st, ok = all[name].(map[string]any)
		if !ok {
			return nil, awserr.Validation("State '%s' is not in the definition", name)
		}
	}
	stub := map[string]any{}
	for _, next := range transitions(st) {
		stub[next] = map[string]any{"Type": "Succeed"}
	}
	statesMap := map[string]any{name: st}
	for k, v := range stub {
		if k != name {
			statesMap[k] = v
		}
	}
	machine := map[string]any{"StartAt": name, "States": statesMap}
	if ql, ok := def["QueryLanguage"]; ok && def["States"] != nil {
		machine["QueryLanguage"] = ql
	}
	p, err := asl.Compile(string(marshal(machine)))
	if err != nil {
		return nil, definitionError(err)
	}
	raw, input, err := checkInput(in.Input)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, testStateTimeout)
	defer cancel()
	now := s.now()
	arn := "arn:aws:states:" + c.Region + ":" + c.Account + ":execution:TestState:test"
	out, history := asl.Run(ctx, p, input, asl.Context{ExecutionID: arn, ExecutionName: "test", StateMachineID: machineARN(c, "TestState"), StateMachineName: "TestState", RoleArn: in.RoleArn, StartTime: now},
		&expressTasks{s: s, c: c, execution: arn}, s.now, s.sleep)
	res := &TestStateResult{Input: raw}
	var caught bool
	var lastErr, lastCause string
	for _, ev := range history {
		if d := ev.StateEnteredEventDetails; d != nil && d.Name != name && res.NextState == "" {
			res.NextState = d.Name
			if d.Input != "" {
				o := d.Input
				res.Output = &o
			}
		}
		if d := ev.TaskSucceededEventDetails; d != nil {
			res.Result = d.Output
		}
		if d := ev.TaskFailedEventDetails; d != nil {
			lastErr, lastCause = d.Error, d.Cause
		}
	}
	switch {
	case out.Status == asl.StatusSucceeded && res.NextState != "":
		res.Status = "SUCCEEDED"
		if lastErr != "" && res.Result == "" {
			caught = true
		}
	case out.Status == asl.StatusSucceeded:
		res.Status = "SUCCEEDED"
		o := compact(out.Output)
		res.Output = &o
	default:
		res.Status = "FAILED"
		res.Error, res.Cause = out.Error, out.Cause
	}
	if caught {
		res.Status = "CAUGHT_ERROR"
		res.Error, res.Cause = lastErr, lastCause
	}
	return res, nil
}

// transitions lists the states a state can go to.
func transitions(st map[string]any) []string {
	var out []string
	add := func(v any) {
		if s, ok := v.(string); ok && s != "" {
			out = append(out, s)
		}
	}
	add(st["Next"])
	add(st["Default"])
	for _, key := range []string{"Choices", "Catch"} {
		list, _ := st[key].([]any)
		for _, item := range list {
			if m, ok := item.(map[string]any); ok {
				add(m["Next"])
			}
		}
	}
	return out
}
