package events

import (
	"encoding/json"
	"time"
)

// Step Functions' event source and detail type for execution status changes.
const (
	StatesSource              = "aws.states"
	ExecutionStatusChangeType = "Step Functions Execution Status Change"
)

// ExecutionStatusChange is the detail of a "Step Functions Execution Status Change" event, with
// the members and encodings AWS sends: dates in Unix milliseconds, absent values as null.
type ExecutionStatusChange struct {
	ExecutionARN           string   `json:"executionArn"`
	StateMachineARN        string   `json:"stateMachineArn"`
	StateMachineVersionARN *string  `json:"stateMachineVersionArn,omitempty"`
	StateMachineAliasARN   *string  `json:"stateMachineAliasArn,omitempty"`
	Name                   string   `json:"name"`
	Status                 string   `json:"status"`
	StartDate              int64    `json:"startDate"`
	StopDate               *int64   `json:"stopDate"`
	Input                  string   `json:"input"`
	Output                 *string  `json:"output"`
	InputDetails           *Details `json:"inputDetails"`
	OutputDetails          *Details `json:"outputDetails"`
	Error                  *string  `json:"error"`
	Cause                  *string  `json:"cause"`
	RedriveCount           int      `json:"redriveCount"`
	RedriveDate            *int64   `json:"redriveDate"`
	RedriveStatus          string   `json:"redriveStatus"`
	RedriveStatusReason    *string  `json:"redriveStatusReason"`
}

// Details says whether a payload is included in the event.
type Details struct {
	Included bool `json:"included"`
}

// Event returns the event to Emit for the change, at time at (the status change's time).
func (c ExecutionStatusChange) Event(at time.Time) Event {
	if c.InputDetails == nil {
		c.InputDetails = &Details{Included: true}
	}
	if c.Output != nil && c.OutputDetails == nil {
		c.OutputDetails = &Details{Included: true}
	}
	detail, _ := json.Marshal(c)
	return Event{Source: StatesSource, DetailType: ExecutionStatusChangeType, Detail: detail, Resources: []string{c.ExecutionARN}, Time: at}
}

// Redrive returns the redriveStatus and redriveStatusReason that Step Functions reports for an
// execution of a Standard state machine in status.
func Redrive(status string) (string, *string) {
	switch status {
	case "FAILED", "TIMED_OUT", "ABORTED":
		return "REDRIVABLE", nil
	}
	reason := "Execution is " + status + " and cannot be redriven"
	return "NOT_REDRIVABLE", &reason
}
