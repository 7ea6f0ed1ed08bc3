package insights

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// base is the time of the first test event: 2026-03-01 12:00:00 UTC.
var base = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).UnixMilli()

// stageLine is a stage function's log line, as examples/ceap/stages/stage/runner.go writes it.
func stageLine(i int, stage, status string, duration int, errMsg string) string {
	msg := "stage succeeded"
	if status == "FAILED" {
		msg = "stage failed"
	}
	line := fmt.Sprintf(`{"time":"2026-03-01T12:00:%02d.000Z","level":"INFO","msg":%q,"executionId":"exec-%d","stage":%q,"status":%q,"duration":%d`, i%60, msg, i, stage, status, duration)
	if errMsg != "" {
		line += fmt.Sprintf(`,"errorMessage":%q`, errMsg)
	}
	return line + `,"detail":{"bucket":"ceap-data","attempt":1}}`
}

// stageEvents are realistic events of three stages, one event a second.
func stageEvents() []Event {
	var out []Event
	stages := []string{"validate", "transform", "load"}
	for i := 0; i < 30; i++ {
		st := stages[i%3]
		status, errMsg := "SUCCEEDED", ""
		dur := (i%3+1)*10 + i%5 // validate 10..14, transform 20..24, load 30..34
		if i%7 == 6 {
			status, errMsg = "FAILED", "NoSuchKey: The specified key does not exist."
		}
		out = append(out, Event{
			Timestamp: base + int64(i)*1000, Ingestion: base + int64(i)*1000 + 5,
			Message: stageLine(i, st, status, dur, errMsg), Stream: "2026/03/01/[$LATEST]abc", Group: "123456789012:/aws/lambda/ceap-" + st,
			ID: int64(i),
		})
	}
	return out
}

func run(t *testing.T, query string, events []Event) [][]Field {
	t.Helper()
	q, err := Parse(query)
	if err != nil {
		t.Fatalf("Parse(%q): %v", query, err)
	}
	r := q.Start(0)
	r.SetPointer(func(e *Event) string { return fmt.Sprintf("ptr-%d", e.ID) })
	for i := range events {
		if !r.Add(&events[i]) {
			break
		}
	}
	return r.Finish()
}

// get returns the value of a row's field and whether it has it.
func get(row []Field, name string) (string, bool) {
	for _, f := range row {
		if f.Name == name {
			return f.Value, true
		}
	}
	return "", false
}

func names(row []Field) []string {
	var out []string
	for _, f := range row {
		out = append(out, f.Name)
	}
	return out
}

func column(rows [][]Field, name string) []string {
	var out []string
	for _, r := range rows {
		v, _ := get(r, name)
		out = append(out, v)
	}
	return out
}

func TestRunbookFindFailedExecutions(t *testing.T) {
	t.Parallel()
	rows := run(t, `fields @timestamp, executionId, stage, errorMessage
| filter status = "FAILED"
| sort @timestamp desc
| limit 50`, stageEvents())
	// Failures are i = 6, 13, 20, 27; newest first.
	if got, want := column(rows, "executionId"), []string{"exec-27", "exec-20", "exec-13", "exec-6"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("executionId = %v, want %v", got, want)
	}
	if got, want := names(rows[0]), []string{"@timestamp", "executionId", "stage", "errorMessage", "@ptr"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("fields = %v, want %v", got, want)
	}
	if v, _ := get(rows[0], "@ptr"); v != "ptr-27" {
		t.Fatalf("@ptr = %q", v)
	}
	if v, _ := get(rows[0], "@timestamp"); v != "2026-03-01 12:00:27.000" {
		t.Fatalf("@timestamp = %q", v)
	}
	if v, _ := get(rows[0], "stage"); v != "validate" {
		t.Fatalf("stage = %q, want validate", v)
	}
	if v, _ := get(rows[0], "errorMessage"); !strings.HasPrefix(v, "NoSuchKey") {
		t.Fatalf("errorMessage = %q", v)
	}
}

func TestRunbookExecutionTimesByStage(t *testing.T) {
	t.Parallel()
	rows := run(t, `fields stage, duration
| stats avg(duration), max(duration), min(duration) by stage
| sort avg(duration) desc`, stageEvents())
	want := [][]Field{
		{{"stage", "load"}, {"avg(duration)", "32"}, {"max(duration)", "34"}, {"min(duration)", "30"}},
		{{"stage", "transform"}, {"avg(duration)", "22"}, {"max(duration)", "24"}, {"min(duration)", "20"}},
		{{"stage", "validate"}, {"avg(duration)", "12"}, {"max(duration)", "14"}, {"min(duration)", "10"}},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("rows = %v\nwant %v", rows, want)
	}
}

func TestRunbookS3AccessErrors(t *testing.T) {
	t.Parallel()
	events := stageEvents()
	events = append(events, Event{Timestamp: base + 40000, Message: "ERROR AccessDenied: Access Denied", Stream: "s", Group: "g", ID: 99})
	rows := run(t, `fields @timestamp, @message
| filter @message like /AccessDenied|NoSuchKey/
| sort @timestamp desc
| limit 20`, events)
	if len(rows) != 5 {
		t.Fatalf("got %d rows, want 5: %v", len(rows), rows)
	}
	if v, _ := get(rows[0], "@message"); v != "ERROR AccessDenied: Access Denied" {
		t.Fatalf("first @message = %q", v)
	}
	if got := names(rows[0]); !reflect.DeepEqual(got, []string{"@timestamp", "@message", "@ptr"}) {
		t.Fatalf("fields = %v", got)
	}
}

func TestRunbookRecentErrorsWithSource(t *testing.T) {
	t.Parallel()
	q, err := Parse("SOURCE '/aws/stepfunction/WorkflowName'\n| fields @timestamp, @message\n| filter @message like /ERROR/\n| sort @timestamp desc\n| limit 20")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(q.Sources, []string{"/aws/stepfunction/WorkflowName"}) {
		t.Fatalf("Sources = %v", q.Sources)
	}
	var events []Event
	for i := 0; i < 30; i++ {
		level := "INFO"
		if i%10 == 0 {
			level = "ERROR"
		}
		events = append(events, Event{Timestamp: base + int64(i), Message: fmt.Sprintf(`{"type":"TaskFailed","level":%q,"n":%d}`, level, i)})
	}
	r := q.Start(0)
	for i := range events {
		r.Add(&events[i])
	}
	rows := r.Finish()
	if got := column(rows, "@timestamp"); !reflect.DeepEqual(got, []string{"2026-03-01 12:00:00.020", "2026-03-01 12:00:00.010", "2026-03-01 12:00:00.000"}) {
		t.Fatalf("@timestamp = %v", got)
	}
	if r.Matched() != 3 {
		t.Fatalf("Matched = %d, want 3", r.Matched())
	}
}
