package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/tunebench/tunebench/results"
	"github.com/tunebench/tunebench/scenarios"
)

const gateUsage = `Usage:
  tunebench gate --baseline base.txt --current new.txt --metric p99-ns [--max-regression 10%] [--allow-missing]
  tunebench gate --suite suite.yaml --current new.txt

gate decides whether a run passes, for CI. It checks:

  regressions  with --baseline: each cell (matched by benchmark name, whatever
               the files' configuration lines say) fails when a --metric got
               worse by more than --max-regression, in the direction of the
               unit's better= line, and the Mann–Whitney U test finds the
               change significant at --alpha. A cell with too few samples to
               decide is reported, and fails only with --strict. A cell of
               the baseline that the current run lacks fails (a deleted
               benchmark is not a pass), and files with no cell in common
               (a renamed suite, the wrong file) are an error: a gate that
               compares nothing passes nothing. --allow-missing lets both
               pass.
  objectives   with --suite: the suite's gates: (e.g. {metric: p99, max:
               150ms, where: {link: wan40}}), each checked on the median of
               every cell it selects.

Metrics are units as results files write them (p50-ns, p99-ns, p99co-ns,
ns/op, req/s, errors, ...) or their short forms (p50, p90, p99, p999, p99co,
mean, max, rate, errors); -metric takes several, separated by commas.

One of the files may be - for standard input.

With $GITHUB_STEP_SUMMARY set, the Markdown form of the verdicts is appended
to that file.

Example:
  tunebench gate --baseline main.txt --current branch.txt --metric p99,rate --max-regression 10%
  tunebench gate --suite scenarios/quick.yaml --current out/quick.txt

Exit status: 0 every check passed; 99 a check failed (it used to be 1:
docs/cli.md says why it changed); 2 bad flags or input (an unreadable
file, a file without results, a metric or a where that matches nothing,
files with no cell in common); 1 the verdicts could not be written.
`

// gateFormats are the --format values of gate.
var gateFormats = []string{"text", "markdown", "json"}

// gateFailed is the error of a gate that ran and found failures:
// exitGateFailed, with one line per failure.
type gateFailed struct {
	failures []string
	checks   int
}

func (e gateFailed) Error() string {
	if e.checks == 1 {
		return "gate: the one check failed:\n  " + e.failures[0]
	}
	return fmt.Sprintf("gate: %d of %d checks failed:\n  %s", len(e.failures), e.checks, strings.Join(e.failures, "\n  "))
}

// gateFlags are the flags of tunebench gate.
type gateFlags struct {
	baseline, current, suite string
	metric, maxRegression    string
	alpha                    float64
	strict, allowMissing     bool
	format, report           string
}

func (f *gateFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.baseline, "baseline", "", "results `file` to compare with (the main branch's run)")
	fs.StringVar(&f.current, "current", "", "results `file` under test")
	fs.StringVar(&f.suite, "suite", "", "suite `file` whose gates: to check on --current")
	fs.StringVar(&f.metric, "metric", "", "`units` to compare with --baseline, e.g. p99-ns or p99,req/s")
	fs.StringVar(&f.maxRegression, "max-regression", "0%", "largest significant change for the worse that passes, a `percentage`")
	fs.Float64Var(&f.alpha, "alpha", 0.05, "significance `level` of the Mann–Whitney U test")
	fs.BoolVar(&f.strict, "strict", false, "fail cells with too few samples to decide")
	fs.BoolVar(&f.allowMissing, "allow-missing", false, "let cells of --baseline that --current lacks pass, and files with no cell in common (nothing compared)")
	fs.StringVar(&f.format, "format", "text", "print the verdicts as `format`: "+strings.Join(gateFormats, ", "))
	fs.StringVar(&f.report, "report", "", "`URL` of the report, linked from the Markdown summary")
}

