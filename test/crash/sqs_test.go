// Package crash kills real `ceap serve` processes with SIGKILL in the middle of load and checks,
// after a restart on the same data directory, that nothing acknowledged was lost.
package crash

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/ceap/ceap/internal/ceaptest"
)

// ledger records what the server acknowledged.
type ledger struct {
	mu      sync.Mutex
	sent    map[int]bool // acknowledged sends
	deleted map[int]bool // acknowledged deletes
	// deleting holds the messages of a delete that was sent: one in flight at the kill may have
	// been committed without its answer arriving, so such a message may or may not come back.
	deleting map[int]bool
}

func TestSQSKillDuringLoad(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	p := ceaptest.StartProcess(t, data)
	ctx := context.Background()
	c := sqs.NewFromConfig(ceaptest.SDKConfig(p.URL()))
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("crash"), Attributes: map[string]string{"VisibilityTimeout": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	url := *q.QueueUrl
	l := &ledger{sent: map[int]bool{}, deleted: map[int]bool{}, deleting: map[int]bool{}}

	loadCtx, stopLoad := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var seq sync.Mutex
	next := 0
	for w := 0; w < 6; w++ {
		wg.Add(2)
		go func() { // sender
			defer wg.Done()
			for loadCtx.Err() == nil {
				seq.Lock()
				base := next
				next += 10
				seq.Unlock()
				var entries []types.SendMessageBatchRequestEntry
				for i := 0; i < 10; i++ {
					entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(strconv.Itoa(base + i))})
				}
				out, err := c.SendMessageBatch(loadCtx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: entries})
				if err != nil {
					continue
				}
				l.mu.Lock()
				for _, s := range out.Successful {
					i, _ := strconv.Atoi(*s.Id)
					l.sent[base+i] = true
				}
				l.mu.Unlock()
			}
		}()
		go func() { // receiver + deleter
			defer wg.Done()
			for loadCtx.Err() == nil {
				out, err := c.ReceiveMessage(loadCtx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10})
				if err != nil || len(out.Messages) == 0 {
					continue
				}
				var entries []types.DeleteMessageBatchRequestEntry
				ids := map[string]int{}
				for i, m := range out.Messages {
					id, _ := strconv.Atoi(*m.Body)
					ids[strconv.Itoa(i)] = id
					entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
				}
				l.mu.Lock()
				for _, id := range ids {
					l.deleting[id] = true
				}
				l.mu.Unlock()
				d, err := c.DeleteMessageBatch(loadCtx, &sqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: entries})
				if err != nil {
					continue
				}
				l.mu.Lock()
				for _, s := range d.Successful {
					l.deleted[ids[*s.Id]] = true
				}
				for _, f := range d.Failed { // answered: these were not deleted
					delete(l.deleting, ids[*f.Id])
				}
				l.mu.Unlock()
			}
		}()
	}
	// Let load build up, then kill the server in the middle of it.
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		l.mu.Lock()
		enough := len(l.sent) > 3000 && len(l.deleted) > 500
		l.mu.Unlock()
		if enough {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.Kill()
	stopLoad()
	wg.Wait()
	if len(l.sent) == 0 || len(l.deleted) == 0 {
		t.Fatalf("no load was acknowledged before the kill (sent %d, deleted %d)", len(l.sent), len(l.deleted))
	}

	p2 := ceaptest.StartProcess(t, data)
	c2 := sqs.NewFromConfig(ceaptest.SDKConfig(p2.URL()))
	want := map[int]bool{}
	for id := range l.sent {
		if !l.deleting[id] {
			want[id] = true
		}
	}
	seen := map[int]bool{}
	drainUntil := time.Now().Add(60 * time.Second)
	for time.Now().Before(drainUntil) && !covers(seen, want) {
		out, err := c2.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 600})
		if err != nil {
			t.Fatalf("receive after restart: %v", err)
		}
		for _, m := range out.Messages {
			id, _ := strconv.Atoi(*m.Body)
			if l.deleted[id] {
				t.Fatalf("message %d came back after its delete was acknowledged", id)
			}
			seen[id] = true
		}
	}
	var lost []int
	for id := range want {
		if !seen[id] {
			lost = append(lost, id)
		}
	}
	if len(lost) > 0 {
		t.Fatalf("%d acknowledged messages lost after SIGKILL (e.g. %v); acknowledged sends %d, deletes %d", len(lost), lost[:min(5, len(lost))], len(l.sent), len(l.deleted))
	}
	t.Logf("acknowledged before the kill: %d sends, %d deletes; after restart all %d undeleted messages were there", len(l.sent), len(l.deleted), len(want))
}

func covers(seen, want map[int]bool) bool {
	for id := range want {
		if !seen[id] {
			return false
		}
	}
	return true
}
