package lambdatest

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"
)

const helloPkg = "./internal/lambdatest/hello"

// helloAck mirrors hello.Ack.
const helloAck = `{"response_type":"ephemeral","text":"hello"}`

// slashEvent returns an HTTP API v2 event for path, as JSON. query holds
// key, value pairs for the query string.
func slashEvent(t *testing.T, path string, query ...string) []byte {
	t.Helper()
	params := map[string]string{}
	for i := 0; i+1 < len(query); i += 2 {
		params[query[i]] = query[i+1]
	}
	ev := events.APIGatewayV2HTTPRequest{
		QueryStringParameters: params,
		Version:               "2.0",
		RouteKey:              "POST " + path,
		RawPath:               path,
		Headers:               map[string]string{"content-type": "application/x-www-form-urlencoded"},
		Body:                  "Y29tbWFuZD0lMkZzdHJlYW1zJnRleHQ9aGVscA==",
		IsBase64Encoded:       true,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: path},
		},
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestInvokeHello(t *testing.T) {
	fn := Start(t, BuildFunction(t, helloPkg), nil, WithFunctionName("hello"), WithTimeout(10*time.Second))
	out, err := fn.Invoke(t.Context(), slashEvent(t, "/slack/commands"))
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var got events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
	want := events.APIGatewayV2HTTPResponse{
		StatusCode: 200,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       helloAck,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}
	// The bootstrap's own stdout and the emulator's report are captured.
	for _, s := range []string{"hello: POST /slack/commands", "END RequestId: "} {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		if err := fn.WaitForLog(ctx, s); err != nil {
			t.Errorf("logs lack %q: %v\n%s", s, err, fn.Logs())
		}
		cancel()
	}
}

func TestInvokeFunctionError(t *testing.T) {
	env := map[string]string{"HELLO_MARK_FILE": filepath.Join(t.TempDir(), "missing", "mark")}
	fn := Start(t, BuildFunction(t, helloPkg), env)
	_, err := fn.Invoke(t.Context(), slashEvent(t, "/x"))
	var fe *FunctionError
	if !errors.As(err, &fe) {
		t.Fatalf("Invoke error = %v, want *FunctionError", err)
	}
	if !strings.HasPrefix(fe.Message, "open mark file: ") || fe.Type == "" {
		t.Errorf("FunctionError = %+v", fe)
	}
}

// A timed-out invocation is reported, its bootstrap killed, and the next
// invocation starts a fresh one, as in Lambda.
func TestInvokeTimeout(t *testing.T) {
	fn := Start(t, BuildFunction(t, helloPkg), nil, WithTimeout(time.Second))
	if _, err := fn.Invoke(t.Context(), slashEvent(t, "/warm")); err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	first := fn.BootstrapPID()
	_, err := fn.Invoke(t.Context(), slashEvent(t, "/slow", "sleep", "1m"))
	var fe *FunctionError
	if !errors.As(err, &fe) || fe.Type != "TimeoutError" {
		t.Fatalf("Invoke past the timeout: error %v, want a TimeoutError *FunctionError", err)
	}
	if _, err := fn.Invoke(t.Context(), slashEvent(t, "/again")); err != nil {
		t.Fatalf("Invoke after a timeout: %v", err)
	}
	if second := fn.BootstrapPID(); second == 0 || second == first {
		t.Errorf("bootstrap pid after the timeout = %d, want a new process (was %d)", second, first)
	}
}

func TestAsFunctionError(t *testing.T) {
	tests := []struct {
		name string
		body string
		want *FunctionError
	}{
		{"handler error", `{"errorMessage":"boom","errorType":"wrapError"}`,
			&FunctionError{Message: "boom", Type: "wrapError"}},
		{"panic with trace", `{"errorMessage":"p","errorType":"string","stackTrace":[]}`,
			&FunctionError{Message: "p", Type: "string"}},
		{"timeout", `Task timed out after 3.00 seconds`,
			&FunctionError{Message: "Task timed out after 3.00 seconds", Type: "TimeoutError"}},
		{"ordinary response", `{"statusCode":200,"body":"ok"}`, nil},
		{"response with extra fields", `{"errorMessage":"a","errorType":"b","statusCode":1,"body":"x"}`, nil},
		{"not JSON", `hello`, nil},
		{"null", `null`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := asFunctionError([]byte(tt.body))
			if diff := cmp.Diff(tt.want, got, cmp.FilterPath(func(p cmp.Path) bool {
				return p.Last().String() == ".Body"
			}, cmp.Ignore())); diff != "" {
				t.Errorf("asFunctionError(%s) (-want +got):\n%s", tt.body, diff)
			}
		})
	}
}

