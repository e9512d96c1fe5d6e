package report

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/tunebench/tunebench/results"
)

// A chartMetric is a unit drawn in a chart, as written in a results file,
// and its label.
type chartMetric struct{ Unit, Label string }

// Metrics drawn in the knob charts.
var knobMetrics = []chartMetric{
	{results.UnitP50, "P50"},
	{results.UnitP99, "P99"},
}

// Metrics drawn in the capacity charts.
var capacityMetrics = []chartMetric{{unitSLORate, labelCapacity}}

// labelCapacity labels a capacity search's result in the charts.
const labelCapacity = "capacity"

// A KnobChart shows one knob: one panel per combination of the other
// dimensions (the link and the other knobs), the knob's values along the x
// axis, and P50 and P99 with their confidence intervals above each value;
// or, as a capacity chart, the rate a capacity search found (slo-req/s).
type KnobChart struct {
	// Knob is the knob's name, e.g. "keepalive".
	Knob string
	// Unit is "" for a latency chart and slo-req/s for a capacity chart,
	// whose estimates are in requests per second.
	Unit string `json:",omitempty"`
	// Values are the knob's values in display order.
	Values []string
	// Panels hold the small multiples.
	Panels []KnobPanel
}

// A KnobPanel is one of a KnobChart's small multiples.
type KnobPanel struct {
	// Title names what the panel holds fixed: "link=wan40".
	Title string
	// Points has one point per value, metric and run that has the cell.
	Points []KnobPoint
}

// A KnobPoint is one metric of one cell of one run.
type KnobPoint struct {
	Value  string // the knob's value
	Metric string // "P50" or "P99"
	Run    string // "current" or "baseline"
	Cell   string
	// Estimate is in seconds; meaningless when OK is 0.
	Estimate Estimate
	// OK and Failed count the cell's repetitions in the run.
	OK, Failed int
	// Suspect counts the successful repetitions that the runner flagged:
	// the instrument's own error was large against what they measure.
	Suspect int `json:",omitempty"`
}

// A CDFChart is the latency distribution of one cell: every successful
// repetition's histogram merged, per run.
type CDFChart struct {
	Cell   string
	Series []CDFSeries
}

// A CDFSeries is one run's distribution of one cell.
type CDFSeries struct {
	Run string
	// Requests and Reps count what was merged.
	Requests, Reps int
	// Points are (quantile, latency) pairs with rising quantiles, up to
	// the highest quantile the request count resolves: 1 − 1/Requests.
	Points []CDFPoint
}

// A CDFPoint is the latency at quantile Q, in seconds.
type CDFPoint struct {
	Q       float64
	Seconds float64
}

// A PhaseChart breaks each cell's median latency into phases, as stacked
// bars.
type PhaseChart struct {
	// Phases names the segments, in stacking order.
	Phases []string
	// Bars has one bar per cell and run.
	Bars []PhaseBar
}

// A PhaseBar is one cell of one run.
type PhaseBar struct {
	Cell, Run string
	// Seconds holds each phase's length, as Phases orders them.
	Seconds []float64
	// ConnsPerOp is the median of conns/op, -1 when the run lacks it.
	ConnsPerOp float64
}

// Phase units, as the load agent writes them: medians per repetition of
// the requests that had the phase (see runner/transport.go).
const (
	unitConnect    = "connect-ns"        // TCP connect, of requests that opened a connection
	unitTLS        = "tls-ns"            // TLS handshake, of requests that made one
	unitTTFB       = "ttfb-ns"           // request written to first response byte
	unitBody       = "body-ns"           // first byte to the body's end
	unitConns      = "conns/op"          // new connections per request
	unitHandshakes = "tls-handshakes/op" // TLS handshakes per request
)

// dims is a cell name split into its key=value pairs, in order.
type dims []struct{ k, v string }

func parseCell(cell string) dims {
	var d dims
	for part := range strings.SplitSeq(cell, "/") {
		k, v, _ := strings.Cut(part, "=")
		d = append(d, struct{ k, v string }{k, v})
	}
	return d
}

