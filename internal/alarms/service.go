// Package alarms is CloudWatch's own logic on top of the metrics that every service records:
// PutMetricData, the statistics of GetMetricStatistics and GetMetricData computed from the
// store's one-minute statistic sets, ListMetrics, metric alarms with the evaluator that moves
// them between OK, ALARM and INSUFFICIENT_DATA each minute and publishes their notifications to
// SNS topics, and dashboards. State lives in the store (alarms, their history, dashboards), so it
// survives restarts, and each minute's evaluation is claimed in the store so that several nodes
// never evaluate (and notify) twice.
//
// It must never speak HTTP or know any wire protocol (the api/cloudwatch package does), never
// keep alarm state only in memory, and never read the wall clock (the Config's Clock is the only
// time source).
package alarms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/ceap/ceap/internal/clock"
	"github.com/ceap/ceap/internal/store"
)

// Store is what the service needs of the store.
type Store interface {
	store.AlarmStore
	store.MetricStore
}

// Publisher publishes an alarm notification to an SNS topic (the topics service, injected by the
// server).
type Publisher interface {
	Publish(ctx context.Context, account, topicARN, subject, message string) error
}

// Flusher writes the metrics recorder's pending points to the store, so that an evaluation sees
// every point of the minutes it reads.
type Flusher interface {
	Flush(ctx context.Context) error
}

// Defaults of Config.
const (
	// DefaultEvaluationDelay is how long after a minute ends its alarms are evaluated: the metrics
	// recorder of every node flushes at least every 10 s.
	DefaultEvaluationDelay = 15 * time.Second
	// historyRetention is how long alarm history is kept (AWS keeps two weeks).
	historyRetention = 14 * 24 * time.Hour
)

// Config configures a Service. Its zero value (but for Store) means the defaults.
type Config struct {
	Store    Store
	Clock    clock.Clock
	Topics   Publisher // nil: SNS actions fail and are recorded as failed
	Recorder Flusher   // nil: nothing to flush
	Region   string
	// Owner names this node in evaluation claims (default: a random id).
	Owner string
	// EvaluationDelay is how long after a minute's end its evaluation runs.
	EvaluationDelay time.Duration
	Log             *slog.Logger
}

// Service is CloudWatch's metrics queries, alarms and dashboards.
type Service struct {
	cfg Config
	log *slog.Logger

	mu     sync.Mutex
	cancel context.CancelFunc // nil while the evaluator is not running
	done   chan struct{}
}

// New returns a Service; Start runs the evaluator.
func New(cfg Config) *Service {
	cfg.Clock = clock.Or(cfg.Clock)
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Owner == "" {
		cfg.Owner = uuid.NewString()
	}
	if cfg.EvaluationDelay <= 0 {
		cfg.EvaluationDelay = DefaultEvaluationDelay
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Service{cfg: cfg, log: cfg.Log}
}

// Start runs the evaluator: once a minute, EvaluationDelay after the minute's end, until Stop
// or ctx's end.
func (s *Service) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel != nil {
		return nil
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel, s.done = cancel, make(chan struct{})
	go s.loop(ctx, s.done)
	return nil
}

// Stop ends the evaluator and waits for an evaluation in progress.
func (s *Service) Stop(ctx context.Context) error {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.cancel = nil
	s.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Service) loop(ctx context.Context, done chan struct{}) {
	defer close(done)
	for {
		now := s.cfg.Clock.Now()
		next := now.Truncate(time.Minute).Add(s.cfg.EvaluationDelay)
		if !next.After(now) {
			next = next.Add(time.Minute)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.cfg.Clock.After(next.Sub(now)):
		}
		if _, err := s.Evaluate(ctx); err != nil && !errors.Is(err, context.Canceled) {
			s.log.Warn("alarm_evaluation_failed", "err", err)
		}
	}
}

// EvaluationStats counts what one evaluation did.
type EvaluationStats struct {
	// Claimed is false when another node (or an earlier call) already evaluated this minute.
	Claimed     bool
	Evaluated   int
	Transitions int
}

// Evaluate evaluates every alarm of every account for the minute that ended last at the clock's
// time, once: a minute that is already claimed in the store is skipped.
func (s *Service) Evaluate(ctx context.Context) (EvaluationStats, error) {
	var st EvaluationStats
	if s.cfg.Recorder != nil {
		if err := s.cfg.Recorder.Flush(ctx); err != nil {
			s.log.Warn("metrics_flush_failed", "err", err)
		}
	}
	now := s.cfg.Clock.Now()
	end := now.Truncate(time.Minute)
	claimed, err := s.cfg.Store.AlarmEvaluationClaim(ctx, &store.AlarmEvaluationClaimParams{Minute: end.UnixMilli(), Owner: s.cfg.Owner, Now: now.UnixMilli()})
	if err != nil {
		return st, fmt.Errorf("claim minute %s: %w", end.Format(time.RFC3339), err)
	}
	if !claimed {
		return st, nil
	}
	st.Claimed = true
	if err := s.cfg.Store.AlarmHistoryPrune(ctx, &store.AlarmHistoryPruneParams{Before: now.Add(-historyRetention).UnixMilli()}); err != nil {
		s.log.Warn("alarm_history_prune_failed", "err", err)
	}
	// Every account's alarms, at once: Account "" lists them all.
	rows, err := s.cfg.Store.AlarmList(ctx, &store.AlarmListParams{})
	if err != nil {
		return st, fmt.Errorf("list alarms: %w", err)
	}
	var errs []error
	for _, row := range rows {
		if ctx.Err() != nil {
			return st, ctx.Err()
		}
		if row.PendingActions != "" {
			if row, err = s.resumePending(ctx, row, now); err != nil {
				errs = append(errs, fmt.Errorf("alarm %q: %w", row.Name, err))
				continue
			}
		}
		moved, err := s.evaluateRow(ctx, row, now, end)
		st.Evaluated++
		if moved {
			st.Transitions++
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("alarm %q: %w", row.Name, err))
		}
	}
	if st.Transitions > 0 {
		s.log.Info("alarms_evaluated", "minute", end, "evaluated", st.Evaluated, "transitions", st.Transitions)
	}
	return st, errors.Join(errs...)
}
