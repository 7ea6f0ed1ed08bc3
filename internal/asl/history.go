package asl

import "time"

// History event types, as GetExecutionHistory names them.
const (
	EventExecutionStarted   = "ExecutionStarted"
	EventExecutionSucceeded = "ExecutionSucceeded"
	EventExecutionFailed    = "ExecutionFailed"
	EventExecutionAborted   = "ExecutionAborted"
	EventExecutionTimedOut  = "ExecutionTimedOut"
	EventExecutionRedriven  = "ExecutionRedriven"
	EventTaskScheduled      = "TaskScheduled"
	EventTaskStarted        = "TaskStarted"
	EventTaskSubmitted      = "TaskSubmitted"
	EventTaskSucceeded      = "TaskSucceeded"
	EventTaskFailed         = "TaskFailed"
	EventTaskTimedOut       = "TaskTimedOut"
	EventMapStateStarted    = "MapStateStarted"
	EventMapStateSucceeded  = "MapStateSucceeded"
	EventMapStateFailed     = "MapStateFailed"
	EventMapIterStarted     = "MapIterationStarted"
	EventMapIterSucceeded   = "MapIterationSucceeded"
	EventMapIterFailed      = "MapIterationFailed"
	EventMapIterAborted     = "MapIterationAborted"
	EventParallelStarted    = "ParallelStateStarted"
	EventParallelSucceeded  = "ParallelStateSucceeded"
	EventParallelFailed     = "ParallelStateFailed"
	EventEvaluationFailed   = "EvaluationFailed"
)

// HistoryEvent is one event of an execution's history with exactly the members of the
// Step Functions HistoryEvent shape. The API layer encodes Timestamp per protocol.
type HistoryEvent struct {
	Timestamp       time.Time `json:"timestamp"`
	Type            string    `json:"type"`
	ID              int64     `json:"id"`
	PreviousEventID int64     `json:"previousEventId"`

	ActivityScheduleFailedEventDetails       *ErrorDetails                        `json:"activityScheduleFailedEventDetails,omitempty"`
	TaskStartFailedEventDetails              *TaskErrorDetails                    `json:"taskStartFailedEventDetails,omitempty"`
	TaskSubmitFailedEventDetails             *TaskErrorDetails                    `json:"taskSubmitFailedEventDetails,omitempty"`
	LambdaFunctionScheduleFailedEventDetails *ErrorDetails                        `json:"lambdaFunctionScheduleFailedEventDetails,omitempty"`
	LambdaFunctionStartFailedEventDetails    *ErrorDetails                        `json:"lambdaFunctionStartFailedEventDetails,omitempty"`
	MapRunStartedEventDetails                *MapRunStartedEventDetails           `json:"mapRunStartedEventDetails,omitempty"`
	MapRunFailedEventDetails                 *ErrorDetails                        `json:"mapRunFailedEventDetails,omitempty"`
	MapRunRedrivenEventDetails               *MapRunRedrivenEventDetails          `json:"mapRunRedrivenEventDetails,omitempty"`
	ActivityFailedEventDetails               *ErrorDetails                        `json:"activityFailedEventDetails,omitempty"`
	ActivityScheduledEventDetails            *ActivityScheduledEventDetails       `json:"activityScheduledEventDetails,omitempty"`
	ActivityStartedEventDetails              *ActivityStartedEventDetails         `json:"activityStartedEventDetails,omitempty"`
	ActivitySucceededEventDetails            *OutputDetails                       `json:"activitySucceededEventDetails,omitempty"`
	ActivityTimedOutEventDetails             *ErrorDetails                        `json:"activityTimedOutEventDetails,omitempty"`
	TaskFailedEventDetails                   *TaskErrorDetails                    `json:"taskFailedEventDetails,omitempty"`
	TaskScheduledEventDetails                *TaskScheduledEventDetails           `json:"taskScheduledEventDetails,omitempty"`
	TaskStartedEventDetails                  *TaskStartedEventDetails             `json:"taskStartedEventDetails,omitempty"`
	TaskSubmittedEventDetails                *TaskOutputDetails                   `json:"taskSubmittedEventDetails,omitempty"`
	TaskSucceededEventDetails                *TaskOutputDetails                   `json:"taskSucceededEventDetails,omitempty"`
	TaskTimedOutEventDetails                 *TaskErrorDetails                    `json:"taskTimedOutEventDetails,omitempty"`
	ExecutionFailedEventDetails              *ErrorDetails                        `json:"executionFailedEventDetails,omitempty"`
	ExecutionStartedEventDetails             *ExecutionStartedEventDetails        `json:"executionStartedEventDetails,omitempty"`
	ExecutionSucceededEventDetails           *OutputDetails                       `json:"executionSucceededEventDetails,omitempty"`
	ExecutionAbortedEventDetails             *ErrorDetails                        `json:"executionAbortedEventDetails,omitempty"`
	ExecutionTimedOutEventDetails            *ErrorDetails                        `json:"executionTimedOutEventDetails,omitempty"`
	ExecutionRedrivenEventDetails            *ExecutionRedrivenEventDetails       `json:"executionRedrivenEventDetails,omitempty"`
	MapStateStartedEventDetails              *MapStateStartedEventDetails         `json:"mapStateStartedEventDetails,omitempty"`
	MapIterationStartedEventDetails          *MapIterationEventDetails            `json:"mapIterationStartedEventDetails,omitempty"`
	MapIterationSucceededEventDetails        *MapIterationEventDetails            `json:"mapIterationSucceededEventDetails,omitempty"`
	MapIterationFailedEventDetails           *MapIterationEventDetails            `json:"mapIterationFailedEventDetails,omitempty"`
	MapIterationAbortedEventDetails          *MapIterationEventDetails            `json:"mapIterationAbortedEventDetails,omitempty"`
	LambdaFunctionFailedEventDetails         *ErrorDetails                        `json:"lambdaFunctionFailedEventDetails,omitempty"`
	LambdaFunctionScheduledEventDetails      *LambdaFunctionScheduledEventDetails `json:"lambdaFunctionScheduledEventDetails,omitempty"`
	LambdaFunctionSucceededEventDetails      *OutputDetails                       `json:"lambdaFunctionSucceededEventDetails,omitempty"`
	LambdaFunctionTimedOutEventDetails       *ErrorDetails                        `json:"lambdaFunctionTimedOutEventDetails,omitempty"`
	StateEnteredEventDetails                 *StateEnteredEventDetails            `json:"stateEnteredEventDetails,omitempty"`
	StateExitedEventDetails                  *StateExitedEventDetails             `json:"stateExitedEventDetails,omitempty"`
	EvaluationFailedEventDetails             *EvaluationFailedEventDetails        `json:"evaluationFailedEventDetails,omitempty"`
}

