package cloudwatch_test

import (
	"os/exec"
	"testing"

	"github.com/ceap/ceap/internal/ceaptest"
)

// TestBotocoreProtocols drives the API with boto3 in each protocol that CloudWatch clients
// speak: json (botocore's choice), smithy-rpc-v2-cbor and query (forced through a copy of the
// model), so that botocore's own parsers accept every answer.
func TestBotocoreProtocols(t *testing.T) {
	t.Parallel()
	if err := exec.Command("python3", "-c", "import boto3").Run(); err != nil {
		t.Fatalf("python3 with boto3 is needed: %v", err)
	}
	srv := ceaptest.StartServer(t)
	for _, p := range []string{"json", "smithy-rpc-v2-cbor", "query"} {
		t.Run(p, func(t *testing.T) {
			t.Parallel()
			out, err := exec.Command("python3", "testdata/botocore_protocols.py", srv.URL(), p).CombinedOutput()
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
		})
	}
}
