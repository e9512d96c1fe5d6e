// Package runner measures a suite: for every repetition of every cell, in
// an interleaved order, it builds the client and server hosts joined by the
// cell's emulated link, starts the server in one and the load agent in the
// other, and appends what the agent measured to the results file at once.
//
// The load agent, `tunebench load`, is package agent: the runner writes
// its agent.Config and reads its agent.Result.
package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/tunebench/tunebench/netem"
	"github.com/tunebench/tunebench/results"
	"github.com/tunebench/tunebench/scenarios"
)

// Options is the wanted run. It is plain data; Run checks it.
type Options struct {
	Suite *scenarios.Suite
	// Cells are the cells to measure, already expanded and filtered.
	Cells []scenarios.Cell
	// Count is the repetitions of every cell; 0 takes Suite.Load.Count.
	Count int
	// Backend is the link emulator: auto (or empty), tun or netem.
	Backend string
	// Exe is the path of the tunebench binary, started as `Exe serve` in
	// the server host and `Exe load` in the client host.
	Exe string
	// Seed fixes the order of the cells; 0 picks one at random. The seed
	// used is printed and written to the results header, so that a run's
	// order can be repeated.
	Seed int64
	// Results receives the results file: its header, then one line per
	// repetition, each flushed and synced as it is written.
	Results io.Writer
	// Sidecar, if not nil, receives every repetition's histograms as JSON
	// lines (see results.Sidecar).
	Sidecar io.Writer
	// LogDir, if not empty, receives each repetition's server output
	// (stdout and stderr) as LogDir/<cell>/rep<N>.log; see LogDir.
	LogDir string
	// Progress, if not nil, receives a human line per finished repetition
	// and a few about the run.
	Progress io.Writer
	// Events, if not nil, is called as the run goes: once at the start,
	// when each repetition begins and when it has been written (see Event,
	// JSONEvents and TermProgress). It is called from Run's goroutine.
	Events func(Event)
	// Version is the tunebench version for the results header.
	Version string
	// Resume, if not nil, is what Results already holds: an earlier run of
	// the same suite, cut off. The run takes its seed, count and backend,
	// refuses it if its header differs from the one this run would write,
	// writes no header, and measures only the repetitions it lacks (see
	// resume.go).
	Resume *results.File
	// Shard, when its Count is set, measures only this shard's blocks of
	// Cells (see shard.go) and says so in the results header.
	Shard Shard
	// shardHeader is the header lines of the shard; newRun sets it.
	shardHeader []results.Config
}

// Summary is what a run did.
type Summary struct {
	// Reps is the repetitions measured and written, Failed those of them
	// written as failures, Planned all the run meant to measure.
	Reps, Failed, Planned int
	// Present is the repetitions of Planned a resumed file already held.
	Present int
	// FirstFailure is why the first failed repetition failed.
	FirstFailure string
	Seed         int64
	Backend      string // the backend used, auto resolved
	Elapsed      time.Duration
}

// run is the running state of one Run.
type run struct {
	o           Options
	suite       string       // benchmark name without "Benchmark"
	links       []netem.Link // per cell
	backend     netem.Choice
	port        int
	cellTimeout time.Duration
	tag         string    // tells this run's hosts from another Run's in the process
	progress    io.Writer // Options.Progress or io.Discard
}

