package reply_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/reply"
	"github.com/streambot/streambot/internal/reply/slackrec"
)

const token = "xoxb-test-token"

// fakeClock advances only when the poster sleeps.
type fakeClock struct {
	mu     sync.Mutex
	t      time.Time
	slept  []time.Duration
	cancel bool
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slept = append(c.slept, d)
	c.t = c.t.Add(d)
	return ctx.Err()
}

func setup(t *testing.T) (*slackrec.Server, *reply.Poster, *fakeClock) {
	t.Helper()
	rec := slackrec.New(t, token)
	api := slack.New(token, slack.OptionAPIURL(rec.APIURL()))
	clk := &fakeClock{t: time.Now()}
	return rec, reply.NewPoster(api, nil, reply.WithClock(clk.now), reply.WithSleep(clk.sleep), reply.WithSlackAPIURL(rec.APIURL())), clk
}

var (
	parent = reply.Message{Text: "parent ⏳"}
	done   = reply.Message{Text: "parent ✅"}
	final  = reply.Message{Text: "final answer"}
)

func methods(calls []slackrec.Call) []string {
	var out []string
	for _, c := range calls {
		m := c.Method
		if c.Failed {
			m += "!"
		}
		if c.ResponseType != "" {
			m += ":" + c.ResponseType
		}
		out = append(out, m)
	}
	return out
}

