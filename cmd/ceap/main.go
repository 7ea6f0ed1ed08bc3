// Command ceap is the ceap server and its operator commands.
package main

import (
	"context"
	"os"

	"github.com/ceap/ceap/internal/cli"
)

func main() {
	os.Exit(cli.Main(context.Background(), os.Args[1:], cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}))
}
