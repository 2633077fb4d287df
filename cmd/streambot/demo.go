package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/streambot/streambot/internal/access"
	"github.com/streambot/streambot/internal/form"
	"github.com/streambot/streambot/internal/reply/slackrec"
	"github.com/streambot/streambot/internal/slackbot"
	"github.com/streambot/streambot/pkg/atlas"
	"github.com/streambot/streambot/pkg/atlas/atlastest"
)

// demoPolicy is the access policy the demo runs with.
//
//go:embed demo-policy.yaml
var demoPolicy []byte

// The demo's people and places.
const (
	demoTeam    = "T0DEMO"
	demoChannel = "C0PLATFORM"
	alice       = "U0ALICE"    // may create in dev
	bob         = "U0BOB"      // in the platform group: may look, not create
	mallory     = "U0MALLORY"  // is not in the policy
	carol       = "U0CAROL"    // approves changes on prod
	platform    = "S0PLATFORM" // the user group the demo policy names
	devGroupID  = "6a1b2c3d4e5f6a7b8c9d0e1f"
	prodGroupID = "5f1a2b3c4d5e6f7a8b9c0d1e"
)

// addDemoPeople makes the console Slack know the demo's people and group,
// so that `make serve` (which runs with the demo policy) can check group
// grants too: alice has an email (users.info), bob is in the platform
// group (usergroups.users.list).
func addDemoPeople(s *slackrec.Server) {
	s.AddUser(alice, "alice@example.com")
	s.AddUser(bob, "bob@example.com")
	s.AddGroup(platform, bob)
}

// demoStep is one slash command of the scripted conversation and what must
// come of it.
type demoStep struct {
	title string
	user  string
	text  string
	// press, when set, makes the step a click on the button with this
	// action_id in the latest message that has one, instead of a command.
	press string
	// submit, when set, makes the step the submission of the form opened
	// last, with these values by block_id (slackrec.Server.ViewSubmission).
	submit map[string]string
	before func(d *demo)                        // e.g. inject an Atlas fault
	check  func(d *demo, r stepResult) []string // returns what went wrong
}

// stepResult is what a step produced.
type stepResult struct {
	status  int
	ack     string          // the ephemeral acknowledgement, rendered
	calls   []slackrec.Call // Slack calls the step caused, delivered or not
	creates int             // create POSTs Atlas received during the step
	patches int             // update PATCHes
	deletes int             // DELETEs
	starts  int             // processor :start and :startWith POSTs
	stops   int             // processor :stop POSTs
}

// demo is a running conversation.
type demo struct {
	stack  *stack
	url    string
	secret string
	out    io.Writer
	con    *console
}

