package state

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/streambot/streambot/internal/awsreq"
)

// The programs people run link neither the SDK's DynamoDB client nor its
// Secrets Manager client: service/dynamodb (its types, schemas and
// endpoint rules) cost each bootstrap about 0.9 MB and 0.6 to 0.9 ms of
// package initialization, service/secretsmanager 0.85 MB and about 0.3 ms.
// Tests may use them (statetest creates tables, the secrets tests
// secrets).
func TestProgramsLinkNoSDKServiceClients(t *testing.T) {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	for _, p := range []string{"./functions/slack", "./functions/create", "./cmd/streambot"} {
		cmd := exec.Command("go", "list", "-deps", p)
		cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", p, err)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 50 || !containsPrefix(deps, "github.com/streambot/streambot/internal/state") {
			t.Fatalf("go list -deps %s listed %d packages, without internal/state: %q", p, len(deps), out)
		}
		// The SDK's clients of the services awsreq.JSONClient speaks to
		// (the state table's DynamoDB, the secrets' Secrets Manager).
		for _, sdk := range []string{"github.com/aws/aws-sdk-go-v2/service/dynamodb", "github.com/aws/aws-sdk-go-v2/service/secretsmanager"} {
			if containsPrefix(deps, sdk) {
				t.Errorf("%s links %s", p, sdk)
			}
		}
	}
}

func containsPrefix(deps []string, pkg string) bool {
	for _, d := range deps {
		if d == pkg || strings.HasPrefix(d, pkg+"/") {
			return true
		}
	}
	return false
}

// received is one request as a server playing DynamoDB saw it.
type received struct {
	target, contentType, acceptEncoding string
	body                                map[string]any
	raw                                 string
	header                              http.Header
}

// fakeDDB plays DynamoDB: it answers each request with the next of answers
// (the last one repeats) and keeps what it received.
type fakeDDB struct {
	*httptest.Server
	mu      sync.Mutex
	got     []received
	answers []func(http.ResponseWriter)
}

func newFakeDDB(t *testing.T, answers ...func(http.ResponseWriter)) *fakeDDB {
	f := &fakeDDB{answers: answers}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Errorf("request body is not JSON: %q", raw)
		}
		f.mu.Lock()
		f.got = append(f.got, received{target: r.Header.Get("X-Amz-Target"), contentType: r.Header.Get("Content-Type"),
			acceptEncoding: r.Header.Get("Accept-Encoding"), body: body, raw: string(raw), header: r.Header.Clone()})
		answer := f.answers[min(len(f.got)-1, len(f.answers)-1)]
		f.mu.Unlock()
		answer(w)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeDDB) requests() []received {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]received(nil), f.got...)
}

// answer is a DynamoDB answer with a correct X-Amz-Crc32.
func answer(status int, body string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(body))), 10))
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

func ddbError(status int, code string) func(http.ResponseWriter) {
	return answer(status, fmt.Sprintf(`{"__type":"com.amazonaws.dynamodb.v20120810#%s","message":"fake %s"}`, code, code))
}

func testConfig(endpoint string) aws.Config {
	return aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token")}
}

// testStore returns a store on f whose client records its backoffs instead
// of sleeping.
func testStore(f *fakeDDB) (*Dynamo, *[]time.Duration) {
	c := NewDynamoClient(testConfig(f.URL), "")
	var waits []time.Duration
	var mu sync.Mutex
	c.Sleep = func(_ context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		waits = append(waits, d)
		return nil
	}
	return NewDynamo(c, "streambot-state"), &waits
}

