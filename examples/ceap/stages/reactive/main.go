// Command reactive is the CEAP Reactive stage, the last of both workflows: it publishes a
// summary event for the run to the SNS topic named by SUMMARY_TOPIC_ARN and to the EventBridge
// bus named by SUMMARY_EVENT_BUS (each if set) and writes the summary as its output. It never
// changes the run's results.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/ceap/ceap/examples/ceap/stages/stage"
)

// The environment variables naming where summaries go.
const (
	envTopicARN = "SUMMARY_TOPIC_ARN"
	envEventBus = "SUMMARY_EVENT_BUS"
)

func main() {
	cfg, runner, err := stage.Setup(context.Background())
	if err != nil {
		stage.Fatal(err)
	}
	var pubs []publisher
	if arn := os.Getenv(envTopicARN); arn != "" {
		pubs = append(pubs, &topicPublisher{client: sns.NewFromConfig(cfg), topicARN: arn})
	}
	if bus := os.Getenv(envEventBus); bus != "" {
		pubs = append(pubs, &busPublisher{client: eventbridge.NewFromConfig(cfg), bus: bus})
	}
	lambda.Start(runner.Handler(reactive{publishers: pubs}.run))
}
