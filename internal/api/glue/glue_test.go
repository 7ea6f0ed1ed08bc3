package glue_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	"github.com/aws/aws-sdk-go-v2/service/glue/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/ceap/ceap/internal/ceaptest"
)

// script reads the input object and writes an enriched copy, as the CEAP HeavyETL stage does.
const script = `import json, os, sys
import boto3
from botocore.config import Config
args = sys.argv[1:]
opts = dict(zip(args[::2], args[1::2]))
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"], config=Config(s3={"addressing_style": "path"}))
doc = json.loads(s3.get_object(Bucket=opts["--input-bucket"], Key=opts["--input-key"])["Body"].read())
if doc.get("failAt") == "HeavyETLTask":
    raise RuntimeError("InjectedFailure at HeavyETLTask")
doc["enrichedBy"] = opts["--JOB_NAME"]
s3.put_object(Bucket=opts["--input-bucket"], Key=opts["--output-key"], Body=json.dumps(doc).encode())
print("wrote", opts["--output-key"])
`

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestPythonShellJobReadsAndWritesS3(t *testing.T) {
	t.Parallel()
	srv := ceaptest.StartServer(t)
	ctx := context.Background()
	s3c := s3.NewFromConfig(srv.AWS, func(o *s3.Options) { o.UsePathStyle = true })
	gc := glue.NewFromConfig(srv.AWS)
	bucket := "workflow-bucket"
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	put := func(key, body string) {
		t.Helper()
		if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	put("scripts/heavy_etl.py", script)
	put("executions/e1/FilterTask/output.json", `{"records":[1,2]}`)
	put("executions/e2/FilterTask/output.json", `{"failAt":"HeavyETLTask"}`)

	_, err := gc.CreateJob(ctx, &glue.CreateJobInput{
		Name: aws.String("heavy-etl-job"), Role: aws.String("arn:aws:iam::123456789012:role/glue"),
		Command:           &types.JobCommand{Name: aws.String("pythonshell"), ScriptLocation: aws.String("s3://" + bucket + "/scripts/heavy_etl.py"), PythonVersion: aws.String("3.9")},
		DefaultArguments:  map[string]string{"--input-bucket": bucket},
		ExecutionProperty: &types.ExecutionProperty{MaxConcurrentRuns: 2}, MaxCapacity: aws.Float64(0.0625),
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = gc.CreateJob(ctx, &glue.CreateJobInput{Name: aws.String("heavy-etl-job"), Role: aws.String("r"), Command: &types.JobCommand{Name: aws.String("pythonshell"), ScriptLocation: aws.String("x")}})
	if code(err) != "AlreadyExistsException" {
		t.Fatalf("duplicate job: %v", err)
	}
	start := func(exec string) string {
		t.Helper()
		out, err := gc.StartJobRun(ctx, &glue.StartJobRunInput{JobName: aws.String("heavy-etl-job"), Arguments: map[string]string{
			"--input-key": "executions/" + exec + "/FilterTask/output.json", "--output-key": "executions/" + exec + "/HeavyETLTask/output.json",
		}})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.JobRunId)
	}
	ok, bad := start("e1"), start("e2")
	wait := func(id string) *types.JobRun {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			out, err := gc.GetJobRun(ctx, &glue.GetJobRunInput{JobName: aws.String("heavy-etl-job"), RunId: aws.String(id)})
			if err != nil {
				t.Fatal(err)
			}
			switch out.JobRun.JobRunState {
			case types.JobRunStateSucceeded, types.JobRunStateFailed, types.JobRunStateTimeout, types.JobRunStateStopped:
				return out.JobRun
			}
			if time.Now().After(deadline) {
				t.Fatalf("run %s still %s", id, out.JobRun.JobRunState)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if jr := wait(ok); jr.JobRunState != types.JobRunStateSucceeded || jr.Arguments["--input-bucket"] != bucket || jr.CompletedOn == nil {
		t.Fatalf("run = %+v", jr)
	}
	got, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("executions/e1/HeavyETLTask/output.json")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(got.Body)
	if !bytes.Contains(body, []byte(`"enrichedBy": "heavy-etl-job"`)) {
		t.Fatalf("output = %s", body)
	}
	if jr := wait(bad); jr.JobRunState != types.JobRunStateFailed || aws.ToString(jr.ErrorMessage) != "RuntimeError: InjectedFailure at HeavyETLTask" {
		t.Fatalf("failed run = %+v (%s)", jr, aws.ToString(jr.ErrorMessage))
	}
	runs, err := gc.GetJobRuns(ctx, &glue.GetJobRunsInput{JobName: aws.String("heavy-etl-job"), MaxResults: aws.Int32(100)})
	if err != nil || len(runs.JobRuns) != 2 {
		t.Fatalf("runs = %+v, %v", runs, err)
	}
	lc := cwl.NewFromConfig(srv.AWS)
	ev, err := lc.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String("/aws-glue/jobs/output"), LogStreamNames: []string{ok}})
	if err != nil || len(ev.Events) != 1 || aws.ToString(ev.Events[0].Message) != "wrote executions/e1/HeavyETLTask/output.json" {
		t.Fatalf("output log = %+v, %v", ev, err)
	}
	ev, err = lc.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String("/aws-glue/jobs/error"), LogStreamNames: []string{bad}, FilterPattern: aws.String("InjectedFailure")})
	if err != nil || len(ev.Events) == 0 {
		t.Fatalf("error log = %+v, %v", ev, err)
	}
	_, err = gc.GetJobRun(ctx, &glue.GetJobRunInput{JobName: aws.String("heavy-etl-job"), RunId: aws.String("jr_nope")})
	if code(err) != "EntityNotFoundException" {
		t.Fatalf("missing run: %v", err)
	}
	names, err := gc.ListJobs(ctx, &glue.ListJobsInput{})
	if err != nil || len(names.JobNames) != 1 {
		t.Fatalf("list jobs = %+v, %v", names, err)
	}
	if _, err := gc.DeleteJob(ctx, &glue.DeleteJobInput{JobName: aws.String("heavy-etl-job")}); err != nil {
		t.Fatal(err)
	}
	_, err = gc.GetJob(ctx, &glue.GetJobInput{JobName: aws.String("heavy-etl-job")})
	if code(err) != "EntityNotFoundException" {
		t.Fatalf("get deleted job: %v", err)
	}
}
