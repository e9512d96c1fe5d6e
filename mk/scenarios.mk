# make fuzz-targets: generated vegeta targets files fed through a suite's
# targets: key (scenarios/targets_test.go) for a bounded time: none may make
# the parser panic or hang, what it accepts is a mix of well-formed
# requests, and what it refuses names a line. make ci runs it after make
# test (whose make fuzz covers the suite files themselves).
FUZZTARGETSTIME ?= 10s

.PHONY: fuzz-targets
fuzz-targets:
	$(GO) test -run '^$$' -fuzz '^FuzzTargets$$' -fuzztime $(FUZZTARGETSTIME) -parallel 2 ./scenarios/

CI_TARGETS += fuzz-targets
