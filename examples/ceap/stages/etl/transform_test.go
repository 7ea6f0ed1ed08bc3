package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/ceap/ceap/examples/ceap/stages/candidates"
	"github.com/ceap/ceap/examples/ceap/stages/stage"
	"github.com/ceap/ceap/examples/ceap/stages/stage/stagetest"
)

func TestTransformNormalisesAndCounts(t *testing.T) {
	t.Parallel()
	msg := `{"programId":" P-42 ","marketplace":"us","failAt":"StoreTask","candidates":[
		{"customerId":"C1","subjectId":"S1","eventType":"purchase","eventTime":"2026-02-01T10:00:00Z","features":{"engagement":0.8}},
		{"customerId":" C2 ","subjectId":1234,"eventType":" VIEW ","eventTime":"2026-02-02","optedOut":"true","features":{"engagement":"0.5","tier":"gold"}},
		{"customerId":"C3","subjectId":"S3","eventTime":1767225600000},
		{"subjectId":"S4","eventTime":"2026-02-01"},
		{"customerId":"C5","eventTime":"2026-02-01"},
		{"customerId":"C6","subjectId":"S6","eventTime":"yesterday"},
		{"customerId":true,"subjectId":"S7","eventTime":"2026-02-01"},
		"not a record"
	]}`
	b, err := transform("run-1", "ETLTask", []byte(msg))
	if err != nil {
		t.Fatalf("transform: %v", err)
	}
	if b.ProgramID != "P-42" || b.Marketplace != "US" || b.FailAt != "StoreTask" || b.ExecutionID != "run-1" || b.Stage != "ETLTask" {
		t.Fatalf("batch header %+v", b)
	}
	wantCounts := map[string]int{"processed": 8, "transformed": 2, "rejected": 5}
	for k, v := range wantCounts {
		if b.Counts[k] != v {
			t.Fatalf("counts %v, want %v", b.Counts, wantCounts)
		}
	}
	if len(b.Candidates) != 3 || b.RecordCount != 3 {
		t.Fatalf("candidates %+v", b.Candidates)
	}
	c2 := b.Candidates[1]
	if c2.CustomerID != "C2" || c2.SubjectID != "1234" || c2.EventType != "view" || c2.EventTime != "2026-02-02T00:00:00Z" ||
		!c2.OptedOut || c2.Features["engagement"] != 0.5 || len(c2.Features) != 1 {
		t.Fatalf("normalised candidate %+v", c2)
	}
	if c3 := b.Candidates[2]; c3.EventType != "unknown" || c3.EventTime != "2026-01-01T00:00:00Z" {
		t.Fatalf("candidate with epoch time %+v", c3)
	}
	var reasons []string
	for _, r := range b.Rejections {
		reasons = append(reasons, r.Reason)
	}
	want := []string{"MISSING_CUSTOMER_ID", "MISSING_SUBJECT_ID", "INVALID_EVENT_TIME", "INVALID_FIELD", "NOT_AN_OBJECT"}
	if len(reasons) != len(want) {
		t.Fatalf("rejections %v, want %v", reasons, want)
	}
	for i := range want {
		if reasons[i] != want[i] {
			t.Fatalf("rejections %v, want %v", reasons, want)
		}
	}
	if b.Rejections[2].Index != 5 || b.Rejections[2].CustomerID != "C6" {
		t.Fatalf("rejection %+v does not name its record", b.Rejections[2])
	}
}

func TestTransformEmptyMessage(t *testing.T) {
	t.Parallel()
	b, err := transform("run-2", "ETLTask", []byte(`{}`))
	if err != nil {
		t.Fatalf("transform: %v", err)
	}
	if b.RecordCount != 0 || b.Counts["processed"] != 0 || b.Candidates == nil {
		t.Fatalf("empty message gave %+v", b)
	}
	out, _ := json.Marshal(b)
	var back candidates.Batch
	if err := json.Unmarshal(out, &back); err != nil || back.Candidates == nil {
		t.Fatalf("candidates must encode as [] not null: %s", out)
	}
}

func TestTransformRejectsNonObjectMessage(t *testing.T) {
	t.Parallel()
	for _, msg := range []string{`[1,2]`, `"text"`, `{"candidates":"many"}`} {
		_, err := transform("run-3", "ETLTask", []byte(msg))
		var invalid *stage.InvalidJSON
		if !errors.As(err, &invalid) {
			t.Fatalf("transform(%s) err = %v, want InvalidJSON", msg, err)
		}
	}
}

func TestETLUnderTheContract(t *testing.T) {
	t.Parallel()
	objects := stagetest.NewObjects()
	r := &stage.Runner{Objects: objects, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	res, err := r.Run(context.Background(), stage.Payload{
		ExecutionID: "run-4", CurrentStage: "ETLTask", WorkflowBucket: "b",
		InitialData: json.RawMessage(`[{"messageId":"m","body":"{\"programId\":\"p\",\"candidates\":[{\"customerId\":\"c\",\"subjectId\":\"s\",\"eventTime\":\"2026-01-01\"}]}"}]`),
	}, run)
	if err != nil || res.RecordsProcessed != 1 {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	obj, ok := objects.Object("b", "executions/run-4/ETLTask/output.json")
	if !ok {
		t.Fatal("no output")
	}
	b, err := candidates.Decode(obj.Body)
	if err != nil || len(b.Candidates) != 1 || b.Candidates[0].EventTime != "2026-01-01T00:00:00Z" {
		t.Fatalf("output %s, %v", obj.Body, err)
	}
}
