// Package candidates holds the business document the CEAP stages pass to each other through
// S3: a program's candidates (customers to engage about a subject) with what each stage added.
// It owns only the shapes and their decoding; the stages own what they do with them, and
// nothing here talks to S3.
package candidates

import (
	"encoding/json"
	"fmt"
)

// Batch is a stage's output document (and the next stage's input): the run's program, its
// candidates as they stand after the stage, and what the stage counted and rejected.
type Batch struct {
	ExecutionID string `json:"executionId"`
	Stage       string `json:"stage"`
	Status      string `json:"status"`
	// FailAt is the message's failAt, carried forward so that a later stage can see it.
	FailAt      string      `json:"failAt,omitempty"`
	ProgramID   string      `json:"programId"`
	Marketplace string      `json:"marketplace"`
	Candidates  []Candidate `json:"candidates"`
	// Rejections lists what this stage dropped, with reason codes.
	Rejections []Rejection `json:"rejections,omitempty"`
	// Counts are this stage's counters (processed, transformed, rejected, ...).
	Counts map[string]int `json:"counts,omitempty"`
	// ResultsKey is where Store wrote the run's results.
	ResultsKey  string `json:"resultsKey,omitempty"`
	RecordCount int    `json:"recordCount"`
}

// Candidate is one customer to engage about one subject, after normalisation.
type Candidate struct {
	CustomerID string `json:"customerId"`
	SubjectID  string `json:"subjectId"`
	EventType  string `json:"eventType"`
	// EventTime is RFC 3339 in UTC.
	EventTime string             `json:"eventTime"`
	OptedOut  bool               `json:"optedOut,omitempty"`
	Features  map[string]float64 `json:"features,omitempty"`
	// Processing is the metadata the HeavyETL batch job adds; stages pass it through.
	Processing json.RawMessage `json:"processing,omitempty"`
	Score      *float64        `json:"score,omitempty"`
	// ScoreSource is "model", or "fallback" for a candidate that could not be scored.
	ScoreSource string `json:"scoreSource,omitempty"`
}

// Rejection records a record a stage dropped and why.
type Rejection struct {
	// Index is the record's position in the stage's input.
	Index      int    `json:"index"`
	CustomerID string `json:"customerId,omitempty"`
	SubjectID  string `json:"subjectId,omitempty"`
	Reason     string `json:"reason"`
	Detail     string `json:"detail,omitempty"`
}

// StatusSuccess is the status of a written document.
const StatusSuccess = "success"

// Decode reads a Batch from a previous stage's output.
func Decode(data []byte) (*Batch, error) {
	var b Batch
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("decode candidate batch: %w", err)
	}
	return &b, nil
}

// Next starts the output Batch of a stage from its input: same run, program and failAt.
func (b *Batch) Next(executionID, stage string) *Batch {
	return &Batch{
		ExecutionID: executionID,
		Stage:       stage,
		Status:      StatusSuccess,
		FailAt:      b.FailAt,
		ProgramID:   b.ProgramID,
		Marketplace: b.Marketplace,
		Candidates:  []Candidate{},
	}
}
