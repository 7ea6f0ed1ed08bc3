package stage_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ceap/ceap/examples/ceap/stages/stage"
	"github.com/ceap/ceap/examples/ceap/stages/stage/stagetest"
)

const bucket = "ceap-workflow-test-123456789"

type harness struct {
	objects *stagetest.Objects
	logs    *syncBuffer
	runner  *stage.Runner
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func setup(t *testing.T) *harness {
	t.Helper()
	h := &harness{objects: stagetest.NewObjects(), logs: &syncBuffer{}}
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	h.runner = &stage.Runner{
		Objects: h.objects,
		Log:     slog.New(slog.NewJSONHandler(h.logs, nil)),
		Now:     func() time.Time { clock = clock.Add(25 * time.Millisecond); return clock },
	}
	return h
}

// echo is a stage that counts the keys of its input and writes them back.
func echo(calls *int) stage.Func {
	return func(_ context.Context, in *stage.Input) (stage.Output, error) {
		*calls++
		var m map[string]any
		if err := json.Unmarshal(in.Data, &m); err != nil {
			return stage.Output{}, err
		}
		return stage.Output{Document: map[string]any{"seen": m, "stage": in.CurrentStage}, Records: len(m)}, nil
	}
}

func (h *harness) output(t *testing.T, id, st string) map[string]any {
	t.Helper()
	obj, ok := h.objects.Object(bucket, stage.OutputKey(id, st))
	if !ok {
		t.Fatalf("no output for %s/%s", id, st)
	}
	if obj.ContentType != "application/json" {
		t.Fatalf("content type %q, want application/json", obj.ContentType)
	}
	var m map[string]any
	if err := json.Unmarshal(obj.Body, &m); err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	return m
}

func TestFirstStageReadsPlainMessage(t *testing.T) {
	t.Parallel()
	h := setup(t)
	calls := 0
	res, err := h.runner.Run(context.Background(), stage.Payload{
		ExecutionID: "run-1", CurrentStage: "ETLTask", WorkflowBucket: bucket,
		InitialData: json.RawMessage(`{"programId":"p1","candidates":[]}`),
	}, echo(&calls))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res != (stage.Result{Status: "SUCCESS", Stage: "ETLTask", RecordsProcessed: 2}) {
		t.Fatalf("result %+v", res)
	}
	out := h.output(t, "run-1", "ETLTask")
	if out["seen"].(map[string]any)["programId"] != "p1" {
		t.Fatalf("output %v does not carry the message", out)
	}
	if stage.OutputKey("run-1", "ETLTask") != "executions/run-1/ETLTask/output.json" {
		t.Fatalf("output key %q", stage.OutputKey("run-1", "ETLTask"))
	}
}

func TestFirstStageReadsPipeRecords(t *testing.T) {
	t.Parallel()
	h := setup(t)
	calls := 0
	records := `[{"messageId":"m1","receiptHandle":"r","body":"{\"programId\":\"p9\"}","attributes":{},
		"eventSource":"aws:sqs"},{"messageId":"m2","body":"{\"programId\":\"ignored\"}"}]`
	if _, err := h.runner.Run(context.Background(), stage.Payload{
		ExecutionID: "run-2", CurrentStage: "ETLTask", WorkflowBucket: bucket, InitialData: json.RawMessage(records),
	}, echo(&calls)); err != nil {
		t.Fatalf("Run: %v", err)
	}
	seen := h.output(t, "run-2", "ETLTask")["seen"].(map[string]any)
	if seen["programId"] != "p9" || len(seen) != 1 {
		t.Fatalf("stage saw %v, want the first record's body", seen)
	}
}

func TestMessage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in, want string
		invalid        bool
	}{
		{name: "null", in: `null`, want: `{}`},
		{name: "absent", in: ``, want: `{}`},
		{name: "object", in: `{"a":1}`, want: `{"a":1}`},
		{name: "no records", in: `[]`, want: `{}`},
		{name: "empty body", in: `[{"messageId":"m","body":""}]`, want: `{}`},
		{name: "record", in: `[{"messageId":"m","body":" {\"a\":[1]} "}]`, want: `{"a":[1]}`},
		{name: "body not JSON", in: `[{"messageId":"m","body":"hello"}]`, invalid: true},
		{name: "record without body", in: `[{"messageId":"m"}]`, invalid: true},
		{name: "records not objects", in: `[1,2]`, invalid: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := stage.Message(json.RawMessage(tc.in))
			if tc.invalid {
				var invalid *stage.InvalidJSON
				if !errors.As(err, &invalid) {
					t.Fatalf("Message(%s) = %s, %v; want InvalidJSON", tc.in, got, err)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Fatalf("Message(%s) = %s, %v; want %s", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestLaterStageReadsPreviousOutput(t *testing.T) {
	t.Parallel()
	h := setup(t)
	ctx := context.Background()
	if err := h.objects.Put(ctx, bucket, "executions/run-3/FilterTask/output.json", []byte(`{"x":1,"y":2,"z":3}`), "application/json"); err != nil {
		t.Fatal(err)
	}
	calls := 0
	res, err := h.runner.Run(ctx, stage.Payload{
		ExecutionID: "run-3", CurrentStage: "ScoreTask", PreviousStage: "FilterTask", WorkflowBucket: bucket,
	}, echo(&calls))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.RecordsProcessed != 3 || h.output(t, "run-3", "ScoreTask")["seen"].(map[string]any)["z"] != 3.0 {
		t.Fatalf("stage did not work on the previous output: %+v", res)
	}
}

func TestMissingInputIsPermanentNoSuchKey(t *testing.T) {
	t.Parallel()
	h := setup(t)
	calls := 0
	handler := h.runner.Handler(echo(&calls))
	_, err := handler(context.Background(), stage.Payload{
		ExecutionID: "run-4", CurrentStage: "ScoreTask", PreviousStage: "FilterTask", WorkflowBucket: bucket,
	})
	var missing *stage.NoSuchKey
	if !errors.As(err, &missing) || missing.Key != "executions/run-4/FilterTask/output.json" {
		t.Fatalf("err = %v, want NoSuchKey for the previous output", err)
	}
	if errorTypeName(err) != "NoSuchKey" || calls != 0 || h.objects.Len() != 0 {
		t.Fatalf("error type %q, calls %d, objects %d", errorTypeName(err), calls, h.objects.Len())
	}
}

// errorTypeName is how aws-lambda-go names an error in its errorType field.
func errorTypeName(err error) string {
	ty := reflect.TypeOf(err)
	if ty.Kind() == reflect.Pointer {
		return ty.Elem().Name()
	}
	return ty.Name()
}

func TestFailAtRaisesInjectedFailureOnEveryAttempt(t *testing.T) {
	t.Parallel()
	h := setup(t)
	ctx := context.Background()
	calls := 0
	handler := h.runner.Handler(echo(&calls))
	first := stage.Payload{ExecutionID: "run-5", CurrentStage: "ETLTask", WorkflowBucket: bucket,
		InitialData: json.RawMessage(`{"failAt":"FilterTask","candidates":[]}`)}
	if _, err := handler(ctx, first); err != nil {
		t.Fatalf("ETLTask is not the failing stage: %v", err)
	}
	// The stages here echo their input, so the failAt reaches FilterTask through S3.
	second := stage.Payload{ExecutionID: "run-5", CurrentStage: "FilterTask", PreviousStage: "ETLTask", WorkflowBucket: bucket}
	if err := h.objects.Put(ctx, bucket, stage.OutputKey("run-5", "ETLTask"), []byte(`{"failAt":"FilterTask"}`), "application/json"); err != nil {
		t.Fatal(err)
	}
	for attempt := 1; attempt <= 3; attempt++ {
		_, err := handler(ctx, second)
		var injected *stage.InjectedFailure
		if !errors.As(err, &injected) || errorTypeName(err) != "InjectedFailure" || stage.ErrorType(err) != "InjectedFailure" {
			t.Fatalf("attempt %d: err = %v (%s), want InjectedFailure", attempt, err, errorTypeName(err))
		}
	}
	if _, ok := h.objects.Object(bucket, stage.OutputKey("run-5", "FilterTask")); ok {
		t.Fatal("a failed stage wrote its output")
	}
	if calls != 1 {
		t.Fatalf("work ran %d times, want 1 (only ETLTask)", calls)
	}
}

func TestTestModeWritesInputWithoutWork(t *testing.T) {
	t.Parallel()
	h := setup(t)
	calls := 0
	res, err := h.runner.Run(context.Background(), stage.Payload{
		ExecutionID: "run-6", CurrentStage: "ETLTask", WorkflowBucket: bucket,
		InitialData: json.RawMessage(`{"test":true,"data":"end-to-end-test"}`),
	}, echo(&calls))
	if err != nil || calls != 0 || res.RecordsProcessed != 0 {
		t.Fatalf("Run = %+v, %v, calls %d", res, err, calls)
	}
	out := h.output(t, "run-6", "ETLTask")
	input, _ := out["input"].(map[string]any)
	if out["stage"] != "ETLTask" || out["status"] != "success" || out["test"] != true || input["data"] != "end-to-end-test" {
		t.Fatalf("test output %v", out)
	}
	// The next stage sees test: true in the previous output and stays in test mode.
	if _, err := h.runner.Run(context.Background(), stage.Payload{
		ExecutionID: "run-6", CurrentStage: "FilterTask", PreviousStage: "ETLTask", WorkflowBucket: bucket,
	}, echo(&calls)); err != nil || calls != 0 {
		t.Fatalf("second stage: %v, calls %d", err, calls)
	}
	if next := h.output(t, "run-6", "FilterTask"); next["test"] != true || next["input"].(map[string]any)["stage"] != "ETLTask" {
		t.Fatalf("second test output %v", next)
	}
}

func TestStorageFailureIsTransient(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.objects.Fail = errors.New("503 SlowDown")
	calls := 0
	_, err := h.runner.Handler(echo(&calls))(context.Background(), stage.Payload{
		ExecutionID: "run-7", CurrentStage: "ETLTask", WorkflowBucket: bucket, InitialData: json.RawMessage(`{}`),
	})
	var storage *stage.StorageError
	if !errors.As(err, &storage) || storage.Op != "put" || errorTypeName(err) != "StorageError" {
		t.Fatalf("err = %v, want StorageError on put", err)
	}
}

func TestInvalidPayload(t *testing.T) {
	t.Parallel()
	h := setup(t)
	calls := 0
	_, err := h.runner.Handler(echo(&calls))(context.Background(), stage.Payload{CurrentStage: "ETLTask", WorkflowBucket: bucket})
	var invalid *stage.InvalidPayload
	if !errors.As(err, &invalid) || invalid.Field != "executionId" {
		t.Fatalf("err = %v, want InvalidPayload for executionId", err)
	}
}

func TestWorkErrorsBecomeStageError(t *testing.T) {
	t.Parallel()
	h := setup(t)
	_, err := h.runner.Handler(func(context.Context, *stage.Input) (stage.Output, error) {
		return stage.Output{}, errors.New("model unavailable")
	})(context.Background(), stage.Payload{ExecutionID: "run-8", CurrentStage: "ETLTask", WorkflowBucket: bucket})
	if errorTypeName(err) != "StageError" || err.Error() != "model unavailable" {
		t.Fatalf("err = %v (%s), want StageError", err, errorTypeName(err))
	}
}

func TestLogLines(t *testing.T) {
	t.Parallel()
	h := setup(t)
	calls := 0
	if _, err := h.runner.Run(context.Background(), stage.Payload{
		ExecutionID: "run-9", CurrentStage: "ETLTask", WorkflowBucket: bucket, InitialData: json.RawMessage(`{"a":1}`),
	}, echo(&calls)); err != nil {
		t.Fatal(err)
	}
	_, _ = h.runner.Run(context.Background(), stage.Payload{
		ExecutionID: "run-9", CurrentStage: "ScoreTask", PreviousStage: "FilterTask", WorkflowBucket: bucket,
	}, echo(&calls))

	lines := h.logs.lines(t)
	byStatus := map[string]map[string]any{}
	var written map[string]any
	for _, l := range lines {
		if l["executionId"] != "run-9" || l["stage"] == nil {
			t.Fatalf("log line without executionId and stage: %v", l)
		}
		if s, ok := l["status"].(string); ok {
			byStatus[s] = l
		}
		if l["msg"] == "stage output written" {
			written = l
		}
	}
	if ok := byStatus["SUCCEEDED"]; ok == nil || ok["duration"] == nil || ok["recordsProcessed"] != 1.0 {
		t.Fatalf("success line %v", ok)
	}
	if written["outputKey"] != "executions/run-9/ETLTask/output.json" || written["outputSize"] == nil || written["recordCount"] != 1.0 {
		t.Fatalf("output line %v", written)
	}
	failed := byStatus["FAILED"]
	if failed == nil || failed["stage"] != "ScoreTask" || failed["errorType"] != "NoSuchKey" || failed["duration"] == nil {
		t.Fatalf("failure line %v", failed)
	}
	if byStatus["STARTED"] == nil {
		t.Fatal("no start line")
	}
}
