package stage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Objects is the part of S3 a stage uses.
type Objects interface {
	// Get returns an object's body, or an error wrapping ErrNotFound when it does not exist.
	Get(ctx context.Context, bucket, key string) ([]byte, error)
	// Put writes an object with the given content type.
	Put(ctx context.Context, bucket, key string, body []byte, contentType string) error
}

// S3 is Objects over an S3 client.
type S3 struct {
	Client *s3.Client
}

// NewS3 returns Objects over an S3 client made from cfg. Path-style addressing keeps bucket
// names out of host names, which a local endpoint such as ceap's needs.
func NewS3(cfg aws.Config) *S3 {
	return &S3{Client: s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })}
}

// Get reads an object.
func (o *S3) Get(ctx context.Context, bucket, key string) ([]byte, error) {
	out, err := o.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		if isNotFound(err) {
			return nil, fmt.Errorf("get s3://%s/%s: %w", bucket, key, ErrNotFound)
		}
		return nil, fmt.Errorf("get s3://%s/%s: %w", bucket, key, err)
	}
	defer out.Body.Close()
	body, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, fmt.Errorf("read s3://%s/%s: %w", bucket, key, err)
	}
	return body, nil
}

// Put writes an object.
func (o *S3) Put(ctx context.Context, bucket, key string, body []byte, contentType string) error {
	_, err := o.Client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
		ContentType:   aws.String(contentType),
	})
	if err != nil {
		return fmt.Errorf("put s3://%s/%s: %w", bucket, key, err)
	}
	return nil
}

func isNotFound(err error) bool {
	var noKey *types.NoSuchKey
	if errors.As(err, &noKey) {
		return true
	}
	var resp *awshttp.ResponseError
	return errors.As(err, &resp) && resp.HTTPStatusCode() == http.StatusNotFound
}
