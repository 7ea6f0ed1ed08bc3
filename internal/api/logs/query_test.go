package logs_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/ceap/ceap/internal/ceaptest"
	"github.com/ceap/ceap/internal/config"
	"github.com/ceap/ceap/internal/store/storetest"
)

// waitQuery polls GetQueryResults until the query has ended, as clients do.
func waitQuery(t *testing.T, c *cwl.Client, id string) *cwl.GetQueryResultsOutput {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := c.GetQueryResults(context.Background(), &cwl.GetQueryResultsInput{QueryId: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		switch out.Status {
		case types.QueryStatusScheduled, types.QueryStatusRunning:
		default:
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("query %s still %s", id, out.Status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func value(row []types.ResultField, name string) string {
	for _, f := range row {
		if aws.ToString(f.Field) == name {
			return aws.ToString(f.Value)
		}
	}
	return ""
}

func TestInsightsQueries(t *testing.T) {
	t.Parallel()
	c, fake := client(t)
	ctx := context.Background()
	now := fake.Now()
	stages := []string{"Validate", "Score", "Store"}
	for si, st := range stages {
		group := "/aws/lambda/CeapWorkflow-rt-" + st + "Lambda"
		if _, err := c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String(group)}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String("s")}); err != nil {
			t.Fatal(err)
		}
		var evs []types.InputLogEvent
		for i := 0; i < 4; i++ {
			status := "SUCCEEDED"
			if st == "Score" && i == 3 {
				status = "FAILED"
			}
			msg := fmt.Sprintf(`{"time":"x","level":"INFO","msg":"stage done","executionId":"ex-%d","stage":%q,"status":%q,"duration":%d,"errorMessage":"boom"}`, i, st, status, (si+1)*100+i)
			evs = append(evs, types.InputLogEvent{Timestamp: aws.Int64(now.Add(time.Duration(i) * time.Second).UnixMilli()), Message: aws.String(msg)})
		}
		if _, err := c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String("s"), LogEvents: evs}); err != nil {
			t.Fatal(err)
		}
	}
	groups := []string{"/aws/lambda/CeapWorkflow-rt-ValidateLambda", "/aws/lambda/CeapWorkflow-rt-ScoreLambda", "/aws/lambda/CeapWorkflow-rt-StoreLambda"}
	start, end := now.Add(-time.Hour).Unix(), now.Add(time.Hour).Unix()

	sq, err := c.StartQuery(ctx, &cwl.StartQueryInput{LogGroupNames: groups, StartTime: aws.Int64(start), EndTime: aws.Int64(end),
		QueryString: aws.String("fields stage, duration\n| stats avg(duration), max(duration), min(duration) by stage\n| sort avg(duration) desc")})
	if err != nil {
		t.Fatal(err)
	}
	out := waitQuery(t, c, aws.ToString(sq.QueryId))
	if out.Status != types.QueryStatusComplete || len(out.Results) != 3 {
		t.Fatalf("status %s, %d rows", out.Status, len(out.Results))
	}
	for i, want := range []struct{ stage, avg string }{{"Store", "301.5"}, {"Score", "201.5"}, {"Validate", "101.5"}} {
		if value(out.Results[i], "stage") != want.stage || value(out.Results[i], "avg(duration)") != want.avg {
			t.Fatalf("row %d = %v", i, out.Results[i])
		}
	}
	if out.Statistics == nil || out.Statistics.RecordsScanned != 12 || out.Statistics.RecordsMatched != 12 {
		t.Fatalf("statistics = %+v", out.Statistics)
	}

	// Find Failed Executions, through logGroupIdentifiers (an ARN and a name).
	sq, err = c.StartQuery(ctx, &cwl.StartQueryInput{
		LogGroupIdentifiers: []string{"arn:aws:logs:us-east-1:000000000000:log-group:" + groups[1] + ":*", groups[2]},
		StartTime:           aws.Int64(start), EndTime: aws.Int64(end),
		QueryString: aws.String("fields @timestamp, executionId, stage, errorMessage\n| filter status = \"FAILED\"\n| sort @timestamp desc\n| limit 50")})
	if err != nil {
		t.Fatal(err)
	}
	out = waitQuery(t, c, aws.ToString(sq.QueryId))
	if len(out.Results) != 1 || value(out.Results[0], "executionId") != "ex-3" || value(out.Results[0], "stage") != "Score" ||
		value(out.Results[0], "@timestamp") != now.Add(3*time.Second).UTC().Format("2006-01-02 15:04:05.000") {
		t.Fatalf("rows = %v", out.Results)
	}
	rec, err := c.GetLogRecord(ctx, &cwl.GetLogRecordInput{LogRecordPointer: aws.String(value(out.Results[0], "@ptr"))})
	if err != nil || rec.LogRecord["executionId"] != "ex-3" || rec.LogRecord["@log"] == "" {
		t.Fatalf("GetLogRecord = %v, %v", rec, err)
	}

	// A malformed query answers MalformedQueryException and starts nothing.
	_, err = c.StartQuery(ctx, &cwl.StartQueryInput{LogGroupName: aws.String(groups[0]), StartTime: aws.Int64(start), EndTime: aws.Int64(end),
		QueryString: aws.String("fields @message | filter @message like")})
	if apiCode(err) != "MalformedQueryException" {
		t.Fatalf("malformed query: %v", err)
	}
	dq, err := c.DescribeQueries(ctx, &cwl.DescribeQueriesInput{})
	if err != nil || len(dq.Queries) != 2 || dq.Queries[0].Status != types.QueryStatusComplete || aws.ToString(dq.Queries[0].QueryId) != aws.ToString(sq.QueryId) {
		t.Fatalf("DescribeQueries = %+v, %v", dq, err)
	}
	dq, err = c.DescribeQueries(ctx, &cwl.DescribeQueriesInput{LogGroupName: aws.String(groups[0])})
	if err != nil || len(dq.Queries) != 1 {
		t.Fatalf("DescribeQueries(logGroupName) = %+v, %v", dq, err)
	}
	stop, err := c.StopQuery(ctx, &cwl.StopQueryInput{QueryId: sq.QueryId})
	if err != nil || stop.Success {
		t.Fatalf("StopQuery of a complete query = %+v, %v", stop, err)
	}
	if _, err := c.GetQueryResults(ctx, &cwl.GetQueryResultsInput{QueryId: aws.String("no-such-query")}); apiCode(err) != "ResourceNotFoundException" {
		t.Fatalf("unknown query: %v", err)
	}
}

