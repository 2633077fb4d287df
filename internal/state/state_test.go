package state_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/streambot/streambot/internal/state"
)

func TestDerivedID(t *testing.T) {
	a := state.DerivedID("v1|delete|orders-ws", "U0ALICE")
	if a != state.DerivedID("v1|delete|orders-ws", "U0ALICE") {
		t.Errorf("DerivedID is not stable")
	}
	for _, other := range []string{
		state.DerivedID("v1|delete|orders-ws", "U0BOB"),
		state.DerivedID("v1|delete|orders-wsU0ALICE"),
		state.DerivedID("v1|delete|orders-wsU", "0ALICE"),
	} {
		if other == a {
			t.Errorf("DerivedID collides for different parts: %s", a)
		}
	}
	if !strings.HasPrefix(a, "d-") || len(a) != 42 || len(a) > state.MaxIDLength {
		t.Errorf("DerivedID = %q, want d- and 40 hex digits", a)
	}
}

func TestStatus(t *testing.T) {
	final := map[state.Status]bool{
		state.StatusQueued: false, state.StatusPendingApproval: false, state.StatusApproved: false,
		state.StatusRunning: false, state.StatusRejected: true, state.StatusCancelled: true,
		state.StatusExpired: true, state.StatusDone: true, state.StatusFailed: true,
	}
	for s, want := range final {
		if !s.Valid() || s.Final() != want {
			t.Errorf("%s: Valid %v Final %v, want true and %v", s, s.Valid(), s.Final(), want)
		}
	}
	if state.Status("maybe").Valid() {
		t.Errorf(`Status("maybe").Valid() = true`)
	}
}

func TestExpired(t *testing.T) {
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	op := state.Operation{Status: state.StatusPendingApproval, ExpiresAt: now}
	if !op.Expired(now) || op.Expired(now.Add(-time.Second)) {
		t.Errorf("Expired at and before ExpiresAt = %v, %v; want true, false", op.Expired(now), op.Expired(now.Add(-time.Second)))
	}
	op.Status = state.StatusApproved
	if op.Expired(now.Add(time.Hour)) {
		t.Errorf("an approved operation reports Expired")
	}
}

// The Job may hold a response_url, a credential: it stays out of logs.
func TestOperationLogValueHidesRequest(t *testing.T) {
	var buf bytes.Buffer
	op := state.Operation{ID: "op.1", Kind: "create", Request: []byte(`{"response_url":"https://hooks.slack.com/commands/T/1/secret"}`)}
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("operation", "op", op)
	if strings.Contains(buf.String(), "hooks.slack.com") || !strings.Contains(buf.String(), `"id":"op.1"`) {
		t.Errorf("log = %s, want the id and not the request", buf.String())
	}
}
