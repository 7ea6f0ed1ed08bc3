package filterpattern

import (
	"errors"
	"testing"
)

const (
	apacheLine = `127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 404 1534`
	jsonEvent  = `{"eventType":"UpdateTrail","sourceIPAddress":"123.123.123.123","latency":120,"error":true,` +
		`"user":{"id":1,"email":"John.Doe@example.com","name":null},` +
		`"users":[{"id":2,"email":"a@example.com"},{"id":3}],"tags":["blue","red"],"ratio":1.5e2,"status":"200"}`
)

func TestMatch(t *testing.T) {
	t.Parallel()
	cases := []struct {
		pattern string
		message string
		want    bool
	}{
		// Unstructured text.
		{"", "anything", true},
		{"   ", "anything", true},
		{"ERROR", "[ERROR] 400 BadRequest", true},
		{"ERROR", "[error] 400 BadRequest", false}, // case sensitive
		{"ERROR Exception", "ERROR: Exception thrown", true},
		{"ERROR Exception", "ERROR: thrown", false},
		{"?ERROR ?WARN", "WARN disk 91%", true},
		{"?ERROR ?WARN", "INFO fine", false},
		{"ERROR -Exiting", "ERROR retrying", true},
		{"ERROR -Exiting", "ERROR Exiting now", false},
		{`"bad request"`, "got bad request from client", true},
		{`"bad request"`, "got bad  request", false},
		{`"say \"hi\""`, `he said "hi"`, false},
		{`"say \"hi\""`, `say "hi" twice`, true},
		{"execution-id", "stage failed for execution-id 42", true},
		{"execution-id", "stage failed for execution 42", false},
		{`%5\d\d%`, "status=503", true},
		{`%5\d\d%`, "status=404", false},
		{`ERROR -%timeout|retry%`, "ERROR timeout", false},
		{`ERROR -%timeout|retry%`, "ERROR crash", true},
		{`?"disk full" ?%OOM%`, "killed: OOM", true},
		{"-", "a - b", true},

		// JSON.
		{`{ $.eventType = "UpdateTrail" }`, jsonEvent, true},
		{`{ $.eventType = UpdateTrail }`, jsonEvent, true},
		{`{ $.eventType = "Update*" }`, jsonEvent, true},
		{`{ $.eventType = "*Trail" }`, jsonEvent, true},
		{`{ $.eventType = "*Tr*l" }`, jsonEvent, true},
		{`{ $.eventType = "Delete*" }`, jsonEvent, false},
		{`{ $.eventType != "UpdateTrail" }`, jsonEvent, false},
		{`{ $.eventType != "DeleteTrail" }`, jsonEvent, true},
		{`{ $.missing != "x" }`, jsonEvent, false},
		{`{ $.sourceIPAddress != 123.123.* }`, jsonEvent, false},
		{`{ $.latency > 100 }`, jsonEvent, true},
		{`{ $.latency >= 120 }`, jsonEvent, true},
		{`{ $.latency < 120 }`, jsonEvent, false},
		{`{ $.latency <= 120 }`, jsonEvent, true},
		{`{ $.latency = 120 }`, jsonEvent, true},
		{`{ $.latency = 1.2e2 }`, jsonEvent, true},
		{`{ $.latency != 120 }`, jsonEvent, false},
		{`{ $.ratio = 150 }`, jsonEvent, true},
		{`{ $.status = 200 }`, jsonEvent, true},
		{`{ $.status = "200" }`, jsonEvent, true},
		{`{ $.eventType > 1 }`, jsonEvent, false},
		{`{ $.error IS TRUE }`, jsonEvent, true},
		{`{ $.error IS FALSE }`, jsonEvent, false},
		{`{ $.user.name IS NULL }`, jsonEvent, true},
		{`{ $.user.email IS NULL }`, jsonEvent, false},
		{`{ $.user.phone NOT EXISTS }`, jsonEvent, true},
		{`{ $.user.email NOT EXISTS }`, jsonEvent, false},
		{`{ $.user.id = 1 && $.latency > 100 }`, jsonEvent, true},
		{`{ $.user.id = 2 && $.latency > 100 }`, jsonEvent, false},
		{`{ $.user.id = 2 || $.latency > 100 }`, jsonEvent, true},
		{`{ ($.user.id = 2 && $.latency > 100) || $.error IS TRUE }`, jsonEvent, true},
		{`{ $.user.id = 2 && ($.latency > 100 || $.error IS TRUE) }`, jsonEvent, false},
		{`{ $.user.id = 2 && $.latency > 100 || $.error IS TRUE }`, jsonEvent, true},
		{`{ $.users[0].email = "a@example.com" }`, jsonEvent, true},
		{`{ $.users[1].email NOT EXISTS }`, jsonEvent, true},
		{`{ $.users[5].id = 2 }`, jsonEvent, false},
		{`{ $.users[*].id = 3 }`, jsonEvent, true},
		{`{ $.tags[*] = "red" }`, jsonEvent, true},
		{`{ $.tags[1] = "blue" }`, jsonEvent, false},
		{`{ $.user.* = 1 }`, jsonEvent, true},
		{`{ $.user.email = %[A-Z][a-z]+\.Doe% }`, jsonEvent, true},
		{`{ $.user.email != %Smith% }`, jsonEvent, true},
		{`{ $.user = "x" }`, jsonEvent, false},
		{`{ $.eventType = "UpdateTrail" }`, "not json UpdateTrail", false},
		{`{ $.eventType = "UpdateTrail" }`, `{"eventType":"UpdateTrail"} trailing`, false},
		{`{$.eventType="UpdateTrail"}`, jsonEvent, true},
		{`{ $.latency is true }`, jsonEvent, false},

		// Space-delimited.
		{`[ip, user, username, timestamp, request, status_code, bytes]`, apacheLine, true},
		{`[ip, user, username, timestamp, request, status_code = 404, bytes]`, apacheLine, true},
		{`[ip, user, username, timestamp, request, status_code = 200, bytes]`, apacheLine, false},
		{`[ip, user, username, timestamp, request, status_code = 4*, bytes]`, apacheLine, true},
		{`[ip, user, username, timestamp, request, status_code = 5* || status_code = 4*, bytes]`, apacheLine, true},
		{`[ip, user, username, timestamp, request, status_code = 5* || status_code = 2*, bytes]`, apacheLine, false},
		{`[ip, user, username, timestamp, request, status_code >= 400 && status_code < 500, bytes > 1000]`, apacheLine, true},
		{`[ip, user, username, timestamp, request, status_code, bytes < 1000]`, apacheLine, false},
		{`[ip, user, username, timestamp, request = "*apache_pb*", status_code, bytes]`, apacheLine, true},
		{`[ip, user, username = frank, ...]`, apacheLine, true},
		{`[..., status_code = 404, bytes]`, apacheLine, true},
		{`[ip = 127.0.0.1, ..., bytes = 1534]`, apacheLine, true},
		{`[ip, ..., ..., bytes = 1534]`, apacheLine, true},
		{`[ip, user, username, timestamp, request, status_code]`, apacheLine, false}, // too few fields
		{`[ip, user, username, timestamp, request, status_code, bytes, extra]`, apacheLine, false},
		{`[ip, user, username, timestamp = %Oct/2000%, ...]`, apacheLine, true},
		{`[...]`, apacheLine, true},
		{`[a, b]`, "one two", true},
		{`[a, b]`, "one", false},
	}
	for _, c := range cases {
		p, err := Parse(c.pattern)
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.pattern, err)
		}
		if got := p.Match(c.message); got != c.want {
			t.Errorf("Parse(%q).Match(%q) = %v, want %v", c.pattern, c.message, got, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	bad := []string{
		`"unterminated`,
		`%unterminated`,
		`%%`,
		`%a[%`,
		`%a% %b% %c%`,                  // three regular expressions
		`%aaaaaaaaaaaaaaaaaaaaaaaaaa%`, // 26 characters
		`{ $.a = 1`,
		`{ a = 1 }`,
		`{ $.a 1 }`,
		`{ $.a = }`,
		`{ $.a > abc }`,
		`{ $.a IS MAYBE }`,
		`{ $.a NOT THERE }`,
		`{ ($.a = 1 }`,
		`{ $.a = 1 } extra`,
		`{ $.a[x] = 1 }`,
		`{ $. = 1 }`,
		`{ $.a = 1 && }`,
		`[a, b`,
		`[a b]`,
		`[a, status = 4* || other = 5*]`,
		`[a, b > x]`,
		`[a] extra`,
	}
	for _, s := range bad {
		_, err := Parse(s)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) error = %v, want a *SyntaxError", s, err)
		}
	}
}