func TestQueryDefinitions(t *testing.T) {
	t.Parallel()
	c, _ := client(t)
	ctx := context.Background()
	put, err := c.PutQueryDefinition(ctx, &cwl.PutQueryDefinitionInput{Name: aws.String("CEAP/realtime/failed-executions"),
		LogGroupNames: []string{"/aws/lambda/a"}, QueryString: aws.String(`fields @timestamp | filter status = "FAILED"`)})
	if err != nil {
		t.Fatal(err)
	}
	// deploy.sh finds a saved query by name and updates it in place.
	list, err := c.DescribeQueryDefinitions(ctx, &cwl.DescribeQueryDefinitionsInput{QueryDefinitionNamePrefix: aws.String("CEAP/realtime/")})
	if err != nil || len(list.QueryDefinitions) != 1 || aws.ToString(list.QueryDefinitions[0].QueryDefinitionId) != aws.ToString(put.QueryDefinitionId) {
		t.Fatalf("DescribeQueryDefinitions = %+v, %v", list, err)
	}
	if _, err := c.PutQueryDefinition(ctx, &cwl.PutQueryDefinitionInput{Name: aws.String("CEAP/realtime/failed-executions"), QueryDefinitionId: put.QueryDefinitionId,
		LogGroupNames: []string{"/aws/lambda/a", "/aws/lambda/b"}, QueryString: aws.String("fields @message")}); err != nil {
		t.Fatal(err)
	}
	list, err = c.DescribeQueryDefinitions(ctx, &cwl.DescribeQueryDefinitionsInput{})
	if err != nil || len(list.QueryDefinitions) != 1 || aws.ToString(list.QueryDefinitions[0].QueryString) != "fields @message" || len(list.QueryDefinitions[0].LogGroupNames) != 2 {
		t.Fatalf("after update = %+v, %v", list, err)
	}
	del, err := c.DeleteQueryDefinition(ctx, &cwl.DeleteQueryDefinitionInput{QueryDefinitionId: put.QueryDefinitionId})
	if err != nil || !del.Success {
		t.Fatalf("DeleteQueryDefinition = %+v, %v", del, err)
	}
	if _, err := c.DeleteQueryDefinition(ctx, &cwl.DeleteQueryDefinitionInput{QueryDefinitionId: put.QueryDefinitionId}); apiCode(err) != "ResourceNotFoundException" {
		t.Fatalf("second delete: %v", err)
	}
}

