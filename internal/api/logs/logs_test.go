package logs_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"

	"github.com/ceap/ceap/internal/ceaptest"
	"github.com/ceap/ceap/internal/clock"
)

func client(t *testing.T, opts ...ceaptest.Option) (*cwl.Client, *clock.Fake) {
	t.Helper()
	fake := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	srv := ceaptest.StartServer(t, append([]ceaptest.Option{ceaptest.WithClock(fake)}, opts...)...)
	return cwl.NewFromConfig(srv.AWS), fake
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestLogsEndToEnd(t *testing.T) {
	t.Parallel()
	for _, pg := range []bool{false, true} {
		pg := pg
		name := "sqlite"
		var opts []ceaptest.Option
		if pg {
			name = "postgres"
			opts = append(opts, ceaptest.WithPostgres())
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, fake := client(t, opts...)
			ctx := context.Background()
			group := "/aws/stepfunction/WorkflowName"
			if _, err := c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String(group), Tags: map[string]string{"team": "ceap"}}); err != nil {
				t.Fatal(err)
			}
			_, err := c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String(group)})
			if apiCode(err) != "ResourceAlreadyExistsException" {
				t.Fatalf("duplicate group: %v", err)
			}
			for _, s := range []string{"a", "b"} {
				if _, err := c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(s)}); err != nil {
					t.Fatal(err)
				}
			}
			now := fake.Now().UnixMilli()
			put := func(stream string, msgs ...string) {
				t.Helper()
				var ev []types.InputLogEvent
				for i, m := range msgs {
					ev = append(ev, types.InputLogEvent{Timestamp: aws.Int64(now - int64(len(msgs)-i)*1000), Message: aws.String(m)})
				}
				if _, err := c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream), LogEvents: ev}); err != nil {
					t.Fatal(err)
				}
			}
			put("a", `{"executionId":"exec-1","stage":"ETL","status":"FAILED","duration":120}`, "INFO exec-2 started", "ERROR exec-1 failed: InjectedFailure")
			put("b", `{"executionId":"exec-2","stage":"Filter","status":"SUCCEEDED","duration":30}`, "WARN exec-2 slow")

			filter := func(in *cwl.FilterLogEventsInput) []string {
				t.Helper()
				in.LogGroupName = aws.String(group)
				var msgs []string
				p := cwl.NewFilterLogEventsPaginator(c, in)
				for p.HasMorePages() {
					page, err := p.NextPage(ctx)
					if err != nil {
						t.Fatalf("filter %v: %v", aws.ToString(in.FilterPattern), err)
					}
					for _, e := range page.Events {
						msgs = append(msgs, aws.ToString(e.LogStreamName)+":"+aws.ToString(e.Message))
					}
				}
				return msgs
			}
			oneHourAgo := fake.Now().Add(-time.Hour).UnixMilli()
			if got := filter(&cwl.FilterLogEventsInput{FilterPattern: aws.String("exec-1"), StartTime: aws.Int64(oneHourAgo)}); len(got) != 2 {
				t.Fatalf("term exec-1 = %q", got)
			}
			if got := filter(&cwl.FilterLogEventsInput{FilterPattern: aws.String(`{ $.status = "FAILED" && $.duration > 100 }`)}); len(got) != 1 || got[0][:2] != "a:" {
				t.Fatalf("json pattern = %q", got)
			}
			if got := filter(&cwl.FilterLogEventsInput{FilterPattern: aws.String("?ERROR ?WARN")}); len(got) != 2 {
				t.Fatalf("optional terms = %q", got)
			}
			if got := filter(&cwl.FilterLogEventsInput{FilterPattern: aws.String("exec-2 -WARN"), LogStreamNames: []string{"a"}}); len(got) != 1 {
				t.Fatalf("exclusion in one stream = %q", got)
			}
			if got := filter(&cwl.FilterLogEventsInput{Limit: aws.Int32(2)}); len(got) != 5 {
				t.Fatalf("paginated all = %q", got)
			}
			if got := filter(&cwl.FilterLogEventsInput{StartTime: aws.Int64(now - 1500), EndTime: aws.Int64(now - 1000)}); len(got) != 2 {
				t.Fatalf("time range = %q", got)
			}
			_, err = c.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String(group), FilterPattern: aws.String(`{ $.a = `)})
			if apiCode(err) != "InvalidParameterException" {
				t.Fatalf("bad pattern: %v", err)
			}
			_, err = c.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String("/missing")})
			if apiCode(err) != "ResourceNotFoundException" {
				t.Fatalf("missing group: %v", err)
			}

			// GetLogEvents: newest first page, then back and forward tokens.
			got, err := c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String("a"), Limit: aws.Int32(2)})
			if err != nil || len(got.Events) != 2 || aws.ToString(got.Events[1].Message) != "ERROR exec-1 failed: InjectedFailure" {
				t.Fatalf("get newest = %+v, %v", got, err)
			}
			back, err := c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String("a"), NextToken: got.NextBackwardToken})
			if err != nil || len(back.Events) != 1 || aws.ToString(back.Events[0].Message)[0] != '{' {
				t.Fatalf("get backward = %+v, %v", back, err)
			}
			fwd, err := c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String("a"), NextToken: got.NextForwardToken})
			if err != nil || len(fwd.Events) != 0 || aws.ToString(fwd.NextForwardToken) != aws.ToString(got.NextForwardToken) {
				t.Fatalf("get forward at the end = %+v, %v", fwd, err)
			}
			head, err := c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String("a"), StartFromHead: aws.Bool(true), Limit: aws.Int32(1)})
			if err != nil || len(head.Events) != 1 || aws.ToString(head.Events[0].Message)[0] != '{' {
				t.Fatalf("get from head = %+v, %v", head, err)
			}

			groups, err := c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/aws/step")})
			if err != nil || len(groups.LogGroups) != 1 || groups.LogGroups[0].RetentionInDays != nil || aws.ToInt64(groups.LogGroups[0].StoredBytes) == 0 {
				t.Fatalf("describe groups = %+v, %v", groups, err)
			}
			streams, err := c.DescribeLogStreams(ctx, &cwl.DescribeLogStreamsInput{LogGroupName: aws.String(group), OrderBy: types.OrderByLastEventTime, Descending: aws.Bool(true), Limit: aws.Int32(1)})
			if err != nil || len(streams.LogStreams) != 1 || aws.ToString(streams.LogStreams[0].LogStreamName) != "b" || streams.NextToken == nil {
				t.Fatalf("describe streams = %+v, %v", streams, err)
			}
			streams, err = c.DescribeLogStreams(ctx, &cwl.DescribeLogStreamsInput{LogGroupName: aws.String(group), OrderBy: types.OrderByLastEventTime, Descending: aws.Bool(true), Limit: aws.Int32(1), NextToken: streams.NextToken})
			if err != nil || len(streams.LogStreams) != 1 || aws.ToString(streams.LogStreams[0].LogStreamName) != "a" || streams.NextToken != nil {
				t.Fatalf("describe streams, second page = %+v, %v", streams, err)
			}

			// Retention: events older than the period disappear from searches at once.
			fake.Advance(36 * time.Hour)
			if _, err := c.PutRetentionPolicy(ctx, &cwl.PutRetentionPolicyInput{LogGroupName: aws.String(group), RetentionInDays: aws.Int32(1)}); err != nil {
				t.Fatal(err)
			}
			if got := filter(&cwl.FilterLogEventsInput{}); len(got) != 0 {
				t.Fatalf("events past retention = %q", got)
			}
			_, err = c.PutRetentionPolicy(ctx, &cwl.PutRetentionPolicyInput{LogGroupName: aws.String(group), RetentionInDays: aws.Int32(2)})
			if apiCode(err) != "InvalidParameterException" {
				t.Fatalf("retention of 2 days: %v", err)
			}
			tags, err := c.ListTagsForResource(ctx, &cwl.ListTagsForResourceInput{ResourceArn: groups.LogGroups[0].LogGroupArn})
			if err != nil || tags.Tags["team"] != "ceap" {
				t.Fatalf("tags = %v, %v", tags, err)
			}
			if _, err := c.DeleteLogGroup(ctx, &cwl.DeleteLogGroupInput{LogGroupName: aws.String(group)}); err != nil {
				t.Fatal(err)
			}
			_, err = c.DeleteLogGroup(ctx, &cwl.DeleteLogGroupInput{LogGroupName: aws.String(group)})
			if apiCode(err) != "ResourceNotFoundException" {
				t.Fatalf("second delete: %v", err)
			}
		})
	}
}