// DataDetails is HistoryEventExecutionDataDetails.
type DataDetails struct {
	Truncated bool `json:"truncated"`
}

// ErrorDetails carries an error and cause (ExecutionFailed, LambdaFunctionFailed, ...).
type ErrorDetails struct {
	Error string `json:"error,omitempty"`
	Cause string `json:"cause,omitempty"`
}

// OutputDetails carries an output (ExecutionSucceeded, LambdaFunctionSucceeded, ...).
type OutputDetails struct {
	Output        string       `json:"output"`
	OutputDetails *DataDetails `json:"outputDetails,omitempty"`
}

// ExecutionStartedEventDetails is the detail of ExecutionStarted.
type ExecutionStartedEventDetails struct {
	Input        string       `json:"input"`
	InputDetails *DataDetails `json:"inputDetails,omitempty"`
	RoleArn      string       `json:"roleArn,omitempty"`
	// StateMachineAliasArn and StateMachineVersionArn are set by the driver when the
	// execution started through an alias or a version.
	StateMachineAliasArn   string `json:"stateMachineAliasArn,omitempty"`
	StateMachineVersionArn string `json:"stateMachineVersionArn,omitempty"`
}

// ExecutionRedrivenEventDetails is the detail of ExecutionRedriven.
type ExecutionRedrivenEventDetails struct {
	RedriveCount int `json:"redriveCount"`
}

// StateEnteredEventDetails is the detail of every *StateEntered event.
type StateEnteredEventDetails struct {
	Name         string       `json:"name"`
	Input        string       `json:"input"`
	InputDetails *DataDetails `json:"inputDetails,omitempty"`
}

