package atlastest

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// digestRealm is the realm Atlas names in its Digest challenges.
const digestRealm = "MMS Public API"

type nonce struct {
	issued time.Time
	nc     uint64 // highest nonce count used so far
}

// serveToken is POST /api/oauth/token: the OAuth 2.0 client credentials
// grant, with the client ID and secret in the Basic header (as
// golang.org/x/oauth2 and Atlas's docs send them) or in the form.
func (a *Atlas) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		oauthError(w, http.StatusMethodNotAllowed, "invalid_request", "Use POST.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "The form could not be parsed.")
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "Only client_credentials is supported.")
		return
	}
	id, secret, ok := r.BasicAuth()
	if ok {
		// RFC 6749 section 2.3.1: both are form-urlencoded inside the header.
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	a.mu.Lock()
	want, known := a.accounts[id]
	valid := known && subtle.ConstantTimeCompare([]byte(want), []byte(secret)) == 1
	var token string
	if valid {
		now := a.now()
		for t, exp := range a.tokens { // forget expired tokens in long runs
			if !now.Before(exp) {
				delete(a.tokens, t)
			}
		}
		token = "eyJ" + randomHex(64) // opaque, but shaped like the JWTs Atlas issues
		a.tokens[token] = now.Add(a.tokenTTL)
	}
	a.mu.Unlock()
	if !valid {
		w.Header().Set("WWW-Authenticate", `Basic realm="`+digestRealm+`"`)
		oauthError(w, http.StatusUnauthorized, "invalid_client", "Invalid client credentials.")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": token,
		"token_type":   "Bearer",
		"expires_in":   int(a.tokenTTL / time.Second),
	})
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// authenticate checks r's bearer token or Digest credentials, and answers
// 401 with a Digest challenge when neither is valid.
func (a *Atlas) authenticate(w http.ResponseWriter, r *http.Request) bool {
	h := r.Header.Get("Authorization")
	scheme, rest, _ := strings.Cut(h, " ")
	var ok, stale bool
	switch strings.ToLower(scheme) {
	case "bearer":
		ok = a.validToken(strings.TrimSpace(rest))
	case "digest":
		ok, stale = a.validDigest(r, rest)
	}
	if ok {
		return true
	}
	detail := "You are not authorized for this resource."
	if stale {
		detail = "The digest nonce has expired."
		w.Header().Set("WWW-Authenticate", a.newChallenge(true))
	}
	a.fail(w, r, http.StatusUnauthorized, CodeUnauthorized, detail, nil)
	return false
}

func (a *Atlas) validToken(token string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	exp, ok := a.tokens[token]
	if ok && !a.now().Before(exp) {
		delete(a.tokens, token)
		return false
	}
	return ok
}

// challenge adds a fresh Digest challenge, in the exact form Atlas sends
// (which github.com/mongodb-forks/digest parses: ", "-separated, no
// unknown parameters).
func (a *Atlas) challenge(w http.ResponseWriter) {
	if w.Header().Get("WWW-Authenticate") != "" {
		return
	}
	w.Header().Set("WWW-Authenticate", a.newChallenge(false))
}

func (a *Atlas) newChallenge(stale bool) string {
	n := randomHex(32)
	a.mu.Lock()
	now := a.now()
	for k, v := range a.nonces {
		if now.Sub(v.issued) > digestNonceTTL {
			delete(a.nonces, k)
		}
	}
	a.nonces[n] = &nonce{issued: now}
	a.mu.Unlock()
	return fmt.Sprintf(`Digest realm="%s", domain="", nonce="%s", algorithm=MD5, qop="auth", stale=%t`, digestRealm, n, stale)
}

// validDigest verifies RFC 7616 Digest credentials (MD5, qop=auth): a known
// public key, a nonce this server issued and that has not expired, a nonce
// count that only grows, the request's own URI, and the right response
// hash. stale reports a correct answer to an expired nonce.
func (a *Atlas) validDigest(r *http.Request, params string) (ok, stale bool) {
	p := parseDigest(params)
	if p["qop"] != "auth" || (p["algorithm"] != "" && !strings.EqualFold(p["algorithm"], "MD5")) ||
		p["realm"] != digestRealm || p["uri"] != r.URL.RequestURI() {
		return false, false
	}
	nc, err := strconv.ParseUint(p["nc"], 16, 64)
	if err != nil || p["cnonce"] == "" {
		return false, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	secret, known := a.apiKeys[p["username"]]
	n := a.nonces[p["nonce"]]
	if !known || n == nil {
		return false, false
	}
	ha1 := md5Hex(p["username"] + ":" + digestRealm + ":" + secret)
	ha2 := md5Hex(r.Method + ":" + p["uri"])
	want := md5Hex(strings.Join([]string{ha1, p["nonce"], p["nc"], p["cnonce"], "auth", ha2}, ":"))
	if subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(p["response"]))) != 1 {
		return false, false
	}
	if a.now().Sub(n.issued) > digestNonceTTL {
		delete(a.nonces, p["nonce"])
		return false, true
	}
	if nc <= n.nc {
		return false, false // a replayed nonce count
	}
	n.nc = nc
	return true, false
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// parseDigest splits the parameters of a Digest Authorization header
// (key=value or key="quoted value", comma-separated).
func parseDigest(s string) map[string]string {
	out := map[string]string{}
	for {
		s = strings.TrimLeft(s, " ,\t")
		if s == "" {
			return out
		}
		key, rest, ok := strings.Cut(s, "=")
		if !ok {
			return out
		}
		key = strings.ToLower(strings.TrimSpace(key))
		var val string
		if strings.HasPrefix(rest, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(rest) && rest[i] != '"'; i++ {
				if rest[i] == '\\' && i+1 < len(rest) {
					i++
				}
				b.WriteByte(rest[i])
			}
			val, s = b.String(), rest[min(i+1, len(rest)):]
		} else {
			val, s, _ = strings.Cut(rest, ",")
			val = strings.TrimSpace(val)
		}
		out[key] = val
	}
}
