package funcs

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/clock"
	"github.com/ceap/ceap/internal/logs"
	"github.com/ceap/ceap/internal/metrics"
	"github.com/ceap/ceap/internal/store"
)

// Lambda limits on function configuration.
const (
	// MinTimeout and MaxTimeout bound a function's timeout in seconds (1 to 900).
	MinTimeout = 1
	MaxTimeout = 900
	// DefaultTimeout is the timeout of a function created without one (3 seconds).
	DefaultTimeout = 3
	// MinMemory and MaxMemory bound a function's memory in MB (128 to 10,240).
	MinMemory = 128
	MaxMemory = 10240
	// DefaultMemory is the memory of a function created without one (128 MB).
	DefaultMemory = 128
	// MaxNameLength is the longest function name (64 characters).
	MaxNameLength = 64
	// MaxAsyncPayloadSize is Lambda's limit on an asynchronous invocation's payload (256 KB).
	MaxAsyncPayloadSize = 256 * 1024
	// MaxEnvironmentSize is Lambda's limit on the total size of a function's environment
	// variables (4 KB).
	MaxEnvironmentSize = 4 * 1024
	// MaxDescriptionLength is the longest description (256 characters).
	MaxDescriptionLength = 256
	// DefaultAsyncRetries is how many times Lambda retries a failed asynchronous invocation (2).
	DefaultAsyncRetries = 2
	// specCacheTTL is how long a node trusts its cached copy of a function's configuration for
	// invocations (updates on this node invalidate it at once).
	specCacheTTL = time.Second
)

// namePattern is Lambda's pattern for function names.
var namePattern = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

// LogWriter is where environments' output and START/END/REPORT lines go (the logs service).
type LogWriter interface {
	Put(ctx context.Context, account, group, stream string, events []logs.Event) error
}

// CodeFetcher reads deployment packages named by S3Bucket and S3Key (the objects service).
type CodeFetcher interface {
	Fetch(ctx context.Context, account, bucket, key, version string) ([]byte, error)
}

// Config configures the service. The zero value of every field but Store and Dir means its
// default.
type Config struct {
	Store store.FuncStore
	// Dir holds code (zips and their unpacked trees) and the runtimes' bootstraps.
	Dir     string
	Clock   clock.Clock
	Log     *slog.Logger
	Region  string
	Logs    LogWriter
	Code    CodeFetcher
	Metrics *metrics.Recorder
	// Endpoint is given to functions as AWS_ENDPOINT_URL.
	Endpoint    string
	Credentials func(account string) Credentials
	// AccountConcurrency is the concurrent executions quota of each account (default 1,000).
	AccountConcurrency int
	IdleTimeout        time.Duration
	// AsyncRetryDelays are the waits before the retries of a failed asynchronous invocation
	// (default 1 minute, then 2 minutes, as Lambda).
	AsyncRetryDelays []time.Duration
	// Python and Node name the interpreters (defaults python3 and node).
	Python, Node string
}

// Service is the Lambda service.
type Service struct {
	cfg    Config
	st     store.FuncStore
	clock  clock.Clock
	log    *slog.Logger
	runner *Runner
	ship   *shipper

	mu       sync.Mutex
	specs    map[string]cachedSpec // account/name/qualifier -> resolved spec
	reserved map[string]int        // account -> sum of reservations (cached)

	unpackMu sync.Mutex

	node        string
	asyncWake   chan struct{}
	asyncCtx    context.Context
	asyncCancel context.CancelFunc
	asyncWG     sync.WaitGroup
}

type cachedSpec struct {
	spec     *Spec
	cfg      *FunctionConfig
	reserved int
	at       time.Time
}

