package report

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tunebench/tunebench/results"
)

// Options says what to report on.
type Options struct {
	// Current is the results file to report on.
	Current string
	// Baseline, if not empty, is a results file to compare Current with:
	// every chart then shows both runs and the table compares them.
	Baseline string
	// Alpha and Confidence are as in results.CompareOptions; 0 means 0.05
	// and 0.95.
	Alpha, Confidence float64
	// Objectives are the suite's gates; the latency chart against rate
	// draws those that bound a latency as lines. May be empty.
	Objectives []results.Objective
	// Base names, by knob, the value the findings compare the knob's
	// other values with; a knob it lacks is compared with its default
	// (keepalive on, tfo off, cc cubic, ...) or its first value.
	Base map[string]string
}

// A Report is everything a report shows, computed once and written as HTML
// or Markdown. Its chart fields are plain data (see chart.go), so that a
// test can compare them with a golden file.
type Report struct {
	// Title names the suite: "tunebench report: quick".
	Title string
	// Findings are the current run's knob effects in plain words, each
	// with its model's prediction where the knob has one: what the
	// report leads with.
	Findings []Finding
	// Claim is the verdict on the claim the suite tests (see Claims),
	// nil when the suite is not a claim's.
	Claim *ClaimResult
	// Runs holds the baseline first, when there is one, then the current
	// run.
	Runs []*Run
	// Ignored lists the configuration that differs between the runs and
	// that the comparison therefore ignored.
	Ignored []results.ConfigDiff `json:"-"`
	// Notes are what a reader must know to read the charts honestly:
	// failed repetitions, too few repetitions for a confidence interval,
	// a missing sidecar.
	Notes []string
	// Knobs holds one small-multiples chart per knob; with a rate knob,
	// Rates draws that one instead.
	Knobs []KnobChart
	// Rates is latency against rate (the hockey stick), nil unless the
	// cells have a rate knob with two or more values.
	Rates *RateChart
	// Capacity holds one chart per knob of the capacity a search found
	// (slo-req/s); empty when the results have none.
	Capacity []KnobChart
	// CDFs holds one latency CDF per cell.
	CDFs []CDFChart
	// Phases is the per-phase breakdown, nil when no run carries a phase
	// metric.
	Phases *PhaseChart
	// Comparison is benchstat's table of the runs: columns by file with a
	// baseline, by the first knob without. Nil when no run has a result.
	Comparison *results.Comparison `json:"-"`
	// Confidence is the level of the intervals drawn.
	Confidence float64
}

// A Run is one results file in the report.
type Run struct {
	// Label is "baseline" or "current".
	Label string
	// Path is the file's path as given.
	Path string
	// Config is the file-level configuration, in file order, less the
	// link lines, which are in Links.
	Config []results.Config
	// Links holds each link's name and parameters.
	Links []results.Config
	// Cells holds every cell that has a line in the file, in name order.
	Cells []CellStatus
	// Failures are the failed repetitions, in file order.
	Failures []results.Failure
	// Reps is the number of repetitions in the file, failed ones included.
	Reps int
	// Sidecar is the path of the histogram sidecar; SidecarErr says why it
	// could not be used, empty when it was.
	Sidecar    string
	SidecarErr string

	file    *results.File
	entries []results.SidecarEntry
}

// CellStatus counts one cell's repetitions and, over the successful ones,
// its requests and the requests that failed.
type CellStatus struct {
	Cell             string
	OK, Failed       int
	Requests, Errors int
	// Suspect counts the successful repetitions the runner flagged (unit
	// suspect): their instrument error was large against what they measure.
	Suspect int `json:",omitempty"`
}

// Labels of the runs.
const (
	LabelBaseline = "baseline"
	LabelCurrent  = "current"
)

// Build reads the files that o names and computes the report.
func Build(o Options) (*Report, error) {
	if o.Current == "" {
		return nil, errors.New("report: no results file given")
	}
	if o.Confidence == 0 {
		o.Confidence = 0.95
	}
	var runs []*Run
	if o.Baseline != "" {
		r, err := readRun(LabelBaseline, o.Baseline)
		if err != nil {
			return nil, err
		}
		runs = append(runs, r)
	}
	cur, err := readRun(LabelCurrent, o.Current)
	if err != nil {
		return nil, err
	}
	runs = append(runs, cur)

	rep := &Report{Runs: runs, Confidence: o.Confidence}
	rep.Title = "tunebench report: " + configValue(cur.Config, "suite", suiteOf(cur.file))

	st, err := computeStats(runs, o)
	if err != nil {
		return nil, err
	}
	rep.Comparison, err = tableComparison(runs, o)
	if err != nil {
		return nil, err
	}
	if st.cmp != nil {
		rep.Ignored = st.cmp.Ignored
	}
	cells := allCells(runs)
	rep.Rates = rateChart(runs, cells, st, o.Objectives)
	var skip []string
	if rep.Rates != nil {
		skip = append(skip, rateKnob)
	}
	rep.Knobs = knobCharts(runs, cells, st, knobMetrics, "", skip...)
	if st.has(unitSLORate) {
		// A search finds one rate per cell, which every request line of
		// the cell carries: by request it would show the same figure twice.
		rep.Capacity = knobCharts(runs, cells, st, capacityMetrics, unitSLORate, reqKey)
	}
	rep.CDFs = cdfCharts(runs, cells)
	rep.Phases = phaseChart(runs, cells, st)
	rep.Notes = notes(rep, st)
	claim, isClaim := claimFor(configValue(cur.Config, "suite", suiteOf(cur.file)))
	base := o.Base
	if isClaim {
		base = map[string]string{claim.Knob: claim.From}
		for k, v := range o.Base {
			base[k] = v
		}
	}
	var units []string
	if isClaim && claim.unit() != results.UnitP50 {
		units = append(units, claim.unit())
	}
	if rep.Findings, err = computeFindings(cur, st, o, base, units...); err != nil {
		return nil, err
	}
	if isClaim {
		res := claim.Judge(rep.Findings)
		rep.Claim = &res
	}
	return rep, nil
}