func TestThread(t *testing.T) {
	tests := []struct {
		name       string
		faults     map[string]slackrec.Fault
		want       []string
		wantRoute  reply.Route
		wantErr    bool
		wantSleeps []time.Duration
	}{
		{
			name:      "happy path",
			want:      []string{"chat.postMessage", "chat.postMessage", "chat.update"},
			wantRoute: reply.RouteThread,
		},
		{
			name:       "429 waited out",
			faults:     map[string]slackrec.Fault{slackrec.PostMessage: {Times: 1, RetryAfter: "2"}},
			want:       []string{"chat.postMessage!", "chat.postMessage", "chat.postMessage", "chat.update"},
			wantRoute:  reply.RouteThread,
			wantSleeps: []time.Duration{2 * time.Second},
		},
		{
			name:      "not_in_channel falls back to response_url in channel",
			faults:    map[string]slackrec.Fault{slackrec.PostMessage: {Times: 1, Error: "not_in_channel"}},
			want:      []string{"chat.postMessage!", "response_url:in_channel"},
			wantRoute: reply.RouteResponseInChannel,
		},
		{
			name:      "channel_not_found falls back to response_url in channel",
			faults:    map[string]slackrec.Fault{slackrec.PostMessage: {Times: 1, Error: "channel_not_found"}},
			want:      []string{"chat.postMessage!", "response_url:in_channel"},
			wantRoute: reply.RouteResponseInChannel,
		},
		{
			name:      "other failure falls back to response_url ephemeral",
			faults:    map[string]slackrec.Fault{slackrec.PostMessage: {Times: 1, Status: 500}},
			want:      []string{"chat.postMessage!", "response_url:ephemeral"},
			wantRoute: reply.RouteResponseEphemeral,
		},
		{
			name:      "thread reply fails after the parent",
			faults:    map[string]slackrec.Fault{slackrec.PostMessage: {After: 1, Times: 1, Error: "msg_too_long"}},
			want:      []string{"chat.postMessage", "chat.postMessage!", "response_url:ephemeral", "chat.update"},
			wantRoute: reply.RouteResponseEphemeral,
		},
		{
			name: "every path fails",
			faults: map[string]slackrec.Fault{
				slackrec.PostMessage: {Times: 5, Error: "account_inactive"},
				slackrec.ResponseURL: {Times: 1, Status: 404},
			},
			want:      []string{"chat.postMessage!", "response_url!:ephemeral"},
			wantRoute: reply.RouteLost,
			wantErr:   true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec, p, clk := setup(t)
			for m, f := range tc.faults {
				rec.Inject(m, f)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			target := reply.Target{ChannelID: "C1", ResponseURL: rec.ResponseURL("r1")}
			th := p.Start(ctx, target, parent)
			d, err := th.Finish(ctx, final, done)
			if (err != nil) != tc.wantErr || (err != nil && !errors.Is(err, reply.ErrUndelivered)) {
				t.Fatalf("Finish() error = %v, wantErr %v", err, tc.wantErr)
			}
			if d.Route != tc.wantRoute {
				t.Errorf("Finish() route = %q, want %q", d.Route, tc.wantRoute)
			}
			if diff := cmp.Diff(tc.want, methods(rec.Calls())); diff != "" {
				t.Errorf("calls mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantSleeps, clk.slept); diff != "" {
				t.Errorf("sleeps mismatch (-want +got):\n%s", diff)
			}
			for _, c := range rec.Delivered() {
				if c.Method == slackrec.PostMessage && c.ThreadTS != "" && c.Text != final.Text {
					t.Errorf("thread reply text = %q, want %q", c.Text, final.Text)
				}
				if c.Method == slackrec.Update && c.Text != done.Text {
					t.Errorf("update text = %q, want %q", c.Text, done.Text)
				}
				if c.Method == slackrec.ResponseURL && c.Text != final.Text {
					t.Errorf("response_url text = %q, want %q", c.Text, final.Text)
				}
			}
			if err != nil && strings.Contains(err.Error(), "secret-part") {
				t.Errorf("error leaks the response_url: %v", err)
			}
		})
	}
}

// A thread started with a user ID (the create form's direct message)
// continues in the D… conversation Slack answered with: chat.update does
// not take a user ID.
func TestThreadInADirectMessage(t *testing.T) {
	rec, p, _ := setup(t)
	th := p.Start(t.Context(), reply.Target{ChannelID: "U0CREATOR", UserID: "U0CREATOR"}, parent)
	d, err := th.Finish(t.Context(), final, done)
	if err != nil || d.Route != reply.RouteThread || !d.ParentUpdated {
		t.Fatalf("Finish() = %+v, %v; want the thread and the parent updated", d, err)
	}
	var got []string
	for _, c := range rec.Calls() {
		got = append(got, c.Method+" "+c.Channel)
	}
	dm := slackrec.DMChannel("U0CREATOR")
	want := []string{"chat.postMessage U0CREATOR", "chat.postMessage " + dm, "chat.update " + dm}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

// A Job without a response_url (the create form's) whose channel the bot
// is not in gets its answer in the caller's direct message.
func TestThreadWithoutResponseURLFallsBackToADirectMessage(t *testing.T) {
	rec, p, _ := setup(t)
	rec.Inject(slackrec.PostMessage, slackrec.Fault{Times: 1, Error: "not_in_channel"})
	th := p.Start(t.Context(), reply.Target{ChannelID: "C1", UserID: "U0CREATOR"}, parent)
	d, err := th.Finish(t.Context(), final, done)
	if err != nil || d.Route != reply.RouteDirect {
		t.Fatalf("Finish() = %+v, %v; want the direct message", d, err)
	}
	calls := rec.Delivered(slackrec.PostMessage)
	if len(calls) != 1 || calls[0].Channel != "U0CREATOR" || calls[0].Text != final.Text {
		t.Errorf("delivered %+v, want the final answer posted to U0CREATOR", calls)
	}
	if n := len(rec.Calls(slackrec.ResponseURL)); n != 0 {
		t.Errorf("%d response_url posts without a response_url", n)
	}
}

func TestPostMessageRateLimitBeyondDeadline(t *testing.T) {
	rec, p, clk := setup(t)
	rec.Inject(slackrec.PostMessage, slackrec.Fault{Times: 1, RetryAfter: "120"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := p.PostMessage(ctx, "C1", "", parent)
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) {
		t.Fatalf("PostMessage() error = %v, want *slack.RateLimitedError", err)
	}
	if len(clk.slept) != 0 {
		t.Errorf("slept %v, want no wait beyond the deadline", clk.slept)
	}
}

func TestPostMessageGivesUpAfterMaxTries(t *testing.T) {
	rec, p, clk := setup(t)
	rec.Inject(slackrec.PostMessage, slackrec.Fault{Times: 10, RetryAfter: "1"})
	_, err := p.PostMessage(context.Background(), "C1", "", parent)
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) {
		t.Fatalf("PostMessage() error = %v, want *slack.RateLimitedError", err)
	}
	if got := len(rec.Calls()); got != 3 {
		t.Errorf("calls = %d, want 3", got)
	}
	if got := len(clk.slept); got != 2 {
		t.Errorf("sleeps = %d, want 2", got)
	}
}

func TestUpdateRateLimited(t *testing.T) {
	rec, p, _ := setup(t)
	rec.Inject(slackrec.Update, slackrec.Fault{Times: 1, RetryAfter: "1"})
	if err := p.Update(context.Background(), "C1", "1.2", done); err != nil {
		t.Fatalf("Update() error = %v", err)
	}
	if got := len(rec.Delivered(slackrec.Update)); got != 1 {
		t.Errorf("delivered updates = %d, want 1", got)
	}
}

func TestAnswer(t *testing.T) {
	t.Run("response_url", func(t *testing.T) {
		rec, p, _ := setup(t)
		d, err := p.Answer(context.Background(), reply.Target{ChannelID: "C1", ResponseURL: rec.ResponseURL("a")}, final)
		if err != nil || d.Route != reply.RouteResponseEphemeral {
			t.Fatalf("Answer() = %v, %v; want %q", d.Route, err, reply.RouteResponseEphemeral)
		}
		if diff := cmp.Diff([]string{"response_url:ephemeral"}, methods(rec.Calls())); diff != "" {
			t.Errorf("calls (-want +got):\n%s", diff)
		}
	})
	t.Run("falls back to the caller alone, never the channel", func(t *testing.T) {
		rec, p, _ := setup(t)
		rec.Inject(slackrec.ResponseURL, slackrec.Fault{Status: 404})
		d, err := p.Answer(context.Background(), reply.Target{ChannelID: "C1", UserID: "U1", ResponseURL: rec.ResponseURL("a")}, final)
		if err != nil || d.Route != reply.RouteEphemeral {
			t.Fatalf("Answer() = %v, %v; want %q", d.Route, err, reply.RouteEphemeral)
		}
		got := rec.Delivered(slackrec.PostEphemeral)
		if len(got) != 1 || got[0].Channel != "C1" || got[0].User != "U1" {
			t.Errorf("chat.postEphemeral calls = %+v, want one to U1 in C1", got)
		}
		if n := len(rec.Calls(slackrec.PostMessage)); n != 0 {
			t.Errorf("chat.postMessage called %d times: a private answer went to the channel", n)
		}
	})
	t.Run("ephemeral rate limited, then delivered", func(t *testing.T) {
		rec, p, _ := setup(t)
		rec.Inject(slackrec.ResponseURL, slackrec.Fault{Status: 404})
		rec.Inject(slackrec.PostEphemeral, slackrec.Fault{RetryAfter: "1"})
		d, err := p.Answer(context.Background(), reply.Target{ChannelID: "C1", UserID: "U1", ResponseURL: rec.ResponseURL("a")}, final)
		if err != nil || d.Route != reply.RouteEphemeral {
			t.Fatalf("Answer() = %v, %v; want %q", d.Route, err, reply.RouteEphemeral)
		}
		if n := len(rec.Calls(slackrec.PostEphemeral)); n != 2 {
			t.Errorf("chat.postEphemeral calls = %d, want 2 (429, then delivered)", n)
		}
	})
	t.Run("both fail", func(t *testing.T) {
		rec, p, _ := setup(t)
		rec.Inject(slackrec.ResponseURL, slackrec.Fault{Status: 404})
		rec.Inject(slackrec.PostEphemeral, slackrec.Fault{Error: "user_not_in_channel"})
		d, err := p.Answer(context.Background(), reply.Target{ChannelID: "C1", UserID: "U1", ResponseURL: rec.ResponseURL("a")}, final)
		if !errors.Is(err, reply.ErrUndelivered) || d.Route != reply.RouteLost {
			t.Fatalf("Answer() = %v, %v; want %q and ErrUndelivered", d.Route, err, reply.RouteLost)
		}
	})
	t.Run("no token and no response_url", func(t *testing.T) {
		p := reply.NewPoster(nil, nil)
		_, err := p.Answer(context.Background(), reply.Target{ChannelID: "C1"}, final)
		if !errors.Is(err, reply.ErrUndelivered) {
			t.Fatalf("Answer() error = %v, want ErrUndelivered", err)
		}
	})
}

func TestRespondErrorHidesURL(t *testing.T) {
	p := reply.NewPoster(nil, nil, reply.WithSlackAPIURL("http://127.0.0.1:1/api/"))
	// a closed port: the transport error must not carry the URL
	err := p.Respond(context.Background(), "http://127.0.0.1:1/commands/T/1/secret-part", reply.Ephemeral, final)
	if err == nil || strings.Contains(err.Error(), "secret-part") {
		t.Fatalf("Respond() error = %v, want an error without the URL", err)
	}
}