func demoSteps() []demoStep {
	return []demoStep{
		{
			title: "ask for help", user: alice, text: "help",
			check: func(d *demo, r stepResult) []string {
				return all(
					expect(strings.Contains(r.ack, "/stream create"), "the help lists /stream create"),
					expect(len(r.calls) == 0 && r.creates == 0, "help dispatches nothing"),
				)
			},
		},
		{
			title: "create a workspace (the region given as the AWS code)", user: alice,
			text: "create orders-ws --region us-east-1 --tier SP30 --max-tier SP50 --sample-solar",
			check: func(d *demo, r stepResult) []string {
				ws, ok := d.stack.atlas.Workspace(devGroupID, "orders-ws")
				problems := all(
					expect(strings.Contains(r.ack, "Working on it"), "the ack says it is working on it"),
					expect(strings.Contains(r.ack, "us-east-1 → VIRGINIA_USA"), "the ack says how the region was mapped"),
					expect(r.creates == 1, "Atlas received exactly one create"),
					expect(ok && len(ws.Hostnames) > 0, "Atlas holds the workspace with hostnames"),
				)
				reply := threadReply(r.calls)
				for _, h := range ws.Hostnames {
					problems = append(problems, expect(strings.Contains(reply, h), "the thread reply shows hostname "+h)...)
				}
				return append(problems, expect(parentUpdated(r.calls, "✅"), "the parent message is updated to ✅")...)
			},
		},
		{
			title: "a create that Atlas refuses (402: no payment method)", user: alice,
			text: "create payments-ws --region VIRGINIA_USA --tier SP10",
			before: func(d *demo) {
				d.stack.atlas.Inject(atlastest.OpCreateStream, atlastest.Fault{Times: 1, Status: http.StatusPaymentRequired,
					Body: `{"error":402,"errorCode":"NO_PAYMENT_INFORMATION_FOUND","reason":"Payment Required","detail":"No payment information was found for group ` + devGroupID + `.","parameters":[]}`})
			},
			check: func(d *demo, r stepResult) []string {
				_, created := d.stack.atlas.Workspace(devGroupID, "payments-ws")
				reply := threadReply(r.calls)
				return all(
					expect(r.creates == 1, "Atlas received exactly one create"),
					expect(!created, "nothing was created"),
					expect(strings.Contains(reply, "NO_PAYMENT_INFORMATION_FOUND"), "the thread reply gives Atlas's errorCode"),
					expect(strings.Contains(reply, "No payment information was found"), "the thread reply gives Atlas's detail"),
					expect(parentUpdated(r.calls, "❌"), "the parent message is updated to ❌"),
				)
			},
		},
		{
			title: "a caller the policy does not know", user: mallory,
			text: "create sneaky-ws --region VIRGINIA_USA --project prod",
			check: func(d *demo, r stepResult) []string {
				return all(
					expect(strings.Contains(r.ack, "Not allowed: create on project prod needs one of"), "the caller is told it is not allowed, and what create needs"),
					expect(strings.Contains(r.ack, "no grant gives you one; ask @U0ALICE"), "and that nothing grants them a role, and whom to ask"),
					expect(len(posts(r.calls)) == 0 && r.creates == 0, "nothing reaches the worker, Atlas or the channel"),
				)
			},
		},
		{
			title: "update the tier: the bot shows before → after and waits for Apply", user: alice,
			text: "update orders-ws --tier SP50",
			check: func(d *demo, r stepResult) []string {
				ask := channelPost(r.calls)
				return all(
					expect(strings.Contains(ask, "tier: SP30 → SP50"), "the confirmation shows tier SP30 → SP50"),
					expect(strings.Contains(ask, "[Apply]") && strings.Contains(ask, "[Cancel]"), "it has Apply and Cancel"),
					expect(r.patches == 0, "nothing was sent to Atlas yet"),
				)
			},
		},
		{
			title: "alice clicks Apply", user: alice, press: "streambot.confirm.update",
			check: func(d *demo, r stepResult) []string {
				ws, _ := d.stack.atlas.Workspace(devGroupID, "orders-ws")
				return all(
					expect(r.patches == 1, "Atlas received exactly one PATCH"),
					expect(ws.StreamConfig != nil && ws.StreamConfig.Tier == "SP50", "the workspace runs at SP50"),
					expect(strings.Contains(threadReply(r.calls), "Updated stream workspace"), "the thread reply says it was updated"),
					expect(parentUpdated(r.calls, "confirmed by"), "the confirmation now says who confirmed, without buttons"),
				)
			},
		},
		{
			title: "delete: never at once, a confirmation first", user: alice, text: "delete orders-ws",
			check: func(d *demo, r stepResult) []string {
				ask := channelPost(r.calls)
				return all(
					expect(strings.Contains(ask, "[Delete ⚠]"), "the confirmation has a danger Delete button"),
					expect(strings.Contains(ask, "Hostnames"), "it shows what would go"),
					expect(r.deletes == 0, "nothing was deleted yet"),
				)
			},
		},
		{
			title: "bob (read-only) clicks Delete: refused privately", user: bob, press: "streambot.confirm.delete",
			check: func(d *demo, r stepResult) []string {
				_, ok := d.stack.atlas.Workspace(devGroupID, "orders-ws")
				return all(
					expect(r.deletes == 0 && ok, "nothing was deleted"),
					expect(privateAnswer(r.calls, "Not allowed: you have GROUP_READ_ONLY (through <!subteam^S0PLATFORM>) on project dev, but delete needs"),
						"bob alone is told he is not allowed, what he has and through which group"),
					expect(privateAnswer(r.calls, "ask <@U0ALICE>"), "and whom to ask, as a mention"),
				)
			},
		},
		{
			title: "alice confirms the delete", user: alice, press: "streambot.confirm.delete",
			check: func(d *demo, r stepResult) []string {
				_, ok := d.stack.atlas.Workspace(devGroupID, "orders-ws")
				return all(
					expect(r.deletes == 1 && !ok, "Atlas received exactly one DELETE and the workspace is gone"),
					expect(strings.Contains(threadReply(r.calls), "Deleted stream workspace"), "the thread reply says it was deleted"),
					expect(parentUpdated(r.calls, "confirmed by"), "the confirmation now says who confirmed, without buttons"),
				)
			},
		},
		{
			title: "a create on protected prod waits for an approval", user: alice,
			text: "create billing-ws --region VIRGINIA_USA --tier SP10 --project prod",
			check: func(d *demo, r stepResult) []string {
				req := channelPost(r.calls)
				return all(
					expect(strings.Contains(r.ack, "approval"), "the ack says it waits for an approval"),
					expect(r.creates == 0, "nothing was sent to Atlas"),
					expect(strings.Contains(req, "[Approve]") && strings.Contains(req, "[Reject"), "the request in the channel has Approve and Reject"),
					expect(strings.Contains(req, "POST /api/atlas/v2/groups/"+prodGroupID+"/streams"), "it shows the Atlas request, as --dry-run does"),
					expect(privateAnswer(r.calls, "waits for an approval"), "alice privately gets a note with Cancel"),
				)
			},
		},
		{
			title: "alice tries to approve her own request: refused", user: alice, press: "streambot.approve.create",
			check: func(d *demo, r stepResult) []string {
				return all(
					expect(r.creates == 0, "nothing was sent to Atlas"),
					expect(privateAnswer(r.calls, "someone else must approve"), "alice alone is told someone else must approve"),
				)
			},
		},
		{
			title: "carol approves: it runs once, answered in the request's thread", user: carol, press: "streambot.approve.create",
			check: func(d *demo, r stepResult) []string {
				_, ok := d.stack.atlas.Workspace(prodGroupID, "billing-ws")
				return all(
					expect(r.creates == 1 && ok, "Atlas received exactly one create"),
					expect(strings.Contains(threadReply(r.calls), "approved this"), "the approval is recorded in the thread"),
					expect(strings.Contains(threadReply(r.calls), "billing-ws"), "the answer is in the request's thread"),
					expect(parentUpdated(r.calls, "Approved by"), "the request now says who approved it, without buttons"),
				)
			},
		},
		{
			title: "carol clicks Approve again: it is decided, nothing runs twice", user: carol, press: "streambot.approve.create",
			check: func(d *demo, r stepResult) []string {
				return all(
					expect(r.creates == 0, "nothing was sent to Atlas"),
					expect(privateAnswer(r.calls, "already approved"), "carol alone is told it was already approved"),
				)
			},
		},
		{
			title: "history: who did what on prod, approved by whom", user: alice, text: "history --project prod",
			check: func(d *demo, r stepResult) []string {
				answer := privateText(r.calls)
				return all(
					expect(strings.Contains(answer, "billing-ws"), "the history lists the create of billing-ws"),
					expect(strings.Contains(answer, "approved by"), "it says who approved it"),
				)
			},
		},
		{
			title: "list the project's workspaces", user: alice, text: "list",
			check: func(d *demo, r stepResult) []string {
				answer := privateText(r.calls)
				return all(
					expect(strings.Contains(answer, "No stream workspaces"), "the list is empty: orders-ws was deleted"),
					expect(!strings.Contains(answer, "payments-ws"), "the answer does not list the refused payments-ws"),
				)
			},
		},
		{
			title: "a workspace with the solar sample and two stream processors, one running, one stopped", user: alice,
			text: "create solar-ws --region VIRGINIA_USA --tier SP10 --sample-solar",
			before: func(d *demo) {
				// Processors may be seeded before their workspace exists:
				// they appear when it is created.
				d.must(d.stack.atlas.AddProcessor(devGroupID, "solar-ws", atlastest.Processor{Name: "solarDemo", State: atlas.ProcessorStarted}))
				d.must(d.stack.atlas.AddProcessor(devGroupID, "solar-ws", atlastest.Processor{Name: "solarAlerts", State: atlas.ProcessorStopped,
					DLQ: &atlas.DLQ{ConnectionName: "sample_stream_solar", DB: "solar", Coll: "dlq"}}))
			},
			check: func(d *demo, r stepResult) []string {
				_, ok := d.stack.atlas.Workspace(devGroupID, "solar-ws")
				return all(expect(ok && r.creates == 1, "Atlas holds solar-ws, created once"))
			},
		},
		{
			title: "list the stream processors: state, figures, Start/Stop buttons", user: alice, text: "processors solar-ws",
			check: func(d *demo, r stepResult) []string {
				answer := privateText(r.calls)
				return all(
					expect(strings.Contains(answer, "2 stream processors in workspace `solar-ws`"), "the answer counts the two processors"),
					expect(strings.Contains(answer, "STARTED `solarDemo`") && strings.Contains(answer, "STOPPED `solarAlerts`"), "each shows its state"),
					expect(strings.Contains(answer, "[Stop… ⚠]") || strings.Contains(answer, "[Stop…]"), "the running one has Stop…"),
					expect(strings.Contains(answer, "[Start]"), "the stopped one has Start"),
					expect(strings.Contains(answer, "in ") && strings.Contains(answer, "DLQ"), "the figures are shown"),
				)
			},
		},
		{
			title: "stop: never at once, a confirmation first", user: alice, text: "stop solar-ws solarDemo",
			check: func(d *demo, r stepResult) []string {
				ask := channelPost(r.calls)
				return all(
					expect(strings.Contains(ask, "asks to stop stream processor `solarDemo`"), "the confirmation names the processor"),
					expect(strings.Contains(ask, "[Stop ⚠]") && strings.Contains(ask, "[Cancel]"), "it has a danger Stop and Cancel"),
					expect(r.stops == 0, "nothing was stopped yet"),
				)
			},
		},
		{
			title: "alice confirms the stop", user: alice, press: "streambot.confirm.stop",
			check: func(d *demo, r stepResult) []string {
				st, _ := d.stack.atlas.ProcessorState(devGroupID, "solar-ws", "solarDemo")
				return all(
					expect(r.stops == 1 && st == atlas.ProcessorStopped, "Atlas received exactly one :stop and the processor is STOPPED"),
					expect(strings.Contains(threadReply(r.calls), "Atlas now reports STOPPED"), "the thread reply shows the state Atlas reports"),
					expect(parentUpdated(r.calls, "confirmed by"), "the confirmation now says who confirmed, without buttons"),
				)
			},
		},
		{
			title: "start it again (no confirmation: starting interrupts nothing)", user: alice, text: "start solar-ws solarDemo",
			check: func(d *demo, r stepResult) []string {
				st, _ := d.stack.atlas.ProcessorState(devGroupID, "solar-ws", "solarDemo")
				return all(
					expect(r.starts == 1 && st == atlas.ProcessorStarted, "Atlas received exactly one :start and the processor is STARTED"),
					expect(strings.Contains(threadReply(r.calls), "Atlas now reports STARTED"), "the thread reply shows the state Atlas reports"),
					expect(parentUpdated(r.calls, "✅"), "the parent message is updated to ✅"),
				)
			},
		},
		{
			title: "the form: /stream create with no arguments opens it", user: alice, text: "create",
			check: func(d *demo, r stepResult) []string {
				view, ok := openedView(r.calls)
				return all(
					expect(ok, "the bot opened a form with views.open"),
					expect(r.ack == "", "the command is acknowledged with nothing: the form is the answer"),
					expect(strings.Contains(view, "Workspace name") && strings.Contains(view, "ap-southeast-2 · SYDNEY_AUS"),
						"the form asks for a name and offers regions with both names"),
					expect(r.creates == 0, "nothing reaches Atlas"),
				)
			},
		},
		{
			title: "submit the form with a name Atlas would refuse", user: alice,
			submit: map[string]string{form.BlockName: "clicks_ws", form.BlockRegion: "OHIO_USA"},
			check: func(d *demo, r stepResult) []string {
				return all(
					expect(strings.Contains(r.ack, "did you mean clicks-ws?"), "the name's field says what is wrong, as the slash command would"),
					expect(r.creates == 0 && len(posts(r.calls)) == 0, "nothing reaches the worker, Atlas or the channel"),
				)
			},
		},
		{
			title: "submit it again with the name corrected", user: alice,
			submit: map[string]string{form.BlockName: "clicks-ws", form.BlockRegion: "OHIO_USA"},
			check: func(d *demo, r stepResult) []string {
				ws, ok := d.stack.atlas.Workspace(devGroupID, "clicks-ws")
				return all(
					expect(strings.Contains(r.ack, "closes"), "the form closes"),
					expect(r.creates == 1 && ok && len(ws.Hostnames) > 0, "Atlas received one create and holds clicks-ws"),
					expect(strings.Contains(channelPost(r.calls), "clicks-ws"), "the parent message is in the channel the command came from"),
					expect(strings.Contains(threadReply(r.calls), "clicks-ws"), "the thread answers as for /stream create"),
					expect(parentUpdated(r.calls, "✅"), "the parent message is updated to ✅"),
				)
			},
		},
	}
}