// without returns the cell name less key k: what a knob's panel holds
// fixed.
func (d dims) without(k string) string {
	var parts []string
	for _, kv := range d {
		if kv.k != k {
			parts = append(parts, kv.k+"="+kv.v)
		}
	}
	return strings.Join(parts, "/")
}

func (d dims) get(k string) string {
	for _, kv := range d {
		if kv.k == k {
			return kv.v
		}
	}
	return ""
}

// knobNames returns the keys the cells vary in, in cell-name order, with
// "link" left out unless nothing else varies.
func knobNames(cells []string) []string {
	var keys []string
	values := make(map[string]map[string]bool)
	for _, c := range cells {
		for _, kv := range parseCell(c) {
			if values[kv.k] == nil {
				values[kv.k] = make(map[string]bool)
				keys = append(keys, kv.k)
			}
			values[kv.k][kv.v] = true
		}
	}
	var knobs []string
	for _, k := range keys {
		if k != "link" && k != "" {
			knobs = append(knobs, k)
		}
	}
	if len(knobs) == 0 && values["link"] != nil {
		knobs = []string{"link"}
	}
	return knobs
}

// knobCharts builds one chart per knob, of metrics; unit names the chart's
// kind (see KnobChart.Unit). The knobs in skip are left out.
func knobCharts(runs []*Run, cells []string, st *stats, metrics []chartMetric, unit string, skip ...string) []KnobChart {
	var charts []KnobChart
	for _, knob := range knobNames(cells) {
		if slices.Contains(skip, knob) {
			continue
		}
		ch := KnobChart{Knob: knob, Unit: unit}
		var panels []string
		for _, c := range cells {
			d := parseCell(c)
			if v := d.get(knob); !slices.Contains(ch.Values, v) {
				ch.Values = append(ch.Values, v)
			}
			if p := d.without(knob); !slices.Contains(panels, p) {
				panels = append(panels, p)
			}
		}
		slices.SortFunc(ch.Values, naturalCompare)
		slices.SortFunc(panels, naturalCompare)
		for _, p := range panels {
			panel := KnobPanel{Title: p}
			if p == "" {
				panel.Title = "all cells"
			}
			for _, v := range ch.Values {
				cell := withKnob(cells, knob, v, p)
				if cell == "" {
					continue
				}
				for _, m := range metrics {
					for _, r := range runs {
						s := r.status(cell)
						if s.OK+s.Failed == 0 {
							continue
						}
						e, _ := st.get(r.Label, cell, m.Unit)
						panel.Points = append(panel.Points, KnobPoint{Value: v, Metric: m.Label, Run: r.Label, Cell: cell, Estimate: e, OK: s.OK, Failed: s.Failed, Suspect: s.Suspect})
					}
				}
			}
			ch.Panels = append(ch.Panels, panel)
		}
		charts = append(charts, ch)
	}
	return charts
}

// withKnob returns the cell whose knob has value v and whose other
// dimensions are rest, or "".
func withKnob(cells []string, knob, v, rest string) string {
	for _, c := range cells {
		d := parseCell(c)
		if d.get(knob) == v && d.without(knob) == rest {
			return c
		}
	}
	return ""
}

// cdfCharts merges each cell's histograms per run.
func cdfCharts(runs []*Run, cells []string) []CDFChart {
	var charts []CDFChart
	for _, c := range cells {
		ch := CDFChart{Cell: c}
		for _, r := range runs {
			if r.entries == nil {
				continue
			}
			var merged *hdrhistogram.Histogram
			reps := 0
			for _, e := range r.entries {
				if e.Cell != c || e.Failed != "" || e.Latency == nil || e.Latency.TotalCount() == 0 {
					continue
				}
				if merged == nil {
					merged = results.NewHistogram()
				}
				merged.Merge(e.Latency)
				reps++
			}
			if merged == nil {
				continue
			}
			ch.Series = append(ch.Series, CDFSeries{Run: r.Label, Requests: int(merged.TotalCount()), Reps: reps, Points: cdfPoints(merged)})
		}
		if len(ch.Series) > 0 {
			charts = append(charts, ch)
		}
	}
	return charts
}

