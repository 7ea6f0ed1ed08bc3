// Package awserr defines the errors that clients see. Every error that leaves ceap through an AWS
// API is an *Error whose code, message and HTTP status follow the service's model in botocore; the
// protocol layer encodes it in the service's wire shape. Domain packages return these for anything
// the caller did wrong or asked for that does not exist; anything else is an internal failure.
//
// This package must never import net/http or any protocol package: it is a value type only.
package awserr

import (
	"errors"
	"fmt"
)

// Fault says who is to blame, as AWS's query error shapes carry it (Sender or Receiver).
type Fault int

const (
	// Sender means the request was wrong (4xx).
	Sender Fault = iota
	// Receiver means the server failed (5xx).
	Receiver
)

// Error is one client-visible AWS error.
type Error struct {
	// Code is the error's shape name in the service model, e.g. "QueueDoesNotExist".
	Code string
	// Message is the human-readable text.
	Message string
	// Status is the HTTP status code; zero means 400 for Sender and 500 for Receiver faults.
	Status int
	// Fault is Sender or Receiver.
	Fault Fault
	// QueryCode, when set, is the code that query-protocol clients expect for the same error
	// (SQS's awsQueryCompatible trait, e.g. "AWS.SimpleQueueService.NonExistentQueue").
	QueryCode string
	// Fields are extra members of the error shape (e.g. S3's BucketName, Key) that a protocol
	// may encode beside Code and Message.
	Fields map[string]string
}

func (e *Error) Error() string {
	if e.Message == "" {
		return e.Code
	}
	return e.Code + ": " + e.Message
}

// HTTPStatus returns the status code to send.
func (e *Error) HTTPStatus() int {
	if e.Status != 0 {
		return e.Status
	}
	if e.Fault == Receiver {
		return 500
	}
	return 400
}

// New returns a Sender error with status 400.
func New(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Status: 400}
}

// WithStatus returns a Sender error with the given status.
func WithStatus(status int, code, format string, args ...any) *Error {
	f := Sender
	if status >= 500 {
		f = Receiver
	}
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Status: status, Fault: f}
}

// As reports whether err is (or wraps) an *Error and returns it.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// Common errors shared by every service (from the "common errors" of the AWS API references).
var (
	// ErrUnknownOperation answers an action that the service does not have.
	ErrUnknownOperation = func(op string) *Error {
		return New("UnknownOperationException", "The action %s is not valid for this web service.", op)
	}
)

// Validation returns the generic ValidationException used by JSON-protocol services.
func Validation(format string, args ...any) *Error {
	return New("ValidationException", format, args...)
}

// NotSupported answers a feature that ceap does not implement, in the shape AWS uses for a feature
// that is unavailable (UnsupportedOperation / NotImplemented are chosen by the caller's service).
func NotSupported(code, what string) *Error {
	return &Error{Code: code, Message: what + " is not supported by ceap.", Status: 400}
}

// Internal is the error sent for anything unexpected; the cause is logged, not sent.
func Internal() *Error {
	return &Error{Code: "InternalFailure", Message: "The request processing has failed because of an unknown error, exception or failure.", Status: 500, Fault: Receiver}
}

// MissingMember is AWS's validation error for a required member left out of a request, under
// the code the service uses for it (ValidationException, InvalidInputException, ...).
func MissingMember(code, member string) *Error {
	return New(code, "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", member)
}
