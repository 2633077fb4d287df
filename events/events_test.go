// Package events_test parses every sample event in this directory into the
// input type of the function it is for, exactly as the Lambda runtime would,
// refusing unknown fields.
package events_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/button"
	"github.com/streambot/streambot/internal/command"
	"github.com/streambot/streambot/internal/provision"
	"github.com/streambot/streambot/internal/slackbot"
	"github.com/streambot/streambot/internal/state/statetest"
	"github.com/streambot/streambot/pkg/atlas"
)

var resign = flag.Bool("resign", false, "rewrite slash-command.json, block-actions.json and view-submission.json signed at the current time")

// exampleSigningSecret is the signing secret of Slack's own documentation
// example ("Verifying requests from Slack"); run the Slack function locally
// with SLACK_SIGNING_SECRET set to it to accept slash-command.json.
const exampleSigningSecret = "8f742231b10e8888abcd99yyyzzz85a5"

const slashCommandFile = "slash-command.json"

// slashFields are the fields Slack posts for `/stream create orders-ws
// --region VIRGINIA_USA --tier SP30`, in Slack's order, with the IDs of
// Slack's documentation examples.
var slashFields = [][2]string{
	{"token", "xyzz0WbapA4vBCDEFasx0q6G"},
	{"team_id", "T1DC2JH3J"},
	{"team_domain", "testteamnow"},
	{"channel_id", "C0123ABCD"},
	{"channel_name", "platform"},
	{"user_id", "U2CERLKJA"},
	{"user_name", "roadrunner"},
	{"command", "/stream"},
	{"text", "create orders-ws --region VIRGINIA_USA --tier SP30"},
	{"api_app_id", "A0KRD7HC3"},
	{"is_enterprise_install", "false"},
	{"response_url", "https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN"},
	{"trigger_id", "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"},
}

// slashBody encodes slashFields as Slack does (spaces as "+", "/" as %2F).
func slashBody() string {
	var b strings.Builder
	for i, f := range slashFields {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(f[0]) + "=" + url.QueryEscape(f[1]))
	}
	return b.String()
}

// slashForm returns slashFields as a form.
func slashForm() url.Values {
	form := url.Values{}
	for _, f := range slashFields {
		form.Add(f[0], f[1])
	}
	return form
}

// slashCommandEvent builds the HTTP API (payload 2.0) event API Gateway sends
// for the form above, signed at ts with exampleSigningSecret.
func slashCommandEvent(ts time.Time) events.APIGatewayV2HTTPRequest {
	return apiEvent("/slack/commands", slashBody(), ts)
}

// apiEvent builds the HTTP API (payload 2.0) event API Gateway sends for a
// POST of body to path, signed at ts with exampleSigningSecret.
func apiEvent(path, body string, ts time.Time) events.APIGatewayV2HTTPRequest {
	stamp := strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(exampleSigningSecret))
	mac.Write([]byte("v0:" + stamp + ":" + body))
	const (
		apiID = "abc123defg"
		host  = apiID + ".execute-api.us-east-1.amazonaws.com"
		agent = "Slackbot 1.0 (+https://api.slack.com/robots)"
	)
	return events.APIGatewayV2HTTPRequest{
		Version:        "2.0",
		RouteKey:       "POST " + path,
		RawPath:        path,
		RawQueryString: "",
		Headers: map[string]string{
			"accept":                    "application/json,*/*",
			"accept-encoding":           "gzip,deflate",
			"content-length":            strconv.Itoa(len(body)),
			"content-type":              "application/x-www-form-urlencoded",
			"host":                      host,
			"user-agent":                agent,
			"x-amzn-trace-id":           "Root=1-67d1546a-1a2b3c4d5e6f708192a3b4c5",
			"x-forwarded-for":           "3.92.12.34",
			"x-forwarded-port":          "443",
			"x-forwarded-proto":         "https",
			"x-slack-request-timestamp": stamp,
			"x-slack-signature":         "v0=" + hex.EncodeToString(mac.Sum(nil)),
		},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     "POST " + path,
			AccountID:    "123456789012",
			Stage:        "$default",
			RequestID:    "HqLOuhJ3IAMEPSg=",
			APIID:        apiID,
			DomainName:   host,
			DomainPrefix: apiID,
			Time:         ts.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    ts.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    "POST",
				Path:      path,
				Protocol:  "HTTP/1.1",
				SourceIP:  "3.92.12.34",
				UserAgent: agent,
			},
		},
		Body:            base64.StdEncoding.EncodeToString([]byte(body)),
		IsBase64Encoded: true,
	}
}

