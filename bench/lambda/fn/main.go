// Command fn is the function the Lambda benchmark runs through ceap: built with aws-lambda-go, it
// returns at once with the wall-clock nanoseconds at which its handler started and ended, so the
// benchmark can subtract the function's own time from each round trip.
package main

import (
	"context"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

type reply struct {
	Start int64 `json:"start"`
	End   int64 `json:"end"`
}

func handle(_ context.Context, _ map[string]any) (reply, error) {
	start := time.Now().UnixNano()
	return reply{Start: start, End: time.Now().UnixNano()}, nil
}

func main() {
	lambda.Start(handle)
}