// cdfPoints samples h on a log scale of 1/(1−q), which spreads the tail:
// 90%, 99% and 99.9% are equally far apart. It stops at the highest
// quantile the count resolves rather than extrapolate.
func cdfPoints(h *hdrhistogram.Histogram) []CDFPoint {
	n := float64(h.TotalCount())
	maxX := math.Log10(n) // q = 1 − 1/n
	var pts []CDFPoint
	for i := 0; ; i++ {
		x := float64(i) * 0.05
		if x > maxX {
			x = maxX
		}
		q := 1 - math.Pow(10, -x)
		pts = append(pts, CDFPoint{Q: round6(q), Seconds: float64(h.ValueAtQuantile(q*100)) / 1e9})
		if x >= maxX {
			break
		}
	}
	return pts
}

func round6(f float64) float64 { return math.Round(f*1e6) / 1e6 }

// phaseChart builds the phase breakdown from whichever phase units the runs
// carry; nil when none. A bar is the median request's time, phase by phase:
// connect and TLS are what they cost per request (their medians times
// conns/op and tls-handshakes/op, when the file has those: a kept-alive
// connection pays them once for many requests), wait is ttfb-ns, read is
// body-ns. What a file lacks of wait and read is P50 less the other phases,
// one segment named for what it holds. Medians do not add up exactly, so a
// remainder that comes out negative is drawn as zero.
func phaseChart(runs []*Run, cells []string, st *stats) *PhaseChart {
	hasC, hasT, hasW, hasR := st.has(unitConnect), st.has(unitTLS), st.has(unitTTFB), st.has(unitBody)
	if !hasC && !hasT && !hasW && !hasR {
		return nil
	}
	pc := &PhaseChart{}
	for _, p := range []struct {
		has  bool
		name string
	}{{hasC, "connect"}, {hasT, "TLS"}, {hasW, "wait"}, {hasR, "read"}} {
		if p.has {
			pc.Phases = append(pc.Phases, p.name)
		}
	}
	rest := ""
	switch {
	case !hasW && !hasR:
		rest = "wait + read"
	case !hasW:
		rest = "wait"
	case !hasR:
		rest = "read"
	}
	if rest != "" {
		pc.Phases = append(pc.Phases, rest)
	}
	for _, c := range cells {
		for _, r := range runs {
			p50, ok := st.get(r.Label, c, results.UnitP50)
			if !ok {
				continue
			}
			val := func(u string, def float64) float64 {
				if e, ok := st.get(r.Label, c, u); ok {
					return e.Center
				}
				return def
			}
			conns := val(unitConns, 1)
			bar := PhaseBar{Cell: c, Run: r.Label, ConnsPerOp: val(unitConns, -1)}
			sum := 0.0
			add := func(has bool, v float64) {
				if has {
					bar.Seconds = append(bar.Seconds, v)
					sum += v
				}
			}
			add(hasC, val(unitConnect, 0)*conns)
			add(hasT, val(unitTLS, 0)*val(unitHandshakes, conns))
			add(hasW, val(unitTTFB, 0))
			add(hasR, val(unitBody, 0))
			if rest != "" {
				bar.Seconds = append(bar.Seconds, max(0, p50.Center-sum))
			}
			pc.Bars = append(pc.Bars, bar)
		}
	}
	return pc
}

// naturalCompare orders strings with their digit runs compared as
// numbers: "rtt=2ms" before "rtt=10ms", "initcwnd=4" before "initcwnd=10".
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := digitPrefix(a), digitPrefix(b)
		if da != "" && db != "" {
			na, _ := strconv.ParseFloat(da, 64)
			nb, _ := strconv.ParseFloat(db, 64)
			if c := cmp.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[len(da):], b[len(db):]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func digitPrefix(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}
