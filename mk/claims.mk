# json-size: the claim "JSON parsing time grows exponentially past 1 MB",
# measured: decoding /orders bodies from 1 KB to 30 MB in JSON and
# Protobuf, and the slope of log(time) against log(size) (1 is linear),
# over every size and from 1 MB up (servers/codec_size_bench_test.go).
# About 15 s; make bench runs it.
.PHONY: json-size
json-size:
	@mkdir -p $(OUT)
	$(GO) test -count=1 -run '^$$' -bench 'DecodeSlope' -benchtime 1x ./servers/ | tee $(OUT)/json-size.txt

BENCH_TARGETS += json-size