// StateExitedEventDetails is the detail of every *StateExited event.
type StateExitedEventDetails struct {
	Name                     string            `json:"name"`
	Output                   string            `json:"output"`
	OutputDetails            *DataDetails      `json:"outputDetails,omitempty"`
	AssignedVariables        map[string]string `json:"assignedVariables,omitempty"`
	AssignedVariablesDetails *DataDetails      `json:"assignedVariablesDetails,omitempty"`
}

// TaskCredentials is the role a Task state assumes.
type TaskCredentials struct {
	RoleArn string `json:"roleArn,omitempty"`
}

// TaskScheduledEventDetails is the detail of TaskScheduled.
type TaskScheduledEventDetails struct {
	ResourceType       string           `json:"resourceType"`
	Resource           string           `json:"resource"`
	Region             string           `json:"region"`
	Parameters         string           `json:"parameters"`
	TimeoutInSeconds   int64            `json:"timeoutInSeconds,omitempty"`
	HeartbeatInSeconds int64            `json:"heartbeatInSeconds,omitempty"`
	TaskCredentials    *TaskCredentials `json:"taskCredentials,omitempty"`
}

// TaskStartedEventDetails is the detail of TaskStarted.
type TaskStartedEventDetails struct {
	ResourceType string `json:"resourceType"`
	Resource     string `json:"resource"`
}

// TaskOutputDetails is the detail of TaskSucceeded.
type TaskOutputDetails struct {
	ResourceType  string       `json:"resourceType"`
	Resource      string       `json:"resource"`
	Output        string       `json:"output"`
	OutputDetails *DataDetails `json:"outputDetails,omitempty"`
}

// TaskErrorDetails is the detail of TaskFailed and TaskTimedOut.
type TaskErrorDetails struct {
	ResourceType string `json:"resourceType"`
	Resource     string `json:"resource"`
	Error        string `json:"error,omitempty"`
	Cause        string `json:"cause,omitempty"`
}

// LambdaFunctionScheduledEventDetails is the detail of LambdaFunctionScheduled.
type LambdaFunctionScheduledEventDetails struct {
	Resource         string           `json:"resource"`
	Input            string           `json:"input"`
	InputDetails     *DataDetails     `json:"inputDetails,omitempty"`
	TimeoutInSeconds int64            `json:"timeoutInSeconds,omitempty"`
	TaskCredentials  *TaskCredentials `json:"taskCredentials,omitempty"`
}

// ActivityScheduledEventDetails is the detail of ActivityScheduled.
type ActivityScheduledEventDetails struct {
	Resource           string       `json:"resource"`
	Input              string       `json:"input"`
	InputDetails       *DataDetails `json:"inputDetails,omitempty"`
	TimeoutInSeconds   int64        `json:"timeoutInSeconds,omitempty"`
	HeartbeatInSeconds int64        `json:"heartbeatInSeconds,omitempty"`
}

// ActivityStartedEventDetails is the detail of ActivityStarted.
type ActivityStartedEventDetails struct {
	WorkerName string `json:"workerName,omitempty"`
}

// MapStateStartedEventDetails is the detail of MapStateStarted.
type MapStateStartedEventDetails struct {
	Length int `json:"length"`
}

// MapIterationEventDetails is the detail of the MapIteration* events.
type MapIterationEventDetails struct {
	Name  string `json:"name"`
	Index int    `json:"index"`
}

// EvaluationFailedEventDetails is the detail of EvaluationFailed.
type EvaluationFailedEventDetails struct {
	Error    string `json:"error,omitempty"`
	Cause    string `json:"cause,omitempty"`
	Location string `json:"location,omitempty"`
	State    string `json:"state"`
}

// MapRunStartedEventDetails is the detail of MapRunStarted.
type MapRunStartedEventDetails struct {
	MapRunArn string `json:"mapRunArn,omitempty"`
}

// MapRunRedrivenEventDetails is the detail of MapRunRedriven.
type MapRunRedrivenEventDetails struct {
	MapRunArn    string `json:"mapRunArn,omitempty"`
	RedriveCount int    `json:"redriveCount"`
}
