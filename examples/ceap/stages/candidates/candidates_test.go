package candidates

import (
	"encoding/json"
	"testing"
)

func TestNextCarriesRunAndProgram(t *testing.T) {
	t.Parallel()
	prev, err := Decode([]byte(`{"executionId":"old","stage":"FilterTask","failAt":"StoreTask","programId":"P","marketplace":"US",
		"candidates":[{"customerId":"c","processing":{"jobRunId":"jr_1"}}],"rejections":[{"index":1,"reason":"OPTED_OUT"}],
		"counts":{"processed":2},"resultsKey":"results/P/old.json"}`))
	if err != nil {
		t.Fatal(err)
	}
	next := prev.Next("run-1", "ScoreTask")
	if next.ExecutionID != "run-1" || next.Stage != "ScoreTask" || next.Status != "success" || next.FailAt != "StoreTask" ||
		next.ProgramID != "P" || next.Marketplace != "US" {
		t.Fatalf("next %+v", next)
	}
	if next.Candidates == nil || len(next.Candidates) != 0 || next.Rejections != nil || next.Counts != nil || next.ResultsKey != "" {
		t.Fatalf("next must start with no candidates and none of the previous stage's own fields: %+v", next)
	}
	body, _ := json.Marshal(next)
	if string(body) != `{"executionId":"run-1","stage":"ScoreTask","status":"success","failAt":"StoreTask","programId":"P","marketplace":"US","candidates":[],"recordCount":0}` {
		t.Fatalf("encoded %s", body)
	}
	if string(prev.Candidates[0].Processing) != `{"jobRunId":"jr_1"}` {
		t.Fatalf("processing metadata lost: %s", prev.Candidates[0].Processing)
	}
}

func TestDecodeRejectsWrongShape(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{`[]`, `{"candidates":{}}`, `{"candidates":[{"score":"high"}]}`, `not json`} {
		if _, err := Decode([]byte(doc)); err == nil {
			t.Fatalf("Decode(%s) accepted it", doc)
		}
	}
}
