package store

// QueueStore keeps SQS queues and their messages.
type QueueStore interface {
}
