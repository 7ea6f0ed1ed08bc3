// Package protocol turns HTTP requests of the AWS wire protocols into calls and results back
// into the exact shapes that AWS clients expect. It identifies the target service of a request
// (SigV4 signing name, X-Amz-Target, query Action, path), verifies SigV4 signatures, decodes
// inputs and encodes outputs and errors for awsJson 1.0/1.1 and query (rest-json, rest-xml and
// rpc-v2-cbor codecs live beside them). It knows nothing of any service's domain: the api
// packages own their operation tables.
package protocol

import (
	"context"
	"net/http"
	"time"
)

// Kind is a wire protocol.
type Kind int

// The wire protocols.
const (
	KindUnknown Kind = iota
	KindJSON10
	KindJSON11
	KindQuery
	KindRestJSON
	KindRestXML
	KindCBOR
)

func (k Kind) String() string {
	switch k {
	case KindJSON10:
		return "awsJson1_0"
	case KindJSON11:
		return "awsJson1_1"
	case KindQuery:
		return "awsQuery"
	case KindRestJSON:
		return "restJson1"
	case KindRestXML:
		return "restXml"
	case KindCBOR:
		return "rpcv2Cbor"
	}
	return "unknown"
}

// Caller is who made a request, as established by SigV4 (or by the defaults when signatures are
// not checked).
type Caller struct {
	AccessKey string
	Account   string
	Region    string
	// Chunks, for an S3 streaming upload whose chunks are signed and whose request signature
	// was verified, checks the chunk signatures as the body is read (nil otherwise).
	Chunks *ChunkVerifier
}

// Request is one decoded AWS API request.
type Request struct {
	HTTP      *http.Request
	Service   string // ceap's service key, e.g. "sqs", "states", "s3"
	Operation string
	Protocol  Kind
	Caller    Caller
	RequestID string
	Received  time.Time
	// Body is the whole request body for RPC protocols (never set for S3, which streams).
	Body []byte
	// Form holds the parameters of a query-protocol request.
	Form map[string][]string
	// inflated is set once a gzip-encoded Body has been replaced by its content.
	inflated bool
}

type ctxKey struct{}

// WithRequest returns ctx carrying r.
func WithRequest(ctx context.Context, r *Request) context.Context {
	return context.WithValue(ctx, ctxKey{}, r)
}

// FromContext returns the request carried by ctx, if any.
func FromContext(ctx context.Context) (*Request, bool) {
	r, ok := ctx.Value(ctxKey{}).(*Request)
	return r, ok
}
