package sfn_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	gluetypes "github.com/aws/aws-sdk-go-v2/service/glue/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// TestSQSSendMessageTask: a Standard execution sends a message with sqs:sendMessage, and the
// message is on the queue.
func TestSQSSendMessageTask(t *testing.T) {
	t.Parallel()
	c, srv := setup(t)
	ctx := context.Background()
	q := sqs.NewFromConfig(srv.AWS)
	qu, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("from-sfn")})
	if err != nil {
		t.Fatal(err)
	}
	def := fmt.Sprintf(`{"StartAt":"Send","States":{"Send":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage",
		"Parameters":{"QueueUrl":%q,"MessageBody.$":"$.body"},"ResultSelector":{"id.$":"$.MessageId"},"End":true}}}`, *qu.QueueUrl)
	sm := create(t, c, "sender", def, "")
	ex, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm), Input: aws.String(`{"body":{"order":7}}`)})
	if err != nil {
		t.Fatal(err)
	}
	out := waitDone(t, c, *ex.ExecutionArn)
	if out.Status != types.ExecutionStatusSucceeded || !strings.Contains(aws.ToString(out.Output), `"id"`) {
		t.Fatalf("execution = %s %s %s", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	msgs, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: qu.QueueUrl, WaitTimeSeconds: 1})
	if err != nil || len(msgs.Messages) != 1 || aws.ToString(msgs.Messages[0].Body) != `{"order":7}` {
		t.Fatalf("received %+v, %v", msgs, err)
	}
	// A queue that does not exist fails the task with SQS's error.
	bad := create(t, c, "badsender", strings.Replace(def, "from-sfn", "nope", 1), "")
	ex, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(bad), Input: aws.String(`{"body":"x"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if out := waitDone(t, c, *ex.ExecutionArn); out.Status != types.ExecutionStatusFailed || !strings.HasPrefix(aws.ToString(out.Error), "SQS.") {
		t.Fatalf("missing queue: %s %s", out.Status, aws.ToString(out.Error))
	}
}

func pythonZip(t *testing.T, code string) []byte {
	t.Helper()
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	w, err := z.Create("lambda_function.py")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(code))
	z.Close()
	return buf.Bytes()
}

// TestLambdaTasks: a function runs as a Task through lambda:invoke (result under Payload) and
// through its ARN (the result itself), in Standard and Express executions; a function error
// fails the task with the function's error type.
func TestLambdaTasks(t *testing.T) {
	t.Parallel()
	c, srv := setup(t)
	ctx := context.Background()
	l := lambda.NewFromConfig(srv.AWS)
	code := "def lambda_handler(event, context):\n    if event.get('fail'):\n        raise ValueError('bad input')\n    return {'doubled': event['n'] * 2}\n"
	fn, err := l.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("double"), Runtime: lambdatypes.RuntimePython312,
		Handler: aws.String("lambda_function.lambda_handler"), Role: aws.String(role), Code: &lambdatypes.FunctionCode{ZipFile: pythonZip(t, code)}})
	if err != nil {
		t.Fatal(err)
	}
	def := fmt.Sprintf(`{"StartAt":"Opt","States":{
		"Opt":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"double","Payload.$":"$"},"ResultSelector":{"n.$":"$.Payload.doubled"},"Next":"Direct"},
		"Direct":{"Type":"Task","Resource":%q,"End":true}}}`, *fn.FunctionArn)
	for _, typ := range []types.StateMachineType{types.StateMachineTypeStandard, types.StateMachineTypeExpress} {
		sm := create(t, c, "lam-"+strings.ToLower(string(typ)), def, typ)
		if typ == types.StateMachineTypeExpress {
			res, err := c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(sm), Input: aws.String(`{"n":3}`)})
			if err != nil || res.Status != types.SyncExecutionStatusSucceeded || aws.ToString(res.Output) != `{"doubled":12}` {
				t.Fatalf("express: %+v %v", res, err)
			}
			continue
		}
		ex, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm), Input: aws.String(`{"n":3}`)})
		if err != nil {
			t.Fatal(err)
		}
		if out := waitDone(t, c, *ex.ExecutionArn); out.Status != types.ExecutionStatusSucceeded || aws.ToString(out.Output) != `{"doubled":12}` {
			t.Fatalf("standard: %s %s %s %s", out.Status, aws.ToString(out.Output), aws.ToString(out.Error), aws.ToString(out.Cause))
		}
	}
	sm := create(t, c, "lam-fail", def, types.StateMachineTypeExpress)
	res, err := c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(sm), Input: aws.String(`{"n":1,"fail":true}`)})
	if err != nil || res.Status != types.SyncExecutionStatusFailed || aws.ToString(res.Error) != "ValueError" || !strings.Contains(aws.ToString(res.Cause), "bad input") {
		t.Fatalf("function error: %s %s %s, %v", res.Status, aws.ToString(res.Error), aws.ToString(res.Cause), err)
	}
}

// TestGlueStartJobRunSync: glue:startJobRun.sync waits for the job run; a failing run fails the
// task with States.TaskFailed and the run in the cause.
func TestGlueStartJobRunSync(t *testing.T) {
	t.Parallel()
	c, srv := setup(t)
	ctx := context.Background()
	s3c := s3.NewFromConfig(srv.AWS, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("scripts")}); err != nil {
		t.Fatal(err)
	}
	script := "import sys\nif '--fail' in sys.argv:\n    sys.exit(3)\nprint('ok')\n"
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("scripts"), Key: aws.String("job.py"), Body: strings.NewReader(script)}); err != nil {
		t.Fatal(err)
	}
	gc := glue.NewFromConfig(srv.AWS)
	if _, err := gc.CreateJob(ctx, &glue.CreateJobInput{Name: aws.String("etl"), Role: aws.String(role),
		Command: &gluetypes.JobCommand{Name: aws.String("pythonshell"), ScriptLocation: aws.String("s3://scripts/job.py"), PythonVersion: aws.String("3.9")}}); err != nil {
		t.Fatal(err)
	}
	def := `{"StartAt":"Run","States":{"Run":{"Type":"Task","Resource":"arn:aws:states:::glue:startJobRun.sync","Parameters":{"JobName":"etl","Arguments.$":"$.args"},
		"ResultSelector":{"state.$":"$.JobRunState"},"End":true}}}`
	sm := create(t, c, "glue", def, "")
	ex, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm), Input: aws.String(`{"args":{"--mode":"x"}}`)})
	if err != nil {
		t.Fatal(err)
	}
	if out := waitDone(t, c, *ex.ExecutionArn); out.Status != types.ExecutionStatusSucceeded || aws.ToString(out.Output) != `{"state":"SUCCEEDED"}` {
		t.Fatalf("job run: %s %s %s %s", out.Status, aws.ToString(out.Output), aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	ex, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm), Input: aws.String(`{"args":{"--fail":"1"}}`)})
	if err != nil {
		t.Fatal(err)
	}
	out := waitDone(t, c, *ex.ExecutionArn)
	if out.Status != types.ExecutionStatusFailed || aws.ToString(out.Error) != "States.TaskFailed" || !strings.Contains(aws.ToString(out.Cause), `"JobRunState":"FAILED"`) {
		t.Fatalf("failed job run: %s %s %s", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
	}
}

// TestMapItemReaderFromS3: a Map reads its items from a JSON object, a CSV object and a listing
// in S3.
func TestMapItemReaderFromS3(t *testing.T) {
	t.Parallel()
	c, srv := setup(t)
	ctx := context.Background()
	s3c := s3.NewFromConfig(srv.AWS, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("items")}); err != nil {
		t.Fatal(err)
	}
	for key, body := range map[string]string{"in/list.json": `[{"n":1},{"n":2},{"n":3}]`, "in/rows.csv": "n,name\n4,a\n5,b\n"} {
		if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("items"), Key: aws.String(key), Body: strings.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	mapOf := func(reader string, selector string) string {
		return `{"StartAt":"M","States":{"M":{"Type":"Map","ItemReader":` + reader + `,"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
			"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":` + selector + `,"End":true}}},"End":true}}}`
	}
	for _, tc := range []struct{ name, def, want string }{
		{"json", mapOf(`{"Resource":"arn:aws:states:::s3:getObject","Parameters":{"Bucket":"items","Key":"in/list.json"}}`, `{"v.$":"$.n"}`), `[{"v":1},{"v":2},{"v":3}]`},
		{"csv", mapOf(`{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW"},"Parameters":{"Bucket":"items","Key":"in/rows.csv"}}`, `{"v.$":"$.name"}`), `[{"v":"a"},{"v":"b"}]`},
		{"list", mapOf(`{"Resource":"arn:aws:states:::s3:listObjectsV2","Parameters":{"Bucket":"items","Prefix":"in/"}}`, `{"k.$":"$.Key"}`), `[{"k":"in/list.json"},{"k":"in/rows.csv"}]`},
	} {
		sm := create(t, c, "reader-"+tc.name, tc.def, types.StateMachineTypeExpress)
		res, err := c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(sm)})
		if err != nil || res.Status != types.SyncExecutionStatusSucceeded || aws.ToString(res.Output) != tc.want {
			t.Fatalf("%s: %+v %s %s %v", tc.name, aws.ToString(res.Output), aws.ToString(res.Error), aws.ToString(res.Cause), err)
		}
	}
	// A Standard execution reads through the worker.
	sm := create(t, c, "reader-std", mapOf(`{"Resource":"arn:aws:states:::s3:getObject","Parameters":{"Bucket":"items","Key":"in/list.json"}}`, `{"v.$":"$.n"}`), "")
	ex, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm)})
	if err != nil {
		t.Fatal(err)
	}
	if out := waitDone(t, c, *ex.ExecutionArn); out.Status != types.ExecutionStatusSucceeded || aws.ToString(out.Output) != `[{"v":1},{"v":2},{"v":3}]` {
		t.Fatalf("standard: %s %s %s", out.Status, aws.ToString(out.Output), aws.ToString(out.Cause))
	}
}
