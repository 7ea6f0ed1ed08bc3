package insights

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// events are small JSON and text events, one a minute apart.
func events(msgs ...string) []Event {
	out := make([]Event, len(msgs))
	for i, m := range msgs {
		out[i] = Event{Timestamp: base + int64(i)*60000, Ingestion: base + int64(i)*60000 + 1, Message: m, Stream: "s1", Group: "acct:g", ID: int64(i)}
	}
	return out
}

// rowsText writes rows as "a=1 b=2; a=3" for compact expectations.
func rowsText(rows [][]Field) string {
	var parts []string
	for _, r := range rows {
		var fs []string
		for _, f := range r {
			if f.Name == "@ptr" {
				continue
			}
			fs = append(fs, f.Name+"="+f.Value)
		}
		parts = append(parts, strings.Join(fs, " "))
	}
	return strings.Join(parts, "; ")
}

func TestCommands(t *testing.T) {
	t.Parallel()
	evs := events(
		`{"user":"ann","ms":5,"path":"/a","http":{"status":200}}`,
		`{"user":"bob","ms":50,"path":"/b","http":{"status":500}}`,
		`{"user":"ann","ms":7,"path":"/b","http":{"status":404}}`,
		`plain text user=cid took 12ms`,
		`{"user":"dee","ms":"n/a","tags":["x","y"]}`,
	)
	cases := []struct{ name, query, want string }{
		{"fields and filter", `fields user | filter ms > 6`, "user=bob; user=ann"},
		{"alias and arithmetic", `fields ms * 2 + 1 as twice | filter ispresent(twice)`, "twice=11; twice=101; twice=15"},
		{"nested JSON field", `fields user, http.status | filter http.status >= 400`, "user=bob http.status=500; user=ann http.status=404"},
		{"array member", `fields tags.1 | filter ispresent(tags.1)`, "tags.1=y"},
		{"not equal", `fields user | filter user != "ann"`, "user=bob; user=dee"},
		{"in list", `fields user | filter user in ["bob", "dee"]`, "user=bob; user=dee"},
		{"not in list", `fields user | filter user not in ["bob", "dee"]`, "user=ann; user=ann"},
		{"like substring", `fields @message | filter @message like "took"`, "@message=plain text user=cid took 12ms"},
		{"like is case-sensitive", `fields user | filter @message like "TOOK"`, ""},
		{"regex", `fields user | filter user =~ /^a/`, "user=ann; user=ann"},
		{"case-insensitive regex", `fields user | filter user like /(?i)^ANN$/`, "user=ann; user=ann"},
		{"not like", `fields user | filter ispresent(user) and user not like /a/`, "user=bob; user=dee"},
		{"and or not parentheses", `fields user | filter (user = "ann" or user = "bob") and not ms < 6`, "user=bob; user=ann"},
		{"missing field compares false", `fields user | filter nosuch = "x" or nosuch != "x"`, ""},
		{"sort several keys", `fields user, ms | filter ispresent(ms) | sort user desc, ms asc`, "user=dee ms=n/a; user=bob ms=50; user=ann ms=5; user=ann ms=7"},
		{"sort numbers after strings", `fields ms | filter ispresent(ms) | sort ms`, "ms=n/a; ms=5; ms=7; ms=50"},
		{"limit", `fields user | filter ispresent(user) | limit 2`, "user=ann; user=bob"},
		{"sort then limit keeps the top", `fields ms | filter ispresent(ms) | sort ms desc | limit 2`, "ms=50; ms=7"},
		{"dedup", `fields user | filter ispresent(user) | dedup user`, "user=ann; user=bob; user=dee"},
		{"display", `fields user, ms | display ms`, "ms=5; ms=50; ms=7; ; ms=n/a"},
		{"parse glob", `parse @message "user=* took *ms" as who, took | filter ispresent(who) | fields who, took`, "who=cid took=12"},
		{"parse regex", `parse @message /user=(?<who>\w+) took (?<n>\d+)/ | filter ispresent(who) | display who, n`, "who=cid n=12"},
		{"stats count", `stats count(*) as n, count(ms), count_distinct(user)`, "n=5 count(ms)=4 count_distinct(user)=3"},
		{"stats sum by", `stats sum(ms) as total by user | sort total desc`, "user=bob total=50; user=ann total=12; user=dee"},
		{"stats expression", `filter ispresent(http.status) | stats sum(ms) / count(*) as mean`, "mean=20.666666666666668"},
		{"stats earliest latest", `filter user = "ann" | stats earliest(path) as first, latest(path) as last`, "first=/a last=/b"},
		{"stats bin", `stats count(*) by bin(2m)`, "bin(2m)=2026-03-01 12:00:00.000 count(*)=2; bin(2m)=2026-03-01 12:02:00.000 count(*)=2; bin(2m)=2026-03-01 12:04:00.000 count(*)=1"},
		{"fields after stats", `stats max(ms) as top by user | fields top * 2 as double | filter user = "bob"`, "user=bob top=50 double=100"},
		{"default fields", `filter user = "bob"`, "@timestamp=2026-03-01 12:01:00.000 @message={\"user\":\"bob\",\"ms\":50,\"path\":\"/b\",\"http\":{\"status\":500}} @logStream=s1 @log=acct:g"},
		{"system fields", `fields @ingestionTime, @logStream, @log | limit 1`, "@ingestionTime=2026-03-01 12:00:00.001 @logStream=s1 @log=acct:g"},
		{"backquoted field", "fields `http.status` as st | filter st = 200", "st=200"},
		{"comment", "fields user # who\n| limit 1", "user=ann"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := rowsText(run(t, c.query, evs)); got != c.want {
				t.Fatalf("%s\n got %q\nwant %q", c.query, got, c.want)
			}
		})
	}
}

