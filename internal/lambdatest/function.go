package lambdatest

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/streambot/streambot/internal/procstat"
)

// InvokePath is the only invoke path the emulator serves: the Lambda Invoke
// API path for a function named "function".
const InvokePath = "/2015-03-31/functions/function/invocations"

// startTimeout bounds how long the emulator may take to start answering.
const startTimeout = 30 * time.Second

// stopTimeout bounds how long the emulator may take to exit after SIGTERM
// before it and its bootstrap are killed.
const stopTimeout = 5 * time.Second

// DefaultEnv is the environment every function starts with, before the env
// given to [Start]: static dummy credentials (so an AWS SDK inside the
// function never falls back to the real ones or to the instance metadata
// service) and a region. Start adds a standard PATH and a fresh, empty HOME
// unless env sets them; nothing of the test process's environment reaches
// the function.
var DefaultEnv = map[string]string{
	"AWS_ACCESS_KEY_ID":         "testing",
	"AWS_SECRET_ACCESS_KEY":     "testing",
	"AWS_REGION":                "us-east-1",
	"AWS_DEFAULT_REGION":        "us-east-1",
	"AWS_EC2_METADATA_DISABLED": "true",
}

// Option configures [Start].
type Option func(*config)

type config struct {
	name    string
	timeout time.Duration
	memory  int
	dir     string
}

// WithFunctionName sets AWS_LAMBDA_FUNCTION_NAME, the name the function
// sees in its context and ARN. The invoke path is unaffected.
func WithFunctionName(name string) Option { return func(c *config) { c.name = name } }

// WithTimeout sets the function timeout (AWS_LAMBDA_FUNCTION_TIMEOUT, whole
// seconds, rounded up; the emulator's default is 300 s). The handler's
// context deadline follows it.
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithMemoryMB sets AWS_LAMBDA_FUNCTION_MEMORY_SIZE. The emulator enforces no
// limit; the function only sees the number.
func WithMemoryMB(mb int) Option { return func(c *config) { c.memory = mb } }

// WithDir sets the working directory of the emulator and so of the bootstrap
// (Lambda's /var/task). The default is the bootstrap's directory.
func WithDir(dir string) Option { return func(c *config) { c.dir = dir } }

// Function is a bootstrap running under the emulator on 127.0.0.1.
type Function struct {
	// URL is the emulator's base URL, "http://127.0.0.1:PORT".
	URL string

	started time.Time
	cmd     *exec.Cmd
	done    chan struct{} // closed when the emulator has exited
	logs    *logBuffer
	client  *http.Client

	invokeMu sync.Mutex // the emulator runs one invocation at a time
	stopOnce sync.Once
	childMu  sync.Mutex
	children []int // bootstrap pids seen, killed on Stop
}

// Start starts the emulator running bootstrap on free 127.0.0.1 ports and
// waits until it answers HTTP. The emulator's (and so the function's)
// environment is [DefaultEnv], then env, then what opts set, plus PATH and
// a fresh HOME. The emulator's and the function's stdout and stderr are
// kept in [Function.Logs] (and the tail is logged if the test fails). The
// emulator and the bootstrap are stopped in t.Cleanup, or earlier by
// [Function.Stop]. Note that the bootstrap itself starts on the first
// invocation, as in Lambda.
func Start(t testing.TB, bootstrap string, env map[string]string, opts ...Option) *Function {
	t.Helper()
	rie := RIE(t)
	cfg := config{dir: filepath.Dir(bootstrap)}
	for _, o := range opts {
		o(&cfg)
	}
	environ := buildEnv(t, env, cfg)

	var lastErr error
	for attempt := 0; attempt < 3; attempt++ { // a chosen port may be taken meanwhile
		ports, err := freePorts(2)
		if err != nil {
			t.Fatalf("lambdatest: %v", err)
		}
		f, err := start(rie, bootstrap, cfg.dir, environ, ports[0], ports[1])
		if err == nil {
			t.Cleanup(func() {
				f.Stop()
				if t.Failed() {
					t.Logf("lambdatest: %s output (tail):\n%s", filepath.Base(bootstrap), tail(f.Logs(), 8<<10))
				}
			})
			return f
		}
		lastErr = err
	}
	t.Fatalf("lambdatest: start %s under aws-lambda-rie: %v", bootstrap, lastErr)
	return nil
}

