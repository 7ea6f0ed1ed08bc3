// Package config holds ceap's settings: defaults, then a config file (JSON), then CEAP_*
// environment variables, then command-line flags, each overriding the one before. Validate says
// what is wrong in words an operator can act on. Nothing here starts anything.
package config

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

// Credential is one access key that ceap accepts, and the account it belongs to.
type Credential struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	AccountID       string `json:"accountId"`
}

// Config is the whole configuration of a ceap server.
type Config struct {
	// Listen is the address of the one HTTP listener.
	Listen string `json:"listen"`
	// Data is the data directory (SQLite database, blobs, function code).
	Data string `json:"data"`
	// Store selects the store: "" or "sqlite" for SQLite in Data, or a postgres:// URL.
	Store string `json:"store"`
	// AccountID is the account of unsigned requests, and of every request when no credentials are
	// configured.
	AccountID string `json:"accountId"`
	// Region is the default region.
	Region string `json:"region"`
	// Credentials, when set, are enforced: every request must be signed by one of them.
	Credentials []Credential `json:"credentials"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `json:"logLevel"`
	// LifecycleInterval is how often S3 lifecycle rules are applied.
	LifecycleInterval Duration `json:"lifecycleInterval"`
	// ExpressRetention is how long Express executions stay visible to Describe/List/History.
	ExpressRetention Duration `json:"expressRetention"`
	// AllowPublic lets ceap listen on a non-loopback address without credentials. Never set it on
	// a shared network.
	AllowPublic bool `json:"allowPublic"`
	// Pprof serves Go's profiler at /_ceap/debug/pprof/ (for benchmarking ceap itself).
	Pprof bool `json:"pprof"`
	// BlobBackend selects where S3 object bodies live: "" or "fs" for files under Data (one
	// node), "s3" for a bucket of an S3-compatible store (AWS S3, MinIO, another ceap), which
	// several nodes on one PostgreSQL store share.
	BlobBackend string `json:"blobBackend"`
	// BlobS3 configures the "s3" blob backend.
	BlobS3 BlobS3 `json:"blobS3"`
}

// BlobBackendFS and BlobBackendS3 are the values of Config.BlobBackend.
const (
	BlobBackendFS = "fs"
	BlobBackendS3 = "s3"
)

// BlobS3 is where the "s3" blob backend keeps bodies. Credentials come from the usual AWS
// sources (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, an instance role).
type BlobS3 struct {
	// Endpoint is the store's URL (e.g. http://10.0.0.5:4566); empty means AWS S3. With an
	// endpoint, requests use path-style addressing, which every S3-compatible store serves.
	Endpoint string `json:"endpoint"`
	// Bucket holds the bodies; it must exist.
	Bucket string `json:"bucket"`
	// Region signs the requests; empty means AWS_REGION, then the server's region.
	Region string `json:"region"`
	// Prefix is put in front of every blob's key (default "blobs/").
	Prefix string `json:"prefix"`
}

// Duration is a time.Duration written as "90s", "1h" in files and flags.
type Duration time.Duration

// MarshalJSON writes d as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a Go duration string or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var secs float64
		if err := json.Unmarshal(b, &secs); err != nil {
			return fmt.Errorf("duration: %s", b)
		}
		*d = Duration(secs * float64(time.Second))
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// String implements flag.Value.
func (d *Duration) String() string { return time.Duration(*d).String() }

// Set implements flag.Value.
func (d *Duration) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Default returns the defaults.
func Default() Config {
	return Config{
		Listen:            "127.0.0.1:4566",
		Data:              "./ceap-data",
		AccountID:         "000000000000",
		Region:            "us-east-1",
		LogLevel:          "info",
		LifecycleInterval: Duration(time.Hour),
		ExpressRetention:  Duration(24 * time.Hour),
	}
}

// LoadFile merges the JSON file at path into c.
func (c *Config) LoadFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	return nil
}

// LoadEnv merges CEAP_* variables into c. getenv is os.Getenv in production.
func (c *Config) LoadEnv(getenv func(string) string) error {
	str := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	str("CEAP_LISTEN", &c.Listen)
	str("CEAP_DATA", &c.Data)
	str("CEAP_STORE", &c.Store)
	str("CEAP_ACCOUNT_ID", &c.AccountID)
	str("CEAP_REGION", &c.Region)
	str("CEAP_LOG_LEVEL", &c.LogLevel)
	str("CEAP_BLOB_BACKEND", &c.BlobBackend)
	str("CEAP_BLOB_S3_ENDPOINT", &c.BlobS3.Endpoint)
	str("CEAP_BLOB_S3_BUCKET", &c.BlobS3.Bucket)
	str("CEAP_BLOB_S3_REGION", &c.BlobS3.Region)
	str("CEAP_BLOB_S3_PREFIX", &c.BlobS3.Prefix)
	for name, dst := range map[string]*Duration{"CEAP_LIFECYCLE_INTERVAL": &c.LifecycleInterval, "CEAP_EXPRESS_RETENTION": &c.ExpressRetention} {
		if v := getenv(name); v != "" {
			if err := dst.Set(v); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	if v := getenv("CEAP_ALLOW_PUBLIC"); v == "1" || v == "true" {
		c.AllowPublic = true
	}
	if id, secret := getenv("CEAP_ACCESS_KEY_ID"), getenv("CEAP_SECRET_ACCESS_KEY"); id != "" || secret != "" {
		if id == "" || secret == "" {
			return errors.New("CEAP_ACCESS_KEY_ID and CEAP_SECRET_ACCESS_KEY go together")
		}
		c.Credentials = append(c.Credentials, Credential{AccessKeyID: id, SecretAccessKey: secret, AccountID: c.AccountID})
	}
	return nil
}

// Flags registers the flags of `ceap serve` on fs, writing into c when parsed.
func (c *Config) Flags(fs *flag.FlagSet) {
	fs.StringVar(&c.Listen, "listen", c.Listen, "address of the HTTP listener")
	fs.StringVar(&c.Data, "data", c.Data, "data directory (created if missing)")
	fs.StringVar(&c.Store, "store", c.Store, `store: "sqlite" (in --data) or a postgres:// URL`)
	fs.StringVar(&c.AccountID, "account-id", c.AccountID, "account id of requests")
	fs.StringVar(&c.Region, "region", c.Region, "default region")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error")
	fs.Var(&c.LifecycleInterval, "lifecycle-interval", "how often S3 lifecycle rules are applied")
	fs.Var(&c.ExpressRetention, "express-retention", "how long Express executions stay visible")
	fs.BoolVar(&c.AllowPublic, "allow-public", c.AllowPublic, "allow a non-loopback listener without credentials")
	fs.BoolVar(&c.Pprof, "pprof", c.Pprof, "serve Go's profiler at /_ceap/debug/pprof/")
	fs.StringVar(&c.BlobBackend, "blob-backend", c.BlobBackend, `where S3 object bodies live: "fs" (files in --data) or "s3" (a bucket that several nodes share)`)
	fs.StringVar(&c.BlobS3.Endpoint, "blob-s3-endpoint", c.BlobS3.Endpoint, "URL of the S3-compatible store for --blob-backend s3 (empty: AWS S3)")
	fs.StringVar(&c.BlobS3.Bucket, "blob-s3-bucket", c.BlobS3.Bucket, "existing bucket for --blob-backend s3")
	fs.StringVar(&c.BlobS3.Region, "blob-s3-region", c.BlobS3.Region, "region of that bucket (default: AWS_REGION, then --region)")
	fs.StringVar(&c.BlobS3.Prefix, "blob-s3-prefix", c.BlobS3.Prefix, `key prefix of bodies in that bucket (default "blobs/")`)
}