// New returns the service.
func New(cfg Config) *Service {
	if cfg.AccountConcurrency <= 0 {
		cfg.AccountConcurrency = DefaultAccountConcurrency
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.AsyncRetryDelays == nil {
		cfg.AsyncRetryDelays = []time.Duration{time.Minute, 2 * time.Minute}
	}
	lg := cfg.Log
	if lg == nil {
		lg = slog.Default()
	}
	s := &Service{
		cfg: cfg, st: cfg.Store, clock: clock.Or(cfg.Clock), log: lg.With("component", "funcs"),
		specs: map[string]cachedSpec{}, reserved: map[string]int{},
	}
	s.asyncCtx, s.asyncCancel = context.WithCancel(context.Background())
	s.asyncWake = make(chan struct{}, 1)
	s.node = uuid.NewString()
	if cfg.Logs != nil {
		s.ship = newShipper(cfg.Logs, s.log)
	}
	s.runner = NewRunner(RunnerConfig{
		Dir: filepath.Join(cfg.Dir, "runtimes"), Python: cfg.Python, Node: cfg.Node, Endpoint: cfg.Endpoint,
		Credentials: cfg.Credentials, IdleTimeout: cfg.IdleTimeout, Clock: s.clock, Logger: lg, Sink: s.sink,
	})
	return s
}

// Start begins reaping idle environments and running queued asynchronous invocations.
func (s *Service) Start(ctx context.Context) error {
	s.runner.Start(s.asyncCtx)
	s.asyncWG.Add(1)
	go s.asyncLoop()
	return nil
}

// Stop stops asynchronous retries and every environment.
func (s *Service) Stop(ctx context.Context) error {
	s.asyncCancel()
	done := make(chan struct{})
	go func() {
		s.asyncWG.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
	s.runner.Stop()
	if s.ship != nil {
		s.ship.close()
	}
	return nil
}

// sink writes environment output to the function's log group.
func (s *Service) sink(account, group, stream string, lines []LogLine) {
	if s.cfg.Logs == nil {
		return
	}
	ev := make([]logs.Event, len(lines))
	for i, l := range lines {
		ev[i] = logs.Event{Timestamp: l.Time.UnixMilli(), Message: l.Message}
	}
	s.ship.send(logBatch{account: account, group: group, stream: stream, events: ev})
}

// FunctionConfig is a function version's configuration, as GetFunctionConfiguration shows it.
type FunctionConfig struct {
	Name          string
	ARN           string
	Runtime       string
	Handler       string
	Role          string
	Description   string
	Timeout       int
	MemorySize    int
	Environment   map[string]string
	CodeSHA256    string
	CodeSize      int64
	Version       string
	LastModified  time.Time
	RevisionID    string
	Architectures []string
	PackageType   string
	State         string
}

// Alias is a function alias.
type Alias struct {
	Name            string
	FunctionVersion string
	Description     string
	RevisionID      string
}

func (s *Service) functionARN(account, name string) string {
	return "arn:aws:lambda:" + s.cfg.Region + ":" + account + ":function:" + name
}

func notFound(arn string) error {
	return awserr.WithStatus(404, "ResourceNotFoundException", "Function not found: %s", arn)
}

func invalidValue(format string, args ...any) error {
	return awserr.New("InvalidParameterValueException", format, args...)
}

// ParseName splits a FunctionName parameter (a name, name:qualifier, a partial ARN
// account:function:name, or a full ARN) into account (empty when not given), name and qualifier.
func ParseName(in string) (account, name, qualifier string, err error) {
	parts := strings.Split(in, ":")
	switch {
	case len(parts) >= 7 && parts[0] == "arn" && parts[5] == "function":
		account, name = parts[4], parts[6]
		if len(parts) == 8 {
			qualifier = parts[7]
		} else if len(parts) > 8 {
			return "", "", "", invalidValue("Invalid function ARN: %s", in)
		}
	case len(parts) >= 3 && parts[1] == "function":
		account, name = parts[0], parts[2]
		if len(parts) == 4 {
			qualifier = parts[3]
		} else if len(parts) > 4 {
			return "", "", "", invalidValue("Invalid function name: %s", in)
		}
	case len(parts) == 2:
		name, qualifier = parts[0], parts[1]
	case len(parts) == 1:
		name = parts[0]
	default:
		return "", "", "", invalidValue("Invalid function name: %s", in)
	}
	if name == "" || len(name) > MaxNameLength || !namePattern.MatchString(name) {
		return "", "", "", awserr.Validation("1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?", in)
	}
	return account, name, qualifier, nil
}

// resolve parses a FunctionName and checks the account it names against the caller's.
func (s *Service) resolve(account, in, qualifier string) (string, string, error) {
	acct, name, q, err := ParseName(in)
	if err != nil {
		return "", "", err
	}
	if acct != "" && acct != account {
		return "", "", notFound(s.functionARN(acct, name))
	}
	if q != "" && qualifier != "" && q != qualifier {
		return "", "", invalidValue("The derived qualifier from the function name does not match the specified qualifier.")
	}
	if q == "" {
		q = qualifier
	}
	return name, q, nil
}

// storedSpec is what a function row or version row holds.
type storedSpec struct {
	Runtime       string            `json:"runtime"`
	Handler       string            `json:"handler"`
	Role          string            `json:"role"`
	Description   string            `json:"description"`
	Timeout       int               `json:"timeout"`
	MemorySize    int               `json:"memorySize"`
	Environment   map[string]string `json:"environment,omitempty"`
	CodeSHA256    string            `json:"codeSha256"` // hex
	CodeSize      int64             `json:"codeSize"`
	LastModified  int64             `json:"lastModified"`
	RevisionID    string            `json:"revisionId"`
	Architectures []string          `json:"architectures"`
}

func (s *Service) toConfig(account, name, version string, sp *storedSpec) *FunctionConfig {
	arn := s.functionARN(account, name)
	if version != "$LATEST" {
		arn += ":" + version
	}
	sum, _ := hex.DecodeString(sp.CodeSHA256)
	return &FunctionConfig{
		Name: name, ARN: arn, Runtime: sp.Runtime, Handler: sp.Handler, Role: sp.Role, Description: sp.Description,
		Timeout: sp.Timeout, MemorySize: sp.MemorySize, Environment: sp.Environment,
		CodeSHA256: base64.StdEncoding.EncodeToString(sum), CodeSize: sp.CodeSize, Version: version,
		LastModified: time.UnixMilli(sp.LastModified).UTC(), RevisionID: sp.RevisionID, Architectures: sp.Architectures,
		PackageType: "Zip", State: "Active",
	}
}

// CreateInput are the arguments of CreateFunction.
type CreateInput struct {
	Name          string
	Runtime       string
	Handler       string
	Role          string
	Description   string
	Timeout       int
	MemorySize    int
	Environment   map[string]string
	Tags          map[string]string
	Architectures []string
	PackageType   string
	Code          CodeInput
	Publish       bool
}

// CodeInput is a deployment package: a zip, or an object in S3.
type CodeInput struct {
	ZipFile                          []byte
	S3Bucket, S3Key, S3ObjectVersion string
	ImageURI                         string
}

func checkSettings(sp *storedSpec) error {
	if err := CheckRuntime(sp.Runtime); err != nil {
		return err
	}
	if family, _ := familyOf(sp.Runtime); family != familyProvided && sp.Handler == "" {
		return invalidValue("Handler is required for the %s runtime.", sp.Runtime)
	}
	if sp.Timeout < MinTimeout || sp.Timeout > MaxTimeout {
		return invalidValue("1 validation error detected: Value '%d' at 'timeout' failed to satisfy constraint: Member must have value between %d and %d", sp.Timeout, MinTimeout, MaxTimeout)
	}
	if sp.MemorySize < MinMemory || sp.MemorySize > MaxMemory {
		return invalidValue("'MemorySize' value failed to satisfy constraint: Member must have value less than or equal to %d", MaxMemory)
	}
	if len(sp.Description) > MaxDescriptionLength {
		return invalidValue("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to %d", MaxDescriptionLength)
	}
	if err := CheckEnvironment(sp.Environment); err != nil {
		return err
	}
	size := 0
	for k, v := range sp.Environment {
		size += len(k) + len(v)
	}
	if size > MaxEnvironmentSize {
		return invalidValue("Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: %d", size)
	}
	for _, a := range sp.Architectures {
		if a != "x86_64" && a != "arm64" {
			return invalidValue("1 validation error detected: Value '[%s]' at 'architectures' failed to satisfy constraint: Member must satisfy enum value set: [x86_64, arm64]", a)
		}
	}
	return nil
}

// CreateFunction creates a function from a zip or an S3 object.
func (s *Service) CreateFunction(ctx context.Context, account string, in CreateInput) (*FunctionConfig, error) {
	if _, name, q, err := ParseName(in.Name); err != nil {
		return nil, err
	} else if q != "" || name != in.Name {
		return nil, invalidValue("Invalid function name: %s", in.Name)
	}
	if in.PackageType == "Image" || in.Code.ImageURI != "" {
		return nil, invalidValue("Container image functions are not supported by ceap; use a zip package.")
	}
	sp := &storedSpec{Runtime: in.Runtime, Handler: in.Handler, Role: in.Role, Description: in.Description, Timeout: in.Timeout,
		MemorySize: in.MemorySize, Environment: in.Environment, Architectures: in.Architectures}
	if sp.Timeout == 0 {
		sp.Timeout = DefaultTimeout
	}
	if sp.MemorySize == 0 {
		sp.MemorySize = DefaultMemory
	}
	if len(sp.Architectures) == 0 {
		sp.Architectures = []string{"x86_64"}
	}
	if in.Role == "" {
		return nil, awserr.MissingMember("ValidationException", "role")
	}
	if err := checkSettings(sp); err != nil {
		return nil, err
	}
	if err := s.storeCode(ctx, account, in.Code, sp); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	sp.LastModified, sp.RevisionID = now.UnixMilli(), uuid.NewString()
	spec, err := json.Marshal(sp)
	if err != nil {
		return nil, fmt.Errorf("encode function: %w", err)
	}
	tags, err := json.Marshal(nonNilMap(in.Tags))
	if err != nil {
		return nil, fmt.Errorf("encode tags: %w", err)
	}
	row := &store.FunctionRow{Account: account, Name: in.Name, ARN: s.functionARN(account, in.Name), Spec: spec, Aliases: []byte("{}"),
		Tags: tags, Reserved: -1, NextVersion: 1, Revision: sp.RevisionID, Created: now.UnixMilli(), Modified: now.UnixMilli()}
	if err := s.st.FunctionCreate(ctx, &store.FunctionCreateParams{Row: row}); err != nil {
		if errors.Is(err, store.ErrAlreadyExists) {
			return nil, awserr.WithStatus(409, "ResourceConflictException", "Function already exist: %s", in.Name)
		}
		return nil, fmt.Errorf("create function %q: %w", in.Name, err)
	}
	s.invalidate(account, in.Name)
	if in.Publish {
		return s.PublishVersion(ctx, account, in.Name, "", "", "")
	}
	return s.toConfig(account, in.Name, "$LATEST", sp), nil
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// storeCode keeps a package under Dir/code by its SHA-256 and unpacks it, filling the spec's
// code fields.
func (s *Service) storeCode(ctx context.Context, account string, in CodeInput, sp *storedSpec) error {
	zip := in.ZipFile
	switch {
	case len(zip) > 0 && in.S3Bucket != "":
		return invalidValue("Please do not provide other FunctionCode parameters when providing a ZipFile.")
	case len(zip) > 0:
		if len(zip) > MaxZipFileSize {
			return awserr.WithStatus(413, "RequestEntityTooLargeException", "Request must be smaller than %d bytes for the CreateFunction operation", MaxZipFileSize)
		}
	case in.S3Bucket != "" && in.S3Key != "":
		if s.cfg.Code == nil {
			return invalidValue("Code in S3 is not available: the objects service is not running.")
		}
		b, err := s.cfg.Code.Fetch(ctx, account, in.S3Bucket, in.S3Key, in.S3ObjectVersion)
		if err != nil {
			if _, ok := awserr.As(err); ok {
				return invalidValue("Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist.")
			}
			return fmt.Errorf("fetch code s3://%s/%s: %w", in.S3Bucket, in.S3Key, err)
		}
		zip = b
	default:
		return invalidValue("Please provide a source for function code.")
	}
	sum := sha256.Sum256(zip)
	hexSum := hex.EncodeToString(sum[:])
	if err := s.writeZip(hexSum, zip); err != nil {
		return err
	}
	if _, err := s.codeDir(hexSum); err != nil {
		return err
	}
	sp.CodeSHA256, sp.CodeSize = hexSum, int64(len(zip))
	return nil
}

func (s *Service) zipPath(sum string) string { return filepath.Join(s.cfg.Dir, "code", sum+".zip") }

// writeZip writes a package once, atomically (temp file, fsync, rename).
func (s *Service) writeZip(sum string, zip []byte) error {
	path := s.zipPath(sum)
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create code dir: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), sum+".*.tmp")
	if err != nil {
		return fmt.Errorf("write code: %w", err)
	}
	_, err = tmp.Write(zip)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write code: %w", err)
	}
	return nil
}

