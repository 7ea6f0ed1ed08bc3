package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/ceap/ceap/internal/store"
)

func newQueue(t *testing.T, s store.Store, name string, fifo bool) *store.Queue {
	t.Helper()
	q, err := s.QueueCreate(context.Background(), &store.QueueCreateParams{Account: "a", Name: name, FIFO: fifo,
		Attributes: map[string]string{"VisibilityTimeout": "30"}, Tags: map[string]string{"team": "x"}, Now: 1000})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return q
}

func sendN(t *testing.T, s store.Store, q *store.Queue, n int, group string, now int64) []*store.SentMessage {
	t.Helper()
	var msgs []*store.Message
	for i := 0; i < n; i++ {
		msgs = append(msgs, &store.Message{MessageID: fmt.Sprintf("m%d-%d", now, i), Body: fmt.Sprintf("body %d", i), Attributes: []byte("attrs"),
			MD5Body: "md5", SenderID: "a", SentAt: now, VisibleAt: now, GroupID: group})
	}
	sent, err := s.MessagesSend(context.Background(), &store.MessagesSendParams{QueueID: q.ID, Messages: msgs, Now: now})
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	return sent
}

// TestQueues covers the queue rows: create, get, list, update, delete and the name's
// deleted-recently window.
func TestQueues(t *testing.T) {
	Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		q := newQueue(t, s, "orders", false)
		newQueue(t, s, "orders-dlq", false)
		newQueue(t, s, "other", false)
		if _, err := s.QueueCreate(ctx, &store.QueueCreateParams{Account: "a", Name: "orders", Now: 2000}); !errors.Is(err, store.ErrAlreadyExists) {
			t.Fatalf("duplicate create: %v, want ErrAlreadyExists", err)
		}
		got, err := s.QueueGet(ctx, "a", "orders")
		if err != nil || got.ID != q.ID || got.Attributes["VisibilityTimeout"] != "30" || got.Tags["team"] != "x" || got.Created != 1000 {
			t.Fatalf("get = %+v, %v", got, err)
		}
		if _, err := s.QueueGet(ctx, "b", "orders"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("other account get: %v", err)
		}
		list, err := s.QueueList(ctx, &store.QueueListParams{Account: "a", Prefix: "orders", Limit: 1})
		if err != nil || len(list) != 1 || list[0].Name != "orders" {
			t.Fatalf("list page 1 = %v, %v", list, err)
		}
		list, err = s.QueueList(ctx, &store.QueueListParams{Account: "a", Prefix: "orders", After: "orders", Limit: 10})
		if err != nil || len(list) != 1 || list[0].Name != "orders-dlq" {
			t.Fatalf("list page 2 = %v, %v", list, err)
		}
		if err := s.QueueUpdate(ctx, &store.QueueUpdateParams{ID: q.ID, Attributes: map[string]string{"DelaySeconds": "5"}, Now: 3000}); err != nil {
			t.Fatalf("update: %v", err)
		}
		got, _ = s.QueueGetByID(ctx, q.ID)
		if got.Attributes["DelaySeconds"] != "5" || got.Attributes["VisibilityTimeout"] != "" || got.Modified != 3000 || len(got.Tags) != 0 {
			t.Fatalf("after update = %+v", got)
		}
		sendN(t, s, q, 3, "", 3000)
		if err := s.QueueDelete(ctx, &store.QueueDeleteParams{ID: q.ID, Now: 4000}); err != nil {
			t.Fatalf("delete: %v", err)
		}
		if _, err := s.QueueGet(ctx, "a", "orders"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("get deleted: %v", err)
		}
		if n, err := s.MessagesExpire(ctx, &store.MessagesExpireParams{QueueID: q.ID, SentBefore: 1 << 62, Now: 4000}); err != nil || n != 3 {
			t.Fatalf("messages of the deleted queue = %d, %v; want 3 left for the domain to delete", n, err)
		}
		if err := s.QueueDelete(ctx, &store.QueueDeleteParams{ID: q.ID, Now: 4000}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("delete twice: %v", err)
		}
		if _, err := s.QueueCreate(ctx, &store.QueueCreateParams{Account: "a", Name: "orders", Now: 5000, DeletedBefore: 4000 - 1}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("create within window: %v, want ErrConflict", err)
		}
		again, err := s.QueueCreate(ctx, &store.QueueCreateParams{Account: "a", Name: "orders", Now: 70000, DeletedBefore: 10000})
		if err != nil || again.ID == q.ID {
			t.Fatalf("create after window = %+v, %v", again, err)
		}
		c, err := s.QueueCounts(ctx, &store.QueueCountsParams{ID: again.ID, Now: 70000})
		if err != nil || c.Visible != 0 {
			t.Fatalf("new queue counts = %+v, %v", c, err)
		}
	})
}