// TestQueryDefinitionsSurviveRestart saves definitions, stops the server and starts another on
// the same data directory, which lists them; on PostgreSQL a second node sharing the database
// sees them at once.
func TestQueryDefinitionsSurviveRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		data := t.TempDir()
		onData := ceaptest.WithConfig(func(c *config.Config) { c.Data = data })
		first := ceaptest.StartServer(t, onData)
		id := putDefinitions(t, cwl.NewFromConfig(first.AWS))
		stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := first.Stop(stopCtx); err != nil {
			t.Fatalf("stop: %v", err)
		}
		second := ceaptest.StartServer(t, onData)
		wantDefinitions(t, cwl.NewFromConfig(second.AWS), id)
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		schema := storetest.NewSchema(t)
		one := ceaptest.StartServer(t, ceaptest.WithStore(storetest.OpenPostgresSchema(t, schema)))
		two := ceaptest.StartServer(t, ceaptest.WithStore(storetest.OpenPostgresSchema(t, schema)))
		id := putDefinitions(t, cwl.NewFromConfig(one.AWS))
		wantDefinitions(t, cwl.NewFromConfig(two.AWS), id)
	})
}

// putDefinitions saves two definitions, updates the first and returns its id.
func putDefinitions(t *testing.T, c *cwl.Client) string {
	t.Helper()
	ctx := context.Background()
	put, err := c.PutQueryDefinition(ctx, &cwl.PutQueryDefinitionInput{Name: aws.String("CEAP/rt/failed"), QueryString: aws.String("fields @timestamp")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutQueryDefinition(ctx, &cwl.PutQueryDefinitionInput{Name: aws.String("CEAP/rt/durations"), QueryString: aws.String("stats count(*)")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutQueryDefinition(ctx, &cwl.PutQueryDefinitionInput{QueryDefinitionId: put.QueryDefinitionId, Name: aws.String("CEAP/rt/failed"),
		QueryString: aws.String("fields @message"), LogGroupNames: []string{"/aws/lambda/a"}}); err != nil {
		t.Fatal(err)
	}
	return aws.ToString(put.QueryDefinitionId)
}

// wantDefinitions checks that c lists the definitions of putDefinitions, a page at a time.
func wantDefinitions(t *testing.T, c *cwl.Client, id string) {
	t.Helper()
	ctx := context.Background()
	first, err := c.DescribeQueryDefinitions(ctx, &cwl.DescribeQueryDefinitionsInput{MaxResults: aws.Int32(1)})
	if err != nil || len(first.QueryDefinitions) != 1 || aws.ToString(first.QueryDefinitions[0].Name) != "CEAP/rt/durations" || first.NextToken == nil {
		t.Fatalf("first page = %+v, %v", first, err)
	}
	second, err := c.DescribeQueryDefinitions(ctx, &cwl.DescribeQueryDefinitionsInput{MaxResults: aws.Int32(1), NextToken: first.NextToken})
	if err != nil || len(second.QueryDefinitions) != 1 || second.NextToken != nil {
		t.Fatalf("second page = %+v, %v", second, err)
	}
	d := second.QueryDefinitions[0]
	if aws.ToString(d.QueryDefinitionId) != id || aws.ToString(d.QueryString) != "fields @message" || len(d.LogGroupNames) != 1 || d.LogGroupNames[0] != "/aws/lambda/a" {
		t.Fatalf("updated definition = %+v", d)
	}
}
