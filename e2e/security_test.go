package e2e

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/streambot/streambot/bench/slashload"
	"github.com/streambot/streambot/internal/reply"
	"github.com/streambot/streambot/internal/reply/slackrec"
	"github.com/streambot/streambot/internal/slackbot"
	"github.com/streambot/streambot/pkg/atlas/atlastest"
)

// TestSignatureRejected sends requests API Gateway would pass on but Slack
// never signed as they are: each gets a 401 and nothing is dispatched. The
// same command correctly signed, sent last, goes through, so the refusals
// are the signature's doing.
func TestSignatureRejected(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackConfig{})
	body := s.form(slash{Text: createText})
	tests := []struct {
		name  string
		event func() (ev eventT)
	}{
		{"replayed after 6 minutes", func() eventT {
			return apiEvent(body, s.signingSecret, time.Now().Add(-6*time.Minute))
		}},
		{"dated 6 minutes ahead", func() eventT {
			return apiEvent(body, s.signingSecret, time.Now().Add(6*time.Minute))
		}},
		{"body changed after signing", func() eventT {
			ev := apiEvent(body, s.signingSecret, time.Now())
			changed := strings.Replace(body, "orders-ws", "orders-wz", 1)
			ev.Body = base64.StdEncoding.EncodeToString([]byte(changed))
			return ev
		}},
		{"user changed after signing", func() eventT {
			ev := apiEvent(body, s.signingSecret, time.Now())
			changed := strings.Replace(body, "user_id="+creator, "user_id="+outsider, 1)
			ev.Body = base64.StdEncoding.EncodeToString([]byte(changed))
			return ev
		}},
		{"timestamp changed after signing", func() eventT {
			ev := apiEvent(body, s.signingSecret, time.Now().Add(-time.Minute))
			ev.Headers["x-slack-request-timestamp"] = strconv.FormatInt(time.Now().Unix(), 10)
			return ev
		}},
		{"signed with another secret", func() eventT {
			return apiEvent(body, "e2e-other-"+randomHex(16), time.Now())
		}},
		{"signed over the base64 text", func() eventT {
			at := time.Now()
			ev := apiEvent(body, s.signingSecret, at)
			_, ev.Headers["x-slack-signature"] = slashload.Sign(s.signingSecret, []byte(ev.Body), at)
			return ev
		}},
		{"no signature", func() eventT {
			ev := apiEvent(body, s.signingSecret, time.Now())
			delete(ev.Headers, "x-slack-signature")
			return ev
		}},
		{"no timestamp", func() eventT {
			ev := apiEvent(body, s.signingSecret, time.Now())
			delete(ev.Headers, "x-slack-request-timestamp")
			return ev
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := s.invoke(tc.event())
			if resp.StatusCode != http.StatusUnauthorized || strings.Contains(resp.Body, "Working on it") {
				t.Errorf("answer %d %q, want 401", resp.StatusCode, resp.Body)
			}
		})
	}
	s.settle()
	if n := s.relay.Invocations(); n != 0 {
		t.Fatalf("a rejected request reached the worker (%d invocations)", n)
	}
	if n := s.atlasCalls(); n != 0 {
		t.Errorf("Atlas got %d calls, want 0", n)
	}
	if got := s.slack.Calls(); len(got) != 0 {
		t.Errorf("Slack got calls:\n%s", describeCalls(got))
	}

	// The control: the same body, correctly signed, with a plain (not
	// base64) body as a Function URL would send it.
	ev := apiEvent(body, s.signingSecret, time.Now())
	ev.Body, ev.IsBase64Encoded = body, false
	if text := ackText(t, s.invoke(ev)); !strings.HasPrefix(text, "Working on it") {
		t.Errorf("the correctly signed request was answered %q", text)
	}
	s.settle()
	if n := s.relay.Invocations(); n != 1 {
		t.Errorf("the correctly signed request made %d invocations, want 1", n)
	}
}

// TestCallerOutsidePolicy: a correctly signed command from a user or
// channel the policy does not cover is refused in the ack, without naming
// any project ID, and nothing is dispatched.
func TestCallerOutsidePolicy(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackConfig{})
	for _, c := range []slash{
		{Text: createText, UserID: outsider},
		{Text: "list --project prod", UserID: outsider},
		{Text: "describe orders-ws --project dev", UserID: outsider},
		{Text: createText + " --project prod", UserID: reader},
		{Text: createText + " --project prod", UserID: creator},
	} {
		resp, _ := s.command(c)
		text := ackText(t, resp)
		if !strings.HasPrefix(text, ":no_entry: Not allowed: ") {
			t.Errorf("%s by %s in %s: ack %q, want a denial", c.Text, c.UserID, c.TeamID, text)
		}
		if strings.Contains(text, devGroupID) || strings.Contains(text, prodGroupID) {
			t.Errorf("the denial %q shows a project ID the caller did not type", text)
		}
	}
	s.settle()
	if s.relay.Invocations() != 0 || s.atlasCalls() != 0 {
		t.Errorf("a denied command reached the worker (%d) or Atlas (%d)", s.relay.Invocations(), s.atlasCalls())
	}
}

