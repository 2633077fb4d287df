package events_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/access"
	"github.com/streambot/streambot/internal/provision"
	"github.com/streambot/streambot/internal/secrets"
	"github.com/streambot/streambot/internal/slackbot"
	"github.com/streambot/streambot/pkg/atlas/atlasspec"
	"github.com/streambot/streambot/pkg/atlas/atlastest"
)

// The sample events are not only well-formed: the handlers accept them.

// recordingDispatcher keeps the Jobs the Slack handler hands off.
type recordingDispatcher struct {
	mu   sync.Mutex
	jobs []provision.Job
}

func (d *recordingDispatcher) Dispatch(_ context.Context, job provision.Job) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.jobs = append(d.jobs, job)
	return nil
}

// asDelivered is ev as the Lambda runtime hands it to the handler: written
// as the sample files are, read back.
func asDelivered(t *testing.T, ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPRequest {
	t.Helper()
	data, err := marshalEvent(ev)
	if err != nil {
		t.Fatal(err)
	}
	var req events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(data, &req); err != nil {
		t.Fatal(err)
	}
	return req
}

// slackHandler is the Slack function's handler as the sample events need
// it: the signing secret of Slack's documentation example, a policy that
// lets U2CERLKJA create and delete in dev, the clock at now, and a
// dispatcher that keeps the Jobs.
func slackHandler(t *testing.T, now time.Time) (*slackbot.Handler, *recordingDispatcher) {
	t.Helper()
	policy, err := access.Load([]byte(`
projects: {dev: 6a1b2c3d4e5f6a7b8c9d0e1f}
default_project: dev
grants:
  - {subjects: ["user:U2CERLKJA"], projects: [dev], role: GROUP_STREAM_PROCESSING_OWNER}
`))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{secrets.EnvSlackSigningSecret: exampleSigningSecret}
	d := &recordingDispatcher{}
	h, err := slackbot.New(slackbot.Config{
		Secrets:    secrets.NewStore(func(k string) string { return env[k] }, nil),
		Policy:     policy,
		Dispatcher: d,
		Now:        func() time.Time { return now },
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return h, d
}

// TestSlashCommandEventMakesJob runs slash-command.json, freshly signed (as
// `-resign` writes it), through the Slack function's handler and checks
// that the Job it hands to the worker is exactly job.json.
func TestSlashCommandEventMakesJob(t *testing.T) {
	req := asDelivered(t, slashCommandEvent(time.Now()))
	var want provision.Job
	decodeStrict(t, "job.json", &want)

	h, d := slackHandler(t, want.RequestedAt)
	resp, err := h.Handle(t.Context(), req)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("Handle = HTTP %d %s, want 200", resp.StatusCode, resp.Body)
	}
	if len(d.jobs) != 1 {
		t.Fatalf("Handle dispatched %d Jobs, want 1 (ack: %s)", len(d.jobs), resp.Body)
	}
	if diff := cmp.Diff(want, d.jobs[0]); diff != "" {
		t.Errorf("the Job for slash-command.json differs from job.json (-want +got):\n%s", diff)
	}
}

// TestCreateRequestEventReturnsWorkspace invokes the worker's handler with
// create-request.json, as `aws lambda invoke` would, against the in-memory
// Atlas, and checks that it returns the created workspace.
func TestCreateRequestEventReturnsWorkspace(t *testing.T) {
	var job provision.Job
	decodeStrict(t, "create-request.json", &job)
	a := atlastest.NewServer(t, atlastest.WithChecker(atlasspec.Checker{}))
	a.AddServiceAccount("mdb_sa_id_events", "events-secret")
	a.AddProject(job.GroupID)
	env := map[string]string{
		secrets.EnvAtlasClientID:     "mdb_sa_id_events",
		secrets.EnvAtlasClientSecret: "events-secret",
	}
	w, err := provision.NewWorker(provision.Deps{
		Atlas: provision.NewAtlasClients(secrets.NewStore(func(k string) string { return env[k] }, nil),
			provision.AtlasConfig{BaseURL: a.URL}),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	res, err := w.Handle(ctx, job)
	if err != nil {
		t.Fatalf("Handle(create-request.json): %v", err)
	}
	got, ok := a.Workspace(job.GroupID, job.Name)
	if !ok {
		t.Fatalf("Atlas holds no workspace %s after Handle = %+v", job.Name, res)
	}
	if res == nil || res.StreamWorkspace == nil || res.Name != job.Name || len(res.Hostnames) == 0 {
		t.Fatalf("Handle = %+v, want the workspace %s with its hostnames", res, job.Name)
	}
	if diff := cmp.Diff(got.Hostnames, res.Hostnames); diff != "" {
		t.Errorf("returned hostnames differ from Atlas's (-want +got):\n%s", diff)
	}
	// What `aws lambda invoke` prints is the Result as JSON.
	out, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(out, &back); err != nil || back["name"] != job.Name {
		t.Errorf("the Result encodes as %s, want a JSON object with name %q", out, job.Name)
	}
}

// TestBlockActionsEventMakesJob runs block-actions.json, freshly signed,
// through the Slack function's handler and checks that the Job it hands
// to the worker is exactly job-delete.json.
func TestBlockActionsEventMakesJob(t *testing.T) {
	req := asDelivered(t, blockActionsEvent(time.Now()))
	var want provision.Job
	decodeStrict(t, "job-delete.json", &want)
	h, d := slackHandler(t, want.RequestedAt)
	resp, err := h.Handle(t.Context(), req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("Handle = HTTP %d %s, %v; want 200", resp.StatusCode, resp.Body, err)
	}
	if len(d.jobs) != 1 {
		t.Fatalf("Handle dispatched %d Jobs, want 1", len(d.jobs))
	}
	if diff := cmp.Diff(want, d.jobs[0]); diff != "" {
		t.Errorf("the Job for block-actions.json differs from job-delete.json (-want +got):\n%s", diff)
	}
}

// TestViewSubmissionEventMakesJob runs view-submission.json, freshly
// signed, through the Slack function's handler: the form closes (an empty
// 200) and the Job it hands to the worker is the one the typed command
// `/stream create orders-ws --region VIRGINIA_USA --tier SP10 --max-tier
// SP50 --sample-solar --project dev` makes in the same channel.
func TestViewSubmissionEventMakesJob(t *testing.T) {
	_, payload := readViewSubmission(t)
	req := asDelivered(t, viewSubmissionEvent(payload, time.Now()))
	// A minute after the form in the sample was opened.
	now := time.Unix(1796601600, 0).Add(time.Minute).UTC()
	h, d := slackHandler(t, now)
	resp, err := h.Handle(t.Context(), req)
	if err != nil || resp.StatusCode != http.StatusOK || resp.Body != "" {
		t.Fatalf("Handle = HTTP %d %q, %v; want an empty 200 (the form closes)", resp.StatusCode, resp.Body, err)
	}
	// The typed command goes to a handler of its own: with the same
	// trigger_id, one handler would rightly answer it "already handled".
	h2, d2 := slackHandler(t, now)
	h2.Command(t.Context(), slack.SlashCommand{TeamID: "T1DC2JH3J", ChannelID: "C0123ABCD", UserID: "U2CERLKJA", UserName: "roadrunner",
		Command: "/stream", Text: "create orders-ws --region VIRGINIA_USA --tier SP10 --max-tier SP50 --sample-solar --project dev",
		TriggerID: "8123456789012.1234567890123.0123456789abcdef0123456789abcdef"})
	if len(d.jobs) != 1 || len(d2.jobs) != 1 {
		t.Fatalf("dispatched %d and %d Jobs, want the form's and the typed command's", len(d.jobs), len(d2.jobs))
	}
	if diff := cmp.Diff(d2.jobs[0], d.jobs[0]); diff != "" {
		t.Errorf("the Job for view-submission.json differs from the typed command's (-typed +form):\n%s", diff)
	}
}