// Validate reports what is wrong with c.
func (c *Config) Validate() error {
	var errs []error
	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil {
		errs = append(errs, fmt.Errorf("listen %q: %w", c.Listen, err))
	} else if len(c.Credentials) == 0 && !c.AllowPublic && !isLoopback(host) {
		errs = append(errs, fmt.Errorf("listen %q: without credentials ceap only listens on loopback (configure credentials, or pass --allow-public)", c.Listen))
	}
	if c.Data == "" {
		errs = append(errs, errors.New("data: a data directory is required"))
	}
	if c.AccountID == "" {
		errs = append(errs, errors.New("account-id: required"))
	}
	if c.Region == "" {
		errs = append(errs, errors.New("region: required"))
	}
	if c.Store != "" && c.Store != "sqlite" && !strings.HasPrefix(c.Store, "postgres://") && !strings.HasPrefix(c.Store, "postgresql://") {
		errs = append(errs, fmt.Errorf("store %q: want sqlite or a postgres:// URL", c.Store))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log-level %q: want debug, info, warn or error", c.LogLevel))
	}
	for i, cr := range c.Credentials {
		if cr.AccessKeyID == "" || cr.SecretAccessKey == "" {
			errs = append(errs, fmt.Errorf("credentials[%d]: accessKeyId and secretAccessKey are required", i))
		}
	}
	switch c.BlobBackend {
	case "", BlobBackendFS:
	case BlobBackendS3:
		if c.BlobS3.Bucket == "" {
			errs = append(errs, errors.New("blob-s3-bucket: required with --blob-backend s3"))
		}
		if c.BlobS3.Endpoint != "" && !strings.HasPrefix(c.BlobS3.Endpoint, "http://") && !strings.HasPrefix(c.BlobS3.Endpoint, "https://") {
			errs = append(errs, fmt.Errorf("blob-s3-endpoint %q: want an http:// or https:// URL", c.BlobS3.Endpoint))
		}
	default:
		errs = append(errs, fmt.Errorf("blob-backend %q: want fs or s3", c.BlobBackend))
	}
	if c.LifecycleInterval <= 0 {
		errs = append(errs, errors.New("lifecycle-interval: must be positive"))
	}
	return errors.Join(errs...)
}

// AccountOf returns the account id of each credential (the default account when unset).
func (c *Config) AccountOf(cr Credential) string {
	if cr.AccountID != "" {
		return cr.AccountID
	}
	return c.AccountID
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