// The emulator crashes on concurrent invocations; Invoke must serialise them.
func TestInvokeConcurrent(t *testing.T) {
	fn := Start(t, BuildFunction(t, helloPkg), nil)
	const n = 16
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = fn.Invoke(t.Context(), slashEvent(t, fmt.Sprintf("/c/%d", i)))
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent invokes: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := fn.WaitLogs(ctx, func(logs string) bool { return strings.Count(logs, "hello: POST /c/") == n }); err != nil {
		t.Errorf("function did not log %d runs: %v", n, err)
	}
}

// lambdaClient returns the real AWS SDK Lambda client aimed at endpoint.
func lambdaClient(endpoint string) *lambda.Client {
	return lambda.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	}, func(o *lambda.Options) { o.BaseEndpoint = aws.String(endpoint) })
}

func TestEventRelaySDK(t *testing.T) {
	mark := filepath.Join(t.TempDir(), "mark")
	fn := Start(t, BuildFunction(t, helloPkg), map[string]string{"HELLO_MARK_FILE": mark})
	relay := EventRelay(t, fn)
	client := lambdaClient(relay.Endpoint())

	// Hold the emulator so the Event invocation cannot run yet: the relay
	// must still answer 202 straight away.
	fn.invokeMu.Lock()
	out, err := client.Invoke(t.Context(), &lambda.InvokeInput{
		FunctionName:   aws.String("streambot-create"),
		InvocationType: types.InvocationTypeEvent,
		Payload:        slashEvent(t, "/event"),
	})
	if err != nil {
		fn.invokeMu.Unlock()
		t.Fatalf("Invoke Event: %v", err)
	}
	finishedEarly := len(relay.Results())
	fn.invokeMu.Unlock()
	if out.StatusCode != 202 || out.FunctionError != nil || len(out.Payload) != 0 {
		t.Errorf("Event invoke = status %d, function error %v, payload %q; want 202, nil, empty",
			out.StatusCode, out.FunctionError, out.Payload)
	}
	if finishedEarly != 0 {
		t.Errorf("%d invocations finished before the 202; want 0", finishedEarly)
	}

	relay.Wait()
	if got, err := os.ReadFile(mark); err != nil || string(got) != "/event\n" {
		t.Errorf("mark file = %q, %v; want %q", got, err, "/event\n")
	}
	results := relay.Results()
	if relay.Invocations() != 1 || len(results) != 1 {
		t.Fatalf("relay accepted %d, finished %d; want 1, 1", relay.Invocations(), len(results))
	}
	r := results[0]
	if r.Err != nil || r.FunctionName != "streambot-create" || r.InvocationType != "Event" || !bytes.Contains(r.Response, []byte(`"statusCode":200`)) {
		t.Errorf("result = %+v", r)
	}
}

// In front of a pool, an Event invocation runs on an idle emulator while
// another is busy, and each emulator runs one invocation at a time.
func TestEventRelayPool(t *testing.T) {
	dir := t.TempDir()
	marks := []string{filepath.Join(dir, "a"), filepath.Join(dir, "b")}
	a := Start(t, BuildFunction(t, helloPkg), map[string]string{"HELLO_MARK_FILE": marks[0]})
	b := Start(t, BuildFunction(t, helloPkg), map[string]string{"HELLO_MARK_FILE": marks[1]})
	relay := EventRelay(t, a, b)
	client := lambdaClient(relay.Endpoint())

	// Hold both emulators, send two Event invocations, then free one: it
	// runs one of them, and the other waits for the emulator still held.
	a.invokeMu.Lock()
	b.invokeMu.Lock()
	for _, path := range []string{"/one", "/two"} {
		if _, err := client.Invoke(t.Context(), &lambda.InvokeInput{
			FunctionName: aws.String("streambot-create"), InvocationType: types.InvocationTypeEvent, Payload: slashEvent(t, path),
		}); err != nil {
			a.invokeMu.Unlock()
			b.invokeMu.Unlock()
			t.Fatalf("Invoke Event %s: %v", path, err)
		}
	}
	b.invokeMu.Unlock()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	for len(relay.Results()) == 0 && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	finishedWhileHeld := len(relay.Results())
	a.invokeMu.Unlock()
	relay.Wait()

	if finishedWhileHeld != 1 {
		t.Errorf("%d invocations finished while one emulator was held, want 1", finishedWhileHeld)
	}
	var got []string
	for _, m := range marks {
		data, err := os.ReadFile(m)
		if err != nil {
			t.Fatalf("an emulator of the pool ran nothing: %v", err)
		}
		got = append(got, string(data))
	}
	slices.Sort(got)
	if diff := cmp.Diff([]string{"/one\n", "/two\n"}, got); diff != "" {
		t.Errorf("invocations per emulator (-want +got):\n%s", diff)
	}
	for _, r := range relay.Results() {
		if r.Err != nil || r.InvocationType != "Event" {
			t.Errorf("result %+v", r)
		}
	}
}

