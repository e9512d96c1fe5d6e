package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tunebench/tunebench/netem"
	"github.com/tunebench/tunebench/results"
	"github.com/tunebench/tunebench/runner"
	"github.com/tunebench/tunebench/scenarios"
)

func cmdValidate(stdout, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() != 1 {
		return usagef("validate: give one suite file, e.g. tunebench validate scenarios/quick.yaml")
	}
	s, err := scenarios.LoadFile(fs.Arg(0))
	if err != nil {
		return usageError{err.Error()}
	}
	cells, err := s.Expand()
	if err != nil {
		return usageError{err.Error()}
	}
	fmt.Fprintf(stdout, "%s: suite %s, %d cells × %d repetitions, about %v of load\n", fs.Arg(0), s.Name, len(cells), s.Load.Count, s.Estimate(len(cells)))
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
}

func (f *runFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.out, "o", "results.txt", "results `file`; it must not exist or be empty (its histograms go next to it, in .hist.jsonl)")
	fs.IntVar(&f.count, "count", 0, "repetitions of every cell (0: the suite's load.count)")
	fs.StringVar(&f.backend, "backend", netem.BackendAuto, "link emulator: auto, tun (userspace) or netem (kernel qdisc)")
	fs.StringVar(&f.only, "only", "", "measure only the cells with these `values`, e.g. link=wan40,keepalive=off")
	fs.Int64Var(&f.seed, "seed", 0, "seed of the order of the cells (0: random; the seed used is printed)")
	fs.BoolVar(&f.quiet, "quiet", false, "print only the summary, not a line per repetition")
	fs.BoolVar(&f.json, "json", false, "write one JSON event per repetition on stdout, for tools (the human lines go to stderr)")
	fs.StringVar(&f.resume, "resume", "", "complete the results `file` of a cut-off run: measure, in its order, only the repetitions it lacks, and append them")
	fs.BoolVar(&f.gate, "gate", false, "after the run, check the suite's gates: on the results (exit status 1 if one fails)")
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
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f runFlags
	f.register(fs)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return usageError{err.Error()}
	}
	if len(pos) != 1 {
		return usagef("run: give one suite file, e.g. tunebench run scenarios/quick.yaml -o results.txt")
	}
	if f.count < 0 || f.count > 1000 {
		return usagef("run: --count %d: give 1 to 1000, or 0 for the suite's load.count", f.count)
	}
	if f.out == "" {
		return usagef("run: -o is empty; give the results file, e.g. -o results.txt")
	}
	if f.backend != netem.BackendAuto {
		if _, err := netem.ChooseBackend(f.backend); err != nil {
			return usagef("run: --backend: %v", err)
		}
	}
	s, err := scenarios.LoadFile(pos[0])
	if err != nil {
		return usageError{err.Error()}
	}
	if f.gate && len(s.Gates) == 0 {
		return usagef("run: --gate: %s has no gates:; add objectives such as gates: [{metric: p99, max: 150ms}]", pos[0])
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
	if f.resume != "" {
		oSet := false
		fs.Visit(func(fl *flag.Flag) { oSet = oSet || fl.Name == "o" })
		if oSet && f.out != f.resume {
			return usagef("run: -o %s and --resume %s: a resumed run appends to the file it resumes; leave -o out", f.out, f.resume)
		}
		f.out = f.resume
	}
	sidecarPath := results.SidecarPath(f.out)
	for _, p := range []string{f.out, sidecarPath} {
		if f.resume != "" {
			break
		}
		if err := checkFresh(p); err != nil {
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

	var out, side *os.File
	var resumed *results.File
	if f.resume != "" {
		if resumed, out, side, err = openResume(f.resume); err != nil {
			return err
		}
		defer out.Close()
		defer side.Close()
	} else {
		if out, err = openFresh(f.out); err != nil {
			return err
		}
		defer out.Close()
		if side, err = openFresh(sidecarPath); err != nil {
			return err
		}
		defer side.Close()
	}

	progress, events, endProgress := progressFor(f.quiet, f.json, stdout, stderr)
	defer endProgress()
	info := stdout // the summary; stdout is the JSON stream with --json
	if f.json {
		info = stderr
	}
	sum, runErr := runner.Run(ctx, runner.Options{
		Suite:    s,
		Cells:    cells,
		Count:    f.count,
		Backend:  f.backend,
		Exe:      exe,
		Seed:     f.seed,
		Results:  out,
		Sidecar:  side,
		LogDir:   runner.LogDir(f.out),
		Progress: progress,
		Events:   events,
		Version:  version,
		Resume:   resumed,
	})
	endProgress()
	closeErr := errors.Join(out.Close(), side.Close())
	if runErr != nil && sum.Reps == 0 && ctx.Err() == nil { // it could not start
		return errors.Join(runErr, closeErr)
	}
	fmt.Fprintf(info, "tunebench: %d of %d repetitions in %v, %d failed; results in %s (histograms in %s)\n",
		sum.Reps, sum.Planned-sum.Present, sum.Elapsed.Round(100*time.Millisecond), sum.Failed, f.out, sidecarPath)
	if sum.Present > 0 {
		fmt.Fprintf(info, "tunebench: the other %d repetitions were in %s already (resumed)\n", sum.Present, f.out)
	}
	if closeErr != nil {
		return fmt.Errorf("run: closing the results: %w", closeErr)
	}
	switch {
	case runErr != nil && ctx.Err() != nil:
		fmt.Fprintf(stderr, "tunebench: interrupted after %d of %d repetitions; those are in %s (complete them with --resume %s)\n", sum.Reps, sum.Planned-sum.Present, f.out, f.out)
		return exitStatus(130)
	case runErr != nil:
		return fmt.Errorf("run: %w", runErr)
	case sum.Reps > 0 && sum.Failed == sum.Reps:
		return fmt.Errorf("run: every repetition failed; the first: %s", sum.FirstFailure)
	case sum.Failed > 0:
		return fmt.Errorf("run: %d of %d repetitions failed (the --- FAIL lines in %s say why); the first: %s", sum.Failed, sum.Reps, f.out, sum.FirstFailure)
	}
	if f.gate {
		if err := gateSuite(info, s, f.out, "text"); err != nil {
			return err // a failed gate exits 1, bad input 2
		}
	}
	if len(s.Matrix) > 0 {
		fmt.Fprintf(info, "compare with: tunebench compare -col /%s %s\n", s.Matrix[0].Name, f.out)
	}
	return nil
}

// checkFresh refuses a results file that already holds something: a run
// appends to its file and never truncates it, and mixing two runs' lines
// would mix their configurations.
func checkFresh(path string) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("run: %w", err)
	case !fi.Mode().IsRegular():
		return usagef("run: %s is not a regular file; give a results file with -o", path)
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
		return nil, errors.Join(err, checkFresh(path))
	}
	return f, nil
}