// TestQueueCountsRetention: the counts leave out the messages past the retention period that
// no sweep has deleted yet, in every state, and the oldest message is the oldest retained one
// that is visible or in flight (a delayed message is not counted as waiting).
func TestQueueCountsRetention(t *testing.T) {
	Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		q := newQueue(t, s, "q", false)
		other := newQueue(t, s, "other", false)
		sendN(t, s, other, 3, "", 100)
		var msgs []*store.Message
		for i, m := range []struct{ sent, visible int64 }{
			{100, 100}, {200, 200}, // sent before the retention start (250)
			{300, 9000}, {400, 400}, {500, 500}, {600, 9000}, {700, 700},
		} {
			msgs = append(msgs, &store.Message{MessageID: fmt.Sprintf("r%d", i), Body: "b", MD5Body: "x", SentAt: m.sent, VisibleAt: m.visible})
		}
		if _, err := s.MessagesSend(ctx, &store.MessagesSendParams{QueueID: q.ID, Messages: msgs, Now: 700}); err != nil {
			t.Fatalf("send: %v", err)
		}
		counts := func(now, retainedAfter int64) store.QueueCounts {
			t.Helper()
			c, err := s.QueueCounts(ctx, &store.QueueCountsParams{ID: q.ID, Now: now, RetainedAfter: retainedAfter})
			if err != nil {
				t.Fatalf("counts: %v", err)
			}
			return *c
		}
		want := store.QueueCounts{Visible: 5, Delayed: 2, OldestSent: 100}
		if c := counts(1000, 0); c != want {
			t.Fatalf("counts, all retained = %+v, want %+v", c, want)
		}
		want = store.QueueCounts{Visible: 3, Delayed: 2, OldestSent: 400}
		if c := counts(1000, 250); c != want {
			t.Fatalf("counts, retained after 250 = %+v, want %+v", c, want)
		}
		// Receive everything visible at 1000 (the retention filter of the claim leaves out 100 and
		// 200): 400, 500 and 700 are in flight.
		r, err := s.MessagesReceive(ctx, &store.MessagesReceiveParams{QueueID: q.ID, Max: 10, Now: 1000, VisibleAt: 5000, RetainedAfter: 250})
		if err != nil || len(r.Messages) != 3 {
			t.Fatalf("receive = %+v, %v", r, err)
		}
		want = store.QueueCounts{NotVisible: 3, Delayed: 2, OldestSent: 400}
		if c := counts(1000, 250); c != want {
			t.Fatalf("counts after receive = %+v, want %+v", c, want)
		}
		// At 9000 the delayed ones are visible and the received ones visible again.
		want = store.QueueCounts{Visible: 5, OldestSent: 300}
		if c := counts(9000, 250); c != want {
			t.Fatalf("counts at 9000 = %+v, want %+v", c, want)
		}
		if c := counts(9000, 10000); c != (store.QueueCounts{}) {
			t.Fatalf("counts with nothing retained = %+v, want zero", c)
		}
	})
}

