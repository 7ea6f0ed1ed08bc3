package stage

import (
	"errors"
	"fmt"
)

// The Lambda runtime for Go reports an error's type name as its errorType, which a Task turns
// into its error name. The types below are those names; Handler makes sure the error it returns
// is one of them, so Retry and Catch can match on them.

var (
	// ErrNotFound is what Objects returns for a missing object.
	ErrNotFound = errors.New("object not found")
	errNotJSON  = errors.New("not valid JSON")
	errNoBody   = errors.New("first record has no body")
)

// InjectedFailure is raised on every attempt by the stage a message names in "failAt".
type InjectedFailure struct {
	Stage string
}

func (e *InjectedFailure) Error() string {
	return fmt.Sprintf("failure injected at %s by the message's failAt", e.Stage)
}

// NoSuchKey means the input object is missing: the previous stage did not run or failed, or the
// key is wrong. It is permanent; retrying cannot make the object appear.
type NoSuchKey struct {
	Bucket, Key string
}

func (e *NoSuchKey) Error() string {
	return fmt.Sprintf("input s3://%s/%s does not exist", e.Bucket, e.Key)
}

// InvalidJSON means the input is not the JSON the stage expects. It is permanent.
type InvalidJSON struct {
	What string
	Err  error
}

func (e *InvalidJSON) Error() string { return fmt.Sprintf("%s: %v", e.What, e.Err) }
func (e *InvalidJSON) Unwrap() error { return e.Err }

// InvalidPayload means the Task sent a payload without a required field. It is permanent.
type InvalidPayload struct {
	Field string
}

func (e *InvalidPayload) Error() string {
	return fmt.Sprintf("payload field %s is missing or empty", e.Field)
}

// StorageError is a failed S3 call other than a missing object: throttling, 5xx, a broken
// connection. It is transient and left to the Task's Retry.
type StorageError struct {
	Op, Bucket, Key string
	Err             error
}

func (e *StorageError) Error() string {
	return fmt.Sprintf("%s s3://%s/%s: %v", e.Op, e.Bucket, e.Key, e.Err)
}
func (e *StorageError) Unwrap() error { return e.Err }

// StageError is any other failure of a stage's work.
type StageError struct {
	Err error
}

func (e *StageError) Error() string { return e.Err.Error() }
func (e *StageError) Unwrap() error { return e.Err }

// reportable returns the error a stage hands to the Lambda runtime: the outermost error of one
// of the named types, so that its type name becomes the Task's error name.
func reportable(err error) error {
	var (
		injected *InjectedFailure
		missing  *NoSuchKey
		invalid  *InvalidJSON
		payload  *InvalidPayload
		storage  *StorageError
		stageErr *StageError
	)
	switch {
	case errors.As(err, &injected):
		return injected
	case errors.As(err, &missing):
		return missing
	case errors.As(err, &invalid):
		return invalid
	case errors.As(err, &payload):
		return payload
	case errors.As(err, &storage):
		return storage
	case errors.As(err, &stageErr):
		return stageErr
	}
	return &StageError{Err: err}
}

// ErrorType is the error name a Task sees for err, as the Lambda runtime reports it.
func ErrorType(err error) string {
	switch reportable(err).(type) {
	case *InjectedFailure:
		return "InjectedFailure"
	case *NoSuchKey:
		return "NoSuchKey"
	case *InvalidJSON:
		return "InvalidJSON"
	case *InvalidPayload:
		return "InvalidPayload"
	case *StorageError:
		return "StorageError"
	}
	return "StageError"
}
