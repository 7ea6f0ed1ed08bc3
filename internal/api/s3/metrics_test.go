package s3_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ceap/ceap/internal/ceaptest"
	"github.com/ceap/ceap/internal/clock"
)

func TestRequestAndStorageMetrics(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(time.Now().UTC())
	c, srv := client(t, ceaptest.WithClock(clk))
	ctx := context.Background()
	mustBucket(t, c, "metered")
	put(t, c, "metered", "a.json", "12345")
	read(t, c, &s3.GetObjectInput{Bucket: aws.String("metered"), Key: aws.String("a.json")})
	if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("metered"), Key: aws.String("missing")}); apiCode(err) != "NoSuchKey" {
		t.Fatalf("missing key: %v", err)
	}
	clk.Advance(2 * time.Hour) // runs the sweeper, which records the daily storage metrics
	want := []string{
		`aws_s3_all_requests_total{account="` + ceaptest.Account + `",bucket_name="metered",filter_id="EntireBucket"} 4`,
		`aws_s3_get_requests_total{account="` + ceaptest.Account + `",bucket_name="metered",filter_id="EntireBucket"} 2`,
		`aws_s3_put_requests_total{account="` + ceaptest.Account + `",bucket_name="metered",filter_id="EntireBucket"} 1`,
		`aws_s3_4xx_errors_total{account="` + ceaptest.Account + `",bucket_name="metered",filter_id="EntireBucket"} 1`,
		`aws_s3_bytes_downloaded{account="` + ceaptest.Account + `",bucket_name="metered",filter_id="EntireBucket"} 5`,
		`aws_s3_bytes_uploaded{account="` + ceaptest.Account + `",bucket_name="metered",filter_id="EntireBucket"} 5`,
		`aws_s3_bucket_size_bytes{account="` + ceaptest.Account + `",bucket_name="metered",storage_type="StandardStorage"} 5`,
		`aws_s3_number_of_objects_total{account="` + ceaptest.Account + `",bucket_name="metered",storage_type="AllStorageTypes"} 1`,
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(srv.URL() + "/metrics")
		if err != nil {
			t.Fatalf("GET /metrics: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		missing := ""
		for _, w := range want {
			if !strings.Contains(string(body), w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("metric line %q missing from:\n%s", missing, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
