# tunebench — see README.md. Everything here works on a fresh machine with
# only Go installed, as root (namespaces need it).

GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)
BIN      := bin/tunebench
OUT      := out
SUITE    ?= scenarios/quick.yaml
# Debian and Ubuntu packages (command:package) the end-to-end tests and
# examples drive across the link.
TOOLS    := ping:iputils-ping iperf3:iperf3 curl:curl git:git nginx:nginx
# BROWSER=1 adds the headless browser of the report's screenshot test (about
# 350 MB): Debian's chromium, else Ubuntu's chromium-browser. In CI (CI set)
# it is the default, since there a missing tool fails its test.
BROWSER  ?= $(if $(filter-out false 0,$(CI)),1,0)

.PHONY: all build test run bench deps deps-browser fuzz vet clean generate ci

all: build

# mk/*.mk add their own targets, and append to CI_TARGETS (what `make ci`
# runs after `make test`: the qemu netem tests, the image test) and to
# BENCH_TARGETS (what `make bench` runs after the core benchmarks).
CI_TARGETS    :=
BENCH_TARGETS :=
-include mk/*.mk

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/tunebench

# deps installs the tools the tests drive, when missing and when we can
# (root and apt-get: Debian, Ubuntu); with BROWSER=1, or as deps-browser,
# the browser too. Elsewhere it names what is missing.
deps:
	@missing=""; for t in $(TOOLS); do command -v $${t%%:*} >/dev/null 2>&1 || missing="$$missing $${t#*:}"; done; \
	browser=""; if [ "$(BROWSER)" = 1 ] && ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then browser=yes; fi; \
	[ -n "$$missing$$browser" ] || exit 0; \
	if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then \
	  echo "deps: missing:$$missing$${browser:+ chromium} (install them; without them their tests skip, and fail in CI)"; exit 0; fi; \
	apt="apt-get -o DPkg::Lock::Timeout=300"; \
	$$apt update -qq || exit 1; \
	if [ -n "$$browser" ]; then \
	  if apt-cache policy chromium 2>/dev/null | grep -q 'Candidate: [0-9]'; then missing="$$missing chromium"; \
	  else missing="$$missing chromium-browser"; echo "deps: no chromium package (Ubuntu): chromium-browser, which needs snapd"; fi; \
	fi; \
	echo "deps: installing:$$missing"; \
	DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 $$apt install -y -qq $$missing >/dev/null

# deps-browser is deps with the screenshot test's browser.
deps-browser:
	@$(MAKE) --no-print-directory deps BROWSER=1

# generate regenerates servers/api/orders.pb.go from orders.proto with the
# distribution's protoc (installed when missing, like deps) and protoc-gen-go
# at the version of google.golang.org/protobuf in go.mod, and the gRPC stubs
# (orders_grpc.pb.go) with protoc-gen-go-grpc at PROTOC_GEN_GO_GRPC.
PROTOC_GEN_GO_GRPC ?= v1.6.2
generate:
	@command -v protoc >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing: protobuf-compiler"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq protobuf-compiler >/dev/null; \
	  else echo "generate: protoc is missing; install protobuf-compiler (apt-get install protobuf-compiler)"; exit 1; fi; }
	@mkdir -p $(OUT)/gobin
	GOBIN=$(CURDIR)/$(OUT)/gobin $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go
	GOBIN=$(CURDIR)/$(OUT)/gobin $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC)
	protoc --plugin=protoc-gen-go=$(OUT)/gobin/protoc-gen-go --plugin=protoc-gen-go-grpc=$(OUT)/gobin/protoc-gen-go-grpc \
	  -I servers/api -I /usr/include \
	  --go_out=servers/api --go_opt=paths=source_relative \
	  --go-grpc_out=servers/api --go-grpc_opt=paths=source_relative servers/api/orders.proto

vet:
	$(GO) vet ./...

# test runs every test. Packages run one at a time (-p 1) so that the
# timing checks of one do not share the two cores with another's load.
test: deps vet
	$(GO) test -p 1 -count=1 -timeout 14m ./...
	$(MAKE) --no-print-directory fuzz

# fuzz feeds the suite parser generated input for a bounded time (make test
# runs it): no input may make it panic, and what it accepts must expand.
FUZZTIME ?= 20s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) -parallel 2 ./scenarios/

# run builds, runs the default suite, prints benchstat's comparison and
# writes the HTML report.
run: build
	@mkdir -p $(OUT)
	@rm -f $(OUT)/quick.txt $(OUT)/quick.hist.jsonl
	./$(BIN) run $(SUITE) -o $(OUT)/quick.txt
	@echo
	$(GO) run golang.org/x/perf/cmd/benchstat -col /keepalive $(OUT)/quick.txt
	@echo
	./$(BIN) report $(OUT)/quick.txt -o $(OUT)/quick.html
	@echo "report: $(abspath $(OUT)/quick.html)"

# bench writes the emulator's precision, throughput and setup figures, and
# the codecs' encode/decode times and body sizes (benchstat -col /codec).
bench: build
	@mkdir -p $(OUT)
	$(GO) test -p 1 -count=1 -run '^$$' -bench . -benchtime 3x ./netem/ | tee $(OUT)/bench.txt
	$(GO) test -count=1 -run '^$$' -bench 'Knob(TFO|CC|Initcwnd|Nodelay)$$' -benchtime 1x ./runner/ | tee -a $(OUT)/bench.txt
	$(GO) test -count=1 -run '^$$' -bench 'TLSHandshake|KeepAliveMismatch' -benchtime 1x ./runner/ | tee -a $(OUT)/bench.txt
	$(GO) test -count=6 -run '^$$' -bench '^Benchmark(Encode|Decode)$$' -benchtime 200ms ./servers/ | tee -a $(OUT)/bench.txt
	@for t in $(BENCH_TARGETS); do $(MAKE) --no-print-directory $$t || exit 1; done

# ci is what .ci/run runs: every test, then the targets mk/*.mk add
# (each installs what it needs and fails, naming it, when it cannot).
ci: test
	@for t in $(CI_TARGETS); do echo "== make $$t"; $(MAKE) --no-print-directory $$t || exit 1; done

clean:
	rm -rf bin $(OUT)
	-./$(BIN) clean 2>/dev/null || true
