// Command etl is the CEAP ETL stage: the first stage of both workflows. It normalises the
// candidates of a message {programId, marketplace, candidates: [...]} and counts the records it
// processed, transformed and rejected as malformed. It writes only its own output; it never
// drops a record silently (every rejection has a reason code).
package main

import (
	"context"

	"github.com/ceap/ceap/examples/ceap/stages/stage"
)

func main() {
	stage.Main(run)
}

// run is ETL's work under the stage contract.
func run(_ context.Context, in *stage.Input) (stage.Output, error) {
	batch, err := transform(in.ExecutionID, in.CurrentStage, in.Data)
	if err != nil {
		return stage.Output{}, err
	}
	return stage.Output{Document: batch, Records: batch.Counts[countProcessed]}, nil
}
