package provision

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/reply"
	"github.com/streambot/streambot/internal/secrets"
	"github.com/streambot/streambot/pkg/atlas"
)

// AtlasAPI is the part of *atlas.Client the worker uses.
type AtlasAPI interface {
	CreateStreamWorkspace(ctx context.Context, groupID string, w *atlas.StreamWorkspace, opts ...atlas.CallOption) (*atlas.StreamWorkspace, error)
	GetStreamWorkspace(ctx context.Context, groupID, name string, opts ...atlas.CallOption) (*atlas.StreamWorkspace, error)
	AllStreamWorkspaces(ctx context.Context, groupID string) ([]atlas.StreamWorkspace, error)
	UpdateStreamWorkspace(ctx context.Context, groupID, name string, u *atlas.StreamWorkspaceUpdate, opts ...atlas.CallOption) (*atlas.StreamWorkspace, error)
	DeleteStreamWorkspace(ctx context.Context, groupID, name string, opts ...atlas.CallOption) error
	ProjectUser(ctx context.Context, groupID, username string) (*atlas.ProjectUser, error)

	// A workspace's stream processors and connections.
	AllStreamProcessors(ctx context.Context, groupID, workspace string) ([]atlas.StreamProcessor, error)
	GetStreamProcessor(ctx context.Context, groupID, workspace, name string, opts ...atlas.CallOption) (*atlas.StreamProcessor, error)
	StartStreamProcessor(ctx context.Context, groupID, workspace, name string, opts ...atlas.CallOption) error
	StartStreamProcessorWith(ctx context.Context, groupID, workspace, name string, start *atlas.StartOptions, opts ...atlas.CallOption) error
	StopStreamProcessor(ctx context.Context, groupID, workspace, name string, opts ...atlas.CallOption) error
	AllStreamConnections(ctx context.Context, groupID, workspace string) ([]atlas.StreamConnection, error)
}

// AtlasSource hands the worker the container's Atlas client. RefreshAtlas
// re-reads the credentials and rebuilds the client; the worker calls it
// once after Atlas answers 401 (the secret may have been rotated).
type AtlasSource interface {
	Atlas(ctx context.Context) (AtlasAPI, error)
	RefreshAtlas(ctx context.Context) (AtlasAPI, error)
}

// SlackAPI is the part of slack-go's *slack.Client the worker uses.
type SlackAPI interface {
	reply.ChatAPI
	GetUserInfoContext(ctx context.Context, user string, options ...slack.GetUserInfoOption) (*slack.User, error)
}

// SlackSource hands the worker a Slack Web API client with the bot token.
type SlackSource interface {
	Slack(ctx context.Context) (SlackAPI, error)
}

// AtlasSecrets is the part of *secrets.Store [AtlasClients] reads.
type AtlasSecrets interface {
	Atlas(ctx context.Context) (secrets.Atlas, error)
	RefreshAtlas(ctx context.Context) (secrets.Atlas, error)
}

// AtlasConfig says how [AtlasClients] builds a client.
type AtlasConfig struct {
	// BaseURL is the Atlas origin (ATLAS_BASE_URL); empty means Atlas's.
	BaseURL string
	// APIVersion is the media type date (ATLAS_API_VERSION); empty means
	// the client's default.
	APIVersion string
	// UserAgent is sent with every request; empty means the client's.
	UserAgent string
	// HTTPClient is the base client (its transport carries the requests);
	// nil means a plain one.
	HTTPClient *http.Client
	// Options are added last (tests use atlas.WithMaxAttempts).
	Options []atlas.Option
}

// AtlasClients is the [AtlasSource] for Lambda and local runs: it builds
// one *atlas.Client from the credentials in secrets (a service account or
// an API key) and keeps it, with its cached OAuth token, for the
// container's life. It is safe for concurrent use.
type AtlasClients struct {
	secrets AtlasSecrets
	cfg     AtlasConfig

	mu     sync.Mutex
	client *atlas.Client
}

