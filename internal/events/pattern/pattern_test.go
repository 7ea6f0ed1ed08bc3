package pattern

import (
	"errors"
	"testing"
)

// event is the example event of the EventBridge user guide's "Content filtering" and "Event
// patterns" pages, with the fields those pages' examples filter on.
const event = `{
  "version": "0",
  "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "EC2 Instance State-change Notification",
  "source": "aws.ec2",
  "account": "111122223333",
  "time": "2017-12-22T18:43:48Z",
  "region": "us-west-1",
  "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
  "detail": {
    "instance-id": "i-1234567890abcdef0",
    "state": "terminated",
    "c-count": 5,
    "d-count": 3,
    "x-limit": 301.8,
    "source-ip": "10.0.0.123",
    "filename": "dir/subdir/file.png",
    "eventName": "CreateBucket",
    "location": null,
    "tags": ["prod", "eu"],
    "items": [{"kind": "a", "n": 1}, {"kind": "b", "n": 2}],
    "Type": "Notification"
  }
}`

func TestMatch(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		pattern string
		want    bool
	}{
		{"source exact", `{"source": ["aws.ec2"]}`, true},
		{"source other", `{"source": ["aws.s3"]}`, false},
		{"one of values", `{"detail": {"state": ["running", "terminated"]}}`, true},
		{"several fields all must match", `{"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"], "detail": {"state": ["running"]}}`, false},
		{"resources array any element", `{"resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"]}`, true},
		{"event array any element", `{"detail": {"tags": ["eu"]}}`, true},
		{"event array no element", `{"detail": {"tags": ["us"]}}`, false},
		{"number exact", `{"detail": {"c-count": [5]}}`, true},
		{"number exact other", `{"detail": {"c-count": [6]}}`, false},
		{"number is not a string", `{"detail": {"c-count": ["5"]}}`, false},
		{"null matches null", `{"detail": {"location": [null]}}`, true},
		{"null does not match missing", `{"detail": {"missing": [null]}}`, false},
		{"prefix", `{"detail": {"instance-id": [{"prefix": "i-12"}]}}`, true},
		{"prefix miss", `{"detail": {"instance-id": [{"prefix": "i-99"}]}}`, false},
		{"prefix ignore case", `{"detail": {"eventName": [{"prefix": {"equals-ignore-case": "create"}}]}}`, true},
		{"suffix", `{"detail": {"filename": [{"suffix": ".png"}]}}`, true},
		{"suffix miss", `{"detail": {"filename": [{"suffix": ".jpg"}]}}`, false},
		{"suffix ignore case", `{"detail": {"filename": [{"suffix": {"equals-ignore-case": ".PNG"}}]}}`, true},
		{"equals-ignore-case", `{"detail": {"eventName": [{"equals-ignore-case": "createbucket"}]}}`, true},
		{"wildcard", `{"detail": {"filename": [{"wildcard": "dir/*.png"}]}}`, true},
		{"wildcard middle", `{"detail": {"filename": [{"wildcard": "dir/*/file.*"}]}}`, true},
		{"wildcard miss", `{"detail": {"filename": [{"wildcard": "*/other/*"}]}}`, false},
		{"wildcard escaped star", `{"detail": {"filename": [{"wildcard": "dir\\*"}]}}`, false},
		{"anything-but value", `{"detail": {"state": [{"anything-but": "initializing"}]}}`, true},
		{"anything-but value excluded", `{"detail": {"state": [{"anything-but": "terminated"}]}}`, false},
		{"anything-but list", `{"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}}`, true},
		{"anything-but number", `{"detail": {"c-count": [{"anything-but": [5, 6]}]}}`, false},
		{"anything-but prefix", `{"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}`, true},
		{"anything-but prefix excluded", `{"detail": {"state": [{"anything-but": {"prefix": "term"}}]}}`, false},
		{"anything-but suffix", `{"detail": {"filename": [{"anything-but": {"suffix": ".txt"}}]}}`, true},
		{"anything-but ignore case", `{"detail": {"state": [{"anything-but": {"equals-ignore-case": ["TERMINATED", "Running"]}}]}}`, false},
		{"anything-but wildcard", `{"detail": {"filename": [{"anything-but": {"wildcard": "*.png"}}]}}`, false},
		{"anything-but missing field", `{"detail": {"missing": [{"anything-but": "x"}]}}`, false},
		{"numeric range", `{"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}}`, true},
		{"numeric range miss", `{"detail": {"d-count": [{"numeric": ["<", 3]}]}}`, false},
		{"numeric equals", `{"detail": {"x-limit": [{"numeric": ["=", 301.8]}]}}`, true},
		{"numeric on string", `{"detail": {"state": [{"numeric": [">", 0]}]}}`, false},
		{"exists true", `{"detail": {"c-count": [{"exists": true}]}}`, true},
		{"exists true missing", `{"detail": {"missing": [{"exists": true}]}}`, false},
		{"exists false", `{"detail": {"missing": [{"exists": false}]}}`, true},
		{"exists false present", `{"detail": {"c-count": [{"exists": false}]}}`, false},
		{"exists false whole object missing", `{"missing-object": {"x": [{"exists": false}]}}`, true},
		{"cidr", `{"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}}`, true},
		{"cidr miss", `{"detail": {"source-ip": [{"cidr": "10.0.1.0/24"}]}}`, false},
		{"array of objects", `{"detail": {"items": {"kind": ["b"], "n": [2]}}}`, true},
		{"array of objects same element", `{"detail": {"items": {"kind": ["a"], "n": [2]}}}`, false},
		{"or across fields", `{"$or": [{"detail": {"c-count": [{"numeric": [">", 10]}]}}, {"detail": {"d-count": [3]}}]}`, true},
		{"or none", `{"$or": [{"detail": {"c-count": [1]}}, {"detail": {"d-count": [1]}}]}`, false},
		{"or nested with others", `{"source": ["aws.ec2"], "detail": {"$or": [{"state": ["x"]}, {"c-count": [5]}]}}`, true},
		{"matcher list mixes kinds", `{"detail": {"state": ["running", {"prefix": "term"}]}}`, true},
		{"step functions failure rule", `{"source": ["aws.states"], "detail-type": ["Step Functions Execution Status Change"], "detail": {"status": ["FAILED", "TIMED_OUT", "ABORTED"]}}`, false},
		{"field name case sensitive", `{"detail": {"type": ["Notification"]}}`, false},
	}
	for _, c := range cases {
		p, err := Compile(c.pattern)
		if err != nil {
			t.Fatalf("%s: compile %s: %v", c.name, c.pattern, err)
		}
		got, err := p.Match([]byte(event))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got != c.want {
			t.Errorf("%s: %s matched %v, want %v", c.name, c.pattern, got, c.want)
		}
	}
}

