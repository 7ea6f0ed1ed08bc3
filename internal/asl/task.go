package asl

import (
	"time"

	"github.com/ceap/ceap/internal/asl/fault"
)

// task schedules a Task state's resource.
func (r *runner) task(t *Thread, st *state) {
	id := r.newID()
	t.Token = ""
	if st.waitForTaskToken {
		t.Token = r.taskToken(id)
	}
	in, ferr := r.inputPath(t, st)
	if ferr != nil {
		r.fail(t, st, ferr)
		return
	}
	params, ferr := r.effectiveInput(t, st, in)
	if ferr != nil {
		r.fail(t, st, ferr)
		return
	}
	timeout, ferr := r.number(t, st, st.timeout, in, "TimeoutSeconds")
	if ferr != nil {
		r.fail(t, st, ferr)
		return
	}
	heartbeat, ferr := r.number(t, st, st.heartbt, in, "HeartbeatSeconds")
	if ferr != nil {
		r.fail(t, st, ferr)
		return
	}
	var creds any
	if st.credentials != nil {
		v, err := st.credentials.eval(r.env(t, st, in, nil, nil))
		if err != nil {
			r.fail(t, st, evalErr(err))
			return
		}
		creds = v
	}
	paramsJSON := compactJSON(params)
	if len(paramsJSON) > maxPayloadBytes {
		r.fail(t, st, fault.New(fault.DataLimitExceeded, "The state/task '%s' parameters exceed the maximum number of bytes service limit.", st.name))
		return
	}
	var role *TaskCredentials
	if m, ok := creds.(map[string]any); ok {
		if s, ok := m["RoleArn"].(string); ok {
			role = &TaskCredentials{RoleArn: s}
		}
	}
	switch st.resourceKind {
	case resourceLambda:
		r.emit(t, HistoryEvent{Type: "LambdaFunctionScheduled", LambdaFunctionScheduledEventDetails: &LambdaFunctionScheduledEventDetails{
			Resource: st.resource, Input: paramsJSON, InputDetails: &DataDetails{}, TimeoutInSeconds: int64(timeout), TaskCredentials: role,
		}})
	case resourceActivity:
		r.emit(t, HistoryEvent{Type: "ActivityScheduled", ActivityScheduledEventDetails: &ActivityScheduledEventDetails{
			Resource: st.resource, Input: paramsJSON, InputDetails: &DataDetails{}, TimeoutInSeconds: int64(timeout), HeartbeatInSeconds: int64(heartbeat),
		}})
	default:
		r.emit(t, HistoryEvent{Type: EventTaskScheduled, TaskScheduledEventDetails: &TaskScheduledEventDetails{
			ResourceType: st.integrationType, Resource: st.integrationAction, Region: r.region(st), Parameters: paramsJSON,
			TimeoutInSeconds: int64(timeout), HeartbeatInSeconds: int64(heartbeat), TaskCredentials: role,
		}})
	}
	r.s.Pending[id] = Pending{Thread: t.ID, Kind: pendingTask}
	t.Command, t.Phase, t.Started, t.Heartbeat = id, phaseTask, false, heartbeat
	r.commands = append(r.commands, InvokeTask{
		ID: id, StateName: st.name, Resource: st.resource, Parameters: params,
		TimeoutSeconds: timeout, HeartbeatSeconds: heartbeat, TaskToken: t.Token, Credentials: creds,
	})
	if timeout > 0 {
		r.startTimer(t, TimerTaskTimeout, r.now.Add(time.Duration(timeout)*time.Second))
	}
}

// region is the region of an integration Task: the state machine's, from its ARN.
func (r *runner) region(st *state) string {
	if st.region != "" {
		return st.region
	}
	// arn:partition:states:region:account:stateMachine:name
	id := r.s.Context.StateMachineID
	for i, n := 0, 0; i < len(id); i++ {
		if id[i] != ':' {
			continue
		}
		n++
		if n == 3 {
			j := i + 1
			for j < len(id) && id[j] != ':' {
				j++
			}
			return id[i+1 : j]
		}
	}
	return ""
}

