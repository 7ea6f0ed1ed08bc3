// Package metrics is the recorder that every service calls to record its CloudWatch datapoints.
// Datapoints are aggregated in memory into one-minute statistic sets (count, sum, min, max) and
// flushed to the store on an interval and at Stop; the same totals are served in the Prometheus
// text format. It must never block a request path on the database.
package metrics

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/ceap/ceap/internal/clock"
	"github.com/ceap/ceap/internal/store"
)

// Dimension is a CloudWatch dimension.
type Dimension struct {
	Name  string
	Value string
}

// Units used by the services (CloudWatch's StandardUnit values).
const (
	Count        = "Count"
	Milliseconds = "Milliseconds"
	Seconds      = "Seconds"
	Bytes        = "Bytes"
	None         = "None"
)

// Config configures a Recorder.
type Config struct {
	Store store.MetricStore
	Clock clock.Clock
	// FlushInterval is how often aggregated minutes are written (default 10s).
	FlushInterval time.Duration
	Log           *slog.Logger
}

type key struct {
	account, namespace, name, dims string
}

type agg struct {
	unit                 string
	count, sum, min, max float64
}

type total struct {
	unit       string
	count, sum float64
	last       float64
}

// Recorder aggregates datapoints.
type Recorder struct {
	cfg     Config
	mu      sync.Mutex
	pending map[key]map[int64]*agg
	totals  map[key]*total
	stop    chan struct{}
	done    chan struct{}
}

// New returns a Recorder; call Start to flush in the background.
func New(cfg Config) *Recorder {
	cfg.Clock = clock.Or(cfg.Clock)
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = 10 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Recorder{cfg: cfg, pending: map[key]map[int64]*agg{}, totals: map[key]*total{}}
}

// CanonicalDimensions returns the stored form of dims: "Name=Value" sorted by name, joined by
// newlines.
func CanonicalDimensions(dims []Dimension) string {
	if len(dims) == 0 {
		return ""
	}
	parts := make([]string, len(dims))
	for i, d := range dims {
		parts[i] = d.Name + "=" + d.Value
	}
	sort.Strings(parts)
	return strings.Join(parts, "\n")
}

// ParseDimensions is the inverse of CanonicalDimensions.
func ParseDimensions(s string) []Dimension {
	if s == "" {
		return nil
	}
	var out []Dimension
	for _, p := range strings.Split(s, "\n") {
		n, v, _ := strings.Cut(p, "=")
		out = append(out, Dimension{Name: n, Value: v})
	}
	return out
}

// Record adds one datapoint at the current time.
func (r *Recorder) Record(account, namespace, name string, dims []Dimension, value float64, unit string) {
	r.RecordAt(r.cfg.Clock.Now(), account, namespace, name, dims, value, unit)
}

// RecordAt adds one datapoint at t.
func (r *Recorder) RecordAt(t time.Time, account, namespace, name string, dims []Dimension, value float64, unit string) {
	if math.IsNaN(value) || math.IsInf(value, 0) {
		return
	}
	k := key{account, namespace, name, CanonicalDimensions(dims)}
	minute := t.Truncate(time.Minute).UnixMilli()
	r.mu.Lock()
	defer r.mu.Unlock()
	byMinute := r.pending[k]
	if byMinute == nil {
		byMinute = map[int64]*agg{}
		r.pending[k] = byMinute
	}
	a := byMinute[minute]
	if a == nil {
		a = &agg{unit: unit, min: value, max: value}
		byMinute[minute] = a
	}
	a.count++
	a.sum += value
	a.min = math.Min(a.min, value)
	a.max = math.Max(a.max, value)
	tot := r.totals[k]
	if tot == nil {
		tot = &total{unit: unit}
		r.totals[k] = tot
	}
	tot.count++
	tot.sum += value
	tot.last = value
}

// Flush writes the aggregated minutes to the store.
func (r *Recorder) Flush(ctx context.Context) error {
	r.mu.Lock()
	pending := r.pending
	r.pending = map[key]map[int64]*agg{}
	r.mu.Unlock()
	if len(pending) == 0 || r.cfg.Store == nil {
		return nil
	}
	var pts []*store.MetricPoint
	for k, byMinute := range pending {
		for minute, a := range byMinute {
			pts = append(pts, &store.MetricPoint{Account: k.account, Namespace: k.namespace, Name: k.name, Dimensions: k.dims,
				Minute: minute, Unit: a.unit, Count: a.count, Sum: a.sum, Min: a.min, Max: a.max})
		}
	}
	if err := r.cfg.Store.MetricsAdd(ctx, &store.MetricsAddParams{Points: pts}); err != nil {
		return fmt.Errorf("flush %d metric points: %w", len(pts), err)
	}
	return nil
}

// Start flushes every FlushInterval until Stop.
func (r *Recorder) Start(ctx context.Context) error {
	r.stop, r.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(r.done)
		for {
			select {
			case <-r.stop:
				return
			case <-r.cfg.Clock.After(r.cfg.FlushInterval):
				if err := r.Flush(context.Background()); err != nil {
					r.cfg.Log.Warn("metrics_flush_failed", "err", err)
				}
			}
		}
	}()
	return nil
}

// Stop ends the loop and flushes what is left.
func (r *Recorder) Stop(ctx context.Context) error {
	if r.stop != nil {
		close(r.stop)
		<-r.done
		r.stop = nil
	}
	return r.Flush(ctx)
}

// WritePrometheus writes every metric seen since start in the Prometheus text format: metrics
// whose unit is Count as counters (name_total), others as gauges of the last value, labelled
// with the account and the dimensions.
func (r *Recorder) WritePrometheus(w io.Writer) error {
	r.mu.Lock()
	type line struct {
		name, labels, typ string
		v                 float64
	}
	var lines []line
	for k, t := range r.totals {
		name := promName(k.namespace) + "_" + promName(k.name)
		labels := []string{`account="` + promEscape(k.account) + `"`}
		for _, d := range ParseDimensions(k.dims) {
			labels = append(labels, promName(d.Name)+`="`+promEscape(d.Value)+`"`)
		}
		l := line{labels: strings.Join(labels, ",")}
		if t.unit == Count {
			l.name, l.typ, l.v = name+"_total", "counter", t.sum
		} else {
			l.name, l.typ, l.v = name, "gauge", t.last
		}
		lines = append(lines, l)
	}
	r.mu.Unlock()
	sort.Slice(lines, func(i, j int) bool {
		if lines[i].name != lines[j].name {
			return lines[i].name < lines[j].name
		}
		return lines[i].labels < lines[j].labels
	})
	prev := ""
	for _, l := range lines {
		if l.name != prev {
			if _, err := fmt.Fprintf(w, "# TYPE %s %s\n", l.name, l.typ); err != nil {
				return err
			}
			prev = l.name
		}
		if _, err := fmt.Fprintf(w, "%s{%s} %g\n", l.name, l.labels, l.v); err != nil {
			return err
		}
	}
	return nil
}

// promName turns "AWS/SQS" or "NumberOfMessagesSent" into "aws_sqs" or "number_of_messages_sent".
func promName(s string) string {
	var b strings.Builder
	prevLower := false
	for _, r := range s {
		switch {
		case unicode.IsUpper(r):
			if prevLower {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
			prevLower = false
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
			prevLower = true
		default:
			b.WriteByte('_')
			prevLower = false
		}
	}
	return b.String()
}

func promEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}