// must stops the demo on a seeding error (the demo's own data).
func (d *demo) must(err error) {
	if err != nil {
		panic("demo: " + err.Error())
	}
}

// privateText is the rendered text of the answers only the caller sees.
func privateText(calls []slackrec.Call) string {
	var b strings.Builder
	for _, c := range calls {
		if c.Method == slackrec.ResponseURL && !c.Failed {
			b.WriteString(renderMessage(c.Text, c.Blocks))
		}
	}
	return b.String()
}

// runDemo implements `streambot demo` (what `make run` runs).
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runScript(ctx, args, demoSteps(), stdout, stderr)
}

// runScript runs steps as `streambot demo` does; tests give it their own.
func runScript(ctx context.Context, args []string, steps []demoStep, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	verbose := fs.Bool("v", false, "also print the bot's JSON logs (to stderr)")
	if done, err := parseFlags(fs, args, false, "streambot demo [-v]", stdout); done || err != nil {
		return err
	}
	level := slog.LevelError
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))

	policy, err := access.Load(demoPolicy)
	if err != nil {
		return fmt.Errorf("demo policy: %w", err)
	}
	// The demo reads nothing from the caller's environment: it is the same
	// on every machine, and never talks to a real Atlas or Slack.
	secret := randomHex(16)
	env := map[string]string{"SLACK_SIGNING_SECRET": secret}
	s, err := newStack(ctx, stackOptions{getenv: func(k string) string { return env[k] }, log: log, policy: policy.WithLogger(log)})
	if err != nil {
		return err
	}
	defer s.Close()
	url, shutdown, err := listen("127.0.0.1:0", s.handler)
	if err != nil {
		return err
	}
	defer shutdown(context.WithoutCancel(ctx))

	d := &demo{stack: s, url: url, secret: secret, out: stdout, con: &console{out: stdout}}
	fmt.Fprintf(stdout, "streambot demo: the Slack edge at %s, the worker in-process,\nan in-memory Atlas at %s and a console Slack. Access policy: cmd/streambot/demo-policy.yaml.\n",
		url, s.atlas.URL)
	failed := 0
	for i, st := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		problems, err := d.run(ctx, i+1, st)
		if err != nil {
			return err
		}
		if len(problems) == 0 {
			fmt.Fprintf(stdout, "  ✔ as expected\n")
			continue
		}
		failed++
		for _, p := range problems {
			fmt.Fprintf(stdout, "  ✘ expected: %s\n", p)
		}
	}
	if v := s.atlas.Violations(); len(v) > 0 {
		fmt.Fprintf(stdout, "\n✘ the embedded Atlas answered outside MongoDB's spec %d times: %v\n", len(v), v[0])
		failed++
	}
	if failed > 0 {
		return fmt.Errorf("%w (%d of them)", errDemoFailed, failed)
	}
	fmt.Fprintln(stdout, "\nEvery step behaved as expected.")
	return nil
}

