package e2e

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/streambot/streambot/bench/slashload"
	"github.com/streambot/streambot/internal/lambdatest"
	"github.com/streambot/streambot/internal/reply/slackrec"
	"github.com/streambot/streambot/internal/testtools"
	"github.com/streambot/streambot/pkg/atlas/atlastest"
)

// The load, as issue 6 asks for it; `make load` runs TestLoad* verbosely
// with these defaults, and the flags change them for a bigger run, e.g.
// go test ./e2e -run TestLoad -v -load.commands 2000.
var (
	loadCommands    = flag.Int("load.commands", 500, "signed create commands per load test")
	loadConcurrency = flag.Int("load.concurrency", 25, "commands in flight at once")
	loadLatency     = flag.Duration("load.latency", 250*time.Millisecond, "latency the Atlas simulator adds to every answer")
	loadSlackFns    = flag.Int("load.slack-emulators", 5, "Slack function emulators behind the round robin")
	loadCreateFns   = flag.Int("load.create-emulators", 25, "worker emulators behind the async relay")
)

// loadWait bounds how long the answers may take after the last ack.
const loadWait = 90 * time.Second

// loadResult is what one load run measured.
type loadResult struct {
	acks  []time.Duration // ack latency of each command, as the caller saw it
	total time.Duration   // first command sent to last answer delivered
}

// summary is the line the load tests print: the figures the README quotes.
func (r loadResult) summary(via string) string {
	a := slashload.Summarize(r.acks)
	return fmt.Sprintf("load via %s: %d commands, concurrency %d, Atlas latency %v: ack p50 %v p99 %v max %v; all answered in %v",
		via, a.N, *loadConcurrency, *loadLatency, a.P50.Round(100*time.Microsecond), a.P99.Round(100*time.Microsecond),
		a.Max.Round(100*time.Microsecond), r.total.Round(time.Millisecond))
}

// loadName is the workspace the i-th command creates.
func loadName(i int) string { return fmt.Sprintf("load-%04d", i) }

