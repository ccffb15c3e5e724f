# kmod_exporter. `make test` is the one command that runs every test.
SHELL := /bin/bash
GO                  ?= go
GOBIN               ?= $(shell $(GO) env GOPATH)/bin
STATICCHECK_VERSION ?= v0.8.2
FUZZ_TIME           ?= 3000x
SCENARIO            ?= healthy
# The image everything in deploy/ names; DOCKER_REGISTRY (e.g.
# registry.example.com/team/) prefixes it for a registry.
DOCKER_REGISTRY     ?=
DOCKER_TAG          ?= dev
DOCKER_IMAGE        ?= $(DOCKER_REGISTRY)kmod-exporter:$(DOCKER_TAG)
DOCKER_ARCH         ?= $(shell $(GO) env GOARCH)

VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
BRANCH   ?= $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)
VPKG     := github.com/prometheus/common/version
LDFLAGS  := -s -w -X $(VPKG).Version=$(VERSION) -X $(VPKG).Revision=$(REVISION) -X $(VPKG).Branch=$(BRANCH) \
            -X $(VPKG).BuildUser=$(shell id -un 2>/dev/null)@$(shell hostname 2>/dev/null) -X $(VPKG).BuildDate=$(shell date -u +%Y%m%d-%H:%M:%S)

export STATICCHECK_VERSION

RUNBOOK_BASE        ?= https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/
DEFAULT_RUNBOOK_BASE := https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/

.PHONY: all build test deps testdata vmdata vmtest lint unit oracle growth bench fuzz fuzz-short fixtures update-golden run-fixture rules alerts dashboards mixin kubernetes tools docker docker-binaries docker-push clean

all: build

## build: a static binary ./kmod_exporter
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o kmod_exporter .

## test: everything CI runs: tools, real kernel trees, lint, a bounded fuzz
## pass, the comparison with kmod, the race-enabled tests, and the real
## kernels under QEMU
test: deps testdata vmdata lint tools fuzz-short oracle growth unit vmtest

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
	$(GO) test -race -count=1 -skip '^(TestOracle|TestVM)' ./...

## vmdata: the real Debian kernels and the guest root the VM suite boots
## (cached in testdata/cache/vm)
vmdata:
	@.ci/vmdata

## vmtest: boot Debian's 6.1 and 6.12 kernels under QEMU (TCG) and check every
## verdict against what the kernel does (internal/vmtest; about 14 minutes)
vmtest:
	@mkdir -p .build
	@$(GO) test -count=1 -timeout 30m -run '^TestVM$$' -v ./internal/vmtest > .build/vmtest.log 2>&1; status=$$?; \
	  grep -E '^(\s*--- (PASS|FAIL|SKIP)|ok|FAIL)' .build/vmtest.log; \
	  if [ $$status != 0 ]; then tail -150 .build/vmtest.log; fi; exit $$status

## growth: without the race detector, 10,000 in-process scrapes (goroutines and
## heap must not grow) and 20,000 HTTP scrapes from 20 clients (no errors)
growth:
	$(GO) test -count=1 -run '^(TestNoGrowth|TestLoad)$$' ./collector ./e2e

## oracle: compare the model with kmod's own tools on the real trees
oracle:
	@mkdir -p .build
	@$(GO) test -count=1 -run '^TestOracle' -v ./kmod > .build/oracle.log 2>&1; status=$$?; \
	  grep -E '^(oracle:|\s*--- (PASS|FAIL|SKIP)|\s+\S+_test.go:[0-9]+:)' .build/oracle.log; exit $$status

# Every test file with a fuzz target, in every package of the module.
FUZZ_FILES = $(shell grep -rl --include='*_test.go' '^func Fuzz' --exclude-dir=tools --exclude-dir=testdata --exclude-dir=.build . | sed 's|^\./||' | sort)

## fuzz-short: every fuzz target for a fixed number of inputs
fuzz-short:
	@for f in $(FUZZ_FILES); do for t in $$(grep -ho '^func Fuzz[A-Za-z0-9]*' $$f | cut -d' ' -f2); do \
	  echo "fuzz $$t in ./$$(dirname $$f) ($(FUZZ_TIME))"; \
	  $(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZ_TIME) ./$$(dirname $$f) >/dev/null || exit 1; \
	done; done

## bench: the benchmarks recorded in docs/benchmarks.md (about 15 minutes):
## in-process scrapes (healthy and failure states), the tree walk, the
## process over HTTP against its floor (RSS, CPU, latency; wrk), and the
## shell diagnosis they replace; then the ratios (docs/bench/ratios.awk).
## The output is kept in .build/bench.txt.
bench:
	@mkdir -p .build; : > .build/bench.txt
	set -o pipefail; $(GO) test -run '^$$' -bench . -benchtime 400x -count 6 ./collector | tee -a .build/bench.txt
	set -o pipefail; $(GO) test -run '^$$' -bench '^BenchmarkTreeIndex$$' -count 3 ./kmod/internal/hostfs | tee -a .build/bench.txt
	set -o pipefail; $(GO) test -run '^$$' -bench '^BenchmarkProcess$$' -benchtime 1000x -count 3 ./e2e | tee -a .build/bench.txt
	set -o pipefail; $(GO) test -run '^$$' -bench '^BenchmarkProcessWrk$$' -benchtime 1x ./e2e | tee -a .build/bench.txt
	set -o pipefail; $(GO) test -run '^$$' -bench '^BenchmarkHTTPFloor$$' -benchtime 2000x -count 3 ./e2e | tee -a .build/bench.txt
	set -o pipefail; $(GO) test -run '^$$' -bench '^BenchmarkHandler$$' -benchtime 2000x -count 3 . | tee -a .build/bench.txt
	set -o pipefail; $(GO) test -run '^$$' -bench '^BenchmarkShellDiagnosis$$' -benchtime 10x -count 3 ./e2e | tee -a .build/bench.txt
	@echo; echo "ratios (docs/benchmarks.md):"; awk -f docs/bench/ratios.awk .build/bench.txt

