package atlas

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

// FuzzErrorAnswer feeds arbitrary answers to the code that reads Atlas's
// error bodies, envelopes and Retry-After values: it must never panic, must
// keep the status it was given, must decode an ApiError body's errorCode,
// reason and detail as they are, and must keep only a short, valid UTF-8
// excerpt of a body that is not an ApiError.
func FuzzErrorAnswer(f *testing.F) {
	for _, code := range []string{"400", "401", "403", "404", "500"} {
		b, err := os.ReadFile(filepath.Join("testdata", "seed_error_"+code+".json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(400, b, "7")
	}
	f.Add(502, []byte("<html>bad gateway \xff</html>"), testNow.Add(90*1e9).Format(http.TimeFormat))
	f.Add(200, []byte(`{"status":404,"content":{"error":404,"errorCode":"RESOURCE_NOT_FOUND"}}`), "")
	f.Add(429, []byte(`{"error":"invalid_client","parameters":[1,{"a":[]}]}`), "-1")
	f.Fuzz(func(t *testing.T, status int, body []byte, retryAfter string) {
		st, payload := unwrapEnvelope(status, body)
		if len(payload) > len(body) {
			t.Errorf("unwrapEnvelope payload of %d bytes from a body of %d", len(payload), len(body))
		}
		e := parseErrorBody(st, payload)
		if e.StatusCode != st {
			t.Errorf("parseErrorBody(%d, %q).StatusCode = %d", st, payload, e.StatusCode)
		}
		if !utf8.ValidString(e.Body) || len(e.Body) > maxBodyExcerpt+len("…") {
			t.Errorf("Body excerpt %q: not valid UTF-8 or longer than %d bytes", e.Body, maxBodyExcerpt)
		}
		var probe map[string]json.RawMessage
		var want APIError
		if json.Unmarshal(payload, &probe) == nil && probe["errorCode"] != nil && json.Unmarshal(payload, &want) == nil {
			if e.ErrorCode != want.ErrorCode || e.Reason != want.Reason || e.Detail != want.Detail || e.Body != "" {
				t.Errorf("parseErrorBody(%d, %q) = code %q, reason %q, detail %q, excerpt %q; want the ApiError's %q, %q, %q",
					st, payload, e.ErrorCode, e.Reason, e.Detail, e.Body, want.ErrorCode, want.Reason, want.Detail)
			}
		}
		_ = e.Error()
		if d := parseRetryAfter(retryAfter, testNow); d < 0 {
			t.Errorf("parseRetryAfter(%q) = %v, want no negative wait", retryAfter, d)
		}
	})
}