// pings finds Slack control sequences in text that would notify or link
// someone: anything but the caller's own mention, which the parent message
// carries on purpose.
func pings(text string) []string {
	text = strings.ReplaceAll(text, "<@"+creator+">", "")
	var found []string
	for _, p := range []string{"<!", "<@", "<#"} {
		if i := strings.Index(text, p); i >= 0 {
			found = append(found, text[i:min(len(text), i+24)])
		}
	}
	return found
}

// blockStrings returns every string inside a Block Kit JSON document,
// decoded (slack-go writes < as \u003c), one per line.
func blockStrings(raw json.RawMessage) string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	var b strings.Builder
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			b.WriteString(v + "\n")
		case []any:
			for _, x := range v {
				walk(x)
			}
		case map[string]any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	return b.String()
}

// TestEscaping puts Slack's mention syntax into every field a caller or
// Atlas controls that streambot may echo: the workspace name, project,
// region, provider, tiers, flag names, the subcommand, the help topic, the
// caller's user name, and Atlas's error detail and field violations. No
// ack and no Slack call may carry it unescaped.
func TestEscaping(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackConfig{})
	var texts []string
	for _, m := range []string{"<!channel>", "<@" + victim + ">", "<!here|here>", "<!subteam^" + platformGroup + ">", "<#C0SECRET|secret>"} {
		ent := strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(m) // as Slack may send it
		for _, x := range []string{m, ent} {
			texts = append(texts,
				"create "+x+" --region VIRGINIA_USA",
				"create orders-ws --region "+x,
				"create orders-ws --project "+x+" --region VIRGINIA_USA",
				"create orders-ws --provider "+x+" --region VIRGINIA_USA",
				"create orders-ws --region VIRGINIA_USA --tier "+x,
				"create orders-ws --region VIRGINIA_USA --max-tier "+x,
				"create orders-ws --region VIRGINIA_USA --"+x,
				"create orders-ws --region VIRGINIA_USA "+x,
				"describe "+x,
				"list --project "+x,
				x+" orders-ws",
				"help "+x,
				`create "`+x+` orders" --region VIRGINIA_USA`,
			)
		}
	}
	for _, text := range texts {
		resp, _ := s.command(slash{Text: text})
		if got := pings(ackText(t, resp)); len(got) > 0 {
			t.Errorf("%q: the ack carries %q unescaped", text, got)
		}
	}
	s.settle()
	if n := s.relay.Invocations(); n != 0 {
		t.Errorf("%d of the commands were dispatched, want none", n)
	}

	// Accepted commands: a caller whose name is a mention, and Atlas
	// answers whose detail, fields and plain body carry mentions.
	const evil = "<!channel> <@" + victim + "> <!here>"
	s.atlas.Inject(atlastest.OpCreateStream, atlastest.Fault{Status: 400, Body: mustJSON(map[string]any{
		"error": 400, "errorCode": "VALIDATION_ERROR", "reason": "Bad Request " + evil, "parameters": []any{},
		"detail":           "Name " + evil + " is invalid.",
		"badRequestDetail": map[string]any{"fields": []any{map[string]any{"field": "name" + evil, "description": "bad " + evil}}},
	})})
	s.atlas.Inject(atlastest.OpCreateStream, atlastest.Fault{Status: 502, Body: "<html>" + evil + "</html>"})
	for _, c := range []slash{
		{Text: "create evil-one --region VIRGINIA_USA", UserName: evil},
		{Text: "create evil-two --region VIRGINIA_USA", UserName: evil},
		{Text: "create evil-three --region VIRGINIA_USA", UserName: evil},
	} {
		resp, _ := s.command(c)
		if got := pings(ackText(t, resp)); len(got) > 0 {
			t.Errorf("%q: the ack carries %q unescaped", c.Text, got)
		}
		s.settle()
	}
	answers := finalAnswers(s.slack)
	if len(answers) != 3 {
		t.Fatalf("%d final answers for three creates, want 3:\n%s", len(answers), describeCalls(s.slack.Calls()))
	}
	if !strings.Contains(answers[0].Text, "Name &lt;!channel&gt;") {
		t.Errorf("the 400's detail is not in the thread reply, escaped: %q", answers[0].Text)
	}
	for _, c := range s.slack.Calls() {
		for _, text := range []string{c.Text, blockStrings(c.Blocks)} {
			if got := pings(text); len(got) > 0 {
				t.Errorf("%s carries %q unescaped:\n%s", c.Method, got, text)
			}
		}
	}
}

