package protocol

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/protocol/awsmodel"
)

// The Smithy RPC v2 CBOR protocol (smithy.protocols#rpcv2Cbor): POST
// /service/<service shape name>/operation/<operation>, header "smithy-protocol: rpc-v2-cbor", the
// input and output structures as CBOR maps keyed by member name, timestamps as tag 1 (epoch
// seconds, integer or float), blobs as byte strings, errors as a map with "__type" and "message".
// The operations' Go values are the same json-tagged values as for awsJson: the codec converts
// between CBOR and JSON through the service model, so timestamps and blobs get their CBOR types.

const (
	// cborProtocolHeader names the protocol on requests and responses.
	cborProtocolHeader = "Smithy-Protocol"
	cborProtocolValue  = "rpc-v2-cbor"
	cborContentType    = "application/cbor"
	cborPathPrefix     = "/service/"
)

// cborModels maps service keys to embedded model names, for the services that speak rpc-v2-cbor.
var cborModels = map[string]string{CloudWatch: "cloudwatch"}

// cborTargets maps the service shape names of rpc-v2-cbor paths to service keys.
var cborTargets = map[string]string{"GraniteServiceVersion20100801": CloudWatch}

// cborOperation reads the service and operation of an rpc-v2-cbor request from its path.
func cborOperation(r *http.Request) (service, op string, ok bool) {
	if r.Method != http.MethodPost || r.Header.Get(cborProtocolHeader) != cborProtocolValue {
		return "", "", false
	}
	rest, ok := strings.CutPrefix(r.URL.Path, cborPathPrefix)
	if !ok {
		return "", "", false
	}
	target, op, ok := strings.Cut(rest, "/operation/")
	if !ok || op == "" || strings.Contains(op, "/") {
		return "", "", false
	}
	service, ok = cborTargets[target]
	return service, op, ok
}

// The codec's CBOR modes are immutable once built; they are built once, on first use.
var (
	cborDecMode = sync.OnceValue(newCBORDecMode)
	cborEncMode = sync.OnceValue(newCBOREncMode)
)

func newCBORDecMode() cbor.DecMode {
	dm, err := cbor.DecOptions{
		DefaultMapType:  reflect.TypeOf(map[string]any(nil)),
		MaxNestedLevels: 64,
	}.DecMode()
	if err != nil {
		panic(fmt.Sprintf("cbor decoder options: %v", err))
	}
	return dm
}

func newCBOREncMode() cbor.EncMode {
	em, err := cbor.EncOptions{Sort: cbor.SortNone}.EncMode()
	if err != nil {
		panic(fmt.Sprintf("cbor encoder options: %v", err))
	}
	return em
}

