package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// runTimeout is how long one idle message may take before the benchmark gives up.
const runTimeout = time.Minute

// run is one message's way through the workflow, as the idle phase saw it.
type run struct {
	programID string
	execution string        // the execution's name, which is also the data id under executions/
	latency   time.Duration // SendMessage returned -> the last stage's output exists
}

// oneMessage sends one message and waits for its last output object. The execution's name is
// not known when the message is sent (the pipe starts the execution), so the wait has two polls:
// a ListObjectsV2 of results/<programId>/ until the Store stage's result names the execution
// (a prefix that holds one key), then a HeadObject of the last stage's output key. Each poll
// sleeps b.poll between requests, so the latency is late by at most one interval plus one
// request.
func (b *bench) oneMessage(ctx context.Context, programID string) (*run, error) {
	if _, err := b.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &b.queueURL, MessageBody: aws.String(message(programID))}); err != nil {
		return nil, fmt.Errorf("send: %w", err)
	}
	sent := time.Now()
	deadline := sent.Add(runTimeout)
	prefix := "results/" + programID + "/"
	var name string
	for name == "" {
		out, err := b.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &b.bucket, Prefix: &prefix, MaxKeys: aws.Int32(1)})
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", prefix, err)
		}
		if len(out.Contents) > 0 {
			name = strings.TrimSuffix(strings.TrimPrefix(*out.Contents[0].Key, prefix), ".json")
			break
		}
		if err := b.wait(ctx, deadline); err != nil {
			return nil, fmt.Errorf("no result under %s: %w", prefix, err)
		}
	}
	key := outputKey(name, lastStage)
	for {
		_, err := b.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b.bucket, Key: &key})
		if err == nil {
			return &run{programID: programID, execution: name, latency: time.Since(sent)}, nil
		}
		var nf *s3types.NotFound
		if !errors.As(err, &nf) {
			return nil, fmt.Errorf("head %s: %w", key, err)
		}
		if err := b.wait(ctx, deadline); err != nil {
			return nil, fmt.Errorf("no %s: %w", key, err)
		}
	}
}

var errTooLong = errors.New("timed out")

func (b *bench) wait(ctx context.Context, deadline time.Time) error {
	if time.Now().After(deadline) {
		return errTooLong
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(b.poll):
		return nil
	}
}

func outputKey(execution, state string) string {
	return "executions/" + execution + "/" + state + "/output.json"
}

// runIdle sends n messages one at a time and reports the distribution of their latencies.
func (b *bench) runIdle(ctx context.Context, n int) []*run {
	cpu0 := b.usage()
	runs := make([]*run, 0, n)
	lat := make([]float64, 0, n)
	start := time.Now()
	for i := 0; i < n; i++ {
		r, err := b.oneMessage(ctx, fmt.Sprintf("idle-%s-%d", b.tag, i))
		if err != nil {
			fail("idle message %d: %v", i, err)
		}
		runs = append(runs, r)
		lat = append(lat, ms(r.latency))
	}
	elapsed := time.Since(start)
	cpu := b.usage().since(cpu0)
	emit(map[string]any{"phase": "idle", "messages": n, "poll_ms": ms(b.poll),
		"p50_ms": r1(pct(lat, 50)), "p90_ms": r1(pct(lat, 90)), "p99_ms": r1(pct(lat, 99)), "max_ms": r1(pct(lat, 100)), "mean_ms": r1(mean(lat)),
		"server_cpu_ms_per_message": r1(cpu.server.Seconds() * 1000 / float64(n)), "functions_cpu_ms_per_message": r1(cpu.functions.Seconds() * 1000 / float64(n)),
		"seconds": r1(elapsed.Seconds()), "rss_mb": r1(float64(cpu.rss) / (1 << 20))})
	return runs
}
