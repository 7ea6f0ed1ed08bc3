package sqs_test

import (
	"context"
	"os/exec"
	"testing"
	"time"
)

// TestE2EScript runs test/e2e/sqs.sh: the runbook's SQS commands through the real aws CLI
// against a real `ceap serve` process.
func TestE2EScript(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatalf("the aws CLI is needed for the end-to-end test: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute) // about 1 minute on a quiet machine; a guard against a hang
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "../../../test/e2e/sqs.sh")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("test/e2e/sqs.sh: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
