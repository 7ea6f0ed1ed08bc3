package protocol

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/protocol/awsmodel"
)

// Op handles one operation of an RPC-style service. It decodes its input with r.Decode and
// returns the output value (a struct whose json tags are the model's member names) or an error.
type Op func(ctx context.Context, r *Request) (any, error)

// RPCService serves an awsJson or query service from an operation table.
type RPCService struct {
	// Key is ceap's service key, e.g. "sqs".
	Key string
	// Model is the service's botocore model (needed for query and cbor, and for the query codes
	// of awsQueryCompatible services).
	Model *awsmodel.Model
	// ErrorNamespace prefixes JSON __type values, e.g. "com.amazonaws.sqs".
	ErrorNamespace string
	Ops            map[string]Op
	Log            *slog.Logger
}

// Serve runs the operation named in r and writes its result.
func (s *RPCService) Serve(w http.ResponseWriter, r *Request) {
	op, ok := s.Ops[r.Operation]
	if !ok {
		s.WriteError(w, r, unknownOperation(r))
		return
	}
	out, err := op(WithRequest(r.HTTP.Context(), r), r)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	s.WriteOutput(w, r, out)
}

func unknownOperation(r *Request) error {
	if r.Protocol == KindQuery {
		return awserr.New("InvalidAction", "The action %s is not valid for this web service.", r.Operation)
	}
	return awserr.New("UnknownOperationException", "The action %s is not valid for this web service.", r.Operation)
}

// Decode fills v (a pointer to a struct with json tags) from the request's input, whatever its
// protocol.
func (r *Request) Decode(v any) error {
	if err := r.Inflate(); err != nil {
		return err
	}
	switch r.Protocol {
	case KindQuery:
		return r.decodeQuery(v)
	case KindCBOR:
		return r.decodeCBOR(v)
	default:
		body := r.Body
		if len(strings.TrimSpace(string(body))) == 0 {
			body = []byte("{}")
		}
		if err := json.Unmarshal(body, v); err != nil {
			return serializationError(err)
		}
		return nil
	}
}

func serializationError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return awserr.New("SerializationException", "Unexpected value type for field %q: expected %s", te.Field, te.Type)
	}
	return awserr.New("SerializationException", "Could not parse the request body: %v", err)
}

// WriteOutput encodes out in the request's protocol.
func (s *RPCService) WriteOutput(w http.ResponseWriter, r *Request, out any) {
	h := w.Header()
	h.Set("x-amzn-RequestId", r.RequestID)
	switch r.Protocol {
	case KindQuery:
		body, err := encodeQueryResponse(s.Model, r.Operation, r.RequestID, out)
		if err != nil {
			s.WriteError(w, r, fmt.Errorf("encode %s: %w", r.Operation, err))
			return
		}
		h.Set("Content-Type", "text/xml")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		w.Write(body)
	case KindCBOR:
		body, err := encodeCBORResponse(s.Model, r.Operation, out)
		if err != nil {
			s.WriteError(w, r, fmt.Errorf("encode %s: %w", r.Operation, err))
			return
		}
		writeCBOR(w, http.StatusOK, body)
	default:
		var body []byte
		if out == nil {
			body = []byte("{}")
		} else {
			var err error
			if body, err = json.Marshal(out); err != nil {
				s.WriteError(w, r, fmt.Errorf("encode %s: %w", r.Operation, err))
				return
			}
		}
		h.Set("Content-Type", jsonContentType(r.Protocol))
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		w.Write(body)
	}
}

func jsonContentType(k Kind) string {
	if k == KindJSON11 {
		return "application/x-amz-json-1.1"
	}
	return "application/x-amz-json-1.0"
}

// WriteError encodes err in the request's protocol. Errors that are not *awserr.Error are logged
// once with the request id and sent as InternalFailure.
func (s *RPCService) WriteError(w http.ResponseWriter, r *Request, err error) {
	ae, ok := awserr.As(err)
	if !ok {
		if s.Log != nil {
			s.Log.Error("request_failed", "request_id", r.RequestID, "service", s.Key, "operation", r.Operation, "err", err)
		}
		ae = awserr.Internal()
	}
	queryCode, fault := ae.QueryCode, ae.Fault
	if queryCode == "" && s.Model != nil {
		queryCode, _, _ = s.Model.QueryErrorCode(ae.Code)
	}
	WriteError(w, r.Protocol, r.RequestID, s.ErrorNamespace, ae, queryCode, fault, s.Model)
}

// WriteError writes ae for a request of protocol kind. It is used by RPCService and by the
// server for failures before a service is known.
func WriteError(w http.ResponseWriter, kind Kind, requestID, namespace string, ae *awserr.Error, queryCode string, fault awserr.Fault, model *awsmodel.Model) {
	h := w.Header()
	h.Set("x-amzn-RequestId", requestID)
	faultName := "Sender"
	if fault == awserr.Receiver {
		faultName = "Receiver"
	}
	if queryCode == "" {
		queryCode = ae.Code
	}
	switch kind {
	case KindQuery:
		ns := ""
		if model != nil {
			ns = model.Metadata.XMLNamespace
		}
		body := encodeQueryError(ns, queryCode, ae.Message, faultName, requestID)
		h.Set("Content-Type", "text/xml")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(ae.HTTPStatus())
		w.Write(body)
	case KindCBOR:
		if model != nil && model.Metadata.AWSQueryCompatible != nil {
			h.Set("x-amzn-query-error", queryCode+";"+faultName)
		}
		writeCBOR(w, ae.HTTPStatus(), encodeCBORError(qualify(namespace, ae.Code), ae.Message))
	default:
		body, _ := json.Marshal(map[string]any{"__type": qualify(namespace, ae.Code), "message": ae.Message})
		h.Set("Content-Type", jsonContentType(kind))
		h.Set("x-amzn-ErrorType", ae.Code)
		if model != nil && model.Metadata.AWSQueryCompatible != nil {
			h.Set("x-amzn-query-error", queryCode+";"+faultName)
		}
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(ae.HTTPStatus())
		w.Write(body)
	}
}

func qualify(namespace, code string) string {
	if namespace == "" {
		return code
	}
	return namespace + "#" + code
}

// Timestamp is a time that JSON protocols encode as epoch seconds (with milliseconds), as the
// AWS JSON protocols do for timestamp members.
type Timestamp time.Time

// MarshalJSON encodes t as epoch seconds.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)), nil
}

// UnmarshalJSON accepts epoch seconds (number) or an ISO 8601 string.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		*t = Timestamp(time.UnixMilli(int64(f * 1000)).UTC())
		return nil
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("timestamp %q: %w", s, err)
	}
	*t = Timestamp(v)
	return nil
}

// Time returns t as a time.Time.
func (t Timestamp) Time() time.Time { return time.Time(t) }

// TS returns a *Timestamp for t, or nil for the zero time (so omitempty drops it).
func TS(t time.Time) *Timestamp {
	if t.IsZero() {
		return nil
	}
	ts := Timestamp(t)
	return &ts
}
