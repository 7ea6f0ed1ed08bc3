// Package e2e runs the end-to-end scripts of test/e2e: the CEAP deployment on a real `ceap serve`
// process, driven by the real aws CLI.
package e2e

import (
	"context"
	"os/exec"
	"testing"
	"time"
)

func TestCEAPDeployment(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"aws", "jq", "zip", "python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed for the end-to-end test: %v", tool, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute) // about 5 minutes on a quiet machine: a guard against a hang, under the suite's 25-minute limit
	defer cancel()
	out, err := exec.CommandContext(ctx, "bash", "ceap.sh").CombinedOutput()
	if err != nil {
		t.Fatalf("test/e2e/ceap.sh: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
