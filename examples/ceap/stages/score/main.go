// Command score is the CEAP Score stage: it adds a score in [0, 1] to every candidate, from a
// small logistic model over the event and the candidate's features; a candidate the model cannot
// score gets the fallback score instead of being dropped. It never removes a candidate.
package main

import "github.com/ceap/ceap/examples/ceap/stages/stage"

func main() {
	stage.Main(run)
}
