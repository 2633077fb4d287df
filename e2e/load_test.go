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
	"github.com/streambot/streambot/internal/slackbot"
	"github.com/streambot/streambot/internal/testtools"
	"github.com/streambot/streambot/pkg/atlas/atlastest"
)

// The load, as issues 6 and 15 ask for it; `make load` runs TestLoad*
// verbosely with these defaults, and the flags change them for a bigger
// run, e.g. go test ./e2e -run TestLoad -v -load.commands 2000.
var (
	loadCommands    = flag.Int("load.commands", 200, "signed requests per load test: commands and clicks (a fifth of them approvals: a command and a click); make load sends 500")
	loadConcurrency = flag.Int("load.concurrency", 10, "requests in flight at once; make load sends 25")
	loadLatency     = flag.Duration("load.latency", 250*time.Millisecond, "latency the Atlas simulator adds to every answer")
	loadSlackFns    = flag.Int("load.slack-emulators", 5, "Slack function emulators behind the round robin")
	loadCreateFns   = flag.Int("load.create-emulators", 25, "worker emulators behind the async relay")
)

// loadWait bounds how long the answers may take after the last ack.
const loadWait = 90 * time.Second

// loadPolicy is the load tests' policy: creates on dev run at once; creates
// on prod wait for an approval by lead (approvalPolicy).
const loadPolicy = policyYAML + approvalPolicy

// loadMix is the load of one test: n signed requests, of which k
// approvals (each a create on prod and lead's Approve click on its
// request) and n-2k plain creates on dev, spread evenly. Unit i creates
// the workspace loadName(i).
type loadMix struct{ n, units, k int }

func newLoadMix(n int) loadMix {
	k := n / 5
	return loadMix{n: n, units: n - k, k: k}
}

// approval reports whether unit i is an approval.
func (m loadMix) approval(i int) bool { return (i+1)*m.k/m.units > i*m.k/m.units }

// text is unit i's command.
func (m loadMix) text(i int) string {
	if m.approval(i) {
		return "create " + loadName(i) + " --region VIRGINIA_USA --tier SP10 --project prod"
	}
	return "create " + loadName(i) + " --region VIRGINIA_USA --tier SP10"
}

// loadReq is one request of the load: unit i's command, or a click.
type loadReq struct {
	i     int
	click *slackbot.Click // the approver's click on an approval request
}

// loadResult is what one load run measured.
type loadResult struct {
	acks, clickAcks []time.Duration // ack latency of each command and click, as the caller saw it
	total           time.Duration   // first request sent to last answer delivered
}

// summary is the line the load tests print: the figures the README quotes.
func (r loadResult) summary(via string, m loadMix) string {
	a, c := slashload.Summarize(r.acks), slashload.Summarize(r.clickAcks)
	return fmt.Sprintf("load via %s: %d requests (%d commands, %d of them waiting for approval, and %d approval clicks), concurrency %d, Atlas latency %v: "+
		"command ack p50 %v p99 %v max %v; click ack p50 %v p99 %v max %v; all answered in %v",
		via, a.N+c.N, a.N, m.k, c.N, *loadConcurrency, *loadLatency,
		a.P50.Round(100*time.Microsecond), a.P99.Round(100*time.Microsecond), a.Max.Round(100*time.Microsecond),
		c.P50.Round(100*time.Microsecond), c.P99.Round(100*time.Microsecond), c.Max.Round(100*time.Microsecond),
		r.total.Round(time.Millisecond))
}

// loadName is the workspace the i-th unit creates.
func loadName(i int) string { return fmt.Sprintf("load-%04d", i) }