// run sends one step's slash command, waits for the worker, prints the
// conversation and checks it.
func (d *demo) run(ctx context.Context, n int, st demoStep) ([]string, error) {
	if st.before != nil {
		st.before(d)
	}
	callsBefore := len(d.stack.slack.Calls())
	createsBefore := d.stack.atlas.Calls(atlastest.OpCreateStream)
	patchesBefore := d.stack.atlas.Calls(atlastest.OpUpdateStream)
	deletesBefore := d.stack.atlas.Calls(atlastest.OpDeleteStream)
	startsBefore := d.stack.atlas.Calls(atlastest.OpStartProcessor) + d.stack.atlas.Calls(atlastest.OpStartProcessorWith)
	stopsBefore := d.stack.atlas.Calls(atlastest.OpStopProcessor)

	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var req *http.Request
	var err error
	if st.submit != nil {
		view, ok := d.lastView()
		if !ok {
			return []string{"an open form to submit"}, nil
		}
		fmt.Fprintf(d.out, "\n── %d. %s\n👤 %s submits the form:%s\n", n, st.title, st.user, formValues(st.submit))
		payload, perr := d.stack.slack.ViewSubmission(view, demoTeam, st.user, st.submit)
		if perr != nil {
			return nil, perr
		}
		req, err = newSignedPost(rctx, interactionsURL(d.url), d.secret, time.Now(), url.Values{"payload": {string(payload)}}.Encode())
	} else if st.press != "" {
		c, ok := d.findButton(st.press)
		if !ok {
			return []string{"a message with the button " + st.press}, nil
		}
		c.TeamID, c.UserID, c.UserName = demoTeam, st.user, strings.ToLower(strings.TrimPrefix(st.user, "U0"))
		c.ResponseURL = d.stack.slack.ResponseURL(fmt.Sprintf("step-%d", n))
		c.TriggerID = fmt.Sprintf("demo.%d.%d", n, time.Now().UnixNano())
		fmt.Fprintf(d.out, "\n── %d. %s\n👤 %s clicks %s on message %s\n", n, st.title, st.user, st.press, c.MessageTS)
		req, err = newSignedPost(rctx, interactionsURL(d.url), d.secret, time.Now(), slackbot.ClickBody(c))
	} else {
		fmt.Fprintf(d.out, "\n── %d. %s\n👤 %s in %s: /stream %s\n", n, st.title, st.user, demoChannel, st.text)
		req, err = newSignedRequest(rctx, d.url, d.secret, time.Now(), slashRequest{
			Command: "/stream", Text: st.text, TeamID: demoTeam, ChannelID: demoChannel,
			UserID: st.user, UserName: strings.ToLower(strings.TrimPrefix(st.user, "U0")),
			ResponseURL: d.stack.slack.ResponseURL(fmt.Sprintf("step-%d", n)),
			TriggerID:   fmt.Sprintf("demo.%d.%d", n, time.Now().UnixNano()),
		})
	}
	if err != nil {
		return nil, err
	}
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("step %d: %w", n, err)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	ackAfter := time.Since(start)
	var ack struct {
		Text   string          `json:"text"`
		Blocks json.RawMessage `json:"blocks"`
	}
	_ = json.Unmarshal(body, &ack)
	r := stepResult{status: resp.StatusCode, ack: renderMessage(ack.Text, ack.Blocks)}
	if st.submit != nil {
		r.ack = renderSubmissionResponse(body)
		d.con.print(fmt.Sprintf("🤖 streambot answers the form (HTTP %d after %s):", resp.StatusCode, ackAfter.Round(time.Microsecond)), r.ack)
	} else if st.press != "" {
		fmt.Fprintf(d.out, "🤖 Slack got HTTP %d after %s (a click's ack carries no message)\n", resp.StatusCode, ackAfter.Round(time.Microsecond))
	} else if len(body) == 0 {
		fmt.Fprintf(d.out, "🤖 Slack got an empty HTTP %d after %s\n", resp.StatusCode, ackAfter.Round(time.Microsecond))
	} else {
		d.con.print(fmt.Sprintf("🤖 streambot (only visible to you; HTTP %d after %s):", resp.StatusCode, ackAfter.Round(time.Microsecond)), r.ack)
	}

	d.stack.jobs.Wait()
	r.calls = d.stack.slack.Calls()[callsBefore:]
	for _, c := range r.calls {
		if !c.Failed {
			d.con.call(c)
		}
	}
	r.creates = d.stack.atlas.Calls(atlastest.OpCreateStream) - createsBefore
	r.patches = d.stack.atlas.Calls(atlastest.OpUpdateStream) - patchesBefore
	r.deletes = d.stack.atlas.Calls(atlastest.OpDeleteStream) - deletesBefore
	r.starts = d.stack.atlas.Calls(atlastest.OpStartProcessor) + d.stack.atlas.Calls(atlastest.OpStartProcessorWith) - startsBefore
	r.stops = d.stack.atlas.Calls(atlastest.OpStopProcessor) - stopsBefore
	problems := expect(resp.StatusCode == http.StatusOK, "Slack gets HTTP 200")
	return append(problems, st.check(d, r)...), nil
}

