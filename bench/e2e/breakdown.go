package main

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// breakdown splits the idle runs' latency into its parts and prints one line per part:
//
//   - queue_wait: the message's SentTimestamp -> its ApproximateFirstReceiveTimestamp (SQS's
//     own times, carried in the execution's input), the pipe's long poll picking it up;
//   - pipe_to_start: the first receive -> the ExecutionStarted event;
//   - function:<State>: the Task's Scheduled -> Succeeded events, the function call as the engine
//     sees it; function_report:<State> is the function's own REPORT Duration from its log group,
//     so the difference is the invoke's overhead (dispatch, Runtime API, process wake-up);
//   - engine: the execution's time (ExecutionStarted -> ExecutionSucceeded) outside the calls;
//   - execution: the execution's whole time;
//   - after_execution: the measured latency minus (SentTimestamp -> ExecutionSucceeded): the
//     benchmark's poll delay and the SendMessage response (the last output exists before the
//     execution ends, since the Reactive function writes it).
//
// Event times are milliseconds, so a part shorter than a millisecond shows in the means, not in
// the medians.
func (b *bench) breakdown(ctx context.Context, runs []*run) {
	// Express records reach the list a moment after their executions end: wait for the last.
	arns := b.executionARNs(ctx)
	for wait := time.Now().Add(recordWait); time.Now().Before(wait) && !listed(arns, runs); {
		time.Sleep(drainPoll)
		arns = b.executionARNs(ctx)
	}
	parts := map[string][]float64{}
	add := func(k string, v float64) { parts[k] = append(parts[k], v) }
	var order []string
	seen := map[string]bool{}
	addOrdered := func(k string, v float64) {
		if !seen[k] {
			seen[k] = true
			order = append(order, k)
		}
		add(k, v)
	}
	var first, last time.Time
	missing := 0
	for _, r := range runs {
		arn, ok := arns[r.execution]
		if !ok {
			missing++
			continue
		}
		h, err := b.history(ctx, arn)
		if err != nil {
			fail("history of %s: %v", arn, err)
		}
		if first.IsZero() || h.started.Before(first) {
			first = h.started
		}
		if h.stopped.After(last) {
			last = h.stopped
		}
		total := ms(h.stopped.Sub(h.started))
		addOrdered("queue_wait", ms(h.received.Sub(h.sent)))
		addOrdered("pipe_to_start", ms(h.started.Sub(h.received)))
		calls := 0.0
		for _, st := range stages {
			d := h.calls[st.state]
			calls += d
			addOrdered("function:"+st.state, d)
		}
		addOrdered("engine", total-calls)
		addOrdered("execution", total)
		addOrdered("after_execution", ms(r.latency)-ms(h.stopped.Sub(h.sent)))
	}
	for _, k := range order {
		xs := parts[k]
		emit(map[string]any{"phase": "breakdown", "part": k, "executions": len(xs), "mean_ms": r2(mean(xs)), "p50_ms": r1(pct(xs, 50)), "p90_ms": r1(pct(xs, 90))})
	}
	if missing > 0 {
		emit(map[string]any{"phase": "breakdown", "part": "not_listed", "executions": missing})
	}
	if first.IsZero() {
		return
	}
	for _, st := range stages {
		group := "/aws/lambda/CeapWorkflow-" + b.workflow + "-" + st.function + "Lambda"
		xs, err := b.reportDurations(ctx, group, first, last.Add(time.Second))
		if err != nil {
			emit(map[string]any{"phase": "breakdown", "part": "function_report:" + st.state, "error": err.Error()})
			continue
		}
		emit(map[string]any{"phase": "breakdown", "part": "function_report:" + st.state, "invocations": len(xs), "mean_ms": r2(mean(xs)), "p50_ms": r1(pct(xs, 50)), "p90_ms": r1(pct(xs, 90))})
	}
}

func r2(x float64) float64 { return float64(int64(x*100+0.5)) / 100 }

// executionARNs lists the workflow's executions by name.
func (b *bench) executionARNs(ctx context.Context) map[string]string {
	out := map[string]string{}
	p := sfn.NewListExecutionsPaginator(b.sfn, &sfn.ListExecutionsInput{StateMachineArn: &b.machine, MaxResults: 1000})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			fail("list executions: %v", err)
		}
		for _, e := range page.Executions {
			out[aws.ToString(e.Name)] = aws.ToString(e.ExecutionArn)
		}
	}
	return out
}

// runHistory is what the breakdown needs from one execution's history.
type runHistory struct {
	sent, received, started, stopped time.Time
	calls                            map[string]float64 // state -> ms from Scheduled to Succeeded
}

func (b *bench) history(ctx context.Context, arn string) (*runHistory, error) {
	h := &runHistory{calls: map[string]float64{}}
	var state string
	var scheduled time.Time
	p := sfn.NewGetExecutionHistoryPaginator(b.sfn, &sfn.GetExecutionHistoryInput{ExecutionArn: &arn, MaxResults: 1000})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, ev := range page.Events {
			ts := aws.ToTime(ev.Timestamp)
			typ := string(ev.Type)
			switch {
			case ev.Type == sfntypes.HistoryEventTypeExecutionStarted:
				h.started = ts
				h.sent, h.received = sqsTimes(aws.ToString(ev.ExecutionStartedEventDetails.Input))
			case ev.Type == sfntypes.HistoryEventTypeExecutionSucceeded:
				h.stopped = ts
			case ev.StateEnteredEventDetails != nil:
				state = aws.ToString(ev.StateEnteredEventDetails.Name)
			case strings.HasSuffix(typ, "Scheduled"):
				scheduled = ts
			case strings.HasSuffix(typ, "Succeeded") && !scheduled.IsZero():
				h.calls[state] += ms(ts.Sub(scheduled))
				scheduled = time.Time{}
			}
		}
	}
	return h, nil
}

// sqsTimes reads SentTimestamp and ApproximateFirstReceiveTimestamp from the first SQS record of
// a pipe's input.
func sqsTimes(input string) (sent, received time.Time) {
	var records []struct {
		Attributes map[string]string `json:"attributes"`
	}
	if json.Unmarshal([]byte(input), &records) != nil || len(records) == 0 {
		return
	}
	msec := func(k string) time.Time {
		n, _ := strconv.ParseInt(records[0].Attributes[k], 10, 64)
		return time.UnixMilli(n)
	}
	return msec("SentTimestamp"), msec("ApproximateFirstReceiveTimestamp")
}

var reportDuration = regexp.MustCompile(`\tDuration: ([0-9.]+) ms`)

// reportDurations reads the REPORT lines' Duration from a function's log group.
func (b *bench) reportDurations(ctx context.Context, group string, from, to time.Time) ([]float64, error) {
	var xs []float64
	p := cloudwatchlogs.NewFilterLogEventsPaginator(b.logs, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: &group,
		FilterPattern: aws.String("REPORT"), StartTime: aws.Int64(from.UnixMilli()), EndTime: aws.Int64(to.UnixMilli())})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("REPORT lines of %s: %w", group, err)
		}
		for _, e := range page.Events {
			if m := reportDuration.FindStringSubmatch(aws.ToString(e.Message)); m != nil {
				v, _ := strconv.ParseFloat(m[1], 64)
				xs = append(xs, v)
			}
		}
	}
	return xs, nil
}

// listed reports whether every run's execution is in arns.
func listed(arns map[string]string, runs []*run) bool {
	for _, r := range runs {
		if _, ok := arns[r.execution]; !ok {
			return false
		}
	}
	return true
}
