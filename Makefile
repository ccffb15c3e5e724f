# kmod_exporter. `make test` is the one command that runs every test.
SHELL := /bin/bash
GO                  ?= go
GOBIN               ?= $(shell $(GO) env GOPATH)/bin
STATICCHECK_VERSION ?= v0.8.2
FUZZ_TIME           ?= 3000x
SCENARIO            ?= healthy
DOCKER_IMAGE        ?= kmod-exporter:dev

VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
BRANCH   ?= $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)
VPKG     := github.com/prometheus/common/version
LDFLAGS  := -s -w -X $(VPKG).Version=$(VERSION) -X $(VPKG).Revision=$(REVISION) -X $(VPKG).Branch=$(BRANCH) \
            -X $(VPKG).BuildUser=$(shell id -un 2>/dev/null)@$(shell hostname 2>/dev/null) -X $(VPKG).BuildDate=$(shell date -u +%Y%m%d-%H:%M:%S)

export STATICCHECK_VERSION

RUNBOOK_BASE        ?= https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/
DEFAULT_RUNBOOK_BASE := https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/

.PHONY: all build test deps testdata lint unit oracle growth bench fuzz fuzz-short fixtures update-golden run-fixture alerts dashboards kubernetes tools docker clean

all: build

## build: a static binary ./kmod_exporter
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o kmod_exporter .

## test: everything CI runs: tools, real kernel trees, lint, a bounded fuzz
## pass, the comparison with kmod, and the race-enabled tests
test: deps testdata lint tools fuzz-short oracle growth unit

deps:
	@.ci/deps

## testdata: download and index the Debian kernel trees (cached in testdata/cache)
testdata:
	@.ci/testdata

lint:
	@bad=$$(gofmt -l $$(find . -name '*.go' -not -path './.build/*')); \
	  if [ -n "$$bad" ]; then echo "gofmt would change: $$bad"; exit 1; fi
	$(GO) vet ./...
	$(GOBIN)/staticcheck ./...

unit:
	$(GO) test -race -count=1 -skip '^TestOracle' ./...

## growth: without the race detector, 10,000 in-process scrapes (goroutines and
## heap must not grow) and 20,000 HTTP scrapes from 20 clients (no errors)
growth:
	$(GO) test -count=1 -run '^(TestNoGrowth|TestLoad)$$' ./collector .

## oracle: compare the model with kmod's own tools on the real trees
oracle:
	@mkdir -p .build
	@$(GO) test -count=1 -run '^TestOracle' -v ./kmod > .build/oracle.log 2>&1; status=$$?; \
	  grep -E '^(oracle:|\s*--- (PASS|FAIL|SKIP)|\s+\S+_test.go:[0-9]+:)' .build/oracle.log; exit $$status

## fuzz-short: every fuzz target for a fixed number of inputs
fuzz-short:
	@for t in $$(grep -ho '^func Fuzz[A-Za-z0-9]*' kmod/*_test.go | cut -d' ' -f2); do \
	  echo "fuzz $$t ($(FUZZ_TIME))"; \
	  $(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZ_TIME) ./kmod >/dev/null || exit 1; \
	done

## bench: the benchmarks recorded in docs/benchmarks.md (about 10 minutes):
## in-process scrapes, the process over HTTP (RSS, CPU, latency; wrk), and
## the shell diagnosis they replace
bench:
	$(GO) test -run '^$$' -bench . -benchtime 400x -count 6 ./collector
	$(GO) test -run '^$$' -bench '^BenchmarkProcess$$' -benchtime 1000x -count 3 .
	$(GO) test -run '^$$' -bench '^BenchmarkProcessWrk$$' -benchtime 1x .
	$(GO) test -run '^$$' -bench '^BenchmarkShellDiagnosis$$' -benchtime 10x -count 3 .

## fuzz: every fuzz target for FUZZ_LONG each (10 minutes by default); results
## go to .build/fuzz.log, crashers to kmod/testdata/fuzz/ (commit them)
FUZZ_LONG ?= 10m
fuzz:
	@mkdir -p .build; : > .build/fuzz.log
	@set -o pipefail; for t in $$(grep -ho '^func Fuzz[A-Za-z0-9]*' kmod/*_test.go | cut -d' ' -f2); do \
	  echo "fuzz $$t for $(FUZZ_LONG)" | tee -a .build/fuzz.log; \
	  $(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZ_LONG) -timeout 0 -parallel $(FUZZ_PARALLEL) ./kmod 2>&1 | tail -3 | tee -a .build/fuzz.log || exit 1; \
	done
FUZZ_PARALLEL ?= 2

## fixtures: rewrite fixtures/<scenario>/ trees from fixtures/scenarios.go
fixtures:
	$(GO) test ./fixtures -run TestTreesMatchDefinitions -count=1 -update

## update-golden: rewrite fixtures/<scenario>/metrics.prom (review the diff!)
update-golden:
	$(GO) test . -run TestScenarios -count=1 -update

## run-fixture: serve the metrics of one scenario (SCENARIO=blacklisted)
run-fixture:
	$(GO) run . --path.procfs=fixtures/$(SCENARIO)/proc --path.sysfs=fixtures/$(SCENARIO)/sys --path.rootfs=fixtures/$(SCENARIO)/root \
	  $(if $(wildcard fixtures/$(SCENARIO)/config.yml),--config.file=fixtures/$(SCENARIO)/config.yml)

## tools: the deployment tests, in their own module (Kubernetes API types)
tools:
	cd tools && $(GO) vet ./... && $(GOBIN)/staticcheck ./... && $(GO) test -count=1 ./...

## kubernetes: regenerate deploy/kubernetes/prometheusrule.yaml from alerts/
kubernetes:
	cd tools && $(GO) test ./kubernetes -run TestPrometheusRuleInSync -count=1 -update

## dashboards: regenerate dashboards/kmod_exporter.json from dashboards/dashboard.go
dashboards:
	$(GO) test ./dashboards -run TestGenerated -count=1 -update

## alerts: .build/kmod_exporter.rules.yml with runbook links under RUNBOOK_BASE
alerts:
	@mkdir -p .build
	sed 's|$(DEFAULT_RUNBOOK_BASE)|$(RUNBOOK_BASE)|' alerts/kmod_exporter.rules.yml > .build/kmod_exporter.rules.yml
	promtool check rules .build/kmod_exporter.rules.yml

## docker: an image FROM scratch with the static binary
docker:
	mkdir -p .build
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o .build/kmod_exporter .
	docker build -t $(DOCKER_IMAGE) .

clean:
	rm -rf kmod_exporter .build