// findButton finds the button with actionID in the latest channel message
// that has one, and returns the click on it (who clicks is the caller's).
func (d *demo) findButton(actionID string) (slackbot.Click, bool) {
	calls := d.stack.slack.Calls()
	for i := len(calls) - 1; i >= 0; i-- {
		c := calls[i]
		if c.Method != slackrec.PostMessage || c.ThreadTS != "" || c.Failed {
			continue
		}
		if b, ok := c.Button(actionID); ok {
			return slackbot.Click{ChannelID: c.Channel, ActionID: b.ActionID, BlockID: b.BlockID, Value: b.Value, MessageTS: c.TS}, true
		}
	}
	return slackbot.Click{}, false
}

// lastView is the ID of the form opened last.
func (d *demo) lastView() (string, bool) {
	calls := d.stack.slack.Calls(slackrec.ViewsOpen)
	for i := len(calls) - 1; i >= 0; i-- {
		if !calls[i].Failed {
			return calls[i].ViewID, true
		}
	}
	return "", false
}

// openedView is the text of the form opened among calls.
func openedView(calls []slackrec.Call) (string, bool) {
	for _, c := range calls {
		if c.Method == slackrec.ViewsOpen && !c.Failed {
			return renderView(c.View), true
		}
	}
	return "", false
}

