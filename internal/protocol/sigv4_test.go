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

// TestChunkVerifierAWSExample checks the chunk signatures of the chunked upload example in S3's
// documentation (sigv4-streaming: 65 KiB of "a" in chunks of 64 KiB, 1 KiB and 0 bytes).
func TestChunkVerifierAWSExample(t *testing.T) {
	t.Parallel()
	scope := Scope{AccessKey: "AKIAIOSFODNN7EXAMPLE", Date: "20130524", Region: "us-east-1", Service: "s3"}
	key := SigningKey("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", scope.Date, scope.Region, scope.Service)
	v := NewChunkVerifier(key, "20130524T000000Z", scope, "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")
	sum := func(n int) []byte { s := sha256.Sum256([]byte(strings.Repeat("a", n))); return s[:] }
	if v.Chunk(sum(1024), "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648") {
		t.Fatalf("the first chunk's signature verified over the wrong data")
	}
	for i, c := range []struct {
		size int
		sig  string
	}{
		{65536, "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"},
		{1024, "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"},
		{0, "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"},
	} {
		if !v.Chunk(sum(c.size), c.sig) {
			t.Fatalf("chunk %d (%d bytes): signature %s refused", i, c.size, c.sig)
		}
	}
}

// TestChunkVerifierMatchesSDKStreamSigner chains chunk signatures made by aws-sdk-go-v2's stream
// signer (whose string to sign, with no message headers, is S3's chunk string to sign) and checks
// that a reordered or altered chunk breaks the chain.
func TestChunkVerifierMatchesSDKStreamSigner(t *testing.T) {
	t.Parallel()
	when := time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)
	creds := aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}
	seed := strings.Repeat("ab", 32)
	rawSeed, _ := hex.DecodeString(seed)
	signer := v4.NewStreamSigner(creds, "s3", "eu-west-1", rawSeed)
	chunks := [][]byte{[]byte("hello "), []byte("chunked "), []byte("world"), nil}
	var sigs []string
	for _, c := range chunks {
		s, err := signer.GetSignature(context.Background(), nil, c, when)
		if err != nil {
			t.Fatal(err)
		}
		sigs = append(sigs, hex.EncodeToString(s))
	}
	scope := Scope{AccessKey: "AKID", Date: "20261127", Region: "eu-west-1", Service: "s3"}
	key := SigningKey("secret", scope.Date, scope.Region, scope.Service)
	newV := func() *ChunkVerifier { return NewChunkVerifier(key, "20261127T150000Z", scope, seed) }
	v := newV()
	for i, c := range chunks {
		sum := sha256.Sum256(c)
		if !v.Chunk(sum[:], sigs[i]) {
			t.Fatalf("chunk %d refused", i)
		}
	}
	// The trailer is signed over the final chunk's signature.
	canonical := "x-amz-checksum-crc32:NSRBwg==\n"
	trailerSum := sha256.Sum256([]byte(canonical))
	toSign := "AWS4-HMAC-SHA256-TRAILER\n20261127T150000Z\n" + scope.String() + "\n" + sigs[3] + "\n" + hex.EncodeToString(trailerSum[:])
	trailerSig := hex.EncodeToString(hmacSHA256(key, []byte(toSign)))
	if !v.Trailer(canonical, trailerSig) || v.Trailer("x-amz-checksum-crc32:AAAAAA==\n", trailerSig) {
		t.Fatalf("trailer signature not checked against the trailer")
	}
	v = newV()
	second := sha256.Sum256(chunks[1])
	if v.Chunk(second[:], sigs[0]) {
		t.Fatalf("a chunk out of order verified")
	}
	v = newV()
	first := sha256.Sum256(chunks[0])
	if !v.Chunk(first[:], sigs[0]) || v.Chunk(first[:], sigs[1]) {
		t.Fatalf("an altered second chunk verified")
	}
}

// TestVerifyStreamingUpload checks that a verified S3 request with a signed streaming payload
// carries the verifier of its chunks, seeded with its own signature, and that other requests do not.
func TestVerifyStreamingUpload(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	v := NewVerifier([]Credential{{AccessKeyID: "AKID", SecretAccessKey: "secret", Account: "111122223333"}}, "000000000000", "us-east-1", func() time.Time { return now })
	sign := func(payloadHash string) *http.Request {
		r, _ := http.NewRequest(http.MethodPut, "http://127.0.0.1:4566/b/k", strings.NewReader("ignored"))
		r.Header.Set("X-Amz-Content-Sha256", payloadHash)
		signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
		if err := signer.SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}, r, payloadHash, "s3", "us-east-1", now); err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, c := range []struct {
		hash   string
		chunks bool
	}{
		{StreamingSignedPayload, true},
		{StreamingSignedPayloadTrailer, true},
		{"STREAMING-UNSIGNED-PAYLOAD-TRAILER", false},
		{emptySHA256, false},
	} {
		r := sign(c.hash)
		caller, err := v.Verify(r, S3, "")
		if err != nil {
			t.Fatalf("%s: %v", c.hash, err)
		}
		if (caller.Chunks != nil) != c.chunks {
			t.Fatalf("%s: chunk verifier %v, want one: %v", c.hash, caller.Chunks, c.chunks)
		}
		if caller.Chunks == nil {
			continue
		}
		_, seed, _ := strings.Cut(r.Header.Get("Authorization"), "Signature=")
		rawSeed, _ := hex.DecodeString(seed)
		s, _ := v4.NewStreamSigner(aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}, "s3", "us-east-1", rawSeed).GetSignature(context.Background(), nil, []byte("data"), now)
		sum := sha256.Sum256([]byte("data"))
		if !caller.Chunks.Chunk(sum[:], hex.EncodeToString(s)) {
			t.Fatalf("%s: the first chunk does not chain from the request's signature", c.hash)
		}
	}
}

func TestParseScope(t *testing.T) {
	t.Parallel()
	want := Scope{AccessKey: "AKID", Date: "20260301", Region: "us-east-1", Service: "s3"}
	if got, ok := parseScope("AKID/20260301/us-east-1/s3/aws4_request"); !ok || got != want {
		t.Errorf("parseScope = %+v, %v; want %+v", got, ok, want)
	}
	for _, bad := range []string{
		"", "AKID", "AKID/20260301/us-east-1/s3", "AKID/20260301/us-east-1/s3/aws4_request/x",
		"AKID/20260301/us-east-1/s3/aws4", "AKID/20260301/us-east-1/aws4_request",
	} {
		if got, ok := parseScope(bad); ok || got != (Scope{}) {
			t.Errorf("parseScope(%q) = %+v, %v; want no scope", bad, got, ok)
		}
	}
}
