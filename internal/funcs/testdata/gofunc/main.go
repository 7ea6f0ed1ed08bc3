// Command gofunc is a Lambda function built with aws-lambda-go that the funcs tests run through
// ceap's Runtime API. Its behaviour is chosen by the event's "op".
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	Op    string `json:"op"`
	Ms    int    `json:"ms"`
	Value string `json:"value"`
}

type reply struct {
	Value     string   `json:"value,omitempty"`
	RequestID string   `json:"requestId,omitempty"`
	ARN       string   `json:"arn,omitempty"`
	Env       []string `json:"env,omitempty"`
	Remaining int64    `json:"remainingMs,omitempty"`
	PID       int      `json:"pid,omitempty"`
}

type injectedFailure struct{ msg string }

func (e injectedFailure) Error() string { return e.msg }

func handle(ctx context.Context, ev event) (reply, error) {
	lc, _ := lambdacontext.FromContext(ctx)
	deadline, _ := ctx.Deadline()
	r := reply{RequestID: lc.AwsRequestID, ARN: lc.InvokedFunctionArn, Remaining: time.Until(deadline).Milliseconds(), PID: os.Getpid()}
	switch ev.Op {
	case "echo":
		r.Value = ev.Value
	case "env":
		env := os.Environ()
		sort.Strings(env)
		r.Env = env
	case "print":
		fmt.Println("hello from " + lc.AwsRequestID)
		fmt.Fprintln(os.Stderr, "to stderr "+strings.ToUpper(ev.Value))
	case "sleep":
		time.Sleep(time.Duration(ev.Ms) * time.Millisecond)
	case "fail":
		return r, injectedFailure{"stage failed: " + ev.Value}
	case "plainfail":
		return r, errors.New("plain failure")
	case "exit":
		os.Exit(3)
	case "alloc":
		// Ms is MiB here: allocate and touch every page, so that it is resident.
		b := make([]byte, ev.Ms<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		r.Value = fmt.Sprint(len(b) >> 20)
		runtime.KeepAlive(b)
	}
	return r, nil
}

func main() { lambda.Start(handle) }
