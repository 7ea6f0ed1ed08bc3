package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/ceap/ceap/examples/ceap/stages/candidates"
	"github.com/ceap/ceap/examples/ceap/stages/stage"
	"github.com/ceap/ceap/examples/ceap/stages/stage/stagetest"
)

func newInput(objects stage.Objects, data string) *stage.Input {
	return &stage.Input{
		Payload: stage.Payload{ExecutionID: "run-1", CurrentStage: "StoreTask", PreviousStage: "ScoreTask", WorkflowBucket: "b"},
		Data:    []byte(data),
		Now:     time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC),
		Objects: objects,
		Log:     slog.New(slog.NewJSONHandler(io.Discard, nil)),
	}
}

func TestStoreWritesRankedResults(t *testing.T) {
	t.Parallel()
	objects := stagetest.NewObjects()
	out, err := run(context.Background(), newInput(objects, `{"programId":"P-1","marketplace":"US","failAt":"ReactiveTask","candidates":[
		{"customerId":"low","score":0.2},{"customerId":"none"},{"customerId":"high","score":0.9},{"customerId":"mid","score":0.5}]}`))
	if err != nil || out.Records != 4 {
		t.Fatalf("run = %+v, %v", out, err)
	}
	obj, ok := objects.Object("b", "results/P-1/run-1.json")
	if !ok || obj.ContentType != "application/json" {
		t.Fatalf("results not written as JSON: %+v", obj)
	}
	var res Results
	if err := json.Unmarshal(obj.Body, &res); err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, c := range res.Candidates {
		order = append(order, c.CustomerID)
	}
	if len(order) != 4 || order[0] != "high" || order[1] != "mid" || order[2] != "low" || order[3] != "none" {
		t.Fatalf("results order %v", order)
	}
	if res.ProgramID != "P-1" || res.ExecutionID != "run-1" || res.StoredAt != "2026-03-01T08:00:00Z" || res.Count != 4 {
		t.Fatalf("results header %+v", res)
	}
	doc := out.Document.(*candidates.Batch)
	if doc.ResultsKey != "results/P-1/run-1.json" || doc.FailAt != "ReactiveTask" || doc.RecordCount != 4 {
		t.Fatalf("output %+v", doc)
	}
}

func TestStoreEmptyRunWritesEmptyResults(t *testing.T) {
	t.Parallel()
	objects := stagetest.NewObjects()
	out, err := run(context.Background(), newInput(objects, `{"candidates":[]}`))
	if err != nil || out.Records != 0 {
		t.Fatalf("run = %+v, %v", out, err)
	}
	obj, ok := objects.Object("b", "results/unassigned/run-1.json")
	if !ok {
		t.Fatal("no results for a run without a program")
	}
	var res map[string]any
	if err := json.Unmarshal(obj.Body, &res); err != nil || res["candidates"] == nil {
		t.Fatalf("results %s: candidates must be [] not null", obj.Body)
	}
}

func TestStoreResultsFailureIsStorageError(t *testing.T) {
	t.Parallel()
	objects := stagetest.NewObjects()
	objects.Fail = errors.New("503 SlowDown")
	_, err := run(context.Background(), newInput(objects, `{"programId":"P","candidates":[]}`))
	var storage *stage.StorageError
	if !errors.As(err, &storage) || storage.Key != "results/P/run-1.json" {
		t.Fatalf("err = %v, want StorageError for the results key", err)
	}
}
