package server

import "fmt"

// wirings connect each service to the store, the clock, the metrics recorder and each other, and
// register its API handler. One function per service, in dependency order.
var wirings = []struct {
	name string
	fn   func(*Server) error
}{
	{"logs", wireLogs},
	{"s3", wireObjects},
	{"lambda", wireFuncs},
	{"glue", wireJobs},
	{"sqs", wireQueues},
	{"sns", wireTopics},
	{"cloudwatch", wireCloudWatch},
	{"events", wireEvents},
	{"states", wireStates},
	{"pipes", wirePipes},
}

func (s *Server) wire() error {
	for _, w := range wirings {
		if err := w.fn(s); err != nil {
			return fmt.Errorf("wire %s: %w", w.name, err)
		}
	}
	return nil
}
