package report

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/tunebench/tunebench/results"
)

// A Finding is one knob's effect on P50 where everything else is the
// same: one value against the knob's base value, on one link and with the
// other knobs fixed, with benchstat's significance and, where the knob has
// a [Model], what physics predicts.
type Finding struct {
	// Knob, From and To: the knob, its base value and the value
	// compared with it.
	Knob, From, To string
	// Link is the link's name; Where lists the other knobs that vary in
	// the results, as "initcwnd=10", empty when none do.
	Link, Where string
	// Unit is the metric as written in the results: p50-ns, or the
	// evidence a claim speaks of (retries/op).
	Unit string
	// Base and Value are the medians of the metric (latencies in
	// seconds); Delta is Value less Base and Pct that change in percent
	// of Base.
	Base, Value, Delta, Pct float64
	// P is the Mann–Whitney U test's p-value and Significant whether it
	// is at most the comparison's alpha.
	P           float64
	Significant bool
	// N is the number of repetitions of the smaller sample.
	N int
	// RTT is the link's round-trip time in seconds.
	RTT float64
	// Prediction is the model's, nil when the knob has no model or it
	// does not apply to this cell.
	Prediction *Prediction
}

// A Prediction is what a model expects of a finding.
type Prediction struct {
	// Model names the model, Formula says it in words.
	Model, Formula string
	// Delta is the predicted change of P50 in seconds; Tolerance how far
	// the measured change may be from it and still agree.
	Delta, Tolerance float64
	// Agrees reports whether the measured change is within Tolerance of
	// Delta.
	Agrees bool
	// Throughput marks a throughput bound's prediction, which is not
	// counted in round trips.
	Throughput bool
}

// defaultBase returns the value a knob is measured against when the
// claim or the caller names none: the kernel's or Go's default.
func defaultBase(knob string) string {
	switch knob {
	case "keepalive", "nodelay":
		return "on"
	case "tfo", "tls":
		return "off"
	case "cc":
		return "cubic"
	case "codec":
		return "json"
	}
	return ""
}

// computeFindings compares each knob's values on one run, with the
// value in base (knob → value) or defaultBase as the base; a knob without
// either is compared with its first value in natural order.
func computeFindings(r *Run, st *stats, o Options, base map[string]string, units ...string) ([]Finding, error) {
	if len(r.file.Rows) == 0 {
		return nil, nil
	}
	var cells []string
	for _, c := range r.Cells {
		if c.OK > 0 {
			cells = append(cells, c.Cell)
		}
	}
	varying := varyingKnobs(cells)
	paths := make(map[string]Path)
	for _, l := range r.Links {
		p, err := ParsePath(l.Key, l.Value)
		if err != nil {
			return nil, err
		}
		paths[l.Key] = p
	}
	endpoint := configValue(r.Config, "endpoint", "")
	loadRate := loadRateOf(configValue(r.Config, "load", ""))

	view := runView{r: r, st: st, o: o, varying: varying, cells: cells, paths: paths, endpoint: endpoint, loadRate: loadRate}
	var out []Finding
	for _, knob := range varying {
		if knob == "link" {
			continue
		}
		vals := orderValues(knob, knobValues(cells, knob), base)
		for _, unit := range append([]string{results.UnitP50}, units...) {
			fs, err := view.knobFindings(knob, vals, unit)
			if err != nil {
				return nil, err
			}
			out = append(out, fs...)
		}
	}
	return out, nil
}

// A runView is what the findings of one run read.
type runView struct {
	r        *Run
	st       *stats
	o        Options
	varying  []string
	cells    []string
	paths    map[string]Path
	endpoint string
	loadRate float64
}

