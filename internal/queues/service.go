// Package queues is ceap's SQS: queues and their attributes, messages with visibility timeouts,
// delays, retention, long polling, redrive to dead-letter queues, message move tasks, FIFO queues
// with group ordering and deduplication, and the AWS/SQS metrics. Its API is plain Go (typed
// parameters and results, *awserr.Error for what the caller did wrong); the wire shapes live in
// internal/api/sqs.
//
// It keeps every message in the store and claims messages there, so that two receivers (or two
// nodes on one PostgreSQL) never get the same message. It must never import net/http or the
// protocol packages, never start a goroutine per message, and never read the wall clock except
// through its Clock.
package queues

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ceap/ceap/internal/clock"
	"github.com/ceap/ceap/internal/metrics"
	"github.com/ceap/ceap/internal/store"
)

// Recorder records CloudWatch datapoints (implemented by *metrics.Recorder).
type Recorder interface {
	Record(account, namespace, name string, dims []metrics.Dimension, value float64, unit string)
}

// Config configures a Service. The zero value of each field means its default.
type Config struct {
	Store   store.QueueStore
	Clock   clock.Clock
	Metrics Recorder
	Log     *slog.Logger
	// Region is the region in queue ARNs (default us-east-1).
	Region string
	// CacheTTL is how long queue metadata is trusted before it is read again; changes made
	// through this Service invalidate it at once, changes by other nodes show after the TTL
	// (default 1s).
	CacheTTL time.Duration
	// PollInterval is how often a long poll re-checks the store for messages that became
	// visible by time or were sent by another node (default 1s).
	PollInterval time.Duration
	// SweepInterval is how often messages past retention and ended dedup records are deleted
	// (default 1m).
	SweepInterval time.Duration
	// SampleInterval is how often the queue depth metrics are recorded (default 1m, as SQS).
	SampleInterval time.Duration
	// MoveInterval is how often running message move tasks move their next messages (default 1s).
	MoveInterval time.Duration
}

// Service is the SQS domain.
type Service struct {
	cfg    Config
	log    *slog.Logger
	clock  clock.Clock
	store  store.QueueStore
	notify *notifier

	cacheMu sync.Mutex
	cache   map[queueKey]*cached

	stopOnce sync.Once
	stopping chan struct{}
	cancel   context.CancelFunc
	done     chan struct{}
}

type queueKey struct{ account, name string }

type cached struct {
	q      *Queue
	loaded time.Time
}

// New returns a Service; Start runs its background work.
func New(cfg Config) *Service {
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = time.Second
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.SweepInterval <= 0 {
		cfg.SweepInterval = time.Minute
	}
	if cfg.SampleInterval <= 0 {
		cfg.SampleInterval = time.Minute
	}
	if cfg.MoveInterval <= 0 {
		cfg.MoveInterval = time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Service{
		cfg:      cfg,
		log:      cfg.Log,
		clock:    clock.Or(cfg.Clock),
		store:    cfg.Store,
		notify:   newNotifier(),
		cache:    map[queueKey]*cached{},
		stopping: make(chan struct{}),
	}
}

// Start runs the sweeper, the depth sampler and the move task runner until Stop.
func (s *Service) Start(ctx context.Context) error {
	ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.done = make(chan struct{})
	go s.loop(ctx)
	return nil
}

// Stop ends the background work and wakes every long poll.
func (s *Service) Stop(ctx context.Context) error {
	s.Wake()
	if s.cancel == nil {
		return nil
	}
	s.cancel()
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop queues: %w", ctx.Err())
	}
}

// Wake ends every long poll in progress (they answer with what they have) and makes later ones
// return at once: the server calls it when it begins to shut down.
func (s *Service) Wake() {
	s.stopOnce.Do(func() { close(s.stopping) })
}

