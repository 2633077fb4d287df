package bench_test

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streambot/streambot/bench/slashload"
	"github.com/streambot/streambot/internal/motoserver"
)

var (
	runs    = flag.Int("runs", 20, "cold starts per server")
	invokes = flag.Int("invokes", 200, "warm requests per server and round")
	rounds  = flag.Int("rounds", 3, "rounds of warm requests per server, pooled (BenchmarkWarmAck)")
	pace    = flag.Duration("pace", 5*time.Millisecond, "the paced warm requests' spacing (BenchmarkWarmAck/*-paced)")
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	motoserver.StopShared()
	os.Exit(code)
}

// signingSecret is the Slack signing secret every server under measurement
// checks.
const signingSecret = "bench-signing-secret-8f742231b10e"

// benchUser is granted create in the default project of the policies used
// here (cmd/streambot/demo-policy.yaml and lambdaPolicy).
const benchUser = "U0ALICE"

var (
	rootOnce sync.Once
	rootDir  string
	rootErr  error
)

// root returns the module root (the directory of go.mod).
func root(tb testing.TB) string {
	tb.Helper()
	rootOnce.Do(func() {
		out, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			rootErr = fmt.Errorf("go env GOMOD: %w", err)
			return
		}
		rootDir = filepath.Dir(strings.TrimSpace(string(out)))
	})
	if rootErr != nil {
		tb.Fatal(rootErr)
	}
	return rootDir
}

// goBuild builds pkg (relative to the module root) for this machine with
// extra environment and flags, into a fresh temporary directory.
func goBuild(tb testing.TB, pkg string, env []string, flags ...string) string {
	tb.Helper()
	out := filepath.Join(tb.TempDir(), filepath.Base(pkg))
	args := append([]string{"build"}, flags...)
	args = append(args, "-o", out, pkg)
	cmd := exec.Command("go", args...)
	cmd.Dir = root(tb)
	cmd.Env = append(os.Environ(), env...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, msg)
	}
	return out
}

// freeAddr returns a 127.0.0.1 address free at the time of the call.
func freeAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// baseEnv is the environment of every process started here: no variables
// of the developer's, a fresh HOME.
func baseEnv(tb testing.TB, kv ...string) []string {
	return append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + tb.TempDir()}, kv...)
}

// ms returns d in milliseconds, for b.ReportMetric.
func ms(d time.Duration) float64 { return slashload.MsFloat(d) }

// mb returns n bytes in MB (10^6), for b.ReportMetric.
func mb(n int64) float64 { return float64(n) / 1e6 }

// median returns the median of d.
func median(d []time.Duration) time.Duration { return slashload.Summarize(d).P50 }

// splitAddr splits host:port.
func splitAddr(addr string) (host, port string, err error) { return net.SplitHostPort(addr) }

// edgeRun is one timed request to the Slack function under the emulator.
type edgeRun struct {
	// toEffect is the event handed to the emulator → what the benchmark
	// waits for (the Job's Invoke arriving at Lambda, views.open at Slack).
	toEffect time.Duration
	// toAck is the event handed to the emulator → the acknowledgement.
	toAck time.Duration
	// fromStart is the emulator's start → the effect: toEffect plus the
	// emulator's own start-up, a generous upper bound.
	fromStart time.Duration
}

// reportEdgeRuns logs the cold and warm runs of a Slack function benchmark
// and reports their medians and maxima in ms: effect names what was timed
// ("Job dispatched"), key its metrics ("cold-job-ms-p50").
func reportEdgeRuns(b *testing.B, effect, key string, cold, warm []edgeRun) {
	for _, m := range []struct {
		name string
		runs []edgeRun
	}{{"cold", cold}, {"warm", warm}} {
		var eff, ack, fromStart []time.Duration
		for _, r := range m.runs {
			eff, ack, fromStart = append(eff, r.toEffect), append(ack, r.toAck), append(fromStart, r.fromStart)
		}
		se, sa := slashload.Summarize(eff), slashload.Summarize(ack)
		b.Logf("%s event→%s %s", m.name, effect, se)
		b.Logf("%s event→ack %s", m.name, sa)
		if m.name == "cold" {
			sf := slashload.Summarize(fromStart)
			b.Logf("%s emulator start→%s %s", m.name, effect, sf)
			b.ReportMetric(ms(sf.P50), "cold-start-to-"+key+"-ms-p50")
		}
		b.ReportMetric(ms(se.P50), m.name+"-"+key+"-ms-p50")
		b.ReportMetric(ms(se.Max), m.name+"-"+key+"-ms-max")
		b.ReportMetric(ms(sa.P50), m.name+"-ack-ms-p50")
	}
}
