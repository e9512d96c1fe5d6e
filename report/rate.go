package report

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/tunebench/tunebench/results"
)

// rateKnob is the matrix knob that sets a cell's open-loop rate, as cell
// names spell it (rate=400).
const rateKnob = "rate"

// reqKey is the last key of a mix's result lines, the request's name
// (req=create).
const reqKey = "req"

// A RateChart is latency against offered rate, the hockey stick: one panel
// per combination of the other dimensions (the link and the other knobs),
// the rate along the x axis, P50 and P99 as lines with their confidence
// intervals, and the suite's latency objectives as horizontal lines.
type RateChart struct {
	// Rates are the rate knob's values, ascending.
	Rates []float64
	// Log says whether the x axis is logarithmic: the rates span 4× or
	// more.
	Log bool
	// Panels hold the small multiples.
	Panels []RatePanel
}

// A RatePanel is one of a RateChart's small multiples.
type RatePanel struct {
	// Title names what the panel holds fixed: "link=lan/codec=json".
	Title string
	// Points has one point per rate, metric and run that has the cell.
	Points []RatePoint
	// Gates are the objectives that bound a latency of this panel's
	// cells.
	Gates []GateLine
}

// A RatePoint is one metric of one cell of one run.
type RatePoint struct {
	Rate   float64
	Metric string // "P50" or "P99"
	Run    string
	Cell   string
	// Estimate is in seconds; meaningless when OK is 0.
	Estimate   Estimate
	OK, Failed int
	Suspect    int `json:",omitempty"`
}

// A GateLine is an objective drawn across a panel.
type GateLine struct {
	// Label is the objective as the suite writes it: "p99 max 150ms".
	Label string
	// Metric is the drawn metric it bounds ("P50", "P99"), else the
	// unit it bounds (p90-ns).
	Metric string
	// Seconds is the bound.
	Seconds float64
}

// rateChart builds the hockey stick, or returns nil when the cells have no
// rate knob with two or more numeric values.
func rateChart(runs []*Run, cells []string, st *stats, objs []results.Objective) *RateChart {
	ch := &RateChart{}
	var panels []string
	for _, c := range cells {
		d := parseCell(c)
		v := d.get(rateKnob)
		if v == "" {
			return nil
		}
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || !(r > 0) {
			return nil
		}
		if !slices.Contains(ch.Rates, r) {
			ch.Rates = append(ch.Rates, r)
		}
		if p := d.without(rateKnob); !slices.Contains(panels, p) {
			panels = append(panels, p)
		}
	}
	if len(ch.Rates) < 2 {
		return nil
	}
	slices.Sort(ch.Rates)
	slices.SortFunc(panels, naturalCompare)
	ch.Log = ch.Rates[len(ch.Rates)-1] >= 4*ch.Rates[0]
	for _, p := range panels {
		panel := RatePanel{Title: p}
		if p == "" {
			panel.Title = "all cells"
		}
		for _, rate := range ch.Rates {
			cell := withKnob(cells, rateKnob, strconv.FormatFloat(rate, 'f', -1, 64), p)
			if cell == "" {
				continue
			}
			for _, m := range knobMetrics {
				for _, r := range runs {
					s := r.status(cell)
					if s.OK+s.Failed == 0 {
						continue
					}
					e, _ := st.get(r.Label, cell, m.Unit)
					panel.Points = append(panel.Points, RatePoint{Rate: rate, Metric: m.Label, Run: r.Label, Cell: cell, Estimate: e, OK: s.OK, Failed: s.Failed, Suspect: s.Suspect})
				}
			}
		}
		panel.Gates = gateLines(objs, parseCell(p))
		ch.Panels = append(ch.Panels, panel)
	}
	return ch
}

// gateLines returns the objectives that put a maximum on a latency of the
// panel whose fixed dimensions are fixed: those whose where: names only
// values the panel has. One that names a rate bounds a single point, not
// the panel, and is left out.
func gateLines(objs []results.Objective, fixed dims) []GateLine {
	var out []GateLine
	for _, o := range objs {
		unit := results.MetricUnit(strings.TrimSpace(o.Metric))
		if !o.HasMax || (unit != results.UnitMean && !strings.HasSuffix(unit, "-ns")) {
			continue
		}
		applies := true
		for k, v := range o.Where {
			if k == rateKnob || fixed.get(k) != v {
				applies = false
			}
		}
		if !applies {
			continue
		}
		metric := unit
		for _, m := range knobMetrics {
			if m.Unit == unit {
				metric = m.Label
			}
		}
		label := o.String()
		if len(o.Where) > 0 {
			label, _, _ = strings.Cut(label, " where ")
		}
		out = append(out, GateLine{Label: label, Metric: metric, Seconds: o.Max / 1e9})
	}
	return out
}

// gateColor draws an objective on a metric not drawn in the chart.
const gateColor = "#555555"

