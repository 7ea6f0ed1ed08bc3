package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ceap/ceap/examples/ceap/stages/candidates"
	"github.com/ceap/ceap/examples/ceap/stages/stage"
)

func TestFilterAppliesEligibilityRules(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	prev := &candidates.Batch{ProgramID: "P", Marketplace: "US", FailAt: "ScoreTask", Candidates: []candidates.Candidate{
		{CustomerID: "c1", SubjectID: "s1", EventType: "purchase", EventTime: "2026-02-20T00:00:00Z"},
		{CustomerID: "c2", SubjectID: "s1", EventType: "purchase", EventTime: "2026-02-20T00:00:00Z", OptedOut: true},
		{CustomerID: "c3", SubjectID: "s1", EventType: "return", EventTime: "2026-02-20T00:00:00Z"},
		{CustomerID: "c4", SubjectID: "s1", EventType: "view", EventTime: "2025-01-01T00:00:00Z"},
		{CustomerID: "c5", SubjectID: "s1", EventType: "view", EventTime: "2026-03-05T00:00:00Z"},
		{CustomerID: "c1", SubjectID: "s1", EventType: "review", EventTime: "2026-02-21T00:00:00Z"},
		{CustomerID: "c1", SubjectID: "s2", EventType: "review", EventTime: "2026-02-21T00:00:00Z"},
		{CustomerID: "c6", SubjectID: "s1", EventType: "view", EventTime: "soon"},
	}}
	out := filter(prev, "run-1", "FilterTask", now)
	if out.ProgramID != "P" || out.FailAt != "ScoreTask" || out.Stage != "FilterTask" || out.ExecutionID != "run-1" {
		t.Fatalf("header %+v", out)
	}
	if len(out.Candidates) != 2 || out.Candidates[0].CustomerID != "c1" || out.Candidates[1].SubjectID != "s2" {
		t.Fatalf("kept %+v", out.Candidates)
	}
	want := []struct {
		index  int
		reason string
	}{{1, "OPTED_OUT"}, {2, "UNSUPPORTED_EVENT_TYPE"}, {3, "STALE_EVENT"}, {4, "FUTURE_EVENT"}, {5, "DUPLICATE"}, {7, "INVALID_EVENT_TIME"}}
	if len(out.Rejections) != len(want) {
		t.Fatalf("rejections %+v", out.Rejections)
	}
	for i, w := range want {
		if r := out.Rejections[i]; r.Index != w.index || r.Reason != w.reason || r.Detail == "" {
			t.Fatalf("rejection %d = %+v, want index %d %s", i, r, w.index, w.reason)
		}
	}
	if out.Counts["processed"] != 8 || out.Counts["eligible"] != 2 || out.Counts["rejected"] != 6 || out.RecordCount != 2 {
		t.Fatalf("counts %v", out.Counts)
	}
}

func TestFilterRunReadsPreviousBatch(t *testing.T) {
	t.Parallel()
	in := &stage.Input{Payload: stage.Payload{ExecutionID: "run-2", CurrentStage: "FilterTask"},
		Data: []byte(`{"programId":"P","candidates":[{"customerId":"c","subjectId":"s","eventType":"view","eventTime":"2026-02-28T00:00:00Z"}]}`),
		Now:  time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
	out, err := run(context.Background(), in)
	if err != nil || out.Records != 1 || len(out.Document.(*candidates.Batch).Candidates) != 1 {
		t.Fatalf("run = %+v, %v", out, err)
	}
	in.Data = []byte(`{"candidates":{}}`)
	_, err = run(context.Background(), in)
	var invalid *stage.InvalidJSON
	if !errors.As(err, &invalid) {
		t.Fatalf("err = %v, want InvalidJSON", err)
	}
}