// taskEvent builds the Started/Succeeded/Failed/TimedOut event of a task in its family.
func (r *runner) taskEvent(st *state, what, errName, cause, output string) HistoryEvent {
	var e HistoryEvent
	errD := &ErrorDetails{Error: errName, Cause: cause}
	outD := &OutputDetails{Output: output, OutputDetails: &DataDetails{}}
	switch st.resourceKind {
	case resourceLambda:
		e.Type = "LambdaFunction" + what
		switch what {
		case "Succeeded":
			e.LambdaFunctionSucceededEventDetails = outD
		case "Failed":
			e.LambdaFunctionFailedEventDetails = errD
		case "TimedOut":
			e.LambdaFunctionTimedOutEventDetails = errD
		}
	case resourceActivity:
		e.Type = "Activity" + what
		switch what {
		case "Started":
			if output != "" {
				e.ActivityStartedEventDetails = &ActivityStartedEventDetails{WorkerName: output}
			}
		case "Succeeded":
			e.ActivitySucceededEventDetails = outD
		case "Failed":
			e.ActivityFailedEventDetails = errD
		case "TimedOut":
			e.ActivityTimedOutEventDetails = errD
		}
	default:
		e.Type = "Task" + what
		rt, res := st.integrationType, st.integrationAction
		switch what {
		case "Started":
			e.TaskStartedEventDetails = &TaskStartedEventDetails{ResourceType: rt, Resource: res}
		case "Succeeded":
			e.TaskSucceededEventDetails = &TaskOutputDetails{ResourceType: rt, Resource: res, Output: output, OutputDetails: &DataDetails{}}
		case "Failed":
			e.TaskFailedEventDetails = &TaskErrorDetails{ResourceType: rt, Resource: res, Error: errName, Cause: cause}
		case "TimedOut":
			e.TaskTimedOutEventDetails = &TaskErrorDetails{ResourceType: rt, Resource: res, Error: errName, Cause: cause}
		}
	}
	return e
}

// ensureStarted records the Started event if the driver did not report it.
func (r *runner) ensureStarted(t *Thread, st *state, worker string) {
	if !t.Started {
		t.Started = true
		r.emit(t, r.taskEvent(st, "Started", "", "", worker))
	}
}

// taskStarted records the start the driver reported; the heartbeat timer runs from here.
func (r *runner) taskStarted(t *Thread, st *state, worker string) {
	if t.Started {
		return
	}
	r.ensureStarted(t, st, worker)
	if t.Heartbeat > 0 {
		r.startTimer(t, TimerHeartbeatTimeout, r.now.Add(time.Duration(t.Heartbeat)*time.Second))
	}
}

// taskSubmitted records the response of a .sync integration's start call.
func (r *runner) taskSubmitted(t *Thread, st *state, output any) {
	if !t.Started {
		r.taskStarted(t, st, "")
	}
	rt, res := st.integrationType, st.integrationAction
	r.emit(t, HistoryEvent{Type: EventTaskSubmitted, TaskSubmittedEventDetails: &TaskOutputDetails{
		ResourceType: rt, Resource: res, Output: compactJSON(output), OutputDetails: &DataDetails{},
	}})
}

func (r *runner) taskSucceeded(t *Thread, st *state, output any) {
	r.ensureStarted(t, st, "")
	r.cancelTimers(t)
	out := compactJSON(output)
	r.emit(t, r.taskEvent(st, "Succeeded", "", "", out))
	if len(out) > maxPayloadBytes {
		r.fail(t, st, fault.New(fault.DataLimitExceeded, "The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", st.name))
		return
	}
	r.finish(t, st, output, exitOpts{selector: true})
}

func (r *runner) taskFailed(t *Thread, st *state, e *fault.Error) {
	if e.Name == "" {
		e.Name = fault.TaskFailed
	}
	r.ensureStarted(t, st, "")
	r.cancelTimers(t)
	r.emit(t, r.taskEvent(st, "Failed", e.Name, e.Cause, ""))
	r.fail(t, st, e)
}

// heartbeat replaces the heartbeat timer of a running task.
func (r *runner) heartbeat(t *Thread, st *state) {
	if t.Heartbeat <= 0 {
		return
	}
	for i, id := range t.Timers {
		if r.s.Pending[id].Kind == TimerHeartbeatTimeout {
			delete(r.s.Pending, id)
			r.commands = append(r.commands, CancelTimer{ID: id})
			t.Timers = append(t.Timers[:i:i], t.Timers[i+1:]...)
			break
		}
	}
	r.startTimer(t, TimerHeartbeatTimeout, r.now.Add(time.Duration(t.Heartbeat)*time.Second))
}