func TestPutLogEventsValidation(t *testing.T) {
	t.Parallel()
	c, fake := client(t)
	ctx := context.Background()
	group, stream := aws.String("g"), aws.String("s")
	if _, err := c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: group}); err != nil {
		t.Fatal(err)
	}
	_, err := c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: group, LogStreamName: stream,
		LogEvents: []types.InputLogEvent{{Timestamp: aws.Int64(fake.Now().UnixMilli()), Message: aws.String("x")}}})
	if apiCode(err) != "ResourceNotFoundException" {
		t.Fatalf("missing stream: %v", err)
	}
	if _, err := c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: group, LogStreamName: stream}); err != nil {
		t.Fatal(err)
	}
	now := fake.Now().UnixMilli()
	ev := func(ts int64) types.InputLogEvent {
		return types.InputLogEvent{Timestamp: aws.Int64(ts), Message: aws.String(fmt.Sprint("at ", ts))}
	}
	_, err = c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: group, LogStreamName: stream, LogEvents: []types.InputLogEvent{ev(now), ev(now - 1)}})
	if apiCode(err) != "InvalidParameterException" {
		t.Fatalf("unsorted batch: %v", err)
	}
	res, err := c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: group, LogStreamName: stream, LogEvents: []types.InputLogEvent{
		ev(now - 15*24*3600*1000), ev(now - 15*24*3600*1000 + 1), ev(now), ev(now + 3*3600*1000),
	}})
	if apiCode(err) != "InvalidParameterException" {
		t.Fatalf("batch spanning 15 days: %v %+v", err, res)
	}
	res, err = c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: group, LogStreamName: stream, LogEvents: []types.InputLogEvent{ev(now), ev(now + 3*3600*1000)}})
	if err != nil || res.RejectedLogEventsInfo == nil || aws.ToInt32(res.RejectedLogEventsInfo.TooNewLogEventStartIndex) != 1 {
		t.Fatalf("too new event: %+v, %v", res, err)
	}
	out, err := c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: group, LogStreamName: stream})
	if err != nil || len(out.Events) != 1 {
		t.Fatalf("stored events = %+v, %v", out, err)
	}
	_, err = c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("bad name!")})
	if apiCode(err) != "InvalidParameterException" {
		t.Fatalf("bad group name: %v", err)
	}
}
