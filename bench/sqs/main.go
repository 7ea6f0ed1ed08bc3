// Command sqs is ceap's SQS load generator. Against any endpoint that speaks SQS (ceap,
// moto_server) it creates a queue, sends N messages with SendMessageBatch from many clients, then
// receives and deletes them with ReceiveMessage + DeleteMessageBatch from many clients until the
// queue is empty, and checks that every message arrived exactly once. With --fill it instead
// queues N messages and reports the server's memory as the queue grows. One JSON line per phase.
//
//	go run ./bench/sqs --endpoint http://127.0.0.1:4566 -n 200000 --server-pid $(pidof ceap)
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/ceap/ceap/bench/internal/loopback"
)

func main() {
	endpoint := flag.String("endpoint", "http://127.0.0.1:4566", "SQS endpoint (loopback only)")
	n := flag.Int("n", 100000, "messages")
	senders := flag.Int("senders", 32, "concurrent senders")
	receivers := flag.Int("receivers", 32, "concurrent receivers")
	size := flag.Int("size", 100, "message body size in bytes")
	fill := flag.Bool("fill", false, "only queue n messages and sample the server's memory")
	pid := flag.Int("server-pid", 0, "server process id, to report its memory")
	label := flag.String("label", "ceap", "label of the server in the output")
	timeout := flag.Duration("timeout", 30*time.Minute, "give up after this long")
	flag.Parse()
	if err := loopback.Check(*endpoint); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	client := sqs.NewFromConfig(aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("bench", "bench", ""),
		BaseEndpoint:     endpoint,
		RetryMaxAttempts: 5,
		HTTPClient:       &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}},
	})
	name := fmt.Sprintf("bench-%d", time.Now().UnixNano())
	cq, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: &name, Attributes: map[string]string{"VisibilityTimeout": "120"}})
	if err != nil {
		fail("create queue: %v", err)
	}
	url := *cq.QueueUrl

	rssStart := loopback.RSS(*pid)
	sendStart := time.Now()
	var samples []map[string]any
	var sampleMu sync.Mutex
	sent := send(ctx, client, url, *n, *senders, *size, func(done int) {
		if *fill && done%100000 == 0 {
			sampleMu.Lock()
			samples = append(samples, map[string]any{"queued": done, "rss_mb": mb(loopback.RSS(*pid))})
			sampleMu.Unlock()
		}
	})
	sendSecs := time.Since(sendStart).Seconds()
	emit(map[string]any{"server": *label, "phase": "send", "messages": sent, "seconds": round(sendSecs), "per_second": round(float64(sent) / sendSecs),
		"senders": *senders, "batch": 10, "rss_mb_before": mb(rssStart), "rss_mb_after": mb(loopback.RSS(*pid))})
	if *fill {
		emit(map[string]any{"server": *label, "phase": "fill", "messages": sent, "rss_samples": samples})
		return
	}
	recvStart := time.Now()
	got, dups := receive(ctx, client, url, *n, *receivers)
	recvSecs := time.Since(recvStart).Seconds()
	missing := 0
	for i := 0; i < sent; i++ {
		if !got[i] {
			missing++
		}
	}
	emit(map[string]any{"server": *label, "phase": "receive_delete", "messages": len(got), "seconds": round(recvSecs), "per_second": round(float64(len(got)) / recvSecs),
		"receivers": *receivers, "duplicates": dups, "missing": missing, "exactly_once": dups == 0 && missing == 0, "rss_mb_after": mb(loopback.RSS(*pid))})
	client.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: &url})
}

func send(ctx context.Context, c *sqs.Client, url string, n, workers, size int, progress func(int)) int {
	var next, done atomic.Int64
	pad := make([]byte, size)
	for i := range pad {
		pad[i] = 'x'
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				start := int(next.Add(10)) - 10
				if start >= n || ctx.Err() != nil {
					return
				}
				var entries []types.SendMessageBatchRequestEntry
				for i := start; i < start+10 && i < n; i++ {
					body := strconv.Itoa(i) + ":" + string(pad[:max(0, size-len(strconv.Itoa(i))-1)])
					entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i - start)), MessageBody: aws.String(body)})
				}
				out, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: entries})
				if err != nil || len(out.Failed) > 0 {
					fail("send batch: %v %v", err, out)
				}
				before := done.Load()
				after := done.Add(int64(len(entries)))
				if after/100000 != before/100000 {
					progress(int(after / 100000 * 100000))
				}
			}
		}()
	}
	wg.Wait()
	return int(done.Load())
}

func receive(ctx context.Context, c *sqs.Client, url string, n, workers int) (map[int]bool, int) {
	var mu sync.Mutex
	got := make(map[int]bool, n)
	dups := 0
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			empty := 0
			for ctx.Err() == nil {
				mu.Lock()
				finished := len(got) >= n
				mu.Unlock()
				if finished || empty >= 3 {
					return
				}
				out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
				if err != nil {
					fail("receive: %v", err)
				}
				if len(out.Messages) == 0 {
					empty++
					continue
				}
				empty = 0
				var entries []types.DeleteMessageBatchRequestEntry
				mu.Lock()
				for i, m := range out.Messages {
					var id int
					fmt.Sscanf(*m.Body, "%d:", &id)
					if got[id] {
						dups++
					}
					got[id] = true
					entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
				}
				mu.Unlock()
				d, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: entries})
				if err != nil || len(d.Failed) > 0 {
					fail("delete batch: %v %v", err, d)
				}
			}
		}()
	}
	wg.Wait()
	return got, dups
}

func emit(v map[string]any) {
	b, _ := json.Marshal(v) // map keys come out sorted
	fmt.Println(string(b))
}

func mb(b int64) float64 { return round(float64(b) / (1 << 20)) }

func round(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench/sqs: "+format+"\n", args...)
	os.Exit(1)
}
