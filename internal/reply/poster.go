package reply

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/slack-go/slack"
)

// ChatAPI is the part of slack-go's *slack.Client the poster uses.
type ChatAPI interface {
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	UpdateMessageContext(ctx context.Context, channelID, timestamp string, options ...slack.MsgOption) (string, string, string, error)
	PostEphemeralContext(ctx context.Context, channelID, userID string, options ...slack.MsgOption) (string, error)
}

// InChannel is the response_type of a response_url message everyone in the
// channel sees ([Ephemeral] is the other).
const InChannel = "in_channel"

// Route says where an answer went.
type Route string

// The routes an answer can take.
const (
	RouteThread            Route = "thread"               // chat.postMessage in the parent's thread
	RouteResponseInChannel Route = "response_url_channel" // response_url, in_channel
	RouteResponseEphemeral Route = "response_url_ephemeral"
	RouteEphemeral         Route = "ephemeral" // chat.postEphemeral: the caller alone
	// RouteDirect is chat.postMessage to the caller's user ID: the app's
	// direct message with them, for a Job without a response_url (the
	// create form's) whose channel cannot be used.
	RouteDirect Route = "direct_message"
	RouteLost   Route = "lost" // every path failed
)

const (
	defaultMaxTries         = 3
	defaultResponseURLLimit = 10 * time.Second
)

// ErrUndelivered is wrapped by the error of an answer that no path could
// deliver.
var ErrUndelivered = errors.New("answer not delivered")

// Poster sends messages to Slack: chat.postMessage and chat.update through
// slack-go, with Slack's rate limits honoured, and the command's
// response_url as the fallback. Build it with [NewPoster].
type Poster struct {
	chat     ChatAPI
	http     *http.Client
	now      func() time.Time
	sleep    func(context.Context, time.Duration) error
	maxTries int
	apiURL   string // response_urls on its origin are accepted too (WithSlackAPIURL)
}

// PosterOption configures a [Poster].
type PosterOption func(*Poster)

// WithClock sets the clock the poster checks waits against the deadline with.
func WithClock(now func() time.Time) PosterOption { return func(p *Poster) { p.now = now } }

// WithSleep sets how the poster waits out a Retry-After.
func WithSleep(sleep func(context.Context, time.Duration) error) PosterOption {
	return func(p *Poster) { p.sleep = sleep }
}

// WithMaxTries sets how many times a rate-limited chat.postMessage is tried
// in all (default 3).
func WithMaxTries(n int) PosterOption { return func(p *Poster) { p.maxTries = max(n, 1) } }

// NewPoster returns a poster that talks to the Web API through chat (nil
// when the bot token is unavailable: then only response_url works) and
// posts to response_urls with hc (nil: a client with a 10 s timeout), never
// following a redirect. It posts only to Slack's response_url hosts, and to
// SLACK_API_URL's origin with [WithSlackAPIURL]; see [CheckResponseURL].
func NewPoster(chat ChatAPI, hc *http.Client, opts ...PosterOption) *Poster {
	if hc == nil {
		hc = &http.Client{Timeout: defaultResponseURLLimit}
	}
	p := &Poster{chat: chat, http: noRedirects(hc), now: time.Now, sleep: Sleep, maxTries: defaultMaxTries}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Sleep waits for d or until ctx is done.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func msgOptions(m Message) []slack.MsgOption {
	opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false)}
	if len(m.Blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(m.Blocks...))
	}
	return opts
}

// PostMessage posts m in channel (in the thread threadTS when not empty)
// and returns the message's timestamp. A rate limit is waited out when the
// context's deadline allows, up to the poster's tries.
func (p *Poster) PostMessage(ctx context.Context, channel, threadTS string, m Message) (string, error) {
	_, ts, err := p.postMessage(ctx, channel, threadTS, m)
	return ts, err
}

// postMessage is [Poster.PostMessage], also returning the channel Slack
// posted in: a direct message's D… ID when channel is a user ID.
func (p *Poster) postMessage(ctx context.Context, channel, threadTS string, m Message) (string, string, error) {
	opts := msgOptions(m)
	if threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(threadTS))
	}
	var posted, ts string
	err := p.call(ctx, "chat.postMessage", func() (err error) {
		posted, ts, err = p.chat.PostMessageContext(ctx, channel, opts...)
		return err
	})
	return posted, ts, err
}

// Update replaces the message ts in channel with m (chat.update), waiting
// out a rate limit like [Poster.PostMessage].
func (p *Poster) Update(ctx context.Context, channel, ts string, m Message) error {
	return p.call(ctx, "chat.update", func() error {
		_, _, _, err := p.chat.UpdateMessageContext(ctx, channel, ts, msgOptions(m)...)
		return err
	})
}

// messageDeleter is the part of slack-go's *slack.Client that
// [Poster.Delete] uses; it is not in [ChatAPI], which every client of the
// poster implements, because one rare path needs it.
type messageDeleter interface {
	DeleteMessageContext(ctx context.Context, channel, messageTimestamp string) (string, string, error)
}

