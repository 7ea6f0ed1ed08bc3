// Package asl owns the Amazon States Language definition compiler and its pure interpreter.
//
// Compile parses and validates a definition the way CreateStateMachine does (diagnostics with
// AWS's codes, messages and JSON-pointer locations) and returns an immutable *Program. The
// interpreter is a deterministic step function over a JSON-serializable *Snapshot: Start, Resume
// and Redrive take the current time as a parameter, emit GetExecutionHistory events, and describe
// every effect (invoke a task, start or cancel a timer, read Map items) as a Command that the
// driver performs and answers with an Event. Run is the in-memory driver used by Express
// executions and by tests.
//
// The driver protocol: every Command carries an ID unique within the execution, and the Event
// that answers it echoes that ID. InvokeTask is answered with TaskStarted (when the driver
// starts the work; if it never reports it, TaskStarted is recorded just before the result),
// then TaskSucceeded or TaskFailed, and TaskHeartbeat while it runs; StartTimer with
// TimerFired; ReadItems and WriteResults with TaskSucceeded or TaskFailed. CancelTask and
// CancelTimer withdraw earlier commands: answers to them are ignored. Stop ends the execution
// ABORTED. Resume runs every pure step back to back, so the snapshot a driver stores after it
// is always waiting on the outside world or finished.
//
// The interpreter must never read a clock, start goroutines, perform I/O or keep package-level
// state; only Run, the driver, sleeps and runs tasks. The expression languages live in the
// jsonpath, intrinsic, jsonata and template subpackages; this package calls them through
// expr.go only.
package asl
