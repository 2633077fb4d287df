package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/streambot/streambot/internal/access"
	"github.com/streambot/streambot/internal/logging"
	"github.com/streambot/streambot/pkg/atlas/atlastest"
)

// runServe implements `streambot serve`: the Slack edge on a loopback
// address with the worker in-process. Real Atlas and Slack when their
// credentials are set; otherwise the embedded Atlas and the console Slack.
// With SLACK_APP_TOKEN it also takes commands over Slack's Socket Mode
// (through SLACK_API_URL's apps.connections.open), so no public URL is
// needed.
func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	addr := fs.String("addr", "127.0.0.1:3000", "the loopback address to listen on")
	if done, err := parseFlags(fs, args, false, "streambot serve [--addr 127.0.0.1:3000]", stdout); done || err != nil {
		return err
	}
	log, err := logging.FromEnv(stderr, getenv)
	if err != nil {
		return usageErrorf("serve: %v", err)
	}
	if getenv("SLACK_SIGNING_SECRET") == "" && getenv("SLACK_SECRET_ARN") == "" && getenv("SLACK_SIGNING_SECRET_ARN") == "" {
		return usageErrorf("serve: set SLACK_SIGNING_SECRET (your Slack app's signing secret, or any value to use with `streambot slash --secret`)")
	}
	appToken := getenv(envSlackAppToken)
	if appToken != "" {
		if err := checkAppToken(appToken); err != nil {
			return err
		}
	}
	loadPolicy := func() (*access.Policy, error) {
		policy, err := access.FromEnv(getenv)
		if err != nil {
			return nil, fmt.Errorf("access policy: %w", err)
		}
		if policy.Empty() {
			log.Warn("access policy grants nothing: every command will be denied; set ACCESS_POLICY_FILE")
		}
		return policy.WithLogger(log), nil
	}
	// The embedded Atlas gives a workspace created with --sample-solar two
	// processors, so that processors, start and stop can be tried.
	s, err := newStack(ctx, stackOptions{getenv: getenv, log: log, loadPolicy: loadPolicy,
		atlasOpts: []atlastest.Option{atlastest.WithSampleProcessors()}})
	if err != nil {
		return err
	}
	defer s.Close()
	if s.slack != nil {
		con := &console{out: stdout}
		s.slack.OnDelivered(con.call)
	}
	url, shutdown, err := listen(*addr, s.handler)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "streambot serving POST %s\n", url)
	fmt.Fprintf(stdout, "  and POST %s (buttons: try one with `streambot click`)\n", interactionsURL(url))
	if s.atlas != nil {
		fmt.Fprintf(stdout, "  Atlas: embedded simulator at %s (set MONGODB_ATLAS_CLIENT_ID/_SECRET for real Atlas);\n", s.atlas.URL)
		fmt.Fprintln(stdout, "    a workspace created with --sample-solar gets two stream processors to try")
	} else {
		fmt.Fprintf(stdout, "  Atlas: %s (credentials from ATLAS_SECRET_ARN or MONGODB_ATLAS_*)\n", shownURL(orDefault(getenv("ATLAS_BASE_URL"), "https://cloud.mongodb.com")))
	}
	if s.slack != nil {
		fmt.Fprintln(stdout, "  Slack: console (messages, and answers only the caller would see, print here; set SLACK_BOT_TOKEN for real Slack)")
	} else {
		fmt.Fprintf(stdout, "  Slack: the Web API at %s (bot token from SLACK_SECRET_ARN or SLACK_BOT_TOKEN)\n", shownURL(slackAPIBase(getenv("SLACK_API_URL"))))
	}
	socket := make(chan error, 1)
	if appToken != "" {
		client := newSocketClient(appToken, slackAPIBase(getenv("SLACK_API_URL")), log)
		go func() { socket <- runSocketMode(ctx, client, s.handler, log) }()
		fmt.Fprintln(stdout, "  Socket Mode: also taking /stream commands over Slack's websocket (SLACK_APP_TOKEN)")
	}
	printSendHint(stdout, url)
	fmt.Fprintln(stdout, "Ctrl-C stops; Jobs in flight finish first.")

	var socketErr error
	select {
	case <-ctx.Done():
		if appToken != "" {
			socketErr = <-socket // the commands in flight are answered
		}
	case socketErr = <-socket: // Slack refused the connection for good
	}
	fmt.Fprintln(stdout, "stopping: no new commands; waiting for Jobs in flight (Ctrl-C again quits at once)…")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err = shutdown(sctx)
	s.jobs.Wait()
	if socketErr != nil {
		return fmt.Errorf("serve: %w", socketErr)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("serve: requests still open after 10s")
	}
	return nil
}

// orDefault is v, or def when v is empty.
func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// shownURL is v for the terminal: scheme, host and path only, so that a
// password or token put in the URL by mistake is not printed.
func shownURL(v string) string {
	u, err := url.Parse(v)
	if err != nil || u.Host == "" {
		return "(not an absolute URL)"
	}
	return u.Scheme + "://" + u.Host + u.EscapedPath()
}