// Delete deletes the bot's message ts in channel (chat.delete), waiting
// out a rate limit like [Poster.PostMessage]: a message posted twice by
// two copies of one Job, the loser's.
func (p *Poster) Delete(ctx context.Context, channel, ts string) error {
	d, ok := p.chat.(messageDeleter)
	if !ok {
		return errors.New("chat.delete: not supported by this client")
	}
	return p.call(ctx, "chat.delete", func() error {
		_, _, err := d.DeleteMessageContext(ctx, channel, ts)
		return err
	})
}

// PostEphemeral shows m to user alone in channel (chat.postEphemeral),
// waiting out a rate limit like [Poster.PostMessage].
func (p *Poster) PostEphemeral(ctx context.Context, channel, user string, m Message) error {
	return p.call(ctx, "chat.postEphemeral", func() error {
		_, err := p.chat.PostEphemeralContext(ctx, channel, user, msgOptions(m)...)
		return err
	})
}

// call runs one Web API method, retrying it after a rate limit while the
// context's deadline allows and tries remain.
func (p *Poster) call(ctx context.Context, method string, do func() error) error {
	if p.chat == nil {
		return errors.New(method + ": no bot token")
	}
	for try := 1; ; try++ {
		err := do()
		if err == nil {
			return nil
		}
		var rl *slack.RateLimitedError
		if !errors.As(err, &rl) || try >= p.maxTries || !p.fits(ctx, rl.RetryAfter) {
			return fmt.Errorf("%s (try %d): %w", method, try, err)
		}
		if err := p.sleep(ctx, rl.RetryAfter); err != nil {
			return fmt.Errorf("%s: %w", method, err)
		}
	}
}

// fits reports whether waiting d still leaves time before ctx's deadline.
func (p *Poster) fits(ctx context.Context, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return !ok || p.now().Add(d).Before(dl)
}

// responseMessage is the JSON a response_url takes.
type responseMessage struct {
	Text            string        `json:"text"`
	Blocks          []slack.Block `json:"blocks,omitempty"`
	ResponseType    string        `json:"response_type"`
	ReplaceOriginal bool          `json:"replace_original"`
}

// Respond posts m to a slash command's response_url with the given response
// type ([InChannel] or [Ephemeral]). A URL that is not Slack's is refused
// unsent ([ErrResponseURLRefused]). Errors never contain the URL, which is
// a credential, nor the body of the answer, which is the remote's.
func (p *Poster) Respond(ctx context.Context, responseURL, responseType string, m Message) error {
	if responseURL == "" {
		return errors.New("response_url: none given")
	}
	if err := CheckResponseURL(responseURL, p.apiURL); err != nil {
		return err
	}
	body, err := json.Marshal(responseMessage{Text: m.Text, Blocks: m.Blocks, ResponseType: responseType})
	if err != nil {
		return fmt.Errorf("response_url: encode: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, responseURL, bytes.NewReader(body))
	if err != nil {
		return errors.New("response_url: malformed URL")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) { // its text holds the URL: keep only the cause
			err = ue.Err
		}
		return fmt.Errorf("response_url: %w", err)
	}
	defer resp.Body.Close()
	// Drain a little so the connection can be reused; the body is never
	// read into an error or a log.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("response_url: HTTP %d", resp.StatusCode)
	}
	return nil
}

// Target is where a Job's answer goes.
type Target struct {
	ChannelID   string
	UserID      string // who asked: private answers fall back to them alone
	ResponseURL string // a credential: never log it
}

// Thread is one conversation under a parent message; see [Poster.Start].
type Thread struct {
	p        *Poster
	target   Target
	ts       string
	fallback string // the response type if the thread cannot be used
	// ParentErr is why the parent could not be posted, or nil.
	ParentErr error
}

// Start posts the parent message in the target channel. When that fails
// the thread remembers how to fall back: not_in_channel and
// channel_not_found answer through the response_url in the channel, any
// other failure ephemerally. Start never fails; [Thread.Finish] reports.
func (p *Poster) Start(ctx context.Context, t Target, parent Message) *Thread {
	th := &Thread{p: p, target: t}
	posted, ts, err := p.postMessage(ctx, t.ChannelID, "", parent)
	if err != nil {
		th.ParentErr = err
		th.fallback = fallbackFor(err)
		return th
	}
	th.ts = ts
	if posted != "" {
		// The thread and chat.update need the conversation's ID: for a
		// direct message (t.ChannelID a user ID, as the create form's
		// default) that is the D… ID Slack answered with.
		th.target.ChannelID = posted
	}
	return th
}

// Resume returns the thread under a parent message posted earlier (by a
// worker attempt that died, or as an approval request), so the answer
// goes under it and the same message is updated: no second parent.
func (p *Poster) Resume(t Target, ts string) *Thread {
	return &Thread{p: p, target: t, ts: ts, fallback: Ephemeral}
}

