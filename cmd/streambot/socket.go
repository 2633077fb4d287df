package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/streambot/streambot/internal/reply"
)

// envSlackAppToken names the app-level token (xapp-…, scope
// connections:write) that turns on Socket Mode in `streambot serve`.
const envSlackAppToken = "SLACK_APP_TOKEN"

// socketAckTimeout bounds the hand-over of one acknowledgement to the
// Socket Mode client's sender, so a dead connection cannot hold up
// shutdown.
const socketAckTimeout = 5 * time.Second

// commander answers a slash command that is known to come from Slack:
// *slackbot.Handler's Command, the same code ServeHTTP runs after the
// signature check.
type commander interface {
	Command(ctx context.Context, sc slack.SlashCommand) reply.Ack
	Interaction(ctx context.Context, cb *slack.InteractionCallback) []byte
}

// checkAppToken reports a SLACK_APP_TOKEN that is not an app-level token,
// without repeating it.
func checkAppToken(token string) error {
	if !strings.HasPrefix(token, "xapp-") {
		return usageErrorf("%s must be an app-level token (xapp-…, with the connections:write scope), not a bot or user token", envSlackAppToken)
	}
	return nil
}

// newSocketClient returns a Socket Mode client that opens its connection
// with appToken through the Slack Web API at apiURL (apps.connections.open).
func newSocketClient(appToken, apiURL string, log *slog.Logger) *socketmode.Client {
	api := slack.New("", slack.OptionAppLevelToken(appToken), slack.OptionAPIURL(apiURL))
	return socketmode.New(api, socketmode.OptionLog(slog.NewLogLogger(log.Handler(), slog.LevelDebug)))
}

// runSocketMode takes slash commands over Slack's Socket Mode until ctx is
// done. Each slash_commands envelope goes to h.Command, with no signature
// check: the websocket, opened with the app-level token, is what
// authenticates Slack. The Ack goes back as the envelope's acknowledgement
// payload, which Slack shows the caller as it would the HTTP response.
// Each interactive envelope (a click) goes to h.Interaction. Other
// envelopes (events) are acknowledged and ignored.
//
// When ctx is done it stops reading new envelopes, lets the commands in
// flight finish (their Jobs are dispatched and their acks handed to the
// client; a Job runs on regardless, like one dispatched over HTTP), then
// closes the connection and returns nil. It returns an error only when the
// client gives up for good (e.g. invalid_auth).
func runSocketMode(ctx context.Context, client *socketmode.Client, h commander, log *slog.Logger) error {
	// The connection outlives ctx until the commands in flight are answered.
	runCtx, stopRun := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRun()
	runErr := make(chan error, 1)
	go func() { runErr <- client.RunContext(runCtx) }()

	var inflight sync.WaitGroup
	ack := func(envelopeID string, payload any) {
		actx, cancel := context.WithTimeout(runCtx, socketAckTimeout)
		defer cancel()
		if err := client.AckCtx(actx, envelopeID, payload); err != nil {
			log.Warn("socket mode ack not sent", "envelope_id", envelopeID, "error", err.Error())
		}
	}
	for {
		select {
		case <-ctx.Done():
			log.Info("socket mode stopping: no new commands; answering those in flight")
			inflight.Wait()
			stopRun()
			<-runErr // context.Canceled
			return nil
		case err := <-runErr:
			inflight.Wait()
			return fmt.Errorf("socket mode: %w", err)
		case evt := <-client.Events:
			switch evt.Type {
			case socketmode.EventTypeSlashCommand:
				sc, ok := evt.Data.(slack.SlashCommand)
				if !ok || evt.Request == nil {
					continue
				}
				envelopeID := evt.Request.EnvelopeID
				inflight.Go(func() {
					// Like an HTTP request in flight at shutdown, a command
					// already received is answered, not cut short.
					var payload any // AckNone: no payload
					if a := h.Command(context.WithoutCancel(ctx), sc); !a.Empty() {
						payload = a
					}
					ack(envelopeID, payload)
				})
			case socketmode.EventTypeInteractive:
				cb, ok := evt.Data.(slack.InteractionCallback)
				if !ok || evt.Request == nil {
					continue
				}
				envelopeID := evt.Request.EnvelopeID
				inflight.Go(func() {
					// A click's answer goes through the worker; a form's
					// (view_submission) is the acknowledgement's payload.
					var payload any
					if body := h.Interaction(context.WithoutCancel(ctx), &cb); len(body) > 0 {
						payload = json.RawMessage(body)
					}
					ack(envelopeID, payload)
				})
			case socketmode.EventTypeConnected:
				log.Info("socket mode connected")
			case socketmode.EventTypeConnectionError:
				if e, ok := evt.Data.(*slack.ConnectionErrorEvent); ok {
					log.Warn("socket mode connection failed; retrying", "attempt", e.Attempt, "backoff", e.Backoff, "error", errorText(e.ErrorObj))
				}
			case socketmode.EventTypeInvalidAuth:
				log.Error("socket mode: Slack refused the app-level token")
			case socketmode.EventTypeIncomingError, socketmode.EventTypeErrorBadMessage, socketmode.EventTypeErrorWriteFailed:
				// The payloads may carry a response_url: log the cause only.
				log.Warn("socket mode message problem", "event", string(evt.Type), "error", socketEventError(evt.Data))
				if id := badEnvelopeID(evt.Data); id != "" {
					ack(id, nil) // so that Slack does not send it again
				}
			default:
				if evt.Request != nil && evt.Request.EnvelopeID != "" {
					ack(evt.Request.EnvelopeID, nil)
				}
			}
		}
	}
}

// socketEventError is the cause carried by a Socket Mode error event.
func socketEventError(data any) string {
	switch e := data.(type) {
	case *slack.IncomingEventError:
		return errorText(e.ErrorObj)
	case *socketmode.ErrorBadMessage:
		return errorText(e.Cause)
	case *socketmode.ErrorWriteFailed:
		return errorText(e.Cause)
	}
	return "unknown"
}

// badEnvelopeID is the envelope_id of a message the client could not
// parse, if it has one.
func badEnvelopeID(data any) string {
	e, ok := data.(*socketmode.ErrorBadMessage)
	if !ok {
		return ""
	}
	var env struct {
		EnvelopeID string `json:"envelope_id"`
	}
	if json.Unmarshal(e.Message, &env) != nil {
		return ""
	}
	return env.EnvelopeID
}

func errorText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