// readRun reads a results file and its sidecar, if there is one.
func readRun(label, path string) (*Run, error) {
	f, err := results.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	r := &Run{Label: label, Path: path, file: f, Failures: f.Failures, Reps: len(f.Rows) + len(f.Failures)}
	for _, c := range f.Config {
		if name, ok := strings.CutPrefix(c.Key, "link-"); ok {
			r.Links = append(r.Links, results.Config{Key: name, Value: c.Value})
			continue
		}
		r.Config = append(r.Config, c)
	}
	status := make(map[string]*CellStatus)
	get := func(cell string) *CellStatus {
		if status[cell] == nil {
			status[cell] = &CellStatus{Cell: cell}
		}
		return status[cell]
	}
	for _, row := range f.Rows {
		s := get(row.Cell)
		s.OK++
		s.Requests += row.N
		// The line carries the fraction errors/requests.
		s.Errors += int(math.Round(row.Values[results.UnitErrors] * float64(row.N)))
		if row.Values[unitSuspect] > 0 {
			s.Suspect++
		}
	}
	for _, fail := range f.Failures {
		get(fail.Cell).Failed++
	}
	for _, s := range status {
		r.Cells = append(r.Cells, *s)
	}
	slices.SortFunc(r.Cells, func(a, b CellStatus) int { return naturalCompare(a.Cell, b.Cell) })

	r.Sidecar = results.SidecarPath(path)
	sf, err := os.Open(r.Sidecar)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		r.SidecarErr = fmt.Sprintf("no histogram sidecar %s next to %s", filepath.Base(r.Sidecar), filepath.Base(path))
	case err != nil:
		r.SidecarErr = err.Error()
	default:
		r.entries, err = results.ReadSidecar(sf)
		sf.Close()
		if err != nil {
			r.SidecarErr = fmt.Sprintf("%s: %v", r.Sidecar, err)
			r.entries = nil
		}
	}
	return r, nil
}

// suiteOf returns the suite of the first line of f.
func suiteOf(f *results.File) string {
	if len(f.Rows) > 0 {
		return f.Rows[0].Suite
	}
	if len(f.Failures) > 0 {
		return f.Failures[0].Suite
	}
	return ""
}

// configValue returns the value of key in cfg, or def.
func configValue(cfg []results.Config, key, def string) string {
	for _, c := range cfg {
		if c.Key == key {
			return c.Value
		}
	}
	return def
}

// allCells returns the cells of every run, in natural order.
func allCells(runs []*Run) []string {
	var cells []string
	for _, r := range runs {
		for _, c := range r.Cells {
			if !slices.Contains(cells, c.Cell) {
				cells = append(cells, c.Cell)
			}
		}
	}
	slices.SortFunc(cells, naturalCompare)
	return cells
}

// status returns the run's status of cell, zero if the run lacks it.
func (r *Run) status(cell string) CellStatus {
	for _, c := range r.Cells {
		if c.Cell == cell {
			return c
		}
	}
	return CellStatus{Cell: cell}
}

// notes collects what a reader must know before reading the charts.
func notes(rep *Report, st *stats) []string {
	var out []string
	for _, r := range rep.Runs {
		who := ""
		if len(rep.Runs) > 1 {
			who = r.Label + ": "
		}
		if n := len(r.Failures); n > 0 {
			out = append(out, fmt.Sprintf("%s%d of %d repetitions failed; the charts and the table leave them out (see Failed repetitions)", who, n, r.Reps))
		}
		fewest := math.MaxInt
		for _, c := range r.Cells {
			if c.OK > 0 {
				fewest = min(fewest, c.OK)
			}
		}
		if need := st.need; fewest < need {
			out = append(out, fmt.Sprintf("%ssome cells have fewer than %d successful repetitions (the fewest: %d): benchstat gives no %v%% confidence interval for them, so their charts show the median alone, marked \"no CI\"", who, need, fewest, rep.Confidence*100))
		}
		for _, c := range r.Cells {
			if c.OK == 0 {
				out = append(out, fmt.Sprintf("%scell %s: all %d repetitions failed; it has no measurements", who, c.Cell, c.Failed))
			}
			if c.Errors > 0 {
				out = append(out, fmt.Sprintf("%scell %s: %d of %d measured requests failed; its latencies are of the requests that succeeded", who, c.Cell, c.Errors, c.Requests))
			}
			if c.Suspect > 0 {
				out = append(out, fmt.Sprintf("%scell %s: %d of %d repetitions are suspect: the instrument's own error (the agent's send lag, the emulator's lateness or saturated CPUs) was large against what the cell measures, so their figures may be the instrument's; they are in the charts and the table, marked \"suspect\"", who, c.Cell, c.Suspect, c.OK))
			}
		}
		if r.SidecarErr != "" {
			out = append(out, fmt.Sprintf("%s%s: no latency CDFs drawn", who, r.SidecarErr))
		}
	}
	if rep.Phases == nil {
		out = append(out, "no per-phase metrics (connect-ns, tls-ns, ttfb-ns, body-ns) in the results: no phase breakdown drawn")
	}
	return out
}
