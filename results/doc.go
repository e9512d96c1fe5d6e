// Package results records what one repetition of one cell measured, in the Go
// benchmark format that benchstat compares, and reads it back.
//
// # Results file
//
// A results file is append-only text. [NewWriter] starts it with the run's
// file-level configuration and the direction of every unit; [Writer.Write]
// then appends one line per repetition the moment the repetition ends:
//
//	tunebench: v0.3.0
//	goos: linux
//	goarch: amd64
//	kernel: 6.8.0-45-generic
//	backend: kernel
//	link-wan40: rtt=40ms jitter=1ms loss=0.1%
//
//	Unit p50-ns better=lower
//	Unit req/s better=higher
//	Unit errors better=lower
//	...
//
//	BenchmarkHandshake/link=wan40/keepalive=off	1200	41235 ns/op	40960 p50-ns	...	99.97 req/s	0 errors
//	--- FAIL: BenchmarkHandshake/link=wan40/keepalive=on rep=3: server exited: signal: killed
//
// The configuration never changes within a file: benchstat starts a new table
// whenever a file-level key changes, and one run is one table. The benchmark
// name is the suite followed by the cell ("link=wan40/keepalive=off"), so
// `benchstat -col /keepalive results.txt` puts the two keep-alive settings side
// by side. The N column is the number of measured requests (warm-up excluded).
// Latencies are in nanoseconds, which benchstat shows in seconds with a
// prefix: "p50-ns" becomes "p50-sec" in its tables, ns/op becomes "sec/op".
//
// Every line is one Write call followed by a flush and an fsync when the
// destination supports them (an *os.File does), so a crash loses at most the
// repetition in progress.
//
// A repetition that failed (the server crashed, the load timed out, or not one
// request succeeded) is written as a go-test-style "--- FAIL:" line. benchfmt
// and benchstat skip such lines; [Read] returns them as [Failure] values so
// that reports can say which repetitions are missing and why.
//
// # Histogram sidecar
//
// The results file keeps only summary statistics. The full latency
// histograms of every repetition go to a JSON Lines sidecar next to it (see
// [SidecarPath], [Sidecar] and [ReadSidecar]), encoded in the HdrHistogram V2
// compressed format that other HdrHistogram tools read too.
//
// # Histograms
//
// [NewHistogram] returns the histogram the runner records latencies into and
// [Summary] reduces one to the statistics a results line carries.
package results
