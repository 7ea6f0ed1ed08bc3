// Package events is Amazon EventBridge on the default event bus: rules with event patterns,
// their targets (SNS topics, SQS queues, Lambda functions, Step Functions state machines) with
// Input, InputPath and InputTransformer, PutEvents, and Emit, the Go API through which ceap's
// own services publish AWS service events (Step Functions' "Step Functions Execution Status
// Change"), and rules with a ScheduleExpression (rate and cron) that fire "Scheduled Event"s.
// A matched event's deliveries are written to a durable outbox in the store before
// PutEvents or Emit returns; a worker on each ceap node claims them with leases and delivers
// them with EventBridge's retry policy, so a restart or a failed target loses nothing.
//
// Targets are reached through the TopicPublisher, QueueSender, FunctionInvoker and
// ExecutionStarter interfaces declared here; this package never imports the services behind
// them, net/http, or the api and protocol packages.
package events