func TestFunctions(t *testing.T) {
	t.Parallel()
	evs := events(`{"name":"  Mixed Case  ","n":-2.5,"empty":"","ts":"2026-03-01 12:07:31.250"}`)
	cases := []struct{ expr, want string }{
		{`strlen(name)`, "14"},
		{`tolower(trim(name))`, "mixed case"},
		{`toupper(ltrim(name))`, "MIXED CASE  "},
		{`concat(rtrim(name), "!", n)`, "  Mixed Case!-2.5"},
		{`substr(trim(name), 6)`, "Case"},
		{`substr(trim(name), 0, 5)`, "Mixed"},
		{`replace(name, " ", "_")`, "__Mixed_Case__"},
		{`strcontains(name, "Case")`, "true"},
		{`strcontains(name, "case")`, "false"},
		{`ispresent(nosuch)`, "false"},
		{`isempty(empty)`, "true"},
		{`isempty(name)`, "false"},
		{`isblank(name)`, "false"},
		{`abs(n)`, "2.5"},
		{`ceil(n)`, "-2"},
		{`floor(n)`, "-3"},
		{`coalesce(nosuch, empty, name)`, ""},
		{`coalesce(nosuch, n)`, "-2.5"},
		{`greatest(1, n, 7)`, "7"},
		{`least(1, n, 7)`, "-2.5"},
		{`datefloor(ts, 5m)`, "2026-03-01 12:05:00.000"},
		{`dateceil(ts, 1h)`, "2026-03-01 13:00:00.000"},
		{`datefloor(@timestamp, 1d)`, "2026-03-01 00:00:00.000"},
		{`datefloor(@timestamp, 1mo)`, "2026-03-01 00:00:00.000"},
		{`tomillis(@timestamp)`, "1772366400000"},
		{`frommillis(1772366400000)`, "2026-03-01 12:00:00.000"},
		{`7 % 4 + 2 ^ 3`, "11"},
		{`1 / 0`, ""},
		{`-n`, "2.5"},
	}
	for _, c := range cases {
		t.Run(c.expr, func(t *testing.T) {
			t.Parallel()
			rows := run(t, "fields "+c.expr+" as v", evs)
			got, _ := get(rows[0], "v")
			if got != c.want {
				t.Fatalf("%s = %q, want %q", c.expr, got, c.want)
			}
		})
	}
}

func TestStopsEarlyWithoutSort(t *testing.T) {
	t.Parallel()
	q, err := Parse(`filter @message like "x" | limit 2`)
	if err != nil {
		t.Fatal(err)
	}
	r := q.Start(0)
	evs := events("x1", "y", "x2", "x3")
	wants := []bool{true, true, false}
	for i, want := range wants {
		if got := r.Add(&evs[i]); got != want {
			t.Fatalf("Add(%d) = %v, want %v", i, got, want)
		}
	}
	if got := rowsText(r.Finish()); got != "@timestamp=2026-03-01 12:00:00.000 @message=x1 @logStream=s1 @log=acct:g; @timestamp=2026-03-01 12:02:00.000 @message=x2 @logStream=s1 @log=acct:g" {
		t.Fatalf("rows = %q", got)
	}
}

