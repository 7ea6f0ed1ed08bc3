package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/ceap/ceap/examples/ceap/stages/candidates"
	"github.com/ceap/ceap/examples/ceap/stages/stage"
)

// The counters ETL reports.
const (
	countProcessed   = "processed"
	countTransformed = "transformed"
	countRejected    = "rejected"
)

// Reason codes of malformed records.
const (
	reasonNotAnObject     = "NOT_AN_OBJECT"
	reasonMissingCustomer = "MISSING_CUSTOMER_ID"
	reasonMissingSubject  = "MISSING_SUBJECT_ID"
	reasonInvalidTime     = "INVALID_EVENT_TIME"
	reasonInvalidField    = "INVALID_FIELD"
)

// message is what ETL reads: the message a producer sent.
type message struct {
	ProgramID   string            `json:"programId"`
	Marketplace string            `json:"marketplace"`
	FailAt      string            `json:"failAt"`
	Candidates  []json.RawMessage `json:"candidates"`
}

// rawCandidate is a candidate as producers send it: ids may be numbers, times may be dates or
// epoch milliseconds, flags may be strings.
type rawCandidate struct {
	CustomerID json.RawMessage            `json:"customerId"`
	SubjectID  json.RawMessage            `json:"subjectId"`
	EventType  json.RawMessage            `json:"eventType"`
	EventTime  json.RawMessage            `json:"eventTime"`
	OptedOut   json.RawMessage            `json:"optedOut"`
	Features   map[string]json.RawMessage `json:"features"`
}

// rejection is why a record is malformed.
type rejection struct {
	reason, detail string
}

func (r *rejection) Error() string { return r.reason + ": " + r.detail }

// transform normalises a message's candidates into ETL's output batch.
func transform(executionID, stageName string, data []byte) (*candidates.Batch, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, &stage.InvalidJSON{What: "message", Err: errors.New("a message must be a JSON object")}
	}
	var msg message
	if err := json.Unmarshal(trimmed, &msg); err != nil {
		return nil, &stage.InvalidJSON{What: "message", Err: err}
	}
	out := (&candidates.Batch{
		ProgramID:   strings.TrimSpace(msg.ProgramID),
		Marketplace: strings.ToUpper(strings.TrimSpace(msg.Marketplace)),
		FailAt:      msg.FailAt,
	}).Next(executionID, stageName)
	out.Counts = map[string]int{countProcessed: 0, countTransformed: 0, countRejected: 0}

	for i, raw := range msg.Candidates {
		out.Counts[countProcessed]++
		c, changed, err := normalise(raw)
		var rej *rejection
		if errors.As(err, &rej) {
			out.Counts[countRejected]++
			out.Rejections = append(out.Rejections, candidates.Rejection{
				Index: i, CustomerID: c.CustomerID, SubjectID: c.SubjectID, Reason: rej.reason, Detail: rej.detail,
			})
			continue
		}
		if changed {
			out.Counts[countTransformed]++
		}
		out.Candidates = append(out.Candidates, c)
	}
	out.RecordCount = len(out.Candidates)
	return out, nil
}

// normalise turns one raw record into a candidate, reporting whether anything had to change.
// The returned candidate carries the ids it could read even when the record is rejected.
func normalise(raw json.RawMessage) (candidates.Candidate, bool, error) {
	var c candidates.Candidate
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return c, false, &rejection{reasonNotAnObject, "record is not a JSON object"}
	}
	var r rawCandidate
	if err := json.Unmarshal(trimmed, &r); err != nil {
		return c, false, &rejection{reasonInvalidField, err.Error()}
	}
	changed := false
	var err error
	var ch bool
	if c.CustomerID, ch, err = identifier(r.CustomerID); err != nil {
		return c, false, &rejection{reasonInvalidField, "customerId: " + err.Error()}
	}
	changed = changed || ch
	if c.SubjectID, ch, err = identifier(r.SubjectID); err != nil {
		return c, false, &rejection{reasonInvalidField, "subjectId: " + err.Error()}
	}
	changed = changed || ch
	if c.CustomerID == "" {
		return c, false, &rejection{reasonMissingCustomer, "customerId is missing or empty"}
	}
	if c.SubjectID == "" {
		return c, false, &rejection{reasonMissingSubject, "subjectId is missing or empty"}
	}
	if c.EventType, ch, err = eventType(r.EventType); err != nil {
		return c, false, &rejection{reasonInvalidField, "eventType: " + err.Error()}
	}
	changed = changed || ch
	if c.EventTime, ch, err = eventTime(r.EventTime); err != nil {
		return c, false, &rejection{reasonInvalidTime, err.Error()}
	}
	changed = changed || ch
	if c.OptedOut, ch, err = flag(r.OptedOut); err != nil {
		return c, false, &rejection{reasonInvalidField, "optedOut: " + err.Error()}
	}
	changed = changed || ch
	c.Features, ch = features(r.Features)
	changed = changed || ch
	return c, changed, nil
}

func isAbsent(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}

// identifier reads an id given as a string or an integer, trimmed.
func identifier(raw json.RawMessage) (string, bool, error) {
	if isAbsent(raw) {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		t := strings.TrimSpace(s)
		return t, t != s, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		if _, err := n.Int64(); err == nil {
			return n.String(), true, nil
		}
	}
	return "", false, errors.New("must be a string or an integer")
}

// eventType reads the event type, lower-cased and trimmed; missing means "unknown".
func eventType(raw json.RawMessage) (string, bool, error) {
	if isAbsent(raw) {
		return "unknown", true, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, errors.New("must be a string")
	}
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "" {
		return "unknown", true, nil
	}
	return t, t != s, nil
}

// eventTime reads RFC 3339 timestamps, plain dates and epoch milliseconds into RFC 3339 UTC.
func eventTime(raw json.RawMessage) (string, bool, error) {
	if isAbsent(raw) {
		return "", false, errors.New("eventTime is missing")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		s = strings.TrimSpace(s)
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
			if t, err := time.Parse(layout, s); err == nil {
				out := t.UTC().Format(time.RFC3339)
				return out, out != s, nil
			}
		}
		return "", false, fmt.Errorf("eventTime %q is not a date or an RFC 3339 time", s)
	}
	var ms float64
	if err := json.Unmarshal(raw, &ms); err == nil && !math.IsInf(ms, 0) && ms >= 0 {
		return time.UnixMilli(int64(ms)).UTC().Format(time.RFC3339), true, nil
	}
	return "", false, errors.New("eventTime must be a string or epoch milliseconds")
}

// flag reads a boolean given as a boolean or as "true"/"false"; missing is false.
func flag(raw json.RawMessage) (bool, bool, error) {
	if isAbsent(raw) {
		return false, false, nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err == nil {
		return b, false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if v, err := strconv.ParseBool(strings.TrimSpace(s)); err == nil {
			return v, true, nil
		}
	}
	return false, false, errors.New("must be a boolean")
}

// features keeps the numeric features (numbers or numeric strings) and drops the rest.
func features(raw map[string]json.RawMessage) (map[string]float64, bool) {
	if len(raw) == 0 {
		return nil, false
	}
	out := make(map[string]float64, len(raw))
	changed := false
	for k, v := range raw {
		var f float64
		if err := json.Unmarshal(v, &f); err == nil {
			out[k] = f
			continue
		}
		changed = true
		var s string
		if err := json.Unmarshal(v, &s); err == nil {
			if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
				out[k] = f
			}
		}
	}
	if len(out) == 0 {
		return nil, changed
	}
	return out, changed
}
