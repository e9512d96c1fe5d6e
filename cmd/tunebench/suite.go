package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/tunebench/tunebench/netem"
	"github.com/tunebench/tunebench/results"
	"github.com/tunebench/tunebench/runner"
	"github.com/tunebench/tunebench/scenarios"
)

func cmdValidate(stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("validate")
	if err := fs.Parse(args); err != nil {
		return flagError(fs, err)
	}
	if fs.NArg() != 1 {
		return usagef("validate: give one suite file, e.g. tunebench validate scenarios/quick.yaml (or - for standard input)")
	}
	s, err := loadSuite(fs.Arg(0))
	if err != nil {
		return err
	}
	cells, err := s.Expand()
	if err != nil {
		return usageError{err.Error()}
	}
	fmt.Fprintf(stdout, "%s: suite %s, %d cells × %d repetitions, about %v of load\n", s.File, s.Name, len(cells), s.Load.Count, s.Estimate(len(cells)))
	for _, c := range cells {
		fmt.Fprintf(stdout, "  %s/%s  (%s)\n", s.BenchName(), c.Name(), c.Link)
	}
	return nil
}

// runFlags are the flags of tunebench run.
type runFlags struct {
	out     string
	count   int
	backend string
	only    string
	seed    int64
	quiet   bool
	json    bool
	gate    bool
	resume  string
	// maxFailures is how many failed repetitions a run may have and
	// still succeed.
	maxFailures int
	// shard, shardBy and host split the run over machines (shardflags.go).
	shard, shardBy, host string
}

func (f *runFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.out, "o", "results.txt", "results `file`; it must not exist or be empty (its histograms go next to it, in .hist.jsonl); - for standard output")
	fs.IntVar(&f.count, "count", 0, "repetitions of every cell (0: the suite's load.count)")
	fs.StringVar(&f.backend, "backend", netem.BackendAuto, "link emulator: auto, tun (userspace) or netem (kernel qdisc)")
	fs.StringVar(&f.only, "only", "", "measure only the cells with these `values`, e.g. link=wan40,keepalive=off")
	fs.Int64Var(&f.seed, "seed", 0, "seed of the order of the cells (0: random; the seed used is printed)")
	fs.BoolVar(&f.quiet, "quiet", false, "print only the summary, not a line per repetition")
	fs.BoolVar(&f.json, "json", false, "write one JSON event per repetition on stdout, for tools (the human lines go to stderr)")
	fs.StringVar(&f.resume, "resume", "", "complete the results `file` of a cut-off run: measure, in its order, only the repetitions it lacks, and append them")
	fs.BoolVar(&f.gate, "gate", false, "after the run, check the suite's gates: on the results, failed repetitions or not (exit status 99 if one fails)")
	fs.IntVar(&f.maxFailures, "max-failures", 0, "the run succeeds with up to `N` failed repetitions; more fail it (exit status 3), as does a run in which every one failed")
	f.registerShard(fs)
}

