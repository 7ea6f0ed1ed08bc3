package funcs

import (
	"os"
	"strings"
	"testing"
)

const pythonHandler = `import json, logging, os

def handler(event, context):
    print("processing", event.get("value"))
    logging.warning("careful with %s", event.get("value"))
    if event.get("op") == "fail":
        raise ValueError("bad value " + str(event.get("value")))
    return {
        "value": event.get("value"),
        "requestId": context.aws_request_id,
        "function": context.function_name,
        "remaining": context.get_remaining_time_in_millis(),
        "region": os.environ["AWS_REGION"],
        "home": os.environ.get("HOME"),
    }
`

const nodeHandler = `exports.handler = async (event, context) => {
  console.log("processing", event.value);
  if (event.op === "fail") {
    const err = new Error("bad value " + event.value);
    err.name = "ValidationError";
    throw err;
  }
  return { value: event.value, requestId: context.awsRequestId, function: context.functionName,
           remaining: context.getRemainingTimeInMillis(), region: process.env.AWS_REGION };
};
exports.callback = (event, context, cb) => { cb(null, { cb: event.value }); };
`

func TestPythonHandler(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	code := zipFiles(map[string]zipEntry{"app/main.py": {body: []byte(pythonHandler), mode: 0o644}, "app/__init__.py": {mode: 0o644}})
	spec := f.spec(t, "py", "python3.12", "app/main.handler", code)
	res := invoke(t, f, spec, `{"value":"abc"}`)
	if res.FunctionError != "" {
		t.Fatalf("python invoke failed: %s\n%s", res.Payload, res.LogTail)
	}
	doc := decode(t, res.Payload)
	if doc["value"] != "abc" || doc["requestId"] != res.RequestID || doc["function"] != "py" || doc["region"] != "us-east-1" || doc["home"] != nil {
		t.Fatalf("payload = %s", res.Payload)
	}
	if rem := doc["remaining"].(float64); rem <= 0 || rem > 3000 {
		t.Fatalf("remaining = %v", rem)
	}
	if !strings.Contains(res.LogTail, "processing abc") || !strings.Contains(res.LogTail, "Z\t"+res.RequestID+"\tcareful with abc") || !strings.Contains(res.LogTail, "[WARNING]\t") {
		t.Fatalf("tail lacks the handler's print: %q", res.LogTail)
	}
	failed := invoke(t, f, spec, `{"op":"fail","value":7}`)
	doc = decode(t, failed.Payload)
	if failed.FunctionError != "Unhandled" || doc["errorType"] != "ValueError" || doc["errorMessage"] != "bad value 7" {
		t.Fatalf("error payload = %s", failed.Payload)
	}
	if !strings.Contains(failed.LogTail, "[ERROR] ValueError: bad value 7") {
		t.Fatalf("tail lacks the error: %q", failed.LogTail)
	}
}

func TestPythonInitErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	code := zipFiles(map[string]zipEntry{"ok.py": {body: []byte("def handler(e, c):\n    return 1\n"), mode: 0o644}})
	cases := map[string]string{
		"missing.handler": "Runtime.ImportModuleError",
		"ok.nothere":      "Runtime.HandlerNotFound",
		"nodot":           "Runtime.MalformedHandlerName",
	}
	for handler, wantType := range cases {
		spec := f.spec(t, "init-"+strings.ReplaceAll(handler, ".", "-"), "python3.12", handler, code)
		res := invoke(t, f, spec, `{}`)
		doc := decode(t, res.Payload)
		if res.FunctionError != "Unhandled" || doc["errorType"] != wantType {
			t.Errorf("handler %q: payload %s, want errorType %s", handler, res.Payload, wantType)
		}
	}
}

func TestNodeHandler(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/usr/bin/node"); err != nil {
		t.Fatalf("node is required on this machine: %v", err)
	}
	f := newFixture(t)
	code := zipFiles(map[string]zipEntry{"index.js": {body: []byte(nodeHandler), mode: 0o644}})
	spec := f.spec(t, "node", "nodejs20.x", "index.handler", code)
	res := invoke(t, f, spec, `{"value":"n1"}`)
	if res.FunctionError != "" {
		t.Fatalf("node invoke failed: %s\n%s", res.Payload, res.LogTail)
	}
	doc := decode(t, res.Payload)
	if doc["value"] != "n1" || doc["requestId"] != res.RequestID || doc["function"] != "node" || doc["region"] != "us-east-1" {
		t.Fatalf("payload = %s", res.Payload)
	}
	if !strings.Contains(res.LogTail, "\t"+res.RequestID+"\tINFO\tprocessing n1") {
		t.Fatalf("tail = %q", res.LogTail)
	}
	failed := invoke(t, f, spec, `{"op":"fail","value":"x"}`)
	doc = decode(t, failed.Payload)
	if failed.FunctionError != "Unhandled" || doc["errorType"] != "ValidationError" || doc["errorMessage"] != "bad value x" {
		t.Fatalf("error payload = %s", failed.Payload)
	}
	cb := f.spec(t, "nodecb", "nodejs20.x", "index.callback", code)
	if doc := decode(t, invoke(t, f, cb, `{"value":"v"}`).Payload); doc["cb"] != "v" {
		t.Fatalf("callback handler payload = %v", doc)
	}
}
