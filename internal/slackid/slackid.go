// Package slackid checks the shape of the identifiers streambot reads back
// from data it does not fully trust (button values, Jobs, the state table):
// Slack user and conversation IDs, message timestamps, mentions, operation
// IDs. They are loops rather than regular expressions on purpose: a
// bounded repetition such as {1,64} compiles into a large program at
// package init (0.1–0.3 ms each, on the Slack function's cold start).
package slackid

import "strings"

// shape reports whether s is one byte of first (none when first is "")
// followed by min to max bytes that ok accepts.
func shape(s, first string, min, max int, ok func(byte) bool) bool {
	if first != "" {
		if s == "" || strings.IndexByte(first, s[0]) < 0 {
			return false
		}
		s = s[1:]
	}
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func upperOrDigit(c byte) bool { return 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' }

func digit(c byte) bool { return '0' <= c && c <= '9' }

func opIDByte(c byte) bool {
	return upperOrDigit(c) || 'a' <= c && c <= 'z' || c == '.' || c == '_' || c == '-'
}

// User reports whether s is a Slack user ID as a button carries it:
// U or W, then 2 to 20 upper-case letters or digits.
func User(s string) bool { return shape(s, "UW", 2, 20, upperOrDigit) }

// Channel reports whether s is a conversation ID: C, D or G, then 1 to 20
// upper-case letters or digits.
func Channel(s string) bool { return shape(s, "CDG", 1, 20, upperOrDigit) }

// TS reports whether s is a message timestamp such as 1700000000.000100:
// 1 to 12 digits, a dot, 1 to 8 digits.
func TS(s string) bool {
	sec, frac, ok := strings.Cut(s, ".")
	return ok && shape(sec, "", 1, 12, digit) && shape(frac, "", 1, 8, digit)
}

// OpID reports whether s fits a button's operation ID: 1 to 64 ASCII
// letters, digits, dots, underscores and hyphens (Slack's trigger_id does).
func OpID(s string) bool { return shape(s, "", 1, 64, opIDByte) }

// Mention reports whether s is a user mention (<@U…>, <@W…>) or a user
// group mention (<!subteam^S…>), with 1 to 20 upper-case letters or digits
// after the kind's letter: the only mrkdwn an approver list may carry.
func Mention(s string) bool {
	if id, ok := strings.CutPrefix(s, "<@"); ok {
		id, ok = strings.CutSuffix(id, ">")
		return ok && shape(id, "UW", 1, 20, upperOrDigit)
	}
	if id, ok := strings.CutPrefix(s, "<!subteam^"); ok {
		id, ok = strings.CutSuffix(id, ">")
		return ok && shape(id, "S", 1, 20, upperOrDigit)
	}
	return false
}
