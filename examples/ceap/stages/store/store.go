package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/ceap/ceap/examples/ceap/stages/candidates"
	"github.com/ceap/ceap/examples/ceap/stages/stage"
)

// unassignedProgram is the results folder of a run whose message named no program.
const unassignedProgram = "unassigned"

// Results is what Store writes for consumers.
type Results struct {
	ProgramID   string                 `json:"programId"`
	Marketplace string                 `json:"marketplace"`
	ExecutionID string                 `json:"executionId"`
	StoredAt    string                 `json:"storedAt"`
	Count       int                    `json:"count"`
	Candidates  []candidates.Candidate `json:"candidates"`
}

// ResultsKey is where the results of a run of a program are written.
func ResultsKey(programID, executionID string) string {
	if programID == "" {
		programID = unassignedProgram
	}
	return "results/" + programID + "/" + executionID + ".json"
}

// run is Store's work under the stage contract.
func run(ctx context.Context, in *stage.Input) (stage.Output, error) {
	prev, err := candidates.Decode(in.Data)
	if err != nil {
		return stage.Output{}, &stage.InvalidJSON{What: "previous stage output", Err: err}
	}
	res, out := store(prev, in.ExecutionID, in.CurrentStage, in.Now)
	body, err := json.Marshal(res)
	if err != nil {
		return stage.Output{}, fmt.Errorf("encode results: %w", err)
	}
	if err := in.Objects.Put(ctx, in.WorkflowBucket, out.ResultsKey, body, stage.ContentType); err != nil {
		return stage.Output{}, &stage.StorageError{Op: "put", Bucket: in.WorkflowBucket, Key: out.ResultsKey, Err: err}
	}
	in.Log.Info("results written", "resultsKey", out.ResultsKey, "resultsSize", len(body), "recordCount", res.Count)
	return stage.Output{Document: out, Records: res.Count}, nil
}

// store builds the results of a batch, best score first, and Store's output document.
func store(prev *candidates.Batch, executionID, stageName string, now time.Time) (*Results, *candidates.Batch) {
	ranked := slices.Clone(prev.Candidates)
	if ranked == nil {
		ranked = []candidates.Candidate{}
	}
	slices.SortStableFunc(ranked, func(a, b candidates.Candidate) int {
		return cmp.Compare(scoreOf(b), scoreOf(a))
	})
	res := &Results{
		ProgramID:   prev.ProgramID,
		Marketplace: prev.Marketplace,
		ExecutionID: executionID,
		StoredAt:    now.UTC().Format(time.RFC3339),
		Count:       len(ranked),
		Candidates:  ranked,
	}
	out := prev.Next(executionID, stageName)
	out.Candidates = ranked
	out.ResultsKey = ResultsKey(prev.ProgramID, executionID)
	out.Counts = map[string]int{"stored": len(ranked)}
	out.RecordCount = len(ranked)
	return res, out
}

func scoreOf(c candidates.Candidate) float64 {
	if c.Score == nil {
		return -1
	}
	return *c.Score
}
