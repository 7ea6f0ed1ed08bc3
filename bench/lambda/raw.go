package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/ceap/ceap/bench/internal/loopback"
)

// rawClient sends Lambda's Invoke (rest-json, SigV4-signed) directly, without the SDK's
// middleware stack, so that on a shared machine the load generator spends its CPU on requests
// rather than on the client library. The request is what the SDK sends: POST
// /2015-03-31/functions/<name>/invocations with the payload as the body.
type rawClient struct {
	endpoint string
	http     *http.Client
	signer   *v4.Signer
	creds    aws.Credentials
}

func newRawClient(endpoint string) *rawClient {
	return &rawClient{
		endpoint: endpoint,
		http:     &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}},
		signer:   v4.NewSigner(),
		creds:    aws.Credentials{AccessKeyID: "bench", SecretAccessKey: "bench"},
	}
}

// rawThrottled is the error of a 429 answer.
type rawThrottled struct{ body string }

func (e *rawThrottled) Error() string { return "TooManyRequestsException: " + e.body }

// invoke calls a function and returns its payload and X-Amz-Function-Error header.
func (c *rawClient) invoke(ctx context.Context, name string, payload []byte) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		c.endpoint+"/2015-03-31/functions/"+url.PathEscape(name)+"/invocations", bytes.NewReader(payload))
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	sum := sha256.Sum256(payload)
	if err := c.signer.SignHTTP(ctx, c.creds, req, hex.EncodeToString(sum[:]), "lambda", "us-east-1", time.Now()); err != nil {
		return nil, "", err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", err
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return nil, "", &rawThrottled{body: string(b)}
	case resp.StatusCode != http.StatusOK:
		return nil, "", fmt.Errorf("HTTP %d: %s", resp.StatusCode, b)
	}
	return b, resp.Header.Get("X-Amz-Function-Error"), nil
}

// cpuTimes are the CPU times of the server, of its function processes (the server's children)
// and of the load generator.
type cpuTimes struct{ server, functions, loadgen time.Duration }

// readCPU samples the CPU times of the server, of its running children and of this process.
func readCPU(serverPID int) cpuTimes {
	var t cpuTimes
	if st, ok := loopback.ReadProcStat(serverPID); ok {
		t.server = st.CPU
		for _, c := range loopback.LiveChildren(serverPID) {
			t.functions += c.CPU
		}
	}
	t.loadgen = loopback.SelfCPU()
	return t
}

// perInvoke returns the CPU milliseconds per invoke spent between two samples.
func perInvoke(a, b cpuTimes, invokes int) map[string]float64 {
	if invokes == 0 {
		return nil
	}
	ms := func(d time.Duration) float64 { return round(float64(d) / float64(time.Millisecond) / float64(invokes)) }
	return map[string]float64{
		"server": ms(b.server - a.server), "functions": ms(b.functions - a.functions), "loadgen": ms(b.loadgen - a.loadgen),
		"total": ms(b.server - a.server + b.functions - a.functions + b.loadgen - a.loadgen),
	}
}
