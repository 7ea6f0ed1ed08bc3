package stage

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// Setup loads the SDK configuration from the function's environment (credentials, region and
// AWS_ENDPOINT_URL, which ceap sets) and returns it with a Runner over S3 that logs JSON lines
// to standard output, where the runtime collects them into the function's log group.
func Setup(ctx context.Context) (aws.Config, *Runner, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	return cfg, &Runner{Objects: NewS3(cfg), Log: slog.New(slog.NewJSONHandler(os.Stdout, nil))}, nil
}

// Main runs fn as a Lambda function under the contract. It does not return.
func Main(fn Func) {
	_, r, err := Setup(context.Background())
	if err != nil {
		Fatal(err)
	}
	lambda.Start(r.Handler(fn))
}

// Fatal reports an error that stops a function before it can serve, and exits.
func Fatal(err error) {
	slog.New(slog.NewJSONHandler(os.Stderr, nil)).Error("stage setup failed", "errorMessage", err.Error())
	os.Exit(1)
}