// Get and History send what the SDK's DynamoDB client sends for the same
// GetItem and Query: target, content type, no gzip, credential scope and
// the same JSON. (PutItem and UpdateItem are checked against moto_server
// by the conformance suite, which reads back what they wrote.)
func TestDynamoClientMatchesSDK(t *testing.T) {
	f := newFakeDDB(t, answer(http.StatusOK, `{}`))
	sdk := dynamodb.New(dynamodb.Options{Region: "eu-west-1", Credentials: testConfig("").Credentials,
		BaseEndpoint: aws.String(f.URL), HTTPClient: f.Client()})
	ctx := t.Context()
	if _, err := sdk.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("streambot-state"),
		Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "op.1"}}, ConsistentRead: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := sdk.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("streambot-state"), IndexName: aws.String(IndexWorkspace),
		KeyConditionExpression:    aws.String("#k = :k"),
		ExpressionAttributeNames:  map[string]string{"#k": "workspace_key"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":k": &types.AttributeValueMemberS{Value: "g1/ws"}},
		ScanIndexForward:          aws.Bool(false), Limit: aws.Int32(7)}); err != nil {
		t.Fatal(err)
	}
	s, _ := testStore(f)
	if _, err := s.Get(ctx, "op.1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get = %v, want ErrNotFound", err)
	}
	if _, err := s.History(ctx, "g1", "ws", 7); err != nil {
		t.Fatal(err)
	}
	got := f.requests()
	if len(got) != 4 {
		t.Fatalf("%d requests, want 4", len(got))
	}
	for i, op := range []string{"GetItem", "Query"} {
		sdkReq, ours := got[i], got[i+2]
		if ours.target != "DynamoDB_20120810."+op || ours.target != sdkReq.target {
			t.Errorf("%s: X-Amz-Target %q, SDK %q", op, ours.target, sdkReq.target)
		}
		if ours.contentType != "application/x-amz-json-1.0" || ours.contentType != sdkReq.contentType {
			t.Errorf("%s: Content-Type %q, SDK %q", op, ours.contentType, sdkReq.contentType)
		}
		if ours.acceptEncoding != "identity" || ours.acceptEncoding != sdkReq.acceptEncoding {
			t.Errorf("%s: Accept-Encoding %q, SDK %q", op, ours.acceptEncoding, sdkReq.acceptEncoding)
		}
		if diff := cmp.Diff(sdkReq.body, ours.body); diff != "" {
			t.Errorf("%s body (-SDK +ours):\n%s", op, diff)
		}
		if s0, s1 := scope(sdkReq.header), scope(ours.header); s0 != s1 || s1 != "eu-west-1/dynamodb/aws4_request" {
			t.Errorf("%s: credential scope: SDK %q, ours %q", op, s0, s1)
		}
		if tok := ours.header.Get("X-Amz-Security-Token"); tok != "session-token" {
			t.Errorf("%s: X-Amz-Security-Token %q", op, tok)
		}
	}
}

// scope is the credential scope of a request's Authorization, without the
// date.
func scope(h http.Header) string {
	a := h.Get("Authorization")
	i, j := strings.Index(a, "Credential="), strings.Index(a, ",")
	if i < 0 || j < i {
		return a
	}
	_, rest, _ := strings.Cut(a[i:j], "/")
	_, rest, _ = strings.Cut(rest, "/")
	return rest
}

// The signature is one a server recomputes from the request it received.
func TestDynamoClientSignature(t *testing.T) {
	f := newFakeDDB(t, answer(http.StatusOK, `{}`))
	s, _ := testStore(f)
	if _, err := s.Get(t.Context(), "op.1"); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	r := f.requests()[0]
	when, err := time.Parse("20060102T150405Z", r.header.Get("X-Amz-Date"))
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, f.URL+"/", strings.NewReader(r.raw))
	for _, k := range []string{"Content-Type", "X-Amz-Target", "Accept-Encoding"} {
		req.Header.Set(k, r.header.Get(k))
	}
	req.Host = strings.TrimPrefix(f.URL, "http://")
	creds, _ := testConfig("").Credentials.Retrieve(t.Context())
	if err := v4.NewSigner().SignHTTP(t.Context(), creds, req, hashHex(r.raw), "dynamodb", "eu-west-1", when); err != nil {
		t.Fatal(err)
	}
	if got, want := r.header.Get("Authorization"), req.Header.Get("Authorization"); got != want || got == "" {
		t.Errorf("Authorization\n got %s\nwant %s", got, want)
	}
}