func TestRelaySyncSDK(t *testing.T) {
	tests := []struct {
		name       string
		typ        types.InvocationType
		env        map[string]string
		wantStatus int32
		wantFnErr  string
		wantBody   bool
	}{
		{name: "RequestResponse", typ: types.InvocationTypeRequestResponse, wantStatus: 200, wantBody: true},
		{name: "default type", wantStatus: 200, wantBody: true},
		{name: "DryRun", typ: types.InvocationTypeDryRun, wantStatus: 204},
		{name: "handler error", typ: types.InvocationTypeRequestResponse,
			env:        map[string]string{"HELLO_MARK_FILE": "/nonexistent/dir/mark"},
			wantStatus: 200, wantFnErr: "Unhandled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn := Start(t, BuildFunction(t, helloPkg), tt.env)
			relay := EventRelay(t, fn)
			out, err := lambdaClient(relay.Endpoint()).Invoke(t.Context(), &lambda.InvokeInput{
				FunctionName:   aws.String("arn:aws:lambda:us-east-1:123456789012:function:streambot-slack"),
				InvocationType: tt.typ,
				Payload:        slashEvent(t, "/sync"),
			})
			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			if out.StatusCode != tt.wantStatus || aws.ToString(out.FunctionError) != tt.wantFnErr {
				t.Errorf("status %d, function error %q; want %d, %q",
					out.StatusCode, aws.ToString(out.FunctionError), tt.wantStatus, tt.wantFnErr)
			}
			if got := bytes.Contains(out.Payload, []byte(`"statusCode":200`)); got != tt.wantBody {
				t.Errorf("payload %q: has response = %v, want %v", out.Payload, got, tt.wantBody)
			}
		})
	}
}

func TestCleanupLeavesNoProcess(t *testing.T) {
	bootstrap := BuildFunction(t, helloPkg)
	var riePID, childPID int
	t.Run("run", func(t *testing.T) {
		fn := Start(t, bootstrap, nil)
		if _, err := fn.Invoke(t.Context(), slashEvent(t, "/p")); err != nil {
			t.Fatalf("Invoke: %v", err)
		}
		riePID, childPID = fn.PID(), fn.BootstrapPID()
		if childPID == 0 {
			t.Fatal("no bootstrap process after an invocation")
		}
		rss, err := fn.PeakRSS()
		if err != nil || rss <= 0 {
			t.Errorf("PeakRSS = %d, %v; want > 0", rss, err)
		}
	})
	for _, pid := range []int{riePID, childPID} {
		if pid != 0 && Alive(pid) {
			t.Errorf("process %d still running after cleanup", pid)
		}
	}
}

func TestStopWithoutInvoke(t *testing.T) {
	fn := Start(t, BuildFunction(t, helloPkg), nil)
	fn.Stop()
	fn.Stop() // idempotent
	select {
	case <-fn.Done():
	default:
		t.Fatal("emulator still running after Stop")
	}
	if Alive(fn.PID()) {
		t.Errorf("emulator %d still running", fn.PID())
	}
}