## fuzz: every fuzz target for FUZZ_LONG each (10 minutes by default); results
## go to .build/fuzz.log, crashers to <package>/testdata/fuzz/ (commit them)
FUZZ_LONG ?= 10m
fuzz:
	@mkdir -p .build; : > .build/fuzz.log
	@set -o pipefail; for f in $(FUZZ_FILES); do for t in $$(grep -ho '^func Fuzz[A-Za-z0-9]*' $$f | cut -d' ' -f2); do \
	  echo "fuzz $$t in ./$$(dirname $$f) for $(FUZZ_LONG)" | tee -a .build/fuzz.log; \
	  $(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZ_LONG) -timeout 0 -parallel $(FUZZ_PARALLEL) ./$$(dirname $$f) 2>&1 | tail -3 | tee -a .build/fuzz.log || exit 1; \
	done; done
FUZZ_PARALLEL ?= 2

## fixtures: rewrite fixtures/<scenario>/ trees from fixtures/scenarios.go
fixtures:
	$(GO) test ./fixtures -run TestTreesMatchDefinitions -count=1 -update

## update-golden: rewrite fixtures/<scenario>/metrics.prom (review the diff!)
update-golden:
	$(GO) test ./e2e -run '^(TestScenarios|TestCheckCommand)$$' -count=1 -update

## run-fixture: serve the metrics of one scenario (SCENARIO=blacklisted)
run-fixture:
	$(GO) run . --path.procfs=fixtures/$(SCENARIO)/proc --path.sysfs=fixtures/$(SCENARIO)/sys --path.rootfs=fixtures/$(SCENARIO)/root \
	  $(if $(wildcard fixtures/$(SCENARIO)/config.yml),--config.file=fixtures/$(SCENARIO)/config.yml)

## tools: the deployment tests, in their own module (Kubernetes API types,
## kustomize and Helm render the manifests and the chart)
tools:
	cd tools && $(GO) vet ./... && $(GOBIN)/staticcheck ./... && $(GO) test -count=1 ./...

## rules: regenerate alerts/kmod_exporter.rules.yml and the recording rules
## from causes/ (the one place each cause is written)
rules:
	$(GO) test ./alerts -run TestGenerated -count=1 -update

## kubernetes: regenerate deploy/kubernetes/prometheusrule.yaml and the Helm
## chart's copy of the rules from alerts/
kubernetes: rules
	cd tools && $(GO) test ./kubernetes -run TestPrometheusRuleInSync -count=1 -update

## dashboards: regenerate dashboards/kmod_exporter.json from dashboards/dashboard.go
dashboards:
	$(GO) test ./dashboards -run TestGenerated -count=1 -update

## mixin: rewrite mixin/'s copies of the shipped rules and dashboard (the
## mixin applies its _config to them; run after editing alerts/ or
## `make dashboards`)
mixin: rules dashboards
	$(GO) test ./mixin -run TestCopiesInSync -count=1 -update

## alerts: .build/kmod_exporter.rules.yml with runbook links under RUNBOOK_BASE
alerts:
	@mkdir -p .build
	sed 's|$(DEFAULT_RUNBOOK_BASE)|$(RUNBOOK_BASE)|' alerts/kmod_exporter.rules.yml > .build/kmod_exporter.rules.yml
	promtool check rules .build/kmod_exporter.rules.yml

## docker: the image FROM scratch with the static binary, $(DOCKER_IMAGE), for
## DOCKER_ARCH (this machine's; amd64 or arm64), with OCI labels
docker: docker-binaries
	docker build --platform linux/$(DOCKER_ARCH) --build-arg TARGETARCH=$(DOCKER_ARCH) \
	  --build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) -t $(DOCKER_IMAGE) .

## docker-binaries: static binaries for linux/amd64 and linux/arm64 in .build/
docker-binaries:
	@for arch in amd64 arm64; do \
	  echo "build .build/linux-$$arch/kmod_exporter"; \
	  CGO_ENABLED=0 GOOS=linux GOARCH=$$arch $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o .build/linux-$$arch/kmod_exporter . || exit 1; \
	done

## docker-push: one multi-architecture image (amd64, arm64) pushed to
## $(DOCKER_IMAGE); needs docker buildx and DOCKER_REGISTRY
docker-push: docker-binaries
	docker buildx build --platform linux/amd64,linux/arm64 \
	  --build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) -t $(DOCKER_IMAGE) --push .

clean:
	rm -rf kmod_exporter .build
