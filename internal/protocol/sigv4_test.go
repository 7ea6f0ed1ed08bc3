package protocol

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/ceap/ceap/internal/awserr"
)

func signedRequest(t *testing.T, secret string, when time.Time, body string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:4566/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-amz-json-1.0")
	r.Header.Set("X-Amz-Target", "AmazonSQS.ListQueues")
	sum := sha256.Sum256([]byte(body))
	err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: secret}, r, hex.EncodeToString(sum[:]), "sqs", "eu-west-1", when)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestVerifyHeaderSignature(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	v := NewVerifier([]Credential{{AccessKeyID: "AKID", SecretAccessKey: "secret", Account: "111122223333"}}, "000000000000", "us-east-1", func() time.Time { return now })
	body := `{"QueueNamePrefix":"a"}`
	hash := func(b string) string { s := sha256.Sum256([]byte(b)); return hex.EncodeToString(s[:]) }

	caller, err := v.Verify(signedRequest(t, "secret", now, body), SQS, hash(body))
	if err != nil {
		t.Fatalf("valid signature refused: %v", err)
	}
	if caller.Account != "111122223333" || caller.Region != "eu-west-1" || caller.AccessKey != "AKID" {
		t.Fatalf("caller = %+v", caller)
	}
	cases := []struct {
		name string
		req  *http.Request
		hash string
		code string
	}{
		{"wrong secret", signedRequest(t, "other", now, body), hash(body), "InvalidSignatureException"},
		{"tampered body", signedRequest(t, "secret", now, body), hash(body + " "), "InvalidSignatureException"},
		{"skewed clock", signedRequest(t, "secret", now.Add(-16*time.Minute), body), hash(body), "InvalidSignatureException"},
	}
	for _, c := range cases {
		_, err := v.Verify(c.req, SQS, c.hash)
		ae, ok := awserr.As(err)
		if !ok || ae.Code != c.code {
			t.Errorf("%s: err = %v, want %s", c.name, err, c.code)
		}
	}
	unsigned, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:4566/", nil)
	if _, err := v.Verify(unsigned, SQS, ""); err == nil {
		t.Errorf("unsigned request accepted while credentials are enforced")
	}
	r := signedRequest(t, "secret", now, body)
	r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "AKID", "NOPE", 1))
	if _, err := v.Verify(r, SQS, hash(body)); err == nil || !strings.Contains(err.Error(), "UnrecognizedClient") {
		t.Errorf("unknown key: err = %v", err)
	}
}

func TestVerifyPresigned(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	v := NewVerifier([]Credential{{AccessKeyID: "AKID", SecretAccessKey: "secret", Account: "1"}}, "0", "us-east-1", func() time.Time { return now })
	r, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:4566/bucket/some%20key.json?X-Amz-Expires=300", nil)
	signed, _, err := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}, r, "UNSIGNED-PAYLOAD", "s3", "us-east-1", now)
	if err != nil {
		t.Fatal(err)
	}
	pr, _ := http.NewRequest(http.MethodGet, signed, nil)
	if _, err := v.Verify(pr, S3, ""); err != nil {
		t.Fatalf("presigned URL refused: %v", err)
	}
	v.now = func() time.Time { return now.Add(301 * time.Second) }
	if _, err := v.Verify(pr, S3, ""); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired presigned URL: err = %v", err)
	}
}

func TestNoCredentialsAcceptsAnything(t *testing.T) {
	t.Parallel()
	v := NewVerifier(nil, "000000000000", "us-east-1", nil)
	r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:4566/", nil)
	c, err := v.Verify(r, SQS, "")
	if err != nil || c.Account != "000000000000" || c.Region != "us-east-1" {
		t.Fatalf("caller %+v err %v", c, err)
	}
}