// parseInterleaved parses flags that may come before and after the
// positional arguments, as in "run suite.yaml -o out.txt", and returns the
// positional ones.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func cmdRun(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("run")
	var f runFlags
	f.register(fs)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return flagError(fs, err)
	}
	if len(pos) != 1 {
		return usagef("run: give one suite file, e.g. tunebench run scenarios/quick.yaml -o results.txt")
	}
	if err := f.check(fs); err != nil {
		return err
	}
	shard, err := f.shardOf(os.Getenv)
	if err != nil {
		return err
	}
	s, err := loadSuite(pos[0])
	if err != nil {
		return err
	}
	if f.gate && len(s.Gates) == 0 {
		return usagef("run: --gate: %s has no gates:; add objectives such as gates: [{metric: p99, max: 150ms}]", s.File)
	}
	var cells []scenarios.Cell
	if f.only != "" {
		sel, err := scenarios.ParseSelector(f.only)
		if err != nil {
			return usagef("run: --only: %v", err)
		}
		if cells, err = s.Filter(sel); err != nil {
			return usagef("run: --only: %v", err)
		}
	} else if cells, err = s.Expand(); err != nil {
		return usageError{err.Error()}
	}
	if err := checkSplit(s, cells, shard); err != nil {
		return err
	}
	stream := f.out == "-"
	sidecarPath := results.SidecarPath(f.out)
	for _, p := range []string{f.out, sidecarPath} {
		if f.resume != "" || stream {
			break
		}
		if err := checkFresh(p, f.out); err != nil {
			return err
		}
	}
	if err := needRoot("run"); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("run: finding the tunebench binary to start the server and load agent with: %w", err)
	}

	// out receives the results; side the histograms (none on a stream);
	// streamed keeps a copy of a stream for --gate.
	var out io.Writer
	var side io.Writer
	var closers []*os.File
	var streamed bytes.Buffer
	var resumed *results.File
	logDir := logDirOf(f.out)
	switch {
	case stream:
		out, logDir = io.MultiWriter(stdout, &streamed), ""
		if !f.gate {
			out = stdout
		}
	case f.resume != "":
		rf, o, sd, err := openResume(f.resume)
		if err != nil {
			return err
		}
		resumed, out, side, closers = rf, o, sd, []*os.File{o, sd}
	default:
		o, err := openFresh(f.out)
		if err != nil {
			return err
		}
		closers = append(closers, o)
		sd, err := openFresh(sidecarPath)
		if err != nil {
			o.Close()
			return err
		}
		out, side, closers = o, sd, append(closers, sd)
	}
	closeAll := func() error {
		var errs []error
		for _, c := range closers {
			if err := c.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
	defer closeAll()

	// info gets the summary; progressFor sends the JSON events to its
	// stdout and the human lines to stderr with --json. A results stream
	// (-o -, never with --json) owns stdout.
	progressOut, info := stdout, stdout
	if f.json || stream {
		info = stderr
	}
	if stream {
		progressOut = stderr
	}
	progress, events, endProgress := progressFor(f.quiet, f.json, progressOut, stderr)
	defer endProgress()
	sum, runErr := runner.Run(ctx, runner.Options{
		Suite:    s,
		Cells:    cells,
		Count:    f.count,
		Backend:  f.backend,
		Exe:      exe,
		Seed:     f.seed,
		Results:  out,
		Sidecar:  side,
		LogDir:   logDir,
		Progress: progress,
		Events:   events,
		Version:  buildVersion(),
		Resume:   resumed,
		Shard:    shard,
	})
	endProgress()
	closeErr := closeAll()
	if runErr != nil && sum.Reps == 0 && ctx.Err() == nil { // it could not start
		return errors.Join(runErr, closeErr)
	}
	where := f.out + " (histograms in " + sidecarPath + ")"
	if stream {
		where = "standard output"
	}
	fmt.Fprintf(info, "tunebench: %d of %d repetitions in %v, %d failed; results in %s\n",
		sum.Reps, sum.Planned-sum.Present, sum.Elapsed.Round(100*time.Millisecond), sum.Failed, where)
	if sum.Present > 0 {
		fmt.Fprintf(info, "tunebench: the other %d repetitions were in %s already (resumed)\n", sum.Present, f.out)
	}
	switch {
	case closeErr != nil:
		return fmt.Errorf("run: closing the results: %w", closeErr)
	case runErr != nil && ctx.Err() != nil:
		if stream {
			fmt.Fprintf(stderr, "tunebench: interrupted after %d of %d repetitions\n", sum.Reps, sum.Planned-sum.Present)
		} else {
			fmt.Fprintf(stderr, "tunebench: interrupted after %d of %d repetitions; those are in %s (complete them with --resume %s)\n", sum.Reps, sum.Planned-sum.Present, f.out, f.out)
		}
		return exitStatus(exitInterrupted)
	case runErr != nil:
		return fmt.Errorf("run: %w", runErr)
	}

	// The gate is checked whatever failed: a failed repetition is
	// reported, and the objectives decide on what was measured.
	var gateErr error
	if f.gate {
		var cur *results.File
		var err error
		if stream {
			cur, err = results.Read("<stdout>", &streamed)
			if err != nil {
				err = inputError("gate", err)
			}
		} else {
			cur, err = readResultsFile("gate", f.out)
		}
		if err != nil {
			return err
		}
		gateErr = gateSuite(info, s, cur, "text")
	}
	name := f.out
	if stream {
		name = "standard output"
	}
	failErr := f.failures(sum, name)
	if failErr == nil && sum.Failed > 0 {
		fmt.Fprintf(info, "tunebench: %d of %d repetitions failed, within --max-failures %d (the --- FAIL lines say why); the first: %s\n", sum.Failed, sum.Reps, f.maxFailures, sum.FirstFailure)
	}
	if gateErr != nil || failErr != nil {
		return errors.Join(gateErr, failErr) // a failed gate's status wins
	}
	if hint := compareHint(s, cells); hint != "" && !stream {
		fmt.Fprintf(info, "compare with: tunebench compare -col /%s %s\n", hint, f.out)
	}
	return nil
}

// check validates the flags that need no suite.
func (f *runFlags) check(fs *flag.FlagSet) error {
	switch {
	case f.count < 0 || f.count > 1000:
		return usagef("run: --count %d: give 1 to 1000, or 0 for the suite's load.count", f.count)
	case f.out == "":
		return usagef("run: -o is empty; give the results file, e.g. -o results.txt")
	case f.maxFailures < 0:
		return usagef("run: --max-failures %d: give 0 or more", f.maxFailures)
	}
	if f.backend != netem.BackendAuto {
		if _, err := netem.ChooseBackend(f.backend); err != nil {
			return usagef("run: --backend: %v", err)
		}
	}
	oSet := false
	fs.Visit(func(fl *flag.Flag) { oSet = oSet || fl.Name == "o" })
	if f.out == "-" {
		switch {
		case f.resume != "":
			return usagef("run: -o - and --resume: a resumed run appends to the file it resumes; leave -o out")
		case f.json:
			return usagef("run: -o - and --json: both write standard output; write the results to a file with -o")
		}
	}
	if f.resume != "" {
		if f.resume == "-" {
			return usagef("run: --resume -: a run can resume a file only; give the results file of the cut-off run")
		}
		if oSet && f.out != f.resume {
			return usagef("run: -o %s and --resume %s: a resumed run appends to the file it resumes; leave -o out", f.out, f.resume)
		}
		f.out = f.resume
	}
	return nil
}

// failures is the error of a run whose failed repetitions fail it: more
// than --max-failures, or every one. out names where the results went.
func (f *runFlags) failures(sum runner.Summary, out string) error {
	switch {
	case sum.Reps > 0 && sum.Failed == sum.Reps:
		return repsFailed{fmt.Sprintf("run: every repetition failed (the --- FAIL lines in %s say why); the first: %s", out, sum.FirstFailure)}
	case sum.Failed > f.maxFailures:
		return repsFailed{fmt.Sprintf("run: %d of %d repetitions failed, over --max-failures %d (the --- FAIL lines in %s say why); the first: %s", sum.Failed, sum.Reps, f.maxFailures, out, sum.FirstFailure)}
	}
	return nil
}

// logDirOf is where a run writing resultsPath keeps its servers' logs:
// beside it, named as its sidecar is ("x.txt" → "x.logs", "x.1" →
// "x.1.logs"), so that numbered runs do not share a folder.
func logDirOf(resultsPath string) string {
	return strings.TrimSuffix(results.SidecarPath(resultsPath), ".hist.jsonl") + ".logs"
}

// compareHint returns the knob to put side by side after a run: the first
// matrix knob that takes more than one value among the cells measured,
// else the link when there are several; "" when nothing varies.
func compareHint(s *scenarios.Suite, cells []scenarios.Cell) string {
	names := make([]string, 0, len(s.Matrix)+1)
	for _, k := range s.Matrix {
		names = append(names, k.Name)
	}
	names = append(names, "link")
	for _, n := range names {
		seen := make(map[string]bool)
		for _, c := range cells {
			if v, ok := c.Get(n); ok {
				seen[v] = true
			}
		}
		if len(seen) > 1 {
			return n
		}
	}
	return ""
}

// checkFresh refuses a results file (or the sidecar of the results file
// out) that already holds something: a run appends to its file and never
// truncates it, and mixing two runs' lines would mix their configurations.
func checkFresh(path, out string) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("run: %w", err)
	case !fi.Mode().IsRegular():
		return usagef("run: %s is not a regular file; give a results file with -o", path)
	case fi.Size() > 0 && path != out:
		return usagef("run: %s, the histogram sidecar of %s, already holds another run's histograms; move it away or give another file with -o", path, out)
	case fi.Size() > 0:
		return usagef("run: %s already holds results; give another file with -o, move it away, or complete its run with --resume", path)
	}
	return nil
}

// openFresh opens path for appending, creating it, and refuses it if it
// is not empty by then.
func openFresh(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("run: %w; give a results file you can write with -o", err)
	}
	if err := lockResults(f); err != nil {
		f.Close()
		return nil, err
	}
	// Checked again on the open file: another run may have written it
	// since the first check.
	if fi, err := f.Stat(); err != nil || fi.Size() > 0 {
		f.Close()
		return nil, errors.Join(err, checkFresh(path, path))
	}
	return f, nil
}