// fallbackFor picks the response_url's response type after a Web API
// failure.
func fallbackFor(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && (se.Err == "not_in_channel" || se.Err == "channel_not_found") {
		return InChannel
	}
	return Ephemeral
}

// TS returns the parent message's timestamp, or "" if it was not posted.
func (th *Thread) TS() string { return th.ts }

// Delivery reports where a final answer went.
type Delivery struct {
	Route Route
	// ParentUpdated says the parent message now shows the final status.
	ParentUpdated bool
	// Errs holds every failure met on the way (also when the answer got
	// through by a fallback), for the log.
	Errs []error
}

// stepContext bounds one step of a final answer to num/den of the time
// left before ctx's deadline, measured once (left), so that a step that
// hangs leaves the later steps their time and the caller returns by the
// deadline.
func stepContext(ctx context.Context, left time.Duration, num, den int64) (context.Context, context.CancelFunc) {
	if left <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, time.Duration(int64(left)*num/den))
}

// timeLeft is the time before ctx's deadline, or 0 when it has none.
func timeLeft(ctx context.Context) time.Duration {
	dl, ok := ctx.Deadline()
	if !ok {
		return 0
	}
	return max(time.Until(dl), time.Nanosecond)
}

// Finish delivers the final answer: in the parent's thread, else through
// the response_url (in the channel or ephemeral, see [Poster.Start]), or,
// when the Job has none, in the caller's direct message; then it updates
// the parent to parent. When every path fails, the returned
// error wraps [ErrUndelivered].
//
// Finish returns by ctx's deadline whatever Slack does: the thread reply
// and the response_url may each use two fifths of the time left when it
// starts, chat.update what remains.
func (th *Thread) Finish(ctx context.Context, final, parent Message) (Delivery, error) {
	var d Delivery
	fallback := th.fallback
	left := timeLeft(ctx)
	if th.ts != "" {
		sctx, cancel := stepContext(ctx, left, 2, 5)
		_, err := th.p.PostMessage(sctx, th.target.ChannelID, th.ts, final)
		cancel()
		if err == nil {
			d.Route = RouteThread
		} else {
			d.Errs = append(d.Errs, err)
			fallback = fallbackFor(err)
		}
	}
	switch {
	case d.Route != "":
	case th.target.ResponseURL == "" && th.target.UserID != "" && th.p.chat != nil:
		// No response_url to fall back to (a create form's Job, whose
		// channel the bot may not be in): the person's direct message.
		sctx, cancel := stepContext(ctx, left, 2, 5)
		_, err := th.p.PostMessage(sctx, th.target.UserID, "", final)
		cancel()
		if err == nil {
			d.Route = RouteDirect
		} else {
			d.Errs = append(d.Errs, err)
		}
	default:
		sctx, cancel := stepContext(ctx, left, 2, 5)
		err := th.p.Respond(sctx, th.target.ResponseURL, fallback, final)
		cancel()
		if err == nil {
			d.Route = RouteResponseEphemeral
			if fallback == InChannel {
				d.Route = RouteResponseInChannel
			}
		} else {
			d.Errs = append(d.Errs, err)
		}
	}
	if th.ts != "" {
		if err := th.p.Update(ctx, th.target.ChannelID, th.ts, parent); err == nil {
			d.ParentUpdated = true
		} else {
			d.Errs = append(d.Errs, err)
		}
	}
	if d.Route == "" {
		d.Route = RouteLost
		return d, fmt.Errorf("%w: %w", ErrUndelivered, errors.Join(d.Errs...))
	}
	return d, nil
}

// Answer sends a single ephemeral answer through the response_url, for
// answers that need no thread (list, describe, denials, problems found
// before the parent was posted). When the response_url fails it shows the
// answer to the caller alone with chat.postEphemeral: these answers are
// private, so they never fall back to the channel. The error wraps
// [ErrUndelivered] when both fail. The response_url may use half the time
// left before ctx's deadline, so the fallback still has its half.
func (p *Poster) Answer(ctx context.Context, t Target, m Message) (Delivery, error) {
	var d Delivery
	sctx, cancel := stepContext(ctx, timeLeft(ctx), 1, 2)
	err := p.Respond(sctx, t.ResponseURL, Ephemeral, m)
	cancel()
	if err == nil {
		d.Route = RouteResponseEphemeral
		return d, nil
	}
	d.Errs = append(d.Errs, err)
	if p.chat != nil && t.ChannelID != "" && t.UserID != "" {
		err := p.PostEphemeral(ctx, t.ChannelID, t.UserID, m)
		if err == nil {
			d.Route = RouteEphemeral
			return d, nil
		}
		d.Errs = append(d.Errs, err)
	}
	d.Route = RouteLost
	return d, fmt.Errorf("%w: %w", ErrUndelivered, errors.Join(d.Errs...))
}
