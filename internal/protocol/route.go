package protocol

import (
	"net/http"
	"strings"
)

// Service keys: the SigV4 signing names of the services ceap serves.
const (
	SQS        = "sqs"
	States     = "states"
	S3         = "s3"
	Lambda     = "lambda"
	Glue       = "glue"
	CloudWatch = "monitoring"
	Logs       = "logs"
	SNS        = "sns"
	Events     = "events"
	Pipes      = "pipes"
	// Unknown is the key of a request that names a service ceap does not serve.
	Unknown = "unknown"
)

// targetPrefixes maps X-Amz-Target prefixes to service keys and their JSON protocol version.
var targetPrefixes = map[string]struct {
	service string
	kind    Kind
}{
	"AmazonSQS":                     {SQS, KindJSON10},
	"AWSStepFunctions":              {States, KindJSON10},
	"AWSGlue":                       {Glue, KindJSON11},
	"Logs_20140328":                 {Logs, KindJSON11},
	"AWSEvents":                     {Events, KindJSON11},
	"GraniteServiceVersion20100801": {CloudWatch, KindJSON10},
}

// queryVersions maps a query request's Version to its service key.
var queryVersions = map[string]string{
	"2012-11-05": SQS,
	"2010-03-31": SNS,
	"2010-08-01": CloudWatch,
}

// IdentifyService returns the service key of r from what can be read without the body: the SigV4
// signing name (header or presigned query), X-Amz-Target, the rpc-v2-cbor path, the REST paths of
// Lambda and Pipes. It returns "" when only the body (a query-protocol form) can tell.
func IdentifyService(r *http.Request) string {
	if scope, ok := credentialScope(r); ok && scope.Service != "" {
		switch scope.Service {
		case "execute-api":
		default:
			return canonicalService(scope.Service)
		}
	}
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		prefix, _, _ := strings.Cut(t, ".")
		if p, ok := targetPrefixes[prefix]; ok {
			return p.service
		}
		return Unknown
	}
	if strings.HasPrefix(r.URL.Path, "/service/GraniteServiceVersion20100801/") {
		return CloudWatch
	}
	if strings.HasPrefix(r.URL.Path, "/2015-03-31/functions") || strings.HasPrefix(r.URL.Path, "/2018-10-31/layers") ||
		strings.HasPrefix(r.URL.Path, "/2016-08-19/account-settings") || strings.HasPrefix(r.URL.Path, "/2017-10-31/functions") ||
		strings.HasPrefix(r.URL.Path, "/2019-09-30/functions") || strings.HasPrefix(r.URL.Path, "/2019-09-25/functions") {
		return Lambda
	}
	if strings.HasPrefix(r.URL.Path, "/v1/pipes") {
		return Pipes
	}
	if isForm(r) && r.Method == http.MethodPost {
		return ""
	}
	if r.URL.Query().Get("Action") != "" && r.URL.Query().Get("Version") != "" {
		return queryVersions[r.URL.Query().Get("Version")]
	}
	return S3
}

// canonicalService maps signing names that differ from ceap's keys.
func canonicalService(name string) string {
	switch name {
	case "cloudwatch":
		return CloudWatch
	}
	return name
}

// ServiceOfForm returns the service key of a query-protocol request from its Version parameter.
func ServiceOfForm(form map[string][]string) string {
	if v := form["Version"]; len(v) > 0 {
		return queryVersions[v[0]]
	}
	return ""
}

func isForm(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	return strings.HasPrefix(ct, "application/x-www-form-urlencoded")
}

// JSONTarget returns the protocol kind and operation name of an RPC request that names its
// operation outside the body: an X-Amz-Target header (awsJson), or the path of an rpc-v2-cbor
// request (/service/<target>/operation/<op> with the smithy-protocol header).
func JSONTarget(r *http.Request) (Kind, string, bool) {
	if _, op, ok := cborOperation(r); ok {
		return KindCBOR, op, true
	}
	t := r.Header.Get("X-Amz-Target")
	prefix, op, ok := strings.Cut(t, ".")
	if !ok {
		return KindUnknown, "", false
	}
	p, ok := targetPrefixes[prefix]
	if !ok {
		return KindUnknown, "", false
	}
	return p.kind, op, true
}
