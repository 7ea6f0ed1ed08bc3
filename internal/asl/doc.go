// Package asl owns the Amazon States Language definition compiler and its pure interpreter.
//
// Compile parses and validates a definition the way CreateStateMachine does (diagnostics with
// AWS's codes, messages and JSON-pointer locations) and returns an immutable *Program;
// Validate returns every diagnostic, warnings included, for ValidateStateMachineDefinition;
// (*Program).ValidateType adds the restrictions of EXPRESS state machines.
//
// The interpreter is a deterministic step function over a JSON-serializable *Snapshot: Start,
// Resume and Redrive take the current time as a parameter, emit GetExecutionHistory events
// (ids, previousEventIds and event order as Step Functions records them), and describe every
// effect as a Command that the driver performs and answers with an Event. Run is the
// in-memory driver used by Express executions and by tests.
//
// The driver protocol: every Command carries an ID unique within the execution, and the Event
// that answers it echoes that ID. InvokeTask is answered with TaskStarted (when the driver
// starts the work; if it never reports it, TaskStarted is recorded just before the result),
// TaskSubmitted for the start call of a .sync integration, then TaskSucceeded or TaskFailed,
// and TaskHeartbeat while it runs; StartTimer with TimerFired; ReadItems and WriteResults with
// TaskSucceeded or TaskFailed. CancelTask and CancelTimer withdraw earlier commands: answers
// to them are ignored. Stop ends the execution ABORTED. Resume runs every pure step back to
// back, so the snapshot a driver stores after it is always waiting on the outside world or
// finished. Task tokens (.waitForTaskToken) name the execution and the command and are
// derived from the snapshot's seed; ParseTaskToken reads them back.
//
// Semantics worth knowing: States.ALL catches neither States.Runtime nor
// States.DataLimitExceeded; States.TaskFailed matches every error but States.Timeout; the
// 256 KiB payload quota applies to state input and output, task parameters and results; an
// execution fails with States.Runtime after 25,000 history events (it also ends pure loops);
// inline Map states run at most 40 iterations at once; the iterations of a distributed Map
// run inline here but cannot read outer variables; in JSONPath states Assign reads the
// state's result (after ResultSelector), a Choice rule's Assign the state's input and a
// Catch's Assign the error output.
//
// The interpreter must never read a clock, start goroutines, perform I/O or keep package-level
// state; only Run, the driver, sleeps and runs tasks. The expression languages live in the
// jsonpath, intrinsic, jsonata and template subpackages; this package calls them through
// expr.go only.
package asl
