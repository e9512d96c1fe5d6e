# make loadbench: the load agent next to the tools it replaces, in one run
# against one reference server on loopback (agent/loadbench_test.go):
# highest sustainable constant rate against the vegeta CLI (the version
# go.mod pins, built into out/), closed loop against wrk (Debian's,
# installed when missing and possible), the agent's RSS and send lag at
# 5000 req/s, and how late time.Sleep and the agent's waiter wake
# (BenchmarkPacing). make bench runs it after the core benchmarks.

LOADBENCH_VEGETA := $(OUT)/vegeta

.PHONY: loadbench

$(LOADBENCH_VEGETA):
	@mkdir -p $(OUT)
	GOBIN=$(abspath $(OUT)) $(GO) install github.com/tsenart/vegeta/v12@v12.12.0

loadbench: build $(LOADBENCH_VEGETA)
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  { apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }; }; } || \
	  echo "loadbench: wrk is missing and cannot be installed here; its benchmark fails (install Debian's wrk)"
	@mkdir -p $(OUT)
	$(GO) test -count=1 -run '^$$' -bench '^Benchmark(LoadTools|Pacing)$$' -benchtime 1x -timeout 20m ./agent/ \
	  -args -loadbench.tunebench=$(abspath $(BIN)) -loadbench.vegeta=$(abspath $(LOADBENCH_VEGETA)) | tee -a $(OUT)/bench.txt

BENCH_TARGETS += loadbench
