// Command floor is the floor of the `streambot serve` start-up benchmark
// (BENCHMARKS.md): the least a Go program can do to acknowledge a Slack
// slash command. It listens on a loopback address, checks each request's
// Slack signature (v0, HMAC-SHA256 over "v0:timestamp:body", timestamp
// within 5 minutes), reads the form and answers with an ephemeral
// acknowledgement; a button click on /slack/interactions gets the same
// check, its payload decoded, and an empty 200. No policy, no parser, no
// worker: whatever `streambot serve` needs beyond this to reach its first
// ack is its own start-up cost.
//
//	SLACK_SIGNING_SECRET=… floor [-addr 127.0.0.1:3000]
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:3000", "loopback address to listen on")
	flag.Parse()
	secret := os.Getenv("SLACK_SIGNING_SECRET")
	if secret == "" {
		log.Fatal("floor: set SLACK_SIGNING_SECRET")
	}
	if host, _, err := net.SplitHostPort(*addr); err != nil || !net.ParseIP(host).IsLoopback() {
		log.Fatalf("floor: --addr %q: want a loopback address", *addr)
	}
	http.Handle("POST /slack/commands", handler([]byte(secret)))
	http.Handle("POST /slack/interactions", clickHandler([]byte(secret)))
	log.Fatal(http.ListenAndServe(*addr, nil))
}

// ack is the acknowledgement's JSON body.
type ack struct {
	ResponseType string `json:"response_type"`
	Text         string `json:"text"`
}

// handler verifies and acknowledges slash commands.
func handler(secret []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
		if err != nil {
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		if !valid(secret, r.Header, body, time.Now()) {
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			http.Error(w, "malformed form", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(ack{ResponseType: "ephemeral", Text: "Working on it: " + form.Get("text")})
	}
}

// click is the least of a block_actions payload a bot reads: what was
// clicked.
type click struct {
	Type    string `json:"type"`
	Actions []struct {
		ActionID string `json:"action_id"`
		Value    string `json:"value"`
	} `json:"actions"`
}

// clickHandler verifies and acknowledges button clicks: the signature, the
// payload field decoded as JSON, an empty 200.
func clickHandler(secret []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
		if err != nil {
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		if !valid(secret, r.Header, body, time.Now()) {
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		form, err := url.ParseQuery(string(body))
		var c click
		if err != nil || json.Unmarshal([]byte(form.Get("payload")), &c) != nil || len(c.Actions) == 0 {
			http.Error(w, "malformed payload", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusOK)
	}
}

// valid reports whether the request carries a fresh, correct Slack signature.
func valid(secret []byte, h http.Header, body []byte, now time.Time) bool {
	ts := h.Get("X-Slack-Request-Timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || now.Sub(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		return false
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("v0:" + ts + ":"))
	m.Write(body)
	want := "v0=" + hex.EncodeToString(m.Sum(nil))
	return hmac.Equal([]byte(want), []byte(h.Get("X-Slack-Signature")))
}