// NewAtlasClients returns a source that reads credentials from s on first
// use.
func NewAtlasClients(s AtlasSecrets, cfg AtlasConfig) *AtlasClients {
	return &AtlasClients{secrets: s, cfg: cfg}
}

// Atlas returns the cached client, building it on first use.
func (a *AtlasClients) Atlas(ctx context.Context) (AtlasAPI, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.client != nil {
		return a.client, nil
	}
	creds, err := a.secrets.Atlas(ctx)
	if err != nil {
		return nil, err
	}
	return a.build(creds)
}

// RefreshAtlas re-reads the secret and replaces the cached client.
func (a *AtlasClients) RefreshAtlas(ctx context.Context) (AtlasAPI, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	creds, err := a.secrets.RefreshAtlas(ctx)
	if err != nil {
		return nil, err
	}
	return a.build(creds)
}

// build makes a client for creds; a.mu is held.
func (a *AtlasClients) build(creds secrets.Atlas) (AtlasAPI, error) {
	hc := &http.Client{}
	if a.cfg.HTTPClient != nil {
		*hc = *a.cfg.HTTPClient
	}
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	hc.Transport = countingTransport{base: base}

	opts := []atlas.Option{atlas.WithHTTPClient(hc)}
	if a.cfg.BaseURL != "" {
		opts = append(opts, atlas.WithBaseURL(a.cfg.BaseURL))
	}
	if a.cfg.APIVersion != "" {
		opts = append(opts, atlas.WithAPIVersion(a.cfg.APIVersion))
	}
	if a.cfg.UserAgent != "" {
		opts = append(opts, atlas.WithUserAgent(a.cfg.UserAgent))
	}
	if creds.ServiceAccount() {
		opts = append(opts, atlas.WithServiceAccount(creds.ClientID, creds.ClientSecret))
	} else {
		opts = append(opts, atlas.WithAPIKey(creds.PublicKey, creds.PrivateKey))
	}
	c, err := atlas.NewClient(append(opts, a.cfg.Options...)...)
	if err != nil {
		return nil, err
	}
	a.client = c
	return c, nil
}

// createCounter counts the create requests Atlas answered during one Job,
// including the ones the client repeated after a 429 on its own.
type createCounter struct{ n atomic.Int32 }

type counterKey struct{}

func withCreateCounter(ctx context.Context) (context.Context, *createCounter) {
	c := &createCounter{}
	return context.WithValue(ctx, counterKey{}, c), c
}

// countingTransport counts POSTs to .../streams carrying a createCounter in
// their context. A 401 (a digest challenge) is not a try.
type countingTransport struct{ base http.RoundTripper }

func (t countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if c, ok := r.Context().Value(counterKey{}).(*createCounter); ok &&
		r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/streams") &&
		(err != nil || resp.StatusCode != http.StatusUnauthorized) {
		c.n.Add(1)
	}
	return resp, err
}

// SlackSecrets is the part of *secrets.Store [SlackClients] reads.
type SlackSecrets interface {
	Slack(ctx context.Context) (secrets.Slack, error)
}

// SlackClients is the [SlackSource] for Lambda and local runs: a slack-go
// client with the bot token from secrets, built on first use and kept.
type SlackClients struct {
	secrets SlackSecrets
	opts    []slack.Option

	mu     sync.Mutex
	client *slack.Client
}

// NewSlackClients returns a source that reads the bot token from s on
// first use; opts go to slack.New (slack.OptionAPIURL for SLACK_API_URL,
// slack.OptionHTTPClient).
func NewSlackClients(s SlackSecrets, opts ...slack.Option) *SlackClients {
	return &SlackClients{secrets: s, opts: opts}
}

// Slack returns the cached client, building it on first use.
func (s *SlackClients) Slack(ctx context.Context) (SlackAPI, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client != nil {
		return s.client, nil
	}
	sec, err := s.secrets.Slack(ctx)
	if err != nil {
		return nil, err
	}
	if sec.BotToken == "" {
		return nil, errors.New("slack: no bot token")
	}
	s.client = slack.New(sec.BotToken, s.opts...)
	return s.client, nil
}