// Run measures o.Count repetitions of every cell of o.Cells. A repetition
// that fails (the hosts cannot be built, the server does not start, the
// agent crashes, the cell times out, no request succeeds) is written as a
// failure line and the run goes on. The error is for a run that cannot
// start or cannot write its results; when ctx ends, Run tears the current
// repetition down without writing it and returns ctx's error with the
// summary so far. Everything already written stays.
func Run(ctx context.Context, o Options) (Summary, error) {
	start := time.Now()
	if o.Resume != nil {
		if err := resumeSettings(&o, o.Resume); err != nil {
			return Summary{}, err
		}
	}
	r, count, err := newRun(o)
	if err != nil {
		return Summary{}, err
	}
	o = r.o
	if err := r.checkFits(); err != nil {
		return Summary{}, err
	}
	sum := Summary{Seed: o.Seed, Planned: len(o.Cells) * count}
	if err := ctx.Err(); err != nil {
		return sum, err // before anything is written
	}
	progress := o.Progress
	if progress == nil {
		progress = io.Discard
	}
	r.progress = progress

	if r.backend, err = netem.ChooseBackend(o.Backend); err != nil {
		return sum, fmt.Errorf("runner: %w", err)
	}
	sum.Backend = r.backend.Backend
	if removed, err := netem.Sweep(); err != nil {
		fmt.Fprintf(progress, "warning: sweeping what dead runs left: %v\n", err)
	} else if len(removed) > 0 {
		fmt.Fprintf(progress, "removed %d namespaces that dead runs left\n", len(removed))
	}

	var w *results.Writer
	var done map[slot]bool
	if o.Resume != nil {
		if done, err = r.checkResume(o.Resume, header(o, count, o.Seed, r.backend, thisMachine()), count); err != nil {
			return sum, err
		}
		sum.Present = len(done)
		w, err = results.AppendWriter(o.Results, o.Resume)
	} else {
		w, err = results.NewWriter(o.Results, header(o, count, o.Seed, r.backend, thisMachine()))
	}
	if err != nil {
		return sum, fmt.Errorf("runner: %w", err)
	}
	var sidecar *results.Sidecar
	if o.Sidecar != nil {
		sidecar = results.NewSidecar(o.Sidecar)
	}

	fmt.Fprintf(progress, "seed %d (rerun the same order with --seed %d)\n", o.Seed, o.Seed)
	fmt.Fprintf(progress, "backend %s: %s\n", r.backend.Backend, r.backend.Reason)
	if o.Shard.Count > 0 {
		fmt.Fprintf(progress, "shard %d/%d: %s (%s); merge the shards' files with tunebench merge\n", o.Shard.Index, o.Shard.Count, configValue(o.shardHeader, results.KeyShardBlocks), plural(len(o.Cells), "cell"))
	}
	if o.Resume != nil {
		fmt.Fprintf(progress, "resuming %s: %d of %d repetitions are in it; measuring the other %d\n", o.Resume.Name, sum.Present, sum.Planned, sum.Planned-sum.Present)
	}
	if o.Suite.Load.Model() == scenarios.ModelSearch {
		fmt.Fprintf(progress, "%s × %s; a capacity search, up to %d probes of %v each\n", plural(len(o.Cells), "cell"), plural(count, "repetition"),
			searchMaxProbes, o.Suite.Load.Warmup+o.Suite.Load.Duration)
	} else {
		fmt.Fprintf(progress, "%s × %s; about %v of load\n", plural(len(o.Cells), "cell"), plural(count, "repetition"),
			time.Duration(len(o.Cells)*count)*(o.Suite.Load.Warmup+o.Suite.Load.Duration))
	}

	plan := order(len(o.Cells), count, o.Seed)
	emit := func(e Event) {
		if o.Events != nil {
			o.Events(e)
		}
	}
	toMeasure := sum.Planned - sum.Present
	emit(Event{Type: EventStart, Time: time.Now(), Total: toMeasure, Cells: len(o.Cells), Suite: r.suite})
	for i, sl := range plan {
		if ctx.Err() != nil {
			break
		}
		if done[sl] {
			continue
		}
		emit(Event{Type: EventBegin, Time: time.Now(), Elapsed: time.Since(start), N: sum.Reps + 1, Total: toMeasure, Cells: len(o.Cells),
			Suite: r.suite, Cell: o.Cells[sl.Cell].Name(), Rep: sl.Rep})
		out := r.repetition(ctx, sl, i+1)
		if out.interrupted {
			if err := out.teardown(); err != nil {
				fmt.Fprintf(progress, "warning: teardown: %v\n", err)
			}
			break
		}
		s := out.sample
		lines := out.samples
		if len(lines) == 0 {
			lines = []results.Sample{s}
		}
		var werr error
		for _, line := range lines {
			if werr = w.Write(line); werr == nil && sidecar != nil {
				werr = sidecar.Write(line)
			}
			if werr != nil {
				break
			}
			if line.Failed != "" && sum.FirstFailure == "" {
				sum.FirstFailure = oneLine(line.Failed)
			}
			text := progressLine(i+1, len(plan), line)
			if out.note != "" && line.Failed == "" {
				text += " SUSPECT: " + out.note
			}
			fmt.Fprintln(progress, text)
		}
		if werr == nil {
			sum.Reps++
			if s.Failed != "" || lines[0].Failed != "" && len(lines) == 1 {
				sum.Failed++
			}
			emit(repEvent(start, sum.Reps, toMeasure, len(o.Cells), lines[0]))
		}
		if err := out.teardown(); err != nil {
			fmt.Fprintf(progress, "warning: %s rep %d: teardown: %v\n", s.Cell, s.Rep, err)
		}
		if werr != nil {
			sum.Elapsed = time.Since(start)
			return sum, fmt.Errorf("runner: %w", werr)
		}
	}
	sum.Elapsed = time.Since(start)
	if err := ctx.Err(); err != nil {
		return sum, err
	}
	return sum, nil
}

