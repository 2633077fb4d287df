package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/streambot/streambot/internal/access"
	"github.com/streambot/streambot/pkg/atlas/atlasspec"
	"github.com/streambot/streambot/pkg/atlas/atlastest"
)

// TestMain holds every Atlas the tests embed (demo, serve, newStack) to
// MongoDB's spec, as the simulator was before the binary stopped linking
// the validator: a request the spec rejects gets 400, and the demo fails on
// any answer of the simulator's own that breaks it.
func TestMain(m *testing.M) {
	embeddedAtlasOpts = []atlastest.Option{atlastest.WithChecker(atlasspec.Checker{})}
	os.Exit(m.Run())
}

// The embedded Atlas in the tests refuses what the spec refuses: a create
// carrying the read-only _id.
func TestEmbeddedAtlasIsSpecChecked(t *testing.T) {
	policy, err := access.Load(demoPolicy)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SLACK_SIGNING_SECRET": "local-secret"}
	s, err := newStack(t.Context(), stackOptions{getenv: func(k string) string { return env[k] },
		log: slog.New(slog.NewTextHandler(io.Discard, nil)), policy: policy})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const groupID = "6a1b2c3d4e5f6a7b8c9d0e1f"
	s.atlas.AddProject(groupID)
	s.atlas.AddServiceAccount("mdb_sa_id_spec", "spec-secret")

	tr, err := http.NewRequest(http.MethodPost, s.atlas.URL+"/api/oauth/token",
		strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	tr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	tr.SetBasicAuth("mdb_sa_id_spec", "spec-secret")
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	do(t, tr, &tok)

	const v = "application/vnd.atlas.2023-02-01+json"
	cr, err := http.NewRequest(http.MethodPost, s.atlas.URL+"/api/atlas/v2/groups/"+groupID+"/streams", strings.NewReader(
		`{"name":"w1","_id":"6a1b2c3d4e5f6a7b8c9d0e1f","dataProcessRegion":{"cloudProvider":"AWS","region":"VIRGINIA_USA"}}`))
	if err != nil {
		t.Fatal(err)
	}
	cr.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	cr.Header.Set("Accept", v)
	cr.Header.Set("Content-Type", v)
	var apiErr struct {
		Error     int    `json:"error"`
		ErrorCode string `json:"errorCode"`
	}
	do(t, cr, &apiErr)
	if apiErr.Error != http.StatusBadRequest || apiErr.ErrorCode != atlastest.CodeValidationError {
		t.Errorf("create with a read-only _id = %+v, want 400 %s", apiErr, atlastest.CodeValidationError)
	}
}

// do sends r and decodes the JSON answer, whatever its status, into v.
func do(t *testing.T, r *http.Request, v any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("%s %s: %d: %v", r.Method, r.URL.Path, resp.StatusCode, err)
	}
}
