package atlas

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mongodb-forks/digest"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// tokenEarlyExpiry is how long before its expiry a service-account token is
// replaced, so that a call (with its retries) never starts with a token
// about to lapse.
const tokenEarlyExpiry = time.Minute

// authenticator wraps the wire transport with authentication. tokenURL and
// timeout serve the token exchange of service accounts.
type authenticator func(wire http.RoundTripper, tokenURL string, timeout time.Duration) http.RoundTripper

// WithServiceAccount authenticates as an Atlas service account: OAuth 2.0
// client credentials exchanged at <origin>/api/oauth/token (credentials in
// the Basic header) for a bearer token. The token is reused by every call,
// including concurrent ones, until a minute before it expires. A call whose
// context ends while the token is being fetched returns at once.
//
// See https://www.mongodb.com/docs/atlas/api/service-accounts-overview/
func WithServiceAccount(clientID, clientSecret string) Option {
	return func(s *settings) error {
		if clientID == "" || clientSecret == "" {
			return errors.New("atlas: WithServiceAccount: client ID and client secret are required")
		}
		s.auth = append(s.auth, func(wire http.RoundTripper, tokenURL string, timeout time.Duration) http.RoundTripper {
			cfg := &clientcredentials.Config{
				ClientID:     clientID,
				ClientSecret: clientSecret,
				TokenURL:     tokenURL,
				AuthStyle:    oauth2.AuthStyleInHeader,
			}
			// Token requests go over the same wire transport, unauthenticated.
			ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: wire, Timeout: timeout})
			src := oauth2.ReuseTokenSourceWithExpiry(nil, tokenSource{cfg: cfg, ctx: ctx}, tokenEarlyExpiry)
			return &bearerTransport{src: src, base: wire}
		})
		return nil
	}
}

// WithAPIKey authenticates with a (legacy) Atlas programmatic API key over
// HTTP Digest, the public key being the user name.
//
// See https://www.mongodb.com/docs/atlas/configure-api-access/
func WithAPIKey(publicKey, privateKey string) Option {
	return func(s *settings) error {
		if publicKey == "" || privateKey == "" {
			return errors.New("atlas: WithAPIKey: public key and private key are required")
		}
		s.auth = append(s.auth, func(wire http.RoundTripper, _ string, _ time.Duration) http.RoundTripper {
			return digest.NewTransportWithHTTPRoundTripper(publicKey, privateKey, wire)
		})
		return nil
	}
}

// tokenSource fetches a fresh token on every call; oauth2's reuse source
// around it caches the token and serialises concurrent refreshes.
type tokenSource struct {
	cfg *clientcredentials.Config
	ctx context.Context // carries the HTTP client for the token exchange
}

// Token implements oauth2.TokenSource. Its errors never contain the
// client secret: a refused exchange becomes an [APIError] built from the
// status and the endpoint's error fields only.
func (ts tokenSource) Token() (*oauth2.Token, error) {
	tok, err := ts.cfg.Token(ts.ctx)
	if err == nil {
		return tok, nil
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		e := parseErrorBody(re.Response.StatusCode, re.Body)
		if e.ErrorCode == "" {
			e.ErrorCode = re.ErrorCode // RFC 6749's error, e.g. invalid_client
			e.Detail = re.ErrorDescription
		}
		if e.Reason == "" {
			e.Reason = http.StatusText(re.Response.StatusCode)
		}
		e.Body = "" // the token endpoint's raw text stays out of errors
		// Belt and braces: never repeat the secret, even if an endpoint
		// echoed it back.
		e.Detail = redact(e.Detail, ts.cfg.ClientSecret)
		e.Reason = redact(e.Reason, ts.cfg.ClientSecret)
		e.ErrorCode = redact(e.ErrorCode, ts.cfg.ClientSecret)
		e.Parameters = nil
		e.Method = http.MethodPost
		e.Path = "/" + tokenPath
		e.RetryAfter = parseRetryAfter(re.Response.Header.Get("Retry-After"), time.Now())
		return nil, e
	}
	// A transport error names the token URL, never the credentials, which
	// travel only in the Authorization header.
	return nil, fmt.Errorf("atlas: service account token: %w", err)
}

// redact replaces every occurrence of secret in s.
func redact(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "[redacted]")
}

// bearerTransport adds the service account's bearer token to every request.
// Unlike oauth2.Transport, it stops waiting for the token when the
// request's context ends: oauth2's token sources take no context, so the
// exchange itself (bounded by the client's timeout) finishes in the
// background, and its token is cached for the next call.
type bearerTransport struct {
	src  oauth2.TokenSource // caching and safe for concurrent use
	base http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t *bearerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := t.token(req.Context())
	if err != nil {
		if req.Body != nil {
			req.Body.Close() // a RoundTripper closes the body, even on error
		}
		return nil, err
	}
	r := req.Clone(req.Context()) // a RoundTripper must not modify req
	tok.SetAuthHeader(r)
	return t.base.RoundTrip(r)
}

// token returns the cached or a fresh token, or ctx's error if ctx ends
// first.
func (t *bearerTransport) token(ctx context.Context) (*oauth2.Token, error) {
	type result struct {
		tok *oauth2.Token
		err error
	}
	ch := make(chan result, 1)
	go func() {
		tok, err := t.src.Token()
		ch <- result{tok, err}
	}()
	select {
	case r := <-ch:
		return r.tok, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
