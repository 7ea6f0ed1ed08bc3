// Package pipes is EventBridge Pipes: pipes from an SQS queue to a Step Functions state machine
// with their desired and current states, and the runners that move the messages. A RUNNING pipe
// has one runner, on the one ceap node that holds the pipe's lease in the store; the runner
// long-polls the queue, hands each batch to the state machine as an array of SQS records (as
// Pipes does) and deletes the messages when the target took them: after a successful
// synchronous execution (REQUEST_RESPONSE) or once an execution started (FIRE_AND_FORGET). A
// failed batch is left on the queue, so the visibility timeout, receive count and redrive policy
// decide what happens next, exactly as with AWS.
//
// The queue and the state machines are reached through the QueueSource and StateMachineTarget
// interfaces that this package declares; it never imports the services behind them, net/http,
// or the api and protocol packages.
package pipes
