package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/tunebench/tunebench/results"
)

const compareUsage = `Usage: tunebench compare [flags] [label=]FILE...

compare puts results files side by side with benchstat's statistics: the
median of each cell with its confidence interval and, from the second
column on, the change against the first column with the Mann–Whitney U
test's p-value ("~" where the change is not significant). For the same files
and flags the numbers are benchstat's.

The projections and the filter are benchstat's: -col /keepalive puts the
keep-alive settings side by side, -filter '/link:wan40' keeps one link,
-filter '.unit:p99-ns' one metric. A FILE argument may be label=FILE to name
its column.

Files from two runs differ in configuration lines (version, seed, link
parameters); compare ignores such keys and says so, where benchstat would
split the files into separate tables. An explicit -table turns this off.

A FILE of - reads standard input (once).

With $GITHUB_STEP_SUMMARY set, the Markdown form is appended to that file.

Example:
  tunebench compare -col /keepalive out/quick.txt
  tunebench compare base=main.txt new=branch.txt

Exit status: 0 done; 2 bad flags or unreadable input.
`

// compareFormats are the -format values of compare.
var compareFormats = []string{"text", "csv", "json", "markdown"}

func cmdCompare(stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("compare")
	var opts results.CompareOptions
	fs.StringVar(&opts.Table, "table", "", "split results into tables by distinct values of `projection` (default \".config\", less the keys that differ between the files)")
	fs.StringVar(&opts.Row, "row", ".fullname", "split results into rows by distinct values of `projection`")
	fs.StringVar(&opts.Col, "col", ".file", "split results into columns by distinct values of `projection`, e.g. /keepalive")
	fs.StringVar(&opts.Ignore, "ignore", "", "ignore variations in `keys`")
	fs.StringVar(&opts.Filter, "filter", "*", "use only benchmarks matching benchfilter `query`, e.g. '/link:wan40'")
	fs.Float64Var(&opts.Alpha, "alpha", 0.05, "consider a change significant if p < `α`")
	fs.Float64Var(&opts.Confidence, "confidence", 0.95, "confidence `level` for ranges")
	format := fs.String("format", "text", "print results as `format`: "+strings.Join(compareFormats, ", "))
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return flagError(fs, err)
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "table" {
			opts.SplitOnConfig = true
		}
	})
	switch {
	case len(pos) == 0:
		return usagef("compare: give one or more results files, e.g. tunebench compare -col /keepalive results.txt, or base=old.txt new=new.txt")
	case !slices.Contains(compareFormats, *format):
		return usagef("compare: -format %q: give one of %s", *format, strings.Join(compareFormats, ", "))
	case !(opts.Alpha > 0 && opts.Alpha <= 1):
		return usagef("compare: -alpha %v: give a level over 0 and at most 1, e.g. 0.05", opts.Alpha)
	case !(opts.Confidence > 0 && opts.Confidence < 1):
		return usagef("compare: -confidence %v: give a level over 0 and below 1, e.g. 0.95", opts.Confidence)
	}

	inputs := results.ParseInputs(pos)
	paths := make([]string, len(inputs))
	for i := range inputs {
		paths[i] = inputs[i].Path
		if inputs[i].Path == "-" {
			inputs[i].Path = stdinPath
			if inputs[i].Label == "-" {
				inputs[i].Label = "stdin"
			}
		}
	}
	if err := oneStdin("compare", paths...); err != nil {
		return err
	}
	c, err := results.Compare(inputs, opts)
	if err != nil {
		return inputError("compare", err)
	}
	if len(c.Ignored) > 0 {
		fmt.Fprintf(stderr, "tunebench: compare: the files differ in %s; compared them anyway, ignoring those keys (benchstat needs -ignore %s for the same)\n",
			strings.Join(c.IgnoredKeys(), ", "), strings.Join(c.IgnoredKeys(), ","))
	}
	for _, w := range c.Warnings {
		fmt.Fprintf(stderr, "tunebench: compare: %s\n", w)
	}
	warnCross(stderr, "compare", compareCross(paths, opts.Col))

	switch *format {
	case "text":
		err = c.WriteText(stdout)
	case "csv":
		err = c.WriteCSV(stdout, stderr)
	case "json":
		err = c.WriteJSON(stdout)
	case "markdown":
		err = c.WriteMarkdown(stdout)
	}
	if err != nil {
		return fmt.Errorf("compare: writing: %w", err)
	}
	return appendStepSummary(stderr, c.WriteMarkdown)
}

// appendStepSummary appends the Markdown that write produces to the file
// $GITHUB_STEP_SUMMARY names, when it is set: GitHub Actions shows that
// file on the run's summary page. A summary that cannot be written is a
// warning, not a reason to change the exit status.
func appendStepSummary(stderr io.Writer, write func(io.Writer) error) error {
	path := os.Getenv("GITHUB_STEP_SUMMARY")
	if path == "" {
		return nil
	}
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return err
	}
	b.WriteString("\n")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err == nil {
		_, err = f.Write(b.Bytes())
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "tunebench: warning: appending the summary to $GITHUB_STEP_SUMMARY: %v\n", err)
	}
	return nil
}