func buildEnv(t testing.TB, env map[string]string, cfg config) []string {
	m := map[string]string{}
	for k, v := range DefaultEnv {
		m[k] = v
	}
	for k, v := range env {
		m[k] = v
	}
	if cfg.name != "" {
		m["AWS_LAMBDA_FUNCTION_NAME"] = cfg.name
	}
	if cfg.timeout > 0 {
		m["AWS_LAMBDA_FUNCTION_TIMEOUT"] = strconv.Itoa(int((cfg.timeout + time.Second - 1) / time.Second))
	}
	if cfg.memory > 0 {
		m["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = strconv.Itoa(cfg.memory)
	}
	if _, ok := m["PATH"]; !ok {
		m["PATH"] = "/usr/local/bin:/usr/bin:/bin"
	}
	if _, ok := m["HOME"]; !ok {
		m["HOME"] = t.TempDir() // no ~/.aws of the developer's
	}
	environ := make([]string, 0, len(m))
	for k, v := range m {
		environ = append(environ, k+"="+v)
	}
	sort.Strings(environ)
	return environ
}

// start starts the emulator with its invoke API on 127.0.0.1:invokePort and
// the Runtime API on 127.0.0.1:runtimePort, and waits until it listens on
// both.
func start(rie, bootstrap, dir string, environ []string, invokePort, runtimePort int) (*Function, error) {
	addr := "127.0.0.1:" + strconv.Itoa(invokePort)
	runtimeAddr := "127.0.0.1:" + strconv.Itoa(runtimePort)
	cmd := exec.Command(rie,
		// The flag overrides $LOG_LEVEL, which is the function's setting
		// here, not the emulator's (an unknown level would make it exit).
		"--log-level", "info",
		"--runtime-interface-emulator-address", addr,
		"--runtime-api-address", runtimeAddr,
		bootstrap)
	cmd.Dir = dir
	cmd.Env = environ
	logs := &logBuffer{}
	cmd.Stdout = logs
	cmd.Stderr = logs
	// Pdeathsig: if the test binary dies (a -timeout panic skips t.Cleanup),
	// the emulator gets SIGTERM and takes the bootstrap down with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	// The bootstrap inherits the emulator's stdout; if it outlived the
	// emulator, Wait would otherwise wait for it to close the pipe.
	cmd.WaitDelay = time.Second

	f := &Function{
		URL:    "http://" + addr,
		cmd:    cmd,
		done:   make(chan struct{}),
		logs:   logs,
		client: &http.Client{Transport: &http.Transport{DisableCompression: true}},
	}
	f.started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		cmd.Wait()
		close(f.done)
	}()
	if err := f.waitReady(addr, runtimeAddr); err != nil {
		f.Stop()
		return nil, fmt.Errorf("%w\n%s", err, tail(logs.String(), 4<<10))
	}
	return f, nil
}

// freePorts returns n distinct ports free on 127.0.0.1 at the time of the call.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// waitReady waits until the emulator process itself listens on addrs (the
// invoke API and the Runtime API). Asking the port would not do: the ports
// were free when chosen, but another process may have taken one since, and
// then an answer would come from that process while this emulator exits
// (it panics when it cannot listen), so two tests could end up sharing an
// emulator. It polls every millisecond at first, so cold-start figures
// carry little polling slack.
func (f *Function) waitReady(addrs ...string) error {
	deadline := time.Now().Add(startTimeout)
	for {
		listening := Listeners(f.PID())
		missing := slices.DeleteFunc(slices.Clone(addrs), func(a string) bool { return slices.Contains(listening, a) })
		if len(missing) == 0 {
			return nil
		}
		err := fmt.Errorf("not listening on %v", missing)
		delay := time.Millisecond
		if time.Since(f.started) > time.Second {
			delay = 20 * time.Millisecond
		}
		select {
		case <-f.done:
			return fmt.Errorf("aws-lambda-rie exited before listening: %v", f.cmd.ProcessState)
		case <-time.After(delay):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("aws-lambda-rie did not listen within %v: %w", startTimeout, err)
		}
	}
}

// Listeners returns the local addresses ("127.0.0.1:8080", "[::]:443") of
// the TCP sockets process pid listens on, from /proc.
func Listeners(pid int) []string {
	inodes := map[string]bool{}
	fds, _ := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	for _, fd := range fds {
		link, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/fd/" + fd.Name())
		if inode, ok := strings.CutPrefix(link, "socket:["); ok && err == nil {
			inodes[strings.TrimSuffix(inode, "]")] = true
		}
	}
	var addrs []string
	for _, file := range []string{"tcp", "tcp6"} {
		data, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/net/" + file)
		for line := range strings.SplitSeq(string(data), "\n") {
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			f := strings.Fields(line)
			if len(f) > 9 && f[3] == "0A" && inodes[f[9]] { // 0A: LISTEN
				if a, ok := procAddr(f[1]); ok {
					addrs = append(addrs, a)
				}
			}
		}
	}
	slices.Sort(addrs)
	return addrs
}

