// Package cli is the ceap command: `ceap serve` runs the server, `ceap aws` runs the machine's aws
// CLI against a running ceap, `ceap version` prints the version. Every command writes to the
// io.Writers it is given so tests run it in-process.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ceap/ceap/internal/config"
	"github.com/ceap/ceap/internal/server"
)

// Version is set at build time with -ldflags "-X github.com/ceap/ceap/internal/cli.Version=...".
var Version = "0.1.0-dev"

// Env is what a command may read and write.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
}

// Main runs the command line args (without the program name) and returns the exit code.
func Main(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if len(args) == 0 {
		usage(env.Stderr)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], env)
	case "aws":
		return awsCLI(ctx, args[1:], env)
	case "version", "--version", "-v":
		fmt.Fprintf(env.Stdout, "ceap %s\n", Version)
	case "help", "-h", "--help":
		usage(env.Stdout)
	default:
		fmt.Fprintf(env.Stderr, "ceap: unknown command %q\n", args[0])
		usage(env.Stderr)
		return 2
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(env.Stderr, "ceap: %v\n", err)
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: ceap <command> [flags]

commands:
  serve      run the server (ceap serve --help for its flags)
  aws ARGS   run the aws CLI against a running ceap (adds --endpoint-url and, when none are
             set, dummy credentials and the region)
  version    print the version
