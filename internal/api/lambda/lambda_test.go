package lambda_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/ceap/ceap/internal/ceaptest"
)

// goZip is testdata/gofunc of the funcs package, built and zipped once.
var goZip []byte

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lambda-api-test")
	if err != nil {
		panic(err)
	}
	bin := filepath.Join(dir, "bootstrap")
	if out, err := exec.Command("go", "build", "-o", bin, "../../funcs/testdata/gofunc").CombinedOutput(); err != nil {
		panic("build gofunc: " + err.Error() + "\n" + string(out))
	}
	body, err := os.ReadFile(bin)
	if err != nil {
		panic(err)
	}
	goZip = zipOf(map[string]string{"bootstrap": string(body)}, 0o755)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func zipOf(files map[string]string, mode os.FileMode) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			panic(err)
		}
		w.Write([]byte(body))
	}
	zw.Close()
	return buf.Bytes()
}

func apiErr(err error) (string, smithy.APIError) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode(), ae
	}
	return "", nil
}

const role = "arn:aws:iam::123456789012:role/lambda"

func TestGoFunctionThroughTheAPI(t *testing.T) {
	t.Parallel()
	srv := ceaptest.StartServer(t)
	c := lambda.NewFromConfig(srv.AWS)
	ctx := context.Background()
	name := "CeapWorkflow-demo-FilterLambda"
	created, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Runtime: types.RuntimeProvidedal2023, Role: aws.String(role), Handler: aws.String("bootstrap"),
		Code: &types.FunctionCode{ZipFile: goZip}, Timeout: aws.Int32(2), MemorySize: aws.Int32(512),
		Environment: &types.Environment{Variables: map[string]string{"STAGE": "Filter"}}, Tags: map[string]string{"app": "ceap"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(created.FunctionArn) != "arn:aws:lambda:us-east-1:"+ceaptest.Account+":function:"+name || created.CodeSha256 == nil || created.State != types.StateActive {
		t.Fatalf("created = %+v", created)
	}
	_, err = c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Runtime: types.RuntimeProvidedal2023, Role: aws.String(role), Code: &types.FunctionCode{ZipFile: goZip}})
	if code, _ := apiErr(err); code != "ResourceConflictException" {
		t.Fatalf("duplicate create: %v", err)
	}

	out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(`{"op":"echo","value":"hi"}`), LogType: types.LogTypeTail})
	if err != nil {
		t.Fatal(err)
	}
	var reply map[string]any
	if err := json.Unmarshal(out.Payload, &reply); err != nil || reply["value"] != "hi" || out.StatusCode != 200 || out.FunctionError != nil || aws.ToString(out.ExecutedVersion) != "$LATEST" {
		t.Fatalf("invoke = %+v %s, %v", out, out.Payload, err)
	}
	tail, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	if !strings.Contains(string(tail), "REPORT RequestId:") || !strings.Contains(string(tail), "Memory Size: 512 MB") {
		t.Fatalf("log tail = %q", tail)
	}

	failed, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(`{"op":"fail","value":"x"}`)})
	if err != nil || aws.ToString(failed.FunctionError) != "Unhandled" || !strings.Contains(string(failed.Payload), `"errorType":"injectedFailure"`) {
		t.Fatalf("failing invoke = %+v %s, %v", failed, failed.Payload, err)
	}
	slow, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(`{"op":"sleep","ms":4000}`)})
	if err != nil || aws.ToString(slow.FunctionError) != "Unhandled" || !strings.Contains(string(slow.Payload), "Task timed out after 2.00 seconds") {
		t.Fatalf("timeout invoke = %+v %s, %v", slow, slow.Payload, err)
	}
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("missing")})
	if code, _ := apiErr(err); code != "ResourceNotFoundException" {
		t.Fatalf("missing function: %v", err)
	}
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(`not json`)})
	if code, _ := apiErr(err); code != "InvalidRequestContentException" {
		t.Fatalf("bad payload: %v", err)
	}
	dry, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), InvocationType: types.InvocationTypeDryRun})
	if err != nil || dry.StatusCode != 204 {
		t.Fatalf("dry run = %+v, %v", dry, err)
	}

	// The function's log group has START, the output and REPORT.
	logsClient := cwl.NewFromConfig(srv.AWS)
	deadline := time.Now().Add(5 * time.Second)
	for {
		ev, err := logsClient.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String("/aws/lambda/" + name), FilterPattern: aws.String("Task timed out")})
		if err == nil && len(ev.Events) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no timeout line in /aws/lambda/%s: %+v, %v", name, ev, err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Versions, aliases, configuration updates.
	v1, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(name)})
	if err != nil || aws.ToString(v1.Version) != "1" {
		t.Fatalf("publish = %+v, %v", v1, err)
	}
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(name), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(name), Timeout: aws.Int32(10)}); err != nil {
		t.Fatal(err)
	}
	viaAlias, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), Qualifier: aws.String("live"), Payload: []byte(`{"op":"echo"}`)})
	if err != nil || aws.ToString(viaAlias.ExecutedVersion) != "1" {
		t.Fatalf("invoke via alias = %+v, %v", viaAlias, err)
	}
	cfg, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name + ":1")})
	if err != nil || aws.ToInt32(cfg.Timeout) != 2 {
		t.Fatalf("version 1 config = %+v, %v", cfg, err)
	}
	got, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
	if err != nil || aws.ToInt32(got.Configuration.Timeout) != 10 || got.Tags["app"] != "ceap" {
		t.Fatalf("get function = %+v, %v", got, err)
	}
	list, err := c.ListFunctions(ctx, &lambda.ListFunctionsInput{})
	if err != nil || len(list.Functions) != 1 {
		t.Fatalf("list = %+v, %v", list, err)
	}
	if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
	if code, _ := apiErr(err); code != "ResourceNotFoundException" {
		t.Fatalf("get after delete: %v", err)
	}
}

