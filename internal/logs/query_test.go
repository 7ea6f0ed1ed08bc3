package logs

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/logs/insights"
	"github.com/ceap/ceap/internal/store"
)

func newQueries(t *testing.T) (*Queries, *Service, time.Time) {
	t.Helper()
	s, fake := newService(t)
	q := NewQueries(s, s.store.(store.QueryDefinitionStore), nil)
	t.Cleanup(q.Close)
	return q, s, fake.Now()
}

// putStageLogs writes n stage lines to /aws/lambda/<stage> for each stage, one a second from at.
func putStageLogs(t *testing.T, s *Service, at time.Time, n int, stages ...string) {
	t.Helper()
	for si, st := range stages {
		var evs []Event
		for i := 0; i < n; i++ {
			status := "SUCCEEDED"
			if i%5 == 4 {
				status = "FAILED"
			}
			evs = append(evs, Event{Timestamp: at.Add(time.Duration(i) * time.Second).UnixMilli(),
				Message: fmt.Sprintf(`{"level":"INFO","msg":"stage done","executionId":"e-%d","stage":%q,"status":%q,"duration":%d}`, i, st, status, (si+1)*10+i%3)})
		}
		if err := s.Put(context.Background(), "acct", "/aws/lambda/"+st, "2026/03/01/[$LATEST]a", evs); err != nil {
			t.Fatal(err)
		}
	}
}

