# streambot — see README.md. `make run` shows it working; `make test` is what CI runs.
SHELL := /bin/bash
GO ?= go
GOFLAGS_TEST ?= -race -count=1

.PHONY: run serve slash test vet lint fuzz golden bench deploy clean

# The embedded default: the real handlers against an in-memory Atlas and a
# console Slack, a scripted conversation, exit 0 only if it all behaved.
run:
	$(GO) run ./cmd/streambot demo

# The local server on 127.0.0.1:3000 (see docs/configuration.md for the variables).
# Without SLACK_SIGNING_SECRET it uses a fixed local one, which
# `streambot slash --secret local-dev-secret` matches.
serve:
	@echo 'streambot serve: in another terminal, send it a command with:  make slash TEXT="create orders-ws --region VIRGINIA_USA"'
	SLACK_SIGNING_SECRET=$${SLACK_SIGNING_SECRET:-local-dev-secret} \
	ACCESS_POLICY_FILE=$${ACCESS_POLICY_FILE:-cmd/streambot/demo-policy.yaml} \
	  $(GO) run ./cmd/streambot serve

# One signed slash command to `make serve` (same default secret).
TEXT ?= create orders-ws --region VIRGINIA_USA
slash:
	SLACK_SIGNING_SECRET=$${SLACK_SIGNING_SECRET:-local-dev-secret} $(GO) run ./cmd/streambot slash "$(TEXT)"

# The tests that need moto_server, cfn-lint or the SAM translator fail rather
# than skip here (STREAMBOT_REQUIRE_TOOLS=1): a green run means they ran.
test: vet tools tools-rie
	STREAMBOT_REQUIRE_TOOLS=1 STREAMBOT_RIE=$(RIE) $(GO) test $(GOFLAGS_TEST) ./...

# The AWS Lambda Runtime Interface Emulator, by exact version, into bin/tools
# (go install does not touch go.mod). The end-to-end tests run the real
# bootstraps under it.
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
RIE         := $(CURDIR)/bin/tools/aws-lambda-rie
.PHONY: tools-rie
tools-rie:
	@test -x $(RIE) || GOBIN=$(CURDIR)/bin/tools $(GO) install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

vet:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...


# The ack path's and the Atlas client's packages built for linux/arm64, the
# architecture Lambda runs, and run under qemu-user: the NEON code of the
# body's base64 decoder (segmentio/asm) runs only there. Not part of
# `make test`; needs qemu-user-static, installed with apt-get when missing.
ARM64_PKGS := ./internal/slackbot ./internal/awsreq ./internal/button ./internal/command ./internal/form ./internal/reply ./internal/slackid ./pkg/atlas
.PHONY: test-arm64
test-arm64:
	@command -v qemu-aarch64-static >/dev/null || apt-get install -y -q qemu-user-static || \
	  { apt-get update -q && apt-get install -y -q qemu-user-static; } || \
	  { echo "test-arm64 needs qemu-user-static (Debian/Ubuntu: apt-get install qemu-user-static)"; exit 1; }
	@mkdir -p bin/arm64
	@for p in $(ARM64_PKGS); do \
	  t=$(CURDIR)/bin/arm64/$$(echo $$p | tr / _).test; \
	  GOARCH=arm64 $(GO) test -c -o $$t $$p || exit 1; \
	  echo "== $$p (linux/arm64 under qemu)"; \
	  (cd $$p && qemu-aarch64-static $$t -test.count=1) || exit 1; \
	done