// procAddr decodes a /proc/net/tcp address: the IP in hex, in host byte
// order per 32-bit word (little-endian here), a colon, the port in hex.
func procAddr(s string) (string, bool) {
	ipHex, portHex, ok := strings.Cut(s, ":")
	raw, err := hex.DecodeString(ipHex)
	port, perr := strconv.ParseUint(portHex, 16, 16)
	if !ok || err != nil || perr != nil || (len(raw) != 4 && len(raw) != 16) {
		return "", false
	}
	for i := 0; i < len(raw); i += 4 {
		raw[i], raw[i+1], raw[i+2], raw[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
	}
	ip, _ := netip.AddrFromSlice(raw)
	return netip.AddrPortFrom(ip.Unmap(), uint16(port)).String(), true
}

// Endpoint returns the base URL to give the AWS SDK's Lambda client, as
// AWS_ENDPOINT_URL_LAMBDA or BaseEndpoint. The emulator answers only for the
// function name "function"; use [EventRelay] for any other name or for
// asynchronous invocations.
func (f *Function) Endpoint() string { return f.URL }

// Started returns the instant just before the emulator process was started.
func (f *Function) Started() time.Time { return f.started }

// PID returns the emulator's process id.
func (f *Function) PID() int { return f.cmd.Process.Pid }

// Logs returns everything the emulator and the bootstrap have written to
// stdout and stderr so far. It is safe to call concurrently with a running
// function. See [Function.WaitLogs] for output not yet arrived.
func (f *Function) Logs() string { return f.logs.String() }

// FunctionError is the error the function's handler returned (or its
// panic), as the emulator reports it: status 200 and this JSON body.
type FunctionError struct {
	Message string `json:"errorMessage"`
	Type    string `json:"errorType"`
	// Body is the whole response body.
	Body []byte `json:"-"`
}

func (e *FunctionError) Error() string {
	return "lambda function error: " + e.Type + ": " + e.Message
}

// StatusError is a non-200 answer from the emulator itself (e.g. 502 when
// the bootstrap crashed during init or invoke).
type StatusError struct {
	StatusCode int
	Body       []byte
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("aws-lambda-rie answered %d: %s", e.StatusCode, tail(string(e.Body), 512))
}

// Invoke runs one synchronous (RequestResponse) invocation with payload and
// returns the function's response payload. Calls are serialised: the
// emulator handles one invocation at a time. A handler error is returned as
// a [*FunctionError], a non-200 status as a [*StatusError]; a timeout is
// reported by the emulator as a 200 with the text "Task timed out after N.00
// seconds", which Invoke returns as a [*FunctionError] of type "TimeoutError".
func (f *Function) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	f.invokeMu.Lock()
	defer f.invokeMu.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.URL+InvokePath, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &StatusError{StatusCode: resp.StatusCode, Body: body}
	}
	if fe := asFunctionError(body); fe != nil {
		return body, fe
	}
	return body, nil
}

