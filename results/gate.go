package results

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"golang.org/x/perf/benchmath"
)

// GateOptions says what Gate checks. Current is required, and so is at
// least one check: a Baseline with Metrics, or Objectives.
type GateOptions struct {
	// Current is the results file under test.
	Current *File
	// Baseline, when set, is compared with Current cell by cell: a cell
	// fails when one of Metrics got worse by more than MaxRegression, in
	// the direction the unit's better= declaration gives, and the
	// Mann–Whitney U test finds the change significant at Alpha.
	Baseline *File
	// Metrics names the units to compare, as MetricUnit reads them.
	Metrics []string
	// MaxRegression is the largest change for the worse that passes, as a
	// fraction: 0.1 lets a latency grow by 10%. 0 fails every significant
	// change for the worse.
	MaxRegression float64
	// Alpha is the significance level, over 0 and at most 1; 0 means 0.05.
	Alpha float64
	// Strict fails the cells that have too few samples to decide;
	// otherwise they are reported and pass.
	Strict bool
	// AllowMissing lets the baseline's cells that Current lacks pass:
	// they are reported, and a Current that shares no cell with the
	// baseline compares nothing and passes. Without it each missing cell
	// fails (a deleted benchmark is not a pass), and sharing no cell at
	// all is an error (a renamed suite, the wrong file): a gate that
	// compares nothing must not pass.
	AllowMissing bool
	// Objectives are absolute bounds checked on Current.
	Objectives []Objective
}

// An Objective is an absolute bound on a metric, such as "the p99 latency
// of the wan40 cells with keep-alive on is at most 150 ms". Each cell that
// Where selects is checked on the median of its repetitions, the center
// benchstat shows.
type Objective struct {
	// Metric names the unit, as MetricUnit reads it: "p99", "p99-ns".
	Metric string
	// Max and Min bound the median, in the unit as the file writes it:
	// nanoseconds for latencies, a fraction for errors. Each applies when
	// its Has field is set.
	Max, Min       float64
	HasMax, HasMin bool
	// Where selects cells by the keys of their names ("link" → "wan40",
	// "keepalive" → "on"); empty selects every cell. A key or value that
	// no cell has is an error, never a vacuous pass.
	Where map[string]string
	// Source says where the objective was written, for messages, e.g.
	// "quick.yaml:14"; may be empty.
	Source string
}

// String describes the objective as a suite writes it: "p99 max 150ms
// where link=wan40,keepalive=on".
func (o Objective) String() string {
	unit := MetricUnit(o.Metric)
	var parts []string
	parts = append(parts, o.Metric)
	if o.HasMin {
		parts = append(parts, "min "+formatLimit(o.Min, unit))
	}
	if o.HasMax {
		parts = append(parts, "max "+formatLimit(o.Max, unit))
	}
	if len(o.Where) > 0 {
		parts = append(parts, "where "+formatWhere(o.Where))
	}
	return strings.Join(parts, " ")
}

// A Verdict is the outcome of one check.
type Verdict string

// The verdicts of a check.
const (
	Pass Verdict = "pass"
	Fail Verdict = "fail"
	// Undecided is a check with too few samples to tell; it fails with
	// GateOptions.Strict.
	Undecided Verdict = "undecided"
)

// CellStats summarizes one cell's values of one metric.
type CellStats struct {
	// N is the number of values; Failed the cell's failed repetitions.
	N, Failed int
	// Center is the median; Lo and Hi bound its confidence interval at
	// 95% (infinite with fewer than 6 values).
	Center, Lo, Hi float64
	// Range is benchstat's "± x%" figure without the ±.
	Range string
}

// A RegressionCheck compares one cell's metric between the baseline and
// the current file.
type RegressionCheck struct {
	// Name is the benchmark name without "Benchmark".
	Name string
	// Metric is the unit as the files write it; Better its direction.
	Metric, Better string
	Base, Current  CellStats
	// Change is Current's median over Base's, less 1; Worse is the change
	// for the worse as a fraction (negative for an improvement), +Inf
	// from a zero baseline.
	Change, Worse float64
	// P is the p-value of the comparison; Significant is P <= alpha.
	P           float64
	Significant bool
	Verdict     Verdict
	// Why explains the verdict in words.
	Why string
}