// results waits for a query to end and returns its results.
func results(t *testing.T, q *Queries, id string) *QueryResults {
	t.Helper()
	q.mu.Lock()
	r := q.queries[id]
	q.mu.Unlock()
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("query %s did not end", id)
	}
	res, err := q.GetQueryResults(context.Background(), "acct", id)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func field(row []insights.Field, name string) string {
	for _, f := range row {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

func awsCode(err error) string {
	if e, ok := awserr.As(err); ok {
		return e.Code
	}
	return ""
}

func TestQueryStatsOverSeveralGroups(t *testing.T) {
	t.Parallel()
	q, s, now := newQueries(t)
	ctx := context.Background()
	putStageLogs(t, s, now, 20, "validate", "transform")
	id, err := q.StartQuery(ctx, "acct", StartQueryInput{
		Groups: []string{"/aws/lambda/validate", "/aws/lambda/transform"}, StartTime: now.Unix(), EndTime: now.Add(time.Hour).Unix(),
		Query: "fields stage, duration\n| stats avg(duration), max(duration), min(duration), count(*) as n by stage\n| sort avg(duration) desc",
	})
	if err != nil {
		t.Fatal(err)
	}
	res := results(t, q, id)
	if res.Status != QueryComplete || len(res.Rows) != 2 {
		t.Fatalf("status %s rows %v", res.Status, res.Rows)
	}
	if field(res.Rows[0], "stage") != "transform" || field(res.Rows[0], "max(duration)") != "22" || field(res.Rows[0], "n") != "20" {
		t.Fatalf("first row = %v", res.Rows[0])
	}
	if field(res.Rows[1], "stage") != "validate" || field(res.Rows[1], "min(duration)") != "10" {
		t.Fatalf("second row = %v", res.Rows[1])
	}
	if res.Statistics.RecordsScanned != 40 || res.Statistics.RecordsMatched != 40 || res.Statistics.BytesScanned <= 40*EventOverhead || res.Statistics.LogGroupsScanned != 2 {
		t.Fatalf("statistics = %+v", res.Statistics)
	}
}

func TestQueryTimeRangeAndFailedExecutions(t *testing.T) {
	t.Parallel()
	q, s, now := newQueries(t)
	ctx := context.Background()
	putStageLogs(t, s, now, 20, "load")
	// startTime and endTime are whole seconds, both inclusive: seconds 5..14 hold e-9 and e-14.
	id, err := q.StartQuery(ctx, "acct", StartQueryInput{
		Group: "/aws/lambda/load", StartTime: now.Unix() + 5, EndTime: now.Unix() + 14,
		Query: `fields @timestamp, executionId, stage | filter status = "FAILED" | sort @timestamp desc | limit 50`,
	})
	if err != nil {
		t.Fatal(err)
	}
	res := results(t, q, id)
	if len(res.Rows) != 2 || field(res.Rows[0], "executionId") != "e-14" || field(res.Rows[1], "executionId") != "e-9" {
		t.Fatalf("rows = %v", res.Rows)
	}
	if res.Statistics.RecordsScanned != 10 || res.Statistics.RecordsMatched != 2 {
		t.Fatalf("statistics = %+v", res.Statistics)
	}
	if got := field(res.Rows[0], "@timestamp"); got != now.Add(14*time.Second).UTC().Format(insights.TimeLayout) {
		t.Fatalf("@timestamp = %q", got)
	}
	// The @ptr of a row leads to its record.
	rec, err := q.GetLogRecord(ctx, "acct", field(res.Rows[0], "@ptr"))
	if err != nil {
		t.Fatal(err)
	}
	if rec["executionId"] != "e-14" || rec["@logStream"] != "2026/03/01/[$LATEST]a" || rec["@log"] != "acct:/aws/lambda/load" ||
		!strings.Contains(rec["@message"], `"e-14"`) || rec["@timestamp"] != fmt.Sprint(now.Add(14*time.Second).UnixMilli()) {
		t.Fatalf("record = %v", rec)
	}
	if _, err := q.GetLogRecord(ctx, "other", field(res.Rows[0], "@ptr")); awsCode(err) != "ResourceNotFoundException" {
		t.Fatalf("another account's GetLogRecord: %v", err)
	}
}

func TestQueryPagesThroughManyEvents(t *testing.T) {
	t.Parallel()
	q, s, now := newQueries(t)
	ctx := context.Background()
	const n = 2*queryPage + 17
	evs := make([]Event, 0, n)
	for i := 0; i < n; i++ {
		evs = append(evs, Event{Timestamp: now.UnixMilli() + int64(i), Message: fmt.Sprintf("line %d", i)})
		if len(evs) == MaxBatchEvents || i == n-1 {
			if err := s.Put(ctx, "acct", "g", "s", evs); err != nil {
				t.Fatal(err)
			}
			evs = evs[:0]
		}
	}
	id, err := q.StartQuery(ctx, "acct", StartQueryInput{Group: "g", StartTime: now.Unix(), EndTime: now.Unix() + 60,
		Query: `stats count(*) as n, max(@timestamp) as last`})
	if err != nil {
		t.Fatal(err)
	}
	res := results(t, q, id)
	if field(res.Rows[0], "n") != fmt.Sprint(n) || res.Statistics.RecordsScanned != n {
		t.Fatalf("rows %v statistics %+v", res.Rows, res.Statistics)
	}
	// Without sort, a limit stops the scan early.
	id, err = q.StartQuery(ctx, "acct", StartQueryInput{Group: "g", StartTime: now.Unix(), EndTime: now.Unix() + 60, Query: `fields @message | limit 3`})
	if err != nil {
		t.Fatal(err)
	}
	res = results(t, q, id)
	if len(res.Rows) != 3 || field(res.Rows[2], "@message") != "line 2" || res.Statistics.RecordsScanned > queryPage {
		t.Fatalf("rows %v statistics %+v", res.Rows, res.Statistics)
	}
}

func TestQuerySourceAndErrors(t *testing.T) {
	t.Parallel()
	q, s, now := newQueries(t)
	ctx := context.Background()
	putStageLogs(t, s, now, 3, "a")
	id, err := q.StartQuery(ctx, "acct", StartQueryInput{StartTime: now.Unix(), EndTime: now.Unix() + 60,
		Query: "SOURCE '/aws/lambda/a' | stats count(*) as n"})
	if err != nil {
		t.Fatal(err)
	}
	if res := results(t, q, id); field(res.Rows[0], "n") != "3" {
		t.Fatalf("rows = %v", res.Rows)
	}
	bad := []struct {
		in   StartQueryInput
		code string
	}{
		{StartQueryInput{Group: "/aws/lambda/a", Query: "fields a | bogus"}, "MalformedQueryException"},
		{StartQueryInput{Group: "/aws/lambda/a", Query: ""}, "MalformedQueryException"},
		{StartQueryInput{Group: "/aws/lambda/nope", Query: "fields a"}, "ResourceNotFoundException"},
		{StartQueryInput{Query: "fields a"}, "InvalidParameterException"},
		{StartQueryInput{Group: "/aws/lambda/a", Groups: []string{"/aws/lambda/a"}, Query: "fields a"}, "InvalidParameterException"},
		{StartQueryInput{Group: "/aws/lambda/a", Query: "SOURCE '/aws/lambda/a' | fields a"}, "InvalidParameterException"},
		{StartQueryInput{Group: "/aws/lambda/a", Query: "fields a", StartTime: 10, EndTime: 5}, "InvalidParameterException"},
		{StartQueryInput{Group: "/aws/lambda/a", Query: "fields a", Language: "SQL"}, "InvalidParameterException"},
	}
	for _, b := range bad {
		if _, err := q.StartQuery(ctx, "acct", b.in); awsCode(err) != b.code {
			t.Errorf("StartQuery(%+v) = %v, want %s", b.in, err, b.code)
		}
	}
	_, err = q.StartQuery(ctx, "acct", StartQueryInput{Group: "/aws/lambda/a", Query: "fields a\n| filter a like"})
	if e, _ := awserr.As(err); e == nil || !strings.Contains(e.Message, "at line 2 and position 16") {
		t.Fatalf("malformed query error = %v", err)
	}
	// Bad queries leave nothing behind.
	infos, _, err := q.DescribeQueries(ctx, "acct", DescribeQueriesInput{})
	if err != nil || len(infos) != 1 || infos[0].ID != id || infos[0].Group != "/aws/lambda/a" || infos[0].Status != QueryComplete {
		t.Fatalf("DescribeQueries = %+v, %v", infos, err)
	}
	if _, err := q.GetQueryResults(ctx, "other", id); awsCode(err) != "ResourceNotFoundException" {
		t.Fatalf("another account's GetQueryResults: %v", err)
	}
}

func TestQueryConcurrencyStopAndRetention(t *testing.T) {
	t.Parallel()
	q, s, now := newQueries(t)
	ctx := context.Background()
	putStageLogs(t, s, now, 1, "a")
	// Queries that are still running count against the account's concurrency.
	q.mu.Lock()
	for i := 0; i < MaxConcurrentQueries; i++ {
		id := fmt.Sprintf("busy-%d", i)
		q.queries[id] = &queryRun{id: id, account: "acct", status: QueryRunning, created: now, cancel: func() {}, done: make(chan struct{})}
	}
	q.mu.Unlock()
	in := StartQueryInput{Group: "/aws/lambda/a", StartTime: now.Unix(), EndTime: now.Unix() + 60, Query: "fields @message"}
	if _, err := q.StartQuery(ctx, "acct", in); awsCode(err) != "LimitExceededException" {
		t.Fatalf("StartQuery over the limit = %v", err)
	}
	if _, err := q.StartQuery(ctx, "other-acct-without-group", in); awsCode(err) != "ResourceNotFoundException" {
		t.Fatalf("another account = %v", err)
	}
	if ok, err := q.StopQuery(ctx, "acct", "busy-0"); err != nil || !ok {
		t.Fatalf("StopQuery = %v, %v", ok, err)
	}
	if res, _ := q.GetQueryResults(ctx, "acct", "busy-0"); res.Status != QueryCancelled {
		t.Fatalf("stopped query status = %s", res.Status)
	}
	id, err := q.StartQuery(ctx, "acct", in)
	if err != nil {
		t.Fatal(err)
	}
	if res := results(t, q, id); res.Status != QueryComplete || len(res.Rows) != 1 {
		t.Fatalf("results = %+v", res)
	}
	if ok, err := q.StopQuery(ctx, "acct", id); err != nil || ok {
		t.Fatalf("StopQuery of a complete query = %v, %v", ok, err)
	}
	if _, err := q.StopQuery(ctx, "acct", "nope"); awsCode(err) != "ResourceNotFoundException" {
		t.Fatalf("StopQuery of an unknown query = %v", err)
	}
	infos, _, err := q.DescribeQueries(ctx, "acct", DescribeQueriesInput{Status: QueryRunning, MaxResults: 5})
	if err != nil || len(infos) != 5 {
		t.Fatalf("DescribeQueries(Running) = %d, %v", len(infos), err)
	}
	// Results are dropped once their retention has passed.
	s.clock.(interface{ Advance(time.Duration) }).Advance(QueryResultRetention + time.Minute)
	if _, err := q.GetQueryResults(ctx, "acct", id); awsCode(err) != "ResourceNotFoundException" {
		t.Fatalf("GetQueryResults after retention = %v", err)
	}
}

func TestQueryDefinitions(t *testing.T) {
	t.Parallel()
	q, _, _ := newQueries(t)
	ctx := context.Background()
	id, err := q.PutQueryDefinition(ctx, "acct", PutQueryDefinitionInput{Name: "CEAP/rt/failed", Query: "fields a", Groups: []string{"g1"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.PutQueryDefinition(ctx, "acct", PutQueryDefinitionInput{Name: "CEAP/rt/durations", Query: "stats count(*)"}); err != nil {
		t.Fatal(err)
	}
	if _, err := q.PutQueryDefinition(ctx, "other", PutQueryDefinitionInput{Name: "CEAP/x", Query: "fields b"}); err != nil {
		t.Fatal(err)
	}
	if got, err := q.PutQueryDefinition(ctx, "acct", PutQueryDefinitionInput{ID: id, Name: "CEAP/rt/failed", Query: "fields b", Groups: []string{"g2"}}); err != nil || got != id {
		t.Fatalf("update = %q, %v", got, err)
	}
	defs, next, err := q.DescribeQueryDefinitions(ctx, "acct", "CEAP/", 1, "")
	if err != nil || len(defs) != 1 || defs[0].Name != "CEAP/rt/durations" || next == "" {
		t.Fatalf("first page = %+v, %q, %v", defs, next, err)
	}
	defs, next, err = q.DescribeQueryDefinitions(ctx, "acct", "CEAP/", 1, next)
	if err != nil || len(defs) != 1 || defs[0].ID != id || defs[0].Query != "fields b" || defs[0].Groups[0] != "g2" || next != "" {
		t.Fatalf("second page = %+v, %q, %v", defs, next, err)
	}
	if _, _, err := q.DescribeQueryDefinitions(ctx, "acct", "", 0, "bm9udWw"); awsCode(err) != "InvalidParameterException" {
		t.Fatalf("nextToken without a key = %v", err)
	}
	// Another node on the same store sees the definitions.
	other := NewQueries(q.svc, q.defs, nil)
	t.Cleanup(other.Close)
	defs, _, err = other.DescribeQueryDefinitions(ctx, "acct", "CEAP/rt/f", 0, "")
	if err != nil || len(defs) != 1 || defs[0].ID != id || len(defs[0].Groups) != 1 {
		t.Fatalf("definitions seen by another node = %+v, %v", defs, err)
	}
	if err := q.DeleteQueryDefinition(ctx, "other", id); awsCode(err) != "ResourceNotFoundException" {
		t.Fatalf("delete from another account = %v", err)
	}
	if err := q.DeleteQueryDefinition(ctx, "acct", id); err != nil {
		t.Fatal(err)
	}
	if _, err := q.PutQueryDefinition(ctx, "acct", PutQueryDefinitionInput{ID: id, Name: "n", Query: "fields a"}); awsCode(err) != "ResourceNotFoundException" {
		t.Fatalf("update of a deleted definition = %v", err)
	}
	if _, err := q.PutQueryDefinition(ctx, "acct", PutQueryDefinitionInput{Name: "", Query: "fields a"}); awsCode(err) != "InvalidParameterException" {
		t.Fatalf("empty name = %v", err)
	}
}

// TestPageQueryResults checks GetQueryResults' pages: maxItems rows at a time, a token for the
// rest, every row once, and a bad token refused.
func TestPageQueryResults(t *testing.T) {
	t.Parallel()
	var rows [][]insights.Field
	for i := range 7 {
		rows = append(rows, []insights.Field{{Name: "n", Value: strconv.Itoa(i)}})
	}
	if all, next, err := PageQueryResults(rows, 0, ""); err != nil || len(all) != 7 || next != "" {
		t.Fatalf("maxItems 0 = %d rows, next %q, %v; want all 7 and no token", len(all), next, err)
	}
	var got []string
	token, pages := "", 0
	for {
		page, next, err := PageQueryResults(rows, 3, token)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range page {
			got = append(got, r[0].Value)
		}
		if next == "" {
			break
		}
		token = next
	}
	if pages != 3 || strings.Join(got, ",") != "0,1,2,3,4,5,6" {
		t.Fatalf("%d pages of %v; want 3 pages of 0..6", pages, got)
	}
	for _, bad := range []string{"!!", encodeToken("x"), encodeToken("8"), encodeToken("-1")} {
		if _, _, err := PageQueryResults(rows, 3, bad); awsCode(err) != "InvalidParameterException" {
			t.Fatalf("token %q: %v", bad, err)
		}
	}
}
