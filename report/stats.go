package report

import (
	"fmt"
	"math"
	"strings"

	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchunit"

	"github.com/tunebench/tunebench/results"
)

// An Estimate is benchstat's summary of one metric of one cell of one run:
// the median of its repetitions and the confidence interval around it.
type Estimate struct {
	// Center is the median, in the tidied unit (seconds for latencies).
	Center float64
	// Lo and Hi bound the confidence interval; they equal Center when
	// HasCI is false.
	Lo, Hi float64
	// HasCI says whether benchstat could give an interval: it cannot with
	// fewer repetitions than the confidence level needs.
	HasCI bool
	// N is the number of successful repetitions.
	N int
}

// statKey names one estimate.
type statKey struct{ run, cell, unit string }

// stats holds every estimate of every run, by the unit as written
// ("p50-ns").
type stats struct {
	est map[statKey]Estimate
	// units are the units as written that some run has, by tidied name.
	units map[string]string
	// need is the fewest samples that give a confidence interval.
	need int
	cmp  *results.Comparison
}

// computeStats compares the runs with benchstat's statistics, one column
// per file, and keeps every cell's summary.
func computeStats(runs []*Run, o Options) (*stats, error) {
	st := &stats{est: make(map[statKey]Estimate), units: make(map[string]string), need: ciSamples(o.Confidence)}
	var inputs []results.Input
	for _, r := range runs {
		if len(r.file.Rows) > 0 {
			inputs = append(inputs, results.Input{Label: r.Label, Path: r.Path})
		}
		for _, row := range r.file.Rows {
			for u := range row.Values {
				_, tidy := benchunit.Tidy(1, u)
				st.units[tidy] = u
			}
		}
	}
	if len(inputs) == 0 {
		return st, nil // every repetition failed; nothing to estimate
	}
	c, err := results.Compare(inputs, results.CompareOptions{Row: ".fullname", Col: ".file", Alpha: o.Alpha, Confidence: o.Confidence})
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	st.cmp = c
	for _, t := range c.Tables {
		unit, ok := st.units[t.Unit]
		if !ok {
			continue
		}
		for _, row := range t.Rows {
			_, cell, _ := strings.Cut(row.StringValues(), "/")
			for _, col := range t.Cols {
				tc, ok := t.Cells[results.TableKey{Row: row, Col: col}]
				if !ok {
					continue
				}
				s := tc.Summary
				e := Estimate{Center: s.Center, Lo: s.Lo, Hi: s.Hi, N: len(tc.Sample.Values)}
				e.HasCI = !math.IsInf(s.Lo, 0) && !math.IsInf(s.Hi, 0) && !math.IsNaN(s.Lo) && !math.IsNaN(s.Hi)
				if !e.HasCI {
					e.Lo, e.Hi = s.Center, s.Center
				}
				st.est[statKey{col.StringValues(), cell, unit}] = e
			}
		}
	}
	return st, nil
}

// get returns the estimate of unit (as written) for a run's cell.
func (st *stats) get(run, cell, unit string) (Estimate, bool) {
	e, ok := st.est[statKey{run, cell, unit}]
	return e, ok
}

// has reports whether any run carries unit.
func (st *stats) has(unit string) bool {
	for _, u := range st.units {
		if u == unit {
			return true
		}
	}
	return false
}

// ciSamples returns the fewest samples for which benchstat gives a
// confidence interval at level confidence, asking benchmath rather than
// repeating its tables.
func ciSamples(confidence float64) int {
	for n := 1; n < 100; n++ {
		vals := make([]float64, n)
		for i := range vals {
			vals[i] = float64(i + 1)
		}
		s := benchmath.AssumeNothing.Summary(benchmath.NewSample(vals, &benchmath.DefaultThresholds), confidence)
		if !math.IsInf(s.Lo, 0) && !math.IsInf(s.Hi, 0) {
			return n
		}
	}
	return 100
}

// tableUnits are the units the report's table shows, where the results
// have them: the latencies, the rate sent and the rate completed, errors,
// the capacity a search found, and the instrument's own error.
var tableUnits = []string{
	results.UnitP50, results.UnitP90, results.UnitP99, results.UnitP999, results.UnitAchieved, unitCompleted, results.UnitErrors,
	unitSLORate, unitSendLagP99, unitEmuLateP99, unitCPUBusy,
}

// tableComparison is the comparison the report's table shows: the runs
// side by side with a baseline, else the first knob's values side by side.
func tableComparison(runs []*Run, o Options) (*results.Comparison, error) {
	var inputs []results.Input
	for _, r := range runs {
		if len(r.file.Rows) > 0 {
			inputs = append(inputs, results.Input{Label: r.Label, Path: r.Path})
		}
	}
	if len(inputs) == 0 {
		return nil, nil
	}
	opts := results.CompareOptions{Alpha: o.Alpha, Confidence: o.Confidence,
		Filter: ".unit:(" + strings.Join(tableUnits, " OR ") + ")"}
	if len(runs) == 1 {
		if knobs := knobNames(allCells(runs)); len(knobs) > 0 && knobs[0] != "link" {
			opts.Col = "/" + knobs[0]
		}
	}
	c, err := results.Compare(inputs, opts)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return c, nil
}
