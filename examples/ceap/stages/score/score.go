package main

import (
	"context"
	"math"
	"time"

	"github.com/ceap/ceap/examples/ceap/stages/candidates"
	"github.com/ceap/ceap/examples/ceap/stages/stage"
)

const (
	// fallbackScore is the score of a candidate the model cannot score.
	fallbackScore = 0.1
	// requiredFeature is the feature the model cannot do without.
	requiredFeature = "engagement"
	sourceModel     = "model"
	sourceFallback  = "fallback"
)

// run is Score's work under the stage contract.
func run(_ context.Context, in *stage.Input) (stage.Output, error) {
	prev, err := candidates.Decode(in.Data)
	if err != nil {
		return stage.Output{}, &stage.InvalidJSON{What: "previous stage output", Err: err}
	}
	out := score(prev, in.ExecutionID, in.CurrentStage, in.Now)
	return stage.Output{Document: out, Records: len(out.Candidates)}, nil
}

// score scores every candidate of a batch as of now.
func score(prev *candidates.Batch, executionID, stageName string, now time.Time) *candidates.Batch {
	out := prev.Next(executionID, stageName)
	out.Counts = map[string]int{"processed": len(prev.Candidates), "scored": 0, "fallback": 0}
	for _, c := range prev.Candidates {
		s, ok := model(c, now)
		if ok {
			c.ScoreSource = sourceModel
			out.Counts["scored"]++
		} else {
			s = fallbackScore
			c.ScoreSource = sourceFallback
			out.Counts["fallback"]++
		}
		c.Score = &s
		out.Candidates = append(out.Candidates, c)
	}
	out.RecordCount = len(out.Candidates)
	return out
}

// eventWeight is how much an event type says about a customer's interest.
func eventWeight(eventType string) float64 {
	switch eventType {
	case "purchase":
		return 1.0
	case "review":
		return 0.6
	case "add_to_cart":
		return 0.5
	case "wishlist":
		return 0.4
	case "view":
		return 0.2
	}
	return 0
}

// model is a logistic score over the event's type and age and the customer's engagement and
// purchase count. It reports false when the candidate lacks what it needs.
func model(c candidates.Candidate, now time.Time) (float64, bool) {
	engagement, ok := c.Features[requiredFeature]
	if !ok || math.IsNaN(engagement) || math.IsInf(engagement, 0) {
		return 0, false
	}
	at, err := time.Parse(time.RFC3339, c.EventTime)
	if err != nil {
		return 0, false
	}
	ageDays := math.Max(0, now.Sub(at).Hours()/24)
	purchases := math.Max(0, c.Features["purchases"])
	z := -1.0 + eventWeight(c.EventType) + 2.0*engagement + 0.3*math.Log1p(purchases) - ageDays/90
	s := 1 / (1 + math.Exp(-z))
	return math.Round(s*10000) / 10000, true
}
