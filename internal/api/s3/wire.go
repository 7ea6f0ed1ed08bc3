package s3

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/ceap/ceap/internal/blob"
	"github.com/ceap/ceap/internal/blob/fsblob"
	"github.com/ceap/ceap/internal/clock"
	"github.com/ceap/ceap/internal/metrics"
	"github.com/ceap/ceap/internal/objects"
	"github.com/ceap/ceap/internal/store"
)

// WireConfig is what the server hands the S3 service.
type WireConfig struct {
	// Store must implement store.ObjectStore.
	Store store.Store
	// Data is the data directory; bodies go under Data/blobs unless Blobs is set.
	Data string
	// Blobs, when set, replaces the filesystem blob store (an S3-compatible backend).
	Blobs             blob.Store
	Clock             clock.Clock
	Metrics           *metrics.Recorder
	Log               *slog.Logger
	Region            string
	LifecycleInterval time.Duration
}

// Wire builds the objects service on the store and the blob store, and the handler serving it.
// The handler is also the component that runs the lifecycle sweeper.
func Wire(cfg WireConfig) (*Handler, error) {
	os, ok := cfg.Store.(store.ObjectStore)
	if !ok {
		return nil, fmt.Errorf("store driver %s does not implement the object store", cfg.Store.Driver())
	}
	blobs := cfg.Blobs
	if blobs == nil {
		fs, err := fsblob.New(filepath.Join(cfg.Data, "blobs"))
		if err != nil {
			return nil, fmt.Errorf("open blob store: %w", err)
		}
		blobs = fs
	}
	oc := objects.Config{Store: os, Blobs: blobs, Clock: cfg.Clock, Log: cfg.Log, LifecycleInterval: cfg.LifecycleInterval}
	hc := Config{Region: cfg.Region, Log: cfg.Log}
	if cfg.Metrics != nil {
		oc.Metrics = storageRecorder{cfg.Metrics}
		hc.Metrics = cfg.Metrics
	}
	svc, err := objects.New(oc)
	if err != nil {
		return nil, err
	}
	hc.Objects = svc
	return New(hc), nil
}

// Start runs the objects service's background work (lifecycle sweeper, blob collector).
func (h *Handler) Start(ctx context.Context) error { return h.svc.Start(ctx) }

// Stop ends it.
func (h *Handler) Stop(ctx context.Context) error { return h.svc.Stop(ctx) }

// Objects returns the domain service (tests drive its sweeper directly).
func (h *Handler) Objects() *objects.Service { return h.svc }

// storageRecorder adapts the metrics recorder to the objects service's interface.
type storageRecorder struct{ r *metrics.Recorder }

func (s storageRecorder) RecordAt(t time.Time, account, namespace, name string, dims []objects.Dimension, value float64, unit string) {
	md := make([]metrics.Dimension, len(dims))
	for i, d := range dims {
		md[i] = metrics.Dimension{Name: d.Name, Value: d.Value}
	}
	s.r.RecordAt(t, account, namespace, name, md, value, unit)
}
