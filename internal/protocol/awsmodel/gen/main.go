// Command gen copies the botocore service models that ceap serves into awsmodel/data, without
// their documentation, gzipped.
package main

import (
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// services maps the embedded name to botocore's directory and version.
var services = map[string]string{
	"sqs":           "sqs/2012-11-05",
	"sns":           "sns/2010-03-31",
	"cloudwatch":    "cloudwatch/2010-08-01",
	"s3":            "s3/2006-03-01",
	"stepfunctions": "stepfunctions/2016-11-23",
	"lambda":        "lambda/2015-03-31",
	"glue":          "glue/2017-03-31",
	"logs":          "logs/2014-03-28",
	"events":        "events/2015-10-07",
	"pipes":         "pipes/2015-10-07",
}

func main() {
	out := flag.String("out", "data", "output directory")
	flag.Parse()
	dir, err := exec.Command("python3", "-c", "import botocore,os;print(os.path.dirname(botocore.__file__))").Output()
	if err != nil {
		fail(fmt.Errorf("find botocore: %w", err))
	}
	root := filepath.Join(strings.TrimSpace(string(dir)), "data")
	for name, rel := range services {
		if err := copyModel(filepath.Join(root, rel, "service-2.json.gz"), filepath.Join(*out, name+".json.gz")); err != nil {
			fail(err)
		}
	}
}

func copyModel(src, dst string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	var m map[string]any
	if err := json.NewDecoder(zr).Decode(&m); err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	strip(m)
	o, err := os.Create(dst)
	if err != nil {
		return err
	}
	zw, _ := gzip.NewWriterLevel(o, gzip.BestCompression)
	if err := json.NewEncoder(zw).Encode(m); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return o.Close()
}

// strip removes documentation, examples and other text the codecs never read.
func strip(v any) {
	switch t := v.(type) {
	case map[string]any:
		for _, k := range []string{"documentation", "documentationUrl", "examples", "deprecatedMessage"} {
			delete(t, k)
		}
		for _, c := range t {
			strip(c)
		}
	case []any:
		for _, c := range t {
			strip(c)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gen:", err)
	os.Exit(1)
}
