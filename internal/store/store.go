// Package store is the one seam between ceap's services and durable state. It declares the driver
// interface (one verb per method, NounVerb(ctx, *Params), Now carried in the params), the row and
// parameter types, and the errors every driver returns. Two drivers implement it: sqlite (the
// embedded default: WAL, one writer connection, group commit) and postgres (many ceap nodes on one
// database: claims with FOR UPDATE SKIP LOCKED). storetest holds the one conformance suite that
// runs every method on both.
//
// SQL lives only in the drivers. Times are Unix milliseconds in both databases. A method returns
// only after its writes are durably committed.
package store

import (
	"errors"
	"time"
)

// Errors every driver returns, matched with errors.Is.
var (
	ErrNotFound      = errors.New("not found")
	ErrAlreadyExists = errors.New("already exists")
	ErrConflict      = errors.New("conflict")
)

// Store is the whole driver interface: one embedded interface per domain, each declared in the
// file named after its domain.
type Store interface {
	// Driver names the driver: "sqlite" or "postgres".
	Driver() string
	// Close releases the database.
	Close() error

	MetricStore
	AlarmStore
	QueueStore
	StateStore
	PipeStore
	TopicStore
	EventStore
	LogStore
	FuncStore
	JobStore
	ObjectStore
}

// Millis converts t to Unix milliseconds (0 for the zero time).
func Millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// FromMillis converts Unix milliseconds to a UTC time (the zero time for 0).
func FromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
