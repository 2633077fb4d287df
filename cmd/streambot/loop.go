package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"syscall"
)

// demoCommand is the command text the local loop suggests sending.
const demoCommand = "create orders-ws --region VIRGINIA_USA"

// printSendHint tells the person who started serve the one command that
// talks to it.
func printSendHint(w io.Writer, target string) {
	fmt.Fprintf(w, "Send it a command from another terminal (same SLACK_SIGNING_SECRET; make slash does it for make serve):\n  go run ./cmd/streambot slash --url %s %q\n", target, demoCommand)
}

// unreachable rewrites a failed slash request to a target where nothing
// listens into the question a person needs: is serve running there?
func unreachable(target string, err error) error {
	var op *net.OpError
	if !errors.Is(err, syscall.ECONNREFUSED) && !(errors.As(err, &op) && op.Op == "dial") {
		return fmt.Errorf("slash: %w", err)
	}
	host := target
	if u, perr := url.Parse(target); perr == nil && u.Host != "" {
		host = u.Host
	}
	return fmt.Errorf("slash: nothing answered at %s: is `streambot serve` running on %s? (start it with make serve)", shownURL(target), host)
}