func TestBindsLoopbackOnly(t *testing.T) {
	fn := Start(t, BuildFunction(t, helloPkg), nil)
	relay := EventRelay(t, fn)
	for _, raw := range []string{fn.Endpoint(), relay.Endpoint()} {
		u, err := url.Parse(raw)
		if err != nil || u.Hostname() != "127.0.0.1" {
			t.Errorf("endpoint %q is not on 127.0.0.1", raw)
		}
	}
	if _, err := fn.Invoke(t.Context(), slashEvent(t, "/bind")); err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	addrs := Listeners(fn.PID())
	if len(addrs) != 2 { // the invoke API and the Runtime API
		t.Fatalf("emulator listens on %v; want 2 sockets", addrs)
	}
	for _, a := range addrs {
		if !strings.HasPrefix(a, "127.0.0.1:") {
			t.Errorf("emulator listens on %s; want 127.0.0.1 only", a)
		}
	}
	if u, _ := url.Parse(fn.Endpoint()); !slices.Contains(addrs, u.Host) {
		t.Errorf("emulator listens on %v, not on its endpoint %s", addrs, u.Host)
	}
}

// A port chosen free but taken before the emulator binds it makes start
// fail (and Start try other ports) rather than hand out a Function whose
// URL reaches whatever took the port.
func TestStartPortTaken(t *testing.T) {
	taken := httptest.NewServer(http.NotFoundHandler()) // answers HTTP, as another emulator would
	defer taken.Close()
	port := taken.Listener.Addr().(*net.TCPAddr).Port
	free, err := freePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	bootstrap := BuildFunction(t, helloPkg)
	environ := buildEnv(t, nil, config{})
	for name, ports := range map[string][2]int{"invoke port": {port, free[0]}, "runtime API port": {free[0], port}} {
		f, err := start(RIE(t), bootstrap, filepath.Dir(bootstrap), environ, ports[0], ports[1])
		if err == nil {
			f.Stop()
			t.Errorf("%s taken: start succeeded, want an error", name)
		}
	}
}

func TestProcAddr(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"0100007F:1F90", "127.0.0.1:8080"},
		{"00000000:0050", "0.0.0.0:80"},
		{"00000000000000000000000000000000:01BB", "[::]:443"},
		{"00000000000000000000000001000000:1F90", "[::1]:8080"},
		{"0000000000000000FFFF00000100007F:1F90", "127.0.0.1:8080"},
	}
	for _, tt := range tests {
		if got, ok := procAddr(tt.in); !ok || got != tt.want {
			t.Errorf("procAddr(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
	for _, bad := range []string{"", "0100007F", "zz00007F:1F90", "0100007F:zz", "01:1F90"} {
		if got, ok := procAddr(bad); ok {
			t.Errorf("procAddr(%q) = %q, want failure", bad, got)
		}
	}
}

func TestFunctionEnvironment(t *testing.T) {
	t.Setenv("STREAMBOT_CANARY", "leak")
	bootstrap := BuildFunction(t, helloPkg)
	fn := Start(t, bootstrap, map[string]string{"AWS_ACCESS_KEY_ID": "AKIDEXPLICIT", "SLACK_SECRET_ARN": "arn:x", "LOG_LEVEL": "verbose"},
		WithFunctionName("streambot-slack"), WithMemoryMB(128), WithTimeout(2500*time.Millisecond))
	if _, err := fn.Invoke(t.Context(), slashEvent(t, "/env")); err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	pid := fn.BootstrapPID()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for kv := range strings.SplitSeq(string(raw), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	want := map[string]string{
		"AWS_ACCESS_KEY_ID":               "AKIDEXPLICIT",
		"AWS_SECRET_ACCESS_KEY":           "testing",
		"AWS_REGION":                      "us-east-1",
		"SLACK_SECRET_ARN":                "arn:x",
		"LOG_LEVEL":                       "verbose", // the function's, not the emulator's
		"AWS_LAMBDA_FUNCTION_NAME":        "streambot-slack",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
		"AWS_LAMBDA_FUNCTION_TIMEOUT":     "3",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("function env %s = %q, want %q", k, env[k], v)
		}
	}
	if _, ok := env["STREAMBOT_CANARY"]; ok {
		t.Error("the test process's environment leaked into the function")
	}
	if home := env["HOME"]; home == "" || home == os.Getenv("HOME") {
		t.Errorf("function HOME = %q; want a fresh directory", home)
	}
	if api := env["AWS_LAMBDA_RUNTIME_API"]; !strings.HasPrefix(api, "127.0.0.1:") {
		t.Errorf("AWS_LAMBDA_RUNTIME_API = %q; want 127.0.0.1:PORT", api)
	}
	if cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid)); err != nil || cwd != filepath.Dir(bootstrap) {
		t.Errorf("function cwd = %q, %v; want %q", cwd, err, filepath.Dir(bootstrap))
	}
}