// knobFindings compares the values of one knob in one unit.
func (v runView) knobFindings(knob string, vals []string, unit string) ([]Finding, error) {
	r, st, o, varying, cells, paths, endpoint, loadRate := v.r, v.st, v.o, v.varying, v.cells, v.paths, v.endpoint, v.loadRate
	var out []Finding
	c, err := results.Compare([]results.Input{{Label: r.Label, Path: r.Path}}, results.CompareOptions{
		Row: ".fullname", Col: "/" + knob + "@(" + strings.Join(vals, " ") + ")",
		Filter: ".unit:" + unit, Alpha: o.Alpha, Confidence: o.Confidence,
	})
	if err != nil {
		return nil, fmt.Errorf("report: findings of %s: %w", knob, err)
	}
	for _, t := range c.Tables {
		for _, row := range t.Rows {
			_, rest, _ := strings.Cut(row.StringValues(), "/")
			d := parseCell(rest)
			for _, col := range t.Cols[1:] {
				tc := t.Cells[results.TableKey{Row: row, Col: col}]
				if tc == nil || tc.Baseline == nil {
					continue
				}
				f := Finding{
					Knob: knob, From: t.Cols[0].StringValues(), To: col.StringValues(),
					Link: d.get("link"), Unit: unit,
					Base:  tc.Baseline.Summary.Center,
					Value: tc.Summary.Center,
					P:     tc.Comparison.P, Significant: tc.Significant(),
					N: min(len(tc.Sample.Values), len(tc.Baseline.Sample.Values)),
				}
				var where []string
				for _, kv := range d {
					if kv.k != "link" && slices.Contains(varying, kv.k) {
						where = append(where, kv.k+"="+kv.v)
					}
				}
				f.Where = strings.Join(where, " ")
				f.Delta = f.Value - f.Base
				if f.Base != 0 {
					f.Pct = 100 * f.Delta / f.Base
				}
				path := paths[f.Link]
				f.RTT = path.RTT.Seconds()
				mc := func(v string) ModelCell {
					m := ModelCell{Path: path, Endpoint: endpoint, LoadRate: loadRate, Knobs: map[string]string{knob: v}}
					for _, kv := range d {
						if kv.k != "link" {
							m.Knobs[kv.k] = kv.v
						}
					}
					if name, ok := findCell(cells, m.Knobs, f.Link); ok {
						if e, ok := st.get(r.Label, name, unitWire); ok {
							m.WireBytes = e.Center
						}
						if e, ok := st.get(r.Label, name, unitRetries); ok {
							m.Retries = e.Center
						}
					}
					return m
				}
				if unit == results.UnitP50 {
					f.Prediction = predict(knob, mc(f.From), mc(f.To), f.Delta)
				}
				out = append(out, f)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		if c := naturalCompare(a.Link, b.Link); c != 0 {
			return c
		}
		return naturalCompare(a.Where, b.Where)
	})
	return out, nil
}

// Evidence the models read: the bytes the agent read per request, and
// the requests its transport retried.
const (
	unitWire    = "wire-B/op"
	unitRetries = "retries/op"
)

// predict returns the model's prediction of the change from one cell to
// the other and whether measured agrees with it; nil without a model.
func predict(knob string, from, to ModelCell, measured float64) *Prediction {
	m, ok := modelFor(knob)
	if !ok {
		return nil
	}
	a, okA := m.Cost(from)
	b, okB := m.Cost(to)
	if !okA || !okB {
		return nil
	}
	p := &Prediction{Model: m.Name, Formula: m.Formula, Delta: b - a, Throughput: m.Throughput}
	p.Tolerance = m.Tolerance(p.Delta, from.Path)
	p.Agrees = math.Abs(measured-p.Delta) <= p.Tolerance
	return p
}

// varyingKnobs returns the keys whose value differs between the cells,
// in cell-name order.
func varyingKnobs(cells []string) []string {
	var keys []string
	for _, c := range cells {
		for _, kv := range parseCell(c) {
			if kv.k != "" && !slices.Contains(keys, kv.k) && len(knobValues(cells, kv.k)) > 1 {
				keys = append(keys, kv.k)
			}
		}
	}
	return keys
}

// knobValues returns the values of knob in the cells, in natural order.
func knobValues(cells []string, knob string) []string {
	var vals []string
	for _, c := range cells {
		for _, kv := range parseCell(c) {
			if kv.k == knob && !slices.Contains(vals, kv.v) {
				vals = append(vals, kv.v)
			}
		}
	}
	slices.SortFunc(vals, naturalCompare)
	return vals
}

// orderValues puts the base value first.
func orderValues(knob string, vals []string, base map[string]string) []string {
	b, ok := base[knob]
	if !ok {
		b = defaultBase(knob)
	}
	if i := slices.Index(vals, b); i > 0 {
		vals = append(append([]string{b}, vals[:i]...), vals[i+1:]...)
	}
	return vals
}

// findCell returns the cell on link whose knobs are knobs.
func findCell(cells []string, knobs map[string]string, link string) (string, bool) {
	for _, c := range cells {
		d := parseCell(c)
		if d.get("link") != link || len(d) != len(knobs)+1 {
			continue
		}
		ok := true
		for _, kv := range d {
			if kv.k != "link" && knobs[kv.k] != kv.v {
				ok = false
				break
			}
		}
		if ok {
			return c, true
		}
	}
	return "", false
}

// loadRateOf reads the rate of a header's load line, "rate=20/s
// duration=3s ...", 0 when it has none.
func loadRateOf(load string) float64 {
	for _, w := range strings.Fields(load) {
		if v, ok := strings.CutPrefix(w, "rate="); ok {
			f, err := strconv.ParseFloat(strings.TrimSuffix(v, "/s"), 64)
			if err == nil {
				return f
			}
		}
	}
	return 0
}

// String says the finding in plain words: "tfo on: −40.3 ms P50 on wan40
// (−49 %, p=0.002); model (Fast Open): −40.0 ms (−1.00 RTT), agrees
// (±10.0 ms)".
func (f Finding) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", f.Knob, f.To)
	if f.Significant {
		fmt.Fprintf(&b, ": %s %s on %s", f.signed(f.Delta), f.label(), f.Link)
	} else {
		fmt.Fprintf(&b, ": no significant change in %s on %s", f.label(), f.Link)
	}
	if f.Where != "" {
		fmt.Fprintf(&b, " with %s", f.Where)
	}
	if f.Significant && f.Base != 0 {
		fmt.Fprintf(&b, " (%s %%, p=%.3f, vs %s %s)", signedNumber(f.Pct, 0), f.P, f.Knob, f.From)
	} else if f.Significant {
		fmt.Fprintf(&b, " (p=%.3f, vs %s %s: %s)", f.P, f.Knob, f.From, strings.TrimPrefix(f.signed(f.Base), "+"))
	} else {
		fmt.Fprintf(&b, " (%s, p=%.3f, vs %s %s)", f.signed(f.Delta), f.P, f.Knob, f.From)
	}
	if p := f.Prediction; p != nil {
		fmt.Fprintf(&b, "; model (%s): %s", p.Model, signedDuration(p.Delta))
		if f.RTT > 0 && !p.Throughput {
			fmt.Fprintf(&b, " (%s RTT)", signedNumber(p.Delta/f.RTT, 2))
		}
		verdict := "agrees"
		if !p.Agrees {
			verdict = "does not agree"
		}
		fmt.Fprintf(&b, ", %s (±%s)", verdict, formatDuration(p.Tolerance))
	}
	return b.String()
}

