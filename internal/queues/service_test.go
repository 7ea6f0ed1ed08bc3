package queues_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/clock"
	"github.com/ceap/ceap/internal/metrics"
	"github.com/ceap/ceap/internal/queues"
	"github.com/ceap/ceap/internal/store"
	"github.com/ceap/ceap/internal/store/storetest"
)

type recorded struct {
	account, name, queue string
	value                float64
	unit                 string
}

type fakeRecorder struct {
	mu  sync.Mutex
	all []recorded
}

func (r *fakeRecorder) Record(account, namespace, name string, dims []metrics.Dimension, value float64, unit string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if namespace != queues.Namespace || len(dims) != 1 || dims[0].Name != "QueueName" {
		panic("unexpected metric " + namespace + " " + name)
	}
	r.all = append(r.all, recorded{account, name, dims[0].Value, value, unit})
}

// sum returns the total and the number of datapoints of one metric of one queue.
func (r *fakeRecorder) sum(name, queue string) (float64, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	total, n := 0.0, 0
	for _, d := range r.all {
		if d.name == name && d.queue == queue {
			total += d.value
			n++
		}
	}
	return total, n
}

func (r *fakeRecorder) last(name, queue string) (float64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.all) - 1; i >= 0; i-- {
		if r.all[i].name == name && r.all[i].queue == queue {
			return r.all[i].value, true
		}
	}
	return 0, false
}

type env struct {
	svc *queues.Service
	clk *clock.Fake
	rec *fakeRecorder
	st  store.Store
	ctx context.Context
}

func newEnv(t *testing.T) *env {
	t.Helper()
	t.Parallel()
	clk := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	rec := &fakeRecorder{}
	st := storetest.OpenSQLite(t)
	svc := queues.New(queues.Config{Store: st, Clock: clk, Metrics: rec})
	return &env{svc: svc, clk: clk, rec: rec, st: st, ctx: context.Background()}
}

func TestMetricsPerCall(t *testing.T) {
	e := newEnv(t)
	ref := queues.Ref{Account: "acct", Name: "q"}
	if _, err := e.svc.Create(e.ctx, "acct", "q", nil, nil); err != nil {
		t.Fatal(err)
	}
	res, err := e.svc.SendBatch(e.ctx, ref, "acct", []queues.SendEntry{{ID: "a", Body: "12345"}, {ID: "b", Body: "123"}, {ID: "c", Body: "bad\x00"}})
	if err != nil || res[2].Err == nil {
		t.Fatalf("send batch = %v, %v", res, err)
	}
	msgs, err := e.svc.Receive(e.ctx, ref, queues.ReceiveParams{MaxMessages: ptr(int64(10))})
	if err != nil || len(msgs) != 2 {
		t.Fatalf("receive = %v, %v", msgs, err)
	}
	if _, err := e.svc.Receive(e.ctx, ref, queues.ReceiveParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.DeleteBatch(e.ctx, ref, []queues.DeleteEntry{{ID: "1", ReceiptHandle: msgs[0].ReceiptHandle}, {ID: "2", ReceiptHandle: msgs[1].ReceiptHandle}}, true); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]float64{"NumberOfMessagesSent": 2, "NumberOfMessagesReceived": 2, "NumberOfEmptyReceives": 1, "NumberOfMessagesDeleted": 2} {
		if got, _ := e.rec.sum(name, "q"); got != want {
			t.Fatalf("%s = %v, want %v", name, got, want)
		}
	}
	if total, n := e.rec.sum("SentMessageSize", "q"); total != 8 || n != 2 {
		t.Fatalf("SentMessageSize = %v over %d datapoints, want 8 over 2", total, n)
	}
}

