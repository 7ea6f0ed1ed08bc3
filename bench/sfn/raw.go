package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// rawClient speaks the Step Functions wire protocol (JSON 1.0, SigV4-signed) directly, without
// the SDK's middleware stack, so that on a shared machine the load generator spends its CPU on
// requests rather than on the client library. Requests are exactly what the SDK sends.
type rawClient struct {
	endpoint string
	http     *http.Client
	signer   *v4.Signer
	creds    aws.Credentials
}

func newRawClient(endpoint string) *rawClient {
	return &rawClient{
		endpoint: endpoint,
		http:     &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}},
		signer:   v4.NewSigner(),
		creds:    aws.Credentials{AccessKeyID: "bench", SecretAccessKey: "bench"},
	}
}

// call sends one operation and decodes its JSON answer into out.
func (c *rawClient) call(ctx context.Context, op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AWSStepFunctions."+op)
	sum := sha256.Sum256(body)
	if err := c.signer.SignHTTP(ctx, c.creds, req, hex.EncodeToString(sum[:]), "states", "us-east-1", time.Now()); err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d: %s", op, resp.StatusCode, b)
	}
	return json.Unmarshal(b, out)
}

// syncOutput is the part of StartSyncExecution's answer the benchmark checks.
type syncOutput struct {
	Status string `json:"status"`
	Output string `json:"output"`
}

func (c *rawClient) startSync(ctx context.Context, arn, input string) (*syncOutput, error) {
	var out syncOutput
	err := c.call(ctx, "StartSyncExecution", map[string]string{"stateMachineArn": arn, "input": input}, &out)
	return &out, err
}

// describeOutput is the part of DescribeExecution's answer the benchmark checks.
type describeOutput struct {
	Status    string  `json:"status"`
	Output    string  `json:"output"`
	StartDate float64 `json:"startDate"`
	StopDate  float64 `json:"stopDate"`
}

func (c *rawClient) start(ctx context.Context, arn, name, input string) (string, error) {
	var out struct {
		ExecutionArn string `json:"executionArn"`
	}
	err := c.call(ctx, "StartExecution", map[string]string{"stateMachineArn": arn, "name": name, "input": input}, &out)
	return out.ExecutionArn, err
}

func (c *rawClient) describe(ctx context.Context, arn string) (*describeOutput, error) {
	var out describeOutput
	err := c.call(ctx, "DescribeExecution", map[string]string{"executionArn": arn}, &out)
	return &out, err
}
