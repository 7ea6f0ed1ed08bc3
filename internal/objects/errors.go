package objects

import (
	"github.com/ceap/ceap/internal/awserr"
)

// S3 errors, with the codes and statuses of the S3 API reference.

func errNoSuchBucket(bucket string) *awserr.Error {
	return &awserr.Error{Code: "NoSuchBucket", Message: "The specified bucket does not exist", Status: 404, Fields: map[string]string{"BucketName": bucket}}
}

func errNoSuchKey(key string) *awserr.Error {
	return &awserr.Error{Code: "NoSuchKey", Message: "The specified key does not exist.", Status: 404, Fields: map[string]string{"Key": key}}
}

func errNoSuchVersion(key, version string) *awserr.Error {
	return &awserr.Error{Code: "NoSuchVersion", Message: "The specified version does not exist.", Status: 404, Fields: map[string]string{"Key": key, "VersionId": version}}
}

func errNoSuchUpload(uploadID string) *awserr.Error {
	return &awserr.Error{Code: "NoSuchUpload", Message: "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.", Status: 404, Fields: map[string]string{"UploadId": uploadID}}
}

func errAccessDenied() *awserr.Error {
	return awserr.WithStatus(403, "AccessDenied", "Access Denied")
}

func errPreconditionFailed(condition string) *awserr.Error {
	return &awserr.Error{Code: "PreconditionFailed", Message: "At least one of the pre-conditions you specified did not hold", Status: 412, Fields: map[string]string{"Condition": condition}}
}

// errNotModified is the 304 answer of a conditional GET or HEAD; it has no body.
func errNotModified() *awserr.Error {
	return awserr.WithStatus(304, "NotModified", "Not Modified")
}

func errBadDigest(format string, args ...any) *awserr.Error {
	return awserr.New("BadDigest", format, args...)
}

func errInvalidArgument(format string, args ...any) *awserr.Error {
	return awserr.New("InvalidArgument", format, args...)
}

func errInvalidRequest(format string, args ...any) *awserr.Error {
	return awserr.New("InvalidRequest", format, args...)
}

// DeleteMarkerError is returned by GetObject and HeadObject when the version asked for (or the
// latest) is a delete marker: S3 answers 404 (405 for an explicit version) with the
// x-amz-delete-marker and x-amz-version-id headers.
type DeleteMarkerError struct {
	VersionID string
	Err       *awserr.Error
}

func (e *DeleteMarkerError) Error() string { return e.Err.Error() }

// Unwrap returns the S3 error.
func (e *DeleteMarkerError) Unwrap() error { return e.Err }
