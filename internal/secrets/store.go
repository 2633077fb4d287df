// Package secrets gives the functions their secrets: from AWS Secrets
// Manager when the ARN variable is set (in Lambda), otherwise from plain
// environment variables (local runs). A [Store] caches what it read from
// Secrets Manager for the life of the container and re-reads it on demand
// when a secret may have been rotated.
//
// The variables (DESIGN.md, "Configuration contract"):
//
//	SLACK_SIGNING_SECRET_ARN  JSON {"signing_secret": "..."}  (the Slack function only)
//	SLACK_BOT_TOKEN_ARN       JSON {"bot_token": "xoxb-..."}   (both functions)
//	SLACK_SECRET_ARN   JSON {"signing_secret": "...", "bot_token": "xoxb-..."}
//	                     (one secret for both values: the first layout, still read)
//	SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN                          (local)
//	ATLAS_SECRET_ARN   JSON {"client_id": "...", "client_secret": "..."}
//	                     or {"public_key": "...", "private_key": "..."}
//	MONGODB_ATLAS_CLIENT_ID, MONGODB_ATLAS_CLIENT_SECRET           (local)
//	MONGODB_ATLAS_PUBLIC_API_KEY, MONGODB_ATLAS_PRIVATE_API_KEY    (local)
//
// When an ARN variable is set it wins and the plain variables are ignored;
// when SLACK_SIGNING_SECRET_ARN or SLACK_BOT_TOKEN_ARN is set, SLACK_SECRET_ARN
// is ignored. The split secrets let each function read only the values it
// uses: the worker never needs the signing secret.
// Every problem is an [*Error] naming the ARN (or the variables) and the key
// at fault, never a value. Nothing in this package logs, and the value
// types [Slack] and [Atlas] print placeholders instead of their values.
package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/streambot/streambot/internal/awsreq"
)

// The environment variables a Store reads.
const (
	EnvSlackSecretARN     = "SLACK_SECRET_ARN"
	EnvSlackSigningARN    = "SLACK_SIGNING_SECRET_ARN"
	EnvSlackBotTokenARN   = "SLACK_BOT_TOKEN_ARN"
	EnvSlackSigningSecret = "SLACK_SIGNING_SECRET"
	EnvSlackBotToken      = "SLACK_BOT_TOKEN"
	EnvAtlasSecretARN     = "ATLAS_SECRET_ARN"
	EnvAtlasClientID      = "MONGODB_ATLAS_CLIENT_ID"
	EnvAtlasClientSecret  = "MONGODB_ATLAS_CLIENT_SECRET"
	EnvAtlasPublicKey     = "MONGODB_ATLAS_PUBLIC_API_KEY"
	EnvAtlasPrivateKey    = "MONGODB_ATLAS_PRIVATE_API_KEY"
)