// SVG renders the hockey stick: its small multiples in rows of three.
func (ch RateChart) SVG(runs []string) string {
	cols := min(len(ch.Panels), panelsInRow)
	rows := (len(ch.Panels) + panelsInRow - 1) / panelsInRow
	w := max(float64(cols)*panelW, 460)
	s := newSVG(w, chartTop+float64(rows)*panelH, "P50 and P99 against rate")
	s.text(8, 18, "start", "#111111", 14, "bold", "Latency against rate: medians, with confidence intervals")
	anyGate := false
	for _, p := range ch.Panels {
		anyGate = anyGate || len(p.Gates) > 0
	}
	legend(s, 8, 38, runs, knobMetrics, anyGate)
	// One latency scale for every panel, so that panels compare by eye.
	top := 0.0
	for _, p := range ch.Panels {
		for _, pt := range p.Points {
			if pt.OK > 0 {
				top = max(top, pt.Estimate.Hi, pt.Estimate.Center)
			}
		}
		for _, g := range p.Gates {
			top = max(top, g.Seconds)
		}
	}
	for i, p := range ch.Panels {
		x := float64(i%panelsInRow) * panelW
		y := chartTop + float64(i/panelsInRow)*panelH
		ch.panel(s, x, y, top, p, runs)
	}
	return s.String()
}

// panel draws one small multiple with its top-left corner at (x, y) and
// top as the largest latency on its scale.
func (ch RateChart) panel(s *svg, x, y, top float64, p RatePanel, runs []string) {
	u := timeUnitFor(top)
	ticks := niceTicks(top*u.scale*1.05, 5)
	f := frame{x: x + plotLeft, y: y + plotTop, w: panelW - plotLeft - plotRight, h: panelH - plotTop - plotBottom,
		lo: 0, hi: ticks[len(ticks)-1] / u.scale}
	s.text(x+plotLeft+f.w/2, y+16, "middle", "#111111", 12, "bold", p.Title)
	s.yAxis(f, secondsOf(ticks, u), func(t float64) string { return u.format(t * u.scale) }, "latency ("+u.name+")")
	s.xAxisLine(f)

	// x: the rates, inset so that the first and last markers clear the
	// axes; log scale when they span 4× or more.
	lo, hi := ch.Rates[0], ch.Rates[len(ch.Rates)-1]
	pos := func(r float64) float64 {
		if ch.Log {
			return math.Log(r/lo) / math.Log(hi/lo)
		}
		return (r - lo) / (hi - lo)
	}
	inset := 14.0
	xs := func(r float64) float64 { return f.x + inset + pos(r)*(f.w-2*inset) }
	for _, r := range ch.Rates {
		s.line(xs(r), f.y+f.h, xs(r), f.y+f.h+4, "#333333", 1, "")
		s.text(xs(r), f.y+f.h+16, "middle", "#333333", 10, "", strconv.FormatFloat(r, 'f', -1, 64))
	}
	axis := "offered rate (req/s)"
	if ch.Log {
		axis += ", log scale"
	}
	s.text(f.x+f.w/2, f.y+f.h+34, "middle", "#333333", 11, "", axis)

	for _, g := range p.Gates {
		color := metricColor[g.Metric]
		if color == "" {
			color = gateColor
		}
		gy := f.ys(g.Seconds)
		s.line(f.x, gy, f.x+f.w, gy, color, 1.5, "6,3")
		s.text(f.x+f.w-2, gy-3, "end", color, 10, "bold", g.Label)
	}
	for _, m := range knobMetrics {
		for _, run := range runs {
			var line [][2]float64
			for _, pt := range p.Points {
				if pt.Metric != m.Label || pt.Run != run || pt.OK == 0 {
					continue
				}
				line = append(line, [2]float64{xs(pt.Rate), f.ys(pt.Estimate.Center)})
			}
			dash := ""
			if run != LabelCurrent {
				dash = "4,3"
			}
			if len(line) > 1 {
				s.polyline(line, metricColor[m.Label], dash)
			}
		}
	}
	// A cell's notes are written once, not once per metric.
	noted := make(map[string]bool)
	note := func(px, dy float64, color, text string) {
		if key := fmt.Sprint(px, dy); !noted[key] {
			noted[key] = true
			s.text(px, f.y+dy, "middle", color, 10, "bold", text)
		}
	}
	for _, pt := range p.Points {
		px, color, baseline := xs(pt.Rate), metricColor[pt.Metric], pt.Run != LabelCurrent
		if pt.OK == 0 {
			note(px, 12, failColor, fmt.Sprintf("all %d failed", pt.Failed))
			continue
		}
		e := pt.Estimate
		tip := fmt.Sprintf("%s %s %s: median %s", pt.Run, pt.Cell, pt.Metric, duration(e.Center))
		if e.HasCI {
			tip += fmt.Sprintf(", confidence interval %s – %s", duration(e.Lo), duration(e.Hi))
			s.line(px, f.ys(e.Lo), px, f.ys(e.Hi), color, 1.5, "")
			s.line(px-3, f.ys(e.Lo), px+3, f.ys(e.Lo), color, 1.5, "")
			s.line(px-3, f.ys(e.Hi), px+3, f.ys(e.Hi), color, 1.5, "")
		} else {
			tip += fmt.Sprintf(", no confidence interval (n=%d)", e.N)
		}
		tip += fmt.Sprintf(", %d repetitions", e.N)
		if pt.Failed > 0 {
			tip += fmt.Sprintf(", %d failed", pt.Failed)
			note(px, 12, failColor, fmt.Sprintf("%d failed", pt.Failed))
		}
		if pt.Suspect > 0 {
			tip += fmt.Sprintf(", %d suspect (the instrument's own error was large)", pt.Suspect)
			note(px, 24, suspectColor, fmt.Sprintf("%d suspect", pt.Suspect))
		}
		s.circle(px, f.ys(e.Center), 4, color, baseline, tip)
	}
}