func TestStepFunctionsFailureRule(t *testing.T) {
	t.Parallel()
	p, err := Compile(`{"source":["aws.states"],"detail-type":["Step Functions Execution Status Change"],"detail":{"status":["FAILED","TIMED_OUT","ABORTED"],"stateMachineArn":["arn:aws:states:us-east-1:123456789012:stateMachine:Ceap-batch-Workflow"]}}`)
	if err != nil {
		t.Fatal(err)
	}
	ev := func(status string) []byte {
		return []byte(`{"version":"0","id":"x","detail-type":"Step Functions Execution Status Change","source":"aws.states","account":"123456789012","time":"2024-01-01T00:00:00Z","region":"us-east-1","resources":["arn:aws:states:us-east-1:123456789012:execution:Ceap-batch-Workflow:e1"],"detail":{"executionArn":"arn:aws:states:us-east-1:123456789012:execution:Ceap-batch-Workflow:e1","stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:Ceap-batch-Workflow","name":"e1","status":"` + status + `","startDate":1704067200000,"stopDate":null,"input":"{}","output":null}}`)
	}
	for status, want := range map[string]bool{"FAILED": true, "TIMED_OUT": true, "ABORTED": true, "SUCCEEDED": false, "RUNNING": false} {
		got, err := p.Match(ev(status))
		if err != nil || got != want {
			t.Errorf("status %s: matched %v (%v), want %v", status, got, err, want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	for _, src := range []string{
		`not json`,
		`[]`,
		`{}`,
		`{"source": "aws.ec2"}`,
		`{"source": []}`,
		`{"detail": {"x": [{"numeric": [">", "a"]}]}}`,
		`{"detail": {"x": [{"numeric": ["!", 1]}]}}`,
		`{"detail": {"x": [{"numeric": ["=", 1, "<", 2]}]}}`,
		`{"detail": {"x": [{"exists": "yes"}]}}`,
		`{"detail": {"x": [{"prefix": 1}]}}`,
		`{"detail": {"x": [{"unknown": 1}]}}`,
		`{"detail": {"x": [{"prefix": "a", "suffix": "b"}]}}`,
		`{"detail": {"x": [{"wildcard": "a**b"}]}}`,
		`{"detail": {"x": [{"cidr": "nope"}]}}`,
		`{"detail": {"x": [{"anything-but": [{"prefix": "a"}]}]}}`,
		`{"$or": [{"a": ["b"]}]}`,
	} {
		_, err := Compile(src)
		var pe *Error
		if !errors.As(err, &pe) {
			t.Errorf("Compile(%s) = %v, want a pattern error", src, err)
		}
	}
}

func FuzzCompileMatch(f *testing.F) {
	f.Add(`{"source":["a",{"prefix":"b"}],"detail":{"n":[{"numeric":[">",1]}]}}`, `{"source":"abc","detail":{"n":2}}`)
	f.Add(`{"$or":[{"a":[{"wildcard":"*x*"}]},{"b":[{"exists":false}]}]}`, `{"a":["yxz"]}`)
	f.Fuzz(func(t *testing.T, pat, ev string) {
		p, err := Compile(pat)
		if err != nil {
			return
		}
		p.Match([]byte(ev))
	})
}