// Values returns the medians compared, "7.215ms → 34.01ms".
func (c *RegressionCheck) Values() string {
	return formatMetric(c.Base.Center, c.Metric) + " → " + formatMetric(c.Current.Center, c.Metric)
}

// An ObjectiveCheck is one objective checked on one cell.
type ObjectiveCheck struct {
	Objective Objective
	// Metric is the unit the objective's metric names.
	Metric string
	// Name is the benchmark name without "Benchmark".
	Name    string
	Stats   CellStats
	Verdict Verdict
	Why     string
}

// A GateLink is a link that a summary shows, such as the report or the
// CI run.
type GateLink struct {
	Text, URL string
}

// A GateResult is everything Gate checked.
type GateResult struct {
	// Baseline and Current name the files.
	Baseline, Current string
	// ConfigDiffs lists the file-level configuration that differs between
	// Baseline and Current; cells are matched by name regardless.
	ConfigDiffs   []ConfigDiff
	MaxRegression float64
	Alpha         float64
	Strict        bool
	AllowMissing  bool
	Regressions   []RegressionCheck
	// OnlyBaseline and OnlyCurrent list the cells found on one side only.
	// Each of OnlyBaseline is a failed check unless AllowMissing.
	OnlyBaseline, OnlyCurrent []string
	Objectives                []ObjectiveCheck
	// Links are shown in the Markdown summary; Gate leaves them empty.
	Links []GateLink
}

// Failures returns one line for each failed check, in the order checked.
func (r *GateResult) Failures() []string {
	var out []string
	for _, c := range r.Regressions {
		if c.Verdict == Fail || c.Verdict == Undecided && r.Strict {
			out = append(out, fmt.Sprintf("%s %s: %s: %s", c.Name, c.Metric, c.Values(), c.Why))
		}
	}
	if !r.AllowMissing {
		for _, name := range r.OnlyBaseline {
			out = append(out, fmt.Sprintf("%s: in the baseline %s but not in %s (a missing cell fails; --allow-missing lets it pass)", name, r.Baseline, r.Current))
		}
	}
	for _, c := range r.Objectives {
		if c.Verdict == Fail {
			out = append(out, fmt.Sprintf("objective %s: %s: %s", objectiveName(c.Objective), c.Name, c.Why))
		}
	}
	return out
}

// Checks returns the number of checks made.
func (r *GateResult) Checks() int {
	n := len(r.Regressions) + len(r.Objectives)
	if !r.AllowMissing {
		n += len(r.OnlyBaseline)
	}
	return n
}

// Passed reports whether no check failed.
func (r *GateResult) Passed() bool { return len(r.Failures()) == 0 }

func objectiveName(o Objective) string {
	if o.Source != "" {
		return o.String() + " (" + o.Source + ")"
	}
	return o.String()
}

// Gate runs the checks opts asks for. Its error is for input that cannot
// be checked: a metric no file has, a unit without a direction, an
// objective that selects no cell, a baseline that shares no cell with
// Current (unless AllowMissing); failed checks are in the result.
func Gate(opts GateOptions) (*GateResult, error) {
	switch {
	case opts.Current == nil:
		return nil, errors.New("results: gate: no current results file")
	case opts.Baseline == nil && len(opts.Objectives) == 0:
		return nil, errors.New("results: gate: nothing to check; give a baseline to compare with or objectives")
	case opts.Baseline != nil && len(opts.Metrics) == 0:
		return nil, errors.New("results: gate: a baseline needs the metrics to compare, e.g. p99-ns")
	case opts.MaxRegression < 0 || math.IsNaN(opts.MaxRegression):
		return nil, fmt.Errorf("results: gate: max regression %v is negative", opts.MaxRegression)
	case opts.Alpha < 0 || opts.Alpha > 1:
		return nil, fmt.Errorf("results: gate: alpha %v is not over 0 and at most 1", opts.Alpha)
	}
	if opts.Alpha == 0 {
		opts.Alpha = benchmath.DefaultThresholds.CompareAlpha
	}
	r := &GateResult{Current: opts.Current.Name, MaxRegression: opts.MaxRegression, Alpha: opts.Alpha, Strict: opts.Strict, AllowMissing: opts.AllowMissing}
	if opts.Baseline != nil {
		r.Baseline = opts.Baseline.Name
		if err := r.regressions(opts); err != nil {
			return nil, err
		}
	}
	for _, o := range opts.Objectives {
		checks, err := checkObjective(opts.Current, o)
		if err != nil {
			return nil, err
		}
		r.Objectives = append(r.Objectives, checks...)
	}
	return r, nil
}

