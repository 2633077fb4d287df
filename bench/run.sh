#!/usr/bin/env bash
# `make bench`: streambot's performance measurements (issue 7). Results go
# to stdout and to bench/out/ (machine.txt, micro.txt, sizes.txt, e2e.txt);
# BENCHMARKS.md explains and records them. Every step is bounded: go test
# has -timeout, npm ci and the builds finish or fail, and every server the
# benchmarks start is stopped by them.
#
#   RUNS=20 INVOKES=200 bash bench/run.sh     (the Makefile sets STREAMBOT_RIE)
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-20}
INVOKES=${INVOKES:-200}
OUT=${OUT:-bench/out}
mkdir -p "$OUT"

echo "== machine"
{
  echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit:  $(git rev-parse --short HEAD 2>/dev/null || echo none)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "nproc:   $(nproc)"
  echo "cpu:     $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "memory:  $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "kernel:  $(uname -sr)"
  echo "go:      $(go version)"
  echo "node:    $(node --version 2>/dev/null || echo missing)"
  echo "loadavg: $(cut -d' ' -f1-3 /proc/loadavg) (before the run)"
} | tee "$OUT/machine.txt"

echo "== Go micro-benchmarks (ack paths: command, click, view_submission; parser, policy, Atlas codec, worker, state table, form, processors renderer)"
# STREAMBOT_REQUIRE_TOOLS: the state table's benchmarks against moto_server
# (BenchmarkJobWrites, BenchmarkWorkerCreateState) run rather than skip.
STREAMBOT_REQUIRE_TOOLS=1 go test -run '^$' -bench . -benchmem -count 3 -timeout 10m \
  ./internal/slackbot ./internal/command ./internal/access ./pkg/atlas ./internal/provision ./internal/reply \
  ./internal/state ./internal/form |
  tee "$OUT/micro.txt"

echo "== bootstrap sizes: make build (linux/arm64) and zip -9"
make --no-print-directory build >/dev/null
{
  for f in slack create; do
    line="bin/$f/bootstrap $(wc -c < "bin/$f/bootstrap") bytes"
    if command -v zip >/dev/null; then
      tmp=$(mktemp -d)
      cp "bin/$f/bootstrap" "$tmp/bootstrap"
      (cd "$tmp" && zip -9 -q function.zip bootstrap)
      line="$line, zip -9 $(wc -c < "$tmp/function.zip") bytes"
      rm -rf "$tmp"
    fi
    echo "$line"
  done
} | tee "$OUT/sizes.txt"

echo "== the Bolt-JS peer: npm ci (versions pinned by bench/peers/bolt-js/package-lock.json)"
(cd bench/peers/bolt-js && npm ci --no-audit --no-fund --loglevel=error)
echo "@slack/bolt $(node -p 'require("./bench/peers/bolt-js/node_modules/@slack/bolt/package.json").version')" | tee -a "$OUT/machine.txt"

echo "== end to end: cold starts ($RUNS runs), warm latency ($INVOKES requests: commands and clicks), the form's views.open and a click's Job under the emulator, sizes"
STREAMBOT_REQUIRE_TOOLS=1 go test -run '^$' -bench . -benchtime 1x -timeout 30m ./bench \
  -args -runs "$RUNS" -invokes "$INVOKES" | tee "$OUT/e2e.txt"
echo "loadavg: $(cut -d' ' -f1-3 /proc/loadavg) (after the run)" | tee -a "$OUT/machine.txt"