// formValues lists a submission's values, one per line, in block order.
func formValues(values map[string]string) string {
	var b strings.Builder
	for _, k := range []string{form.BlockName, form.BlockProject, form.BlockRegion, form.BlockTier, form.BlockMaxTier, form.BlockSampleSolar, form.BlockChannel} {
		if v, ok := values[k]; ok {
			fmt.Fprintf(&b, "\n     %s: %s", k, v)
		}
	}
	return b.String()
}

// channelPost is the rendered text of the messages posted in the channel
// (not in a thread).
func channelPost(calls []slackrec.Call) string {
	var b strings.Builder
	for _, c := range calls {
		if c.Method == slackrec.PostMessage && c.ThreadTS == "" && !c.Failed {
			b.WriteString(renderMessage(c.Text, c.Blocks))
		}
	}
	return b.String()
}

// privateAnswer reports whether an answer only the caller sees contains s.
func privateAnswer(calls []slackrec.Call, s string) bool {
	for _, c := range calls {
		if (c.Method == slackrec.ResponseURL && c.ResponseType == "ephemeral" || c.Method == slackrec.PostEphemeral) &&
			!c.Failed && strings.Contains(c.Text, s) {
			return true
		}
	}
	return false
}

// threadReply is the rendered text of the replies posted in a thread.
func threadReply(calls []slackrec.Call) string {
	var b strings.Builder
	for _, c := range calls {
		if c.Method == slackrec.PostMessage && c.ThreadTS != "" && !c.Failed {
			b.WriteString(c.Text + "\n" + renderMessage(c.Text, c.Blocks))
		}
	}
	return b.String()
}

// parentUpdated reports whether the parent message was updated to a text
// containing mark.
func parentUpdated(calls []slackrec.Call, mark string) bool {
	for _, c := range calls {
		if c.Method == slackrec.Update && !c.Failed && strings.Contains(c.Text, mark) {
			return true
		}
	}
	return false
}

// expect returns what was expected when ok is false.
func expect(ok bool, what string) []string {
	if ok {
		return nil
	}
	return []string{what}
}

func all(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// posts leaves out the policy's group-membership reads (a denial looks the
// caller's groups up to say what they have): what remains is what the bot
// said or changed in Slack.
func posts(calls []slackrec.Call) []slackrec.Call {
	var out []slackrec.Call
	for _, c := range calls {
		if c.Method != slackrec.UsergroupsUsersList {
			out = append(out, c)
		}
	}
	return out
}
