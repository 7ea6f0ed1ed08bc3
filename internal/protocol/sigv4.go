package protocol

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ceap/ceap/internal/awserr"
)

// SigV4 limits, as AWS enforces them.
const (
	// MaxClockSkew is how far a request's X-Amz-Date may be from the server's clock (AWS: 15 minutes).
	MaxClockSkew = 15 * time.Minute
	// MaxPresignExpiry is the longest X-Amz-Expires a presigned URL may carry (AWS: 7 days).
	MaxPresignExpiry = 7 * 24 * time.Hour
	sigAlgorithm     = "AWS4-HMAC-SHA256"
	amzDateLayout    = "20060102T150405Z"
	unsignedPayload  = "UNSIGNED-PAYLOAD"
	streamingPrefix  = "STREAMING-"
)

// The x-amz-content-sha256 values of SigV4 streaming uploads whose chunks are signed (S3's
// aws-chunked encoding), and the algorithms of their chunk and trailer strings to sign.
const (
	StreamingSignedPayload        = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	StreamingSignedPayloadTrailer = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	chunkAlgorithm                = "AWS4-HMAC-SHA256-PAYLOAD"
	trailerAlgorithm              = "AWS4-HMAC-SHA256-TRAILER"
	// emptySHA256 is the hex SHA-256 of nothing: a chunk's string to sign carries it where an
	// event stream message would carry the hash of its headers.
	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// Scope is the credential scope of a SigV4 signature.
type Scope struct {
	AccessKey string
	Date      string
	Region    string
	Service   string
}

// signature is everything parsed out of a signed request.
type signature struct {
	Scope
	SignedHeaders []string
	Signature     string
	AmzDate       string
	Presigned     bool
	Expires       time.Duration
}

// credentialScope reads the credential scope of r without verifying anything.
func credentialScope(r *http.Request) (Scope, bool) {
	s, ok, _ := parseSignature(r)
	return s.Scope, ok
}

// ParseScope returns the credential scope of r, if it is signed.
func ParseScope(r *http.Request) (Scope, bool) { return credentialScope(r) }

// parseScope parses key/date/region/service/aws4_request (cut in place: every request has one).
func parseScope(cred string) (Scope, bool) {
	var sc Scope
	var ok [4]bool
	sc.AccessKey, cred, ok[0] = strings.Cut(cred, "/")
	sc.Date, cred, ok[1] = strings.Cut(cred, "/")
	sc.Region, cred, ok[2] = strings.Cut(cred, "/")
	sc.Service, cred, ok[3] = strings.Cut(cred, "/")
	if ok != [4]bool{true, true, true, true} || cred != "aws4_request" {
		return Scope{}, false
	}
	return sc, true
}

func parseSignature(r *http.Request) (signature, bool, error) {
	var sig signature
	if auth := r.Header.Get("Authorization"); auth != "" {
		if !strings.HasPrefix(auth, sigAlgorithm+" ") {
			return sig, false, nil
		}
		for field := range strings.SplitSeq(strings.TrimPrefix(auth, sigAlgorithm+" "), ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(field), "=")
			switch k {
			case "Credential":
				sc, ok := parseScope(v)
				if !ok {
					return sig, false, nil
				}
				sig.Scope = sc
			case "SignedHeaders":
				sig.SignedHeaders = strings.Split(v, ";")
			case "Signature":
				sig.Signature = v
			}
		}
		sig.AmzDate = r.Header.Get("X-Amz-Date")
		return sig, sig.AccessKey != "", nil
	}
	q := r.URL.Query()
	if q.Get("X-Amz-Algorithm") == sigAlgorithm {
		sc, ok := parseScope(q.Get("X-Amz-Credential"))
		if !ok {
			return sig, false, nil
		}
		sig.Scope = sc
		sig.SignedHeaders = strings.Split(q.Get("X-Amz-SignedHeaders"), ";")
		sig.Signature = q.Get("X-Amz-Signature")
		sig.AmzDate = q.Get("X-Amz-Date")
		sig.Presigned = true
		secs, err := strconv.Atoi(q.Get("X-Amz-Expires"))
		if err != nil {
			secs = int(MaxPresignExpiry / time.Second)
		}
		sig.Expires = time.Duration(secs) * time.Second
		return sig, true, nil
	}
	return sig, false, nil
}

// Credential is one configured access key.
type Credential struct {
	AccessKeyID     string
	SecretAccessKey string
	Account         string
}

// Verifier checks SigV4 signatures against configured credentials. With no credentials it
// accepts any request and assigns the default account.
type Verifier struct {
	keys           map[string]Credential
	defaultAccount string
	defaultRegion  string
	now            func() time.Time
}