func TestRequiredLiterals(t *testing.T) {
	t.Parallel()
	p, err := Parse(`ERROR "disk full" ?a -b %x%`)
	if err != nil {
		t.Fatal(err)
	}
	got := p.RequiredLiterals()
	if len(got) != 2 || got[0] != "ERROR" || got[1] != "disk full" {
		t.Fatalf("RequiredLiterals = %q, want [ERROR disk full]", got)
	}
	j, err := Parse(`{ $.a = 1 }`)
	if err != nil {
		t.Fatal(err)
	}
	if got := j.RequiredLiterals(); len(got) != 0 {
		t.Fatalf("RequiredLiterals of a JSON pattern = %q, want none", got)
	}
}

func FuzzParseMatch(f *testing.F) {
	for _, s := range []string{`ERROR -x ?y "a b" %c+%`, `{ $.a[0].b = "x*" && ($.c > 1 || $.d IS NULL) }`,
		`[a, ..., b = 4* || b = 5*, c > 1]`, `{ $.a NOT EXISTS }`} {
		f.Add(s, apacheLine)
		f.Add(s, jsonEvent)
	}
	f.Fuzz(func(t *testing.T, pattern, message string) {
		p, err := Parse(pattern)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) returned %T, want *SyntaxError", pattern, err)
			}
			return
		}
		first := p.Match(message)
		if p.Match(message) != first {
			t.Fatalf("Match is not deterministic for %q on %q", pattern, message)
		}
		if first {
			for _, lit := range p.RequiredLiterals() {
				if !containsString(message, lit) {
					t.Fatalf("pattern %q matched %q without required literal %q", pattern, message, lit)
				}
			}
		}
	})
}

func containsString(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func BenchmarkMatchText(b *testing.B) {
	for _, pattern := range []string{`ERROR`, `GET -POST ?frank ?bob`, `[ip, user, username, timestamp, request, status_code = 404, bytes]`, `[ip, ..., status_code = 4*, bytes > 1000]`} {
		p, err := Parse(pattern)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(pattern, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p.Match(apacheLine)
			}
		})
	}
}
