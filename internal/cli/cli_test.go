package cli

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVersionAndUnknownCommand(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	if code := Main(context.Background(), []string{"version"}, Env{Stdout: &out, Stderr: &errb}); code != 0 || !strings.HasPrefix(out.String(), "ceap ") {
		t.Fatalf("version: code %d out %q", code, out.String())
	}
	if code := Main(context.Background(), []string{"frobnicate"}, Env{Stdout: &out, Stderr: &errb}); code != 2 || !strings.Contains(errb.String(), "unknown command") {
		t.Fatalf("unknown command: code %d err %q", code, errb.String())
	}
}

func TestConfigPrecedence(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "ceap.json")
	os.WriteFile(file, []byte(`{"listen":"127.0.0.1:1111","region":"eu-west-1","accountId":"111","data":"/from/file"}`), 0o644)
	env := map[string]string{"CEAP_REGION": "ap-south-1", "CEAP_ACCOUNT_ID": "222"}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg, err := loadConfig(fs, []string{"--config", file, "--account-id", "333"}, Env{Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:1111" || cfg.Data != "/from/file" {
		t.Errorf("file values not applied: %+v", cfg)
	}
	if cfg.Region != "ap-south-1" {
		t.Errorf("env did not override the file: region %q", cfg.Region)
	}
	if cfg.AccountID != "333" {
		t.Errorf("flag did not override env: account %q", cfg.AccountID)
	}
}

func TestServeRejectsBadConfig(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	code := Main(context.Background(), []string{"serve", "--listen", "0.0.0.0:0", "--data", t.TempDir()}, Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	if code != 1 || !strings.Contains(errb.String(), "loopback") {
		t.Fatalf("code %d err %q", code, errb.String())
	}
}

func TestAWSEnvAddsDefaultsOnlyWhenUnset(t *testing.T) {
	t.Parallel()
	got := strings.Join(awsEnv(nil, func(string) string { return "" }), " ")
	for _, want := range []string{"AWS_ACCESS_KEY_ID=test", "AWS_DEFAULT_REGION=us-east-1", "AWS_DISABLE_HOST_PREFIX_INJECTION=true"} {
		if !strings.Contains(got, want) {
			t.Errorf("env lacks %s: %s", want, got)
		}
	}
	set := map[string]string{"AWS_ACCESS_KEY_ID": "AK", "AWS_REGION": "eu-west-1"}
	got = strings.Join(awsEnv(nil, func(k string) string { return set[k] }), " ")
	if strings.Contains(got, "AWS_ACCESS_KEY_ID=test") || strings.Contains(got, "AWS_DEFAULT_REGION") {
		t.Errorf("defaults override the user's settings: %s", got)
	}
}
