package logs

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ceap/ceap/internal/clock"
	"github.com/ceap/ceap/internal/store/storetest"
)

func newService(t *testing.T) (*Service, *clock.Fake) {
	t.Helper()
	fake := clock.NewFake(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	return New(Config{Store: storetest.OpenSQLite(t), Clock: fake}), fake
}

func TestPutCreatesGroupAndStreamAndSorts(t *testing.T) {
	t.Parallel()
	s, fake := newService(t)
	ctx := context.Background()
	now := fake.Now().UnixMilli()
	if err := s.Put(ctx, "acct", "/aws/lambda/f", "2026/03/01/[$LATEST]abc", []Event{{now + 2, "END"}, {now, "START"}, {now + 1, "hello"}}); err != nil {
		t.Fatal(err)
	}
	// A second Put appends to the stream; after the stream or the group is deleted Put creates
	// it again.
	if err := s.Put(ctx, "acct", "/aws/lambda/f", "2026/03/01/[$LATEST]abc", []Event{{now + 3, "REPORT"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "acct", "/aws/lambda/f", "gone", []Event{{now, "deleted"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteLogStream(ctx, "acct", "/aws/lambda/f", "gone"); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "acct", "/aws/lambda/f", "gone", []Event{{now + 1, "back"}}); err != nil {
		t.Fatal(err)
	}
	back, err := s.GetLogEvents(ctx, "acct", GetLogEventsInput{Group: "/aws/lambda/f", Stream: "gone", StartFromHead: true})
	if err != nil || len(back.Events) != 1 || back.Events[0].Message != "back" {
		t.Fatalf("recreated stream = %+v, %v", back, err)
	}
	if err := s.DeleteLogStream(ctx, "acct", "/aws/lambda/f", "gone"); err != nil {
		t.Fatal(err)
	}
	out, err := s.FilterLogEvents(ctx, "acct", FilterLogEventsInput{Group: "/aws/lambda/f"})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, e := range out.Events {
		msgs = append(msgs, e.Message)
	}
	if len(msgs) != 4 || msgs[0] != "START" || msgs[1] != "hello" || msgs[3] != "REPORT" {
		t.Fatalf("events = %q", msgs)
	}
	if err := s.DeleteLogGroup(ctx, "acct", "/aws/lambda/f"); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "acct", "/aws/lambda/f", "s2", []Event{{now, "again"}}); err != nil {
		t.Fatal(err)
	}
	out, err = s.FilterLogEvents(ctx, "acct", FilterLogEventsInput{Group: "/aws/lambda/f"})
	if err != nil || len(out.Events) != 1 || out.Events[0].Stream != "s2" {
		t.Fatalf("after re-creation = %+v, %v", out, err)
	}
	if _, err := s.FilterLogEvents(ctx, "other", FilterLogEventsInput{Group: "/aws/lambda/f"}); err == nil {
		t.Fatal("another account must not see the group")
	}
}

func TestRetentionSweepDeletesExpiredEvents(t *testing.T) {
	t.Parallel()
	s, fake := newService(t)
	ctx := context.Background()
	day := int64(24 * 3600 * 1000)
	now := fake.Now().UnixMilli()
	if err := s.Put(ctx, "a", "keep", "s", []Event{{now - 10*day, "old"}, {now, "new"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "a", "short", "s", []Event{{now - 10*day, "old"}, {now - 2*day, "middle"}, {now, "new"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutRetentionPolicy(ctx, "a", "short", 3); err != nil {
		t.Fatal(err)
	}
	n, err := s.ExpireOnce(ctx)
	if err != nil || n != 1 {
		t.Fatalf("first sweep deleted %d, %v; want 1", n, err)
	}
	fake.Advance(2 * 24 * time.Hour)
	if n, err := s.ExpireOnce(ctx); err != nil || n != 1 {
		t.Fatalf("second sweep deleted %d, %v; want 1", n, err)
	}
	for group, want := range map[string]int{"keep": 2, "short": 1} {
		out, err := s.FilterLogEvents(ctx, "a", FilterLogEventsInput{Group: group})
		if err != nil || len(out.Events) != want {
			t.Fatalf("%s keeps %d events, %v; want %d", group, len(out.Events), err, want)
		}
	}
}

func TestPagesStopAtOneMegabyte(t *testing.T) {
	t.Parallel()
	s, fake := newService(t)
	ctx := context.Background()
	now := fake.Now().UnixMilli()
	big := strings.Repeat("x", 200*1024)
	var ev []Event
	for i := range 8 {
		ev = append(ev, Event{Timestamp: now + int64(i), Message: big})
	}
	if err := s.Put(ctx, "a", "g", "s", ev); err != nil {
		t.Fatal(err)
	}
	out, err := s.FilterLogEvents(ctx, "a", FilterLogEventsInput{Group: "g"})
	if err != nil || len(out.Events) != 5 || out.NextToken == "" {
		t.Fatalf("first filter page = %d events, token %q, %v", len(out.Events), out.NextToken, err)
	}
	rest, err := s.FilterLogEvents(ctx, "a", FilterLogEventsInput{Group: "g", NextToken: out.NextToken})
	if err != nil || len(rest.Events) != 3 || rest.NextToken != "" {
		t.Fatalf("second filter page = %d events, token %q, %v", len(rest.Events), rest.NextToken, err)
	}
	got, err := s.GetLogEvents(ctx, "a", GetLogEventsInput{Group: "g", Stream: "s"})
	if err != nil || len(got.Events) != 5 || got.Events[4].Timestamp != now+7 {
		t.Fatalf("newest page = %d events, %v", len(got.Events), err)
	}
}
