package protocol

import (
	"bytes"
	"compress/gzip"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/protocol/awsmodel"
)

func cborRequest(t *testing.T, op string, body any) *Request {
	t.Helper()
	b, err := cbor.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return &Request{Service: CloudWatch, Operation: op, Protocol: KindCBOR, Body: b}
}

func TestCBORRoute(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest(http.MethodPost, "/service/GraniteServiceVersion20100801/operation/PutMetricData", nil)
	if _, _, ok := JSONTarget(r); ok {
		t.Fatal("a cbor path without the smithy-protocol header was taken for rpc-v2-cbor")
	}
	r.Header.Set("smithy-protocol", "rpc-v2-cbor")
	kind, op, ok := JSONTarget(r)
	if !ok || kind != KindCBOR || op != "PutMetricData" {
		t.Fatalf("JSONTarget = %v %q %v, want rpcv2Cbor PutMetricData", kind, op, ok)
	}
	if got := IdentifyService(r); got != CloudWatch {
		t.Fatalf("IdentifyService = %q, want %q", got, CloudWatch)
	}
	r = httptest.NewRequest(http.MethodPost, "/service/Unknown/operation/PutMetricData", nil)
	r.Header.Set("smithy-protocol", "rpc-v2-cbor")
	if _, _, ok := JSONTarget(r); ok {
		t.Fatal("an unknown service shape was routed")
	}
}

func TestDecodeCBORTypesByModel(t *testing.T) {
	t.Parallel()
	ts := time.Date(2026, 11, 27, 12, 30, 15, 250e6, time.UTC)
	r := cborRequest(t, "PutMetricData", map[string]any{
		"Namespace": "App",
		"MetricData": []any{map[string]any{
			"MetricName": "Latency",
			"Timestamp":  cbor.Tag{Number: 1, Content: float64(ts.UnixMilli()) / 1000},
			"Value":      uint64(7), // an integer where the model says double
			"Dimensions": []any{map[string]any{"Name": "Stage", "Value": "etl"}},
			"Unknown":    "ignored",
		}, map[string]any{
			"MetricName": "Count",
			"Timestamp":  cbor.Tag{Number: 1, Content: ts.Unix()}, // integer seconds
			"Values":     []any{1.5, int64(-2)},
		}},
	})
	var in struct {
		Namespace  string
		MetricData []struct {
			MetricName string
			Timestamp  *Timestamp
			Value      *float64
			Values     []float64
			Dimensions []struct{ Name, Value string }
		}
	}
	if err := r.Decode(&in); err != nil {
		t.Fatal(err)
	}
	if in.Namespace != "App" || len(in.MetricData) != 2 {
		t.Fatalf("decoded %+v", in)
	}
	d := in.MetricData[0]
	if d.MetricName != "Latency" || d.Value == nil || *d.Value != 7 || !d.Timestamp.Time().Equal(ts) || d.Dimensions[0].Value != "etl" {
		t.Fatalf("datum 0 = %+v (timestamp %v)", d, d.Timestamp.Time())
	}
	if got := in.MetricData[1].Timestamp.Time(); !got.Equal(ts.Truncate(time.Second)) || in.MetricData[1].Values[1] != -2 {
		t.Fatalf("datum 1 = %+v (timestamp %v)", in.MetricData[1], got)
	}

	bad := cborRequest(t, "PutMetricData", map[string]any{"Namespace": 5})
	err := bad.Decode(&in)
	var ae *awserr.Error
	if !errors.As(err, &ae) || ae.Code != "SerializationException" {
		t.Fatalf("a number for a string member: err = %v, want SerializationException", err)
	}
	garbage := &Request{Service: CloudWatch, Operation: "PutMetricData", Protocol: KindCBOR, Body: []byte{0xbf, 0x61}}
	if err := garbage.Decode(&in); !errors.As(err, &ae) || ae.Code != "SerializationException" {
		t.Fatalf("truncated body: err = %v, want SerializationException", err)
	}
}

