package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	apis3 "github.com/ceap/ceap/internal/api/s3"
	"github.com/ceap/ceap/internal/blob"
	"github.com/ceap/ceap/internal/blob/fsblob"
	"github.com/ceap/ceap/internal/blob/s3blob"
	"github.com/ceap/ceap/internal/config"
	"github.com/ceap/ceap/internal/protocol"
)

// blobCheckTimeout bounds the check, at start, that the S3 blob bucket answers.
const blobCheckTimeout = 10 * time.Second

// wireObjects builds S3 (buckets, objects, the lifecycle sweeper and the blob collector) on the
// store and the blob store that the configuration selects.
func wireObjects(s *Server) error {
	blobs, err := openBlobs(s.cfg)
	if err != nil {
		return err
	}
	h, err := apis3.Wire(apis3.WireConfig{Store: s.store, Blobs: blobs, Data: s.cfg.Data, Clock: s.clock, Metrics: s.metrics, Log: s.log,
		Region: s.cfg.Region, LifecycleInterval: time.Duration(s.cfg.LifecycleInterval)})
	if err != nil {
		return err
	}
	s.handle(protocol.S3, h)
	s.component("s3", h)
	return nil
}

// openBlobs opens the blob store of object bodies: files under the data directory, or a bucket
// of an S3-compatible store that several nodes share.
func openBlobs(cfg config.Config) (blob.Store, error) {
	if cfg.BlobBackend != config.BlobBackendS3 {
		fs, err := fsblob.New(filepath.Join(cfg.Data, "blobs"))
		if err != nil {
			return nil, fmt.Errorf("open blob store: %w", err)
		}
		return fs, nil
	}
	bc := cfg.BlobS3
	ctx, cancel := context.WithTimeout(context.Background(), blobCheckTimeout)
	defer cancel()
	region := bc.Region
	if region == "" && os.Getenv("AWS_REGION") == "" && os.Getenv("AWS_DEFAULT_REGION") == "" {
		region = cfg.Region
	}
	var opts []func(*awsconfig.LoadOptions) error
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	ac, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("blob store: AWS configuration: %w", err)
	}
	client := s3.NewFromConfig(ac, func(o *s3.Options) {
		// Only the flag names an endpoint: AWS_ENDPOINT_URL, which the runbook sets to point the
		// aws CLI at ceap, would otherwise send ceap's bodies to ceap itself.
		o.BaseEndpoint = nil
		if bc.Endpoint != "" {
			o.BaseEndpoint = aws.String(bc.Endpoint)
			o.UsePathStyle = true
		}
	})
	if _, err := client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bc.Bucket)}); err != nil {
		return nil, fmt.Errorf("blob store: bucket %s at %s: %w", bc.Bucket, endpointName(bc.Endpoint), err)
	}
	prefix := bc.Prefix
	if prefix == "" {
		prefix = "blobs/"
	}
	st, err := s3blob.New(s3blob.Config{Client: client, Bucket: bc.Bucket, Prefix: prefix})
	if err != nil {
		return nil, fmt.Errorf("blob store: %w", err)
	}
	return st, nil
}

func endpointName(endpoint string) string {
	if endpoint == "" {
		return "AWS S3"
	}
	return endpoint
}
