package main

import (
	"context"
	"time"

	"github.com/ceap/ceap/examples/ceap/stages/candidates"
	"github.com/ceap/ceap/examples/ceap/stages/stage"
)

// The eligibility rules' reason codes.
const (
	reasonOptedOut         = "OPTED_OUT"
	reasonUnsupportedEvent = "UNSUPPORTED_EVENT_TYPE"
	reasonStaleEvent       = "STALE_EVENT"
	reasonFutureEvent      = "FUTURE_EVENT"
	reasonInvalidTime      = "INVALID_EVENT_TIME"
	reasonDuplicate        = "DUPLICATE"
)

const (
	// maxEventAge is how old an event may be and still make its customer eligible.
	maxEventAge = 180 * 24 * time.Hour
	// maxClockSkew is how far in the future an event time may be before it is rejected.
	maxClockSkew = 24 * time.Hour
)

// eligibleEvent reports whether a program engages customers about an event type.
func eligibleEvent(eventType string) bool {
	switch eventType {
	case "purchase", "view", "review", "wishlist", "add_to_cart":
		return true
	}
	return false
}

// run is Filter's work under the stage contract.
func run(_ context.Context, in *stage.Input) (stage.Output, error) {
	prev, err := candidates.Decode(in.Data)
	if err != nil {
		return stage.Output{}, &stage.InvalidJSON{What: "previous stage output", Err: err}
	}
	out := filter(prev, in.ExecutionID, in.CurrentStage, in.Now)
	return stage.Output{Document: out, Records: len(prev.Candidates)}, nil
}

// filter keeps the eligible candidates of a batch, in order, as of now.
func filter(prev *candidates.Batch, executionID, stageName string, now time.Time) *candidates.Batch {
	out := prev.Next(executionID, stageName)
	out.Counts = map[string]int{"processed": len(prev.Candidates), "eligible": 0, "rejected": 0}
	seen := map[[2]string]bool{}
	for i, c := range prev.Candidates {
		reason, detail := check(c, now, seen)
		if reason != "" {
			out.Counts["rejected"]++
			out.Rejections = append(out.Rejections, candidates.Rejection{
				Index: i, CustomerID: c.CustomerID, SubjectID: c.SubjectID, Reason: reason, Detail: detail,
			})
			continue
		}
		seen[[2]string{c.CustomerID, c.SubjectID}] = true
		out.Counts["eligible"]++
		out.Candidates = append(out.Candidates, c)
	}
	out.RecordCount = len(out.Candidates)
	return out
}

// check returns the reason a candidate is not eligible, or "".
func check(c candidates.Candidate, now time.Time, seen map[[2]string]bool) (string, string) {
	if c.OptedOut {
		return reasonOptedOut, "customer opted out of engagement"
	}
	if !eligibleEvent(c.EventType) {
		return reasonUnsupportedEvent, "event type " + c.EventType + " is not engaged on"
	}
	at, err := time.Parse(time.RFC3339, c.EventTime)
	switch {
	case err != nil:
		return reasonInvalidTime, err.Error()
	case now.Sub(at) > maxEventAge:
		return reasonStaleEvent, "event is older than 180 days"
	case at.Sub(now) > maxClockSkew:
		return reasonFutureEvent, "event is more than a day in the future"
	}
	if seen[[2]string{c.CustomerID, c.SubjectID}] {
		return reasonDuplicate, "customer already a candidate for this subject"
	}
	return "", ""
}
