package atlas

import (
	"context"
	"time"
)

// SetSleep replaces c's wait between retries, so tests outside the package
// (against atlastest) never really sleep.
func SetSleep(c *Client, sleep func(ctx context.Context, d time.Duration) error) { c.sleep = sleep }