// TestHandoffFailed points the Slack function at a Lambda API that
// refuses connections, and at one that accepts the invocation and never
// answers: the caller is told nothing was done (refused) or that the
// outcome is unknown (hung: Lambda may have queued it), with the ID to
// quote, within Slack's 3 seconds. The function is warmed up first (a
// help command, which dispatches nothing), so the bound is on the
// hand-off (bounded by slackbot.DefaultAckBudget, 2.2 s) and the answer, not on
// a cold start that a loaded CI machine may stretch; cold starts are
// measured in bench/.
func TestHandoffFailed(t *testing.T) {
	t.Parallel()
	hung := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hung:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(hung); hanging.Close() })

	// A refused connection proves nothing was queued; a hung invoke may
	// have been, so its ack says the outcome is unknown.
	acks := map[string]func(string) reply.Ack{"refused": reply.AckHandoffFailed, "hangs": reply.AckHandoffUnknown}
	for name, endpoint := range map[string]string{"refused": closedEndpoint(t), "hangs": hanging.URL} {
		t.Run(name, func(t *testing.T) {
			s := newStack(t, stackConfig{lambdaEndpoint: endpoint})
			if resp, _ := s.command(slash{Text: "help"}); !strings.Contains(ackText(t, resp), "create") {
				t.Fatalf("help = %q", resp.Body)
			}
			start := time.Now()
			resp, jobID := s.command(slash{Text: createText})
			took := time.Since(start)
			if got, want := ackText(t, resp), acks[name](jobID).Text; got != want {
				t.Errorf("ack = %q, want %q", got, want)
			}
			t.Logf("handoff failure acknowledged in %v", took)
			if took >= 3*time.Second {
				t.Errorf("the ack took %v, past Slack's 3 seconds", took)
			}
			if n := s.atlasCalls() + len(s.slack.Calls(slackrec.PostMessage, slackrec.ResponseURL)); n != 0 {
				t.Errorf("%d calls to Atlas or Slack posts, want 0", n)
			}
		})
	}
}

// TestLogsHoldNoSecrets runs the paths most likely to log a secret with
// LOG_LEVEL=debug (a refused signature, a refused token, a 401 and the
// re-read of the secret, a failed Slack post, a successful create) and
// searches the functions' whole output for every secret and token the
// stack used. (Every stack does the same search when its test ends; this
// test makes sure the search has something to look at.)
func TestLogsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackConfig{})
	s.invoke(apiEvent(s.form(slash{Text: createText}), "e2e-other-"+randomHex(16), time.Now()))
	s.atlas.Inject(atlastest.OpGetStream, atlastest.Fault{Status: 401})
	s.slack.Inject(slackrec.PostMessage, slackrec.Fault{After: 1, Status: 500})
	s.command(slash{Text: createText})
	s.settle()
	s.command(slash{Text: "describe orders-ws"})
	s.settle()
	// The interactive path too: a click whose value cannot be read is
	// refused on the edge and answered through the worker, by the click's
	// own response_url (a credential like the command's).
	click := slackbot.Click{TeamID: teamID, ChannelID: channelID, UserID: reader, UserName: "reader",
		ActionID: "streambot.confirm.delete", BlockID: "streambot.x.y.0", Value: "1;not-a-value", MessageTS: "1700000000.000100",
		ResponseURL: s.slack.ResponseURL("click-" + randomHex(6)), TriggerID: "click." + randomHex(8)}
	s.invoke(apiEventTo("/slack/interactions", slackbot.ClickBody(click), s.signingSecret, time.Now()))
	s.settle()

	if len(s.rec.Tokens()) < 2 {
		t.Errorf("%d access tokens issued, want the first and the one after the 401", len(s.rec.Tokens()))
	}
	logs := map[string]string{"slack function": s.slackFn.Logs(), "create function": s.createFn.Logs()}
	for where, want := range map[string][]string{
		"slack function":  {"slack signature rejected", "job dispatched", "click refused"},
		"create function": {"job done", `"action":"notice"`},
	} {
		for _, w := range want {
			if !strings.Contains(logs[where], w) {
				t.Errorf("the %s logged no %q: the search would look at nothing", where, w)
			}
		}
	}
	checkNoSecrets(t, logs, s.secrets())
}

type eventT = events.APIGatewayV2HTTPRequest