// DefaultTimeout bounds each Secrets Manager fetch unless [WithTimeout]
// says otherwise. It is well under Slack's 3-second acknowledgement window.
const DefaultTimeout = 2 * time.Second

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock used to age cached secrets (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// WithTimeout bounds each fetch from Secrets Manager, including building the
// client on first use (default [DefaultTimeout]). The caller's context
// still applies. d <= 0 means no bound beyond the caller's context.
func WithTimeout(d time.Duration) Option { return func(s *Store) { s.timeout = d } }

// WithClientFactory sets how a Store built without an API (see [NewStore])
// builds its Secrets Manager client on the first fetch. The default builds
// it from the variables AWS Lambda sets, with [EnvAWSConfig] and
// AWS_ENDPOINT_URL_SECRETS_MANAGER (or AWS_ENDPOINT_URL). A program run on a
// laptop can pass one built with [NewClient] on config.LoadDefaultConfig,
// to keep the SDK's whole credential chain (profiles, SSO); NewClient takes
// the region, the credentials, the base endpoint and the attempt count from
// that config, not a profile's per-service endpoint, retry mode or FIPS
// setting. A failure is not remembered: the next fetch calls f again.
func WithClientFactory(f func(context.Context) (GetSecretValueAPI, error)) Option {
	return func(s *Store) { s.newAPI = f }
}

// Store loads and caches secrets. Its methods are safe for concurrent use;
// a failed fetch is never cached. Create it once per container (in main's
// init path) and share it.
type Store struct {
	getenv  func(string) string
	now     func() time.Time
	timeout time.Duration

	apiMu  sync.Mutex
	api    GetSecretValueAPI // nil until first needed when built from the environment
	newAPI func(context.Context) (GetSecretValueAPI, error)

	slack cache[Slack]
	atlas cache[Atlas]
	// signing and bot cache the split Slack secrets.
	signing cache[string]
	bot     cache[string]
}

// cache holds one secret read from Secrets Manager. mu is held during a
// fetch, so concurrent callers wait for one request instead of sending many.
type cache[T any] struct {
	mu    sync.Mutex
	ok    bool
	value T
	at    time.Time // when value was read
	// tried is when the last read ended, whether it succeeded or failed:
	// RefreshSlack's rate limit counts failures too.
	tried time.Time
}

// NewStore returns a Store that reads variables through getenv (os.Getenv,
// or a map in tests) and secrets through api. If api is nil, the Store builds
// the real Secrets Manager client itself on the first fetch (see
// [NewStoreFromEnv]). NewStore does not validate the variables; use
// NewStoreFromEnv for that.
func NewStore(getenv func(string) string, api GetSecretValueAPI, opts ...Option) *Store {
	s := &Store{getenv: getenv, api: api, newAPI: defaultClientFactory, now: time.Now, timeout: DefaultTimeout}
	for _, o := range opts {
		o(s)
	}
	return s
}

// validSecretID reports whether id looks like a Secrets Manager secret name
// or ARN: 1 to 1000 of A-Z a-z 0-9 / _ + = . @ : -. It catches a value
// pasted into the wrong variable (say a secret's JSON) without echoing it.
//
// It is the regular expression ^[A-Za-z0-9/_+=.@:-]{1,1000}$ written out:
// compiling that (the bounded repetition unrolls into a thousand states) took
// about 7 ms and 0.6 MB at every process start, on the cold-start path.
func validSecretID(id string) bool {
	if len(id) < 1 || len(id) > 1000 {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("/_+=.@:-", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// NewStoreFromEnv returns the Store the functions use: secrets from Secrets
// Manager for each ARN variable that is set, otherwise from the plain
// variables. It checks that the ARN variables hold an ARN or a secret name and
// reports every problem (as *Error values joined with errors.Join).
//
// To keep cold starts small, no AWS work happens here: the client is built
// on the first fetch, within that fetch's context and timeout, and only if
// an ARN variable is set. By default it is built from the process
// environment the way Lambda provides it (AWS_REGION, the credential
// variables, and AWS_ENDPOINT_URL_SECRETS_MANAGER for tests; see
// [EnvAWSConfig] for why not config.LoadDefaultConfig); [WithClientFactory]
// changes that. ctx is currently unused and kept so that eager checks can be
// added without changing callers.
func NewStoreFromEnv(ctx context.Context, getenv func(string) string, opts ...Option) (*Store, error) {
	var errs []error
	for _, name := range []string{EnvSlackSecretARN, EnvSlackSigningARN, EnvSlackBotTokenARN, EnvAtlasSecretARN} {
		if v := getenv(name); v != "" && !validSecretID(v) {
			errs = append(errs, &Error{Source: name, Problem: ProblemBadID})
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return NewStore(getenv, nil, opts...), nil
}

// Slack returns the Slack secrets. With SLACK_SECRET_ARN set, the secret is
// fetched once and cached for the Store's life; both keys must be present
// and non-empty. Otherwise the values come from SLACK_SIGNING_SECRET and
// SLACK_BOT_TOKEN, either of which may be empty (a local run may need only
// one; callers check the field they use); if neither is set the error wraps
// [ErrNotConfigured].
//
// With SLACK_SIGNING_SECRET_ARN or SLACK_BOT_TOKEN_ARN set, each of those
// that is set is fetched once and cached, and the value of the other is
// empty: a function reads only the secret it was given.
func (s *Store) Slack(ctx context.Context) (Slack, error) {
	if s.split() {
		return s.slackSplit(ctx)
	}
	arn := s.getenv(EnvSlackSecretARN)
	if arn == "" {
		return s.slackFromEnv()
	}
	s.slack.mu.Lock()
	defer s.slack.mu.Unlock()
	if s.slack.ok {
		return s.slack.value, nil
	}
	return s.fetchSlack(ctx, arn)
}

// RefreshSlack re-reads the Slack secret from Secrets Manager if the last
// read, successful or not, ended more than minAge ago (or nothing is
// cached), and reports whether it did. The Slack edge calls it when a
// signature fails, in case the secret was rotated; since anyone can send a
// request with a bad signature, at most one re-read per minAge happens, and
// a failed one counts, so while Secrets Manager fails forged requests
// cannot each wait on it. Within minAge it returns the cached copy and
// false. Because a concurrent call may have just refreshed it, compare the
// returned secret with the one that failed rather than relying on the bool
// alone. On error the previous copy stays cached. Without SLACK_SECRET_ARN
// it returns the plain variables and false.
func (s *Store) RefreshSlack(ctx context.Context, minAge time.Duration) (Slack, bool, error) {
	if s.split() {
		return s.refreshSigning(ctx, minAge)
	}
	arn := s.getenv(EnvSlackSecretARN)
	if arn == "" {
		v, err := s.slackFromEnv()
		return v, false, err
	}
	s.slack.mu.Lock()
	defer s.slack.mu.Unlock()
	if s.slack.ok && s.now().Sub(s.slack.tried) < minAge {
		return s.slack.value, false, nil
	}
	v, err := s.fetchSlack(ctx, arn)
	if err != nil {
		return Slack{}, false, err
	}
	return v, true, nil
}

// fetchSlack reads and caches the Slack secret; s.slack.mu is held.
func (s *Store) fetchSlack(ctx context.Context, arn string) (Slack, error) {
	defer func() { s.slack.tried = s.now() }()
	m, err := s.fetchJSON(ctx, EnvSlackSecretARN, arn)
	if err != nil {
		return Slack{}, err
	}
	var v Slack
	if v.SigningSecret, err = requireKey(arn, m, "signing_secret"); err != nil {
		return Slack{}, err
	}
	if v.BotToken, err = requireKey(arn, m, "bot_token"); err != nil {
		return Slack{}, err
	}
	s.slack.value, s.slack.at, s.slack.ok = v, s.now(), true
	return v, nil
}

// split reports whether the Slack values come from their own secrets.
func (s *Store) split() bool {
	return s.getenv(EnvSlackSigningARN) != "" || s.getenv(EnvSlackBotTokenARN) != ""
}

// slackSplit returns the values of the split Slack secrets that are
// configured.
func (s *Store) slackSplit(ctx context.Context) (Slack, error) {
	var v Slack
	if arn := s.getenv(EnvSlackSigningARN); arn != "" {
		s.signing.mu.Lock()
		sec, err := s.signing.value, error(nil)
		if !s.signing.ok {
			sec, err = s.fetchKey(ctx, &s.signing, EnvSlackSigningARN, arn, "signing_secret")
		}
		s.signing.mu.Unlock()
		if err != nil {
			return Slack{}, err
		}
		v.SigningSecret = sec
	}
	if arn := s.getenv(EnvSlackBotTokenARN); arn != "" {
		s.bot.mu.Lock()
		tok, err := s.bot.value, error(nil)
		if !s.bot.ok {
			tok, err = s.fetchKey(ctx, &s.bot, EnvSlackBotTokenARN, arn, "bot_token")
		}
		s.bot.mu.Unlock()
		if err != nil {
			return Slack{}, err
		}
		v.BotToken = tok
	}
	return v, nil
}

// refreshSigning is RefreshSlack for split secrets: it re-reads the
// signing secret alone, with the same rate limit.
func (s *Store) refreshSigning(ctx context.Context, minAge time.Duration) (Slack, bool, error) {
	arn := s.getenv(EnvSlackSigningARN)
	if arn == "" {
		v, err := s.slackSplit(ctx)
		return v, false, err
	}
	s.signing.mu.Lock()
	refreshed := false
	if !s.signing.ok || s.now().Sub(s.signing.tried) >= minAge {
		if _, err := s.fetchKey(ctx, &s.signing, EnvSlackSigningARN, arn, "signing_secret"); err != nil {
			s.signing.mu.Unlock()
			return Slack{}, false, err
		}
		refreshed = true
	}
	s.signing.mu.Unlock()
	v, err := s.slackSplit(ctx)
	return v, refreshed && err == nil, err
}

// fetchKey reads secret arn (variable env), which must hold key, and
// caches its value in c; c.mu is held.
func (s *Store) fetchKey(ctx context.Context, c *cache[string], env, arn, key string) (string, error) {
	defer func() { c.tried = s.now() }()
	m, err := s.fetchJSON(ctx, env, arn)
	if err != nil {
		return "", err
	}
	v, err := requireKey(arn, m, key)
	if err != nil {
		return "", err
	}
	c.value, c.at, c.ok = v, s.now(), true
	return v, nil
}

func (s *Store) slackFromEnv() (Slack, error) {
	v := Slack{SigningSecret: s.getenv(EnvSlackSigningSecret), BotToken: s.getenv(EnvSlackBotToken)}
	if v == (Slack{}) {
		return Slack{}, &Error{
			Source:  EnvSlackSecretARN + ", " + EnvSlackSigningSecret + ", " + EnvSlackBotToken,
			Problem: ProblemNotConfigured,
			Err:     ErrNotConfigured,
		}
	}
	return v, nil
}

// Atlas returns the Atlas credentials, exactly one pair set. With
// ATLAS_SECRET_ARN set, the secret is fetched once and cached for the
// Store's life. Otherwise the values come from the MONGODB_ATLAS_*
// variables; if none is set the error wraps [ErrNotConfigured].
func (s *Store) Atlas(ctx context.Context) (Atlas, error) {
	arn := s.getenv(EnvAtlasSecretARN)
	if arn == "" {
		return s.atlasFromEnv()
	}
	s.atlas.mu.Lock()
	defer s.atlas.mu.Unlock()
	if s.atlas.ok {
		return s.atlas.value, nil
	}
	return s.fetchAtlas(ctx, arn)
}

// RefreshAtlas re-reads the Atlas credentials unconditionally; the worker
// calls it once after Atlas answers 401, in case the secret was rotated. On
// error the previous copy stays cached.
func (s *Store) RefreshAtlas(ctx context.Context) (Atlas, error) {
	arn := s.getenv(EnvAtlasSecretARN)
	if arn == "" {
		return s.atlasFromEnv()
	}
	s.atlas.mu.Lock()
	defer s.atlas.mu.Unlock()
	return s.fetchAtlas(ctx, arn)
}

// fetchAtlas reads and caches the Atlas secret; s.atlas.mu is held.
func (s *Store) fetchAtlas(ctx context.Context, arn string) (Atlas, error) {
	m, err := s.fetchJSON(ctx, EnvAtlasSecretARN, arn)
	if err != nil {
		return Atlas{}, err
	}
	for _, k := range []string{"client_id", "client_secret", "public_key", "private_key"} {
		if v, ok := m[k]; ok {
			if _, isString := v.(string); !isString {
				return Atlas{}, &Error{Source: arn, Key: k, Problem: ProblemNotString}
			}
		}
	}
	str := func(k string) string { v, _ := m[k].(string); return v }
	v, err := atlasPair(arn,
		pair{"client_id", str("client_id"), "client_secret", str("client_secret")},
		pair{"public_key", str("public_key"), "private_key", str("private_key")})
	if err != nil {
		return Atlas{}, err
	}
	s.atlas.value, s.atlas.at, s.atlas.ok = v, s.now(), true
	return v, nil
}

func (s *Store) atlasFromEnv() (Atlas, error) {
	sa := pair{EnvAtlasClientID, s.getenv(EnvAtlasClientID), EnvAtlasClientSecret, s.getenv(EnvAtlasClientSecret)}
	key := pair{EnvAtlasPublicKey, s.getenv(EnvAtlasPublicKey), EnvAtlasPrivateKey, s.getenv(EnvAtlasPrivateKey)}
	source := EnvAtlasClientID + ", " + EnvAtlasClientSecret + ", " + EnvAtlasPublicKey + ", " + EnvAtlasPrivateKey
	if !sa.any() && !key.any() {
		return Atlas{}, &Error{Source: EnvAtlasSecretARN + ", " + source, Problem: ProblemNotConfigured, Err: ErrNotConfigured}
	}
	return atlasPair(source, sa, key)
}

// pair is one Atlas credential pair: names (JSON keys or variables) and values.
type pair struct{ idName, id, secretName, secret string }

func (p pair) any() bool { return p.id != "" || p.secret != "" }

// atlasPair checks that exactly one pair is set, completely.
func atlasPair(source string, sa, key pair) (Atlas, error) {
	switch {
	case sa.any() && key.any():
		return Atlas{}, &Error{Source: source, Problem: ProblemBothPairs}
	case !sa.any() && !key.any():
		return Atlas{}, &Error{Source: source, Problem: ProblemNoPair}
	}
	p := sa
	if key.any() {
		p = key
	}
	if p.id == "" {
		return Atlas{}, &Error{Source: source, Key: p.idName, Problem: ProblemMissingKey}
	}
	if p.secret == "" {
		return Atlas{}, &Error{Source: source, Key: p.secretName, Problem: ProblemMissingKey}
	}
	if sa.any() {
		return Atlas{ClientID: p.id, ClientSecret: p.secret}, nil
	}
	return Atlas{PublicKey: p.id, PrivateKey: p.secret}, nil
}

// requireKey returns m[key], which must be a non-empty string.
func requireKey(source string, m map[string]any, key string) (string, error) {
	v, ok := m[key]
	if !ok {
		return "", &Error{Source: source, Key: key, Problem: ProblemMissingKey}
	}
	str, ok := v.(string)
	if !ok {
		return "", &Error{Source: source, Key: key, Problem: ProblemNotString}
	}
	if str == "" {
		return "", &Error{Source: source, Key: key, Problem: ProblemMissingKey}
	}
	return str, nil
}

// fetchJSON reads secret arn (the value of variable env) and decodes its
// SecretString as a JSON object.
// Decoding errors are not wrapped: their text can quote the secret.
func (s *Store) fetchJSON(ctx context.Context, env, arn string) (map[string]any, error) {
	if !validSecretID(arn) {
		return nil, &Error{Source: env, Problem: ProblemBadID}
	}
	if s.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}
	api, err := s.client(ctx)
	if err != nil {
		return nil, &Error{Source: arn, Problem: ProblemUnreadable, Err: err}
	}
	out, err := api.GetSecretValue(ctx, arn)
	if err != nil {
		if ae, ok := errors.AsType[*awsreq.Error](err); ok && ae.Code == "ResourceNotFoundException" {
			return nil, &Error{Source: arn, Problem: ProblemNotFound, Err: err}
		}
		return nil, &Error{Source: arn, Problem: ProblemUnreadable, Err: err}
	}
	if out.String == nil {
		if len(out.Binary) > 0 {
			return nil, &Error{Source: arn, Problem: ProblemBinary}
		}
		return nil, &Error{Source: arn, Problem: ProblemEmpty}
	}
	if *out.String == "" {
		return nil, &Error{Source: arn, Problem: ProblemEmpty}
	}
	var m map[string]any
	if json.Unmarshal([]byte(*out.String), &m) != nil || m == nil {
		return nil, &Error{Source: arn, Problem: ProblemNotJSON}
	}
	return m, nil
}

// client returns the Secrets Manager API, building the real client on first
// use. A failure is not remembered, so the next fetch tries again.
func (s *Store) client(ctx context.Context) (GetSecretValueAPI, error) {
	s.apiMu.Lock()
	defer s.apiMu.Unlock()
	if s.api != nil {
		return s.api, nil
	}
	api, err := s.newAPI(ctx)
	if err != nil {
		return nil, err
	}
	s.api = api
	return s.api, nil
}