func TestResultCap(t *testing.T) {
	t.Parallel()
	q, err := Parse(`fields @message | sort @timestamp desc`)
	if err != nil {
		t.Fatal(err)
	}
	r := q.Start(3)
	evs := events("a", "b", "c", "d", "e")
	for i := range evs {
		r.Add(&evs[i])
	}
	if got := column(r.Finish(), "@message"); !reflect.DeepEqual(got, []string{"e", "d", "c"}) {
		t.Fatalf("rows = %v", got)
	}
}

func TestSyntaxErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		query     string
		line, pos int
	}{
		{`fields @message | bogus x`, 1, 19},
		{"fields a\n| filter a = ", 2, 14},
		{`filter a like`, 1, 14},
		{`stats avg(x) by`, 1, 16},
		{`stats x by y`, 1, 7},
		{`limit 0`, 1, 7},
		{`limit 100001`, 1, 7},
		{`fields nosuchfn(a)`, 1, 8},
		{`fields strlen(a, b)`, 1, 8},
		{`filter a = "unterminated`, 1, 12},
		{`parse @message "* *" as a`, 1, 16},
		{`parse @message /(\w+)/`, 1, 16},
		{`filter a =~ /(/`, 1, 13},
		{`SOURCE | fields a`, 1, 8},
		{``, 1, 1},
		{`fields a ~ b`, 1, 10},
		{`fields datefloor(@timestamp, x)`, 1, 8},
		{`stats avg(count(*))`, 1, 11},
	}
	for _, c := range cases {
		_, err := Parse(c.query)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Fatalf("Parse(%q) = %v, want a SyntaxError", c.query, err)
		}
		if se.Line != c.line || se.Position != c.pos {
			t.Errorf("Parse(%q): %v, want line %d position %d", c.query, se, c.line, c.pos)
		}
	}
}

func TestNaturalSort(t *testing.T) {
	t.Parallel()
	// The documented example of an ascending sort.
	in := []string{"0", "a12345hfh", "@_", "#", "5A", "1", "A9876fghj", "111A", "!:", "2345_", "*%04", "0#", "@", "A", "3", "2", "01"}
	want := []string{"!:", "#", "*%04", "0#", "5A", "111A", "2345_", "@", "@_", "A", "A9876fghj", "a12345hfh", "0", "01", "1", "2", "3"}
	var msgs []string
	for _, s := range in {
		msgs = append(msgs, `{"v":"`+s+`"}`)
	}
	got := column(run(t, `fields v | sort v asc`, events(msgs...)), "v")
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("sorted = %v\nwant     %v", got, want)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`fields @timestamp, executionId, stage, errorMessage | filter status = "FAILED" | sort @timestamp desc | limit 50`,
		`fields stage, duration | stats avg(duration), max(duration), min(duration) by stage | sort avg(duration) desc`,
		`fields @timestamp, @message | filter @message like /AccessDenied|NoSuchKey/ | sort @timestamp desc | limit 20`,
		`SOURCE '/aws/stepfunction/WorkflowName' | fields @timestamp, @message | filter @message like /ERROR/`,
		`parse @message "user=* took *ms" as who, took | stats count(*) by bin(5m), who`,
		"fields `a b` as c | dedup c | display c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Parse(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) returned %T, not a SyntaxError", s, err)
			}
			if se.StartOffset < 0 || se.StartOffset > len(s) || se.EndOffset < se.StartOffset || se.EndOffset > len(s) {
				t.Fatalf("Parse(%q): offsets %d..%d out of range", s, se.StartOffset, se.EndOffset)
			}
			return
		}
		r := q.Start(10)
		evs := events(`{"a":1,"b":"x","c":{"d":[1,2]}}`, "plain")
		for i := range evs {
			r.Add(&evs[i])
		}
		if rows := r.Finish(); len(rows) > 10 {
			t.Fatalf("Parse(%q): %d rows over the cap", s, len(rows))
		}
	})
}