# Bounded fuzzing: FUZZTIME per target (CI-sized by default).
FUZZTIME ?= 10s
fuzz:
	@for d in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do \
	  for f in $$(grep -h '^func Fuzz' $$d/*_test.go | sed 's/func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do \
	    echo "== $$d $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 1s $$d || exit 1; \
	  done; done

# Rewrite golden files after an intended change; review the diff.
golden:
	$(GO) test -count=1 $$(grep -rl --include='*_test.go' 'testtools.Golden(' . | xargs -n1 dirname | sort -u) -update

# Performance (issue 7): Go micro-benchmarks, cold starts under the Lambda
# emulator with moto_server, `streambot serve` against a bare Go floor and
# the Bolt-JS peer, sizes. A few minutes, bounded; not part of `make test`.
# Results: bench/out/ and BENCHMARKS.md. RUNS and INVOKES scale it.
RUNS    ?= 20
INVOKES ?= 200
bench: tools tools-rie
	RUNS=$(RUNS) INVOKES=$(INVOKES) STREAMBOT_RIE=$(RIE) bash bench/run.sh

# Remove what the build and the tools left behind.
clean:
	rm -rf bin .aws-sam

# Deploy to AWS with SAM (needs the sam CLI and AWS credentials; README.md
# says which secrets to create first).
deploy:
	sam build -t infra/template.yaml
	sam deploy --guided

# --- Lambda builds (owner: platform) -----------------------------------------
# Both functions run on provided.al2023/arm64 as a static `bootstrap`:
# no cgo, no RPC shim (-tags lambda.norpc), reproducible paths, no symbols.
LAMBDA_ENV   := CGO_ENABLED=0 GOOS=linux GOARCH=arm64
LAMBDA_FLAGS := -tags lambda.norpc -trimpath -ldflags='-s -w'
# The access policy packaged next to the Slack function's bootstrap
# (ACCESS_POLICY_FILE in infra/template.yaml points at it; the worker reads
# no policy). Without it the package holds an empty policy, which denies
# every command.
POLICY_FILE  ?= config/access.yaml

.PHONY: build build-SlackFunction build-CreateFunction cfn-lint tools
build:
	@for f in slack create; do \
	  echo "$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o bin/$$f/bootstrap ./functions/$$f"; \
	  $(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o bin/$$f/bootstrap ./functions/$$f || exit 1; \
	done
	@for f in slack create; do \
	  printf '%-22s %6d KiB\n' bin/$$f/bootstrap $$(( $$(wc -c < bin/$$f/bootstrap) / 1024 )); \
	done

# `sam build` runs these (BuildMethod: makefile) with ARTIFACTS_DIR set.
build-SlackFunction:
	$(call lambda-artifact,./functions/slack)

# The worker reads no policy: the Slack function decides, and the Job
# carries what the worker's optional Atlas role check needs.
build-CreateFunction:
	$(if $(ARTIFACTS_DIR),,$(error ARTIFACTS_DIR is not set; `sam build -t infra/template.yaml` sets it))
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/create

define lambda-artifact
	$(if $(ARTIFACTS_DIR),,$(error ARTIFACTS_DIR is not set; `sam build -t infra/template.yaml` sets it))
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap $(1)
	if [ -f $(POLICY_FILE) ]; then cp $(POLICY_FILE) $(ARTIFACTS_DIR)/access.yaml; \
	else echo '# No $(POLICY_FILE) at build time: the empty policy denies every command.' > $(ARTIFACTS_DIR)/access.yaml; fi
endef

# gofmt and go vet (vet), then cfn-lint on the SAM template: no errors, no
# warnings.
lint: vet cfn-lint
cfn-lint:
	@command -v cfn-lint >/dev/null || { echo 'cfn-lint not found: make tools, or pip install "cfn-lint==1.51.0"'; exit 1; }
	cfn-lint infra/template.yaml

# The external tools the tests run, at the versions they are tested with.
# Preinstalled on the development and CI machines (pip then changes nothing
# and needs no network); installed with pip elsewhere.
PY_TOOLS := moto[server]==5.2.1 cfn-lint==1.51.0 aws-sam-translator==1.110.0
tools:
	@command -v moto_server >/dev/null && command -v cfn-lint >/dev/null && \
	  python3 -c 'import importlib.metadata as m, sys; \
	    sys.exit(any(m.version(n) != v for n, v in (t.replace("[server]", "").split("==") for t in sys.argv[1:])))' \
	    $(foreach t,$(PY_TOOLS),"$(t)") 2>/dev/null \
	  || python3 -m pip install --quiet --disable-pip-version-check $(foreach t,$(PY_TOOLS),"$(t)")

# The bounded load test of issues 6 and 15: 500 signed requests at
# concurrency 25 (`make test` runs the same test smaller, 200 at concurrency
# 10, so that it holds with both cores busy: moto_server, behind one
# serializing proxy, is the bottleneck, not streambot), creates and approval clicks (a fifth of
# the creates need an approval), with 250 ms of Atlas latency, through
# `streambot serve` and through a pool of Lambda emulators; it prints the ack
# latency p50/p99 of commands and clicks and the total time. Without -race, so the figures are the
# code's rather than the race detector's. LOADFLAGS scales it, e.g.
# LOADFLAGS='-load.commands 2000 -load.latency 400ms'.
.PHONY: load
LOADFLAGS ?=
load: tools tools-rie
	STREAMBOT_REQUIRE_TOOLS=1 STREAMBOT_RIE=$(RIE) $(GO) test -count=1 -run '^TestLoad' -v ./e2e/ -load.commands 500 -load.concurrency 25 $(LOADFLAGS)
