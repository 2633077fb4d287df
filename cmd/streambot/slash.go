package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// slashRequest is a slash command as Slack sends it to the request URL.
type slashRequest struct {
	Command     string // "/stream"
	Text        string // what follows the command
	TeamID      string
	ChannelID   string
	UserID      string
	UserName    string
	ResponseURL string
	TriggerID   string
}

// form renders the request as Slack's application/x-www-form-urlencoded body.
func (s slashRequest) form() string {
	v := url.Values{}
	v.Set("token", "deprecated-verification-token")
	v.Set("team_id", s.TeamID)
	v.Set("team_domain", "example")
	v.Set("channel_id", s.ChannelID)
	v.Set("channel_name", "platform")
	v.Set("user_id", s.UserID)
	v.Set("user_name", s.UserName)
	v.Set("command", s.Command)
	v.Set("text", s.Text)
	v.Set("api_app_id", "A0STREAMBOT")
	v.Set("is_enterprise_install", "false")
	v.Set("response_url", s.ResponseURL)
	v.Set("trigger_id", s.TriggerID)
	return v.Encode()
}

// sign returns Slack's v0 request signature for body at ts: HMAC-SHA256 of
// "v0:<ts>:<body>" keyed with the signing secret.
func sign(secret string, ts time.Time, body string) (timestamp, signature string) {
	timestamp = strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	io.WriteString(mac, "v0:"+timestamp+":"+body)
	return timestamp, "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// newSignedRequest builds a POST of the slash command to target, signed as
// Slack would sign it at now.
func newSignedRequest(ctx context.Context, target, secret string, now time.Time, s slashRequest) (*http.Request, error) {
	return newSignedPost(ctx, target, secret, now, s.form())
}

// newSignedPost builds a POST of a form body to target, signed as Slack
// would sign it at now.
func newSignedPost(ctx context.Context, target, secret string, now time.Time, body string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	ts, sig := sign(secret, now, body)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", sig)
	req.Header.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	return req, nil
}

// runSlash implements `streambot slash`: send one signed slash command and
// print the acknowledgement.
func runSlash(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("slash", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	target := fs.String("url", "http://127.0.0.1:3000/slack/commands", "the request URL (streambot serve, or the deployed SlackCommandUrl)")
	secret := fs.String("secret", "", "the signing secret (default $SLACK_SIGNING_SECRET)")
	user := fs.String("user", alice, "the Slack user ID to send as (the default may create in dev under the demo policy of make serve)")
	channel := fs.String("channel", demoChannel, "the channel ID to send from")
	team := fs.String("team", demoTeam, "the team ID")
	responseURL := fs.String("response-url", "https://hooks.slack.com/commands/"+demoTeam+"/1/none",
		"the response_url Slack would send (serve with its console Slack shows what is posted to it)")
	raw := fs.Bool("json", false, "print the answer's JSON as received, not rendered as Slack shows it")
	done, err := parseFlags(fs, args, true, `streambot slash [flags] "create orders-ws --region VIRGINIA_USA"`, stdout)
	if done || err != nil {
		return err
	}
	if *secret == "" {
		*secret = getenv("SLACK_SIGNING_SECRET")
	}
	if *secret == "" {
		return usageErrorf("slash: no signing secret: pass --secret or set SLACK_SIGNING_SECRET")
	}
	text := strings.Join(fs.Args(), " ")
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := newSignedRequest(ctx, *target, *secret, time.Now(), slashRequest{
		Command: "/stream", Text: text, TeamID: *team, ChannelID: *channel,
		UserID: *user, UserName: strings.ToLower(*user), ResponseURL: *responseURL,
		TriggerID: fmt.Sprintf("%d.slash", time.Now().UnixNano()),
	})
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return unreachable(*target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("slash: read answer: %w", err)
	}
	printAnswer(stdout, resp.StatusCode, b, *raw)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("slash: %s answered %s", *target, resp.Status)
	}
	return nil
}

// parseFlags parses args with fs, which names the subcommand. With -h or
// --help it prints the usage (line and the flags) to stdout and reports
// done. A bad flag, or an argument when positional is false, is a
// *usageError that shows the usage.
func parseFlags(fs *flag.FlagSet, args []string, positional bool, line string, stdout io.Writer) (done bool, err error) {
	err = fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, flagUsage(fs, line))
		return true, nil
	case err == nil && !positional && fs.NArg() > 0:
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err != nil {
		return false, usageErrorf("%s: %v\n%s", fs.Name(), err, strings.TrimSuffix(flagUsage(fs, line), "\n"))
	}
	return false, nil
}

// printAnswer prints the HTTP status and the answer to a slash command:
// rendered as Slack shows it, or, with raw (or when it is not a Slack
// message), as received.
func printAnswer(w io.Writer, status int, body []byte, raw bool) {
	var m struct {
		ResponseType string          `json:"response_type"`
		Text         string          `json:"text"`
		Blocks       json.RawMessage `json:"blocks"`
	}
	if !raw && len(bytes.TrimSpace(body)) == 0 {
		fmt.Fprintf(w, "HTTP %d with an empty body: nothing to show (e.g. the command opened a form)\n", status)
		return
	}
	if raw || json.Unmarshal(body, &m) != nil || (m.Text == "" && len(m.Blocks) == 0) {
		fmt.Fprintf(w, "HTTP %d\n%s\n", status, bytes.TrimSpace(body))
		return
	}
	who := "only visible to the caller"
	if m.ResponseType == "in_channel" {
		who = "in the channel"
	}
	c := &console{out: w}
	c.print(fmt.Sprintf("HTTP %d, %s:", status, who), renderMessage(m.Text, m.Blocks))
}

// flagUsage renders a usage line and the flag set's flags, so the text
// cannot drift from the flags.
func flagUsage(fs *flag.FlagSet, line string) string {
	var b strings.Builder
	b.WriteString("usage: " + line + "\n")
	fs.SetOutput(&b)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	return b.String()
}

// usageError is a mistake on the command line; main prints it and exits 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

func isUsage(err error) bool {
	var u *usageError
	return errors.As(err, &u)
}
