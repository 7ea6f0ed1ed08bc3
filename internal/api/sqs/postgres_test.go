package sqs_test

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/ceap/ceap/internal/ceaptest"
	"github.com/ceap/ceap/internal/store/postgres/pgtest"
	"github.com/ceap/ceap/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestOnPostgres runs the core flow (send batch, receive, DLQ move, FIFO order, delete) on
// PostgreSQL.
func TestOnPostgres(t *testing.T) {
	f := setup(t, ceaptest.WithPostgres())
	dlq := f.create("dlq", nil)
	url := f.create("q", map[string]string{"VisibilityTimeout": "0", "RedrivePolicy": `{"deadLetterTargetArn":"` + f.arn(dlq) + `","maxReceiveCount":1}`})
	var entries []types.SendMessageBatchRequestEntry
	for i := 0; i < 10; i++ {
		entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String("m" + strconv.Itoa(i))})
	}
	res, err := f.c.SendMessageBatch(f.ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: entries})
	if err != nil || len(res.Successful) != 10 {
		t.Fatalf("send batch = %v, %v", res, err)
	}
	if got := f.receive(url, 10, 0); len(got) != 10 {
		t.Fatalf("first receive got %d", len(got))
	}
	if got := f.receive(url, 10, 0); len(got) != 0 {
		t.Fatalf("second receive got %d; all should have moved", len(got))
	}
	moved := f.receive(dlq, 10, 30)
	if len(moved) != 10 {
		t.Fatalf("dlq has %d", len(moved))
	}
	var del []types.DeleteMessageBatchRequestEntry
	for i, m := range moved {
		del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
	}
	if out, err := f.c.DeleteMessageBatch(f.ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &dlq, Entries: del}); err != nil || len(out.Successful) != 10 {
		t.Fatalf("delete batch = %v, %v", out, err)
	}
	if n := f.count(dlq, "ApproximateNumberOfMessagesNotVisible"); n != 0 {
		t.Fatalf("dlq in flight = %d", n)
	}
	fifo := f.create("f.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	for _, b := range []string{"1", "2", "1"} {
		if _, err := f.c.SendMessage(f.ctx, &sqs.SendMessageInput{QueueUrl: &fifo, MessageBody: aws.String(b), MessageGroupId: aws.String("g")}); err != nil {
			t.Fatal(err)
		}
	}
	got := f.receive(fifo, 10, 30)
	if len(got) != 2 || *got[0].Body != "1" || *got[1].Body != "2" {
		t.Fatalf("fifo receive = %v", bodies(got))
	}
}

// TestTwoNodesNeverShareAMessage runs two servers on one PostgreSQL schema (two ceap nodes) with
// concurrent receivers on both and checks that every message is received exactly once.
func TestTwoNodesNeverShareAMessage(t *testing.T) {
	t.Parallel()
	schema := storetest.NewSchema(t)
	a := ceaptest.StartServer(t, ceaptest.WithStore(storetest.OpenPostgresSchema(t, schema)))
	b := ceaptest.StartServer(t, ceaptest.WithStore(storetest.OpenPostgresSchema(t, schema)))
	ca, cb := sqs.NewFromConfig(a.AWS), sqs.NewFromConfig(b.AWS)
	f := &fixture{t: t, srv: a, c: ca, ctx: t.Context()}
	url := f.create("shared", map[string]string{"VisibilityTimeout": "300"})
	const total = 300
	for i := 0; i < total/10; i++ {
		var entries []types.SendMessageBatchRequestEntry
		for j := 0; j < 10; j++ {
			entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(j)), MessageBody: aws.String(fmt.Sprint(i*10 + j))})
		}
		if _, err := ca.SendMessageBatch(f.ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: entries}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for w := 0; w < 6; w++ {
		c := ca
		if w%2 == 1 {
			c = cb
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				out, err := c.ReceiveMessage(f.ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10})
				if err != nil {
					t.Errorf("receive: %v", err)
					return
				}
				if len(out.Messages) == 0 {
					return
				}
				mu.Lock()
				for _, m := range out.Messages {
					seen[*m.Body]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != total {
		t.Fatalf("received %d distinct messages, want %d", len(seen), total)
	}
	for body, n := range seen {
		if n != 1 {
			t.Fatalf("message %s received %d times", body, n)
		}
	}
}
