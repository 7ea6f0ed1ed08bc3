package server

import (
	"context"

	"github.com/ceap/ceap/internal/events"
	"github.com/ceap/ceap/internal/states"
)

// EmitEvent emits an event through the wired EventBridge service, as ceap's own services do.
func EmitEvent(s *Server, ctx context.Context, account, region string, e events.Event) error {
	return s.eventService().Emit(ctx, account, region, e)
}

// ReportStatusChange reports an execution's status change through the listener that the
// Step Functions service is given.
func ReportStatusChange(s *Server, ctx context.Context, c *states.StatusChange) {
	s.statesStatusListener().ExecutionStatusChanged(ctx, c)
}
