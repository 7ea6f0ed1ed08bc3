package alarms_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoWireDependencies holds the line of the package comment: the alarms domain never depends
// on HTTP, the protocol layer or the api packages.
func TestNoWireDependencies(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "net/http" || strings.HasPrefix(dep, "github.com/ceap/ceap/internal/protocol") || strings.HasPrefix(dep, "github.com/ceap/ceap/internal/api") {
			t.Fatalf("alarms depends on %s", dep)
		}
	}
}
