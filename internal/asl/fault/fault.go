// Package fault defines the runtime errors of the Amazon States Language: the predefined error
// names of the specification and the Error value that every part of the interpreter returns when
// a state fails. It knows nothing of HTTP or of client-visible API errors (see internal/awserr).
package fault

import (
	"errors"
	"fmt"
)

// Predefined error names of the Amazon States Language.
const (
	All                    = "States.ALL"
	TaskFailed             = "States.TaskFailed"
	Timeout                = "States.Timeout"
	HeartbeatTimeout       = "States.HeartbeatTimeout"
	Runtime                = "States.Runtime"
	NoChoiceMatched        = "States.NoChoiceMatched"
	IntrinsicFailure       = "States.IntrinsicFailure"
	ExceedToleratedFailure = "States.ExceedToleratedFailureThreshold"
	ItemReaderFailed       = "States.ItemReaderFailed"
	ResultWriterFailed     = "States.ResultWriterFailed"
	QueryEvaluationError   = "States.QueryEvaluationError"
	BranchFailed           = "States.BranchFailed"
	Permissions            = "States.Permissions"
	ResultPathMatchFailure = "States.ResultPathMatchFailure"
	ParameterPathFailure   = "States.ParameterPathFailure"
	DataLimitExceeded      = "States.DataLimitExceeded"
)

// Error is a named failure with a cause, as recorded in FailStateEntered / ExecutionFailed events.
type Error struct {
	Name  string
	Cause string
}

func (e *Error) Error() string {
	if e.Cause == "" {
		return e.Name
	}
	return e.Name + ": " + e.Cause
}

// New returns an *Error with a formatted cause.
func New(name, format string, args ...any) *Error {
	return &Error{Name: name, Cause: fmt.Sprintf(format, args...)}
}

// As returns the *Error in err's chain, or a States.Runtime error wrapping err's text.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Name: Runtime, Cause: err.Error()}
}