// codeDir returns the unpacked tree of a package, unpacking it when missing.
func (s *Service) codeDir(sum string) (string, error) {
	dir := filepath.Join(s.cfg.Dir, "unpacked", sum)
	s.unpackMu.Lock()
	defer s.unpackMu.Unlock()
	if _, err := os.Stat(dir); err == nil {
		return dir, nil
	}
	zip, err := os.ReadFile(s.zipPath(sum))
	if err != nil {
		return "", fmt.Errorf("read code %s: %w", sum, err)
	}
	if err := unzipCode(zip, dir); err != nil {
		return "", err
	}
	return dir, nil
}

func (s *Service) function(ctx context.Context, account, name string) (*store.FunctionRow, *storedSpec, error) {
	row, err := s.st.FunctionGet(ctx, &store.FunctionGetParams{Account: account, Name: name})
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, notFound(s.functionARN(account, name))
	}
	if err != nil {
		return nil, nil, fmt.Errorf("get function %q: %w", name, err)
	}
	var sp storedSpec
	if err := json.Unmarshal(row.Spec, &sp); err != nil {
		return nil, nil, fmt.Errorf("decode function %q: %w", name, err)
	}
	return row, &sp, nil
}

func aliasesOf(row *store.FunctionRow) (map[string]Alias, error) {
	m := map[string]Alias{}
	if len(row.Aliases) > 0 {
		if err := json.Unmarshal(row.Aliases, &m); err != nil {
			return nil, fmt.Errorf("decode aliases of %q: %w", row.Name, err)
		}
	}
	return m, nil
}

