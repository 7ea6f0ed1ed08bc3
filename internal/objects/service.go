package objects

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/blob"
	"github.com/ceap/ceap/internal/clock"
	"github.com/ceap/ceap/internal/store"
)

// Recorder receives the service's CloudWatch datapoints (metrics.Recorder implements it).
type Recorder interface {
	RecordAt(t time.Time, account, namespace, name string, dims []Dimension, value float64, unit string)
}

// Dimension is a CloudWatch dimension; it converts to the metrics package's type in the wiring.
type Dimension struct {
	Name  string
	Value string
}

// Config configures the Service. The zero value of each optional field means its default.
type Config struct {
	// Store keeps the metadata (required).
	Store store.ObjectStore
	// Blobs keeps the bodies (required).
	Blobs blob.Store
	// Clock is the service's time (default: the wall clock).
	Clock clock.Clock
	// Log receives the service's own logs (default: slog.Default()).
	Log *slog.Logger
	// Metrics receives the AWS/S3 storage metrics (optional).
	Metrics Recorder
	// LifecycleInterval is how often the sweeper applies lifecycle rules (default 1h).
	LifecycleInterval time.Duration
	// GCGrace is how old an unreferenced blob must be before the collector removes it (default
	// 1h), so that a body written just before its metadata row is never taken.
	GCGrace time.Duration
}

// Service is the S3 domain.
type Service struct {
	cfg   Config
	store store.ObjectStore
	blobs blob.Store
	clock clock.Clock
	log   *slog.Logger

	// buckets caches bucket rows by name (see bucketCacheTTL).
	buckets sync.Map
	// lifecycles keeps buckets' decoded lifecycle rules, for the expiry of every object answer.
	lifecycles lifecycleCache

	mu         sync.Mutex
	metricsDay time.Time
	cancel     context.CancelFunc
	done       chan struct{}
}

// New returns a Service; Start runs its sweeper.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Blobs == nil {
		return nil, errors.New("objects: Store and Blobs are required")
	}
	cfg.Clock = clock.Or(cfg.Clock)
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.LifecycleInterval <= 0 {
		cfg.LifecycleInterval = time.Hour
	}
	if cfg.GCGrace <= 0 {
		cfg.GCGrace = time.Hour
	}
	return &Service{cfg: cfg, store: cfg.Store, blobs: cfg.Blobs, clock: cfg.Clock, log: cfg.Log.With("component", "objects")}, nil
}

// Start runs the sweeper (lifecycle rules, blob garbage collection, daily storage metrics) every
// LifecycleInterval until Stop or ctx's end.
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

// Stop ends the sweeper and waits for it.
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
		select {
		case <-ctx.Done():
			return
		case <-s.clock.After(s.cfg.LifecycleInterval):
		}
		s.RunOnce(ctx)
	}
}

// RunOnce runs one pass of the background work: the lifecycle sweep, the storage metrics and the
// blob collector. Tests call it directly with a fake clock.
func (s *Service) RunOnce(ctx context.Context) {
	if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
		s.log.Error("lifecycle_sweep_failed", "err", err)
	}
	if err := s.RecordStorageMetrics(ctx); err != nil && ctx.Err() == nil {
		s.log.Error("storage_metrics_failed", "err", err)
	}
	if _, err := s.CollectGarbage(ctx); err != nil && ctx.Err() == nil {
		s.log.Error("blob_gc_failed", "err", err)
	}
}

// freeBlobs deletes blobs that no row refers to any more; failures leave them to the collector.
func (s *Service) freeBlobs(ctx context.Context, ids []string) {
	for _, id := range ids {
		if err := s.blobs.Delete(context.WithoutCancel(ctx), id); err != nil {
			s.log.Warn("blob_delete_failed", "blob", id, "err", err)
		}
	}
}

// internal wraps an unexpected failure; the api layer answers InternalError and logs it.
func internal(what string, err error) error {
	if _, ok := awserr.As(err); ok {
		return err
	}
	return fmt.Errorf("%s: %w", what, err)
}
