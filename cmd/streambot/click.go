package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/streambot/streambot/internal/button"
	"github.com/streambot/streambot/internal/slackbot"
)

// runClick implements `streambot click`: send one signed block_actions
// payload, as Slack does when a person clicks a button, and print the
// answer. The button's value is the argument (serve's console prints it
// beside every button); its action_id and block_id follow from the value
// unless given, so a value that does not parse can still be sent, to see
// it refused.
func runClick(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("click", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	target := fs.String("url", "http://127.0.0.1:3000/slack/interactions", "the interactivity URL (streambot serve, or the deployed SlackInteractionsUrl)")
	secret := fs.String("secret", "", "the signing secret (default $SLACK_SIGNING_SECRET)")
	user := fs.String("user", alice, "the Slack user ID who clicks")
	channel := fs.String("channel", demoChannel, "the channel ID of the message")
	team := fs.String("team", demoTeam, "the team ID")
	messageTS := fs.String("message-ts", "", "the timestamp of the message that holds the button (the worker updates that message)")
	actionID := fs.String("action-id", "", "the button's action_id (default: the value's)")
	blockID := fs.String("block-id", "", "the button's block_id (default: the value's first block)")
	responseURL := fs.String("response-url", "https://hooks.slack.com/actions/"+demoTeam+"/1/none",
		"the response_url Slack would send (private answers go there)")
	done, err := parseFlags(fs, args, true, `streambot click [flags] VALUE`, stdout)
	if done || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("click: give exactly one button value\n%s", flagUsage(fs, "streambot click [flags] VALUE"))
	}
	if *secret == "" {
		*secret = getenv("SLACK_SIGNING_SECRET")
	}
	if *secret == "" {
		return usageErrorf("click: no signing secret: pass --secret or set SLACK_SIGNING_SECRET")
	}
	value := fs.Arg(0)
	if v, err := button.Parse(value, time.Now()); err == nil {
		if *actionID == "" {
			*actionID = v.ActionID()
		}
		if *blockID == "" {
			*blockID = v.BlockID(0)
		}
	} else if *actionID == "" {
		return usageErrorf("click: %v; give --action-id (and --block-id) to send it anyway", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	body := slackbot.ClickBody(slackbot.Click{TeamID: *team, ChannelID: *channel, UserID: *user, UserName: *user,
		ActionID: *actionID, BlockID: *blockID, Value: value, MessageTS: *messageTS, ResponseURL: *responseURL,
		TriggerID: fmt.Sprintf("%d.click", time.Now().UnixNano())})
	req, err := newSignedPost(ctx, *target, *secret, time.Now(), body)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("click: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("click: %s answered %s %s", *target, resp.Status, b)
	}
	fmt.Fprintf(stdout, "HTTP %d: the click was acknowledged; the answer follows in the channel or privately\n", resp.StatusCode)
	return nil
}