func TestReservedConcurrencyThrottlesThroughTheAPI(t *testing.T) {
	t.Parallel()
	srv := ceaptest.StartServer(t)
	c := lambda.NewFromConfig(srv.AWS)
	ctx := context.Background()
	name := "busy"
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Runtime: types.RuntimeProvidedal2, Role: aws.String(role),
		Code: &types.FunctionCode{ZipFile: goZip}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String(name), ReservedConcurrentExecutions: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	conc, err := c.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String(name)})
	if err != nil || aws.ToInt32(conc.ReservedConcurrentExecutions) != 1 {
		t.Fatalf("get concurrency = %+v, %v", conc, err)
	}
	_, err = c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String(name), ReservedConcurrentExecutions: aws.Int32(950)})
	if code, _ := apiErr(err); code != "InvalidParameterValueException" {
		t.Fatalf("reservation below the unreserved minimum: %v", err)
	}
	settings, err := c.GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})
	if err != nil || settings.AccountLimit.ConcurrentExecutions != 1000 || aws.ToInt32(settings.AccountLimit.UnreservedConcurrentExecutions) != 999 {
		t.Fatalf("account settings = %+v, %v", settings.AccountLimit, err)
	}

	var wg sync.WaitGroup
	codes := make([]string, 4)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(`{"op":"sleep","ms":2500}`)})
			codes[i], _ = apiErr(err)
		}()
	}
	wg.Wait()
	throttled := 0
	for _, code := range codes {
		if code == "TooManyRequestsException" {
			throttled++
		} else if code != "" {
			t.Fatalf("unexpected error %s", code)
		}
	}
	if throttled != 3 {
		t.Fatalf("throttled %d of 4 concurrent invokes with reserved concurrency 1: %v", throttled, codes)
	}
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name)})
	if err != nil {
		t.Fatalf("invoke after the others finished: %v", err)
	}
	resp, err := http.Get(srv.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	prom, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`aws_lambda_throttles_total{account="` + ceaptest.Account + `",function_name="busy"} 3`,
		`aws_lambda_invocations_total{account="` + ceaptest.Account + `",function_name="busy"} 2`, `aws_lambda_concurrent_executions_total{`} {
		if !strings.Contains(string(prom), want) {
			t.Fatalf("metrics lack %s:\n%s", want, prom)
		}
	}
	if _, err := c.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	if conc, err := c.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String(name)}); err != nil || conc.ReservedConcurrentExecutions != nil {
		t.Fatalf("after delete = %+v, %v", conc, err)
	}
}

func TestPythonFunctionThroughTheAPI(t *testing.T) {
	t.Parallel()
	srv := ceaptest.StartServer(t)
	c := lambda.NewFromConfig(srv.AWS)
	ctx := context.Background()
	code := zipOf(map[string]string{"lambda_function.py": "import os\ndef lambda_handler(event, context):\n    print('got', event['n'])\n    if event['n'] < 0:\n        raise ValueError('negative')\n    return {'double': event['n'] * 2, 'endpoint': os.environ.get('AWS_ENDPOINT_URL'), 'cc': context.client_context}\n"}, 0o644)
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("py"), Runtime: types.RuntimePython312, Role: aws.String(role),
		Handler: aws.String("lambda_function.lambda_handler"), Code: &types.FunctionCode{ZipFile: code}}); err != nil {
		t.Fatal(err)
	}
	out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("py"), Payload: []byte(`{"n":21}`),
		ClientContext: aws.String(base64.StdEncoding.EncodeToString([]byte(`{"custom":{"k":"v"}}`)))})
	if err != nil || out.FunctionError != nil {
		t.Fatalf("invoke = %+v %s, %v", out, out.Payload, err)
	}
	var doc map[string]any
	json.Unmarshal(out.Payload, &doc)
	if cc, _ := doc["cc"].(map[string]any); doc["double"] != 42.0 || doc["endpoint"] != srv.URL() || cc == nil || cc["custom"] == nil {
		t.Fatalf("payload = %s", out.Payload)
	}
	bad, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("py"), Payload: []byte(`{"n":-1}`)})
	if err != nil || aws.ToString(bad.FunctionError) != "Unhandled" || !strings.Contains(string(bad.Payload), `"errorType": "ValueError"`) && !strings.Contains(string(bad.Payload), `"errorType":"ValueError"`) {
		t.Fatalf("error invoke = %+v %s, %v", bad, bad.Payload, err)
	}
	_, err = c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("bad"), Runtime: types.RuntimeJava21, Role: aws.String(role),
		Handler: aws.String("x.y"), Code: &types.FunctionCode{ZipFile: code}})
	if code, _ := apiErr(err); code != "InvalidParameterValueException" {
		t.Fatalf("unsupported runtime: %v", err)
	}
}

