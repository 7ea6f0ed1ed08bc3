package main

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// sendBatchMax is SQS's SendMessageBatch limit of ten entries per call.
const sendBatchMax = 10

// recordWait is how long the throughput run waits for the last executions to be listed.
const recordWait = 10 * time.Second

// drainPoll is how often the throughput run reads the queue's depth.
const drainPoll = 100 * time.Millisecond

// runThroughput sends n messages with SendMessageBatch from several callers at once and waits
// until the queue is empty: every message received, run through the workflow and deleted (the
// REQUEST_RESPONSE pipe deletes a message only after its execution SUCCEEDED). Then it checks
// every message's five outputs, the DLQ and the executions' statuses.
func (b *bench) runThroughput(ctx context.Context, n, senders, profileSecs int, profileOut string) {
	programID := "tp-" + b.tag
	body := message(programID)
	cpu0 := b.usage()
	start := time.Now()

	batches := make(chan int)
	var wg sync.WaitGroup
	var sendErr error
	var once sync.Once
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for first := range batches {
				entries := make([]sqstypes.SendMessageBatchRequestEntry, 0, sendBatchMax)
				for i := first; i < min(first+sendBatchMax, n); i++ {
					entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: &body})
				}
				out, err := b.sqs.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &b.queueURL, Entries: entries})
				if err == nil && len(out.Failed) > 0 {
					err = fmt.Errorf("%d entries failed: %s", len(out.Failed), aws.ToString(out.Failed[0].Message))
				}
				if err != nil {
					once.Do(func() { sendErr = err })
				}
			}
		}()
	}
	for i := 0; i < n; i += sendBatchMax {
		batches <- i
	}
	close(batches)
	wg.Wait()
	if sendErr != nil {
		fail("send: %v", sendErr)
	}
	sent := time.Since(start)
	// The profile covers the queue being worked off, after the sends.
	prof := b.startProfile(ctx, profileSecs, profileOut)

	var peakRSS int64
	for {
		if u := b.usage(); u.rss > peakRSS {
			peakRSS = u.rss
		}
		if b.depth(ctx, b.queueURL) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			fail("queue not empty before the timeout")
		case <-time.After(drainPoll):
		}
	}
	elapsed := time.Since(start)
	cpu := b.usage().since(cpu0)

	names := b.resultNames(ctx, programID)
	complete := b.completeRuns(ctx, names)
	// Express records reach the list a moment after their executions end.
	durations, notSucceeded := b.executionTimes(ctx, names)
	for wait := time.Now().Add(recordWait); notSucceeded > 0 && time.Now().Before(wait); {
		time.Sleep(drainPoll)
		durations, notSucceeded = b.executionTimes(ctx, names)
	}
	dlq := b.depth(ctx, b.dlqURL)
	emit(map[string]any{"phase": "throughput", "messages": n, "senders": senders,
		"messages_per_second": r1(float64(n) / elapsed.Seconds()), "seconds": r1(elapsed.Seconds()), "send_seconds": r1(sent.Seconds()),
		"runs_with_five_outputs": complete, "executions_not_succeeded": notSucceeded, "dlq_messages": dlq,
		"execution_p50_ms": r1(pct(durations, 50)), "execution_p99_ms": r1(pct(durations, 99)),
		"server_cpu_seconds": r1(cpu.server.Seconds()), "server_cpu_ms_per_message": r2(cpu.server.Seconds() * 1000 / float64(n)),
		"server_cores_busy":     r2(cpu.server.Seconds() / elapsed.Seconds()),
		"functions_cpu_seconds": r1(cpu.functions.Seconds()), "functions_cpu_ms_per_message": r2(cpu.functions.Seconds() * 1000 / float64(n)),
		"functions_cpu_ms_per_invocation": r2(cpu.functions.Seconds() * 1000 / float64(n*len(stages))),
		"cpu_ceiling_messages_per_second": r1(float64(runtime.NumCPU()) * float64(n) / (cpu.server + cpu.functions).Seconds()),
		"peak_rss_mb":                     r1(float64(peakRSS) / (1 << 20))})
	if complete != n || notSucceeded != 0 || dlq != 0 {
		fail("throughput run incomplete: %d of %d runs with five outputs, %d executions not SUCCEEDED, %d messages in the DLQ", complete, n, notSucceeded, dlq)
	}
	if prof != nil {
		b.reportProfile(prof)
	}
}

// depth is a queue's visible + in-flight + delayed messages.
func (b *bench) depth(ctx context.Context, url string) int {
	out, err := b.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []sqstypes.QueueAttributeName{
		sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed}})
	if err != nil {
		fail("queue attributes of %s: %v", url, err)
	}
	total := 0
	for _, v := range out.Attributes {
		n, _ := strconv.Atoi(v)
		total += n
	}
	return total
}

// resultNames lists the executions that the Store stage wrote a result for under programID.
func (b *bench) resultNames(ctx context.Context, programID string) []string {
	prefix := "results/" + programID + "/"
	var names []string
	for _, k := range b.keys(ctx, prefix) {
		names = append(names, strings.TrimSuffix(strings.TrimPrefix(k, prefix), ".json"))
	}
	return names
}

func (b *bench) keys(ctx context.Context, prefix string) []string {
	var keys []string
	p := s3.NewListObjectsV2Paginator(b.s3, &s3.ListObjectsV2Input{Bucket: &b.bucket, Prefix: &prefix})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			fail("list %s: %v", prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys
}

// completeRuns counts the named executions that have all five stage outputs.
func (b *bench) completeRuns(ctx context.Context, names []string) int {
	outputs := map[string]int{}
	for _, k := range b.keys(ctx, "executions/") {
		parts := strings.Split(k, "/")
		if len(parts) == 4 && parts[3] == "output.json" {
			outputs[parts[1]]++
		}
	}
	n := 0
	for _, name := range names {
		if outputs[name] == len(stages) {
			n++
		}
	}
	return n
}

// executionTimes returns the start-to-stop times of the named executions and how many of them
// did not succeed or are not listed.
func (b *bench) executionTimes(ctx context.Context, names []string) ([]float64, int) {
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
	}
	var durations []float64
	p := sfn.NewListExecutionsPaginator(b.sfn, &sfn.ListExecutionsInput{StateMachineArn: &b.machine, MaxResults: 1000})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			fail("list executions: %v", err)
		}
		for _, e := range page.Executions {
			if !want[aws.ToString(e.Name)] || e.Status != sfntypes.ExecutionStatusSucceeded || e.StopDate == nil {
				continue
			}
			delete(want, aws.ToString(e.Name))
			durations = append(durations, ms(e.StopDate.Sub(*e.StartDate)))
		}
	}
	return durations, len(want)
}
