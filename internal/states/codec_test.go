package states

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/ceap/ceap/internal/asl"
)

func sampleHistory(b testing.TB) []asl.HistoryEvent {
	p, err := asl.Compile(benchMachine)
	if err != nil {
		b.Fatal(err)
	}
	_, out := p.Start(map[string]any{"i": 1.0}, asl.Context{ExecutionID: "arn:aws:states:us-east-1:1:execution:m:e", ExecutionName: "e", StateMachineID: "arn:aws:states:us-east-1:1:stateMachine:m", StateMachineName: "m", StartTime: time.Unix(1, 0)}, time.Unix(1, 0))
	return out.Events
}

func TestHistoryRoundTrip(t *testing.T) {
	t.Parallel()
	var c codec
	events := sampleHistory(t)
	enc := c.encodeHistory(events, true)
	if enc[0] != historyDeflate {
		t.Fatalf("a %d-event history was not compressed", len(events))
	}
	raw := marshal(events)
	if len(enc)*2 > len(raw) {
		t.Fatalf("compressed %d bytes to %d", len(raw), len(enc))
	}
	back, err := decodeHistory(enc)
	if err != nil || string(marshal(back)) != string(raw) {
		t.Fatalf("round trip: %v", err)
	}
	small := events[:1]
	if enc := c.encodeHistory(small, true); enc[0] != '[' {
		t.Fatalf("a small chunk was compressed")
	}
}

func BenchmarkEncodeHistory(b *testing.B) {
	var c codec
	events := sampleHistory(b)
	b.Run("json", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			marshal(events)
		}
	})
	b.Run("marshalEvents", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			c.marshalEvents(events)
		}
	})
	b.Run("json+deflate", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			c.encodeHistory(events, true)
		}
	})
}

func TestMarshalEventsMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	var c codec
	if c.detailFields() == nil {
		t.Fatal("asl.HistoryEvent is no longer the shape marshalEvents writes")
	}
	events := sampleHistory(t)
	// One event per detail field, each field's struct filled with awkward strings.
	typ := reflect.TypeFor[asl.HistoryEvent]()
	for i := 4; i < typ.NumField(); i++ {
		ev := asl.HistoryEvent{Timestamp: time.Date(2026, 1, 2, 3, 4, 5, 600700000, time.UTC), Type: "TaskFailed", ID: int64(i), PreviousEventID: int64(i - 1)}
		d := reflect.New(typ.Field(i).Type.Elem())
		for j := 0; j < d.Elem().NumField(); j++ {
			if f := d.Elem().Field(j); f.Kind() == reflect.String {
				f.SetString("a<b>&\"c\"\u2028\\ é")
			}
		}
		reflect.ValueOf(&ev).Elem().Field(i).Set(d)
		events = append(events, ev)
	}
	// Fallbacks: an odd type name and a timestamp JSON cannot write.
	odd := append([]asl.HistoryEvent(nil), events[0])
	odd[0].Type = "Odd\"<Type>"
	for _, evs := range [][]asl.HistoryEvent{events, odd, nil, {}} {
		want, err := json.Marshal(evs)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.marshalEvents(evs); !bytes.Equal(got, want) {
			t.Fatalf("marshalEvents:\n%s\nwant\n%s", got, want)
		}
		if got := c.marshalEventsWith(evs, c.eventDetails(evs)); !bytes.Equal(got, want) {
			t.Fatalf("marshalEventsWith encoded details:\n%s\nwant\n%s", got, want)
		}
	}
}

// oldLogRecord is the record as encoding/json builds it from the event's members.
func oldLogRecord(ev asl.HistoryEvent, arn string) []byte {
	var m map[string]any
	json.Unmarshal(marshal(ev), &m)
	var detail any
	for k, v := range m {
		switch k {
		case "timestamp", "type", "id", "previousEventId":
		default:
			detail = v
		}
	}
	return marshal(map[string]any{"id": ev.ID, "type": ev.Type, "details": detail, "previous_event_id": ev.PreviousEventID,
		"event_timestamp": ev.Timestamp.UnixMilli(), "execution_arn": arn})
}

func TestLogRecordMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	var c codec
	arn := "arn:aws:states:us-east-1:1:execution:m:e<&>"
	events := append(sampleHistory(t), asl.HistoryEvent{Type: "Bare", ID: 9, PreviousEventID: 8, Timestamp: time.UnixMilli(1700000000123)},
		asl.HistoryEvent{Type: "Odd\"<Type>", ID: 10, PreviousEventID: 9, Timestamp: time.UnixMilli(1700000000124)})
	encoded := c.eventDetails(events)
	for i, ev := range events {
		got, want := c.logRecord(&ev, arn), oldLogRecord(ev, arn)
		if shared := c.appendLogRecord(nil, &ev, &encoded[i], marshal(arn)); !bytes.Equal(shared, got) {
			t.Fatalf("%s: with the encoded detail\n got %s\nwant %s", ev.Type, shared, got)
		}
		var g, w any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("%s: %s is not JSON: %v", ev.Type, got, err)
		}
		json.Unmarshal(want, &w)
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("%s:\n got %s\nwant %s", ev.Type, got, want)
		}
	}
}

func BenchmarkLogRecord(b *testing.B) {
	var c codec
	events := sampleHistory(b)
	b.ReportAllocs()
	for b.Loop() {
		for i := range events {
			c.logRecord(&events[i], "arn:aws:states:us-east-1:1:execution:m:e")
		}
	}
}

func BenchmarkLogRecordEncodingJSON(b *testing.B) {
	events := sampleHistory(b)
	b.ReportAllocs()
	for b.Loop() {
		for _, ev := range events {
			oldLogRecord(ev, "arn:aws:states:us-east-1:1:execution:m:e")
		}
	}
}

// BenchmarkExpressEncoding measures what the Express recorder encodes per execution with logging
// ALL and includeExecutionData: the record's history and one log record per event, with the
// details encoded once ("shared") or once for each ("separate").
func BenchmarkExpressEncoding(b *testing.B) {
	var c codec
	events := sampleHistory(b)
	arn := "arn:aws:states:us-east-1:1:execution:m:e"
	b.Run("separate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c.encodeHistory(events, false)
			for i := range events {
				_ = string(c.logRecord(&events[i], arn))
			}
		}
	})
	b.Run("shared", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			enc := c.eventDetails(events)
			c.encodeHistoryWith(events, enc, false)
			arnJSON := marshal(arn)
			size := len(events) * (logRecordOverhead + len(arnJSON))
			for _, d := range enc {
				size += len(d.json)
			}
			buf := make([]byte, 0, size)
			for i := range events {
				buf = c.appendLogRecord(buf, &events[i], &enc[i], arnJSON)
			}
			_ = string(buf)
		}
	})
}
