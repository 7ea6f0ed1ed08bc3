// Command e2e measures the CEAP realtime workflow end to end on a ceap server where
// examples/ceap/deploy.sh has deployed it: a message on the queue, the pipe, the Express
// execution, the five Go stage functions and their five S3 outputs, the message deleted. It
// prints one JSON line per measurement: idle (messages sent one at a time, each timed from
// SendMessage returning to the last stage's output object existing, see idle.go), breakdown
// (where the idle runs' time went: queue, pipe, engine, functions, from the execution histories
// and the functions' REPORT lines), throughput (messages sent as fast as SendMessageBatch
// allows, timed until the queue is empty, every message's five outputs checked, nothing in the
// DLQ, no failed execution) and profile (the server's CPU profile during the throughput run, by
// service and by package), with the server's CPU and memory and the stage functions' CPU.
//
//	go run ./bench/e2e --endpoint http://127.0.0.1:4566 --server-pid PID
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/ceap/ceap/bench/internal/loopback"
)

// stages are the realtime workflow's Task states in order, and their functions' name parts.
var stages = []struct{ state, function string }{
	{"ETLTask", "ETL"}, {"FilterTask", "Filter"}, {"ScoreTask", "Score"}, {"StoreTask", "Store"}, {"ReactiveTask", "Reactive"},
}

// lastStage is the state whose output object ends a run.
const lastStage = "ReactiveTask"

type bench struct {
	sqs  *sqs.Client
	s3   *s3.Client
	sfn  *sfn.Client
	logs *cloudwatchlogs.Client

	endpoint string
	workflow string
	queueURL string
	dlqURL   string
	bucket   string
	machine  string
	pid      int
	tag      string
	poll     time.Duration
}

func main() {
	endpoint := flag.String("endpoint", "http://127.0.0.1:4566", "ceap endpoint (loopback only)")
	workflow := flag.String("workflow", "realtime", "name of the deployed express workflow")
	pid := flag.Int("server-pid", 0, "the server's process id, for its CPU and memory (0: not reported)")
	warmup := flag.Int("warmup", 20, "messages sent one at a time before the idle measurement")
	idle := flag.Int("idle", 300, "messages sent one at a time for the idle latency (0 to skip)")
	messages := flag.Int("messages", 5000, "messages of the throughput run (0 to skip)")
	senders := flag.Int("senders", 8, "concurrent SendMessageBatch callers in the throughput run")
	poll := flag.Duration("poll", 2*time.Millisecond, "interval of the idle phase's polls for the output objects")
	profileSecs := flag.Int("profile-seconds", 15, "seconds of CPU profile taken once the throughput run's messages are sent (0: none; needs ceap serve --pprof)")
	profileOut := flag.String("profile-out", "", "where to keep the throughput run's CPU profile (default: a temporary file, removed)")
	timeout := flag.Duration("timeout", 30*time.Minute, "give up after this long")
	flag.Parse()
	if err := loopback.Check(*endpoint); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	b := newBench(ctx, *endpoint, *workflow, *pid, *poll)

	if *warmup > 0 {
		for i := 0; i < *warmup; i++ {
			if _, err := b.oneMessage(ctx, fmt.Sprintf("warm-%s-%d", b.tag, i)); err != nil {
				fail("warm-up message %d: %v", i, err)
			}
		}
	}
	if *idle > 0 {
		runs := b.runIdle(ctx, *idle)
		b.breakdown(ctx, runs)
	}
	if *messages > 0 {
		b.runThroughput(ctx, *messages, *senders, *profileSecs, *profileOut)
	}
}

func newBench(ctx context.Context, endpoint, workflow string, pid int, poll time.Duration) *bench {
	cfg := aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint:     aws.String(endpoint),
		RetryMaxAttempts: 3,
		HTTPClient:       &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
		APIOptions:       []func(*middleware.Stack) error{noHostPrefix},
	}
	b := &bench{
		sqs:      sqs.NewFromConfig(cfg),
		s3:       s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }),
		sfn:      sfn.NewFromConfig(cfg),
		logs:     cloudwatchlogs.NewFromConfig(cfg),
		endpoint: endpoint, workflow: workflow, pid: pid, poll: poll,
		tag: fmt.Sprint(time.Now().Unix()),
	}
	q, err := b.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("ceap-workflow-" + workflow + "-queue")})
	if err != nil {
		fail("queue of workflow %q (deploy it with examples/ceap/deploy.sh %s express): %v", workflow, workflow, err)
	}
	b.queueURL = *q.QueueUrl
	d, err := b.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("ceap-workflow-" + workflow + "-dlq")})
	if err != nil {
		fail("dead-letter queue of workflow %q: %v", workflow, err)
	}
	b.dlqURL = *d.QueueUrl
	attrs, err := b.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		fail("queue ARN: %v", err)
	}
	arn := strings.Split(attrs.Attributes["QueueArn"], ":")
	if len(arn) != 6 {
		fail("queue ARN %q", attrs.Attributes["QueueArn"])
	}
	region, account := arn[3], arn[4]
	b.bucket = "ceap-workflow-" + workflow + "-" + account
	b.machine = "arn:aws:states:" + region + ":" + account + ":stateMachine:Ceap-" + workflow + "-Workflow"
	if _, err := b.sfn.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: &b.machine}); err != nil {
		fail("state machine of workflow %q: %v", workflow, err)
	}
	return b
}

// noHostPrefix keeps StartSyncExecution and friends on the endpoint's host (no "sync-" prefix).
func noHostPrefix(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("noHostPrefix",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
		}), middleware.Before)
}

// message is the body of one benchmark message: a small real CEAP request whose programId names
// the run, so that the Store stage's results/<programId>/ key reveals the execution's name.
func message(programID string) string {
	today := time.Now().UTC().Format("2006-01-02")
	return `{"programId":"` + programID + `","marketplace":"us","candidates":[` +
		`{"customerId":"C1","subjectId":"S1","eventType":"purchase","eventTime":"` + today + `","features":{"engagement":0.8}},` +
		`{"customerId":"C2","subjectId":"S1","eventType":"view","eventTime":"` + today + `","features":{"engagement":0.3}},` +
		`{"customerId":"C3","subjectId":"S2","eventType":"view","eventTime":"` + today + `","optedOut":true}]}`
}

func emit(v map[string]any) {
	b, _ := json.Marshal(v)
	fmt.Println(string(b))
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "e2e: "+format+"\n", args...)
	os.Exit(1)
}

// pct is the p-th percentile of xs (nearest rank); xs is sorted in place.
func pct(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	sort.Float64s(xs)
	i := int(p/100*float64(len(xs))+0.5) - 1
	return xs[max(0, min(i, len(xs)-1))]
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// r1 rounds to one decimal.
func r1(x float64) float64 { return float64(int64(x*10+0.5)) / 10 }

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
