package bench_test

import (
	"bufio"
	"bytes"
	"context"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/streambot/streambot/bench/slashload"
)

// initLine is one line of GODEBUG=inittrace=1: "init PKG @T ms, C ms
// clock, B bytes, A allocs".
var initLine = regexp.MustCompile(`^init \S+ @[0-9.]+ ms, ([0-9.]+) ms clock, (\d+) bytes, (\d+) allocs$`)

// initTotals runs bin once with GODEBUG=inittrace=1 (and nothing else in
// its environment: it fails at its first configuration check, after every
// package init ran) and sums its package inits: clock time, packages,
// bytes allocated.
func initTotals(b *testing.B, bin string) (clock time.Duration, pkgs int, bytes int64) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = baseEnv(b, "GODEBUG=inittrace=1")
	var stderr bytesBuffer
	cmd.Stderr = &stderr
	_ = cmd.Run() // it exits with an error: no configuration
	sc := bufio.NewScanner(&stderr.Buffer)
	for sc.Scan() {
		m := initLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		ms, _ := strconv.ParseFloat(m[1], 64)
		n, _ := strconv.ParseInt(m[2], 10, 64)
		clock += time.Duration(ms * float64(time.Millisecond))
		bytes += n
		pkgs++
	}
	if pkgs == 0 {
		b.Fatalf("%s printed no inittrace lines:\n%s", bin, stderr.String())
	}
	return clock, pkgs, bytes
}

type bytesBuffer struct{ bytes.Buffer }

// BenchmarkInitTrace reports the package initialization of each binary
// people run, built for this machine with the Lambda build's flags
// (lambda.norpc, -trimpath, -s -w): `streambot`, the two bootstraps, and
// beside them the bare floors (bench/floor, the emulator's hello). Each
// is started -runs times with GODEBUG=inittrace=1; metrics: the median
// sum of the init clock times in ms, the package count, and the bytes the
// inits allocate. (The runtime's own start and main are not in these.)
//
//	go test -run '^$' -bench InitTrace -benchtime 1x ./bench -args -runs 20
func BenchmarkInitTrace(b *testing.B) {
	flags := []string{"-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w"}
	bins := []struct{ name, pkg string }{
		{"streambot", "./cmd/streambot"},
		{"slack", "./functions/slack"},
		{"create", "./functions/create"},
		{"floor", "./bench/floor"},
		{"hello", "./internal/lambdatest/hello"},
	}
	built := make([]string, len(bins))
	for i, bin := range bins {
		built[i] = goBuild(b, bin.pkg, []string{"CGO_ENABLED=0"}, flags...)
	}
	clocks := make([][]time.Duration, len(bins))
	pkgs := make([]int, len(bins))
	allocd := make([]int64, len(bins))
	for b.Loop() {
		for range *runs {
			for i := range bins {
				c, n, by := initTotals(b, built[i])
				clocks[i] = append(clocks[i], c)
				pkgs[i], allocd[i] = n, by
			}
		}
	}
	for i, bin := range bins {
		s := slashload.Summarize(clocks[i])
		b.Logf("inittrace %-9s %d packages, %.2f MB allocated; total init clock %s", bin.name, pkgs[i], mb(allocd[i]), s)
		b.ReportMetric(ms(s.P50), bin.name+"-init-ms-p50")
		b.ReportMetric(float64(pkgs[i]), bin.name+"-pkgs")
	}
}
