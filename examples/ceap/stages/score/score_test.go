package main

import (
	"context"
	"testing"
	"time"

	"github.com/ceap/ceap/examples/ceap/stages/candidates"
	"github.com/ceap/ceap/examples/ceap/stages/stage"
)

func TestScoreUsesModelOrFallback(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	prev := &candidates.Batch{ProgramID: "P", Candidates: []candidates.Candidate{
		{CustomerID: "buyer", EventType: "purchase", EventTime: "2026-03-01T00:00:00Z", Features: map[string]float64{"engagement": 0.9, "purchases": 4}},
		{CustomerID: "viewer", EventType: "view", EventTime: "2026-03-01T00:00:00Z", Features: map[string]float64{"engagement": 0.9, "purchases": 4}},
		{CustomerID: "old", EventType: "purchase", EventTime: "2025-12-01T00:00:00Z", Features: map[string]float64{"engagement": 0.9, "purchases": 4}},
		{CustomerID: "unknown", EventType: "view", EventTime: "2026-03-01T00:00:00Z"},
	}}
	out := score(prev, "run-1", "ScoreTask", now)
	if len(out.Candidates) != 4 || out.Counts["scored"] != 3 || out.Counts["fallback"] != 1 {
		t.Fatalf("out %+v counts %v", out.Candidates, out.Counts)
	}
	buyer, viewer, old, unknown := out.Candidates[0], out.Candidates[1], out.Candidates[2], out.Candidates[3]
	// z = -1 + 1 + 1.8 + 0.3*ln(5) = 2.2828; sigmoid = 0.90743
	if *buyer.Score != 0.9074 || buyer.ScoreSource != "model" {
		t.Fatalf("buyer scored %v (%s)", *buyer.Score, buyer.ScoreSource)
	}
	if !(*viewer.Score < *buyer.Score) || !(*old.Score < *buyer.Score) {
		t.Fatalf("a view or an old event must score below a fresh purchase: %v %v %v", *buyer.Score, *viewer.Score, *old.Score)
	}
	if *unknown.Score != 0.1 || unknown.ScoreSource != "fallback" {
		t.Fatalf("unscorable candidate got %v (%s)", *unknown.Score, unknown.ScoreSource)
	}
	for _, c := range out.Candidates {
		if *c.Score < 0 || *c.Score > 1 {
			t.Fatalf("score %v outside [0, 1]", *c.Score)
		}
	}
	if prev.Candidates[0].Score != nil {
		t.Fatal("score changed its input")
	}
}

func TestScoreRun(t *testing.T) {
	t.Parallel()
	out, err := run(context.Background(), &stage.Input{
		Payload: stage.Payload{ExecutionID: "run-2", CurrentStage: "ScoreTask"},
		Data:    []byte(`{"programId":"P","candidates":[{"customerId":"c","eventType":"view","eventTime":"2026-02-28T00:00:00Z","processing":{"jobRunId":"jr_1"}}]}`),
		Now:     time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
	})
	if err != nil || out.Records != 1 {
		t.Fatalf("run = %+v, %v", out, err)
	}
	c := out.Document.(*candidates.Batch).Candidates[0]
	if string(c.Processing) != `{"jobRunId":"jr_1"}` || c.ScoreSource != "fallback" {
		t.Fatalf("candidate %+v lost the batch job's metadata or was scored without features", c)
	}
}