// marshalEvent encodes ev as API Gateway sends it: without the
// requestContext.authentication object, which only mutual TLS fills in
// (aws-lambda-go would write it out empty).
func marshalEvent(ev events.APIGatewayV2HTTPRequest) ([]byte, error) {
	data, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	delete(m["requestContext"].(map[string]any), "authentication")
	return json.MarshalIndent(m, "", "  ")
}

// decodeStrict unmarshals file into v, refusing unknown fields and trailing data.
func decodeStrict(t *testing.T, file string, v any) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if dec.More() {
		t.Fatalf("%s: data after the event", file)
	}
}

func TestSlashCommandEvent(t *testing.T) {
	if *resign {
		data, err := marshalEvent(slashCommandEvent(time.Now()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(slashCommandFile, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var ev events.APIGatewayV2HTTPRequest
	decodeStrict(t, slashCommandFile, &ev)

	// The file is exactly the event built above at its own timestamp: the
	// body, content-length and signature agree.
	sec, err := strconv.ParseInt(ev.Headers["x-slack-request-timestamp"], 10, 64)
	if err != nil {
		t.Fatalf("x-slack-request-timestamp: %v", err)
	}
	ts := time.UnixMilli(ev.RequestContext.TimeEpoch)
	if ts.Unix() != sec {
		t.Errorf("timeEpoch %d and x-slack-request-timestamp %d disagree", ev.RequestContext.TimeEpoch, sec)
	}
	if diff := cmp.Diff(slashCommandEvent(ts), ev); diff != "" {
		t.Errorf("%s differs from a freshly built event (-want +got); rebuild it with go test ./events -run SlashCommand -resign:\n%s", slashCommandFile, diff)
	}

	if ev.RequestContext.HTTP.Method != "POST" || ev.RawPath != "/slack/commands" || !ev.IsBase64Encoded {
		t.Errorf("event is %s %s (base64 %v), want POST /slack/commands, base64", ev.RequestContext.HTTP.Method, ev.RawPath, ev.IsBase64Encoded)
	}
	if ct := ev.Headers["content-type"]; ct != "application/x-www-form-urlencoded" {
		t.Errorf("content-type = %q", ct)
	}
	body, err := base64.StdEncoding.DecodeString(ev.Body)
	if err != nil {
		t.Fatalf("body is not base64: %v", err)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		t.Fatalf("body is not a form: %v", err)
	}
	if got := form.Get("command"); got != "/stream" {
		t.Errorf("command = %q, want /stream", got)
	}
	if got, want := form.Get("text"), "create orders-ws --region VIRGINIA_USA --tier SP30"; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}

	// Signed as Slack signs: v0=HMAC-SHA256(secret, "v0:" + timestamp + ":" + body).
	mac := hmac.New(sha256.New, []byte(exampleSigningSecret))
	mac.Write([]byte("v0:" + ev.Headers["x-slack-request-timestamp"] + ":"))
	mac.Write(body)
	if got, want := ev.Headers["x-slack-signature"], "v0="+hex.EncodeToString(mac.Sum(nil)); got != want {
		t.Errorf("x-slack-signature = %q, want %q", got, want)
	}
}

func TestJobEvent(t *testing.T) {
	var job provision.Job
	decodeStrict(t, "job.json", &job)
	form := slashForm()
	if job.Slack == nil {
		t.Fatal("job.json has no slack target")
	}
	want := provision.SlackTarget{
		TeamID:      form.Get("team_id"),
		ChannelID:   form.Get("channel_id"),
		UserID:      form.Get("user_id"),
		UserName:    form.Get("user_name"),
		ResponseURL: form.Get("response_url"),
		Command:     form.Get("command"),
	}
	if diff := cmp.Diff(want, *job.Slack); diff != "" {
		t.Errorf("slack target does not match slash-command.json (-want +got):\n%s", diff)
	}
	if job.ID != form.Get("trigger_id") {
		t.Errorf("id = %q, want the trigger_id", job.ID)
	}
	if job.Action != provision.ActionCreate || job.Name != "orders-ws" || job.Region != "VIRGINIA_USA" || job.Tier != "SP30" {
		t.Errorf("job = %+v, want create orders-ws in VIRGINIA_USA at SP30", job)
	}
	if err := atlas.ValidateCreate(job.GroupID, job.Workspace()); err != nil {
		t.Errorf("job.json is not a valid create request: %v", err)
	}
}

func TestCreateRequestEvent(t *testing.T) {
	var job provision.Job
	decodeStrict(t, "create-request.json", &job)
	want := provision.Job{
		GroupID:     "6a1b2c3d4e5f6a7b8c9d0e1f",
		Name:        "orders-ws",
		Provider:    "AWS",
		Region:      "VIRGINIA_USA",
		Tier:        "SP30",
		MaxTier:     "SP50",
		SampleSolar: true,
	}
	if diff := cmp.Diff(want, job); diff != "" {
		t.Errorf("create-request.json (-want +got):\n%s", diff)
	}
	if err := atlas.ValidateCreate(job.GroupID, job.Workspace()); err != nil {
		t.Errorf("create-request.json is not a valid create request: %v", err)
	}
}

const blockActionsFile = "block-actions.json"

// clickIssued is when the worker showed the delete confirmation that
// block-actions.json clicks (job-delete.json's request, a minute later).
var clickIssued = time.Date(2025, 3, 12, 9, 31, 0, 0, time.UTC)

// deleteConfirmation is the Delete button the worker rendered for
// job-delete.json: U2CERLKJA's delete of orders-ws on dev.
func deleteConfirmation() button.Value {
	return button.Value{Op: command.Delete, Step: button.StepConfirm, GroupID: "6a1b2c3d4e5f6a7b8c9d0e1f",
		Workspace: "orders-ws", Requester: "U2CERLKJA", OpID: "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
		IssuedAt: clickIssued}
}

// blockActionsEvent is the event API Gateway sends when U2CERLKJA clicks
// Delete on that confirmation, signed at ts.
func blockActionsEvent(ts time.Time) events.APIGatewayV2HTTPRequest {
	return clickEvent(deleteConfirmation(), "U2CERLKJA", "roadrunner", "1741771860.000200",
		"https://hooks.slack.com/actions/T1DC2JH3J/398738663016/xTa6mHJ4yCVCeB1Xr3tyfFgh",
		"398738663016.47445629121.1bd7e6f3b0c5f2c3a8d0e4b5c6a7d8e9", ts)
}

// clickEvent is the event of a click on v by user in C0123ABCD, signed at ts.
func clickEvent(v button.Value, user, userName, messageTS, responseURL, trigger string, ts time.Time) events.APIGatewayV2HTTPRequest {
	enc, err := v.Encode()
	if err != nil {
		panic(err)
	}
	return apiEvent("/slack/interactions", slackbot.ClickBody(slackbot.Click{
		TeamID: "T1DC2JH3J", ChannelID: "C0123ABCD", UserID: user, UserName: userName,
		ActionID: v.ActionID(), BlockID: v.BlockID(0), Value: enc, MessageTS: messageTS,
		ResponseURL: responseURL, TriggerID: trigger,
	}), ts)
}

// clickFile checks (or, with -resign, rewrites) a click event file
// against build, and returns the interaction it carries.
func clickFile(t *testing.T, file, run string, build func(time.Time) events.APIGatewayV2HTTPRequest) slack.InteractionCallback {
	t.Helper()
	if *resign {
		data, err := marshalEvent(build(time.Now()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var ev events.APIGatewayV2HTTPRequest
	decodeStrict(t, file, &ev)
	ts := time.UnixMilli(ev.RequestContext.TimeEpoch)
	if diff := cmp.Diff(build(ts), ev); diff != "" {
		t.Errorf("%s differs from a freshly built event (-want +got); rebuild it with go test ./events -run %s -resign:\n%s", file, run, diff)
	}
	body, err := base64.StdEncoding.DecodeString(ev.Body)
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, []byte(exampleSigningSecret))
	mac.Write([]byte("v0:" + ev.Headers["x-slack-request-timestamp"] + ":"))
	mac.Write(body)
	if got, want := ev.Headers["x-slack-signature"], "v0="+hex.EncodeToString(mac.Sum(nil)); got != want {
		t.Errorf("x-slack-signature = %q, want %q", got, want)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		t.Fatal(err)
	}
	// The payload is what slack-go parses; its button value is ours.
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
		t.Fatalf("payload: %v", err)
	}
	if cb.Type != slack.InteractionTypeBlockActions || len(cb.ActionCallback.BlockActions) != 1 {
		t.Fatalf("payload = %+v, want one block action", cb)
	}
	return cb
}

func TestBlockActionsEvent(t *testing.T) {
	cb := clickFile(t, blockActionsFile, "BlockActions", blockActionsEvent)
	a := cb.ActionCallback.BlockActions[0]
	v, err := button.Parse(a.Value, clickIssued)
	if err != nil || v != deleteConfirmation() || a.ActionID != v.ActionID() || v.CheckBlock(a.BlockID) != nil {
		t.Errorf("button = %+v (%v), action %q, block %q; want the delete confirmation", v, err, a.ActionID, a.BlockID)
	}
}

// TestUpdateAndDeleteJobs parses the Jobs of the interactive operations.
func TestUpdateAndDeleteJobs(t *testing.T) {
	var update provision.Job
	decodeStrict(t, "job-update.json", &update)
	if update.Action != provision.ActionUpdate || update.Tier != "SP50" || update.Click != nil {
		t.Errorf("job-update.json = %+v, want update orders-ws to SP50 (the question, no click)", update)
	}
	if err := atlas.ValidateUpdate(update.GroupID, update.Name, update.Update()); err != nil {
		t.Errorf("job-update.json is not a valid update: %v", err)
	}
	var del provision.Job
	decodeStrict(t, "job-delete.json", &del)
	if del.Action != provision.ActionDelete || del.Name != "orders-ws" || del.Click == nil || del.Click.Step != "confirm" {
		t.Errorf("job-delete.json = %+v, want the confirmed delete of orders-ws", del)
	}
	if del.Click.OpID != deleteConfirmation().OpID || !del.Click.IssuedAt.Equal(clickIssued) {
		t.Errorf("job-delete.json click = %+v, want block-actions.json's operation", del.Click)
	}
}

// TestProcessorJobs parses the Jobs of the processor operations: the list
// (with the Start and Stop buttons the caller may use), a start on another
// tier (:startWith), and the confirmed stop of a click.
func TestProcessorJobs(t *testing.T) {
	var list provision.Job
	decodeStrict(t, "job-processors.json", &list)
	if list.Action != provision.ActionProcessors || list.Name != "orders-ws" || list.Processor != "" ||
		strings.Join(list.Offers, ",") != "start,stop" || !provision.Handles(list.Action) {
		t.Errorf("job-processors.json = %+v, want the processors of orders-ws offering start and stop", list)
	}
	var start provision.Job
	decodeStrict(t, "job-start.json", &start)
	m, p, body, err := provision.Preview(start)
	if err != nil || start.Action != provision.ActionStart || m != http.MethodPost ||
		!strings.HasSuffix(p, "/streams/orders-ws/processor/solarDemo:startWith") || string(body) != `{"tier":"SP10"}` {
		t.Errorf("job-start.json = %+v: preview %s %s %s, %v; want :startWith on SP10", start, m, p, body, err)
	}
	var stop provision.Job
	decodeStrict(t, "job-stop.json", &stop)
	if stop.Action != provision.ActionStop || stop.Processor != "solarDemo" || stop.Click == nil || stop.Click.Step != "confirm" {
		t.Errorf("job-stop.json = %+v, want the confirmed stop of solarDemo", stop)
	}
	if err := provision.Check(stop); err != nil {
		t.Errorf("job-stop.json is not a valid stop: %v", err)
	}
}

const viewSubmissionFile = "view-submission.json"

// viewSubmissionEvent is the event API Gateway sends when Slack posts
// payload (a view_submission) to the interactivity URL, signed at ts.
func viewSubmissionEvent(payload string, ts time.Time) events.APIGatewayV2HTTPRequest {
	return apiEvent("/slack/interactions", url.Values{"payload": {payload}}.Encode(), ts)
}

// readViewSubmission reads view-submission.json and returns the event and
// the view_submission payload it carries.
func readViewSubmission(t *testing.T) (events.APIGatewayV2HTTPRequest, string) {
	t.Helper()
	var ev events.APIGatewayV2HTTPRequest
	decodeStrict(t, viewSubmissionFile, &ev)
	body, err := base64.StdEncoding.DecodeString(ev.Body)
	if err != nil {
		t.Fatalf("%s: body is not base64: %v", viewSubmissionFile, err)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil || len(form) != 1 || form.Get("payload") == "" {
		t.Fatalf("%s: body %q is not one payload field (%v)", viewSubmissionFile, body, err)
	}
	return ev, form.Get("payload")
}

// TestViewSubmissionEvent checks view-submission.json: U2CERLKJA submits
// the create form opened by `/stream create` in C0123ABCD (orders-ws on
// dev, VIRGINIA_USA, SP10 up to SP50, the sample connection), signed like
// every request from Slack and parsed as slack-go parses it.
func TestViewSubmissionEvent(t *testing.T) {
	ev, payload := readViewSubmission(t)
	if *resign {
		data, err := marshalEvent(viewSubmissionEvent(payload, time.Now()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(viewSubmissionFile, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		ev, payload = readViewSubmission(t)
	}
	ts := time.UnixMilli(ev.RequestContext.TimeEpoch)
	if diff := cmp.Diff(viewSubmissionEvent(payload, ts), ev); diff != "" {
		t.Errorf("%s differs from a freshly built event (-want +got); rebuild it with go test ./events -run ViewSubmission -resign:\n%s", viewSubmissionFile, diff)
	}
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(payload), &cb); err != nil {
		t.Fatalf("payload: %v", err)
	}
	if cb.Type != slack.InteractionTypeViewSubmission || cb.View.CallbackID != "create_workspace" || cb.User.ID != "U2CERLKJA" ||
		cb.View.PrivateMetadata != "v1|C0123ABCD|U2CERLKJA|1796601600" || cb.View.State == nil || len(cb.View.State.Values) != 6 {
		t.Errorf("payload = %+v, want U2CERLKJA's create form from C0123ABCD with its six fields", cb)
	}
	if got := cb.View.State.Values["name"]["name"].Value; got != "orders-ws" {
		t.Errorf("name = %q, want orders-ws", got)
	}
}

const approvalClickFile = "approval-click.json"

// approvalRequest is the Approve button of the approval request the
// worker posted for U2CERLKJA's create of billing-ws on prod (a protected
// project); U0LEAD clicks it in approval-click.json.
func approvalRequest() button.Value {
	return button.Value{Op: command.Create, Step: button.StepApprove, GroupID: "5f1a2b3c4d5e6f7a8b9c0d1e",
		Workspace: "billing-ws", Requester: "U2CERLKJA", OpID: "398738663017.47445629121.0c1d2e3f405162738495a6b7c8d9e0f1",
		IssuedAt: clickIssued}
}

// approvalClickEvent is the event API Gateway sends when U0LEAD clicks
// Approve, signed at ts.
func approvalClickEvent(ts time.Time) events.APIGatewayV2HTTPRequest {
	return clickEvent(approvalRequest(), "U0LEAD", "lead", "1741771920.000300",
		"https://hooks.slack.com/actions/T1DC2JH3J/398738663018/aB3dE5fG7hI9jK1lM3nO5pQ7",
		"398738663018.47445629121.2ce8f704c1d6e3d4b9e1f5c6d7b8e9fa", ts)
}

func TestApprovalClickEvent(t *testing.T) {
	cb := clickFile(t, approvalClickFile, "ApprovalClick", approvalClickEvent)
	a := cb.ActionCallback.BlockActions[0]
	v, err := button.Parse(a.Value, clickIssued)
	if err != nil || v != approvalRequest() || a.ActionID != "streambot.approve.create" || v.CheckBlock(a.BlockID) != nil || cb.User.ID != "U0LEAD" {
		t.Errorf("the click is %+v (%v) on %s by %s, want U0LEAD approving the create", v, err, a.ActionID, cb.User.ID)
	}
}

// TestHistoryJob: job-history.json is the Job of `/stream history
// orders-ws` on dev, answered by the worker from the state table.
func TestHistoryJob(t *testing.T) {
	var j provision.Job
	decodeStrict(t, "job-history.json", &j)
	if j.Action != provision.ActionHistory || j.Name != "orders-ws" || j.GroupID != "6a1b2c3d4e5f6a7b8c9d0e1f" || j.Slack == nil ||
		j.Slack.ResponseURL == "" || j.Approval != nil {
		t.Errorf("job-history.json = %+v, want the history of orders-ws on dev", j)
	}
	if _, err := command.Parse("history " + j.Name); err != nil {
		t.Errorf("the command behind it does not parse: %v", err)
	}
}

// TestSweepApprovalsEvent: sweep-approvals.json is what EventBridge sends
// the worker every 15 minutes: the Input of CreateFunction's
// ExpireApprovals schedule in infra/template.yaml, exactly.
func TestSweepApprovalsEvent(t *testing.T) {
	var j provision.Job
	decodeStrict(t, "sweep-approvals.json", &j)
	if diff := cmp.Diff(provision.Job{Action: provision.ActionSweepApprovals}, j); diff != "" {
		t.Errorf("sweep-approvals.json (-want +got):\n%s", diff)
	}
	_, input, err := statetest.SweepInput()
	if err != nil {
		t.Fatal(err)
	}
	var fromTemplate, fromFile any
	file, _ := os.ReadFile("sweep-approvals.json")
	if err := json.Unmarshal([]byte(input), &fromTemplate); err != nil {
		t.Fatalf("the template's sweep Input %q: %v", input, err)
	}
	if err := json.Unmarshal(file, &fromFile); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fromTemplate, fromFile); diff != "" {
		t.Errorf("sweep-approvals.json differs from the template's Input (-template +file):\n%s", diff)
	}
}