func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// What is retried, how often, with which backoff, and what the store makes
// of the final answer.
func TestDynamoClientRetries(t *testing.T) {
	ok := answer(http.StatusOK, `{"Item":{"id":{"S":"op.1"},"status":{"S":"queued"}}}`)
	badCRC := func(w http.ResponseWriter) {
		w.Header().Set("X-Amz-Crc32", "1")
		io.WriteString(w, `{"Item":{"id":{"S":"op.1"},"status":{"S":"queued"}}}`)
	}
	for _, tc := range []struct {
		name      string
		answers   []func(http.ResponseWriter)
		wantCalls int
		throttled bool   // the backoffs are throttling's
		reason    string // "": success; "plain": an error that is not unavailable
	}{
		{"success", []func(http.ResponseWriter){ok}, 1, false, ""},
		{"5xx, then success", []func(http.ResponseWriter){answer(500, `{}`), answer(503, ``), ok}, 3, false, ""},
		{"5xx four times", []func(http.ResponseWriter){answer(502, `{}`)}, 4, false, "plain"},
		{"throttled four times", []func(http.ResponseWriter){ddbError(400, "ThrottlingException")}, 4, true, ReasonThrottled},
		{"capacity, then success", []func(http.ResponseWriter){ddbError(400, "ProvisionedThroughputExceededException"), ok}, 2, true, ""},
		{"an unmodeled 429", []func(http.ResponseWriter){answer(429, ``), ok}, 2, false, ""},
		{"a corrupt body", []func(http.ResponseWriter){badCRC, ok}, 2, false, ""},
		{"missing table: not retried", []func(http.ResponseWriter){ddbError(400, "ResourceNotFoundException")}, 1, false, ReasonMissing},
		{"validation: not retried", []func(http.ResponseWriter){ddbError(400, "ValidationException")}, 1, false, "plain"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeDDB(t, tc.answers...)
			s, waits := testStore(f)
			op, err := s.Get(t.Context(), "op.1")
			switch tc.reason {
			case "":
				if err != nil || op.ID != "op.1" {
					t.Errorf("Get = %+v, %v; want op.1", op, err)
				}
			case "plain":
				if err == nil || errors.Is(err, ErrUnavailable) {
					t.Errorf("Get = %v, want a plain error", err)
				}
			default:
				var ue *UnavailableError
				if !errors.As(err, &ue) || ue.Reason != tc.reason {
					t.Errorf("Get = %v, want an *UnavailableError (%s)", err, tc.reason)
				}
			}
			if n := len(f.requests()); n != tc.wantCalls {
				t.Errorf("%d requests, want %d", n, tc.wantCalls)
			}
			if len(*waits) != tc.wantCalls-1 {
				t.Fatalf("waited %v between %d attempts", *waits, tc.wantCalls)
			}
			for i, w := range *waits {
				base := 25 * time.Millisecond
				if tc.throttled {
					base = time.Second
				}
				if limit := base << i; w < 0 || w >= limit {
					t.Errorf("backoff %d = %v, want in [0, %v)", i+1, w, limit)
				}
			}
		})
	}
}

// A done ctx ends the retries as unreachable; so does a closed endpoint
// once its attempts are spent.
func TestDynamoClientUnreachable(t *testing.T) {
	f := newFakeDDB(t, answer(500, `{}`))
	s, _ := testStore(f)
	ctx, cancel := context.WithCancel(t.Context())
	s.client.Sleep = func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }
	_, err := s.Get(ctx, "op.1")
	var ue *UnavailableError
	if !errors.As(err, &ue) || ue.Reason != ReasonUnreachable || !errors.Is(err, context.Canceled) {
		t.Errorf("Get with a ctx cancelled in the backoff = %v, want unreachable and context.Canceled", err)
	}
	if n := len(f.requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}

	url := f.URL
	f.Close()
	c := NewDynamoClient(testConfig(url), "")
	attempts := 0
	c.Sleep = func(context.Context, time.Duration) error { attempts++; return nil }
	if _, err := NewDynamo(c, "t-1").Get(t.Context(), "op.1"); !errors.As(err, &ue) || ue.Reason != ReasonUnreachable || attempts != DefaultMaxAttempts-1 {
		t.Errorf("Get on a closed endpoint = %v after %d backoffs, want unreachable after %d", err, attempts, DefaultMaxAttempts-1)
	}
}

// The retry quota (the SDK's token bucket) stops retrying a table that
// keeps throttling, and a success fills it again.
func TestDynamoClientRetryQuota(t *testing.T) {
	f := newFakeDDB(t, ddbError(400, "ThrottlingException"))
	s, _ := testStore(f)
	ctx := t.Context()
	// Each call retries 3 times at 5 tokens: 33 calls leave 5 tokens.
	for range 33 {
		if _, err := s.Get(ctx, "op.1"); !errors.Is(err, ErrUnavailable) || errors.Is(err, awsreq.ErrRetryQuota) {
			t.Fatalf("Get = %v, want throttled with retries", err)
		}
	}
	before := len(f.requests())
	_, err := s.Get(ctx, "op.1")
	var ue *UnavailableError
	if !errors.As(err, &ue) || ue.Reason != ReasonThrottled || !errors.Is(err, awsreq.ErrRetryQuota) {
		t.Errorf("Get with the quota spent = %v, want throttled and awsreq.ErrRetryQuota", err)
	}
	if n := len(f.requests()) - before; n != 2 {
		t.Errorf("%d attempts with 5 tokens left, want 2", n)
	}
	if got := s.client.RetryTokens(); got != 0 {
		t.Errorf("quota = %d tokens, want 0", got)
	}
	f.mu.Lock()
	f.answers = []func(http.ResponseWriter){answer(http.StatusOK, `{}`)}
	f.mu.Unlock()
	if _, err := s.Get(ctx, "op.1"); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	if got := s.client.RetryTokens(); got != 1 {
		t.Errorf("quota after a first-attempt success = %d, want 1", got)
	}
}

