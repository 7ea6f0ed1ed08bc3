// Package insights owns the CloudWatch Logs Insights query language: it parses a query string
// into an immutable Query (SOURCE, fields, filter, stats, sort, limit, parse, display, dedup,
// expressions and functions, with errors that carry the position of the fault) and evaluates it
// over a stream of log events in time order into result rows of {field, value}, keeping only
// what the query needs (aggregates for stats, a bounded heap for sort followed by limit).
//
// It knows nothing of where events are stored or how queries are scheduled; it must never
// import the store, the logs service, or any api or protocol package.
package insights
