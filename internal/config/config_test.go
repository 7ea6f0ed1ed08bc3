package config_test

import (
	"flag"
	"io"
	"testing"

	"github.com/ceap/ceap/internal/config"
)

func TestBlobBackendFlags(t *testing.T) {
	t.Parallel()
	c := config.Default()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.Flags(fs)
	err := fs.Parse([]string{"--blob-backend", "s3", "--blob-s3-endpoint", "http://10.0.0.5:4566", "--blob-s3-bucket", "bodies",
		"--blob-s3-region", "eu-west-1", "--blob-s3-prefix", "node-bodies/"})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	want := config.BlobS3{Endpoint: "http://10.0.0.5:4566", Bucket: "bodies", Region: "eu-west-1", Prefix: "node-bodies/"}
	if c.BlobBackend != config.BlobBackendS3 || c.BlobS3 != want {
		t.Fatalf("after flags: backend %q, %+v; want s3, %+v", c.BlobBackend, c.BlobS3, want)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
}

func TestBlobBackendEnv(t *testing.T) {
	t.Parallel()
	env := map[string]string{"CEAP_BLOB_BACKEND": "s3", "CEAP_BLOB_S3_BUCKET": "bodies", "CEAP_BLOB_S3_ENDPOINT": "https://minio:9000"}
	c := config.Default()
	if err := c.LoadEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatalf("LoadEnv: %v", err)
	}
	if c.BlobBackend != "s3" || c.BlobS3.Bucket != "bodies" || c.BlobS3.Endpoint != "https://minio:9000" {
		t.Fatalf("after env: backend %q, %+v", c.BlobBackend, c.BlobS3)
	}
}

func TestBlobBackendValidation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		edit    func(*config.Config)
		wantErr bool
	}{
		{"default is the filesystem", func(*config.Config) {}, false},
		{"fs", func(c *config.Config) { c.BlobBackend = "fs" }, false},
		{"s3 on AWS", func(c *config.Config) { c.BlobBackend = "s3"; c.BlobS3.Bucket = "b" }, false},
		{"s3 without a bucket", func(c *config.Config) { c.BlobBackend = "s3" }, true},
		{"s3 with an endpoint that is no URL", func(c *config.Config) {
			c.BlobBackend = "s3"
			c.BlobS3 = config.BlobS3{Bucket: "b", Endpoint: "10.0.0.5:4566"}
		}, true},
		{"unknown backend", func(c *config.Config) { c.BlobBackend = "nfs" }, true},
	} {
		c := config.Default()
		tc.edit(&c)
		if err := c.Validate(); (err != nil) != tc.wantErr {
			t.Fatalf("%s: Validate = %v, want error %v", tc.name, err, tc.wantErr)
		}
	}
}
