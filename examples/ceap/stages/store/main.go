// Command store is the CEAP Store stage: it writes the scored candidates of a run, best first,
// to results/<programId>/<executionId>.json in the workflow bucket, where consumers read them.
// Writing the same run again replaces its results, so a retried or redriven Store is harmless.
package main

import "github.com/ceap/ceap/examples/ceap/stages/stage"

func main() {
	stage.Main(run)
}
