// Package server is ceap as a library: New(cfg) -> Start(ctx) -> Addr() -> Stop(ctx). It opens
// the store, wires every service to it and to each other, and serves them all on one HTTP
// listener: health at /_ceap/health, Prometheus text at /metrics, and the AWS APIs routed by the
// protocol layer. Tests start it in-process on 127.0.0.1:0; cmd/ceap starts it for real.
package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/clock"
	"github.com/ceap/ceap/internal/config"
	"github.com/ceap/ceap/internal/metrics"
	"github.com/ceap/ceap/internal/protocol"
	"github.com/ceap/ceap/internal/store"
	"github.com/ceap/ceap/internal/store/postgres"
	"github.com/ceap/ceap/internal/store/sqlite"
)

// MaxRPCBody caps the body of a non-S3 request (Lambda's 50 MB zip upload, base64-encoded, is the
// largest any served API takes).
const MaxRPCBody = 70 << 20

// Handler serves the requests of one AWS service.
type Handler interface {
	ServeAWS(w http.ResponseWriter, r *protocol.Request)
}

// Component is a service with background work.
type Component interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
}

// Options are the parts of a server that are not configuration: what tests inject.
type Options struct {
	// Clock, when set, replaces the wall clock everywhere (tests pass a clock.Fake).
	Clock clock.Clock
	// Store, when set, is used instead of opening the one the Config names.
	Store store.Store
	// Log, when set, receives ceap's own logs (default: JSON on stderr at the configured level).
	Log *slog.Logger
}

// Server is a ceap server.
type Server struct {
	cfg      config.Config
	opts     Options
	log      *slog.Logger
	clock    clock.Clock
	store    store.Store
	ownStore bool
	metrics  *metrics.Recorder
	verifier *protocol.Verifier

	handlers   map[string]Handler
	components []namedComponent
	status     sync.Map // service key -> state

	listener net.Listener
	http     *http.Server
	ready    atomic.Bool
	served   chan error
}

type namedComponent struct {
	name string
	c    Component
}

// New checks cfg and prepares a server; nothing is opened until Start.
func New(cfg config.Config, opts Options) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	log := opts.Log
	if log == nil {
		var level slog.Level
		level.UnmarshalText([]byte(cfg.LogLevel))
		log = slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	}
	var creds []protocol.Credential
	for _, c := range cfg.Credentials {
		creds = append(creds, protocol.Credential{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, Account: cfg.AccountOf(c)})
	}
	clk := clock.Or(opts.Clock)
	return &Server{
		cfg:      cfg,
		opts:     opts,
		log:      log,
		clock:    clk,
		handlers: map[string]Handler{},
		verifier: protocol.NewVerifier(creds, cfg.AccountID, cfg.Region, clk.Now),
	}, nil
}

// Start opens the store, starts every service and begins serving. It returns once the listener
// is bound; /_ceap/health answers 200 from the moment Start returns.
func (s *Server) Start(ctx context.Context) error {
	if err := os.MkdirAll(s.cfg.Data, 0o755); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	s.listener = ln
	s.http = &http.Server{Handler: s, ReadHeaderTimeout: 30 * time.Second, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	s.served = make(chan error, 1)
	go func() { s.served <- s.http.Serve(ln) }()

	if err := s.openStore(ctx); err != nil {
		s.http.Close()
		return err
	}
	s.metrics = metrics.New(metrics.Config{Store: s.store, Clock: s.clock, Log: s.log.With("component", "metrics")})
	if err := s.wire(); err != nil {
		s.shutdown(ctx)
		return err
	}
	if err := s.metrics.Start(ctx); err != nil {
		s.shutdown(ctx)
		return err
	}
	for i, nc := range s.components {
		if err := nc.c.Start(ctx); err != nil {
			for j := i - 1; j >= 0; j-- {
				s.components[j].c.Stop(ctx)
			}
			s.components = nil
			s.shutdown(ctx)
			return fmt.Errorf("start %s: %w", nc.name, err)
		}
		s.status.Store(nc.name, "running")
	}
	for key := range s.handlers {
		if _, ok := s.status.Load(key); !ok {
			s.status.Store(key, "running")
		}
	}
	s.ready.Store(true)
	s.log.Info("ceap_started", "addr", s.Addr(), "store", s.store.Driver(), "account", s.cfg.AccountID, "region", s.cfg.Region)
	return nil
}

func (s *Server) openStore(ctx context.Context) error {
	if s.opts.Store != nil {
		s.store = s.opts.Store
		return nil
	}
	var err error
	switch {
	case s.cfg.Store == "" || s.cfg.Store == "sqlite":
		s.store, err = sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(s.cfg.Data, "ceap.db")})
	default:
		s.store, err = postgres.Open(ctx, postgres.Config{URL: s.cfg.Store})
	}
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	s.ownStore = true
	return nil
}

// Addr returns the listener's address (host:port).
func (s *Server) Addr() string {
	if s.listener == nil {
		return ""
	}
	return s.listener.Addr().String()
}

// URL returns the endpoint URL of the server.
func (s *Server) URL() string { return "http://" + s.Addr() }

// Store returns the store the server runs on.
func (s *Server) Store() store.Store { return s.store }

