package events

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/ceap/ceap/internal/clock"
	"github.com/ceap/ceap/internal/store/storetest"
)

func TestScheduleNext(t *testing.T) {
	t.Parallel()
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct{ expr, after, want string }{
		{"rate(5 minutes)", "2024-01-01T00:00:30Z", "2024-01-01T00:05:30Z"},
		{"rate(1 hour)", "2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z"},
		{"rate(2 days)", "2024-01-01T00:00:00Z", "2024-01-03T00:00:00Z"},
		{"cron(0 12 * * ? *)", "2024-01-01T13:00:00Z", "2024-01-02T12:00:00Z"},
		{"cron(15 10 ? * MON-FRI *)", "2024-01-06T00:00:00Z", "2024-01-08T10:15:00Z"},
		{"cron(0 0 L * ? *)", "2024-01-02T00:00:00Z", "2024-01-31T00:00:00Z"},
		{"cron(0/15 * * * ? *)", "2024-01-01T10:07:00Z", "2024-01-01T10:15:00Z"},
		{"cron(0 8 1 JAN,JUL ? 2025)", "2024-03-01T00:00:00Z", "2025-01-01T08:00:00Z"},
		{"cron(30 9 ? * 1 *)", "2024-01-01T00:00:00Z", "2024-01-07T09:30:00Z"},
	} {
		s, err := parseSchedule(c.expr)
		if err != nil {
			t.Fatalf("%s: %v", c.expr, err)
		}
		if got := s.next(at(c.after)); !got.Equal(at(c.want)) {
			t.Errorf("%s after %s = %s, want %s", c.expr, c.after, got.Format(time.RFC3339), c.want)
		}
	}
	for _, bad := range []string{"rate(1 minutes)", "rate(5 minute)", "rate(0 minutes)", "rate(5 weeks)", "cron(* * * * * *)", "cron(0 12 * * ?)",
		"cron(61 * * * ? *)", "cron(0 0 ? * MON-FOO *)", "cron(0 0 1 1 ? 1969)", "every day"} {
		if _, err := parseSchedule(bad); code(err) != "ValidationException" {
			t.Errorf("%s: %v, want ValidationException", bad, err)
		}
	}
}

func TestScheduledRuleFires(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(time.Date(2024, 1, 1, 0, 0, 30, 0, time.UTC))
	f := &fakeTargets{}
	svc := New(Config{Store: storetest.OpenSQLite(t), Clock: clk, Queues: f, Log: quiet})
	ctx := context.Background()
	if _, err := svc.PutRule(ctx, acct, "us-east-1", PutRuleInput{Name: "tick", ScheduleExpression: "rate(5 minutes)"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.PutTargets(ctx, acct, "", "tick", []Target{{Id: "q", Arn: queue}}); err != nil {
		t.Fatal(err)
	}
	drain(t, svc)
	if n := len(f.got()); n != 0 {
		t.Fatalf("fired %d times before it was due", n)
	}
	clk.Advance(5 * time.Minute)
	drain(t, svc)
	calls := f.got()
	if len(calls) != 1 {
		t.Fatalf("fired %d times at the first time, want 1", len(calls))
	}
	var ev map[string]any
	json.Unmarshal([]byte(calls[0].input), &ev)
	res, _ := ev["resources"].([]any)
	if ev["source"] != "aws.events" || ev["detail-type"] != "Scheduled Event" || ev["time"] != "2024-01-01T00:05:30Z" || len(res) != 1 || res[0] != RuleARN("us-east-1", acct, "tick") {
		t.Fatalf("scheduled event = %v", ev)
	}
	clk.Advance(5 * time.Minute)
	drain(t, svc)
	if n := len(f.got()); n != 2 {
		t.Fatalf("after the second time: %d firings, want 2", n)
	}
	if err := svc.SetRuleState(ctx, acct, "", "tick", false); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	drain(t, svc)
	if n := len(f.got()); n != 2 {
		t.Fatalf("a disabled schedule fired (%d firings)", n)
	}
	r, _ := svc.DescribeRule(ctx, acct, "", "tick")
	if r.ScheduleExpression != "rate(5 minutes)" {
		t.Fatalf("ScheduleExpression = %q", r.ScheduleExpression)
	}
}

func FuzzParseSchedule(f *testing.F) {
	for _, s := range []string{"rate(5 minutes)", "cron(0/15 * * * ? *)", "cron(15 10 ? * MON-FRI *)", "cron(0 0 L * ? *)", "cron(0 8 1 JAN,JUL ? 2025)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		s, err := parseSchedule(expr)
		if err != nil {
			return
		}
		from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		if next := s.next(from); !next.IsZero() && !next.After(from) {
			t.Fatalf("%s: next %s is not after %s", expr, next, from)
		}
	})
}