func TestEncodeCBORResponseTypes(t *testing.T) {
	t.Parallel()
	m := awsmodel.MustLoad("cloudwatch")
	ts := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	out := map[string]any{
		"Label": "Invocations",
		"Datapoints": []any{map[string]any{
			"Timestamp": TS(ts),
			"Sum":       3,
			"Unit":      "Count",
		}},
	}
	b, err := encodeCBORResponse(m, "GetMetricStatistics", out)
	if err != nil {
		t.Fatal(err)
	}
	var generic map[string]any
	if err := cbor.Unmarshal(b, &generic); err != nil {
		t.Fatal(err)
	}
	dp := generic["Datapoints"].([]any)[0].(map[any]any)
	if got, ok := dp["Timestamp"].(time.Time); !ok || !got.Equal(ts) {
		t.Fatalf("Timestamp = %#v, want tag 1 for %v", dp["Timestamp"], ts)
	}
	if got, ok := dp["Sum"].(float64); !ok || got != 3 {
		t.Fatalf("Sum = %#v, want the double 3", dp["Sum"])
	}
	// Tag 1 (0xc1) followed by a double (0xfb) is on the wire.
	if !bytes.Contains(b, []byte{0xc1, 0xfb}) {
		t.Fatalf("no tag 1 double in % x", b)
	}

	empty, err := encodeCBORResponse(m, "DeleteAlarms", nil)
	if err != nil || !bytes.Equal(empty, []byte{0xa0}) {
		t.Fatalf("empty output = % x (err %v), want an empty map", empty, err)
	}
}

func TestWriteCBORError(t *testing.T) {
	t.Parallel()
	m := awsmodel.MustLoad("cloudwatch")
	svc := &RPCService{Key: CloudWatch, Model: m, ErrorNamespace: "com.amazonaws.cloudwatch"}
	w := httptest.NewRecorder()
	svc.WriteError(w, &Request{Protocol: KindCBOR, RequestID: "rid"}, awserr.WithStatus(404, "ResourceNotFound", "no such dashboard"))
	if w.Code != 404 || w.Header().Get("Content-Type") != "application/cbor" || w.Header().Get("Smithy-Protocol") != "rpc-v2-cbor" {
		t.Fatalf("status %d headers %v", w.Code, w.Header())
	}
	if got := w.Header().Get("x-amzn-query-error"); got != "ResourceNotFound;Sender" {
		t.Fatalf("x-amzn-query-error = %q", got)
	}
	var body map[string]string
	if err := cbor.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if body["__type"] != "com.amazonaws.cloudwatch#ResourceNotFound" || body["message"] != "no such dashboard" {
		t.Fatalf("error body %v", body)
	}
}

func FuzzDecodeCBOR(f *testing.F) {
	seed, _ := cbor.Marshal(map[string]any{"Namespace": "n", "MetricData": []any{map[string]any{"MetricName": "m", "Timestamp": cbor.Tag{Number: 1, Content: 1.5}}}})
	f.Add(seed)
	f.Add([]byte{0xa0})
	f.Fuzz(func(t *testing.T, body []byte) {
		r := &Request{Service: CloudWatch, Operation: "PutMetricData", Protocol: KindCBOR, Body: body}
		var in map[string]any
		if err := r.Decode(&in); err != nil {
			if _, ok := awserr.As(err); !ok {
				t.Fatalf("decode error is not an AWS error: %v", err)
			}
		}
	})
}

func TestDecodeGzipBody(t *testing.T) {
	t.Parallel()
	raw, _ := cbor.Marshal(map[string]any{"Namespace": "App"})
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	zw.Write(raw)
	zw.Close()
	hr := httptest.NewRequest(http.MethodPost, "/service/GraniteServiceVersion20100801/operation/PutMetricData", nil)
	hr.Header.Set("Content-Encoding", "gzip")
	r := &Request{HTTP: hr, Service: CloudWatch, Operation: "PutMetricData", Protocol: KindCBOR, Body: zipped.Bytes()}
	var in struct{ Namespace string }
	if err := r.Decode(&in); err != nil || in.Namespace != "App" {
		t.Fatalf("gzip body: %+v (err %v)", in, err)
	}
	hr.Header.Set("Content-Encoding", "gzip")
	r = &Request{HTTP: hr, Service: CloudWatch, Operation: "PutMetricData", Protocol: KindCBOR, Body: []byte("not gzip")}
	var ae *awserr.Error
	if err := r.Decode(&in); !errors.As(err, &ae) || ae.Code != "SerializationException" {
		t.Fatalf("bad gzip: err = %v", err)
	}
}
