package events

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ceap/ceap/internal/store"
)

// deliveryLease is how long a node holds a claimed delivery.
const deliveryLease = time.Minute

// claimBatch is how many deliveries one round claims.
const claimBatch = 32

// poke wakes the delivery worker.
func (s *Service) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Service) work(stop, done chan struct{}) {
	defer close(done)
	for {
		n, err := s.RunDue(s.killCtx)
		if err != nil {
			s.log.Error("events_delivery_round_failed", "err", err)
		}
		if n == claimBatch && err == nil {
			select {
			case <-stop:
				return
			default:
				continue
			}
		}
		select {
		case <-stop:
			return
		case <-s.wake:
		case <-s.cfg.Clock.After(s.cfg.Poll):
		}
	}
}

// retryPolicy is a target's RetryPolicy.
type retryPolicy struct {
	MaximumRetryAttempts     *int
	MaximumEventAgeInSeconds *int
}

// RunDue claims the deliveries that are due and performs them, concurrently, and returns how
// many it claimed. The worker calls it; tests call it directly.
func (s *Service) RunDue(ctx context.Context) (int, error) {
	now := s.cfg.Clock.Now()
	claimed, err := s.cfg.Store.DeliveriesClaim(ctx, &store.DeliveriesClaimParams{Owner: s.cfg.Node, Now: now.UnixMilli(), Until: now.Add(deliveryLease).UnixMilli(), Limit: claimBatch})
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	for _, d := range claimed {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.attempt(ctx, d)
		}()
	}
	wg.Wait()
	return len(claimed), nil
}

// attempt delivers once and records the outcome: done, retry later with backoff, or given up
// after the target's retry policy (185 attempts or 24 hours by default, as EventBridge).
func (s *Service) attempt(ctx context.Context, d *store.DeliveryRow) {
	if string(d.Target) == scheduleMarker {
		s.fire(ctx, d)
		return
	}
	var t Target
	if err := json.Unmarshal(d.Target, &t); err != nil {
		s.log.Error("events_delivery_corrupt", "delivery", d.ID, "err", err)
		s.cfg.Store.DeliveryDelete(ctx, d.ID)
		return
	}
	s.record(d.Account, "Invocations", d.Rule, 1)
	err := s.invoke(ctx, d.Account, t, string(d.Input))
	if err == nil {
		if err := s.cfg.Store.DeliveryDelete(ctx, d.ID); err != nil {
			s.log.Warn("events_delivery_delete_failed", "delivery", d.ID, "err", err)
		}
		return
	}
	if ctx.Err() != nil {
		return // shutting down: the lease expires and the delivery is tried again
	}
	attempts := d.Attempts + 1
	maxRetries, maxAge := DefaultMaximumRetryAttempts, DefaultMaximumEventAge
	var rp retryPolicy
	if len(t.RetryPolicy) > 0 && json.Unmarshal(t.RetryPolicy, &rp) == nil {
		if rp.MaximumRetryAttempts != nil {
			maxRetries = *rp.MaximumRetryAttempts
		}
		if rp.MaximumEventAgeInSeconds != nil {
			maxAge = time.Duration(*rp.MaximumEventAgeInSeconds) * time.Second
		}
	}
	now := s.cfg.Clock.Now()
	delay := min(s.cfg.RetryDelay<<min(attempts-1, 20), MaxRetryDelay)
	if attempts > maxRetries || now.Add(delay).Sub(time.UnixMilli(d.Created)) > maxAge {
		s.record(d.Account, "FailedInvocations", d.Rule, 1)
		s.log.Warn("events_target_failed", "rule", d.Rule, "target", t.Id, "attempts", attempts, "err", err)
		s.deadLetter(ctx, d, t, attempts, attempts > maxRetries, err)
		if err := s.cfg.Store.DeliveryDelete(ctx, d.ID); err != nil {
			s.log.Warn("events_delivery_delete_failed", "delivery", d.ID, "err", err)
		}
		return
	}
	s.log.Info("events_target_attempt_failed", "rule", d.Rule, "target", t.Id, "attempt", attempts, "err", err)
	if err := s.cfg.Store.DeliveryRetry(ctx, &store.DeliveryRetryParams{ID: d.ID, Attempts: attempts, NextAt: now.Add(delay).UnixMilli()}); err != nil {
		s.log.Warn("events_delivery_retry_failed", "delivery", d.ID, "err", err)
	}
}

// deadLetter sends an event that a target could not take to the target's dead-letter queue,
// with the message attributes EventBridge sets there.
func (s *Service) deadLetter(ctx context.Context, d *store.DeliveryRow, t Target, attempts int, retriesExhausted bool, cause error) {
	if t.DeadLetterConfig == nil || t.DeadLetterConfig.Arn == "" || s.cfg.Queues == nil {
		return
	}
	condition := "MaximumEventAgeInSeconds"
	if retriesExhausted {
		condition = "MaximumRetryAttempts"
	}
	ruleARN := ""
	if p := strings.SplitN(t.Arn, ":", 6); len(p) == 6 {
		ruleARN = "arn:aws:events:" + p[3] + ":" + d.Account + ":rule/" + d.Rule
	}
	attrs := map[string]string{
		"ERROR_CODE": "SDK_CLIENT_ERROR", "ERROR_MESSAGE": cause.Error(), "EXHAUSTED_RETRY_CONDITION": condition,
		"RETRY_ATTEMPTS": strconv.Itoa(attempts - 1), "RULE_ARN": ruleARN, "TARGET_ARN": t.Arn,
	}
	if err := s.cfg.Queues.Send(ctx, d.Account, t.DeadLetterConfig.Arn, string(d.Input), "", attrs); err != nil {
		s.log.Warn("events_dead_letter_failed", "rule", d.Rule, "target", t.Id, "err", err)
		return
	}
	s.record(d.Account, "InvocationsSentToDlq", d.Rule, 1)
}
