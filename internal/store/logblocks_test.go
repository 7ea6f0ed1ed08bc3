package store

import (
	"errors"
	"strings"
	"testing"
)

func TestLogBlockEncoding(t *testing.T) {
	t.Parallel()
	events := []LogEventRow{
		{Timestamp: 1000, Message: "first, with: separators"},
		{Timestamp: 1000, Message: "héllo 世界"},
		{Timestamp: 7200_000 + 5000, Message: strings.Repeat("x", 300)}, // ingested before its time
	}
	blocks := SplitLogBlocks(events, 5000)
	if len(blocks) != 1 || blocks[0].First != 1000 || blocks[0].Last != 7205000 || blocks[0].Count != 3 {
		t.Fatalf("blocks = %+v", blocks)
	}
	blocks[0].ID, blocks[0].StreamID = 7, 3
	more := AppendLogBlock([]byte(blocks[0].Data), 1000, []LogEventRow{{Timestamp: 7205001, Message: "appended"}}, 6000)
	blocks[0].Data = string(more)
	got, err := DecodeLogBlock(&blocks[0])
	if err != nil || len(got) != 4 {
		t.Fatalf("decode = %+v, %v", got, err)
	}
	for i, e := range got {
		want := LogEventRow{ID: LogEventID(7, i), StreamID: 3, Timestamp: e.Timestamp, Ingested: 5000, Message: e.Message}
		if i < 3 {
			want.Timestamp, want.Message = events[i].Timestamp, events[i].Message
		} else {
			want.Timestamp, want.Ingested, want.Message = 7205001, 6000, "appended"
		}
		if e != want {
			t.Fatalf("event %d = %+v, want %+v", i, e, want)
		}
	}
	for _, bad := range []string{"0,0,5:abc", "x,0,1:a", "0,0,1a", "0,0,-1:", "0,0", "99999999999999999999,0,1:a"} {
		if _, err := DecodeLogBlock(&LogBlock{Data: bad}); !errors.Is(err, ErrLogBlockCorrupt) {
			t.Fatalf("decode %q: %v, want ErrLogBlockCorrupt", bad, err)
		}
	}
}

func TestSplitLogBlocks(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("m", 1000)
	var events []LogEventRow
	for i := range 2500 {
		events = append(events, LogEventRow{Timestamp: int64(i), Message: big})
	}
	events = append(events, LogEventRow{Timestamp: 2500 + LogBlockMaxSpan, Message: "late"})
	blocks := SplitLogBlocks(events, 1)
	total := 0
	for i, b := range blocks {
		if len(b.Data) > LogBlockMaxBytes || b.Last-b.First > LogBlockMaxSpan || b.Count > LogBlockMaxEvents {
			t.Fatalf("block %d over a limit: %d bytes, span %d, %d events", i, len(b.Data), b.Last-b.First, b.Count)
		}
		total += b.Count
	}
	if total != len(events) || len(blocks) != 4 || blocks[3].Count != 1 {
		t.Fatalf("%d blocks holding %d events; want 4 holding %d", len(blocks), total, len(events))
	}
	tail := &LogBlockTail{First: 0, Last: 100, Count: 1, Bytes: 100}
	for _, c := range []struct {
		tail   *LogBlockTail
		events []LogEventRow
		want   bool
	}{
		{tail, []LogEventRow{{Timestamp: 100}}, true},
		{tail, []LogEventRow{{Timestamp: 99}}, false}, // before the block's end
		{tail, []LogEventRow{{Timestamp: LogBlockMaxSpan + 1}}, false},
		{&LogBlockTail{Last: 100, Bytes: LogBlockAppendBytes}, []LogEventRow{{Timestamp: 100}}, false},
		{&LogBlockTail{Last: 100, Count: LogBlockMaxEvents}, []LogEventRow{{Timestamp: 100}}, false},
		{nil, []LogEventRow{{Timestamp: 100}}, false},
	} {
		if got := LogBlockAppends(c.tail, c.events); got != c.want {
			t.Fatalf("LogBlockAppends(%+v, %+v) = %v", c.tail, c.events, got)
		}
	}
}
