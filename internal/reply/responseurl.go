package reply

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// slackResponseHosts are the hosts Slack's response_urls live on:
// commercial Slack (https://hooks.slack.com/commands/…, …/actions/…) and
// GovSlack, which runs on slack-gov.com
// (https://docs.slack.dev/govslack).
var slackResponseHosts = []string{"hooks.slack.com", "hooks.slack-gov.com"}

// ErrResponseURLRefused is wrapped by the error of a post to a response_url
// that is not Slack's: the poster sends nothing there.
var ErrResponseURLRefused = errors.New("response_url: not a Slack response URL; nothing sent")

// CheckResponseURL reports whether the poster may post to raw: an https
// URL on one of Slack's response_url hosts (hooks.slack.com,
// hooks.slack-gov.com) on the default port, with no user info; or, when
// apiURL (SLACK_API_URL) is set, a URL on exactly its origin (scheme, host
// and port), which is how a local or test Slack hands out response_urls.
//
// The worker takes the response_url from the Job, and whoever may invoke
// the worker writes the Job: without this check the worker would POST
// wherever a Job says (a server-side request forgery, worse inside a VPC).
// The error never quotes raw, which is a credential.
func CheckResponseURL(raw, apiURL string) error {
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Host == "" || u.Opaque != "" {
		return ErrResponseURLRefused
	}
	if u.Scheme == "https" && u.Port() == "" {
		for _, h := range slackResponseHosts {
			if strings.EqualFold(u.Host, h) {
				return nil
			}
		}
	}
	if apiURL != "" {
		if a, err := url.Parse(apiURL); err == nil && a.Host != "" &&
			strings.EqualFold(a.Scheme, u.Scheme) && strings.EqualFold(a.Host, u.Host) {
			return nil
		}
	}
	return ErrResponseURLRefused
}

// WithSlackAPIURL accepts response_urls on apiURL's origin besides Slack's
// own hosts (see [CheckResponseURL]): SLACK_API_URL, for a local or test
// Slack.
func WithSlackAPIURL(apiURL string) PosterOption {
	return func(p *Poster) { p.apiURL = apiURL }
}

// noRedirects makes a copy of hc that follows no redirect: a response_url
// on Slack's host that answered with one would otherwise lead the post
// anywhere. The redirect itself comes back as a non-200 status.
func noRedirects(hc *http.Client) *http.Client {
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}
