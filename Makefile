# streambot — see README.md. `make test` is what CI runs.
SHELL := /bin/bash
GO ?= go
GOFLAGS_TEST ?= -race -count=1

.PHONY: test vet lint fuzz golden
test: vet
	$(GO) test $(GOFLAGS_TEST) ./...

vet:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

lint: vet

# Bounded fuzzing: FUZZTIME per target.
FUZZTIME ?= 10s
fuzz:
	@for t in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do \
	  for f in $$(grep -h '^func Fuzz' $$t/*_test.go | sed 's/func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do \
	    echo "== $$t $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$t || exit 1; \
	  done; done

# Rewrite golden files after an intended change; review the diff.
golden:
	$(GO) test ./... -run Golden -update