// NewVerifier returns a Verifier. now may be nil for the wall clock.
func NewVerifier(creds []Credential, defaultAccount, defaultRegion string, now func() time.Time) *Verifier {
	v := &Verifier{keys: map[string]Credential{}, defaultAccount: defaultAccount, defaultRegion: defaultRegion, now: now}
	if v.now == nil {
		v.now = time.Now
	}
	for _, c := range creds {
		v.keys[c.AccessKeyID] = c
	}
	return v
}

// Enforcing reports whether signatures are checked.
func (v *Verifier) Enforcing() bool { return len(v.keys) > 0 }

// Verify establishes the caller of r. payloadHash is the hex SHA-256 of the body, or "" when the
// body is not read here (S3, which sends X-Amz-Content-Sha256). The error is client-visible.
func (v *Verifier) Verify(r *http.Request, service, payloadHash string) (Caller, error) {
	sig, signed, _ := parseSignature(r)
	caller := Caller{Account: v.defaultAccount, Region: v.defaultRegion}
	if signed {
		caller.AccessKey = sig.AccessKey
		if sig.Region != "" {
			caller.Region = sig.Region
		}
	}
	if !v.Enforcing() {
		return caller, nil
	}
	s3 := service == S3
	if !signed {
		if s3 {
			return caller, awserr.WithStatus(403, "AccessDenied", "Access Denied")
		}
		return caller, awserr.WithStatus(403, "MissingAuthenticationTokenException", "Missing Authentication Token")
	}
	cred, ok := v.keys[sig.AccessKey]
	if !ok {
		if s3 {
			return caller, awserr.WithStatus(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
		}
		return caller, awserr.WithStatus(403, "UnrecognizedClientException", "The security token included in the request is invalid.")
	}
	caller.Account = cred.Account
	when, err := time.Parse(amzDateLayout, sig.AmzDate)
	if err != nil {
		if d := r.Header.Get("Date"); d != "" {
			when, err = http.ParseTime(d)
		}
		if err != nil {
			return caller, awserr.WithStatus(403, signatureCode(s3), "X-Amz-Date is missing or malformed.")
		}
	}
	now := v.now()
	if sig.Presigned {
		if sig.Expires > MaxPresignExpiry {
			return caller, awserr.WithStatus(400, "AuthorizationQueryParametersError", "X-Amz-Expires must be less than a week (in seconds) that is 604800")
		}
		if now.After(when.Add(sig.Expires)) {
			return caller, awserr.WithStatus(403, "AccessDenied", "Request has expired")
		}
	} else if d := now.Sub(when); d > MaxClockSkew || d < -MaxClockSkew {
		if s3 {
			return caller, awserr.WithStatus(403, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.")
		}
		return caller, awserr.WithStatus(400, "InvalidSignatureException", "Signature expired: %s is now earlier than %s (%s - 15 min.)",
			sig.AmzDate, now.Add(-MaxClockSkew).UTC().Format(amzDateLayout), now.UTC().Format(amzDateLayout))
	}
	if payloadHash == "" || s3 {
		if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" {
			payloadHash = h
		} else if sig.Presigned {
			payloadHash = unsignedPayload
		}
	}
	key := SigningKey(cred.SecretAccessKey, sig.Date, sig.Region, sig.Service)
	want := computeSignature(r, sig, key, payloadHash, s3)
	if subtle.ConstantTimeCompare([]byte(want), []byte(sig.Signature)) != 1 {
		return caller, ErrSignatureDoesNotMatch(s3)
	}
	if s3 && !sig.Presigned && (payloadHash == StreamingSignedPayload || payloadHash == StreamingSignedPayloadTrailer) {
		caller.Chunks = NewChunkVerifier(key, sig.AmzDate, sig.Scope, want)
	}
	return caller, nil
}

// ErrSignatureDoesNotMatch is the error of a signature that does not verify (S3's code for S3,
// InvalidSignatureException for the other services).
func ErrSignatureDoesNotMatch(s3 bool) error {
	return awserr.WithStatus(403, signatureCode(s3),
		"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
}

// ChunkVerifier checks the signatures of a SigV4 streaming upload, as S3 does: every chunk of
// the aws-chunked body is signed over the signature before it (the first over the request's
// own, the seed), and the trailing headers over the final, empty chunk's. A ChunkVerifier
// belongs to one request; it is not safe for concurrent use.
type ChunkVerifier struct {
	key []byte
	// prefix is what every string to sign holds after its algorithm: the request time and the
	// credential scope, each on a line of its own.
	prefix string
	// prev is the hex signature the next chunk chains from.
	prev string
}

// NewChunkVerifier returns the verifier of a streaming upload whose request was signed with
// seed (hex) at amzDate (X-Amz-Date) in scope, by the signing key key.
func NewChunkVerifier(key []byte, amzDate string, scope Scope, seed string) *ChunkVerifier {
	return &ChunkVerifier{key: key, prev: seed, prefix: "\n" + amzDate + "\n" + scope.String() + "\n"}
}

// Chunk checks signature (hex) against the next chunk, whose data has the SHA-256 sum, and moves
// the chain on when it matches. The final chunk is the empty one.
func (v *ChunkVerifier) Chunk(sum []byte, signature string) bool {
	toSign := chunkAlgorithm + v.prefix + v.prev + "\n" + emptySHA256 + "\n" + hex.EncodeToString(sum)
	want := hex.EncodeToString(hmacSHA256(v.key, []byte(toSign)))
	if subtle.ConstantTimeCompare([]byte(want), []byte(signature)) != 1 {
		return false
	}
	v.prev = want
	return true
}

// Trailer checks signature (hex, the x-amz-trailer-signature trailer) against the trailing
// headers in their canonical form: "name:value\n" for each, names lower-case and sorted.
func (v *ChunkVerifier) Trailer(canonical, signature string) bool {
	sum := sha256.Sum256([]byte(canonical))
	toSign := trailerAlgorithm + v.prefix + v.prev + "\n" + hex.EncodeToString(sum[:])
	want := hex.EncodeToString(hmacSHA256(v.key, []byte(toSign)))
	return subtle.ConstantTimeCompare([]byte(want), []byte(signature)) == 1
}

func signatureCode(s3 bool) string {
	if s3 {
		return "SignatureDoesNotMatch"
	}
	return "InvalidSignatureException"
}

// String is the credential scope as it appears in a string to sign.
func (s Scope) String() string {
	return s.Date + "/" + s.Region + "/" + s.Service + "/aws4_request"
}

// computeSignature returns the hex signature of r as the client should have computed it with
// the signing key key.
func computeSignature(r *http.Request, sig signature, key []byte, payloadHash string, s3 bool) string {
	canonical := canonicalRequest(r, sig, payloadHash, s3)
	sum := sha256.Sum256([]byte(canonical))
	toSign := sigAlgorithm + "\n" + sig.AmzDate + "\n" + sig.Scope.String() + "\n" + hex.EncodeToString(sum[:])
	return hex.EncodeToString(hmacSHA256(key, []byte(toSign)))
}

// SigningKey derives the SigV4 signing key.
func SigningKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), []byte(date))
	k = hmacSHA256(k, []byte(region))
	k = hmacSHA256(k, []byte(service))
	return hmacSHA256(k, []byte("aws4_request"))
}

