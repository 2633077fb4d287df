// Command streambot runs streambot on a laptop with the same handlers as the
// two Lambda functions, nothing reimplemented:
//
//	streambot demo                 a scripted conversation against an embedded Atlas and Slack (make run)
//	streambot serve [--addr A]     POST /slack/commands and /slack/interactions on 127.0.0.1:3000
//	streambot slash [flags] "…"   send one signed slash command and print the answer
//	streambot click [flags] VALUE  send one signed button click (block_actions)
//	streambot submit [flags] --metadata M FIELD=VALUE…  send one signed create form (view_submission)
//
// Configuration uses the names in DESIGN.md (SLACK_SIGNING_SECRET,
// MONGODB_ATLAS_CLIENT_ID, ACCESS_POLICY_FILE, …); see docs/configuration.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/streambot/streambot/internal/buildinfo"
)

const usage = `usage: streambot <command> [flags]

commands:
  demo    run a scripted /stream conversation against an embedded Atlas and Slack
  serve   serve POST /slack/commands and /slack/interactions locally (real Atlas/Slack when credentials are set)
  slash   send one signed slash command, e.g. streambot slash "create orders-ws --region VIRGINIA_USA"
  click   send one signed button click, e.g. streambot click --message-ts 1700000000.000001 '1;delete;confirm;…'
          (serve prints each button's value)
  submit  send one signed create form, e.g. streambot submit --metadata 'v1|C0PLATFORM|U0ALICE|…' name=orders-ws region=VIRGINIA_USA
          (serve prints the command under each form it opens)
  version show the build (module version, VCS revision, Go version)
  help    show this text`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first Ctrl-C stops cleanly (serve lets the Jobs in flight
	// finish); from then on the signals' default applies, so a second one
	// quits at once.
	go func() {
		<-ctx.Done()
		stop()
	}()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	switch {
	case err == nil:
	case isUsage(err):
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "streambot:", err)
		os.Exit(1)
	}
}

// run dispatches to a subcommand; main and the tests call it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageErrorf("%s", usage)
	}
	switch args[0] {
	case "demo":
		return runDemo(ctx, args[1:], stdout, stderr)
	case "serve":
		return runServe(ctx, args[1:], getenv, stdout, stderr)
	case "slash":
		return runSlash(ctx, args[1:], getenv, stdout)
	case "click":
		return runClick(ctx, args[1:], getenv, stdout)
	case "submit":
		return runSubmit(ctx, args[1:], getenv, stdout)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "streambot", buildinfo.Version())
		return nil
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	default:
		return usageErrorf("unknown command %q\n%s", args[0], usage)
	}
}

var errDemoFailed = errors.New("demo: a step did not behave as expected")