// newRun checks o, fills in its defaults and translates its links. It
// returns the repetition count in effect.
func newRun(o Options) (*run, int, error) {
	switch {
	case o.Suite == nil:
		return nil, 0, errors.New("runner: no suite")
	case len(o.Cells) == 0:
		return nil, 0, errors.New("runner: no cells to measure; expand the suite first")
	case o.Exe == "":
		return nil, 0, errors.New("runner: no tunebench binary to start the server and the load agent with; set Options.Exe")
	case o.Results == nil:
		return nil, 0, errors.New("runner: no results writer")
	case o.Count < 0:
		return nil, 0, fmt.Errorf("runner: count %d: negative; give 1 or more, or 0 for the suite's", o.Count)
	}
	count := o.Count
	if count == 0 {
		count = o.Suite.Load.Count
	}
	if count == 0 {
		count = scenarios.DefaultCount
	}
	var err error
	if o.shardHeader, err = applyShard(&o); err != nil {
		return nil, 0, err
	}
	if o.Seed == 0 {
		o.Seed = newSeed()
	}
	suite := *o.Suite
	if suite.Server.Endpoint == "" {
		suite.Server.Endpoint = scenarios.DefaultEndpoint
	}
	o.Suite = &suite
	r := &run{
		o:           o,
		suite:       strings.TrimPrefix(suite.BenchName(), "Benchmark"),
		port:        suite.Server.Port,
		cellTimeout: suite.Load.CellTimeout,
		tag:         fmt.Sprintf("%04x", rand.Uint32N(1<<16)),
	}
	if r.port == 0 {
		r.port = DefaultPort
	}
	if r.cellTimeout == 0 {
		r.cellTimeout = suite.Load.Warmup + suite.Load.Duration + scenarios.CellTimeoutSlack
	}
	if suite.Load.Model() == scenarios.ModelSearch {
		// A search runs up to searchMaxProbes loads in one repetition;
		// the parser's default bounds one.
		r.cellTimeout = max(r.cellTimeout, searchTime(suite.Load)+scenarios.CellTimeoutSlack)
	}
	for _, c := range o.Cells {
		l := netemLink(c.Link)
		if err := l.Validate(); err != nil {
			return nil, 0, fmt.Errorf("runner: link %s: %w", c.Link.Name, err)
		}
		r.links = append(r.links, l)
	}
	return r, count, nil
}

// plural writes "1 cell", "2 cells".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
