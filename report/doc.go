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
package report