func cmdGate(stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("gate")
	var f gateFlags
	f.register(fs)
	err := fs.Parse(args)
	if err != nil {
		return flagError(fs, err)
	}
	set := make(map[string]bool)
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })

	switch {
	case fs.NArg() > 0:
		return usagef("gate: unexpected argument %q; name the files with --baseline, --current and --suite", fs.Arg(0))
	case f.current == "":
		return usagef("gate: --current is missing; give the results file under test, e.g. --current new.txt")
	case f.baseline == "" && f.suite == "":
		return usagef("gate: nothing to check; give --baseline base.txt with --metric p99-ns, or --suite suite.yaml for its gates:")
	case f.baseline != "" && f.metric == "":
		return usagef("gate: --baseline needs --metric, the units to compare, e.g. --metric p99-ns")
	case f.baseline == "" && (set["metric"] || set["max-regression"] || set["strict"] || set["allow-missing"]):
		return usagef("gate: --metric, --max-regression, --strict and --allow-missing compare with a baseline; give --baseline too")
	case !slices.Contains(gateFormats, f.format):
		return usagef("gate: --format %q: give one of %s", f.format, strings.Join(gateFormats, ", "))
	case !(f.alpha > 0 && f.alpha <= 1):
		return usagef("gate: --alpha %v: give a level over 0 and at most 1, e.g. 0.05", f.alpha)
	}
	maxReg, err := scenarios.ParsePercent(f.maxRegression)
	if err != nil || maxReg < 0 {
		return usagef("gate: --max-regression %q: give a percentage of 0%% or more, e.g. 10%%", f.maxRegression)
	}

	if err := oneStdin("gate", f.baseline, f.current, f.suite); err != nil {
		return err
	}
	opts := results.GateOptions{MaxRegression: maxReg, Alpha: f.alpha, Strict: f.strict, AllowMissing: f.allowMissing}
	if opts.Current, err = readResultsFile("gate", f.current); err != nil {
		return err
	}
	if f.baseline != "" {
		if opts.Baseline, err = readResultsFile("gate", f.baseline); err != nil {
			return err
		}
		warnCross(stderr, "gate", results.CrossMachinesBetween(opts.Baseline, opts.Current))
		for _, m := range strings.Split(f.metric, ",") {
			if m = strings.TrimSpace(m); m != "" {
				opts.Metrics = append(opts.Metrics, m)
			}
		}
	}
	if f.suite != "" {
		s, err := loadSuite(f.suite)
		if err != nil {
			return err
		}
		if opts.Objectives, err = objectives(s); err != nil {
			return err
		}
	}
	links := stepLinks()
	if f.report != "" {
		links = append([]results.GateLink{{Text: "Report", URL: f.report}}, links...)
	}
	return runGate(stdout, stderr, opts, f.format, links)
}

// gateSuite checks the suite's gates: on the results cur and prints the
// verdicts in format (text, markdown or json), for `tunebench run --gate`.
// A failed gate returns a gateFailed (exitGateFailed); a suite without
// gates, or a gate that matches nothing in the file, a usageError.
func gateSuite(stdout io.Writer, s *scenarios.Suite, cur *results.File, format string) error {
	if !slices.Contains(gateFormats, format) {
		return usagef("gate: format %q: give one of %s", format, strings.Join(gateFormats, ", "))
	}
	objs, err := objectives(s)
	if err != nil {
		return err
	}
	return runGate(stdout, stdout, results.GateOptions{Current: cur, Objectives: objs}, format, stepLinks())
}

// runGate checks, prints the verdicts, appends them to the job summary and
// turns failures into a gateFailed.
func runGate(stdout, stderr io.Writer, opts results.GateOptions, format string, links []results.GateLink) error {
	r, err := results.Gate(opts)
	if err != nil {
		return inputError("gate", err)
	}
	r.Links = links
	switch format {
	case "markdown":
		err = r.WriteMarkdown(stdout)
	case "json":
		err = r.WriteJSON(stdout)
	default:
		err = r.WriteText(stdout)
	}
	if err != nil {
		return fmt.Errorf("gate: writing: %w", err)
	}
	if err := appendStepSummary(stderr, r.WriteMarkdown); err != nil {
		return fmt.Errorf("gate: %w", err)
	}
	if failures := r.Failures(); len(failures) > 0 {
		return gateFailed{failures: failures, checks: r.Checks()}
	}
	return nil
}

// inputError is err from the results package as a usageError (exit status
// 2) of command cmd: "results: gate: x" and "results: x" become "cmd: x".
func inputError(cmd string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "results: ")
	msg = strings.TrimPrefix(msg, cmd+": ")
	return usageError{cmd + ": " + msg}
}

// objectives translates the suite's gates for the results package.
func objectives(s *scenarios.Suite) ([]results.Objective, error) {
	if len(s.Gates) == 0 {
		return nil, usagef("gate: %s has no gates:; add objectives such as gates: [{metric: p99, max: 150ms, where: {link: wan40}}]", s.File)
	}
	objs := make([]results.Objective, len(s.Gates))
	for i, g := range s.Gates {
		name := g.Name
		if name == "" {
			name = g.Metric
		}
		source := s.File
		if g.Line > 0 {
			source = fmt.Sprintf("%s:%d", s.File, g.Line)
		}
		objs[i] = results.Objective{
			Metric: name, Max: g.Max, Min: g.Min, HasMax: g.HasMax, HasMin: g.HasMin,
			Where: g.Where, Source: source,
		}
	}
	return objs, nil
}

// stepLinks links the GitHub Actions run, whose page holds the uploaded
// report and results, when the environment names one.
func stepLinks() []results.GateLink {
	server, repo, run := os.Getenv("GITHUB_SERVER_URL"), os.Getenv("GITHUB_REPOSITORY"), os.Getenv("GITHUB_RUN_ID")
	if server == "" || repo == "" || run == "" {
		return nil
	}
	return []results.GateLink{{Text: "Workflow run (results and report artifacts)", URL: fmt.Sprintf("%s/%s/actions/runs/%s", server, repo, run)}}
}