`)
}

// loadConfig builds the configuration: defaults, file (--config or CEAP_CONFIG), CEAP_* env, flags.
func loadConfig(fs *flag.FlagSet, args []string, env Env) (config.Config, error) {
	cfg := config.Default()
	path := env.Getenv("CEAP_CONFIG")
	for i, a := range args {
		if a == "--config" || a == "-config" {
			if i+1 < len(args) {
				path = args[i+1]
			}
		} else if v, ok := strings.CutPrefix(a, "--config="); ok {
			path = v
		}
	}
	if path != "" {
		if err := cfg.LoadFile(path); err != nil {
			return cfg, err
		}
	}
	if err := cfg.LoadEnv(env.Getenv); err != nil {
		return cfg, err
	}
	fs.String("config", path, "configuration file (JSON)")
	cfg.Flags(fs)
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// demoAccount is the account of the demo: the one the runbook's ARNs and queue URLs name.
const demoAccount = "123456789"

func serve(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	demo := fs.Bool("demo", false, "deploy the CEAP reference deployment (examples/ceap) and print what to try")
	demoFast := fs.Bool("demo-fast", false, "like --demo, with a 5 s visibility timeout and 1 s retry intervals")
	demoDir := fs.String("demo-dir", "examples/ceap", "where the CEAP deployment's scripts are")
	cfg, err := loadConfig(fs, args, env)
	if err != nil {
		return err
	}
	if (*demo || *demoFast) && !flagGiven(fs, "account-id") && env.Getenv("CEAP_ACCOUNT_ID") == "" {
		cfg.AccountID = demoAccount
	}
	srv, err := server.New(cfg, server.Options{})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := srv.Start(ctx); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "ceap %s listening on http://%s (data %s, account %s)\n", Version, srv.Addr(), cfg.Data, cfg.AccountID)
	if *demo || *demoFast {
		if err := deployDemo(ctx, srv.URL(), *demoDir, *demoFast, env); err != nil {
			fmt.Fprintf(env.Stderr, "ceap: demo: %v\n", err)
		}
	}
	<-ctx.Done()
	fmt.Fprintln(env.Stdout, "ceap: shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return srv.Stop(sctx)
}

// awsCLI runs `aws ARGS --endpoint-url <ceap>`. The endpoint is CEAP_ENDPOINT, else the listen
// address of the configuration.
func awsCLI(ctx context.Context, args []string, env Env) int {
	endpoint := env.Getenv("CEAP_ENDPOINT")
	if endpoint == "" {
		cfg := config.Default()
		if p := env.Getenv("CEAP_CONFIG"); p != "" {
			if err := cfg.LoadFile(p); err != nil {
				fmt.Fprintf(env.Stderr, "ceap: %v\n", err)
				return 1
			}
		}
		if err := cfg.LoadEnv(env.Getenv); err != nil {
			fmt.Fprintf(env.Stderr, "ceap: %v\n", err)
			return 1
		}
		endpoint = "http://" + cfg.Listen
	}
	full := append([]string{}, args...)
	hasEndpoint := false
	for _, a := range args {
		if a == "--endpoint-url" || strings.HasPrefix(a, "--endpoint-url=") {
			hasEndpoint = true
		}
	}
	if !hasEndpoint {
		full = append(full, "--endpoint-url", endpoint)
	}
	cmd := exec.CommandContext(ctx, "aws", full...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = env.Stdin, env.Stdout, env.Stderr
	cmd.Env = awsEnv(os.Environ(), env.Getenv)
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		fmt.Fprintf(env.Stderr, "ceap: run aws: %v\n", err)
		return 1
	}
	return 0
}

// awsEnv adds dummy credentials and the region when none are set, and disables the host prefix
// that start-sync-execution would otherwise put in front of the endpoint's host.
func awsEnv(base []string, getenv func(string) string) []string {
	out := append([]string{}, base...)
	if getenv("AWS_ACCESS_KEY_ID") == "" && getenv("AWS_PROFILE") == "" {
		out = append(out, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test")
	}
	if getenv("AWS_DEFAULT_REGION") == "" && getenv("AWS_REGION") == "" {
		region := getenv("CEAP_REGION")
		if region == "" {
			region = "us-east-1"
		}
		out = append(out, "AWS_DEFAULT_REGION="+region)
	}
	if getenv("AWS_DISABLE_HOST_PREFIX_INJECTION") == "" {
		out = append(out, "AWS_DISABLE_HOST_PREFIX_INJECTION=true")
	}
	return out
}

func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			given = true
		}
	})
	return given
}

// deployDemo deploys the two CEAP workflows with the deployment's own script, which drives the
// aws CLI against this server, then prints what to try.
func deployDemo(ctx context.Context, endpoint, dir string, fast bool, env Env) error {
	script := filepath.Join(dir, "deploy.sh")
	if _, err := os.Stat(script); err != nil {
		return fmt.Errorf("%s not found: run ceap from the repository root or pass --demo-dir", script)
	}
	for _, wf := range [][2]string{{"realtime", "express"}, {"batch", "standard"}} {
		args := []string{script, wf[0], wf[1]}
		if fast {
			args = append(args, "--fast")
		}
		fmt.Fprintf(env.Stdout, "ceap: deploying the %s workflow (%s)...\n", wf[0], wf[1])
		cmd := exec.CommandContext(ctx, "bash", args...)
		cmd.Stdout, cmd.Stderr = env.Stdout, env.Stderr
		cmd.Env = append(awsEnv(os.Environ(), env.Getenv), "CEAP_ENDPOINT="+endpoint)
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("deploy %s: %w", wf[0], err)
		}
	}
	fmt.Fprintf(env.Stdout, demoHelp, endpoint, demoAccount)
	return nil
}

const demoHelp = `
The CEAP demo is deployed. Try (every command as in the runbook, endpoint %[1]s, account %[2]s):

  export CEAP_ENDPOINT=%[1]s
  ceap aws sqs send-message --queue-url https://sqs.us-east-1.amazonaws.com/%[2]s/ceap-workflow-realtime-queue \
    --message-body '{"programId":"P-1","marketplace":"us","candidates":[{"customerId":"C1","subjectId":"S1","eventType":"purchase","eventTime":"2026-11-27","features":{"engagement":0.8}}]}'
  ceap aws stepfunctions list-executions --state-machine-arn arn:aws:states:us-east-1:%[2]s:stateMachine:Ceap-realtime-Workflow
  ceap aws s3 ls s3://ceap-workflow-realtime-%[2]s/executions/ --recursive
  ceap aws sqs send-message --queue-url https://sqs.us-east-1.amazonaws.com/%[2]s/ceap-workflow-realtime-queue \
    --message-body '{"failAt":"ScoreTask"}'      # retries, then the DLQ after three receives
  ceap aws sqs get-queue-attributes --queue-url https://sqs.us-east-1.amazonaws.com/%[2]s/ceap-workflow-realtime-dlq \
    --attribute-names ApproximateNumberOfMessages
`
