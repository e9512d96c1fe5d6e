package main

import (
	"fmt"
	"io"
	"time"

	"github.com/tunebench/tunebench/report"
)

const findingsUsage = `Usage: tunebench findings -o FINDINGS.md RESULTS.txt...

findings writes the findings document of the claims' suites
(scenarios/claims/*.yaml): a table of claim, model, measured and verdict
(holds, holds only when ..., does not hold), one row per results file with
the command that reproduces it, then each suite's charts. Each suite's
Markdown report and its SVG charts go to the folder beside FINDINGS.md
named after it (docs/findings.md: docs/findings/), which is emptied of an
earlier run's .md and .svg files first. A results file whose suite has no
claim in report.Claims is an error. make findings runs the suites and
then this.

Example:
  tunebench run scenarios/claims/tfo.yaml -o out/findings/tfo.txt
  tunebench findings -o docs/findings.md out/findings/*.txt

Exit status: 0 written; 1 could not write; 2 bad flags or unreadable input.
`

func cmdFindings(stdout, _ io.Writer, args []string) error {
	fs := newFlagSet("findings")
	var o report.FindingsOptions
	fs.StringVar(&o.Out, "o", "", "findings `file` to write, e.g. docs/findings.md")
	fs.StringVar(&o.Generated, "generated", "", "when and how, for the header; default: now, by tunebench findings")
	fs.Float64Var(&o.Alpha, "alpha", 0.05, "consider a change significant if p < `α`")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return flagError(fs, err)
	}
	switch {
	case len(pos) == 0:
		return usagef("findings: give the claims' results files, e.g. tunebench findings -o docs/findings.md out/findings/*.txt")
	case o.Out == "" || o.Out == "-":
		return usagef("findings: -o is missing; give the Markdown file to write, e.g. -o docs/findings.md")
	case !(o.Alpha > 0 && o.Alpha <= 1):
		return usagef("findings: --alpha %v: give a level over 0 and at most 1, e.g. 0.05", o.Alpha)
	}
	for _, p := range pos {
		if p == "-" {
			return usagef("findings: - is not a results file here; give the files")
		}
	}
	if o.Generated == "" {
		o.Generated = time.Now().UTC().Format("2006-01-02 15:04 UTC") + " by tunebench findings"
	}
	o.Results = pos
	files, err := report.WriteFindings(o)
	if err != nil {
		return usageError{err.Error()}
	}
	fmt.Fprintf(stdout, "tunebench: findings in %s (%d reports and charts beside it)\n", files[0], len(files)-1)
	return nil
}
