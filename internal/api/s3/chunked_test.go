package s3

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/objects"
	"github.com/ceap/ceap/internal/protocol"
)

func TestChunkedDecodes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body, want string
		trailers         map[string]string
	}{
		{
			"unsigned with trailer",
			"b\r\nHello world\r\n0\r\nx-amz-checksum-sha256:ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw=\r\n\r\n",
			"Hello world",
			map[string]string{"x-amz-checksum-sha256": "ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw="},
		},
		{
			"signed chunks",
			"5;chunk-signature=" + strings.Repeat("a", 64) + "\r\nhello\r\n6;chunk-signature=" + strings.Repeat("b", 64) + "\r\n world\r\n0;chunk-signature=" + strings.Repeat("c", 64) + "\r\n\r\n",
			"hello world",
			map[string]string{},
		},
		{
			"signed with trailer signature",
			"3;chunk-signature=" + strings.Repeat("a", 64) + "\r\nabc\r\n0;chunk-signature=" + strings.Repeat("c", 64) + "\r\nx-amz-checksum-crc32:NSRBwg==\r\nx-amz-trailer-signature:" + strings.Repeat("d", 64) + "\r\n\r\n",
			"abc",
			map[string]string{"x-amz-checksum-crc32": "NSRBwg==", "x-amz-trailer-signature": strings.Repeat("d", 64)},
		},
		{"empty payload, no final CRLF", "0\r\n", "", map[string]string{}},
	}
	for _, c := range cases {
		r := newChunkedReader(strings.NewReader(c.body), nil)
		got, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if string(got) != c.want {
			t.Fatalf("%s: decoded %q, want %q", c.name, got, c.want)
		}
		if len(r.trailers) != len(c.trailers) {
			t.Fatalf("%s: trailers %v, want %v", c.name, r.trailers, c.trailers)
		}
		for k, v := range c.trailers {
			if r.trailers[k] != v {
				t.Fatalf("%s: trailer %s = %q, want %q", c.name, k, r.trailers[k], v)
			}
		}
	}
}

func TestChunkedLarge(t *testing.T) {
	t.Parallel()
	payload := bytes.Repeat([]byte("0123456789abcdef"), 100_000)
	var enc bytes.Buffer
	for off := 0; off < len(payload); off += 65536 {
		end := min(off+65536, len(payload))
		enc.WriteString(strconv.FormatInt(int64(end-off), 16) + "\r\n")
		enc.Write(payload[off:end])
		enc.WriteString("\r\n")
	}
	enc.WriteString("0\r\n\r\n")
	got, err := io.ReadAll(newChunkedReader(&enc, nil))
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("large decode: %d bytes, err %v; want %d bytes", len(got), err, len(payload))
	}
}

func TestChunkedRejectsMalformed(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		"zz\r\nabc\r\n0\r\n\r\n",
		"5\r\nabc",
		"3\r\nabcXX\r\n0\r\n\r\n",
		"3\r\nabc\r\n",
		"3\r\nabc\r\n0\r\nno-colon-here\r\n\r\n",
		"-1\r\n",
	} {
		_, err := io.ReadAll(newChunkedReader(strings.NewReader(body), nil))
		if err == nil {
			t.Fatalf("body %q decoded without error", body)
		}
		if !errors.Is(err, errBadChunk) && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("body %q: err = %v, want a chunk error", body, err)
		}
	}
}

func FuzzChunked(f *testing.F) {
	f.Add("b\r\nHello world\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n")
	f.Add("0;chunk-signature=abc\r\n\r\n")
	f.Add("3;chunk-signature=" + strings.Repeat("a", 64) + "\r\nabc\r\n0;chunk-signature=" + strings.Repeat("b", 64) + "\r\nx-amz-trailer-signature:" + strings.Repeat("c", 64) + "\r\n\r\n")
	scope, key := testScope()
	f.Fuzz(func(t *testing.T, body string) {
		r := newChunkedReader(strings.NewReader(body), nil)
		got, err := io.ReadAll(r)
		if err == nil && len(got) > len(body) {
			t.Fatalf("decoded %d bytes from a %d-byte body", len(got), len(body))
		}
		// With signatures checked, no body a fuzzer can write without the key verifies.
		signed := newChunkedReader(strings.NewReader(body), protocol.NewChunkVerifier(key, "20261127T150000Z", scope, strings.Repeat("5e", 32)))
		if _, err := io.ReadAll(signed); err == nil {
			t.Fatalf("an unsigned body verified: %q", body)
		}
	})
}

// signedBody builds a signed aws-chunked body as an SDK does: chunks signed in a chain from the
// request's signature by aws-sdk-go-v2's stream signer, then the trailers and their signature.
type signedBody struct {
	key    []byte
	scope  protocol.Scope
	when   time.Time
	seed   string
	chunks []string
	// trailers, "name:value" each; a signature trailer is added when sign is set.
	trailers []string
	sign     bool
}

func testScope() (protocol.Scope, []byte) {
	scope := protocol.Scope{AccessKey: "AKID", Date: "20261127", Region: "us-east-1", Service: "s3"}
	return scope, protocol.SigningKey("secret", scope.Date, scope.Region, scope.Service)
}

