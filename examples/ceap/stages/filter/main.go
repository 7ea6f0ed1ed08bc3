// Command filter is the CEAP Filter stage: it drops the candidates that fail the eligibility
// rules and records each rejection with a reason code. It never changes a kept candidate.
package main

import "github.com/ceap/ceap/examples/ceap/stages/stage"

func main() {
	stage.Main(run)
}
