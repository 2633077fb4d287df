// Package motoserver runs moto_server, a local implementation of AWS APIs,
// for tests that exercise the real AWS SDK against Secrets Manager.
//
// moto_server is preinstalled on the development and CI machines; elsewhere
// install it with `pip install "moto[server]"`. When it is missing, tests
// fail on CI (CI non-empty or STREAMBOT_REQUIRE_TOOLS=1) and are skipped
// otherwise; see internal/testtools.
//
// A test that wants a server of its own calls [Start]:
//
//	endpoint := motoserver.Start(t)
//	client := secretsmanager.NewFromConfig(motoserver.Config(ctx, endpoint))
//
// A package whose tests can share one server (use distinct secret names,
// e.g. derived from t.Name()) calls [Shared] instead and stops it from
// TestMain:
//
//	func TestMain(m *testing.M) {
//		defer motoserver.StopShared()
//		m.Run()
//	}
package motoserver

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/streambot/streambot/internal/testtools"
)

// Binary is the program Start runs, looked up on PATH.
const Binary = "moto_server"

// InstallHint is the command that installs [Binary].
const InstallHint = `pip install "moto[server]"`

// Region is the region [Config] uses.
const Region = "us-east-1"

// startTimeout bounds how long a server may take to start answering.
const startTimeout = 60 * time.Second

// Start starts moto_server on 127.0.0.1 and a free port, waits until it
// answers HTTP and returns its endpoint ("http://127.0.0.1:PORT"). The server
// is stopped in t.Cleanup. Start changes no process-wide state (no
// environment variables). If moto_server is not installed, the test fails or
// is skipped as described in the package comment.
func Start(t testing.TB) string {
	t.Helper()
	path := testtools.RequireTool(t, Binary, InstallHint)
	s, err := start(path)
	if err != nil {
		t.Fatalf("motoserver: %v", err)
	}
	t.Cleanup(s.stop)
	return s.endpoint
}

var shared struct {
	mu  sync.Mutex
	srv *server
	err error
}

// Shared returns the endpoint of one moto_server shared by every test in the
// test binary, starting it on first use. It is safe for concurrent use. The
// server keeps running until [StopShared], which the package's TestMain must
// call; tests sharing it must not depend on each other's state (use distinct
// resource names). Missing moto_server is handled as in [Start].
func Shared(t testing.TB) string {
	t.Helper()
	path := testtools.RequireTool(t, Binary, InstallHint)
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.srv == nil && shared.err == nil {
		shared.srv, shared.err = start(path)
	}
	if shared.err != nil {
		t.Fatalf("motoserver: %v", shared.err)
	}
	return shared.srv.endpoint
}

// SharedLogs returns everything the server started by [Shared] has
// printed so far (werkzeug's request log), for tests that search every
// process's output for secrets; "" if there is none.
func SharedLogs() string {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.srv == nil {
		return ""
	}
	return shared.srv.output.String()
}

// StopShared stops the server started by [Shared], if any. Call it from
// TestMain after m.Run.
func StopShared() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.srv != nil {
		shared.srv.stop()
		shared.srv = nil
	}
}

// Config returns an aws.Config for the real AWS SDK that sends every
// service's requests to endpoint, with static test credentials and region
// us-east-1. It loads no shared config or credentials files.
func Config(ctx context.Context, endpoint string) aws.Config {
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion(Region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")),
		config.WithBaseEndpoint(endpoint),
		config.WithSharedConfigFiles([]string{}),
		config.WithSharedCredentialsFiles([]string{}),
	)
	if err != nil {
		// Every input above is static, so this cannot fail in practice.
		panic("motoserver: loading AWS config: " + err.Error())
	}
	return cfg
}

type server struct {
	endpoint string
	cmd      *exec.Cmd
	done     chan struct{}    // closed when the process has exited
	output   testtools.Buffer // stdout and stderr
}

// listening matches werkzeug's start-up line " * Running on http://127.0.0.1:PORT".
var listening = regexp.MustCompile(`Running on (http://127\.0\.0\.1:\d+)`)

func start(path string) (*server, error) {
	// Port 0: the server picks a free port and prints it, so there is no
	// window in which another process could take a port we chose.
	cmd := exec.Command(path, "-H", "127.0.0.1", "-p", "0")
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	cmd.Stderr = pw
	cmd.WaitDelay = 5 * time.Second
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", path, err)
	}
	s := &server{cmd: cmd, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		pw.Close()
		close(s.done)
	}()

	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			if m := listening.FindStringSubmatch(line); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
			s.output.Write([]byte(line + "\n"))
		}
		// Keep draining so the server never blocks on a full pipe.
		io.Copy(&s.output, pr)
	}()
	output := func() string { // the start of the output, for error messages
		out := s.output.String()
		return out[:min(len(out), 4<<10)]
	}

	deadline := time.NewTimer(startTimeout)
	defer deadline.Stop()
	select {
	case s.endpoint = <-found:
	case <-s.done:
		return nil, fmt.Errorf("%s exited before listening: %v\n%s", path, cmd.ProcessState, output())
	case <-deadline.C:
		s.stop()
		return nil, fmt.Errorf("%s did not start listening within %v\n%s", path, startTimeout, output())
	}
	if err := s.waitReady(deadline.C); err != nil {
		s.stop()
		return nil, fmt.Errorf("%s at %s: %w\n%s", path, s.endpoint, err, output())
	}
	return s, nil
}

// waitReady polls moto's own API until it answers 200.
func (s *server) waitReady(deadline <-chan time.Time) error {
	client := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		resp, err := client.Get(s.endpoint + "/moto-api/data.json")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		last = err
		select {
		case <-tick.C:
		case <-s.done:
			return fmt.Errorf("exited while starting: %v", last)
		case <-deadline:
			return fmt.Errorf("not answering: %v", last)
		}
	}
}

// stop kills the server process and waits for it to exit.
func (s *server) stop() {
	s.cmd.Process.Kill()
	<-s.done
}