func (s *Service) loop(ctx context.Context) {
	defer close(s.done)
	sweep := s.clock.After(s.cfg.SweepInterval)
	sample := s.clock.After(s.cfg.SampleInterval)
	move := s.clock.After(s.cfg.MoveInterval)
	for {
		select {
		case <-ctx.Done():
			return
		case <-sweep:
			if err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("queue_sweep_failed", "err", err)
			}
			sweep = s.clock.After(s.cfg.SweepInterval)
		case <-sample:
			if err := s.Sample(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("queue_sample_failed", "err", err)
			}
			sample = s.clock.After(s.cfg.SampleInterval)
		case <-move:
			if err := s.RunMoveTasks(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("queue_move_tasks_failed", "err", err)
			}
			move = s.clock.After(s.cfg.MoveInterval)
		}
	}
}

// allQueues lists every live queue of every account.
func (s *Service) allQueues(ctx context.Context) ([]*Queue, error) {
	var out []*Queue
	rows, err := s.store.QueueList(ctx, &store.QueueListParams{Limit: 1 << 30})
	if err != nil {
		return nil, fmt.Errorf("list queues: %w", err)
	}
	for _, r := range rows {
		q, err := fromRow(r, s.cfg.Region)
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, nil
}

// sweepSlice is how many expired messages one sweeper transaction deletes.
const sweepSlice = 5000

// Sweep deletes, in every queue, the messages past the queue's retention period and the FIFO
// deduplication records whose window ended.
func (s *Service) Sweep(ctx context.Context) error {
	qs, err := s.allQueues(ctx)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	var errs []error
	for _, q := range qs {
		// In slices, so that a mass expiry never holds the writer for long.
		for {
			n, err := s.store.MessagesExpire(ctx, &store.MessagesExpireParams{QueueID: q.ID, SentBefore: store.Millis(q.retainedAfter(now)), Now: store.Millis(now), Max: sweepSlice})
			if err != nil {
				errs = append(errs, fmt.Errorf("expire messages of %q: %w", q.Name, err))
			}
			if err != nil || n < sweepSlice {
				break
			}
		}
	}
	return errors.Join(errs...)
}

// Sample records the depth metrics of every queue (ApproximateNumberOfMessagesVisible,
// ...NotVisible, ...Delayed, ApproximateAgeOfOldestMessage), as SQS does once a minute.
func (s *Service) Sample(ctx context.Context) error {
	if s.cfg.Metrics == nil {
		return nil
	}
	qs, err := s.allQueues(ctx)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	for _, q := range qs {
		c, err := s.store.QueueCounts(ctx, &store.QueueCountsParams{ID: q.ID, Now: store.Millis(now), RetainedAfter: store.Millis(q.retainedAfter(now))})
		if err != nil {
			return fmt.Errorf("count messages of %q: %w", q.Name, err)
		}
		age := 0.0
		if c.OldestSent > 0 {
			age = now.Sub(store.FromMillis(c.OldestSent)).Seconds()
		}
		s.record(q, "ApproximateNumberOfMessagesVisible", float64(c.Visible), metrics.Count)
		s.record(q, "ApproximateNumberOfMessagesNotVisible", float64(c.NotVisible), metrics.Count)
		s.record(q, "ApproximateNumberOfMessagesDelayed", float64(c.Delayed), metrics.Count)
		s.record(q, "ApproximateAgeOfOldestMessage", age, metrics.Seconds)
	}
	return nil
}

// Namespace is the CloudWatch namespace of the queue metrics.
const Namespace = "AWS/SQS"

func (s *Service) record(q *Queue, name string, v float64, unit string) {
	if s.cfg.Metrics == nil {
		return
	}
	s.cfg.Metrics.Record(q.Account, Namespace, name, []metrics.Dimension{{Name: "QueueName", Value: q.Name}}, v, unit)
}

// notifier wakes long polls of a queue when messages become visible in it.
type notifier struct {
	mu    sync.Mutex
	chans map[int64]chan struct{}
}

func newNotifier() *notifier { return &notifier{chans: map[int64]chan struct{}{}} }

// wait returns a channel closed at the next notify of the queue.
func (n *notifier) wait(id int64) <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	ch, ok := n.chans[id]
	if !ok {
		ch = make(chan struct{})
		n.chans[id] = ch
	}
	return ch
}

func (n *notifier) notify(id int64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if ch, ok := n.chans[id]; ok {
		close(ch)
		delete(n.chans, id)
	}
}
