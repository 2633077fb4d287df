package atlas

import (
	"errors"
	"fmt"
	"testing"
)

func TestIsTokenError(t *testing.T) {
	token := &APIError{StatusCode: 503, Method: "POST", Path: "/api/oauth/token"}
	api := &APIError{StatusCode: 503, Method: "GET", Path: "groups/6a1b2c3d4e5f6a7b8c9d0e1f/streams/x"}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"token exchange", token, true},
		{"wrapped token exchange", fmt.Errorf("get: %w", token), true},
		{"api call", api, false},
		{"other error", errors.New("boom"), false},
		{"nil", nil, false},
	}
	for _, tc := range tests {
		if got := IsTokenError(tc.err); got != tc.want {
			t.Errorf("IsTokenError(%s) = %v, want %v", tc.name, got, tc.want)
		}
	}
}
