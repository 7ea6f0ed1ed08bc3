package states

import (
	"testing"

	"github.com/ceap/ceap/internal/store"
)

func TestExpressRecordDroppedWhenWritersAreBehind(t *testing.T) {
	t.Parallel()
	r := newExpressRecorder(&Service{})
	for i := 0; i < cap(r.queue); i++ {
		r.add(&expressRecord{row: &store.ExecutionRow{ARN: "arn:queued:" + string(rune('a'+i%26)) + string(rune(i))}})
	}
	// Nothing drains the queue: the next record must be given up at once, not wait.
	late := &expressRecord{row: &store.ExecutionRow{ARN: "arn:late"}}
	r.add(late)
	if _, _, ok := r.pendingRecord("arn:late"); ok {
		t.Fatal("a dropped record is still visible as pending")
	}
	if got := r.dropped.Load(); got != 1 {
		t.Fatalf("dropped = %d, want 1", got)
	}
	if got := len(r.queue); got != cap(r.queue) {
		t.Fatalf("queue holds %d, want %d", got, cap(r.queue))
	}
}