func hmacSHA256(key, data []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(data)
	return h.Sum(nil)
}

func canonicalRequest(r *http.Request, sig signature, payloadHash string, s3 bool) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	if !s3 {
		path = escapePath(path)
	}
	b.WriteString(path)
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.Query(), sig.Presigned))
	b.WriteByte('\n')
	for _, h := range sig.SignedHeaders {
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(headerValue(r, h))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(sig.SignedHeaders, ";"))
	b.WriteByte('\n')
	if payloadHash == "" {
		payloadHash = unsignedPayload
	}
	b.WriteString(payloadHash)
	return b.String()
}

func headerValue(r *http.Request, name string) string {
	if name == "host" {
		return r.Host
	}
	if name == "content-length" && r.Header.Get("Content-Length") == "" && r.ContentLength >= 0 {
		return strconv.FormatInt(r.ContentLength, 10)
	}
	vals := r.Header.Values(http.CanonicalHeaderKey(name))
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(out, ",")
}

func canonicalQuery(q url.Values, presigned bool) string {
	type kv struct{ k, v string }
	var pairs []kv
	for k, vs := range q {
		if presigned && k == "X-Amz-Signature" {
			continue
		}
		for _, v := range vs {
			pairs = append(pairs, kv{uriEncode(k, true), uriEncode(v, true)})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = p.k + "=" + p.v
	}
	return strings.Join(parts, "&")
}

// escapePath applies the second round of escaping that SigV4 uses for non-S3 services.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = uriEncode(s, true)
	}
	return strings.Join(segs, "/")
}

// uriEncode escapes s as SigV4 requires: everything but A-Z a-z 0-9 - _ . ~ is %XX.
func uriEncode(s string, encodeSlash bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		case c == '/' && !encodeSlash:
			b.WriteByte(c)
		default:
			b.WriteString("%")
			b.WriteString(strings.ToUpper(hex.EncodeToString([]byte{c})))
		}
	}
	return b.String()
}