func TestCodeFromS3AndCodeUpdates(t *testing.T) {
	t.Parallel()
	srv := ceaptest.StartServer(t)
	c := lambda.NewFromConfig(srv.AWS)
	s3c := s3.NewFromConfig(srv.AWS, func(o *s3.Options) { o.UsePathStyle = true })
	ctx := context.Background()
	v1 := zipOf(map[string]string{"index.js": `exports.handler = async () => ({version: 1});`}, 0o644)
	v2 := zipOf(map[string]string{"index.js": `exports.handler = async (e) => ({version: 2, got: e.x});`}, 0o644)
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("code")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("code"), Key: aws.String("fn/v1.zip"), Body: bytes.NewReader(v1)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("node"), Runtime: types.RuntimeNodejs20x, Role: aws.String(role),
		Handler: aws.String("index.handler"), Code: &types.FunctionCode{S3Bucket: aws.String("code"), S3Key: aws.String("fn/v1.zip")}}); err != nil {
		t.Fatal(err)
	}
	invoke := func() string {
		t.Helper()
		out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("node"), Payload: []byte(`{"x":7}`)})
		if err != nil || out.FunctionError != nil {
			t.Fatalf("invoke = %+v %s, %v", out, out.Payload, err)
		}
		return string(out.Payload)
	}
	if got := invoke(); got != `{"version":1}` {
		t.Fatalf("v1 payload = %s", got)
	}
	up, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("node"), ZipFile: v2, Publish: true})
	if err != nil || aws.ToString(up.Version) != "1" {
		t.Fatalf("update code = %+v, %v", up, err)
	}
	if got := invoke(); got != `{"version":2,"got":7}` {
		t.Fatalf("payload after the code update = %s", got)
	}
	_, err = c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("missing-code"), Runtime: types.RuntimeNodejs20x, Role: aws.String(role),
		Handler: aws.String("index.handler"), Code: &types.FunctionCode{S3Bucket: aws.String("code"), S3Key: aws.String("nope.zip")}})
	if code, _ := apiErr(err); code != "InvalidParameterValueException" {
		t.Fatalf("missing S3 code: %v", err)
	}
	_, err = c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("not-a-zip"), Runtime: types.RuntimeNodejs20x, Role: aws.String(role),
		Handler: aws.String("index.handler"), Code: &types.FunctionCode{ZipFile: []byte("plain text")}})
	if code, _ := apiErr(err); code != "InvalidParameterValueException" {
		t.Fatalf("bad zip: %v", err)
	}
}

func TestFunctionsOnPostgres(t *testing.T) {
	t.Parallel()
	srv := ceaptest.StartServer(t, ceaptest.WithPostgres())
	c := lambda.NewFromConfig(srv.AWS)
	ctx := context.Background()
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("pg"), Runtime: types.RuntimeProvidedal2023, Role: aws.String(role),
		Code: &types.FunctionCode{ZipFile: goZip}, Publish: true}); err != nil {
		t.Fatal(err)
	}
	out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("pg:1"), Payload: []byte(`{"op":"echo","value":"pg"}`)})
	if err != nil || !strings.Contains(string(out.Payload), `"value":"pg"`) || aws.ToString(out.ExecutedVersion) != "1" {
		t.Fatalf("invoke = %+v %s, %v", out, out.Payload, err)
	}
	ev, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("pg"), InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"op":"print","value":"queued"}`)})
	if err != nil || ev.StatusCode != 202 {
		t.Fatalf("event invoke = %+v, %v", ev, err)
	}
	lc := cwl.NewFromConfig(srv.AWS)
	deadline := time.Now().Add(15 * time.Second)
	for {
		got, err := lc.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String("/aws/lambda/pg"), FilterPattern: aws.String(`"to stderr QUEUED"`)})
		if err == nil && len(got.Events) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the queued invocation never ran: %+v, %v", got, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
