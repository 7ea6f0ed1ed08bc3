// Package stage is the contract every CEAP stage function follows: the payload a Step Functions
// lambda:invoke Task sends (executionId, currentStage, previousStage, workflowBucket,
// initialData), reading the previous stage's output from S3 or the initial message, writing
// executions/<executionId>/<currentStage>/output.json, and the small result
// {status, stage, recordsProcessed} that the Task discards.
//
// It also owns what every stage does the same way: test mode ("test": true), injected failures
// ("failAt": "<StateName>"), the error types that become the Task's error names, and the
// structured JSON log lines operators query.
//
// It never holds business logic (that lives in each stage's own program) and never passes stage
// data through the Task's result: Step Functions caps payloads at 256 KiB, stage data goes
// through S3.
package stage
