package server_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDomainsKnowNothingOfHTTP holds the line DESIGN.md draws: a domain package takes typed
// requests and returns typed results and Go errors, and never depends on HTTP, the protocol layer
// or the api packages. funcs is the one exception by nature: it serves the Lambda Runtime API,
// which is HTTP, to the function processes.
func TestDomainsKnowNothingOfHTTP(t *testing.T) {
	t.Parallel()
	const module = "github.com/ceap/ceap/internal/"
	domains := []string{"alarms", "asl", "events", "jobs", "logs", "logs/insights", "metrics", "objects", "blob/fsblob", "pipes", "queues", "states", "topics"}
	args := []string{"list", "-deps", "-f", "{{.ImportPath}}"}
	for _, d := range domains {
		out, err := exec.Command("go", append(args, module+d)...).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", d, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			if dep == "net/http" || strings.HasPrefix(dep, module+"protocol") || strings.HasPrefix(dep, module+"api") {
				t.Errorf("%s depends on %s", d, dep)
			}
		}
	}
}