// decodeCBOR fills v (a json-tagged struct) from the CBOR body of r, through the operation's
// input shape.
func (r *Request) decodeCBOR(v any) error {
	name, ok := cborModels[r.Service]
	if !ok {
		return awserr.New("SerializationException", "The rpc-v2-cbor protocol is not supported for %s.", r.Service)
	}
	m, err := awsmodel.Load(name)
	if err != nil {
		return err
	}
	var shape *awsmodel.Shape
	if op, ok := m.Operations[r.Operation]; ok && op.Input != nil {
		shape = m.Shapes[op.Input.Shape]
	}
	generic := map[string]any{}
	if len(r.Body) > 0 {
		var raw any
		if err := cborDecMode().Unmarshal(r.Body, &raw); err != nil {
			return awserr.New("SerializationException", "Could not parse the CBOR request body: %v", err)
		}
		obj, ok := raw.(map[string]any)
		if !ok {
			return awserr.New("SerializationException", "The CBOR request body is not a map.")
		}
		if shape != nil {
			if generic, err = cborToJSONStruct(m, shape, obj, ""); err != nil {
				return err
			}
		}
	}
	b, err := json.Marshal(generic)
	if err != nil { // NaN and infinities have no JSON form, and no AWS member accepts them
		return awserr.New("SerializationException", "Could not parse the CBOR request body: %v", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return serializationError(err)
	}
	return nil
}

func cborToJSONStruct(m *awsmodel.Model, shape *awsmodel.Shape, obj map[string]any, path string) (map[string]any, error) {
	out := make(map[string]any, len(obj))
	for name, val := range obj {
		ref, ok := shape.Members[name]
		if !ok || val == nil {
			continue // unknown members are ignored, as every AWS decoder does
		}
		v, err := cborToJSON(m, ref, val, path+"."+name)
		if err != nil {
			return nil, err
		}
		out[name] = v
	}
	return out, nil
}

func cborTypeError(path, want string, got any) error {
	return awserr.New("SerializationException", "Unexpected value type for field %q: expected %s, got %T", strings.TrimPrefix(path, "."), want, got)
}

// cborToJSON converts one decoded CBOR value to its JSON-protocol form: timestamps to epoch
// seconds, blobs to base64, everything else by its shape.
func cborToJSON(m *awsmodel.Model, ref *awsmodel.ShapeRef, val any, path string) (any, error) {
	shape := m.Shapes[ref.Shape]
	if shape == nil {
		return nil, nil
	}
	switch shape.Type {
	case "structure":
		obj, ok := val.(map[string]any)
		if !ok {
			return nil, cborTypeError(path, "map", val)
		}
		return cborToJSONStruct(m, shape, obj, path)
	case "list":
		items, ok := val.([]any)
		if !ok {
			return nil, cborTypeError(path, "array", val)
		}
		out := make([]any, 0, len(items))
		for i, it := range items {
			v, err := cborToJSON(m, shape.Member, it, path+"["+strconv.Itoa(i)+"]")
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case "map":
		obj, ok := val.(map[string]any)
		if !ok {
			return nil, cborTypeError(path, "map", val)
		}
		out := make(map[string]any, len(obj))
		for k, it := range obj {
			v, err := cborToJSON(m, shape.Value, it, path+"."+k)
			if err != nil {
				return nil, err
			}
			out[k] = v
		}
		return out, nil
	case "timestamp":
		switch t := val.(type) {
		case time.Time:
			return float64(t.UnixMilli()) / 1000, nil
		case cbor.Tag:
			if f, ok := cborNumber(t.Content); ok && t.Number == 1 {
				return f, nil
			}
		default:
			if f, ok := cborNumber(val); ok {
				return f, nil
			}
		}
		return nil, cborTypeError(path, "timestamp (tag 1)", val)
	case "blob":
		switch b := val.(type) {
		case []byte:
			return base64.StdEncoding.EncodeToString(b), nil
		case string:
			return base64.StdEncoding.EncodeToString([]byte(b)), nil
		}
		return nil, cborTypeError(path, "byte string", val)
	case "string":
		s, ok := val.(string)
		if !ok {
			return nil, cborTypeError(path, "text string", val)
		}
		return s, nil
	case "boolean":
		b, ok := val.(bool)
		if !ok {
			return nil, cborTypeError(path, "boolean", val)
		}
		return b, nil
	case "integer", "long", "short", "byte":
		f, ok := cborNumber(val)
		if !ok || f != math.Trunc(f) {
			return nil, cborTypeError(path, "integer", val)
		}
		return int64(f), nil
	case "float", "double":
		f, ok := cborNumber(val)
		if !ok {
			return nil, cborTypeError(path, "number", val)
		}
		return f, nil
	}
	return val, nil
}

func cborNumber(v any) (float64, bool) {
	switch n := v.(type) {
	case uint64:
		return float64(n), true
	case int64:
		return float64(n), true
	case float64:
		return n, true
	case float32:
		return float64(n), true
	}
	return 0, false
}

// encodeCBORResponse renders out (a json-tagged value named as the model's members) as the CBOR
// map of the operation's output shape.
func encodeCBORResponse(m *awsmodel.Model, opName string, out any) ([]byte, error) {
	generic := map[string]any{}
	var shape *awsmodel.Shape
	if op, ok := m.Operations[opName]; ok && op.Output != nil {
		shape = m.Shapes[op.Output.Shape]
	}
	if out != nil && shape != nil {
		b, err := json.Marshal(out)
		if err != nil {
			return nil, err
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			return nil, err
		}
		if generic, err = jsonToCBORStruct(m, shape, obj); err != nil {
			return nil, err
		}
	}
	return cborEncMode().Marshal(generic)
}

func jsonToCBORStruct(m *awsmodel.Model, shape *awsmodel.Shape, obj map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(obj))
	for name, val := range obj {
		ref, ok := shape.Members[name]
		if !ok || val == nil {
			continue
		}
		v, err := jsonToCBOR(m, ref, val)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out[name] = v
	}
	return out, nil
}

// jsonToCBOR converts one JSON value (numbers as json.Number) to the CBOR value of its shape.
func jsonToCBOR(m *awsmodel.Model, ref *awsmodel.ShapeRef, val any) (any, error) {
	shape := m.Shapes[ref.Shape]
	if shape == nil {
		return nil, fmt.Errorf("unknown shape %q", ref.Shape)
	}
	switch shape.Type {
	case "structure":
		obj, ok := val.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("want an object for %s, have %T", ref.Shape, val)
		}
		return jsonToCBORStruct(m, shape, obj)
	case "list":
		items, ok := val.([]any)
		if !ok {
			return nil, fmt.Errorf("want an array for %s, have %T", ref.Shape, val)
		}
		out := make([]any, len(items))
		for i, it := range items {
			v, err := jsonToCBOR(m, shape.Member, it)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case "map":
		obj, ok := val.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("want an object for %s, have %T", ref.Shape, val)
		}
		out := make(map[string]any, len(obj))
		for k, it := range obj {
			v, err := jsonToCBOR(m, shape.Value, it)
			if err != nil {
				return nil, err
			}
			out[k] = v
		}
		return out, nil
	case "timestamp":
		var secs float64
		switch t := val.(type) {
		case json.Number:
			f, err := t.Float64()
			if err != nil {
				return nil, err
			}
			secs = f
		case string:
			tm, err := time.Parse(time.RFC3339Nano, t)
			if err != nil {
				return nil, err
			}
			secs = float64(tm.UnixMilli()) / 1000
		default:
			return nil, fmt.Errorf("want a timestamp for %s, have %T", ref.Shape, val)
		}
		return cbor.Tag{Number: 1, Content: secs}, nil
	case "blob":
		s, ok := val.(string)
		if !ok {
			return nil, fmt.Errorf("want base64 for %s, have %T", ref.Shape, val)
		}
		return base64.StdEncoding.DecodeString(s)
	case "integer", "long", "short", "byte":
		n, ok := val.(json.Number)
		if !ok {
			return nil, fmt.Errorf("want a number for %s, have %T", ref.Shape, val)
		}
		return n.Int64()
	case "float", "double":
		n, ok := val.(json.Number)
		if !ok {
			return nil, fmt.Errorf("want a number for %s, have %T", ref.Shape, val)
		}
		return n.Float64()
	}
	return val, nil
}

