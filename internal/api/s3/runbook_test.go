package s3_test

import (
	"os/exec"
	"testing"

	"github.com/ceap/ceap/internal/ceaptest"
)

// TestRunbookWithAWSCLI runs the runbook's S3 commands with the machine's aws CLI (about 20
// invocations, so it is left out of -short runs).
func TestRunbookWithAWSCLI(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs the aws CLI some 20 times; not in -short")
	}
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatalf("the aws CLI is required: %v", err)
	}
	srv := ceaptest.StartServer(t)
	out, err := exec.Command("bash", "testdata/runbook_s3.sh", srv.URL()).CombinedOutput()
	if err != nil {
		t.Fatalf("runbook script: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