// signedDuration writes seconds with a sign and a readable unit:
// "−40.3 ms", "+1.10 s", "+0 ms".
func signedDuration(s float64) string {
	sign := "+"
	if s < 0 {
		sign = "−"
	}
	return sign + formatDuration(math.Abs(s))
}

// formatDuration writes non-negative seconds with three significant
// digits.
func formatDuration(s float64) string {
	switch {
	case s == 0:
		return "0 ms"
	case s >= 1:
		return strconv.FormatFloat(s, 'f', digits(s), 64) + " s"
	case s >= 1e-3:
		return strconv.FormatFloat(s*1e3, 'f', digits(s*1e3), 64) + " ms"
	}
	return strconv.FormatFloat(s*1e6, 'f', digits(s*1e6), 64) + " µs"
}

// digits is the decimals that give x three significant digits.
func digits(x float64) int {
	switch {
	case x >= 100:
		return 0
	case x >= 10:
		return 1
	}
	return 2
}

// signedNumber writes x with a sign (a true minus) and prec decimals.
func signedNumber(x float64, prec int) string {
	s := strconv.FormatFloat(math.Abs(x), 'f', prec, 64)
	if x < 0 && s != strconv.FormatFloat(0, 'f', prec, 64) {
		return "−" + s
	}
	return "+" + s
}

// FindingsIntro says how the findings were computed, for the report's
// first section.
func (r *Report) FindingsIntro() string {
	alpha := 0.05
	if r.Comparison != nil {
		alpha = r.Comparison.Alpha()
	}
	return fmt.Sprintf("Each knob's effect on the median latency (P50, median of the repetitions) where everything else is equal, against the knob's base value; "+
		"significant at p ≤ %g by benchstat's Mann–Whitney U test. ", alpha) + modelRule
}

// modelRule says how a prediction is made and when it agrees; the
// numbers are tolRTT, tolRel, tolAbs and tolThroughput.
const modelRule = "Where a knob has a model, its prediction is beside the measurement, from the link's RTT, loss and rate and the body's size; " +
	"it agrees when the measured change is within the larger of ¼ RTT, 20 % of the prediction and 2 ms " +
	"(a throughput bound: Mathis, window/RTT, serialization, within 50 % of it)."

// UsedModels returns the models of the findings, once each.
func (r *Report) UsedModels() []Model {
	var out []Model
	for _, f := range r.Findings {
		if f.Prediction == nil {
			continue
		}
		if m, ok := modelFor(f.Knob); ok && !slices.ContainsFunc(out, func(x Model) bool { return x.Knob == m.Knob }) {
			out = append(out, m)
		}
	}
	return out
}

// isLatency reports whether the finding's unit is a latency (in seconds
// once tidied).
func (f Finding) isLatency() bool { return f.Unit == "" || strings.HasSuffix(f.Unit, "-ns") }

// label names the finding's metric: "P50", "P99", or the unit as
// written.
func (f Finding) label() string {
	switch f.Unit {
	case "", results.UnitP50:
		return "P50"
	case results.UnitP90:
		return "P90"
	case results.UnitP99:
		return "P99"
	case results.UnitP999:
		return "P99.9"
	}
	return f.Unit
}

// signed writes a change in the finding's unit.
func (f Finding) signed(x float64) string {
	if f.isLatency() {
		return signedDuration(x)
	}
	return signedSI(x)
}

// signedSI writes x with a sign and three significant digits, with k, M
// or G for thousands, millions and billions: "+0.500", "−14.2M".
func signedSI(x float64) string {
	a, suffix := math.Abs(x), ""
	for _, u := range []struct {
		f float64
		s string
	}{{1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
		if a >= u.f {
			a, suffix = a/u.f, u.s
			break
		}
	}
	prec := 3
	if a >= 1 || suffix != "" {
		prec = digits(a)
	}
	s := strconv.FormatFloat(a, 'f', prec, 64) + suffix
	if x < 0 && strings.Trim(s, "0.") != "" {
		return "−" + s
	}
	return "+" + s
}
