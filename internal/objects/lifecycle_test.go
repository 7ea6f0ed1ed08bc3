package objects

import (
	"errors"
	"testing"
	"time"

	"github.com/ceap/ceap/internal/awserr"
)

func ptr[T any](v T) *T { return &v }

func day(y int, m time.Month, d, h int) time.Time {
	return time.Date(y, m, d, h, 0, 0, 0, time.UTC)
}

func TestAfterDaysRoundsUpToMidnight(t *testing.T) {
	t.Parallel()
	cases := []struct {
		created time.Time
		days    int
		want    time.Time
	}{
		// S3's documented example: created 2014-01-15 10:30 UTC, 3 days -> 2014-01-19 00:00 UTC.
		{time.Date(2014, 1, 15, 10, 30, 0, 0, time.UTC), 3, day(2014, 1, 19, 0)},
		{day(2026, 3, 1, 23), 7, day(2026, 3, 9, 0)},
		{day(2026, 12, 31, 1), 1, day(2027, 1, 2, 0)},
		{time.Date(2026, 3, 1, 23, 0, 0, 0, time.FixedZone("x", -5*3600)), 1, day(2026, 3, 4, 0)},
	}
	for _, c := range cases {
		if got := AfterDays(c.created, c.days); !got.Equal(c.want) {
			t.Fatalf("AfterDays(%s, %d) = %s, want %s", c.created, c.days, got, c.want)
		}
	}
}

func runbookRule(days int, status string) Lifecycle {
	return Lifecycle{Rules: []Rule{{
		ID: "DeleteOldExecutions", Status: status, Prefix: ptr("executions/"),
		Expiration: &Expiration{Days: ptr(days)},
	}}}
}

func TestSevenDayRuleExpiresOnDayEight(t *testing.T) {
	t.Parallel()
	created := day(2026, 1, 1, 10)
	obj := Candidate{Key: "executions/e1/ETLStage/output.json", Size: 10}
	l := runbookRule(7, StatusEnabled)
	exp, ok := l.CurrentExpiry(obj, created)
	if !ok || exp.RuleID != "DeleteOldExecutions" {
		t.Fatalf("CurrentExpiry = %+v, %v", exp, ok)
	}
	if day6 := created.AddDate(0, 0, 6); !day6.Before(exp.At) {
		t.Fatalf("expires %s, already on day 6", exp.At)
	}
	if day8 := created.AddDate(0, 0, 8); day8.Before(exp.At) {
		t.Fatalf("expires %s, not yet on day 8", exp.At)
	}
	l14 := runbookRule(14, StatusEnabled)
	exp14, _ := l14.CurrentExpiry(obj, created)
	if !exp14.At.Equal(exp.At.AddDate(0, 0, 7)) {
		t.Fatalf("14-day expiry = %s, want a week after %s", exp14.At, exp.At)
	}
	disabled := runbookRule(7, StatusDisabled)
	if _, ok := disabled.CurrentExpiry(obj, created); ok {
		t.Fatalf("a Disabled rule expires objects")
	}
	if _, ok := l.CurrentExpiry(Candidate{Key: "other/x"}, created); ok {
		t.Fatalf("a rule expires objects outside its prefix")
	}
}