// cellSamples collects each benchmark name's values of unit and its failed
// repetitions, and the names in order of appearance.
func cellSamples(f *File, unit string) (names []string, values map[string][]float64, failed map[string]int) {
	values = make(map[string][]float64)
	failed = make(map[string]int)
	seen := make(map[string]bool)
	note := func(name string) {
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	type entry struct {
		line int
		name string
	}
	var order []entry
	for _, row := range f.Rows {
		order = append(order, entry{row.Line, row.Name})
		if v, ok := row.Values[unit]; ok {
			values[row.Name] = append(values[row.Name], v)
		}
	}
	for _, fl := range f.Failures {
		order = append(order, entry{fl.Line, fl.Name})
		failed[fl.Name]++
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i].line < order[j].line })
	for _, e := range order {
		note(e.name)
	}
	return names, values, failed
}

// statsOf summarizes values as benchstat does: median and its 95%
// confidence interval.
func statsOf(values []float64, failed int, thresholds *benchmath.Thresholds) (CellStats, *benchmath.Sample) {
	s := benchmath.NewSample(slices.Clone(values), thresholds)
	st := CellStats{N: len(values), Failed: failed, Center: math.NaN(), Lo: math.Inf(-1), Hi: math.Inf(1)}
	if len(values) > 0 {
		sum := benchmath.AssumeNothing.Summary(s, 0.95)
		st.Center, st.Lo, st.Hi, st.Range = sum.Center, sum.Lo, sum.Hi, sum.PctRangeString()
	}
	return st, s
}

func (r *GateResult) regressions(opts GateOptions) error {
	base, cur := opts.Baseline, opts.Current
	r.ConfigDiffs = configDiffs([]*File{base, cur})
	thresholds := &benchmath.Thresholds{CompareAlpha: opts.Alpha}

	var units []string
	for _, m := range opts.Metrics {
		u, err := resolveMetric(m, base, cur)
		if err != nil {
			return err
		}
		for _, f := range []*File{base, cur} {
			if !slices.Contains(fileUnits(f), u) {
				return fmt.Errorf("results: metric %s: %s has no %s values; compare a metric both files have", m, f.Name, u)
			}
		}
		if !slices.Contains(units, u) {
			units = append(units, u)
		}
	}

	baseNames, _, _ := cellSamples(base, "")
	curNames, _, _ := cellSamples(cur, "")
	for _, n := range baseNames {
		if !slices.Contains(curNames, n) {
			r.OnlyBaseline = append(r.OnlyBaseline, n)
		}
	}
	for _, n := range curNames {
		if !slices.Contains(baseNames, n) {
			r.OnlyCurrent = append(r.OnlyCurrent, n)
		}
	}
	if len(r.OnlyBaseline) == len(baseNames) && !opts.AllowMissing {
		return noSharedCell(base, cur, baseNames, curNames)
	}

	for _, unit := range units {
		better, err := betterOf(unit, base, cur)
		if err != nil {
			return err
		}
		_, bv, bf := cellSamples(base, unit)
		_, cv, cf := cellSamples(cur, unit)
		for _, name := range baseNames {
			if !slices.Contains(curNames, name) {
				continue
			}
			c := RegressionCheck{Name: name, Metric: unit, Better: better, Change: math.NaN(), Worse: math.NaN(), P: math.NaN()}
			var bs, cs *benchmath.Sample
			c.Base, bs = statsOf(bv[name], bf[name], thresholds)
			c.Current, cs = statsOf(cv[name], cf[name], thresholds)
			judge(&c, bs, cs, opts)
			r.Regressions = append(r.Regressions, c)
		}
	}
	return nil
}

