package bench_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/streambot/streambot/bench/slashload"
)

// server is one HTTP server under measurement.
type server struct {
	name string
	// cmd returns the command that serves slash commands on addr.
	cmd func(addr string) *exec.Cmd
}

// servers builds and returns the three servers compared: the bare Go floor,
// `streambot serve` (embedded Atlas, console Slack, the demo policy) and
// the Bolt-JS peer. $STREAMBOT_BENCH_SERVE_BIN names a prebuilt streambot
// binary to measure instead of building ./cmd/streambot, for A/B runs
// (an older commit, or a build with an experimental change).
func servers(b *testing.B) []server {
	b.Helper()
	dir := root(b)
	floor := goBuild(b, "./bench/floor", nil)
	streambot := os.Getenv("STREAMBOT_BENCH_SERVE_BIN") // a prebuilt variant, for A/B runs
	if streambot == "" {
		streambot = goBuild(b, "./cmd/streambot", nil)
	}
	peer := filepath.Join(dir, "bench", "peers", "bolt-js")
	if _, err := os.Stat(filepath.Join(peer, "node_modules", "@slack", "bolt")); err != nil {
		b.Fatalf("the Bolt-JS peer is not installed: run `npm ci` in %s (make bench does): %v", peer, err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		b.Fatalf("node: %v", err)
	}
	return []server{
		{"floor", func(addr string) *exec.Cmd {
			c := exec.Command(floor, "-addr", addr)
			c.Env = baseEnv(b, "SLACK_SIGNING_SECRET="+signingSecret)
			return c
		}},
		{"serve", func(addr string) *exec.Cmd {
			c := exec.Command(streambot, "serve", "--addr", addr)
			c.Env = baseEnv(b, "SLACK_SIGNING_SECRET="+signingSecret,
				"ACCESS_POLICY_FILE="+filepath.Join(dir, "cmd", "streambot", "demo-policy.yaml"))
			return c
		}},
		{"bolt", func(addr string) *exec.Cmd {
			_, port, _ := splitAddr(addr)
			c := exec.Command(node, "app.js")
			c.Dir = peer
			c.Env = baseEnv(b, "SLACK_SIGNING_SECRET="+signingSecret, "PORT="+port, "NODE_ENV=production")
			return c
		}},
	}
}

// target is the signed command every server gets: text, or the create
// (slashload.DefaultText) when text is empty.
func target(addr, text string) *slashload.Target {
	if text == "" {
		text = slashload.DefaultText
	}
	return &slashload.Target{
		URL:    "http://" + addr + "/slack/commands",
		Secret: signingSecret,
		Body:   slashload.NewCommand(benchUser, text).Form(),
	}
}

// coldRun is one server's process start → first ack.
type coldRun struct {
	firstAck time.Duration
	rss      int64
}

// firstAck starts s on a free port, times its first acknowledgement and
// stops it.
func firstAck(b *testing.B, s server) coldRun {
	b.Helper()
	addr := freeAddr(b)
	srv, err := slashload.Start(s.cmd(addr))
	if err != nil {
		b.Fatalf("%s: %v", s.name, err)
	}
	defer srv.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	d, err := srv.FirstAck(ctx, target(addr, ""))
	if err != nil {
		b.Fatalf("%s: first ack: %v", s.name, err)
	}
	rss, err := srv.PeakRSS()
	if err != nil {
		b.Fatalf("%s: %v", s.name, err)
	}
	return coldRun{d, rss}
}

// BenchmarkFirstAck measures process start → first acknowledged slash
// command, -runs times per server, the servers' order rotating from run to
// run so that none always goes first. Metrics: median, min and max per
// server in ms, the peak RSS at the first ack, and the Bolt/serve ratio of
// the medians.
//
//	go test -run '^$' -bench FirstAck -benchtime 1x ./bench -args -runs 20
func BenchmarkFirstAck(b *testing.B) {
	all := servers(b)
	times := map[string][]time.Duration{}
	rss := map[string]int64{}
	for b.Loop() {
		for i := range *runs {
			for j := range all {
				s := all[(i+j)%len(all)]
				r := firstAck(b, s)
				times[s.name] = append(times[s.name], r.firstAck)
				rss[s.name] = max(rss[s.name], r.rss)
			}
		}
	}
	for _, s := range all {
		sum := slashload.Summarize(times[s.name])
		b.Logf("first ack %-5s %s peak RSS %.1f MB", s.name, sum, mb(rss[s.name]))
		b.ReportMetric(ms(sum.P50), s.name+"-ms-p50")
		b.ReportMetric(ms(sum.Min), s.name+"-ms-min")
		b.ReportMetric(ms(sum.Max), s.name+"-ms-max")
		b.ReportMetric(mb(rss[s.name]), s.name+"-rss-MB")
	}
	serve, bolt := median(times["serve"]), median(times["bolt"])
	b.ReportMetric(float64(bolt)/float64(serve), "bolt/serve-x")
	b.ReportMetric(ms(serve-median(times["floor"])), "serve-over-floor-ms")
}

// BenchmarkWarmAck measures warm acknowledgement latency: each server is
// started, acknowledges once, gets 20 warm-up requests, then -invokes
// requests one after another over one keep-alive connection; that is one
// round, and -rounds rounds (servers taking turns) are pooled, so one
// noisy moment on a shared machine weighs less. Metrics: p50 and p99 per
// server in ms, and the Bolt/serve ratios.
//
// Two commands and a click. "dry-run" is the create with --dry-run: streambot verifies,
// parses, authorizes, validates and encodes the Atlas request, and starts
// no Job, so this is the Slack edge alone, as the peers are. "create" is
// the create every benchmark sends: after each ack `streambot serve` runs
// the Job in its own process (embedded Atlas, console Slack: about 1 ms
// and 130 kB of garbage each, the first one also loading the simulator's
// spec), on the same two cores as the next requests, where in AWS the
// worker is another function. "click" is a button click (clickTarget).
// The issue-15 target: serve's p50 and p99 within 10 % of the floor's, for
// slash commands (dry-run) and clicks; the floor/serve ratios are
// reported as serve/floor-p50-x and serve/floor-p99-x.
//
// "create-paced" and "click-paced" send the same requests no closer than
// -pace apart (5 ms: 200 a second, far more than a Slack workspace sends):
// then serve's Job of one request (about 1 ms of CPU) is done before the
// next arrives, and the ack is measured without it, as in AWS where the
// worker is another function; back to back, each ack meets the Jobs of the
// requests before it on the same two cores.
//
//	go test -run '^$' -bench WarmAck -benchtime 1x ./bench -args -invokes 200 -rounds 3
func BenchmarkWarmAck(b *testing.B) {
	all := servers(b)
	for _, c := range []struct{ name, text string }{
		{"dry-run", slashload.DefaultText + " --dry-run"},
		{"create", slashload.DefaultText},
	} {
		b.Run(c.name, func(b *testing.B) {
			warmAck(b, all, func(addr string) *slashload.Target { return target(addr, c.text) }, 0)
		})
	}
	b.Run("click", func(b *testing.B) { warmAck(b, all, clickTarget, 0) })
	b.Run("create-paced", func(b *testing.B) {
		warmAck(b, all, func(addr string) *slashload.Target { return target(addr, slashload.DefaultText) }, *pace)
	})
	b.Run("click-paced", func(b *testing.B) { warmAck(b, all, clickTarget, *pace) })
}

// clickTarget is the click every server gets in BenchmarkWarmAck/click:
// the Describe button on a list row (slashload.ClickBody), a fresh
// trigger_id each time, answered with an empty 200. streambot verifies
// it, decodes the payload, checks the button's value and block, authorizes
// the clicking person and hands a describe Job to its in-process worker
// (which runs it after the ack: the embedded Atlas says orders-ws does not
// exist, on the console); the floor verifies it and decodes the payload;
// Bolt verifies, parses, routes it to an action handler that reads the
// value.
func clickTarget(addr string) *slashload.Target {
	return &slashload.Target{
		URL:     "http://" + addr + "/slack/interactions",
		Secret:  signingSecret,
		NewBody: func() []byte { return slashload.ClickBody(benchUser) },
		Check:   slashload.CheckEmpty,
	}
}

// warmAck runs BenchmarkWarmAck's rounds, requests at most every apart
// (0: back to back).
func warmAck(b *testing.B, all []server, newTarget func(addr string) *slashload.Target, every time.Duration) {
	lat := map[string][]time.Duration{}
	rss := map[string]int64{}
	for b.Loop() {
		for r := range *rounds * len(all) {
			s := all[r%len(all)]
			addr := freeAddr(b)
			srv, err := slashload.Start(s.cmd(addr))
			if err != nil {
				b.Fatalf("%s: %v", s.name, err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			t := newTarget(addr)
			if _, err := srv.FirstAck(ctx, t); err != nil {
				b.Fatalf("%s: first ack: %v", s.name, err)
			}
			if _, err := slashload.Warm(ctx, t, 20); err != nil {
				b.Fatalf("%s: warm-up: %v", s.name, err)
			}
			d, err := slashload.WarmEvery(ctx, t, *invokes, every)
			if err != nil {
				b.Fatalf("%s: %v", s.name, err)
			}
			lat[s.name] = append(lat[s.name], d...)
			if r, err := srv.PeakRSS(); err == nil {
				rss[s.name] = max(rss[s.name], r)
			}
			cancel()
			srv.Stop()
		}
	}
	for _, s := range all {
		sum := slashload.Summarize(lat[s.name])
		b.Logf("warm ack %-5s %s peak RSS %.1f MB", s.name, sum, mb(rss[s.name]))
		b.ReportMetric(ms(sum.P50), s.name+"-ms-p50")
		b.ReportMetric(ms(sum.P99), s.name+"-ms-p99")
		b.ReportMetric(mb(rss[s.name]), s.name+"-rss-MB")
	}
	serve, bolt, floor := slashload.Summarize(lat["serve"]), slashload.Summarize(lat["bolt"]), slashload.Summarize(lat["floor"])
	b.ReportMetric(float64(bolt.P99)/float64(serve.P99), "bolt/serve-p99-x")
	b.ReportMetric(float64(bolt.P50)/float64(serve.P50), "bolt/serve-p50-x")
	b.ReportMetric(float64(serve.P99)/float64(floor.P99), "serve/floor-p99-x")
	b.ReportMetric(float64(serve.P50)/float64(floor.P50), "serve/floor-p50-x")
}