// TestMessages covers send, receive, delete, visibility, counts, purge, expiry and the move to a
// dead-letter queue.
func TestMessages(t *testing.T) {
	Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		q := newQueue(t, s, "q", false)
		dlq := newQueue(t, s, "dlq", false)
		sent := sendN(t, s, q, 5, "", 1000)
		delayed := &store.Message{MessageID: "late", Body: "later", MD5Body: "x", SentAt: 1000, VisibleAt: 9000}
		if _, err := s.MessagesSend(ctx, &store.MessagesSendParams{QueueID: q.ID, Messages: []*store.Message{delayed}, Now: 1000}); err != nil {
			t.Fatalf("send delayed: %v", err)
		}
		counts := func(now int64) store.QueueCounts {
			c, err := s.QueueCounts(ctx, &store.QueueCountsParams{ID: q.ID, Now: now})
			if err != nil {
				t.Fatalf("counts: %v", err)
			}
			return *c
		}
		if c := counts(1000); c.Visible != 5 || c.Delayed != 1 || c.NotVisible != 0 || c.OldestSent != 1000 {
			t.Fatalf("counts after send = %+v", c)
		}
		r, err := s.MessagesReceive(ctx, &store.MessagesReceiveParams{QueueID: q.ID, Max: 3, Now: 2000, VisibleAt: 32000, MaxReceiveCount: 2, DeadLetterQueueID: dlq.ID})
		if err != nil || len(r.Messages) != 3 {
			t.Fatalf("receive = %+v, %v", r, err)
		}
		m := r.Messages[0]
		if m.ReceiveCount != 1 || m.FirstReceive != 2000 || m.VisibleAt != 32000 || m.Body == "" || string(m.Attributes) != "attrs" {
			t.Fatalf("received message = %+v", m)
		}
		if c := counts(2000); c.Visible != 2 || c.NotVisible != 3 || c.Delayed != 1 {
			t.Fatalf("counts after receive = %+v", c)
		}
		st, err := s.MessagesChangeVisibility(ctx, &store.MessagesChangeVisibilityParams{QueueID: q.ID, Now: 3000, MaxAfterFirstReceive: 43200000,
			Changes: []store.VisibilityChange{{ID: m.ID, VisibleAt: 3000 + 60000}, {ID: sent[4].ID, VisibleAt: 4000}, {ID: m.ID, VisibleAt: 2000 + 43200001}, {ID: 999999, VisibleAt: 1}}})
		want := []store.VisibilityStatus{store.VisibilityChanged, store.VisibilityNotInflight, store.VisibilityTooLong, store.VisibilityGone}
		if err != nil || fmt.Sprint(st) != fmt.Sprint(want) {
			t.Fatalf("change visibility = %v, %v; want %v", st, err, want)
		}
		if err := s.MessagesDelete(ctx, &store.MessagesDeleteParams{QueueID: q.ID, IDs: []int64{r.Messages[1].ID, r.Messages[2].ID, 424242}}); err != nil {
			t.Fatalf("delete: %v", err)
		}
		if c := counts(3000); c.Visible != 2 || c.NotVisible != 1 {
			t.Fatalf("counts after delete = %+v", c)
		}
		// m becomes visible at 63000; two more receives pass maxReceiveCount 2 on the third.
		for i, now := range []int64{63000, 100000} {
			r, err := s.MessagesReceive(ctx, &store.MessagesReceiveParams{QueueID: q.ID, Max: 10, Now: now, VisibleAt: now + 30000, MaxReceiveCount: 2, DeadLetterQueueID: dlq.ID})
			if err != nil {
				t.Fatalf("receive %d: %v", i, err)
			}
			if i == 0 && (len(r.Messages) != 4 || r.DeadLettered != 0) {
				t.Fatalf("receive %d = %d messages, %d dead", i, len(r.Messages), r.DeadLettered)
			}
			if i == 1 && (len(r.Messages) != 3 || r.DeadLettered != 1) {
				t.Fatalf("receive %d = %d messages, %d dead", i, len(r.Messages), r.DeadLettered)
			}
		}
		d, err := s.MessagesReceive(ctx, &store.MessagesReceiveParams{QueueID: dlq.ID, Max: 10, Now: 100001, VisibleAt: 100002})
		if err != nil || len(d.Messages) != 1 || d.Messages[0].MessageID != m.MessageID || d.Messages[0].Body != m.Body || d.Messages[0].SentAt != 1000 || d.Messages[0].SourceQueueID != q.ID {
			t.Fatalf("dead-letter receive = %+v, %v", d, err)
		}
		moved, err := s.MessagesMove(ctx, &store.MessagesMoveParams{QueueID: dlq.ID, Max: 10, Now: 100002})
		if err != nil || moved != 1 {
			t.Fatalf("move back = %d, %v", moved, err)
		}
		if c := counts(100002); c.Visible != 1 {
			t.Fatalf("counts after move back = %+v", c)
		}
		n, err := s.MessagesExpire(ctx, &store.MessagesExpireParams{QueueID: q.ID, SentBefore: 1001, Now: 100002, Max: 3})
		if err != nil || n != 3 {
			t.Fatalf("expire at most 3 = %d, %v", n, err)
		}
		n, err = s.MessagesExpire(ctx, &store.MessagesExpireParams{QueueID: q.ID, SentBefore: 1001, Now: 100002})
		if err != nil || n != 1 {
			t.Fatalf("expire the rest = %d, %v; want 1", n, err)
		}
		if err := s.QueuePurge(ctx, &store.QueuePurgeParams{ID: q.ID, Now: 200001}); err != nil {
			t.Fatalf("purge: %v", err)
		}
		if err := s.QueuePurge(ctx, &store.QueuePurgeParams{ID: q.ID, Now: 200002, PurgedAfter: 200002 - 60000}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("second purge: %v, want ErrConflict", err)
		}
		purged, _ := s.QueueGetByID(ctx, q.ID)
		if purged.PurgedAt != 200001 {
			t.Fatalf("purged at = %d, want 200001", purged.PurgedAt)
		}
	})
}

