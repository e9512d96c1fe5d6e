// Package report turns a results file (and, optionally, a baseline results
// file) into a report people would rather look at than a benchstat table: one
// self-contained HTML file, or Markdown with SVG charts beside it.
//
// A report shows the suite, machine, kernel and backend; each link's
// parameters; for every knob, small multiples of P50 and P99 per value with
// their confidence intervals; the latency CDF of every cell on a log-scale
// tail; the per-phase breakdown (connect, TLS, wait, read) where the results
// carry connect-ns, tls-ns or ttfb-ns; benchstat's table with significance;
// and every failed repetition.
//
// When the cells have a rate knob (matrix: {rate: [100, 400, 1600]}), the
// report draws latency against rate instead of a knob chart of it: the
// hockey stick, one panel per combination of the other keys, on one
// latency scale, with the objectives of [Options.Objectives] that bound a
// latency drawn as dashed lines. When the results carry slo-req/s, a
// capacity search's result, it draws the capacity per knob (not per
// request: a cell's request lines share its one search result). A
// repetition the runner flagged (unit suspect: the instrument's own error
// was large against what it measures) is counted in the cells table, noted
// under "Read this first" and marked in every chart; the load side's
// send-lag-p99-ns, emu-late-p99-ns and cpu-busy join benchstat's table.
//
// The statistics are benchstat's: [Build] runs [results.Compare] and takes
// each median and confidence interval from its tables. A cell with fewer
// repetitions than a confidence interval needs is drawn as its median alone
// and labelled so; a cell whose repetitions all failed is drawn as a label
// saying so, never as a zero. CDFs come from the histogram sidecar
// (results.SidecarPath); when it is missing, the report says so and draws no
// CDF.
//
// The HTML needs no network to view: the charts are inline SVG and the style
// is inline CSS. [Build] computes the [Report]; [Report.WriteHTML] and
// [Report.WriteMarkdown] write it.
//
// # Findings
//
// A report opens with its findings ([Report.Findings]): for every knob
// that varies, each value against the knob's base value (the kernel's or
// Go's default, [Options.Base], or a claim's From), per link and
// combination of the other knobs, on P50, with benchstat's Mann–Whitney U
// p-value, in plain words:
//
//	tfo on: −41.0 ms P50 on wan40 (−49 %, p=0.002, vs tfo off); model (Fast Open): −40.0 ms (−1.00 RTT), agrees (±10.0 ms)
//
// Where the knob has a [Model] (see [Models]), the model's prediction is
// beside the measurement: each model says what a value costs a request on
// a cell's path ([ModelCell]: the link's RTT, loss and rate from the
// results header's link line, the body's size from the endpoint
// /bytes/N or the cell's wire-B/op, the load's rate, the retries/op), and
// the prediction is the new value's cost less the base value's. The
// models: a TCP handshake is one RTT (keepalive), Fast Open saves it
// (tfo), TLS 1.3 adds one, resumed or not (tls), slow-start rounds
// ⌈log2(bytes/(initcwnd·MSS)+1)⌉ (initcwnd), the Mathis bound
// MSS/RTT·√(3/2)/√p against the bottleneck rate (cc), the 40 ms delayed
// ACK (nodelay), the idle-timeout race (server_idle, client_idle),
// serialization Δbytes·8/rate (codec) and window/RTT (rcvbuf). A
// prediction agrees when the measured change is within the larger of ¼
// RTT, 20 % of the prediction and 2 ms; a throughput bound's within 50 %.
// Machine details come after the findings.
//
// # Claims
//
// A [Claim] is a piece of tuning advice and the suite of
// scenarios/claims/ that tests it; a report on that suite's results says
// the claim's verdict ([Claim.Judge]): it holds where its change is
// significant, in its direction and at least its size, holds only when
// the links and knobs where that is so, and does not hold otherwise.
// [WriteFindings] writes docs/findings.md from the claims' results (make
// findings, tunebench findings): claim | model | measured | verdict, one
// row per claim with the command that reproduces it, then the charts.
//
// To add a claim (the backlog, TIME_WAIT, buffer, Slowloris and decode
// claims of later suites slot in the same way):
//
//  1. Write scenarios/claims/NAME.yaml: a suite whose opening comment
//     gives the claim, the model and the expected direction (Claim:,
//     Model:, Expected direction:), count 6 or more, about a minute long.
//  2. Add a row to [Claims]: its suite name, file, text, knob, From, To,
//     direction and size; Unit when the claim is about evidence other
//     than P50 (listen-overflows/op, client-timewait, goodput-B/s).
//  3. If the knob has physics, add a row to [Models] with its Cost (for
//     example rcvbuf's window/RTT is already there) and a case in
//     physics_test.go.
//  4. Run make findings CLAIMS=NAME to measure it and make findings-doc
//     to rewrite docs/findings.md; copy the results to testdata/claims/
//     and run go test ./report -update to extend the golden files.
//
// make findings then runs it with the others, and TestClaimsMatchSuites
// checks that every suite there has a claim.
package report
