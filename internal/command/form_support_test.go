package command

import (
	"errors"
	"testing"
)

func TestCheckName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"orders-ws", "orders-ws"},
		{"  orders-ws\t", "orders-ws"},
		{"orders\u2011ws\u200b", "orders-ws"}, // what Parse makes of the same typing
		{"-x", "-x"},
	} {
		if got, err := CheckName(tc.in); err != nil || got != tc.want {
			t.Errorf("CheckName(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	// A bad name gets the parser's own message and suggestion, without the
	// usage line.
	for _, name := range []string{"orders_ws", "orders ws", "", "<@U123>", "x!"} {
		_, err := CheckName(name)
		var ue *UsageError
		if !errors.As(err, &ue) || ue.Usage != "" {
			t.Fatalf("CheckName(%q) = %v, want a *UsageError without usage", name, err)
		}
		_, perr := createCmd.parse([]string{"--", name})
		if name == "" {
			continue // Parse reports a missing name instead
		}
		if perr == nil || perr.Message != ue.Message || perr.Suggestion != ue.Suggestion {
			t.Errorf("CheckName(%q) = %q; Parse says %v", name, err, perr)
		}
	}
}
