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

func TestStateMachineLifecycle(t *testing.T) {
	t.Parallel()
	c, _ := setup(t)
	ctx := context.Background()
	arn := create(t, c, "life", passChoice, "")

	_, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("life"), Definition: aws.String(`{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}`), RoleArn: aws.String(role)})
	wantCode(t, err, "StateMachineAlreadyExists")
	same, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("life"), Definition: aws.String(passChoice), RoleArn: aws.String(role)})
	if err != nil || *same.StateMachineArn != arn {
		t.Fatalf("idempotent create = %v, %v", same, err)
	}
	_, err = c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("bad"), Definition: aws.String(`{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}}`), RoleArn: aws.String(role)})
	wantCode(t, err, "InvalidDefinition")
	if !strings.Contains(err.Error(), "MISSING_TRANSITION_TARGET") || !strings.Contains(err.Error(), "/States/A/Next") {
		t.Fatalf("InvalidDefinition message %q lacks the code and location", err)
	}
	_, err = c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("has space"), Definition: aws.String(passChoice), RoleArn: aws.String(role)})
	wantCode(t, err, "InvalidName")
	_, err = c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("t"), Definition: aws.String(passChoice), RoleArn: aws.String(role), Type: "FAST"})
	wantCode(t, err, "ValidationException")
	_, err = c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn + "x")})
	wantCode(t, err, "StateMachineDoesNotExist")
	_, err = c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String("not-an-arn")})
	wantCode(t, err, "InvalidArn")

	d, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
	if err != nil || *d.Definition != passChoice || d.Type != types.StateMachineTypeStandard || d.Status != types.StateMachineStatusActive || d.LoggingConfiguration.Level != types.LogLevelOff {
		t.Fatalf("describe = %+v, %v", d, err)
	}
	def2 := `{"StartAt":"A","States":{"A":{"Type":"Pass","Result":"v2","End":true}}}`
	up, err := c.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(arn), Definition: aws.String(def2), Publish: true, VersionDescription: aws.String("second")})
	if err != nil || aws.ToString(up.RevisionId) == aws.ToString(d.RevisionId) || !strings.HasSuffix(aws.ToString(up.StateMachineVersionArn), ":life:1") {
		t.Fatalf("update = %+v, %v", up, err)
	}
	_, err = c.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(arn)})
	wantCode(t, err, "MissingRequiredParameter")
	again, err := c.PublishStateMachineVersion(ctx, &sfn.PublishStateMachineVersionInput{StateMachineArn: aws.String(arn)})
	if err != nil || *again.StateMachineVersionArn != *up.StateMachineVersionArn {
		t.Fatalf("publishing the same revision = %v, %v; want the existing version", again, err)
	}
	if _, err := c.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(arn), Definition: aws.String(passChoice)}); err != nil {
		t.Fatal(err)
	}
	v2, err := c.PublishStateMachineVersion(ctx, &sfn.PublishStateMachineVersionInput{StateMachineArn: aws.String(arn), Description: aws.String("third")})
	if err != nil || !strings.HasSuffix(*v2.StateMachineVersionArn, ":life:2") {
		t.Fatalf("publish = %v, %v", v2, err)
	}
	vers, err := c.ListStateMachineVersions(ctx, &sfn.ListStateMachineVersionsInput{StateMachineArn: aws.String(arn)})
	if err != nil || len(vers.StateMachineVersions) != 2 || *vers.StateMachineVersions[0].StateMachineVersionArn != *v2.StateMachineVersionArn {
		t.Fatalf("versions = %+v, %v", vers, err)
	}
	vd, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: up.StateMachineVersionArn})
	if err != nil || *vd.Definition != def2 || aws.ToString(vd.Description) != "second" {
		t.Fatalf("describe version = %+v, %v", vd, err)
	}

	// A version runs its own definition.
	ex, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: up.StateMachineVersionArn})
	if err != nil {
		t.Fatal(err)
	}
	if out := waitDone(t, c, *ex.ExecutionArn); aws.ToString(out.Output) != `"v2"` || aws.ToString(out.StateMachineVersionArn) != *up.StateMachineVersionArn {
		t.Fatalf("version run output %s version %s", aws.ToString(out.Output), aws.ToString(out.StateMachineVersionArn))
	}
	// Aliases.
	al, err := c.CreateStateMachineAlias(ctx, &sfn.CreateStateMachineAliasInput{Name: aws.String("prod"), RoutingConfiguration: []types.RoutingConfigurationListItem{{StateMachineVersionArn: up.StateMachineVersionArn, Weight: 100}}})
	if err != nil || *al.StateMachineAliasArn != arn+":prod" {
		t.Fatalf("create alias = %v, %v", al, err)
	}
	_, err = c.CreateStateMachineAlias(ctx, &sfn.CreateStateMachineAliasInput{Name: aws.String("half"), RoutingConfiguration: []types.RoutingConfigurationListItem{{StateMachineVersionArn: up.StateMachineVersionArn, Weight: 50}}})
	wantCode(t, err, "ValidationException")
	ex, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: al.StateMachineAliasArn})
	if err != nil {
		t.Fatal(err)
	}
	if out := waitDone(t, c, *ex.ExecutionArn); aws.ToString(out.Output) != `"v2"` || aws.ToString(out.StateMachineAliasArn) != *al.StateMachineAliasArn {
		t.Fatalf("alias run output %s alias %s", aws.ToString(out.Output), aws.ToString(out.StateMachineAliasArn))
	}
	if _, err := c.UpdateStateMachineAlias(ctx, &sfn.UpdateStateMachineAliasInput{StateMachineAliasArn: al.StateMachineAliasArn, RoutingConfiguration: []types.RoutingConfigurationListItem{{StateMachineVersionArn: v2.StateMachineVersionArn, Weight: 100}}}); err != nil {
		t.Fatal(err)
	}
	da, err := c.DescribeStateMachineAlias(ctx, &sfn.DescribeStateMachineAliasInput{StateMachineAliasArn: al.StateMachineAliasArn})
	if err != nil || *da.RoutingConfiguration[0].StateMachineVersionArn != *v2.StateMachineVersionArn {
		t.Fatalf("describe alias = %+v, %v", da, err)
	}
	_, err = c.DeleteStateMachineVersion(ctx, &sfn.DeleteStateMachineVersionInput{StateMachineVersionArn: v2.StateMachineVersionArn})
	wantCode(t, err, "ConflictException")
	aliases, err := c.ListStateMachineAliases(ctx, &sfn.ListStateMachineAliasesInput{StateMachineArn: aws.String(arn)})
	if err != nil || len(aliases.StateMachineAliases) != 1 {
		t.Fatalf("aliases = %+v, %v", aliases, err)
	}
	if _, err := c.DeleteStateMachineAlias(ctx, &sfn.DeleteStateMachineAliasInput{StateMachineAliasArn: al.StateMachineAliasArn}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeStateMachineAlias(ctx, &sfn.DescribeStateMachineAliasInput{StateMachineAliasArn: al.StateMachineAliasArn})
	wantCode(t, err, "ResourceNotFound")

	// Tags.
	if _, err := c.TagResource(ctx, &sfn.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("ops")}, {Key: aws.String("x"), Value: aws.String("1")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagResource(ctx, &sfn.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"x"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListTagsForResource(ctx, &sfn.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil || len(tags.Tags) != 1 || *tags.Tags[0].Key != "team" {
		t.Fatalf("tags = %+v, %v", tags, err)
	}
	_, err = c.ListTagsForResource(ctx, &sfn.ListTagsForResourceInput{ResourceArn: aws.String(arn + "nope")})
	wantCode(t, err, "ResourceNotFound")

	// Listing with pagination.
	for _, n := range []string{"b1", "b2"} {
		create(t, c, n, passChoice, "")
	}
	p1, err := c.ListStateMachines(ctx, &sfn.ListStateMachinesInput{MaxResults: 2})
	if err != nil || len(p1.StateMachines) != 2 || p1.NextToken == nil {
		t.Fatalf("page 1 = %+v, %v", p1, err)
	}
	p2, err := c.ListStateMachines(ctx, &sfn.ListStateMachinesInput{MaxResults: 2, NextToken: p1.NextToken})
	if err != nil || len(p2.StateMachines) != 1 || *p2.StateMachines[0].Name != "life" {
		t.Fatalf("page 2 = %+v, %v", p2, err)
	}

	// The execution through version 1 still describes its own definition.
	sm, err := c.DescribeStateMachineForExecution(ctx, &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: ex.ExecutionArn})
	if err != nil || *sm.Definition != def2 || *sm.StateMachineArn != arn {
		t.Fatalf("describe for execution = %+v, %v", sm, err)
	}
	if _, err := c.DeleteStateMachine(ctx, &sfn.DeleteStateMachineInput{StateMachineArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
	wantCode(t, err, "StateMachineDoesNotExist")
	_, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn)})
	wantCode(t, err, "StateMachineDoesNotExist")
}

func TestValidateAndInputErrors(t *testing.T) {
	t.Parallel()
	c, _ := setup(t)
	ctx := context.Background()
	v, err := c.ValidateStateMachineDefinition(ctx, &sfn.ValidateStateMachineDefinitionInput{Definition: aws.String(`{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Z"}}}`)})
	if err != nil || v.Result != types.ValidateStateMachineDefinitionResultCodeFail || len(v.Diagnostics) == 0 || aws.ToString(v.Diagnostics[0].Location) != "/States/A/Next" {
		t.Fatalf("validate = %+v, %v", v, err)
	}
	ok, err := c.ValidateStateMachineDefinition(ctx, &sfn.ValidateStateMachineDefinitionInput{Definition: aws.String(passChoice)})
	if err != nil || ok.Result != types.ValidateStateMachineDefinitionResultCodeOk {
		t.Fatalf("validate good = %+v, %v", ok, err)
	}
	arn := create(t, c, "inputs", passChoice, "")
	_, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String(`{"a":`)})
	wantCode(t, err, "InvalidExecutionInput")
	_, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("a/b")})
	wantCode(t, err, "InvalidName")
	_, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String(strings.Repeat("n", 81))})
	wantCode(t, err, "InvalidName")
	_, err = c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String("arn:aws:states:us-east-1:123456789012:execution:inputs:nope")})
	wantCode(t, err, "ExecutionDoesNotExist")
	_, err = c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String("arn:aws:sqs:us-east-1:123456789012:q")})
	wantCode(t, err, "InvalidArn")
	_, err = c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(arn)})
	wantCode(t, err, "StateMachineTypeNotSupported")
	_, err = c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn + "x")})
	wantCode(t, err, "StateMachineDoesNotExist")
	_, err = c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String("???"), Output: aws.String("{}")})
	wantCode(t, err, "InvalidToken")
}

