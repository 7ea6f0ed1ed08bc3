package cloudwatch_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/ceap/ceap/internal/ceaptest"
)

// TestQueryRequestCompressedWithGzip sends PutMetricData as the query-protocol SDKs do when the
// body passes their compression threshold (Content-Encoding: gzip) and reads the datum back;
// a body that claims gzip but is not is refused and stores nothing.
func TestQueryRequestCompressedWithGzip(t *testing.T) {
	t.Parallel()
	srv := ceaptest.StartServer(t)
	post := func(body []byte) (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, srv.URL()+"/", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		req.Header.Set("Content-Encoding", "gzip")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(out)
	}
	form := url.Values{
		"Action": {"PutMetricData"}, "Version": {"2010-08-01"}, "Namespace": {"App"},
		"MetricData.member.1.MetricName": {"Zipped"}, "MetricData.member.1.Value": {"3"},
	}
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	zw.Write([]byte(form.Encode()))
	zw.Close()
	if code, out := post(zipped.Bytes()); code != http.StatusOK || !strings.Contains(out, "PutMetricDataResponse") {
		t.Fatalf("gzip PutMetricData: %d %s", code, out)
	}
	form.Set("MetricData.member.1.MetricName", "NotZipped")
	if code, out := post([]byte(form.Encode())); code != http.StatusBadRequest || !strings.Contains(out, "SerializationException") {
		t.Fatalf("body that is not gzip: %d %s", code, out)
	}

	cw := cloudwatch.NewFromConfig(ceaptest.SDKConfig(srv.URL()))
	out, err := cw.ListMetrics(context.Background(), &cloudwatch.ListMetricsInput{Namespace: aws.String("App")})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range out.Metrics {
		names = append(names, aws.ToString(m.MetricName))
	}
	if len(names) != 1 || names[0] != "Zipped" {
		t.Fatalf("metrics = %v, want only Zipped", names)
	}
}