// TestFIFOMessages covers group ordering, one in-flight group at a time and deduplication.
func TestFIFOMessages(t *testing.T) {
	Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		q := newQueue(t, s, "q.fifo", true)
		var msgs []*store.Message
		for i, g := range []string{"a", "b", "a", "b", "a"} {
			msgs = append(msgs, &store.Message{MessageID: fmt.Sprint(i), Body: g, MD5Body: "x", SentAt: 1000, VisibleAt: 1000, GroupID: g, DedupID: fmt.Sprint("d", i)})
		}
		sent, err := s.MessagesSend(ctx, &store.MessagesSendParams{QueueID: q.ID, Messages: msgs, Now: 1000, DedupUntil: 301000})
		if err != nil || len(sent) != 5 || sent[0].ID >= sent[1].ID {
			t.Fatalf("send = %v, %v", sent, err)
		}
		dup, err := s.MessagesSend(ctx, &store.MessagesSendParams{QueueID: q.ID, Now: 2000, DedupUntil: 302000,
			Messages: []*store.Message{{MessageID: "dup", Body: "a", MD5Body: "x", SentAt: 2000, VisibleAt: 2000, GroupID: "a", DedupID: "d0"}}})
		if err != nil || !dup[0].Duplicate || dup[0].MessageID != "0" || dup[0].ID != sent[0].ID {
			t.Fatalf("duplicate send = %+v, %v", dup[0], err)
		}
		r, err := s.MessagesReceive(ctx, &store.MessagesReceiveParams{QueueID: q.ID, FIFO: true, Max: 2, Now: 3000, VisibleAt: 33000})
		if err != nil || len(r.Messages) != 2 || r.Messages[0].MessageID != "0" || r.Messages[1].MessageID != "1" {
			t.Fatalf("first receive = %+v, %v", r, err)
		}
		r, err = s.MessagesReceive(ctx, &store.MessagesReceiveParams{QueueID: q.ID, FIFO: true, Max: 10, Now: 3001, VisibleAt: 33000})
		if err != nil || len(r.Messages) != 0 {
			t.Fatalf("receive with both groups in flight = %d messages, %v", len(r.Messages), err)
		}
		if err := s.MessagesDelete(ctx, &store.MessagesDeleteParams{QueueID: q.ID, IDs: []int64{sent[0].ID}}); err != nil {
			t.Fatal(err)
		}
		r, err = s.MessagesReceive(ctx, &store.MessagesReceiveParams{QueueID: q.ID, FIFO: true, Max: 10, Now: 3002, VisibleAt: 33000})
		if err != nil || len(r.Messages) != 2 || r.Messages[0].MessageID != "2" || r.Messages[1].MessageID != "4" {
			t.Fatalf("receive after group a freed = %+v, %v", r, err)
		}
		if _, err := s.MessagesExpire(ctx, &store.MessagesExpireParams{QueueID: q.ID, SentBefore: 0, Now: 400000}); err != nil {
			t.Fatal(err)
		}
		again, err := s.MessagesSend(ctx, &store.MessagesSendParams{QueueID: q.ID, Now: 400000, DedupUntil: 700000,
			Messages: []*store.Message{{MessageID: "new", Body: "a", MD5Body: "x", SentAt: 400000, VisibleAt: 400000, GroupID: "a", DedupID: "d0"}}})
		if err != nil || again[0].Duplicate {
			t.Fatalf("send after the dedup window = %+v, %v", again[0], err)
		}
	})
}