// asFunctionError recognises the emulator's error answers.
func asFunctionError(body []byte) *FunctionError {
	if bytes.HasPrefix(body, []byte("Task timed out after ")) {
		return &FunctionError{Message: string(body), Type: "TimeoutError", Body: body}
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal(body, &probe) != nil || len(probe) > 3 {
		return nil
	}
	if _, ok := probe["errorMessage"]; !ok {
		return nil
	}
	if _, ok := probe["errorType"]; !ok {
		return nil
	}
	fe := &FunctionError{Body: body}
	if json.Unmarshal(body, fe) != nil {
		return nil
	}
	return fe
}

// BootstrapPID returns the pid of the running bootstrap (the emulator's child
// process), or 0 if none runs: before the first invocation, or after it
// exited.
func (f *Function) BootstrapPID() int {
	kids := children(f.PID())
	if len(kids) == 0 {
		return 0
	}
	f.remember(kids)
	return kids[0]
}

// PeakRSS returns the bootstrap's peak resident set size so far (VmHWM from
// /proc), in bytes. It fails when no bootstrap runs.
func (f *Function) PeakRSS() (int64, error) {
	pid := f.BootstrapPID()
	if pid == 0 {
		return 0, errors.New("no bootstrap process is running")
	}
	return procstat.PeakRSS(pid)
}

// Stop stops the emulator (SIGTERM, which makes it kill the bootstrap) and
// makes sure both are gone: after stopTimeout, or if a bootstrap survives,
// their process groups are killed. It is idempotent and runs in t.Cleanup.
func (f *Function) Stop() {
	f.stopOnce.Do(func() {
		f.noteChildren()
		_ = f.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-f.done:
		case <-time.After(stopTimeout):
		}
		_ = syscall.Kill(-f.PID(), syscall.SIGKILL) // the emulator's group (Setpgid)
		<-f.done
		f.client.CloseIdleConnections()
		f.childMu.Lock()
		defer f.childMu.Unlock()
		for _, pid := range f.children {
			// The emulator starts the bootstrap in a group of its own.
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
}

// Done returns a channel closed when the emulator process has exited.
func (f *Function) Done() <-chan struct{} { return f.done }

func (f *Function) noteChildren() { f.remember(children(f.PID())) }

func (f *Function) remember(pids []int) {
	f.childMu.Lock()
	defer f.childMu.Unlock()
	for _, p := range pids {
		known := false
		for _, k := range f.children {
			known = known || k == p
		}
		if !known {
			f.children = append(f.children, p)
		}
	}
}

// children returns the pids of the live processes whose parent is pid,
// lowest first, from /proc.
func children(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var kids []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if state, ppid, ok := procStat(child); ok && state != 'Z' && ppid == pid {
			kids = append(kids, child)
		}
	}
	sort.Ints(kids)
	return kids
}

// Alive reports whether process pid exists and has not exited (a zombie,
// exited but not yet reaped, does not count), from /proc.
func Alive(pid int) bool {
	state, _, ok := procStat(pid)
	return ok && state != 'Z'
}

// procStat returns the state and the parent pid of process pid from
// /proc/PID/stat: "pid (comm) state ppid …", where comm may hold spaces
// and parentheses.
func procStat(pid int) (state byte, ppid int, ok bool) {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, 0, false
	}
	fields := strings.Fields(string(stat[i+1:]))
	if len(fields) < 2 || len(fields[0]) != 1 {
		return 0, 0, false
	}
	ppid, err = strconv.Atoi(fields[1])
	return fields[0][0], ppid, err == nil
}

// ColdStart starts a fresh emulator running bootstrap with env, invokes it
// once with payload and returns the time from just before the emulator
// process started to the arrival of the first response, the way a Lambda
// cold start is felt by the caller (emulator start-up, bootstrap exec, init
// and the first invocation). The function is stopped before ColdStart
// returns. A failed invocation (including a handler error) ends the test.
func ColdStart(t testing.TB, bootstrap string, env map[string]string, payload []byte, opts ...Option) time.Duration {
	t.Helper()
	f := Start(t, bootstrap, env, opts...)
	defer f.Stop()
	if _, err := f.Invoke(context.Background(), payload); err != nil {
		t.Fatalf("lambdatest: cold start invoke: %v", err)
	}
	return time.Since(f.Started())
}

// WaitForLog waits until the logs contain substr, or ctx ends.
func (f *Function) WaitForLog(ctx context.Context, substr string) error {
	return f.WaitLogs(ctx, func(logs string) bool { return strings.Contains(logs, substr) })
}

// WaitLogs waits until cond holds for the logs, or ctx ends. Output reaches
// the logs through a pipe, a little after the function wrote it (possibly
// after its response arrived), so tests should wait for what they expect
// rather than read [Function.Logs] once.
func (f *Function) WaitLogs(ctx context.Context, cond func(logs string) bool) error {
	for {
		logs, changed := f.logs.snapshot()
		if cond(logs) {
			return nil
		}
		select {
		case <-changed:
		case <-f.done:
			if logs, _ := f.logs.snapshot(); cond(logs) {
				return nil
			}
			return errors.New("aws-lambda-rie exited before the expected output")
		case <-ctx.Done():
			return fmt.Errorf("waiting for function output: %w", context.Cause(ctx))
		}
	}
}

// logBuffer is an io.Writer safe for concurrent use that tells waiters
// when it grows.
type logBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced on every write
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.changed != nil {
		close(b.changed)
		b.changed = nil
	}
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	s, _ := b.snapshot()
	return s
}

// snapshot returns the contents and a channel closed on the next write.
func (b *logBuffer) snapshot() (string, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.changed == nil {
		b.changed = make(chan struct{})
	}
	return b.buf.String(), b.changed
}

// tail returns at most the last n bytes of s.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
