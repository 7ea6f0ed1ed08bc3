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
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
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

// cpuTicks are CPU times in clock ticks (1/100 s on Linux): the server's, its function
// processes' (the server's children) and the load generator's own.
type cpuTicks struct{ server, functions, loadgen int64 }

// readCPU samples the CPU times of the server, of its children and of this process.
func readCPU(serverPID int) cpuTicks {
	var t cpuTicks
	if serverPID > 0 {
		t.server, _ = procCPU(serverPID)
		dirs, _ := filepath.Glob("/proc/[0-9]*")
		for _, d := range dirs {
			pid, err := strconv.Atoi(filepath.Base(d))
			if err != nil {
				continue
			}
			if ticks, ppid := procCPU(pid); ppid == serverPID {
				t.functions += ticks
			}
		}
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		us := ru.Utime.Sec*1e6 + int64(ru.Utime.Usec) + ru.Stime.Sec*1e6 + int64(ru.Stime.Usec)
		t.loadgen = us / 1e4
	}
	return t
}

// procCPU returns a process's utime+stime in ticks and its parent's pid.
func procCPU(pid int) (ticks int64, ppid int) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0
	}
	// The command name (field 2) may hold spaces; the fields after its closing parenthesis are
	// state, ppid, ..., utime (14th field of the line), stime (15th).
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, 0
	}
	ppid, _ = strconv.Atoi(f[1])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return ut + st, ppid
}

// perInvoke returns the CPU milliseconds per invoke spent between two samples.
func perInvoke(a, b cpuTicks, invokes int) map[string]float64 {
	if invokes == 0 {
		return nil
	}
	ms := func(ticks int64) float64 { return round(float64(ticks) * 10 / float64(invokes)) }
	return map[string]float64{
		"server": ms(b.server - a.server), "functions": ms(b.functions - a.functions), "loadgen": ms(b.loadgen - a.loadgen),
		"total": ms(b.server - a.server + b.functions - a.functions + b.loadgen - a.loadgen),
	}
}
