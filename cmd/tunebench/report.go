package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/tunebench/tunebench/report"
)

const reportUsage = `Usage: tunebench report RESULTS.txt [--baseline OTHER.txt] [--suite SUITE.yaml] [--format html|markdown] -o FILE

report writes a results file as a report to share. It opens with the
findings: each knob's significant effect in plain words ("tfo on: −41.0 ms
P50 on wan40 (−49 %, p=0.002, vs tfo off)"), the physics model's
prediction beside it where the knob has one (handshake RTTs, slow-start
rounds, Mathis, window/RTT) and whether they agree, and the verdict of the
claim a suite of scenarios/claims/ tests. Then the suite, machine,
kernel, backend and links; for every knob, P50 and P99 per value with
benchstat's confidence intervals; latency CDFs per cell from the histogram
sidecar (RESULTS.hist.jsonl); a per-phase breakdown where the results carry
connect-ns, tls-ns or ttfb-ns; benchstat's table with significance; and every
failed repetition.

--format html (the default) writes one self-contained HTML file: inline SVG
and CSS, nothing fetched when it is viewed. --format markdown writes Markdown
with its charts as SVG files beside it (FILE less .md, then -knob-*.svg,
-cdf-*.svg, -phases.svg), for a README or a pull request.

With --baseline, every chart shows both runs and the table compares them.
With --suite, the latency chart against rate draws the suite's latency
gates as dashed lines.

RESULTS.txt may be - to read the results from standard input (there is
then no sidecar, and so no CDFs); -o - writes the HTML report to standard
output.

Example:
  tunebench report out/quick.txt -o out/quick.html
  tunebench report out/quick.txt --baseline main.txt --format markdown -o out/quick.md

Exit status: 0 written; 1 could not write; 2 bad flags or unreadable input.
`

func cmdReport(stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("report")
	var o report.Options
	out := fs.String("o", "", "report `file` to write, e.g. report.html or report.md; - writes the HTML to standard output")
	format := fs.String("format", "html", "`format` of the report: html or markdown")
	fs.StringVar(&o.Baseline, "baseline", "", "results `file` to compare with: every chart shows both runs")
	fs.Float64Var(&o.Alpha, "alpha", 0.05, "consider a change significant if p < `α`")
	fs.Float64Var(&o.Confidence, "confidence", 0.95, "confidence `level` for the intervals")
	suite := fs.String("suite", "", "suite `file` whose gates: the latency chart against rate draws")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return flagError(fs, err)
	}
	switch {
	case len(pos) != 1:
		return usagef("report: give one results file, e.g. tunebench report results.txt -o report.html")
	case *out == "":
		return usagef("report: -o is missing; give the file to write, e.g. -o report.html")
	case *format != "html" && *format != "markdown":
		return usagef("report: --format %q: give html or markdown", *format)
	case !(o.Alpha > 0 && o.Alpha <= 1):
		return usagef("report: --alpha %v: give a level over 0 and at most 1, e.g. 0.05", o.Alpha)
	case !(o.Confidence > 0 && o.Confidence < 1):
		return usagef("report: --confidence %v: give a level over 0 and below 1, e.g. 0.95", o.Confidence)
	}
	if err := oneStdin("report", pos[0], o.Baseline); err != nil {
		return err
	}
	if *out == "-" && *format == "markdown" {
		return usagef("report: -o - and --format markdown: the Markdown report writes its charts as files beside it; give -o a .md file")
	}
	o.Current = pos[0]
	if *suite != "" {
		s, err := loadSuite(*suite)
		if err != nil {
			return err
		}
		if len(s.Gates) > 0 {
			if o.Objectives, err = objectives(s); err != nil {
				return err
			}
		}
	}
	warnCross(stderr, "report", reportCross(o.Current, o.Baseline))
	for _, p := range []*string{&o.Current, &o.Baseline} {
		if *p != "-" {
			continue
		}
		// The report reads its files more than once: keep stdin in a
		// file for it.
		tmp, cleanup, err := stdinFile()
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		defer cleanup()
		*p = tmp
	}
	rep, err := report.Build(o)
	if err != nil {
		return usageError{err.Error()}
	}
	if *format == "markdown" {
		if strings.EqualFold(filepath.Ext(*out), ".html") {
			return usagef("report: --format markdown writes Markdown; give -o a .md file, not %s", *out)
		}
		files, err := rep.WriteMarkdown(*out)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "tunebench: report in %s (%d charts beside it)\n", files[0], len(files)-1)
		return nil
	}
	if *out == "-" {
		if err := rep.WriteHTML(stdout); err != nil {
			return fmt.Errorf("report: writing to standard output: %w", err)
		}
		return nil
	}
	f, err := os.Create(*out)
	if err != nil {
		return fmt.Errorf("report: %w; give a file you can write with -o", err)
	}
	if err := rep.WriteHTML(f); err != nil {
		f.Close()
		return fmt.Errorf("report: writing %s: %w", *out, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("report: writing %s: %w", *out, err)
	}
	fmt.Fprintf(stdout, "tunebench: report in %s\n", *out)
	return nil
}
