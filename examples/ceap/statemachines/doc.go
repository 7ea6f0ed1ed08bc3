// Package statemachines holds the CEAP state machine templates (express.asl.json and
// standard.asl.json) and the tests that hold them to the stage contract. The templates carry
// ${PLACEHOLDER} strings for the ARNs, bucket and job name, which deploy.sh fills in with the
// retry intervals; this package has no code that deploys anything.
package statemachines
