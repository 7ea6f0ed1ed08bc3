package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/ceap/ceap/examples/ceap/stages/stage"
)

const storeOutput = `{"executionId":"run-1","stage":"StoreTask","programId":"P","marketplace":"US","resultsKey":"results/P/run-1.json",
	"candidates":[{"customerId":"a","subjectId":"s","score":0.9,"scoreSource":"model"},{"customerId":"b","subjectId":"s","score":0.8,"scoreSource":"model"},
	{"customerId":"c","subjectId":"s","score":0.5,"scoreSource":"model"},{"customerId":"d","subjectId":"s","score":0.1,"scoreSource":"fallback"}]}`

type recordingPublisher struct {
	mu     sync.Mutex
	bodies []string
	err    error
}

func (p *recordingPublisher) publish(_ context.Context, _ Summary, body []byte) (Publication, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return Publication{}, p.err
	}
	p.bodies = append(p.bodies, string(body))
	return Publication{Target: "recorder", ID: "id-1"}, nil
}

func input(data string) *stage.Input {
	return &stage.Input{
		Payload: stage.Payload{ExecutionID: "run-1", CurrentStage: "ReactiveTask", PreviousStage: "StoreTask", WorkflowBucket: "b"},
		Data:    []byte(data),
		Now:     time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC),
		Log:     slog.New(slog.NewJSONHandler(io.Discard, nil)),
	}
}

func TestReactivePublishesSummary(t *testing.T) {
	t.Parallel()
	rec := &recordingPublisher{}
	out, err := reactive{publishers: []publisher{rec}}.run(context.Background(), input(storeOutput))
	if err != nil || out.Records != 4 {
		t.Fatalf("run = %+v, %v", out, err)
	}
	if len(rec.bodies) != 1 {
		t.Fatalf("published %d summaries, want 1", len(rec.bodies))
	}
	var s Summary
	if err := json.Unmarshal([]byte(rec.bodies[0]), &s); err != nil {
		t.Fatal(err)
	}
	if s.ExecutionID != "run-1" || s.ProgramID != "P" || s.Candidates != 4 || s.FallbackCount != 1 ||
		len(s.Top) != 3 || s.Top[0].CustomerID != "a" || s.Top[2].Score != 0.5 || s.ResultsKey != "results/P/run-1.json" ||
		s.CompletedAt != "2026-03-01T09:00:00Z" {
		t.Fatalf("summary %+v", s)
	}
	doc := out.Document.(document)
	if doc.Stage != "ReactiveTask" || len(doc.Published) != 1 || doc.Published[0].ID != "id-1" || doc.Summary.Candidates != 4 {
		t.Fatalf("output %+v", doc)
	}
}

func TestReactiveWithoutTargetsStillWritesSummary(t *testing.T) {
	t.Parallel()
	out, err := reactive{}.run(context.Background(), input(`{"candidates":[]}`))
	if err != nil || out.Records != 0 {
		t.Fatalf("run = %+v, %v", out, err)
	}
	body, _ := json.Marshal(out.Document)
	if !strings.Contains(string(body), `"published":[]`) || !strings.Contains(string(body), `"topCandidates":[]`) {
		t.Fatalf("output %s", body)
	}
}

func TestReactivePublishFailureFailsStage(t *testing.T) {
	t.Parallel()
	boom := errors.New("topic unavailable")
	_, err := reactive{publishers: []publisher{&recordingPublisher{err: boom}}}.run(context.Background(), input(storeOutput))
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the publish error", err)
	}
}

func awsConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(endpoint),
	}
}

func TestTopicPublisherSendsSNSPublish(t *testing.T) {
	t.Parallel()
	var form url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		form = r.PostForm
		w.Header().Set("Content-Type", "text/xml")
		_, _ = io.WriteString(w, `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-1</MessageId></PublishResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>`)
	}))
	defer srv.Close()
	p := &topicPublisher{client: sns.NewFromConfig(awsConfig(srv.URL)), topicARN: "arn:aws:sns:us-east-1:123456789:summaries"}
	pub, err := p.publish(context.Background(), Summary{ProgramID: "P"}, []byte(`{"x":1}`))
	if err != nil || pub.ID != "m-1" || pub.Target != p.topicARN {
		t.Fatalf("publish = %+v, %v", pub, err)
	}
	if form.Get("Action") != "Publish" || form.Get("TopicArn") != p.topicARN || form.Get("Message") != `{"x":1}` ||
		form.Get("MessageAttributes.entry.1.Value.StringValue") != "P" {
		t.Fatalf("request %v", form)
	}
}

func TestBusPublisherReportsFailedEntries(t *testing.T) {
	t.Parallel()
	var got map[string]any
	failed := false
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		_ = json.NewDecoder(r.Body).Decode(&got)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if failed {
			_, _ = io.WriteString(w, `{"FailedEntryCount":1,"Entries":[{"ErrorCode":"InternalFailure","ErrorMessage":"no"}]}`)
			return
		}
		_, _ = io.WriteString(w, `{"FailedEntryCount":0,"Entries":[{"EventId":"e-1"}]}`)
	}))
	defer srv.Close()
	p := &busPublisher{client: eventbridge.NewFromConfig(awsConfig(srv.URL)), bus: "default"}
	pub, err := p.publish(context.Background(), Summary{}, []byte(`{"x":1}`))
	if err != nil || pub.ID != "e-1" {
		t.Fatalf("publish = %+v, %v", pub, err)
	}
	mu.Lock()
	entry := got["Entries"].([]any)[0].(map[string]any)
	if entry["Source"] != "ceap.workflow" || entry["DetailType"] != "CEAP Workflow Summary" || entry["EventBusName"] != "default" || entry["Detail"] != `{"x":1}` {
		t.Fatalf("entry %v", entry)
	}
	failed = true
	mu.Unlock()
	if _, err := p.publish(context.Background(), Summary{}, []byte(`{}`)); err == nil {
		t.Fatalf("a failed entry must fail the publish, got %v", err)
	}
}
