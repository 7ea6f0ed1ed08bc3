package server

import (
	"context"

	"github.com/ceap/ceap/internal/events"
)

// EmitEvent emits an event through the wired EventBridge service, as ceap's own services do.
func EmitEvent(s *Server, ctx context.Context, account, region string, e events.Event) error {
	return s.eventService().Emit(ctx, account, region, e)
}