func TestTestState(t *testing.T) {
	t.Parallel()
	c, _ := setup(t)
	ctx := context.Background()
	out, err := c.TestState(ctx, &sfn.TestStateInput{Definition: aws.String(`{"Type":"Pass","Parameters":{"v.$":"$.x"},"Next":"After"}`), RoleArn: aws.String(role), Input: aws.String(`{"x":7}`)})
	if err != nil || out.Status != types.TestExecutionStatusSucceeded || aws.ToString(out.Output) != `{"v":7}` || aws.ToString(out.NextState) != "After" {
		t.Fatalf("Pass = %+v, %v", out, err)
	}
	out, err = c.TestState(ctx, &sfn.TestStateInput{Definition: aws.String(`{"Type":"Choice","Choices":[{"Variable":"$.x","NumericGreaterThan":5,"Next":"Big"}],"Default":"Small"}`), RoleArn: aws.String(role), Input: aws.String(`{"x":7}`)})
	if err != nil || aws.ToString(out.NextState) != "Big" {
		t.Fatalf("Choice = %+v, %v", out, err)
	}
	out, err = c.TestState(ctx, &sfn.TestStateInput{Definition: aws.String(`{"Type":"Fail","Error":"Nope","Cause":"because"}`), RoleArn: aws.String(role)})
	if err != nil || out.Status != types.TestExecutionStatusFailed || aws.ToString(out.Error) != "Nope" {
		t.Fatalf("Fail = %+v, %v", out, err)
	}
	_, err = c.TestState(ctx, &sfn.TestStateInput{Definition: aws.String(`{"Type":"Pass","Next":`), RoleArn: aws.String(role)})
	wantCode(t, err, "InvalidDefinition")
}
