package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/ceap/ceap/examples/ceap/stages/candidates"
	"github.com/ceap/ceap/examples/ceap/stages/stage"
)

const (
	// topCount is how many of the best candidates a summary names.
	topCount = 3
	// eventSource and eventDetailType identify summary events on an EventBridge bus.
	eventSource     = "ceap.workflow"
	eventDetailType = "CEAP Workflow Summary"
	summarySubject  = "CEAP workflow summary"
)

// Summary is the event Reactive publishes for a run.
type Summary struct {
	ExecutionID   string `json:"executionId"`
	ProgramID     string `json:"programId"`
	Marketplace   string `json:"marketplace"`
	Candidates    int    `json:"candidates"`
	FallbackCount int    `json:"fallbackScores"`
	Top           []Top  `json:"topCandidates"`
	ResultsKey    string `json:"resultsKey,omitempty"`
	CompletedAt   string `json:"completedAt"`
}

// Top names one of the best candidates of a run.
type Top struct {
	CustomerID string  `json:"customerId"`
	SubjectID  string  `json:"subjectId"`
	Score      float64 `json:"score"`
}

// Publication records where a summary went.
type Publication struct {
	Target string `json:"target"`
	ID     string `json:"id"`
}

// document is Reactive's output.
type document struct {
	ExecutionID string        `json:"executionId"`
	Stage       string        `json:"stage"`
	Status      string        `json:"status"`
	Summary     Summary       `json:"summary"`
	Published   []Publication `json:"published"`
}

// publisher sends a summary somewhere and returns where and the id it was given.
type publisher interface {
	publish(ctx context.Context, s Summary, body []byte) (Publication, error)
}

type reactive struct {
	publishers []publisher
}

// run is Reactive's work under the stage contract.
func (r reactive) run(ctx context.Context, in *stage.Input) (stage.Output, error) {
	prev, err := candidates.Decode(in.Data)
	if err != nil {
		return stage.Output{}, &stage.InvalidJSON{What: "previous stage output", Err: err}
	}
	s := summarize(prev, in.ExecutionID, in.Now)
	body, err := json.Marshal(s)
	if err != nil {
		return stage.Output{}, fmt.Errorf("encode summary: %w", err)
	}
	doc := document{ExecutionID: in.ExecutionID, Stage: in.CurrentStage, Status: candidates.StatusSuccess,
		Summary: s, Published: []Publication{}}
	for _, p := range r.publishers {
		pub, err := p.publish(ctx, s, body)
		if err != nil {
			return stage.Output{}, err
		}
		in.Log.Info("summary published", "target", pub.Target, "messageId", pub.ID)
		doc.Published = append(doc.Published, pub)
	}
	return stage.Output{Document: doc, Records: s.Candidates}, nil
}

// summarize builds the summary of a run from Store's output, whose candidates are best first.
func summarize(b *candidates.Batch, executionID string, now time.Time) Summary {
	s := Summary{
		ExecutionID: executionID,
		ProgramID:   b.ProgramID,
		Marketplace: b.Marketplace,
		Candidates:  len(b.Candidates),
		Top:         []Top{},
		ResultsKey:  b.ResultsKey,
		CompletedAt: now.UTC().Format(time.RFC3339),
	}
	for _, c := range b.Candidates {
		if c.ScoreSource == "fallback" {
			s.FallbackCount++
		}
		if len(s.Top) < topCount && c.Score != nil {
			s.Top = append(s.Top, Top{CustomerID: c.CustomerID, SubjectID: c.SubjectID, Score: *c.Score})
		}
	}
	return s
}

// topicPublisher publishes summaries to an SNS topic.
type topicPublisher struct {
	client   *sns.Client
	topicARN string
}

func (p *topicPublisher) publish(ctx context.Context, s Summary, body []byte) (Publication, error) {
	out, err := p.client.Publish(ctx, &sns.PublishInput{
		TopicArn: aws.String(p.topicARN),
		Subject:  aws.String(summarySubject),
		Message:  aws.String(string(body)),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{
			"programId": {DataType: aws.String("String"), StringValue: aws.String(orNone(s.ProgramID))},
		},
	})
	if err != nil {
		return Publication{}, fmt.Errorf("publish summary to %s: %w", p.topicARN, err)
	}
	return Publication{Target: p.topicARN, ID: aws.ToString(out.MessageId)}, nil
}

// busPublisher puts summaries on an EventBridge bus.
type busPublisher struct {
	client *eventbridge.Client
	bus    string
}

func (p *busPublisher) publish(ctx context.Context, _ Summary, body []byte) (Publication, error) {
	out, err := p.client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		EventBusName: aws.String(p.bus),
		Source:       aws.String(eventSource),
		DetailType:   aws.String(eventDetailType),
		Detail:       aws.String(string(body)),
	}}})
	if err != nil {
		return Publication{}, fmt.Errorf("put summary event on bus %s: %w", p.bus, err)
	}
	if out.FailedEntryCount > 0 || len(out.Entries) == 0 {
		code, msg := "", ""
		if len(out.Entries) > 0 {
			code, msg = aws.ToString(out.Entries[0].ErrorCode), aws.ToString(out.Entries[0].ErrorMessage)
		}
		return Publication{}, fmt.Errorf("put summary event on bus %s: entry failed: %s %s", p.bus, code, msg)
	}
	return Publication{Target: p.bus, ID: aws.ToString(out.Entries[0].EventId)}, nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