// A failed condition carries the item, decoded as the store wrote it; the
// error code comes from X-Amzn-ErrorType first, without namespace or
// suffix.
func TestDynamoClientErrors(t *testing.T) {
	item := `{"id":{"S":"op.1"},"status":{"S":"running"},"owner":{"S":"w1"},"attempts":{"N":"2"},"request":{"B":"e30="}}`
	f := newFakeDDB(t, answer(400, `{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed","Item":`+item+`}`))
	s, _ := testStore(f)
	_, err := s.Transition(t.Context(), "op.1", Claim("w2", time.Now().Add(time.Minute)))
	var ce *ConflictError
	if !errors.As(err, &ce) || !errors.Is(err, ErrConflict) {
		t.Fatalf("Transition = %v, want a *ConflictError", err)
	}
	want := &Operation{ID: "op.1", Status: StatusRunning, Owner: "w1", Attempts: 2, Request: []byte("{}")}
	if diff := cmp.Diff(want, ce.Current); diff != "" {
		t.Errorf("Current (-want +got):\n%s", diff)
	}
	if body := f.requests()[0].body; body["ReturnValuesOnConditionCheckFailure"] != "ALL_OLD" || body["ReturnValues"] != "ALL_NEW" {
		t.Errorf("UpdateItem body %v: want ReturnValues ALL_NEW and ReturnValuesOnConditionCheckFailure ALL_OLD", body)
	}

}

func TestNewDynamoClientEndpoint(t *testing.T) {
	for _, tc := range []struct {
		cfg      aws.Config
		endpoint string
		want     string
		attempts int
	}{
		{aws.Config{Region: "us-east-1"}, "", "https://dynamodb.us-east-1.amazonaws.com", 4},
		{aws.Config{Region: "cn-north-1"}, "", "https://dynamodb.cn-north-1.amazonaws.com.cn", 4},
		{aws.Config{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:5000/")}, "", "http://127.0.0.1:5000", 4},
		{aws.Config{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:5000"), RetryMaxAttempts: 2}, "http://127.0.0.1:9/", "http://127.0.0.1:9", 2},
	} {
		c := NewDynamoClient(tc.cfg, tc.endpoint)
		if c.Endpoint() != tc.want || c.MaxAttempts() != tc.attempts {
			t.Errorf("NewDynamoClient(%s, %q) = %s, %d attempts; want %s, %d", tc.cfg.Region, tc.endpoint, c.Endpoint(), c.MaxAttempts(), tc.want, tc.attempts)
		}
	}
}

// DynamoDB's backoff is the SDK's with DynamoDB's 25 ms base.
func TestDynamoBackoff(t *testing.T) {
	for retry := 1; retry <= 8; retry++ {
		for _, throttled := range []bool{false, true} {
			base := 25 * time.Millisecond
			if throttled {
				base = time.Second
			}
			limit := min(base<<(retry-1), 20*time.Second)
			for range 50 {
				if d := NewDynamoClient(aws.Config{}, "x").Backoff(retry, throttled); d < 0 || d >= limit {
					t.Fatalf("Backoff(%d, %t) = %v, want in [0, %v)", retry, throttled, d, limit)
				}
			}
		}
	}
}

// The item decoder takes any JSON without panicking, and what it accepts
// reads back the same after marshal: DynamoDB's answers are trusted, but an
// item edited by hand must be an error, not a crash.
func FuzzDecodeItem(f *testing.F) {
	for _, s := range []string{
		`{"id":{"S":"op.1"},"status":{"S":"queued"},"attempts":{"N":"3"},"ttl":{"N":"1767225600"},"request":{"B":"e30="}}`,
		`{"id":{"S":"op.1"},"created_at":{"S":"2026-12-07T09:00:00.000000000Z"},"extra":{"M":{"a":{"L":[{"BOOL":true},{"NULL":true}]}}}}`,
		`{"id":{"N":"1"}}`, `{"attempts":{"N":"1e400"}}`, `{"id":{"S":""},"request":{"B":""}}`, `{}`, `null`, `[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var item map[string]attr
		if json.Unmarshal(b, &item) != nil {
			return
		}
		op, err := unmarshal(item)
		if err != nil {
			return
		}
		again, err := unmarshal(marshal(op))
		if err != nil {
			t.Fatalf("unmarshal(marshal(%+v)) = %v", op, err)
		}
		if diff := cmp.Diff(op, again, cmp.Comparer(func(a, b []byte) bool { return string(a) == string(b) })); diff != "" {
			t.Errorf("round trip (-decoded +again):\n%s", diff)
		}
	})
}
