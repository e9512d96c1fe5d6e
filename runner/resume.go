package runner

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tunebench/tunebench/netem"
	"github.com/tunebench/tunebench/results"
	"github.com/tunebench/tunebench/scenarios"
)

// A resumed run (Options.Resume) completes the file of an earlier run of
// the same suite: it measures, in the earlier run's order, only the
// repetitions the file does not hold, and appends them.
//
// A repetition is present when the file holds a result line or a failure
// line for its cell and index. A failed repetition is not measured again:
// its failure line is a measurement (a server that crashes, a path that
// loses every request), and retrying until a repetition succeeds would
// hide exactly what the run is there to find; the file is append-only, too,
// so a retry could not replace the line. Move the file away and run afresh
// to measure those again. A repetition cut off by a signal or a SIGKILL is
// never written, so it is measured on resume.

// resumeKeys are the configuration keys that may differ between a run and
// its resumption: the backend's reason and the suspect rule are prose that
// may change wording.
var resumeFree = map[string]bool{"backend-reason": true, "suspect-rule": true}

// resumeSettings takes the seed, the repetition count and the backend of
// the run that wrote f, so that the resumption keeps its order; a seed,
// count or backend asked for that differ are refused.
func resumeSettings(o *Options, f *results.File) error {
	cfg := configMap(f)
	seed, err := strconv.ParseInt(cfg["seed"], 10, 64)
	if err != nil || seed == 0 {
		return fmt.Errorf("runner: --resume %s: its header has no seed (%q); only a file tunebench run wrote can be resumed", f.Name, cfg["seed"])
	}
	count, err := strconv.Atoi(cfg["count"])
	if err != nil || count < 1 {
		return fmt.Errorf("runner: --resume %s: its header has no repetition count (%q); only a file tunebench run wrote can be resumed", f.Name, cfg["count"])
	}
	switch {
	case o.Seed != 0 && o.Seed != seed:
		return fmt.Errorf("runner: --resume %s: --seed %d, but the file's run used seed %d; leave --seed out to keep its order", f.Name, o.Seed, seed)
	case o.Count != 0 && o.Count != count:
		return fmt.Errorf("runner: --resume %s: --count %d, but the file's run planned %d repetitions; leave --count out", f.Name, o.Count, count)
	}
	o.Seed, o.Count = seed, count
	if b := cfg["backend"]; b != "" {
		if o.Backend != "" && o.Backend != netem.BackendAuto && o.Backend != b {
			return fmt.Errorf("runner: --resume %s: --backend %s, but the file's run used %s; leave --backend out", f.Name, o.Backend, b)
		}
		o.Backend = b
	}
	return nil
}

// checkResume compares the header this run would write, want, with f's and
// returns the repetitions f holds. It refuses a file of another suite,
// load, machine or version, and one that holds cells this run does not
// measure (a run started with another --only).
func (r *run) checkResume(f *results.File, want []results.Config, count int) (map[slot]bool, error) {
	have := configMap(f)
	var diffs []string
	seen := make(map[string]bool)
	for _, c := range want {
		seen[c.Key] = true
		if !resumeFree[c.Key] && have[c.Key] != c.Value {
			diffs = append(diffs, fmt.Sprintf("%s: file %q, now %q", c.Key, have[c.Key], c.Value))
		}
	}
	for _, c := range f.Config {
		if !seen[c.Key] && !resumeFree[c.Key] {
			diffs = append(diffs, fmt.Sprintf("%s: file %q, now none", c.Key, c.Value))
		}
	}
	if len(diffs) > 0 {
		return nil, fmt.Errorf("runner: --resume %s: the file was written by another configuration, so its results would not compare with this run's: %s; resume with the suite, flags and tunebench that wrote it, or run afresh into another file", f.Name, strings.Join(diffs, "; "))
	}

	index := make(map[string]int, len(r.o.Cells))
	for i, c := range r.o.Cells {
		index[c.Name()] = i
	}
	done := make(map[slot]bool)
	// A mix writes one line per request (cell/req=name): the repetition
	// is present once any of them is, and each may appear once.
	mix := reqNames(r.o.Suite) != nil
	seenLine := make(map[string]bool)
	mark := func(suite, cell string, rep, line int) error {
		full := cell
		if mix {
			if i := strings.LastIndex(cell, "/"+scenarios.RequestKey+"="); i >= 0 {
				cell = cell[:i]
			}
		}
		i, ok := index[cell]
		switch {
		case suite != r.suite:
			return fmt.Errorf("runner: --resume %s:%d: benchmark %s is not of suite %s", f.Name, line, suite, r.suite)
		case !ok:
			return fmt.Errorf("runner: --resume %s:%d: cell %s is not among the cells this run measures; give the --only the file's run had", f.Name, line, cell)
		case rep < 1 || rep > count:
			return fmt.Errorf("runner: --resume %s:%d: %s repetition %d is outside 1..%d", f.Name, line, cell, rep, count)
		case seenLine[fmt.Sprintf("%s#%d", full, rep)]:
			return fmt.Errorf("runner: --resume %s:%d: %s repetition %d is in the file twice", f.Name, line, full, rep)
		}
		seenLine[fmt.Sprintf("%s#%d", full, rep)] = true
		done[slot{i, rep}] = true
		return nil
	}
	for _, row := range f.Rows {
		if err := mark(row.Suite, row.Cell, row.Rep, row.Line); err != nil {
			return nil, err
		}
	}
	for _, fl := range f.Failures {
		if err := mark(fl.Suite, fl.Cell, fl.Rep, fl.Line); err != nil {
			return nil, err
		}
	}
	return done, nil
}

func configMap(f *results.File) map[string]string {
	m := make(map[string]string, len(f.Config))
	for _, c := range f.Config {
		m[c.Key] = c.Value
	}
	return m
}
