package server_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/ceap/ceap/internal/ceaptest"
	"github.com/ceap/ceap/internal/config"
)

// TestSignaturesAndAccounts: with credentials configured, requests must be signed by one of them,
// and each access key's account sees only its own queues.
func TestSignaturesAndAccounts(t *testing.T) {
	t.Parallel()
	srv := ceaptest.StartServer(t, ceaptest.WithConfig(func(c *config.Config) {
		c.Credentials = []config.Credential{
			{AccessKeyID: "AKIDALICE", SecretAccessKey: "alice-secret", AccountID: "111111111111"},
			{AccessKeyID: "AKIDBOB", SecretAccessKey: "bob-secret", AccountID: "222222222222"},
		}
	}))
	client := func(id, secret string) *sqs.Client {
		cfg := ceaptest.SDKConfig(srv.URL())
		cfg.Credentials = credentials.NewStaticCredentialsProvider(id, secret, "")
		return sqs.NewFromConfig(cfg)
	}
	ctx := context.Background()
	alice, bob := client("AKIDALICE", "alice-secret"), client("AKIDBOB", "bob-secret")
	q, err := alice.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("alices")})
	if err != nil {
		t.Fatalf("alice create: %v", err)
	}
	if want := "/111111111111/alices"; len(*q.QueueUrl) < len(want) || (*q.QueueUrl)[len(*q.QueueUrl)-len(want):] != want {
		t.Fatalf("queue url %s is not in alice's account", *q.QueueUrl)
	}
	lb, err := bob.ListQueues(ctx, &sqs.ListQueuesInput{})
	if err != nil {
		t.Fatalf("bob list: %v", err)
	}
	if len(lb.QueueUrls) != 0 {
		t.Fatalf("bob sees alice's queues: %v", lb.QueueUrls)
	}
	if _, err := bob.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("alices")}); err == nil {
		t.Fatalf("bob resolved alice's queue by name")
	}
	for name, c := range map[string]*sqs.Client{"wrong secret": client("AKIDALICE", "nope"), "unknown key": client("AKIDMALLORY", "x")} {
		_, err := c.ListQueues(ctx, &sqs.ListQueuesInput{})
		var ae smithy.APIError
		if !errors.As(err, &ae) {
			t.Fatalf("%s: err = %v, want an AWS error", name, err)
		}
		if ae.ErrorCode() != "InvalidSignatureException" && ae.ErrorCode() != "UnrecognizedClientException" {
			t.Fatalf("%s: code %s", name, ae.ErrorCode())
		}
	}
	la, err := alice.ListQueues(ctx, &sqs.ListQueuesInput{})
	if err != nil || len(la.QueueUrls) != 1 {
		t.Fatalf("alice list: %v %v", la, err)
	}
}