// version resolves a qualifier ($LATEST, a version number or an alias) to a version and spec.
func (s *Service) version(ctx context.Context, account string, row *store.FunctionRow, latest *storedSpec, qualifier string) (string, *storedSpec, error) {
	switch {
	case qualifier == "" || qualifier == "$LATEST":
		return "$LATEST", latest, nil
	case isVersion(qualifier):
		n, _ := strconv.Atoi(qualifier)
		v, err := s.st.FunctionVersionGet(ctx, &store.FunctionVersionGetParams{Account: account, Name: row.Name, Version: n})
		if errors.Is(err, store.ErrNotFound) {
			return "", nil, notFound(s.functionARN(account, row.Name) + ":" + qualifier)
		}
		if err != nil {
			return "", nil, fmt.Errorf("get version %s of %q: %w", qualifier, row.Name, err)
		}
		var sp storedSpec
		if err := json.Unmarshal(v.Spec, &sp); err != nil {
			return "", nil, fmt.Errorf("decode version %s of %q: %w", qualifier, row.Name, err)
		}
		return qualifier, &sp, nil
	default:
		aliases, err := aliasesOf(row)
		if err != nil {
			return "", nil, err
		}
		a, ok := aliases[qualifier]
		if !ok {
			return "", nil, notFound(s.functionARN(account, row.Name) + ":" + qualifier)
		}
		return s.version(ctx, account, row, latest, a.FunctionVersion)
	}
}

