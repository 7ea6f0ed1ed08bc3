package sfn_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"

	"github.com/ceap/ceap/internal/ceaptest"
)

const role = "arn:aws:iam::123456789012:role/test"

const passChoice = `{"StartAt":"P1","States":{
	"P1":{"Type":"Pass","Result":1,"ResultPath":"$.a","Next":"P2"},
	"P2":{"Type":"Pass","Next":"P3"},
	"P3":{"Type":"Pass","Next":"P4"},
	"P4":{"Type":"Pass","Next":"P5"},
	"P5":{"Type":"Pass","Next":"C"},
	"C":{"Type":"Choice","Choices":[{"Variable":"$.a","NumericEquals":1,"Next":"Yes"}],"Default":"No"},
	"Yes":{"Type":"Succeed"},
	"No":{"Type":"Fail","Error":"NoMatch","Cause":"a is not 1"}}}`

func setup(t *testing.T, opts ...ceaptest.Option) (*sfn.Client, *ceaptest.Server) {
	t.Helper()
	srv := ceaptest.StartServer(t, opts...)
	return sfn.NewFromConfig(srv.AWS), srv
}

func errCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err == nil {
		return ""
	}
	return "not an API error: " + err.Error()
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := errCode(err); got != code {
		t.Fatalf("error = %v (code %q), want %s", err, got, code)
	}
}

func create(t *testing.T, c *sfn.Client, name, def string, typ types.StateMachineType) string {
	t.Helper()
	out, err := c.CreateStateMachine(context.Background(), &sfn.CreateStateMachineInput{Name: aws.String(name), Definition: aws.String(def), RoleArn: aws.String(role), Type: typ})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return *out.StateMachineArn
}

func waitDone(t *testing.T, c *sfn.Client, arn string) *sfn.DescribeExecutionOutput {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, err := c.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			t.Fatalf("describe %s: %v", arn, err)
		}
		if d.Status != types.ExecutionStatusRunning {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still running", arn)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func historyTypes(t *testing.T, c *sfn.Client, arn string) []string {
	t.Helper()
	h, err := c.GetExecutionHistory(context.Background(), &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 1000})
	if err != nil {
		t.Fatalf("history: %v", err)
	}
	var out []string
	for i, e := range h.Events {
		if e.Id != int64(i+1) {
			t.Fatalf("event %d has id %d", i, e.Id)
		}
		out = append(out, string(e.Type))
	}
	return out
}

func TestStandardPassChoice(t *testing.T) {
	t.Parallel()
	c, _ := setup(t)
	ctx := context.Background()
	arn := create(t, c, "pc", passChoice, "")
	out, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("e1"), Input: aws.String(`{"x":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(*out.ExecutionArn, ":execution:pc:e1") {
		t.Fatalf("execution arn %s", *out.ExecutionArn)
	}
	d := waitDone(t, c, *out.ExecutionArn)
	if d.Status != types.ExecutionStatusSucceeded || aws.ToString(d.Output) != `{"a":1,"x":1}` {
		t.Fatalf("status %s output %s", d.Status, aws.ToString(d.Output))
	}
	types := historyTypes(t, c, *out.ExecutionArn)
	if types[0] != "ExecutionStarted" || types[len(types)-1] != "ExecutionSucceeded" || len(types) != 16 {
		t.Fatalf("history %v", types)
	}
	// Idempotent start while running is not testable for a machine that ends at once: a closed
	// execution with the same name is refused.
	_, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("e1"), Input: aws.String(`{"x":1}`)})
	wantCode(t, err, "ExecutionAlreadyExists")
	list, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn)})
	if err != nil || len(list.Executions) != 1 {
		t.Fatalf("list = %v, %v", list, err)
	}
}
