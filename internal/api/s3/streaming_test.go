package s3_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/ceap/ceap/internal/ceaptest"
	"github.com/ceap/ceap/internal/config"
	"github.com/ceap/ceap/internal/protocol"
)

const (
	streamKeyID  = "AKIDSTREAM"
	streamSecret = "stream-secret"
	// streamChunk is the chunk size of the signed uploads (S3's examples use 64 KiB).
	streamChunk = 64 << 10
)

// signedStreaming makes an aws-sdk-go-v2 S3 client send its request bodies as SigV4 signed
// aws-chunked streams, as other SDKs do: the request is signed with the STREAMING payload hash by
// the SDK's own signer, and then every chunk is signed in a chain from that signature by the
// SDK's stream signer. The Go SDK has the two signers but does not put them together for S3
// itself. tamper, when set, changes the encoded body after signing.
type signedStreaming struct {
	trailer bool
	tamper  func([]byte) []byte
	body    []byte
}

func (s *signedStreaming) apply(stack *middleware.Stack) error {
	if _, err := stack.Finalize.Swap("ComputePayloadHash", middleware.FinalizeMiddlewareFunc("ComputePayloadHash", s.prepare)); err != nil {
		return err
	}
	return stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("SignChunks", s.signChunks), "Signing", middleware.After)
}

func (s *signedStreaming) payloadHash() string {
	if s.trailer {
		return protocol.StreamingSignedPayloadTrailer
	}
	return protocol.StreamingSignedPayload
}

// prepare runs before the request is signed: the headers of a streaming upload and the length
// of the encoded body (which does not depend on the signatures' values).
func (s *signedStreaming) prepare(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	req := in.Request.(*smithyhttp.Request)
	if st := req.GetStream(); st != nil {
		b, err := io.ReadAll(st)
		if err != nil {
			return middleware.FinalizeOutput{}, middleware.Metadata{}, err
		}
		s.body = b
	}
	req.Header.Set("Content-Encoding", "aws-chunked")
	req.Header.Set("X-Amz-Decoded-Content-Length", fmt.Sprint(len(s.body)))
	if s.trailer {
		req.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
	}
	req.ContentLength = int64(len(s.encode(strings.Repeat("0", 64), time.Time{})))
	return next.HandleFinalize(v4.SetPayloadHash(ctx, s.payloadHash()), in)
}

// signChunks runs after the request is signed: the body becomes the chunks, signed from the
// request's signature.
func (s *signedStreaming) signChunks(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	req := in.Request.(*smithyhttp.Request)
	_, seed, _ := strings.Cut(req.Header.Get("Authorization"), "Signature=")
	when, err := time.Parse("20060102T150405Z", req.Header.Get("X-Amz-Date"))
	if err != nil {
		return middleware.FinalizeOutput{}, middleware.Metadata{}, err
	}
	body := s.encode(seed, when)
	if s.tamper != nil {
		body = s.tamper(body)
	}
	if in.Request, err = req.SetStream(bytes.NewReader(body)); err != nil {
		return middleware.FinalizeOutput{}, middleware.Metadata{}, err
	}
	return next.HandleFinalize(ctx, in)
}

func (s *signedStreaming) encode(seedHex string, when time.Time) []byte {
	seed, _ := hex.DecodeString(seedHex)
	signer := v4.NewStreamSigner(aws.Credentials{AccessKeyID: streamKeyID, SecretAccessKey: streamSecret}, "s3", "us-east-1", seed)
	var out bytes.Buffer
	prev := seedHex
	for off := 0; ; off += streamChunk {
		chunk := s.body[min(off, len(s.body)):min(off+streamChunk, len(s.body))]
		sig, _ := signer.GetSignature(context.Background(), nil, chunk, when)
		prev = hex.EncodeToString(sig)
		fmt.Fprintf(&out, "%x;chunk-signature=%s\r\n", len(chunk), prev)
		if len(chunk) == 0 {
			break
		}
		out.Write(chunk)
		out.WriteString("\r\n")
	}
	if s.trailer {
		trailer := "x-amz-checksum-crc32:" + crc32b64(string(s.body)) + "\n"
		scope := protocol.Scope{Date: when.Format("20060102"), Region: "us-east-1", Service: "s3"}
		hash := sha256.Sum256([]byte(trailer))
		mac := hmac.New(sha256.New, protocol.SigningKey(streamSecret, scope.Date, scope.Region, scope.Service))
		mac.Write([]byte("AWS4-HMAC-SHA256-TRAILER\n" + when.Format("20060102T150405Z") + "\n" + scope.String() + "\n" + prev + "\n" + hex.EncodeToString(hash[:])))
		out.WriteString(strings.TrimSuffix(trailer, "\n") + "\r\n")
		out.WriteString("x-amz-trailer-signature:" + hex.EncodeToString(mac.Sum(nil)) + "\r\n")
	}
	out.WriteString("\r\n")
	return out.Bytes()
}