func isVersion(q string) bool {
	if q == "" {
		return false
	}
	for _, c := range q {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// GetFunctionConfiguration returns a version's configuration.
func (s *Service) GetFunctionConfiguration(ctx context.Context, account, fn, qualifier string) (*FunctionConfig, error) {
	name, q, err := s.resolve(account, fn, qualifier)
	if err != nil {
		return nil, err
	}
	row, latest, err := s.function(ctx, account, name)
	if err != nil {
		return nil, err
	}
	v, sp, err := s.version(ctx, account, row, latest, q)
	if err != nil {
		return nil, err
	}
	return s.toConfig(account, name, v, sp), nil
}

// FunctionInfo is what GetFunction returns.
type FunctionInfo struct {
	Config   *FunctionConfig
	Tags     map[string]string
	Reserved *int
	// CodePath is the package on this machine (GetFunction's Code.Location points at it).
	CodePath string
}

// GetFunction returns a function's configuration, tags, concurrency and code location.
func (s *Service) GetFunction(ctx context.Context, account, fn, qualifier string) (*FunctionInfo, error) {
	name, q, err := s.resolve(account, fn, qualifier)
	if err != nil {
		return nil, err
	}
	row, latest, err := s.function(ctx, account, name)
	if err != nil {
		return nil, err
	}
	v, sp, err := s.version(ctx, account, row, latest, q)
	if err != nil {
		return nil, err
	}
	tags := map[string]string{}
	if err := json.Unmarshal(row.Tags, &tags); err != nil {
		return nil, fmt.Errorf("decode tags of %q: %w", name, err)
	}
	info := &FunctionInfo{Config: s.toConfig(account, name, v, sp), Tags: tags, CodePath: s.zipPath(sp.CodeSHA256)}
	if row.Reserved >= 0 {
		r := row.Reserved
		info.Reserved = &r
	}
	return info, nil
}

// updateLatest applies fn to the $LATEST spec and stores it with a new revision.
func (s *Service) updateLatest(ctx context.Context, account, name, revision string, fn func(row *store.FunctionRow, sp *storedSpec) error) (*store.FunctionRow, *storedSpec, error) {
	row, sp, err := s.function(ctx, account, name)
	if err != nil {
		return nil, nil, err
	}
	if revision != "" && revision != sp.RevisionID {
		return nil, nil, awserr.New("PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
	}
	if err := fn(row, sp); err != nil {
		return nil, nil, err
	}
	now := s.clock.Now()
	old := row.Revision
	sp.LastModified, sp.RevisionID = now.UnixMilli(), uuid.NewString()
	row.Spec, err = json.Marshal(sp)
	if err != nil {
		return nil, nil, fmt.Errorf("encode function: %w", err)
	}
	row.Revision, row.Modified = sp.RevisionID, now.UnixMilli()
	if err := s.st.FunctionUpdate(ctx, &store.FunctionUpdateParams{Row: row, IfRevision: old}); err != nil {
		switch {
		case errors.Is(err, store.ErrConflict):
			return nil, nil, awserr.WithStatus(409, "ResourceConflictException", "The operation cannot be performed at this time. An update is in progress for resource: %s", row.ARN)
		case errors.Is(err, store.ErrNotFound):
			return nil, nil, notFound(row.ARN)
		}
		return nil, nil, fmt.Errorf("update function %q: %w", name, err)
	}
	s.invalidate(account, name)
	return row, sp, nil
}

// UpdateCodeInput are the arguments of UpdateFunctionCode.
type UpdateCodeInput struct {
	Code       CodeInput
	Publish    bool
	RevisionID string
}

// UpdateFunctionCode replaces the $LATEST code; warm environments of the old code are not reused.
func (s *Service) UpdateFunctionCode(ctx context.Context, account, fn string, in UpdateCodeInput) (*FunctionConfig, error) {
	name, _, err := s.resolve(account, fn, "")
	if err != nil {
		return nil, err
	}
	_, sp, err := s.updateLatest(ctx, account, name, in.RevisionID, func(_ *store.FunctionRow, sp *storedSpec) error {
		return s.storeCode(ctx, account, in.Code, sp)
	})
	if err != nil {
		return nil, err
	}
	if in.Publish {
		return s.PublishVersion(ctx, account, name, "", "", "")
	}
	return s.toConfig(account, name, "$LATEST", sp), nil
}

// UpdateConfigInput are the arguments of UpdateFunctionConfiguration; nil leaves a setting.
type UpdateConfigInput struct {
	Runtime, Handler, Role, Description *string
	Timeout, MemorySize                 *int
	Environment                         *map[string]string
	RevisionID                          string
}

// UpdateFunctionConfiguration changes $LATEST settings.
func (s *Service) UpdateFunctionConfiguration(ctx context.Context, account, fn string, in UpdateConfigInput) (*FunctionConfig, error) {
	name, _, err := s.resolve(account, fn, "")
	if err != nil {
		return nil, err
	}
	_, sp, err := s.updateLatest(ctx, account, name, in.RevisionID, func(_ *store.FunctionRow, sp *storedSpec) error {
		set := func(dst *string, v *string) {
			if v != nil {
				*dst = *v
			}
		}
		set(&sp.Runtime, in.Runtime)
		set(&sp.Handler, in.Handler)
		set(&sp.Role, in.Role)
		set(&sp.Description, in.Description)
		if in.Timeout != nil {
			sp.Timeout = *in.Timeout
		}
		if in.MemorySize != nil {
			sp.MemorySize = *in.MemorySize
		}
		if in.Environment != nil {
			sp.Environment = *in.Environment
		}
		return checkSettings(sp)
	})
	if err != nil {
		return nil, err
	}
	return s.toConfig(account, name, "$LATEST", sp), nil
}

// DeleteFunction deletes a function (or, with a version qualifier, one published version).
func (s *Service) DeleteFunction(ctx context.Context, account, fn, qualifier string) error {
	name, q, err := s.resolve(account, fn, qualifier)
	if err != nil {
		return err
	}
	defer s.invalidate(account, name)
	switch {
	case q == "" || q == "$LATEST":
		if q == "$LATEST" {
			return invalidValue("$LATEST version cannot be deleted without deleting the function.")
		}
		err := s.st.FunctionDelete(ctx, &store.FunctionGetParams{Account: account, Name: name})
		if errors.Is(err, store.ErrNotFound) {
			return notFound(s.functionARN(account, name))
		}
		if err != nil {
			return fmt.Errorf("delete function %q: %w", name, err)
		}
		s.runner.Forget(account, name)
		s.mu.Lock()
		delete(s.reserved, account)
		s.mu.Unlock()
		return nil
	case isVersion(q):
		row, _, err := s.function(ctx, account, name)
		if err != nil {
			return err
		}
		aliases, err := aliasesOf(row)
		if err != nil {
			return err
		}
		for _, a := range aliases {
			if a.FunctionVersion == q {
				return awserr.WithStatus(409, "ResourceConflictException", "Unable to delete version because the following aliases reference it: [%s]", a.Name)
			}
		}
		n, _ := strconv.Atoi(q)
		err = s.st.FunctionVersionDelete(ctx, &store.FunctionVersionGetParams{Account: account, Name: name, Version: n})
		if errors.Is(err, store.ErrNotFound) {
			return notFound(s.functionARN(account, name) + ":" + q)
		}
		return err
	}
	return invalidValue("Deletion of aliases is not supported through DeleteFunction; use DeleteAlias.")
}

// ListFunctions lists the account's functions ($LATEST), paginated by name.
func (s *Service) ListFunctions(ctx context.Context, account, marker string, max int) ([]*FunctionConfig, string, error) {
	if max <= 0 || max > 50 {
		max = 50
	}
	rows, err := s.st.FunctionList(ctx, &store.FunctionListParams{Account: account, After: marker, Limit: max + 1})
	if err != nil {
		return nil, "", fmt.Errorf("list functions: %w", err)
	}
	next := ""
	if len(rows) > max {
		rows = rows[:max]
		next = rows[max-1].Name
	}
	out := make([]*FunctionConfig, 0, len(rows))
	for _, r := range rows {
		var sp storedSpec
		if err := json.Unmarshal(r.Spec, &sp); err != nil {
			return nil, "", fmt.Errorf("decode function %q: %w", r.Name, err)
		}
		out = append(out, s.toConfig(account, r.Name, "$LATEST", &sp))
	}
	return out, next, nil
}

// PublishVersion snapshots $LATEST as a new numbered version (or returns the newest version when
// nothing changed since it was published).
func (s *Service) PublishVersion(ctx context.Context, account, fn, description, codeSHA256, revision string) (*FunctionConfig, error) {
	name, _, err := s.resolve(account, fn, "")
	if err != nil {
		return nil, err
	}
	row, sp, err := s.function(ctx, account, name)
	if err != nil {
		return nil, err
	}
	if revision != "" && revision != sp.RevisionID {
		return nil, awserr.New("PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
	}
	if codeSHA256 != "" && codeSHA256 != s.toConfig(account, name, "$LATEST", sp).CodeSHA256 {
		return nil, invalidValue("CodeSHA256 (%s) is different from current CodeSHA256 in $LATEST (%s). Please try again with the CodeSHA256 in $LATEST.", codeSHA256, s.toConfig(account, name, "$LATEST", sp).CodeSHA256)
	}
	versions, err := s.st.FunctionVersionList(ctx, &store.FunctionGetParams{Account: account, Name: name})
	if err != nil {
		return nil, fmt.Errorf("list versions of %q: %w", name, err)
	}
	if n := len(versions); n > 0 {
		var last storedSpec
		if err := json.Unmarshal(versions[n-1].Spec, &last); err == nil && last.RevisionID == sp.RevisionID {
			return s.toConfig(account, name, strconv.Itoa(versions[n-1].Version), &last), nil
		}
	}
	v := *sp
	if description != "" {
		v.Description = description
	}
	version := row.NextVersion
	spec, err := json.Marshal(&v)
	if err != nil {
		return nil, fmt.Errorf("encode version: %w", err)
	}
	old := row.Revision
	row.NextVersion++
	if err := s.st.FunctionUpdate(ctx, &store.FunctionUpdateParams{Row: row, IfRevision: old}); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, awserr.WithStatus(409, "ResourceConflictException", "The operation cannot be performed at this time. An update is in progress for resource: %s", row.ARN)
		}
		return nil, fmt.Errorf("publish %q: %w", name, err)
	}
	if err := s.st.FunctionVersionCreate(ctx, &store.FunctionVersionCreateParams{Row: &store.FunctionVersionRow{
		Account: account, Name: name, Version: version, Spec: spec, Created: s.clock.Now().UnixMilli(),
	}}); err != nil {
		return nil, fmt.Errorf("publish %q: %w", name, err)
	}
	return s.toConfig(account, name, strconv.Itoa(version), &v), nil
}

// ListVersions lists $LATEST and the published versions.
func (s *Service) ListVersions(ctx context.Context, account, fn string) ([]*FunctionConfig, error) {
	name, _, err := s.resolve(account, fn, "")
	if err != nil {
		return nil, err
	}
	_, sp, err := s.function(ctx, account, name)
	if err != nil {
		return nil, err
	}
	out := []*FunctionConfig{s.toConfig(account, name, "$LATEST", sp)}
	versions, err := s.st.FunctionVersionList(ctx, &store.FunctionGetParams{Account: account, Name: name})
	if err != nil {
		return nil, fmt.Errorf("list versions of %q: %w", name, err)
	}
	for _, v := range versions {
		var vs storedSpec
		if err := json.Unmarshal(v.Spec, &vs); err != nil {
			return nil, fmt.Errorf("decode version of %q: %w", name, err)
		}
		out = append(out, s.toConfig(account, name, strconv.Itoa(v.Version), &vs))
	}
	return out, nil
}

func (s *Service) invalidate(account, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	prefix := account + "\x00" + name + "\x00"
	for k := range s.specs {
		if strings.HasPrefix(k, prefix) {
			delete(s.specs, k)
		}
	}
}
