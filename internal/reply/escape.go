// Package reply is what streambot says in Slack and how it gets there: the
// ephemeral acks, the Block Kit thread replies, chat.postMessage and
// chat.update, and the response_url fallback. Every piece of user or Atlas
// text that goes into a message passes through [Escape] first.
package reply

import "strings"

// escaper implements Slack's three control-character escapes. Slack's
// formatting docs ask for exactly these: &, < and > become &amp;, &lt; and
// &gt;; everything else (including quotes) is left alone.
var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Escape makes s safe to echo inside a Slack mrkdwn or plain_text field: once
// escaped, `<!channel>`, `<@U123>` or `<http://x|y>` typed by a user shows
// as text and pings or links nobody.
func Escape(s string) string { return escaper.Replace(s) }
