package state

import (
	"context"
	"time"
)

// NoBackoff makes c retry without waiting (its attempts and retry quota
// are unchanged), for tests of what the retries do.
func NoBackoff(c *DynamoClient) *DynamoClient {
	c.Sleep = func(context.Context, time.Duration) error { return nil }
	return c
}