// Stop stops accepting requests, lets requests in flight finish (until ctx ends), stops every
// service and closes the store.
func (s *Server) Stop(ctx context.Context) error {
	s.ready.Store(false)
	err := s.http.Shutdown(ctx)
	return errors.Join(err, s.shutdown(ctx))
}

func (s *Server) shutdown(ctx context.Context) error {
	var errs []error
	for i := len(s.components) - 1; i >= 0; i-- {
		if err := s.components[i].c.Stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop %s: %w", s.components[i].name, err))
		}
	}
	if s.metrics != nil {
		errs = append(errs, s.metrics.Stop(ctx))
	}
	if s.ownStore && s.store != nil {
		errs = append(errs, s.store.Close())
	}
	if s.http != nil {
		s.http.Close()
	}
	return errors.Join(errs...)
}

// handle registers the handler of a service key.
func (s *Server) handle(key string, h Handler) { s.handlers[key] = h }

// component registers a service with background work under a name shown by /_ceap/health.
func (s *Server) component(name string, c Component) {
	s.components = append(s.components, namedComponent{name, c})
	s.status.Store(name, "starting")
}

// ServeHTTP routes every request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/_ceap/health":
		s.serveHealth(w)
		return
	case s.cfg.Pprof && strings.HasPrefix(r.URL.Path, "/_ceap/debug/pprof/"):
		servePprof(w, r)
		return
	case (r.URL.Path == "/metrics" && r.Method == http.MethodGet && r.Header.Get("Authorization") == "" && r.URL.RawQuery == "") || r.URL.Path == "/_ceap/metrics":
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		s.metrics.WritePrometheus(w)
		return
	}
	req := &protocol.Request{HTTP: r, RequestID: uuid.NewString(), Received: s.clock.Now()}
	if !s.ready.Load() {
		s.writeError(w, req, awserr.WithStatus(503, "ServiceUnavailable", "ceap is starting or stopping."))
		return
	}
	req.Service = protocol.IdentifyService(r)
	switch req.Service { // REST protocols are known from the service; errors before dispatch use them
	case protocol.S3:
		req.Protocol = protocol.KindRestXML
	case protocol.Lambda, protocol.Pipes:
		req.Protocol = protocol.KindRestJSON
	}
	payloadHash := ""
	if req.Service != protocol.S3 {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRPCBody))
		if err != nil {
			s.writeError(w, req, awserr.WithStatus(413, "RequestEntityTooLarge", "Request body too large."))
			return
		}
		req.Body = body
		if s.verifier.Enforcing() { // the body's hash is only needed to check a signature
			sum := sha256.Sum256(body)
			payloadHash = hex.EncodeToString(sum[:])
		}
		if err := req.Inflate(); err != nil { // after hashing: the signature covers the bytes sent
			s.writeError(w, req, err)
			return
		}
		if kind, op, ok := protocol.JSONTarget(r); ok {
			req.Protocol, req.Operation = kind, op
		} else if req.Service == "" || isQueryRequest(r) {
			form, err := url.ParseQuery(string(req.Body))
			if err != nil {
				s.writeError(w, req, awserr.New("MalformedQueryString", "The query string is malformed: %v", err))
				return
			}
			for k, v := range r.URL.Query() {
				form[k] = append(form[k], v...)
			}
			req.Form = form
			req.Protocol = protocol.KindQuery
			if a := form["Action"]; len(a) > 0 {
				req.Operation = a[0]
			}
			if req.Service == "" {
				req.Service = protocol.ServiceOfForm(form)
			}
		}
	}
	h, ok := s.handlers[req.Service]
	if !ok {
		s.writeError(w, req, awserr.New("UnknownServiceException", "ceap does not serve the service of this request (%q).", req.Service))
		return
	}
	caller, err := s.verifier.Verify(r, req.Service, payloadHash)
	req.Caller = caller
	if err != nil {
		s.writeError(w, req, err)
		return
	}
	h.ServeAWS(w, req)
}

func isQueryRequest(r *http.Request) bool {
	return r.Method == http.MethodPost && len(r.Header.Get("Content-Type")) >= 33 && r.Header.Get("Content-Type")[:33] == "application/x-www-form-urlencoded"
}

func (s *Server) writeError(w http.ResponseWriter, req *protocol.Request, err error) {
	ae, ok := awserr.As(err)
	if !ok {
		s.log.Error("request_failed", "request_id", req.RequestID, "err", err)
		ae = awserr.Internal()
	}
	kind := req.Protocol
	if kind == protocol.KindUnknown {
		kind = protocol.KindJSON10
	}
	if h, ok := s.handlers[req.Service].(interface {
		WriteError(http.ResponseWriter, *protocol.Request, error)
	}); ok && req.Protocol != protocol.KindUnknown {
		h.WriteError(w, req, ae)
		return
	}
	protocol.WriteError(w, kind, req.RequestID, "", ae, "", ae.Fault, nil)
}

func (s *Server) serveHealth(w http.ResponseWriter) {
	services := map[string]string{}
	s.status.Range(func(k, v any) bool {
		services[k.(string)] = v.(string)
		return true
	})
	status, code := "ready", http.StatusOK
	if !s.ready.Load() {
		status, code = "starting", http.StatusServiceUnavailable
	}
	body := map[string]any{"status": status, "services": services}
	if s.store != nil {
		body["store"] = s.store.Driver()
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(body)
}