func TestSampleAndSweep(t *testing.T) {
	e := newEnv(t)
	ref := queues.Ref{Account: "acct", Name: "q"}
	if _, err := e.svc.Create(e.ctx, "acct", "q", map[string]string{"MessageRetentionPeriod": "120"}, nil); err != nil {
		t.Fatal(err)
	}
	delay := int64(60)
	for _, entry := range []queues.SendEntry{{Body: "old"}, {Body: "delayed", DelaySeconds: &delay}} {
		if _, err := e.svc.Send(e.ctx, ref, "acct", entry); err != nil {
			t.Fatal(err)
		}
	}
	e.clk.Advance(30 * time.Second)
	if _, err := e.svc.Send(e.ctx, ref, "acct", queues.SendEntry{Body: "newer"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Send(e.ctx, ref, "acct", queues.SendEntry{Body: "in flight"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Receive(e.ctx, ref, queues.ReceiveParams{}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Sample(e.ctx); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]float64{"ApproximateNumberOfMessagesVisible": 2, "ApproximateNumberOfMessagesNotVisible": 1,
		"ApproximateNumberOfMessagesDelayed": 1, "ApproximateAgeOfOldestMessage": 30} {
		if got, ok := e.rec.last(name, "q"); !ok || got != want {
			t.Fatalf("%s = %v (%v), want %v", name, got, ok, want)
		}
	}
	// Past retention for the first two messages only: the sweeper deletes them from the store.
	e.clk.Advance(100 * time.Second)
	if err := e.svc.Sweep(e.ctx); err != nil {
		t.Fatal(err)
	}
	q, _ := e.svc.Get(e.ctx, ref)
	c, err := e.st.QueueCounts(e.ctx, &store.QueueCountsParams{ID: q.ID, Now: e.clk.Now().UnixMilli()})
	if err != nil || c.Visible+c.NotVisible+c.Delayed != 2 {
		t.Fatalf("stored messages after sweep = %+v, %v; want 2", c, err)
	}
}

// TestBackground runs the service's loop on the fake clock: the sampler records once a minute.
func TestBackground(t *testing.T) {
	e := newEnv(t)
	if _, err := e.svc.Create(e.ctx, "acct", "q", nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Start(e.ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, n := e.rec.sum("ApproximateNumberOfMessagesVisible", "q"); n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sampler never ran")
		}
		e.clk.Advance(time.Minute)
		time.Sleep(5 * time.Millisecond)
	}
	stop, cancel := context.WithTimeout(e.ctx, 5*time.Second)
	defer cancel()
	if err := e.svc.Stop(stop); err != nil {
		t.Fatal(err)
	}
	// After Stop (and Wake) long polls return at once.
	start := time.Now()
	msgs, err := e.svc.Receive(e.ctx, queues.Ref{Account: "acct", Name: "q"}, queues.ReceiveParams{WaitTimeSeconds: ptr(int64(20))})
	if err != nil || len(msgs) != 0 || time.Since(start) > time.Second {
		t.Fatalf("receive after stop = %v, %v after %v", msgs, err, time.Since(start))
	}
}

func TestAttributesMD5(t *testing.T) {
	t.Parallel()
	s := func(v string) *string { return &v }
	// Digests that SQS returns for these attributes (pinned by moto's and LocalStack's tests).
	for value, want := range map[string]string{"1493147359900": "235c5c510d26fb653d073faed50ae77c", "1493147359901": "994258b45346a2cc3f9cbb611aa7af30"} {
		got := queues.AttributesMD5(map[string]queues.Attribute{"timestamp": {DataType: "Number", StringValue: s(value)}})
		if got != want {
			t.Fatalf("md5 of timestamp=%s = %s, want %s", value, got, want)
		}
	}
	if queues.AttributesMD5(nil) != "" {
		t.Fatalf("md5 of no attributes must be empty")
	}
	a := queues.AttributesMD5(map[string]queues.Attribute{"x": {DataType: "String", StringValue: s("1")}, "y": {DataType: "Binary", BinaryValue: []byte{1}}})
	b := queues.AttributesMD5(map[string]queues.Attribute{"y": {DataType: "Binary", BinaryValue: []byte{1}}, "x": {DataType: "String", StringValue: s("1")}})
	c := queues.AttributesMD5(map[string]queues.Attribute{"x": {DataType: "Number", StringValue: s("1")}, "y": {DataType: "Binary", BinaryValue: []byte{1}}})
	if a != b || a == c {
		t.Fatalf("md5 must depend on content, not map order: %s %s %s", a, b, c)
	}
}

func ptr[T any](v T) *T { return &v }

// TestMoveTaskSurvivesRestart starts a slow move task on one Service and finishes it with a new
// Service on the same store, as after a restart.
func TestMoveTaskSurvivesRestart(t *testing.T) {
	e := newEnv(t)
	if _, err := e.svc.Create(e.ctx, "acct", "dlq", nil, nil); err != nil {
		t.Fatal(err)
	}
	dlqArn := queues.Arn("us-east-1", "acct", "dlq")
	if _, err := e.svc.Create(e.ctx, "acct", "src", map[string]string{"VisibilityTimeout": "0",
		"RedrivePolicy": `{"deadLetterTargetArn":"` + dlqArn + `","maxReceiveCount":1}`}, nil); err != nil {
		t.Fatal(err)
	}
	src := queues.Ref{Account: "acct", Name: "src"}
	for i := 0; i < 3; i++ {
		if _, err := e.svc.Send(e.ctx, src, "acct", queues.SendEntry{Body: "m"}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 2; i++ { // the second receive dead-letters all three
		if _, err := e.svc.Receive(e.ctx, src, queues.ReceiveParams{MaxMessages: ptr(int64(10))}); err != nil {
			t.Fatal(err)
		}
	}
	handle, err := e.svc.StartMoveTask(e.ctx, "acct", dlqArn, "", 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RunMoveTasks(e.ctx); err != nil {
		t.Fatal(err)
	}
	tasks, err := e.svc.ListMoveTasks(e.ctx, "acct", dlqArn, 1)
	if err != nil || tasks[0].Status != "RUNNING" || tasks[0].Moved != 1 || tasks[0].Handle != handle || tasks[0].ToMove != 3 {
		t.Fatalf("after one step = %+v, %v", tasks[0], err)
	}
	restarted := queues.New(queues.Config{Store: e.st, Clock: e.clk})
	for i := 0; i < 3; i++ {
		if err := restarted.RunMoveTasks(e.ctx); err != nil {
			t.Fatal(err)
		}
	}
	tasks, err = restarted.ListMoveTasks(e.ctx, "acct", dlqArn, 1)
	if err != nil || tasks[0].Status != "COMPLETED" || tasks[0].Moved != 3 {
		t.Fatalf("after restart = %+v, %v", tasks[0], err)
	}
	attrs, err := restarted.Attributes(e.ctx, src, []string{"ApproximateNumberOfMessages"})
	if err != nil || attrs["ApproximateNumberOfMessages"] != "3" {
		t.Fatalf("source after the move = %v, %v", attrs, err)
	}
}

// TestMoveTaskFails ends a task FAILED when its destination queue disappears.
func TestMoveTaskFails(t *testing.T) {
	e := newEnv(t)
	for _, n := range []string{"dlq", "dest"} {
		if _, err := e.svc.Create(e.ctx, "acct", n, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	dlqArn := queues.Arn("us-east-1", "acct", "dlq")
	if _, err := e.svc.Create(e.ctx, "acct", "src", map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"` + dlqArn + `","maxReceiveCount":5}`}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.StartMoveTask(e.ctx, "acct", dlqArn, queues.Arn("us-east-1", "acct", "dest"), 0); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Delete(e.ctx, queues.Ref{Account: "acct", Name: "dest"}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RunMoveTasks(e.ctx); err != nil {
		t.Fatal(err)
	}
	tasks, err := e.svc.ListMoveTasks(e.ctx, "acct", dlqArn, 1)
	if err != nil || tasks[0].Status != "FAILED" || tasks[0].Failure == "" || tasks[0].Handle != "" {
		t.Fatalf("task = %+v, %v", tasks[0], err)
	}
}

// TestDeadLetterAfterPurge: a message sent before its dead-letter queue was purged, and
// dead-lettered after, is kept.
func TestDeadLetterAfterPurge(t *testing.T) {
	e := newEnv(t)
	if _, err := e.svc.Create(e.ctx, "acct", "dlq", nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Create(e.ctx, "acct", "src", map[string]string{"VisibilityTimeout": "0",
		"RedrivePolicy": `{"deadLetterTargetArn":"` + queues.Arn("us-east-1", "acct", "dlq") + `","maxReceiveCount":1}`}, nil); err != nil {
		t.Fatal(err)
	}
	src, dlq := queues.Ref{Account: "acct", Name: "src"}, queues.Ref{Account: "acct", Name: "dlq"}
	if _, err := e.svc.Send(e.ctx, src, "acct", queues.SendEntry{Body: "old"}); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Second)
	if err := e.svc.Purge(e.ctx, dlq); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Second)
	for i := 0; i < 2; i++ {
		if _, err := e.svc.Receive(e.ctx, src, queues.ReceiveParams{}); err != nil {
			t.Fatal(err)
		}
	}
	msgs, err := e.svc.Receive(e.ctx, dlq, queues.ReceiveParams{})
	if err != nil || len(msgs) != 1 || msgs[0].Body != "old" {
		t.Fatalf("dead-letter queue after its purge = %v, %v", msgs, err)
	}
}

// TestDeleteQueueDeletesMessages: a deleted queue's messages are gone from the store.
func TestDeleteQueueDeletesMessages(t *testing.T) {
	e := newEnv(t)
	q, err := e.svc.Create(e.ctx, "acct", "q", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ref := queues.Ref{Account: "acct", Name: "q"}
	for i := 0; i < 3; i++ {
		if _, err := e.svc.Send(e.ctx, ref, "acct", queues.SendEntry{Body: "m"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.svc.Delete(e.ctx, ref); err != nil {
		t.Fatal(err)
	}
	c, err := e.st.QueueCounts(e.ctx, &store.QueueCountsParams{ID: q.ID, Now: e.clk.Now().UnixMilli()})
	if err != nil || *c != (store.QueueCounts{}) {
		t.Fatalf("messages left of the deleted queue = %+v, %v", c, err)
	}
	if _, err := e.svc.Receive(e.ctx, ref, queues.ReceiveParams{}); !isCode(err, "QueueDoesNotExist") {
		t.Fatalf("receive from the deleted queue: %v", err)
	}
}

func isCode(err error, code string) bool {
	ae, ok := awserr.As(err)
	return ok && ae.Code == code
}
