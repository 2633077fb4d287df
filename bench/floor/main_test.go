package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/streambot/streambot/bench/slashload"
)

func TestHandler(t *testing.T) {
	const secret = "floor-secret"
	body := slashload.NewCommand("U0ALICE", "create orders-ws").Form()
	tests := []struct {
		name       string
		secret     string
		at         time.Time
		wantStatus int
	}{
		{"signed now", secret, time.Now(), http.StatusOK},
		{"wrong secret", "other", time.Now(), http.StatusUnauthorized},
		{"six minutes old", secret, time.Now().Add(-6 * time.Minute), http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, sig := slashload.Sign(tt.secret, body, tt.at)
			req := httptest.NewRequest(http.MethodPost, "/slack/commands", strings.NewReader(string(body)))
			req.Header.Set("X-Slack-Request-Timestamp", ts)
			req.Header.Set("X-Slack-Signature", sig)
			rec := httptest.NewRecorder()
			handler([]byte(secret)).ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d", rec.Code, tt.wantStatus)
			}
			if tt.wantStatus == http.StatusOK {
				if err := slashload.CheckAck(rec.Code, rec.Body.Bytes()); err != nil || !strings.Contains(rec.Body.String(), "create orders-ws") {
					t.Errorf("ack %s: %v", rec.Body, err)
				}
			}
		})
	}
}

func TestClickHandler(t *testing.T) {
	const secret = "floor-secret"
	for _, tt := range []struct {
		name       string
		body       []byte
		secret     string
		wantStatus int
	}{
		{"a click", slashload.ClickBody("U0ALICE"), secret, http.StatusOK},
		{"wrong secret", slashload.ClickBody("U0ALICE"), "other", http.StatusUnauthorized},
		{"no payload", []byte("foo=bar"), secret, http.StatusBadRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ts, sig := slashload.Sign(tt.secret, tt.body, time.Now())
			req := httptest.NewRequest(http.MethodPost, "/slack/interactions", strings.NewReader(string(tt.body)))
			req.Header.Set("X-Slack-Request-Timestamp", ts)
			req.Header.Set("X-Slack-Signature", sig)
			rec := httptest.NewRecorder()
			clickHandler([]byte(secret)).ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d", rec.Code, tt.wantStatus)
			}
			if tt.wantStatus == http.StatusOK {
				if err := slashload.CheckEmpty(rec.Code, rec.Body.Bytes()); err != nil {
					t.Error(err)
				}
			}
		})
	}
}