func TestBuildFunction(t *testing.T) {
	a := BuildFunction(t, helloPkg)
	b := BuildFunction(t, "github.com/streambot/streambot/internal/lambdatest/hello")
	c := BuildFunction(t, helloPkg)
	if filepath.Base(a) != "bootstrap" || a == c || filepath.Dir(a) == filepath.Dir(c) {
		t.Errorf("BuildFunction paths %q, %q: want distinct directories holding bootstrap", a, c)
	}
	sa, _ := os.Stat(a)
	sc, _ := os.Stat(c)
	if !os.SameFile(sa, sc) {
		bytesA, _ := os.ReadFile(a)
		bytesC, _ := os.ReadFile(c)
		if !bytes.Equal(bytesA, bytesC) {
			t.Error("the second build of the same package differs: not cached")
		}
	}
	info, err := buildinfo.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	want := map[string]string{
		"-tags": "lambda.norpc", "-trimpath": "true", // -trimpath keeps -ldflags out of the build info
		"CGO_ENABLED": "0", "GOOS": runtime.GOOS, "GOARCH": runtime.GOARCH,
	}
	for k, v := range want {
		if settings[k] != v {
			t.Errorf("build setting %s = %q, want %q", k, settings[k], v)
		}
	}
	f, err := elf.Open(b)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Section(".symtab") != nil { // -ldflags=-s
		t.Error("bootstrap has a symbol table; want it stripped")
	}
}

func TestRIEVersion(t *testing.T) {
	path := RIE(t)
	if err := checkRIE(path); err != nil {
		t.Errorf("RIE() = %s: %v", path, err)
	}

	// $STREAMBOT_RIE must name the pinned version.
	t.Setenv(RIEEnv, BuildFunction(t, helloPkg))
	if _, err := findRIE(); err == nil {
		t.Errorf("findRIE accepted %s=%s, a different program", RIEEnv, os.Getenv(RIEEnv))
	}
	t.Setenv(RIEEnv, path)
	if got, err := findRIE(); err != nil || got != path {
		t.Errorf("findRIE with %s=%s = %q, %v", RIEEnv, path, got, err)
	}
}

func TestInstallCommand(t *testing.T) {
	want := "GOBIN=bin/tools go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@" + RIEVersion
	if got := InstallCommand("bin/tools"); got != want {
		t.Errorf("InstallCommand = %q, want %q", got, want)
	}
}

func TestColdStart(t *testing.T) {
	bootstrap := BuildFunction(t, helloPkg)
	for range 3 {
		if d := ColdStart(t, bootstrap, nil, slashEvent(t, "/cold")); d <= 0 {
			t.Errorf("ColdStart = %v, want > 0", d)
		}
	}
}

// BenchmarkColdStart reports the emulator floor for issue 7: process start
// to the first response of the hello bootstrap, once per iteration, with the
// median as a metric. Run: go test -run '^$' -bench ColdStart -benchtime 20x
func BenchmarkColdStart(b *testing.B) {
	bootstrap := BuildFunction(b, helloPkg)
	payload := []byte(`{"rawPath":"/cold","requestContext":{"http":{"method":"POST"}}}`)
	var runs []time.Duration
	for b.Loop() {
		runs = append(runs, ColdStart(b, bootstrap, nil, payload))
	}
	slices.Sort(runs)
	b.ReportMetric(float64(runs[len(runs)/2].Microseconds())/1000, "ms-median")
	b.ReportMetric(float64(runs[0].Microseconds())/1000, "ms-min")
	b.ReportMetric(float64(runs[len(runs)-1].Microseconds())/1000, "ms-max")
}

// BenchmarkWarmInvoke measures a warm synchronous invocation of hello
// through the emulator.
func BenchmarkWarmInvoke(b *testing.B) {
	fn := Start(b, BuildFunction(b, helloPkg), nil)
	payload := []byte(`{"rawPath":"/warm","requestContext":{"http":{"method":"POST"}}}`)
	ctx := context.Background()
	if _, err := fn.Invoke(ctx, payload); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := fn.Invoke(ctx, payload); err != nil {
			b.Fatal(err)
		}
	}
}