// maxInflatedBody bounds a decompressed request body (the largest any served API accepts is
// well below it).
const maxInflatedBody = 64 << 20

// Inflate replaces a gzip-encoded body (Content-Encoding: gzip, which the SDKs use for
// operations with the requestCompression trait such as CloudWatch's PutMetricData) by its
// content, once. The header stays as it came: it may be one of the signed headers.
func (r *Request) Inflate() error {
	if r.inflated || r.HTTP == nil || len(r.Body) == 0 || !strings.EqualFold(strings.TrimSpace(r.HTTP.Header.Get("Content-Encoding")), "gzip") {
		return nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(r.Body))
	if err != nil {
		return awserr.New("SerializationException", "Could not decompress the gzip request body: %v", err)
	}
	body, err := io.ReadAll(io.LimitReader(zr, maxInflatedBody+1))
	if err != nil {
		return awserr.New("SerializationException", "Could not decompress the gzip request body: %v", err)
	}
	if len(body) > maxInflatedBody {
		return awserr.WithStatus(413, "RequestEntityTooLarge", "Request body too large.")
	}
	r.Body = body
	r.inflated = true
	return nil
}

// encodeCBORError renders an error as rpc-v2-cbor's error map.
func encodeCBORError(typ, message string) []byte {
	b, err := cborEncMode().Marshal(map[string]string{"__type": typ, "message": message})
	if err != nil { // a map of two strings always encodes
		panic(fmt.Sprintf("encode cbor error: %v", err))
	}
	return b
}

// writeCBOR writes a successful or failed rpc-v2-cbor response.
func writeCBOR(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", cborContentType)
	h.Set(cborProtocolHeader, cborProtocolValue)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}