func streamingClients(t *testing.T) (plain *s3.Client, streaming func(*signedStreaming) *s3.Client) {
	t.Helper()
	srv := ceaptest.StartServer(t, ceaptest.WithConfig(func(c *config.Config) {
		c.Credentials = []config.Credential{{AccessKeyID: streamKeyID, SecretAccessKey: streamSecret, AccountID: "123456789012"}}
	}))
	cfg := srv.AWS.Copy()
	cfg.Credentials = credentials.NewStaticCredentialsProvider(streamKeyID, streamSecret, "")
	plain = s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	return plain, func(s *signedStreaming) *s3.Client {
		return s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.UsePathStyle = true
			o.APIOptions = append(o.APIOptions, s.apply)
		})
	}
}

// flipByte changes one byte of the second chunk's data.
func flipByte(b []byte) []byte {
	i := bytes.Index(b, []byte("\r\n")) + 2 + streamChunk + 2 // past the first chunk
	i = i + bytes.Index(b[i:], []byte("\r\n")) + 2 + 10       // into the second chunk's data
	out := bytes.Clone(b)
	out[i] ^= 0x20
	return out
}

func TestSignedStreamingUploads(t *testing.T) {
	t.Parallel()
	plain, streaming := streamingClients(t)
	ctx := context.Background()
	mustBucket(t, plain, "stream")
	payload := bytes.Repeat([]byte("signed chunks; "), 14_000) // 210,000 bytes: three full chunks and a short one
	sum := md5.Sum(payload)

	for _, trailer := range []bool{false, true} {
		key := fmt.Sprintf("ok-%v", trailer)
		c := streaming(&signedStreaming{trailer: trailer})
		out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("stream"), Key: aws.String(key), Body: bytes.NewReader(payload)})
		if err != nil {
			t.Fatalf("signed streaming PutObject (trailer %v): %v", trailer, err)
		}
		if aws.ToString(out.ETag) != `"`+hex.EncodeToString(sum[:])+`"` {
			t.Fatalf("ETag %s, want the MD5 of the payload", aws.ToString(out.ETag))
		}
		got, gout := read(t, plain, &s3.GetObjectInput{Bucket: aws.String("stream"), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
		if got != string(payload) || aws.ToString(gout.ContentEncoding) != "" {
			t.Fatalf("stored %d bytes, encoding %q", len(got), aws.ToString(gout.ContentEncoding))
		}
		if trailer && aws.ToString(gout.ChecksumCRC32) != crc32b64(string(payload)) {
			t.Fatalf("trailing checksum not stored: %q", aws.ToString(gout.ChecksumCRC32))
		}
	}

	bad := map[string]*signedStreaming{
		"a chunk's data altered": {tamper: flipByte},
		"a chunk signature altered": {tamper: func(b []byte) []byte {
			i := bytes.Index(b, []byte("chunk-signature=")) + len("chunk-signature=")
			out := bytes.Clone(b)
			out[i] ^= 1
			return out
		}},
		"the trailer altered": {trailer: true, tamper: func(b []byte) []byte {
			want := []byte("x-amz-checksum-crc32:" + crc32b64(string(payload)))
			return bytes.Replace(b, want, []byte("x-amz-checksum-crc32:AAAAAA=="), 1)
		}},
		"the trailer signature dropped": {trailer: true, tamper: func(b []byte) []byte {
			i := bytes.Index(b, []byte("x-amz-trailer-signature:"))
			return append(bytes.Clone(b[:i]), "\r\n"...)
		}},
	}
	for name, s := range bad {
		key := "bad/" + name
		_, err := streaming(s).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("stream"), Key: aws.String(key), Body: bytes.NewReader(payload)})
		if apiCode(err) != "SignatureDoesNotMatch" || !asStatus(err, 403) {
			t.Fatalf("%s: PutObject = %v, want 403 SignatureDoesNotMatch", name, err)
		}
		if _, err := plain.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("stream"), Key: aws.String(key)}); !asStatus(err, 404) {
			t.Fatalf("%s: an upload refused for its signature was stored: HEAD = %v", name, err)
		}
	}

	up, err := plain.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("stream"), Key: aws.String("parts")})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	_, err = streaming(&signedStreaming{tamper: flipByte}).UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("stream"), Key: aws.String("parts"),
		UploadId: up.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader(payload)})
	if apiCode(err) != "SignatureDoesNotMatch" {
		t.Fatalf("UploadPart with an altered chunk = %v, want SignatureDoesNotMatch", err)
	}
	parts, err := plain.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("stream"), Key: aws.String("parts"), UploadId: up.UploadId})
	if err != nil || len(parts.Parts) != 0 {
		t.Fatalf("ListParts after a refused part = %v, %v; want none", parts, err)
	}
	if _, err := streaming(&signedStreaming{trailer: true}).UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("stream"), Key: aws.String("parts"),
		UploadId: up.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader(payload)}); err != nil {
		t.Fatalf("signed streaming UploadPart: %v", err)
	}
}