// judge fills in the comparison and the verdict of c: the Mann–Whitney U
// test on the two samples, as benchstat runs it.
func judge(c *RegressionCheck, bs, cs *benchmath.Sample, opts GateOptions) {
	pct := func(f float64) string { return fmt.Sprintf("%.2f%%", f*100) }
	switch {
	case c.Current.N == 0 && c.Current.Failed > 0:
		c.Verdict, c.Why = Fail, fmt.Sprintf("every repetition failed in the current run (%d); the baseline had %d", c.Current.Failed, c.Base.N)
		return
	case c.Base.N == 0 || c.Current.N == 0:
		c.Verdict, c.Why = Undecided, fmt.Sprintf("too few samples to decide: n=%d+%d", c.Base.N, c.Current.N)
		return
	}
	// Always the U test, whatever a file assumes: a gate's verdict
	// must not depend on a declaration in the file under test.
	cmp := benchmath.AssumeNothing.Compare(bs, cs)
	c.P = cmp.P
	c.Significant = cmp.P <= opts.Alpha
	b, n := c.Base.Center, c.Current.Center
	switch {
	case b == n:
		c.Change = 0
	case b != 0:
		c.Change = n/b - 1
	}
	switch {
	case b == n:
		c.Worse = 0
	case b == 0 && c.Better == BetterLower:
		c.Worse = math.Inf(1)
	case b == 0:
		c.Worse = math.Inf(-1)
	case c.Better == BetterLower:
		c.Worse = n/b - 1
	default:
		c.Worse = 1 - n/b
	}
	test := "p=" + fmt.Sprintf("%.3f", cmp.P) + " " + nStrings(c.Base.N, c.Current.N)
	if !c.Significant {
		if need := uTestNeed(c.Base.N, c.Current.N, opts.Alpha); need > 0 {
			c.Verdict = Undecided
			c.Why = fmt.Sprintf("too few samples to decide (%s); the U test needs at least %d repetitions a side to reach α=%v", nStrings(c.Base.N, c.Current.N), need, opts.Alpha)
			return
		}
		c.Verdict, c.Why = Pass, fmt.Sprintf("no significant change (%s)", test)
		return
	}
	switch {
	case c.Worse > opts.MaxRegression:
		c.Verdict = Fail
		c.Why = fmt.Sprintf("worse by %s (%s), over the %s allowed", pct(c.Worse), test, percentText(opts.MaxRegression))
	case c.Worse > 0:
		c.Verdict = Pass
		c.Why = fmt.Sprintf("worse by %s (%s), within the %s allowed", pct(c.Worse), test, percentText(opts.MaxRegression))
	case c.Worse < 0:
		c.Verdict = Pass
		c.Why = fmt.Sprintf("better by %s (%s)", pct(-c.Worse), test)
	default:
		c.Verdict, c.Why = Pass, fmt.Sprintf("no change (%s)", test)
	}
}

func nStrings(n1, n2 int) string {
	if n1 == n2 {
		return fmt.Sprintf("n=%d", n1)
	}
	return fmt.Sprintf("n=%d+%d", n1, n2)
}

// uTestNeed returns 0 if samples of n1 and n2 values can reach a p-value
// of alpha in the two-sided Mann–Whitney U test, and otherwise the number
// of values a side that can. The smallest p-value, with the two samples
// entirely apart, is 2/C(n1+n2, n1).
func uTestNeed(n1, n2 int, alpha float64) int {
	if minUTestP(n1, n2) <= alpha {
		return 0
	}
	for n := max(n1, n2); n < 1000; n++ {
		if minUTestP(n, n) <= alpha {
			return n
		}
	}
	return 1000
}

func minUTestP(n1, n2 int) float64 {
	if n1 == 0 || n2 == 0 {
		return 1
	}
	// C(n1+n2, n1), in floating point: it only needs to be compared.
	c := 1.0
	for i := 1; i <= n1; i++ {
		c = c * float64(n2+i) / float64(i)
	}
	return min(1, 2/c)
}

// noSharedCell is the error of a baseline and a current file that have no
// cell in common: a renamed suite, other --only cells, the wrong file.
func noSharedCell(base, cur *File, baseNames, curNames []string) error {
	first := func(names []string) string {
		if len(names) == 0 {
			return "none"
		}
		if len(names) == 1 {
			return names[0]
		}
		return fmt.Sprintf("%s and %d more", names[0], len(names)-1)
	}
	return fmt.Errorf("results: gate: %s and %s have no cell in common (the baseline has %s, the current run %s), so there is nothing to compare; compare runs of the same suite (a renamed suite or matrix renames its cells), or pass --allow-missing to let that pass",
		base.Name, cur.Name, first(baseNames), first(curNames))
}