// encode returns the body, the chunk signatures and each chunk's record (size line, data, CRLF).
func (b *signedBody) encode(t *testing.T) (string, []string, []string) {
	t.Helper()
	seed, _ := hex.DecodeString(b.seed)
	signer := v4.NewStreamSigner(aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}, "s3", "us-east-1", seed)
	var out strings.Builder
	var sigs, records []string
	for _, c := range append(slices.Clone(b.chunks), "") {
		s, err := signer.GetSignature(context.Background(), nil, []byte(c), b.when)
		if err != nil {
			t.Fatal(err)
		}
		sigs = append(sigs, hex.EncodeToString(s))
		record := fmt.Sprintf("%x;chunk-signature=%s\r\n%s", len(c), sigs[len(sigs)-1], c)
		if c != "" {
			record += "\r\n"
		}
		records = append(records, record)
		out.WriteString(record)
	}
	var canonical strings.Builder
	for _, tr := range b.trailers {
		out.WriteString(tr + "\r\n")
		canonical.WriteString(tr + "\n")
	}
	if b.sign {
		sum := sha256.Sum256([]byte(canonical.String()))
		toSign := "AWS4-HMAC-SHA256-TRAILER\n" + b.when.Format("20060102T150405Z") + "\n" + b.scope.String() + "\n" + sigs[len(sigs)-1] + "\n" + hex.EncodeToString(sum[:])
		mac := hmac.New(sha256.New, b.key)
		mac.Write([]byte(toSign))
		out.WriteString("x-amz-trailer-signature:" + hex.EncodeToString(mac.Sum(nil)) + "\r\n")
	}
	out.WriteString("\r\n")
	return out.String(), sigs, records
}

func TestChunkedVerifiesSignatures(t *testing.T) {
	t.Parallel()
	scope, key := testScope()
	when := time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)
	seed := strings.Repeat("5e", 32)
	verifier := func() *protocol.ChunkVerifier { return protocol.NewChunkVerifier(key, "20261127T150000Z", scope, seed) }
	base := signedBody{key: key, scope: scope, when: when, seed: seed, chunks: []string{strings.Repeat("a", 70_000), "second chunk", "3"}}
	good, sigs, records := base.encode(t)
	got, err := io.ReadAll(newChunkedReader(strings.NewReader(good), verifier()))
	if err != nil || string(got) != strings.Join(base.chunks, "") {
		t.Fatalf("signed body: %d bytes, %v", len(got), err)
	}
	withTrailer := base
	withTrailer.trailers, withTrailer.sign = []string{"x-amz-checksum-crc32:NSRBwg=="}, true
	trailed, _, _ := withTrailer.encode(t)
	r := newChunkedReader(strings.NewReader(trailed), verifier())
	if _, err := io.ReadAll(r); err != nil || r.trailers["x-amz-checksum-crc32"] != "NSRBwg==" {
		t.Fatalf("signed body with a signed trailer: %v, trailers %v", err, r.trailers)
	}
	unsignedTrailer := withTrailer
	unsignedTrailer.sign = false
	noTrailerSig, _, _ := unsignedTrailer.encode(t)

	bad := map[string]string{
		"data altered":            strings.Replace(good, "second chunk", "second chunK", 1),
		"signature altered":       strings.Replace(good, sigs[1], strings.Repeat("0", 64), 1),
		"chunks swapped":          records[0] + records[2] + records[1] + records[3] + "\r\n",
		"final signature altered": strings.Replace(good, "0;chunk-signature="+sigs[3], "0;chunk-signature="+sigs[2], 1),
		"signature missing":       strings.Replace(good, ";chunk-signature="+sigs[1], "", 1),
		"trailer altered":         strings.Replace(trailed, "NSRBwg==", "AAAAAA==", 1),
		"trailer unsigned":        noTrailerSig,
		"seeded elsewhere":        "",
	}
	other := base
	other.seed = strings.Repeat("00", 32)
	bad["seeded elsewhere"], _, _ = other.encode(t)
	for name, body := range bad {
		r := newChunkedReader(strings.NewReader(body), verifier())
		got, err := io.ReadAll(r)
		if !errors.Is(err, errChunkSignature) {
			t.Fatalf("%s: read %d bytes, err %v; want a chunk signature error", name, len(got), err)
		}
		if ae, ok := awserr.As(chunkedError(err)); !ok || ae.Code != "SignatureDoesNotMatch" || ae.HTTPStatus() != 403 {
			t.Fatalf("%s: answered %v, want SignatureDoesNotMatch", name, chunkedError(err))
		}
	}
	// Without a verifier (signatures not enforced) the same bodies decode.
	if got, err := io.ReadAll(newChunkedReader(strings.NewReader(bad["data altered"]), nil)); err != nil || !strings.Contains(string(got), "second chunK") {
		t.Fatalf("unverified decode: %v", err)
	}
}

func TestIsSHA256Hex(t *testing.T) {
	t.Parallel()
	sum := sha256.Sum256([]byte("body"))
	for s, want := range map[string]bool{
		hex.EncodeToString(sum[:]):                  true,
		strings.ToUpper(hex.EncodeToString(sum[:])): false,
		hex.EncodeToString(sum[:31]):                false,
		hex.EncodeToString(sum[:]) + "0":            false,
		strings.Repeat("g", 64):                     false,
		"UNSIGNED-PAYLOAD":                          false,
		"STREAMING-AWS4-HMAC-SHA256-PAYLOAD":        false,
		"":                                          false,
	} {
		if got := isSHA256Hex(s); got != want {
			t.Errorf("isSHA256Hex(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestChecksumHeaderIsCanonical(t *testing.T) {
	t.Parallel()
	for _, alg := range objects.Algorithms() {
		want := http.CanonicalHeaderKey("x-amz-checksum-" + strings.ToLower(alg))
		if got := checksumHeader(alg); got != want {
			t.Errorf("checksumHeader(%s) = %q, want %q", alg, got, want)
		}
	}
}
