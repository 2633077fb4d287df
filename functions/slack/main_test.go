package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streambot/streambot/internal/testtools"

	"github.com/aws/aws-lambda-go/events"

	"github.com/streambot/streambot/internal/provision"
)

// TestMain runs the function's main instead of the tests when the test
// binary is re-executed by mainCmd.
func TestMain(m *testing.M) {
	if os.Getenv("STREAMBOT_RUN_SLACK_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// mainCmd re-executes the test binary as the function's process.
func mainCmd(t *testing.T, env ...string) (*exec.Cmd, *testtools.Buffer) {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append([]string{
		"STREAMBOT_RUN_SLACK_MAIN=1",
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir,
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
	}, env...)
	out := &testtools.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	return cmd, out
}

func TestMainFailsAtInit(t *testing.T) {
	cmd, out := mainCmd(t,
		"SLACK_SIGNING_SECRET=s3cr3t",
		"CREATE_FUNCTION_NAME=streambot-create",
		"ACCESS_POLICY=grants: [{subjects: [nobody], role: GROUP_OWNER, projects: [dev]}]",
		"LOG_LEVEL=loud",
	)
	err := cmd.Run()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 1 {
		t.Fatalf("process ended with %v, want exit status 1; output:\n%s", err, out)
	}
	for _, want := range []string{`"msg":"invalid configuration"`, "invalid access policy", "LOG_LEVEL"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output = %s, want it to contain %s", out, want)
		}
	}
	if strings.Contains(out.String(), "s3cr3t") {
		t.Errorf("output contains the signing secret: %s", out)
	}
	// The first line names the build, so every log shows which code ran.
	first, _, _ := strings.Cut(out.String(), "\n")
	if !strings.Contains(first, `"version":"`) || !strings.Contains(first, runtime.Version()) {
		t.Errorf("first log line = %s, want the version from the build info", first)
	}
}

// fakeRuntime plays the Lambda Runtime API for one process: it hands out
// events in order, collects the responses, then holds the next poll open.
type fakeRuntime struct {
	events    [][]byte
	mu        sync.Mutex
	next      int
	responses chan []byte
}

func (rt *fakeRuntime) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/2018-06-01/runtime/invocation/next":
		rt.mu.Lock()
		i := rt.next
		rt.next++
		rt.mu.Unlock()
		if i >= len(rt.events) {
			<-r.Context().Done() // no more work: wait until the process is killed
			return
		}
		w.Header().Set("Lambda-Runtime-Aws-Request-Id", "req-"+strconv.Itoa(i))
		w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(30*time.Second).UnixMilli(), 10))
		w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:streambot-slack")
		_, _ = w.Write(rt.events[i])
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/2018-06-01/runtime/invocation/"):
		body, _ := io.ReadAll(r.Body)
		if strings.HasSuffix(r.URL.Path, "/error") {
			body = append([]byte("ERROR "), body...)
		}
		w.WriteHeader(http.StatusAccepted)
		rt.responses <- body
	default:
		http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusNotFound)
	}
}

func signedEvent(t *testing.T, secret, text string) []byte {
	t.Helper()
	form := url.Values{
		"team_id": {"T1"}, "channel_id": {"C1"}, "user_id": {"U012ABCDEF"}, "user_name": {"roadrunner"},
		"command": {"/stream"}, "text": {text}, "response_url": {"https://hooks.slack.com/commands/T1/1/x"},
		"trigger_id": {"trigger-1"},
	}.Encode()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("v0:" + ts + ":" + form))
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "POST /slack/commands", RawPath: "/slack/commands",
		Headers: map[string]string{
			"content-type":              "application/x-www-form-urlencoded",
			"x-slack-request-timestamp": ts,
			"x-slack-signature":         "v0=" + hex.EncodeToString(m.Sum(nil)),
		},
		Body:            base64.StdEncoding.EncodeToString([]byte(form)),
		IsBase64Encoded: true,
	}
	ev.RequestContext.HTTP.Method = http.MethodPost
	data, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestMainServesLambda runs the real main against a fake Runtime API and a
// local Lambda Invoke endpoint (AWS_ENDPOINT_URL_LAMBDA): a signed create is
// acknowledged and becomes exactly one async invoke of the worker; a
// wrongly signed request gets 401.
func TestMainServesLambda(t *testing.T) {
	var (
		mu      sync.Mutex
		invokes []string
		jobs    []provision.Job
	)
	lambdaAPI := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var job provision.Job
		_ = json.Unmarshal(body, &job)
		mu.Lock()
		invokes = append(invokes, r.Method+" "+r.URL.Path+" "+r.Header.Get("X-Amz-Invocation-Type"))
		jobs = append(jobs, job)
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(lambdaAPI.Close)

	rt := &fakeRuntime{
		events: [][]byte{
			signedEvent(t, "s3cr3t", "create orders-ws --region us-east-1"),
			signedEvent(t, "forged", "create orders-ws --region us-east-1"),
		},
		responses: make(chan []byte, 2),
	}
	runtimeAPI := httptest.NewServer(rt)
	t.Cleanup(runtimeAPI.Close)

	cmd, out := mainCmd(t,
		"AWS_LAMBDA_RUNTIME_API="+strings.TrimPrefix(runtimeAPI.URL, "http://"),
		"AWS_ENDPOINT_URL_LAMBDA="+lambdaAPI.URL,
		"AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=AKIDEXAMPLE",
		"AWS_SECRET_ACCESS_KEY=example",
		"SLACK_SIGNING_SECRET=s3cr3t",
		"CREATE_FUNCTION_NAME=streambot-create",
		"ACCESS_POLICY="+validPolicy,
	)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})

	var got []events.APIGatewayV2HTTPResponse
	for range rt.events {
		select {
		case body := <-rt.responses:
			var resp events.APIGatewayV2HTTPResponse
			if err := json.Unmarshal(body, &resp); err != nil {
				t.Fatalf("runtime response %q: %v", body, err)
			}
			got = append(got, resp)
		case <-time.After(30 * time.Second):
			t.Fatalf("no response from the function; output:\n%s", out)
		}
	}
	if got[0].StatusCode != http.StatusOK || !strings.Contains(got[0].Body, "Working on it: creating `orders-ws` in AWS / VIRGINIA_USA (SP30)") {
		t.Errorf("create response = %d %q, want 200 and the ack", got[0].StatusCode, got[0].Body)
	}
	if got[1].StatusCode != http.StatusUnauthorized {
		t.Errorf("forged response = %d %q, want 401", got[1].StatusCode, got[1].Body)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := "POST /2015-03-31/functions/streambot-create/invocations Event"; len(invokes) != 1 || invokes[0] != want {
		t.Fatalf("invokes = %q, want exactly [%q]", invokes, want)
	}
	if j := jobs[0]; j.ID != "trigger-1" || j.Name != "orders-ws" || j.Region != "VIRGINIA_USA" || j.RegionInput != "us-east-1" || j.Slack == nil {
		t.Errorf("invoked with job %+v, want the create", j)
	}
	if strings.Contains(out.String(), "hooks.slack.com") || strings.Contains(out.String(), "s3cr3t") {
		t.Errorf("logs contain a credential:\n%s", out)
	}
}
