// Package ceaptest starts a real ceap server in-process for tests, on 127.0.0.1:0 with its own
// data directory, and hands out aws-sdk-go-v2 configurations pointed at it.
package ceaptest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/ceap/ceap/internal/clock"
	"github.com/ceap/ceap/internal/config"
	"github.com/ceap/ceap/internal/server"
	"github.com/ceap/ceap/internal/store"
	"github.com/ceap/ceap/internal/store/storetest"
)

// Account is the account id of test servers.
const Account = "123456789012"

// Server is a running test server.
type Server struct {
	*server.Server
	Config config.Config
	// AWS is an SDK configuration with dummy credentials, region us-east-1, and the server's
	// endpoint.
	AWS aws.Config
}

// Option changes how a test server starts.
type Option func(*options)

type options struct {
	cfg      func(*config.Config)
	clock    clock.Clock
	postgres bool
	store    store.Store
	log      bool
}

// WithConfig edits the configuration before the server starts.
func WithConfig(fn func(*config.Config)) Option { return func(o *options) { o.cfg = fn } }

// WithClock runs the server on clk (usually a *clock.Fake).
func WithClock(clk clock.Clock) Option { return func(o *options) { o.clock = clk } }

// WithPostgres runs the server on a fresh PostgreSQL schema instead of SQLite.
func WithPostgres() Option { return func(o *options) { o.postgres = true } }

// WithStore runs the server on s (e.g. two servers on one PostgreSQL schema).
func WithStore(s store.Store) Option { return func(o *options) { o.store = s } }

// WithLogs sends the server's own logs to the test log.
func WithLogs() Option { return func(o *options) { o.log = true } }

// StartServer starts a server that stops when the test ends.
func StartServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.Data = t.TempDir()
	cfg.AccountID = Account
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	so := server.Options{Clock: o.clock, Store: o.store}
	if o.postgres && o.store == nil {
		so.Store = storetest.OpenPostgres(t)
	}
	so.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	if o.log {
		so.Log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	srv, err := server.New(cfg, so)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatalf("server.Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Stop(ctx)
	})
	return &Server{Server: srv, Config: cfg, AWS: SDKConfig(srv.URL())}
}

// SDKConfig returns an aws-sdk-go-v2 configuration for the endpoint with dummy credentials. It
// disables the endpoint host prefixes (StartSyncExecution's "sync-"), which a local endpoint
// cannot resolve.
func SDKConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint:     aws.String(endpoint),
		HTTPClient:       &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
		RetryMaxAttempts: 1,
		APIOptions:       []func(*middleware.Stack) error{NoHostPrefix},
	}
}

// NoHostPrefix is an SDK API option that keeps the client from prefixing the endpoint's host.
func NoHostPrefix(s *middleware.Stack) error {
	return s.Initialize.Add(middleware.InitializeMiddlewareFunc("ceapNoHostPrefix",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
		}), middleware.Before)
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}