// fire sends n commands, concurrency at a time, through send, which sends
// the i-th and returns its ack text; it records each ack's latency.
func fire(t *testing.T, n int, send func(i int) (string, error)) []time.Duration {
	t.Helper()
	acks := make([]time.Duration, n)
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []string
	for range *loadConcurrency {
		wg.Go(func() {
			for i := range next {
				start := time.Now()
				text, err := send(i)
				acks[i] = time.Since(start)
				want := "Working on it: creating `" + loadName(i) + "`"
				if err == nil && !strings.HasPrefix(text, want) {
					err = fmt.Errorf("ack %q, want %q…", text, want)
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, fmt.Sprintf("command %d: %v", i, err))
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d of %d commands were not acknowledged:\n%s", len(errs), n, strings.Join(errs[:min(len(errs), 10)], "\n"))
	}
	return acks
}

// checkAnswered checks that each of the n commands was answered exactly
// once and created exactly one workspace: one parent message per
// workspace, exactly one delivered reply in each parent's thread, no
// response_url fallback, n create requests and n workspaces.
func checkAnswered(t *testing.T, n int, sl *slackrec.Server, a *atlastest.Atlas) {
	t.Helper()
	parents := map[string]string{} // parent ts -> workspace
	perName := map[string]int{}
	replies := map[string]int{} // parent ts -> delivered thread replies
	for _, c := range sl.Delivered(slackrec.PostMessage) {
		switch {
		case isParent(c):
			name := loadParent.FindStringSubmatch(c.Text)
			if name == nil {
				t.Errorf("a parent names no load workspace: %q", c.Text)
				continue
			}
			parents[c.TS] = name[1]
			perName[name[1]]++
		case c.ThreadTS != "":
			replies[c.ThreadTS]++
		default:
			t.Errorf("an unexpected channel post: %q", c.Text)
		}
	}
	for i := range n {
		if perName[loadName(i)] != 1 {
			t.Errorf("%s has %d parent messages, want 1", loadName(i), perName[loadName(i)])
		}
	}
	for ts, name := range parents {
		if replies[ts] != 1 {
			t.Errorf("%s was answered %d times in its thread, want exactly once", name, replies[ts])
		}
	}
	if len(replies) != len(parents) {
		t.Errorf("%d threads have replies, %d parents exist", len(replies), len(parents))
	}
	if got := sl.Delivered(slackrec.ResponseURL); len(got) != 0 {
		t.Errorf("%d answers went through the response_url fallback, want 0", len(got))
	}
	if got := a.Calls(atlastest.OpCreateStream); got != n {
		t.Errorf("Atlas got %d create requests for %d commands (duplicates: %d)", got, n, got-n)
	}
	if got := a.Workspaces(devGroupID); got != n {
		t.Errorf("Atlas holds %d workspaces for %d commands", got, n)
	}
}

// loadParent finds the workspace a load test's parent message names.
var loadParent = regexp.MustCompile("`(load-\\d+)`")

// waitAnswered waits until n thread replies have been delivered and every
// parent shows its final status, and returns when that happened.
func waitAnswered(t *testing.T, n int, sl *slackrec.Server) time.Time {
	t.Helper()
	deadline := time.Now().Add(loadWait)
	for {
		replies := 0
		for _, c := range sl.Delivered(slackrec.PostMessage) {
			if c.ThreadTS != "" {
				replies++
			}
		}
		if replies >= n && len(sl.Delivered(slackrec.Update)) >= n {
			return time.Now()
		}
		if time.Now().After(deadline) {
			failed := 0
			for _, c := range sl.Calls() {
				if c.Failed {
					failed++
				}
			}
			t.Fatalf("after %v only %d of %d commands were answered in their thread (%d chat.update, %d response_url posts, %d failed Slack calls)",
				loadWait, replies, n, len(sl.Delivered(slackrec.Update)), len(sl.Delivered(slackrec.ResponseURL)), failed)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestLoadServe fires signed create commands at `streambot serve` (the
// built binary, the edge and the worker in one process, as `make serve`
// runs it), with the Atlas simulator adding latency to every answer.
func TestLoadServe(t *testing.T) {
	n := *loadCommands
	s := newServices(t, stackConfig{atlasOpts: []atlastest.Option{atlastest.WithLatency(*loadLatency)}})

	bin := filepath.Join(t.TempDir(), "streambot")
	build := exec.Command("go", "build", "-o", bin, "./cmd/streambot")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/streambot: %v\n%s", err, out)
	}
	srv := startServe(t, bin, map[string]string{
		"SLACK_SIGNING_SECRET":        s.signingSecret,
		"SLACK_BOT_TOKEN":             s.botToken,
		"SLACK_API_URL":               s.slack.APIURL(),
		"MONGODB_ATLAS_CLIENT_ID":     s.clientID,
		"MONGODB_ATLAS_CLIENT_SECRET": s.clientSecret,
		"ATLAS_BASE_URL":              s.atlasURL,
		"ACCESS_POLICY":               policyYAML,
		"LOG_LEVEL":                   "info",
	})

	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: *loadConcurrency}}
	start := time.Now()
	acks := fire(t, n, func(i int) (string, error) {
		body := s.form(slash{Text: "create " + loadName(i) + " --region VIRGINIA_USA --tier SP10"})
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.url, strings.NewReader(body))
		if err != nil {
			return "", err
		}
		ts, sig := slashload.Sign(s.signingSecret, []byte(body), time.Now())
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Slack-Request-Timestamp", ts)
		req.Header.Set("X-Slack-Signature", sig)
		resp, err := client.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("HTTP %d %q: %v", resp.StatusCode, b, err)
		}
		return ackFromJSON(b)
	})
	done := waitAnswered(t, n, s.slack)
	res := loadResult{acks: acks, total: done.Sub(start)}
	srv.stop(t)

	checkAnswered(t, n, s.slack, s.atlas)
	checkNoSecrets(t, map[string]string{"streambot serve": srv.output.String()}, s.secrets())
	line := res.summary("streambot serve")
	t.Log(line)
	fmt.Println(line)
}

// TestLoadEmulator fires the same load through the Lambda emulators. The
// emulator runs one invocation at a time per process (as one Lambda
// execution environment does), so the suite models Lambda's concurrency
// with pools: several Slack function emulators behind a round robin over
// the idle ones (API Gateway's side), and several workers behind the
// lambdatest relay, which gives each Event invocation to an idle worker
// (Lambda's side).
func TestLoadEmulator(t *testing.T) {
	n := *loadCommands
	s := newServices(t, stackConfig{atlasOpts: []atlastest.Option{atlastest.WithLatency(*loadLatency)}})

	var workers []*lambdatest.Function
	for range *loadCreateFns {
		workers = append(workers, s.startFunction(createPkg, s.createEnv(), true,
			lambdatest.WithFunctionName(createFunctionName), lambdatest.WithTimeout(createTimeout)))
	}
	relay := lambdatest.EventRelay(t, workers...)
	edges := make(chan *lambdatest.Function, *loadSlackFns)
	for range *loadSlackFns {
		edges <- s.startFunction(slackPkg, s.slackEnv(relay.Endpoint()), true,
			lambdatest.WithFunctionName("streambot-slack"), lambdatest.WithTimeout(slackTimeout))
	}

	start := time.Now()
	acks := fire(t, n, func(i int) (string, error) {
		ev := apiEvent(s.form(slash{Text: "create " + loadName(i) + " --region VIRGINIA_USA --tier SP10"}), s.signingSecret, time.Now())
		payload, err := json.Marshal(ev)
		if err != nil {
			return "", err
		}
		fn := <-edges // the next idle emulator
		out, err := fn.Invoke(t.Context(), payload)
		edges <- fn
		if err != nil {
			return "", err
		}
		var resp struct {
			StatusCode int    `json:"statusCode"`
			Body       string `json:"body"`
		}
		if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("answer %q: %v", out, err)
		}
		return ackFromJSON([]byte(resp.Body))
	})
	relay.Wait()
	done := waitAnswered(t, n, s.slack)
	res := loadResult{acks: acks, total: done.Sub(start)}

	results := relay.Results()
	if len(results) != n {
		t.Errorf("the workers were invoked %d times for %d commands", len(results), n)
	}
	for _, r := range results {
		if r.Err != nil || r.InvocationType != "Event" || r.FunctionName != createFunctionName {
			t.Errorf("worker invocation %s of %s: %v; want an Event invocation of %s without error", r.InvocationType, r.FunctionName, r.Err, createFunctionName)
		}
	}
	checkAnswered(t, n, s.slack, s.atlas)
	line := res.summary(fmt.Sprintf("the emulator (%d Slack function and %d worker emulators)", *loadSlackFns, *loadCreateFns))
	t.Log(line)
	fmt.Println(line)
}

// serveProcess is a running `streambot serve`.
type serveProcess struct {
	url    string // the slash command URL it printed
	cmd    *exec.Cmd
	output testtools.Buffer // stdout and stderr
	done   chan struct{}
}

// servingLine is what serve prints once it listens.
var servingLine = regexp.MustCompile(`streambot serving POST (http://127\.0\.0\.1:\d+/slack/commands)`)

// startServe runs `bin serve` on a free 127.0.0.1 port with only env (and
// PATH and a fresh HOME) and waits until it listens. It is stopped with
// SIGINT when the test ends, if not before.
func startServe(t *testing.T, bin string, env map[string]string) *serveProcess {
	t.Helper()
	p := &serveProcess{done: make(chan struct{})}
	p.cmd = exec.Command(bin, "serve", "--addr", "127.0.0.1:0")
	p.cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + t.TempDir()}
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p.cmd.Stderr = &p.output
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.output.Write([]byte(sc.Text() + "\n"))
			if m := servingLine.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	go func() {
		p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.stop(t) })
	select {
	case p.url = <-found:
	case <-p.done:
		t.Fatalf("streambot serve exited: %v\n%s", p.cmd.ProcessState, p.output.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("streambot serve did not start listening\n%s", p.output.String())
	}
	return p
}

// stop sends SIGINT, which makes serve finish the Jobs in flight and exit
// 0, and waits; after 20 s it kills the process and fails the test.
func (p *serveProcess) stop(t *testing.T) {
	t.Helper()
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
		if !p.cmd.ProcessState.Success() {
			t.Errorf("streambot serve exited with %v\n%s", p.cmd.ProcessState, p.output.String())
		}
	case <-time.After(20 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
		t.Errorf("streambot serve did not stop within 20s of SIGINT")
	}
}
