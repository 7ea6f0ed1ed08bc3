package queues

import (
	"github.com/ceap/ceap/internal/awserr"
)

// sqsError returns an SQS error with the HTTP status and the query-protocol code that the
// service model's awsQueryError trait gives the shape (SQS's JSON clients read the query code
// from the x-amzn-query-error header).
func sqsError(code, format string, args ...any) *awserr.Error {
	e := awserr.New(code, format, args...)
	if qc, ok := queryCodes[code]; ok {
		e.QueryCode = qc
	}
	if st, ok := statuses[code]; ok {
		e.Status = st
	}
	return e
}

// queryCodes are the awsQueryError codes of the SQS model's error shapes, where they differ
// from the shape name.
var queryCodes = map[string]string{
	"BatchEntryIdsNotDistinct":     "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
	"BatchRequestTooLong":          "AWS.SimpleQueueService.BatchRequestTooLong",
	"EmptyBatchRequest":            "AWS.SimpleQueueService.EmptyBatchRequest",
	"InvalidBatchEntryId":          "AWS.SimpleQueueService.InvalidBatchEntryId",
	"MessageNotInflight":           "AWS.SimpleQueueService.MessageNotInflight",
	"PurgeQueueInProgress":         "AWS.SimpleQueueService.PurgeQueueInProgress",
	"QueueDeletedRecently":         "AWS.SimpleQueueService.QueueDeletedRecently",
	"QueueDoesNotExist":            "AWS.SimpleQueueService.NonExistentQueue",
	"QueueNameExists":              "QueueAlreadyExists",
	"TooManyEntriesInBatchRequest": "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
	"UnsupportedOperation":         "AWS.SimpleQueueService.UnsupportedOperation",
}

// statuses are the HTTP statuses of the model's error shapes that are not 400.
var statuses = map[string]int{
	"InvalidAddress":            404,
	"InvalidSecurity":           403,
	"OverLimit":                 403,
	"PurgeQueueInProgress":      403,
	"ReceiptHandleIsInvalid":    404,
	"RequestThrottled":          403,
	"ResourceNotFoundException": 404,
}

func errNoQueue() *awserr.Error {
	return sqsError("QueueDoesNotExist", "The specified queue does not exist.")
}

// ErrNoQueue returns SQS's QueueDoesNotExist error, for callers that find a queue URL naming
// another account.
func ErrNoQueue() error { return errNoQueue() }

func errInvalidParam(format string, args ...any) *awserr.Error {
	return sqsError("InvalidParameterValue", format, args...)
}

func errParamRange(name string, v int64, reason string) *awserr.Error {
	return errInvalidParam("Value %d for parameter %s is invalid. Reason: %s", v, name, reason)
}

func errMissing(name string) *awserr.Error {
	return sqsError("MissingParameter", "The request must contain the parameter %s.", name)
}

func errAttrName(name string) *awserr.Error {
	return sqsError("InvalidAttributeName", "Unknown Attribute %s.", name)
}

func errAttrValue(name string) *awserr.Error {
	return sqsError("InvalidAttributeValue", "Invalid value for the parameter %s.", name)
}

func errReceipt(handle string) *awserr.Error {
	return sqsError("ReceiptHandleIsInvalid", "The input receipt handle \"%s\" is not a valid receipt handle.", handle)
}

// BatchError is the failure of one entry of a batch call.
type BatchError struct {
	Code        string
	Message     string
	SenderFault bool
}

func (e *BatchError) Error() string { return e.Code + ": " + e.Message }

func batchErr(err error) *BatchError {
	if ae, ok := awserr.As(err); ok {
		code := ae.Code
		if ae.QueryCode != "" {
			code = ae.QueryCode
		}
		return &BatchError{Code: code, Message: ae.Message, SenderFault: ae.Fault == awserr.Sender}
	}
	return &BatchError{Code: "InternalError", Message: "The request processing has failed because of an unknown error.", SenderFault: false}
}
