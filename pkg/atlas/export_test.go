package atlas

import (
	"context"
	"time"
)

// SetSleep replaces c's wait between retries, so tests outside the package
// (against atlastest) never really sleep, and turns the backoff's jitter
// off so that they can assert the waits.
func SetSleep(c *Client, sleep func(ctx context.Context, d time.Duration) error) {
	c.sleep = sleep
	c.jitter = func(d time.Duration) time.Duration { return d }
}
