// Package topics is Amazon SNS: topics, subscriptions (sqs, lambda, http and https with the
// confirmation handshake), filter policies, and the delivery of published messages in the SNS
// JSON envelope or raw. Queues, functions and HTTP endpoints are reached through the
// QueueSender, FunctionInvoker and HTTPPoster interfaces declared here; this package never
// imports net/http, the api and protocol packages, or the services behind those interfaces.
package topics
