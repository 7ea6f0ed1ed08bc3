package states

import (
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
	b.Run("json+deflate", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			c.encodeHistory(events, true)
		}
	})
}