func TestFilters(t *testing.T) {
	t.Parallel()
	retain := Tag{Key: "Retention", Value: "LongTerm"}
	obj := Candidate{Key: "logs/a.txt", Size: 100, Tags: []Tag{retain}}
	cases := []struct {
		name   string
		filter Filter
		want   bool
	}{
		{"empty", Filter{}, true},
		{"prefix", Filter{Prefix: ptr("logs/")}, true},
		{"other prefix", Filter{Prefix: ptr("data/")}, false},
		{"tag", Filter{Tag: &retain}, true},
		{"tag value differs", Filter{Tag: &Tag{Key: "Retention", Value: "Short"}}, false},
		{"greater than", Filter{ObjectSizeGreaterThan: ptr[int64](99)}, true},
		{"greater than equal", Filter{ObjectSizeGreaterThan: ptr[int64](100)}, false},
		{"less than", Filter{ObjectSizeLessThan: ptr[int64](101)}, true},
		{"less than equal", Filter{ObjectSizeLessThan: ptr[int64](100)}, false},
		{"and all", Filter{And: &AndFilter{Prefix: ptr("logs/"), Tags: []Tag{retain}, ObjectSizeGreaterThan: ptr[int64](1), ObjectSizeLessThan: ptr[int64](1000)}}, true},
		{"and one fails", Filter{And: &AndFilter{Prefix: ptr("logs/"), Tags: []Tag{retain, {Key: "x", Value: "y"}}}}, false},
		{"and size fails", Filter{And: &AndFilter{Prefix: ptr("logs/"), ObjectSizeLessThan: ptr[int64](50)}}, false},
	}
	for _, c := range cases {
		r := Rule{Status: StatusEnabled, Filter: &c.filter}
		if got := r.Matches(obj); got != c.want {
			t.Fatalf("%s: Matches = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestEarliestRuleWins(t *testing.T) {
	t.Parallel()
	date := day(2026, 2, 1, 0)
	l := Lifecycle{Rules: []Rule{
		{ID: "long", Status: StatusEnabled, Filter: &Filter{}, Expiration: &Expiration{Days: ptr(365)}},
		{ID: "date", Status: StatusEnabled, Filter: &Filter{Prefix: ptr("a")}, Expiration: &Expiration{Date: &date}},
	}}
	exp, ok := l.CurrentExpiry(Candidate{Key: "abc"}, day(2026, 1, 1, 0))
	if !ok || exp.RuleID != "date" || !exp.At.Equal(date) {
		t.Fatalf("CurrentExpiry = %+v, %v; want the Date rule", exp, ok)
	}
}

func TestNoncurrentAndUploads(t *testing.T) {
	t.Parallel()
	l := Lifecycle{Rules: []Rule{{
		ID: "r", Status: StatusEnabled, Filter: &Filter{Prefix: ptr("p/")},
		NoncurrentVersionExpiration:    &NoncurrentExpiration{NoncurrentDays: 2, NewerNoncurrentVersions: ptr(1)},
		AbortIncompleteMultipartUpload: &AbortIncomplete{DaysAfterInitiation: 1},
	}}}
	since := day(2026, 1, 1, 5)
	if _, ok := l.NoncurrentExpiry(Candidate{Key: "p/x"}, since, 0); ok {
		t.Fatalf("the newest noncurrent version is kept by NewerNoncurrentVersions=1")
	}
	exp, ok := l.NoncurrentExpiry(Candidate{Key: "p/x"}, since, 1)
	if !ok || !exp.At.Equal(day(2026, 1, 4, 0)) {
		t.Fatalf("NoncurrentExpiry = %+v, %v", exp, ok)
	}
	up, ok := l.UploadAbortAt("p/big", since)
	if !ok || !up.At.Equal(day(2026, 1, 3, 0)) {
		t.Fatalf("UploadAbortAt = %+v, %v", up, ok)
	}
	if _, ok := l.UploadAbortAt("q/big", since); ok {
		t.Fatalf("upload outside the prefix is aborted")
	}
}

func TestDeleteMarkerExpiry(t *testing.T) {
	t.Parallel()
	created := day(2026, 1, 1, 5)
	eodm := Lifecycle{Rules: []Rule{{Status: StatusEnabled, Filter: &Filter{}, Expiration: &Expiration{ExpiredObjectDeleteMarker: ptr(true)}}}}
	if exp, ok := eodm.DeleteMarkerExpiry("k", created); !ok || !exp.At.Equal(created) {
		t.Fatalf("ExpiredObjectDeleteMarker: %+v, %v; want at once", exp, ok)
	}
	days := runbookRule(7, StatusEnabled)
	if exp, ok := days.DeleteMarkerExpiry("executions/k", created); !ok || !exp.At.Equal(day(2026, 1, 9, 0)) {
		t.Fatalf("Days rule marker expiry: %+v, %v", exp, ok)
	}
	off := Lifecycle{Rules: []Rule{{Status: StatusEnabled, Filter: &Filter{}, Expiration: &Expiration{ExpiredObjectDeleteMarker: ptr(false)}}}}
	if _, ok := off.DeleteMarkerExpiry("k", created); ok {
		t.Fatalf("ExpiredObjectDeleteMarker=false removes markers")
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	ok := func() Rule {
		return Rule{ID: "a", Status: StatusEnabled, Filter: &Filter{Prefix: ptr("x/")}, Expiration: &Expiration{Days: ptr(1)}}
	}
	midday := day(2026, 1, 1, 12)
	tag := &Tag{Key: "k", Value: "v"}
	cases := []struct {
		name string
		edit func(r *Rule)
		code string
	}{
		{"valid", func(*Rule) {}, ""},
		{"legacy prefix", func(r *Rule) { r.Filter, r.Prefix = nil, ptr("x/") }, ""},
		{"bad status", func(r *Rule) { r.Status = "enabled" }, "MalformedXML"},
		{"no filter nor prefix", func(r *Rule) { r.Filter = nil }, "MalformedXML"},
		{"filter and prefix", func(r *Rule) { r.Prefix = ptr("x") }, "MalformedXML"},
		{"two filter members", func(r *Rule) { r.Filter.Tag = tag }, "MalformedXML"},
		{"no action", func(r *Rule) { r.Expiration = nil }, "InvalidRequest"},
		{"zero days", func(r *Rule) { r.Expiration.Days = ptr(0) }, "InvalidArgument"},
		{"days and date", func(r *Rule) { d := day(2026, 1, 1, 0); r.Expiration.Date = &d }, "MalformedXML"},
		{"date not midnight", func(r *Rule) { r.Expiration = &Expiration{Date: &midday} }, "InvalidArgument"},
		{"marker with tag", func(r *Rule) {
			r.Filter = &Filter{Tag: tag}
			r.Expiration = &Expiration{ExpiredObjectDeleteMarker: ptr(true)}
		}, "InvalidRequest"},
		{"abort with tag", func(r *Rule) {
			r.Filter = &Filter{Tag: tag}
			r.AbortIncompleteMultipartUpload = &AbortIncomplete{DaysAfterInitiation: 1}
		}, "InvalidRequest"},
		{"long id", func(r *Rule) { r.ID = string(make([]byte, 256)) }, "InvalidArgument"},
		{"size range inverted", func(r *Rule) {
			r.Filter = &Filter{And: &AndFilter{ObjectSizeGreaterThan: ptr[int64](10), ObjectSizeLessThan: ptr[int64](5)}}
		}, "InvalidArgument"},
	}
	for _, c := range cases {
		r := ok()
		c.edit(&r)
		l := Lifecycle{Rules: []Rule{r}}
		err := l.Validate()
		if c.code == "" {
			if err != nil {
				t.Fatalf("%s: Validate = %v, want nil", c.name, err)
			}
			continue
		}
		var ae *awserr.Error
		if !errors.As(err, &ae) || ae.Code != c.code {
			t.Fatalf("%s: Validate = %v, want %s", c.name, err, c.code)
		}
	}
	dup := Lifecycle{Rules: []Rule{ok(), ok()}}
	if err := dup.Validate(); err == nil {
		t.Fatalf("duplicate rule IDs accepted")
	}
	if err := (&Lifecycle{}).Validate(); err == nil {
		t.Fatalf("empty configuration accepted")
	}
}