// TestConcurrentClaimers proves that two receivers never get the same message.
func TestConcurrentClaimers(t *testing.T) {
	Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		for _, fifo := range []bool{false, true} {
			name := "claims"
			group := ""
			if fifo {
				name, group = "claims.fifo", "g"
			}
			q := newQueue(t, s, name, fifo)
			const total = 200
			for i := 0; i < total/10; i++ {
				sendN(t, s, q, 10, group, 1000+int64(i))
			}
			var mu sync.Mutex
			seen := map[int64]int{}
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for w := 0; w < 8; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						r, err := s.MessagesReceive(ctx, &store.MessagesReceiveParams{QueueID: q.ID, FIFO: fifo, Max: 7, Now: 5000, VisibleAt: 1e12})
						if err != nil {
							errs <- err
							return
						}
						if len(r.Messages) == 0 {
							mu.Lock()
							done := len(seen) >= total || fifo
							mu.Unlock()
							if done {
								return
							}
							continue
						}
						mu.Lock()
						for _, m := range r.Messages {
							seen[m.ID]++
						}
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatalf("claim: %v", err)
			}
			for id, n := range seen {
				if n != 1 {
					t.Fatalf("fifo=%v: message %d claimed %d times", fifo, id, n)
				}
			}
			if !fifo && len(seen) != total {
				t.Fatalf("claimed %d of %d messages", len(seen), total)
			}
			if fifo && len(seen) == 0 {
				t.Fatalf("fifo: nothing claimed")
			}
		}
	})
}

// TestMoveTasks covers the move task rows.
func TestMoveTasks(t *testing.T) {
	Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		q := newQueue(t, s, "dlq", false)
		task := &store.MoveTask{Handle: "h1", SourceQueueID: q.ID, SourceArn: "arn:dlq", Status: store.MoveRunning, ToMove: 5, Started: 1000}
		if err := s.MoveTaskCreate(ctx, task); err != nil {
			t.Fatalf("create: %v", err)
		}
		if err := s.MoveTaskCreate(ctx, &store.MoveTask{Handle: "h2", SourceQueueID: q.ID, Status: store.MoveRunning, Started: 2000}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("second running task: %v, want ErrConflict", err)
		}
		if err := s.MoveTaskUpdate(ctx, &store.MoveTaskUpdateParams{Handle: "h1", IfStatus: store.MoveRunning, Status: store.MoveRunning, AddMoved: 2}); err != nil {
			t.Fatalf("update: %v", err)
		}
		if err := s.MoveTaskUpdate(ctx, &store.MoveTaskUpdateParams{Handle: "h1", IfStatus: store.MoveRunning, Status: store.MoveCompleted, AddMoved: 3}); err != nil {
			t.Fatalf("update: %v", err)
		}
		if err := s.MoveTaskUpdate(ctx, &store.MoveTaskUpdateParams{Handle: "h1", IfStatus: store.MoveRunning, Status: store.MoveCancelled}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("update of a finished task: %v, want ErrConflict", err)
		}
		if err := s.MoveTaskCreate(ctx, &store.MoveTask{Handle: "h2", SourceQueueID: q.ID, Status: store.MoveRunning, Started: 2000}); err != nil {
			t.Fatalf("create after completion: %v", err)
		}
		list, err := s.MoveTaskList(ctx, &store.MoveTaskListParams{SourceQueueID: q.ID})
		if err != nil || len(list) != 2 || list[0].Handle != "h2" || list[1].Moved != 5 || list[1].Status != store.MoveCompleted {
			t.Fatalf("list = %+v, %v", list, err)
		}
		running, err := s.MoveTaskList(ctx, &store.MoveTaskListParams{Status: store.MoveRunning, Limit: 1})
		if err != nil || len(running) != 1 || running[0].Handle != "h2" {
			t.Fatalf("running = %+v, %v", running, err)
		}
		got, err := s.MoveTaskGet(ctx, "h1")
		if err != nil || got.ToMove != 5 || got.SourceArn != "arn:dlq" {
			t.Fatalf("get = %+v, %v", got, err)
		}
		if _, err := s.MoveTaskGet(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("get missing: %v", err)
		}
	})
}