// fire sends the load m, concurrency requests at a time, through send,
// which sends one request and returns its ack text ("" for a click's
// empty 200): every unit's command in order, and, as each approval
// request appears in the recording Slack, lead's Approve click on it. It
// records each ack's latency and checks each ack.
func fire(t *testing.T, sl *slackrec.Server, m loadMix, send func(r loadReq) (string, error)) (acks, clickAcks []time.Duration) {
	t.Helper()
	next := make(chan loadReq)
	var wg, producers sync.WaitGroup
	var mu sync.Mutex
	var errs []string
	fail := func(format string, args ...any) {
		mu.Lock()
		errs = append(errs, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	for range *loadConcurrency {
		wg.Go(func() {
			for r := range next {
				start := time.Now()
				text, err := send(r)
				d := time.Since(start)
				switch {
				case err != nil:
				case r.click != nil && text != "":
					err = fmt.Errorf("click answered %q, want an empty 200", text)
				case r.click == nil && m.approval(r.i) && !strings.Contains(text, "asks for an approval"):
					err = fmt.Errorf("ack %q, want it to say an approval is needed", text)
				case r.click == nil && !m.approval(r.i) && !strings.HasPrefix(text, "Working on it: creating `"+loadName(r.i)+"`"):
					err = fmt.Errorf("ack %q, want %q…", text, "Working on it: creating `"+loadName(r.i)+"`")
				}
				mu.Lock()
				if r.click != nil {
					clickAcks = append(clickAcks, d)
				} else {
					acks = append(acks, d)
				}
				mu.Unlock()
				if err != nil {
					fail("request %d (click %t): %v", r.i, r.click != nil, err)
				}
			}
		})
	}
	producers.Go(func() {
		for i := range m.units {
			next <- loadReq{i: i}
		}
	})
	producers.Go(func() {
		// The approval clicks, as the requests appear (the worker posts
		// them after the create's ack).
		seen := map[string]bool{}
		deadline := time.Now().Add(loadWait)
		for len(seen) < m.k {
			if time.Now().After(deadline) {
				fail("after %v only %d of %d approval requests were posted", loadWait, len(seen), m.k)
				return
			}
			for _, c := range sl.Delivered(slackrec.PostMessage) {
				if seen[c.TS] {
					continue
				}
				if click, ok := buttonClick(sl, c, "streambot.approve.create", lead); ok {
					seen[c.TS] = true
					name := loadParent.FindStringSubmatch(c.Text)
					i := -1
					if name != nil {
						fmt.Sscanf(name[1], "load-%d", &i)
					}
					next <- loadReq{i: i, click: &click}
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	producers.Wait()
	close(next)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d of %d requests failed:\n%s", len(errs), m.n, strings.Join(errs[:min(len(errs), 10)], "\n"))
	}
	return acks, clickAcks
}

// loadThreads sorts the recording Slack's channel posts of a load run: for
// each workspace its parent messages (a create's parent, or the approval
// request of a create on prod) and the replies in their threads.
type loadThreads struct {
	parents   map[string][]string        // workspace → parent ts
	approvals map[string]bool            // parent ts → an approval request
	replies   map[string][]slackrec.Call // parent ts → thread replies
	other     []string                   // posts that are neither
}

func threadsOf(sl *slackrec.Server) loadThreads {
	th := loadThreads{parents: map[string][]string{}, approvals: map[string]bool{}, replies: map[string][]slackrec.Call{}}
	for _, c := range sl.Delivered(slackrec.PostMessage) {
		name := loadParent.FindStringSubmatch(c.Text)
		switch {
		case c.ThreadTS != "":
			th.replies[c.ThreadTS] = append(th.replies[c.ThreadTS], c)
		case name != nil && (isParent(c) || strings.Contains(c.Text, " asks for a *create* of ")):
			th.parents[name[1]] = append(th.parents[name[1]], c.TS)
			th.approvals[c.TS] = !isParent(c)
		default:
			th.other = append(th.other, c.Text)
		}
	}
	return th
}

// results counts the Jobs' answers: replies in a thread other than an
// approval's note ("… approved this; it runs now.").
func (th loadThreads) results(ts string) int {
	n := 0
	for _, c := range th.replies[ts] {
		if !strings.Contains(c.Text, "approved this") {
			n++
		}
	}
	return n
}

// checkAnswered checks that each unit of m was answered exactly once and
// created exactly one workspace: one parent message per workspace (its
// approval request for a create on prod), exactly one answer in each
// parent's thread (and one approval note in an approval's), no private
// answer but the approval requesters' (nothing refused, no response_url
// fallback), one create request
// to Atlas per unit and the workspaces where they belong.
func checkAnswered(t *testing.T, m loadMix, sl *slackrec.Server, a *atlastest.Atlas) {
	t.Helper()
	th := threadsOf(sl)
	for _, o := range th.other {
		t.Errorf("an unexpected channel post: %q", o)
	}
	for i := range m.units {
		ps := th.parents[loadName(i)]
		if len(ps) != 1 {
			t.Errorf("%s has %d parent messages, want 1", loadName(i), len(ps))
			continue
		}
		if th.approvals[ps[0]] != m.approval(i) {
			t.Errorf("%s: approval request %t, want %t", loadName(i), th.approvals[ps[0]], m.approval(i))
		}
		if n := th.results(ps[0]); n != 1 {
			t.Errorf("%s was answered %d times in its thread, want exactly once", loadName(i), n)
		}
		if notes := len(th.replies[ps[0]]) - th.results(ps[0]); m.approval(i) && notes != 1 {
			t.Errorf("%s: %d approval notes in its thread, want 1", loadName(i), notes)
		}
	}
	// Privately, only each approval's requester is told it waits: nothing
	// refused, no response_url fallback.
	waits := 0
	for _, c := range sl.Delivered(slackrec.ResponseURL) {
		if strings.Contains(c.Text, "waits for an approval") {
			waits++
		} else {
			t.Errorf("an unexpected private answer: %q", c.Text)
		}
	}
	if waits != m.k {
		t.Errorf("%d requesters were told their create waits for an approval, want %d", waits, m.k)
	}
	if got := a.Calls(atlastest.OpCreateStream); got != m.units {
		t.Errorf("Atlas got %d create requests for %d creates (duplicates: %d)", got, m.units, got-m.units)
	}
	if got := a.Workspaces(devGroupID); got != m.units-m.k {
		t.Errorf("Atlas holds %d workspaces on dev for %d creates", got, m.units-m.k)
	}
	if got := a.Workspaces(prodGroupID); got != m.k {
		t.Errorf("Atlas holds %d workspaces on prod for %d approved creates", got, m.k)
	}
}

// loadParent finds the workspace a load test's parent message names.
var loadParent = regexp.MustCompile(`\b(load-\d+)\b`)

// waitAnswered waits until every unit of m has its answer in its thread,
// every parent shows its final status and every approval's requester has
// been told it waits, and returns when that happened.
func waitAnswered(t *testing.T, m loadMix, sl *slackrec.Server) time.Time {
	t.Helper()
	deadline := time.Now().Add(loadWait)
	for {
		th := threadsOf(sl)
		answered := 0
		for _, ps := range th.parents {
			for _, ts := range ps {
				if th.results(ts) > 0 {
					answered++
				}
			}
		}
		waits := 0 // the requesters' private notes, which may come after the approved run's answer
		for _, c := range sl.Delivered(slackrec.ResponseURL) {
			if strings.Contains(c.Text, "waits for an approval") {
				waits++
			}
		}
		if answered >= m.units && len(sl.Delivered(slackrec.Update)) >= m.units && waits >= m.k {
			return time.Now()
		}
		if time.Now().After(deadline) {
			failed := 0
			for _, c := range sl.Calls() {
				if c.Failed {
					failed++
				}
			}
			calls := describeCalls(sl.Calls())
			t.Fatalf("after %v only %d of %d creates were answered in their thread (%d chat.update, %d response_url posts, %d failed Slack calls); Slack got:\n%s",
				loadWait, answered, m.units, len(sl.Delivered(slackrec.Update)), len(sl.Delivered(slackrec.ResponseURL)), failed, calls[max(0, len(calls)-6000):])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestLoadServe fires the load at `streambot serve` (the built binary, the
// edge and the worker in one process, as `make serve` runs it), with the
// Atlas simulator adding latency to every answer.
func TestLoadServe(t *testing.T) {
	m := newLoadMix(*loadCommands)
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
		"ACCESS_POLICY":               loadPolicy,
		"LOG_LEVEL":                   "info",
	})
	interactions := strings.TrimSuffix(srv.url, "/slack/commands") + "/slack/interactions"

	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: *loadConcurrency}}
	start := time.Now()
	acks, clickAcks := fire(t, s.slack, m, func(r loadReq) (string, error) {
		target, body := srv.url, s.form(slash{Text: m.text(r.i)})
		if r.click != nil {
			target, body = interactions, slackbot.ClickBody(*r.click)
		}
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, target, strings.NewReader(body))
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
		if r.click != nil {
			return string(b), nil
		}
		return ackFromJSON(b)
	})
	done := waitAnswered(t, m, s.slack)
	res := loadResult{acks: acks, clickAcks: clickAcks, total: done.Sub(start)}
	srv.stop(t)

	checkAnswered(t, m, s.slack, s.atlas)
	checkNoSecrets(t, map[string]string{"streambot serve": srv.output.String()}, s.secrets())
	line := res.summary("streambot serve", m)
	t.Log(line)
	fmt.Println(line)
}

// TestLoadEmulator fires the same load through the Lambda emulators. The
// emulator runs one invocation at a time per process (as one Lambda
// execution environment does), so the suite models Lambda's concurrency
// with pools: several Slack function emulators behind a round robin over
// the idle ones (API Gateway's side), and several workers behind the
// lambdatest relay, which gives each Event invocation to an idle worker
// (Lambda's side). Both functions share the stack's state table in
// moto_server, as deployed.
func TestLoadEmulator(t *testing.T) {
	m := newLoadMix(*loadCommands)
	s := newServices(t, stackConfig{atlasOpts: []atlastest.Option{atlastest.WithLatency(*loadLatency)}})
	s.policy = loadPolicy

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
	acks, clickAcks := fire(t, s.slack, m, func(r loadReq) (string, error) {
		// The event is made once an emulator is free, as API Gateway
		// makes it when it hands the request to Lambda: its timeEpoch
		// starts the edge's ack budget, and the wait for one of this
		// test's few emulators is the harness's, not a request's.
		fn := <-edges // the next idle emulator
		ev := apiEvent(s.form(slash{Text: m.text(r.i)}), s.signingSecret, time.Now())
		if r.click != nil {
			ev = apiEventTo("/slack/interactions", slackbot.ClickBody(*r.click), s.signingSecret, time.Now())
		}
		payload, err := json.Marshal(ev)
		if err != nil {
			edges <- fn
			return "", err
		}
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
		if r.click != nil {
			return resp.Body, nil
		}
		return ackFromJSON([]byte(resp.Body))
	})
	relay.Wait()
	done := waitAnswered(t, m, s.slack)
	res := loadResult{acks: acks, clickAcks: clickAcks, total: done.Sub(start)}

	results := relay.Results()
	if want := m.units + m.k; len(results) != want {
		// One Job per command (an approval's posts its request) and one
		// per approval click (the approved create).
		t.Errorf("the workers were invoked %d times for %d commands and %d clicks", len(results), m.units, m.k)
	}
	for _, r := range results {
		if r.Err != nil || r.InvocationType != "Event" || r.FunctionName != createFunctionName {
			t.Errorf("worker invocation %s of %s: %v; want an Event invocation of %s without error", r.InvocationType, r.FunctionName, r.Err, createFunctionName)
		}
	}
	checkAnswered(t, m, s.slack, s.atlas)
	line := res.summary(fmt.Sprintf("the emulator (%d Slack function and %d worker emulators)", *loadSlackFns, *loadCreateFns), m)
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
