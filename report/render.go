package report

import (
	"fmt"
	"math"
	"strings"
)

// Chart geometry. The screenshot test reads the axes where these put them.
const (
	panelW      = 300.0 // one small multiple
	panelH      = 250.0
	chartTop    = 64.0 // chart title and legend above the panels
	plotLeft    = 64.0 // y tick labels and axis title, within a panel
	plotRight   = 12.0
	plotTop     = 26.0 // panel title
	plotBottom  = 46.0 // x tick labels and axis title
	panelsInRow = 3

	cdfW = 420.0
	cdfH = 280.0
)

// Colours: one per metric, the same in every chart; a baseline is drawn
// hollow and dashed in its metric's colour.
var metricColor = map[string]string{"P50": "#1f77b4", "P99": "#d95f02"}

// capacityColor draws the capacity charts' markers.
const capacityColor = "#1b9e77"

// colorOf returns a chart metric's colour.
func colorOf(label string) string {
	if label == labelCapacity {
		return capacityColor
	}
	return metricColor[label]
}

var phaseColor = map[string]string{
	"connect": "#1b9e77", "TLS": "#7570b3", "wait": "#e7298a", "read": "#66a61e", "wait + read": "#e6ab02",
}

const failColor = "#c00000"

// suspectColor marks repetitions whose instrument error was large.
const suspectColor = "#8a4b00"

// SVG renders the knob chart: its small multiples in rows of three.
func (ch KnobChart) SVG(runs []string) string {
	cols := min(len(ch.Panels), panelsInRow)
	rows := (len(ch.Panels) + panelsInRow - 1) / panelsInRow
	w := max(float64(cols)*panelW, 460)
	metrics, title, heading := knobMetrics, "P50 and P99 by "+ch.Knob, fmt.Sprintf("Latency by %s: median of the repetitions, with its confidence interval", ch.Knob)
	if ch.Unit != "" {
		metrics, title, heading = capacityMetrics, "capacity by "+ch.Knob, fmt.Sprintf("Capacity by %s: the highest rate that met the objective (slo-req/s), median of the repetitions", ch.Knob)
	}
	s := newSVG(w, chartTop+float64(rows)*panelH, title)
	s.text(8, 18, "start", "#111111", 14, "bold", heading)
	legend(s, 8, 38, runs, metrics, false)
	for i, p := range ch.Panels {
		x := float64(i%panelsInRow) * panelW
		y := chartTop + float64(i/panelsInRow)*panelH
		knobPanel(s, x, y, ch, p, runs, metrics)
	}
	return s.String()
}

// legend explains markers: the metric's colour, and filled (current) or
// hollow (baseline).
func legend(s *svg, x, y float64, runs []string, metrics []chartMetric, gates bool) {
	for _, m := range metrics {
		s.circle(x+5, y-4, 4, colorOf(m.Label), false, m.Label)
		s.text(x+13, y, "start", "#333333", 11, "", m.Label)
		x += max(48, 20+6.5*float64(len(m.Label)))
	}
	if len(runs) > 1 {
		s.circle(x+5, y-4, 4, "#555555", false, "current")
		s.text(x+13, y, "start", "#333333", 11, "", "current (filled)")
		x += 110
		s.circle(x+5, y-4, 4, "#555555", true, "baseline")
		s.text(x+13, y, "start", "#333333", 11, "", "baseline (hollow, dashed)")
		x += 160
	}
	if gates {
		s.line(x+4, y-4, x+24, y-4, gateColor, 1.5, "6,3")
		s.text(x+28, y, "start", "#333333", 11, "", "gate (the suite's objective)")
	}
	x, y = 13, y+18
	s.line(x, y-8, x, y, "#555555", 1.5, "")
	s.line(x-3, y-8, x+3, y-8, "#555555", 1.5, "")
	s.line(x-3, y, x+3, y, "#555555", 1.5, "")
	s.text(x+8, y, "start", "#333333", 11, "", "confidence interval; \"no CI\": too few repetitions for one")
}

// A scale writes a chart's values: latencies in seconds, shown in a time
// unit that suits the top of the axis, or rates in requests per second.
type scale struct {
	unit  timeUnit             // axis unit: ticks are value × unit.scale
	title string               // axis title
	value func(float64) string // a value for tooltips and labels
}

// scaleFor returns the scale of a chart of unit ("" for latency) whose
// largest value is top.
func scaleFor(unit string, top float64) scale {
	if unit == "" {
		u := timeUnitFor(top)
		return scale{u, "latency (" + u.name + ")", duration}
	}
	return scale{timeUnit{"req/s", 1}, "capacity (req/s)", perSecond}
}

// perSecond writes a rate with three significant digits: "1.25k req/s".
func perSecond(v float64) string {
	switch {
	case v >= 1e4:
		return fmt.Sprintf("%.0fk req/s", v/1e3)
	case v >= 1e3:
		return fmt.Sprintf("%.3gk req/s", v/1e3)
	}
	return fmt.Sprintf("%.3g req/s", v)
}

// knobPanel draws one small multiple with its top-left corner at (x, y).
func knobPanel(s *svg, x, y float64, ch KnobChart, p KnobPanel, runs []string, metrics []chartMetric) {
	knob, values := ch.Knob, ch.Values
	top := 0.0
	for _, pt := range p.Points {
		if pt.OK > 0 {
			top = max(top, pt.Estimate.Hi, pt.Estimate.Center)
		}
	}
	sc := scaleFor(ch.Unit, top)
	u := sc.unit
	ticks := niceTicks(top*u.scale*1.05, 5)
	f := frame{x: x + plotLeft, y: y + plotTop, w: panelW - plotLeft - plotRight, h: panelH - plotTop - plotBottom,
		lo: 0, hi: ticks[len(ticks)-1] / u.scale}
	s.text(x+plotLeft+f.w/2, y+16, "middle", "#111111", 12, "bold", p.Title)
	s.yAxis(f, secondsOf(ticks, u), func(t float64) string { return u.format(t * u.scale) }, sc.title)
	s.xAxisLine(f)

	band := f.w / float64(len(values))
	slots := len(metrics) * len(runs)
	for vi, v := range values {
		cx := f.x + band*(float64(vi)+0.5)
		s.line(cx, f.y+f.h, cx, f.y+f.h+4, "#333333", 1, "")
		s.text(cx, f.y+f.h+16, "middle", "#333333", 11, "", v)
		var failedNote, noCI, suspectNote string
		for _, pt := range p.Points {
			if pt.Value != v {
				continue
			}
			slot := metricIndex(metrics, pt.Metric)*len(runs) + runIndex(runs, pt.Run)
			px := cx + (float64(slot)-float64(slots-1)/2)*min(14, band/float64(slots+1))
			color := colorOf(pt.Metric)
			baseline := pt.Run != LabelCurrent
			if pt.OK == 0 {
				failedNote = fmt.Sprintf("all %d failed", pt.Failed)
				continue
			}
			if pt.Failed > 0 {
				failedNote = fmt.Sprintf("%d of %d failed", pt.Failed, pt.OK+pt.Failed)
			}
			if pt.Suspect > 0 {
				suspectNote = fmt.Sprintf("%d of %d suspect", pt.Suspect, pt.OK)
			}
			e := pt.Estimate
			tip := fmt.Sprintf("%s %s %s: median %s", pt.Run, pt.Cell, pt.Metric, sc.value(e.Center))
			dash := ""
			if baseline {
				dash = "3,2"
			}
			if e.HasCI {
				tip += fmt.Sprintf(", confidence interval %s – %s", sc.value(e.Lo), sc.value(e.Hi))
				s.line(px, f.ys(e.Lo), px, f.ys(e.Hi), color, 1.5, dash)
				s.line(px-3, f.ys(e.Lo), px+3, f.ys(e.Lo), color, 1.5, "")
				s.line(px-3, f.ys(e.Hi), px+3, f.ys(e.Hi), color, 1.5, "")
			} else {
				tip += fmt.Sprintf(", no confidence interval (n=%d)", e.N)
				noCI = fmt.Sprintf("n=%d: no CI", e.N)
			}
			tip += fmt.Sprintf(", %d repetitions", e.N)
			if pt.Suspect > 0 {
				tip += fmt.Sprintf(", %d suspect (the instrument's own error was large)", pt.Suspect)
			}
			s.circle(px, f.ys(e.Center), 4, color, baseline, tip)
		}
		if failedNote != "" {
			s.text(cx, f.y+12, "middle", failColor, 10, "bold", failedNote)
		}
		if suspectNote != "" {
			s.text(cx, f.y+24, "middle", suspectColor, 10, "bold", suspectNote)
		}
		if noCI != "" {
			s.text(cx, f.y+f.h-6, "middle", "#555555", 10, "", noCI)
		}
	}
	s.text(f.x+f.w/2, f.y+f.h+34, "middle", "#333333", 11, "", knob)
}

func metricIndex(metrics []chartMetric, label string) int {
	for i, m := range metrics {
		if m.Label == label {
			return i
		}
	}
	return 0
}

func runIndex(runs []string, run string) int {
	for i, r := range runs {
		if r == run {
			return i
		}
	}
	return 0
}

// tailX maps a quantile to the CDF's x: log10(1/(1−q)).
func tailX(q float64) float64 { return -math.Log10(1 - q) }

// tailLabel labels x = 0, 1, 2, ...: 0%, 90%, 99%, 99.9%, ...
func tailLabel(x int) string {
	switch x {
	case 0:
		return "0%"
	case 1:
		return "90%"
	case 2:
		return "99%"
	}
	return "99." + strings.Repeat("9", x-2) + "%"
}

// SVG renders the CDF chart: latency up the y axis, quantile along a
// log-scale tail.
func (ch CDFChart) SVG() string {
	s := newSVG(cdfW, cdfH, "latency CDF of "+ch.Cell)
	s.text(8, 18, "start", "#111111", 13, "bold", ch.Cell)
	top, maxX := 0.0, 1.0
	for _, ser := range ch.Series {
		for _, p := range ser.Points {
			top = max(top, p.Seconds)
			maxX = max(maxX, tailX(p.Q))
		}
	}
	nx := int(math.Ceil(maxX - 1e-9))
	u := timeUnitFor(top)
	ticks := niceTicks(top*u.scale*1.05, 5)
	f := frame{x: plotLeft, y: 48, w: cdfW - plotLeft - 16, h: cdfH - 48 - plotBottom, lo: 0, hi: ticks[len(ticks)-1] / u.scale}
	xs := func(x float64) float64 { return f.x + x/float64(nx)*f.w }
	for i := 0; i <= nx; i++ { // gridlines first, under the axes
		s.line(xs(float64(i)), f.y, xs(float64(i)), f.y+f.h, "#eeeeee", 1, "")
	}
	s.yAxis(f, secondsOf(ticks, u), func(t float64) string { return u.format(t * u.scale) }, "latency ("+u.name+")")
	s.xAxisLine(f)
	for i := 0; i <= nx; i++ {
		s.line(xs(float64(i)), f.y+f.h, xs(float64(i)), f.y+f.h+4, "#333333", 1, "")
		s.text(xs(float64(i)), f.y+f.h+16, "middle", "#333333", 10, "", tailLabel(i))
	}
	s.text(f.x+f.w/2, f.y+f.h+34, "middle", "#333333", 11, "", "percentile (log scale of the tail)")
	lx := 8.0
	for _, ser := range ch.Series {
		color, dash := metricColor["P50"], ""
		if ser.Run != LabelCurrent {
			color, dash = "#7f7f7f", "5,3"
		}
		var pts [][2]float64
		for _, p := range ser.Points {
			pts = append(pts, [2]float64{xs(tailX(p.Q)), f.ys(p.Seconds)})
		}
		s.polyline(pts, color, dash)
		s.line(lx, 34, lx+18, 34, color, 2, dash)
		label := fmt.Sprintf("%s: %d requests, %d reps", ser.Run, ser.Requests, ser.Reps)
		s.text(lx+22, 38, "start", "#333333", 10, "", label)
		lx += 26 + 5.6*float64(len(label))
	}
	return s.String()
}

// SVG renders the phase breakdown as horizontal stacked bars, one per
// cell and run.
func (pc *PhaseChart) SVG() string {
	const rowH, left, w = 24.0, 250.0, 900.0
	h := 70 + rowH*float64(len(pc.Bars)) + 40
	s := newSVG(w, h, "per-phase breakdown")
	s.text(8, 18, "start", "#111111", 14, "bold", "Where the median request's time goes")
	x := 8.0
	for _, ph := range pc.Phases {
		s.rect(x, 30, 12, 12, phaseColor[ph], ph)
		s.text(x+16, 40, "start", "#333333", 11, "", ph)
		x += 30 + 6*float64(len(ph))
	}
	top := 0.0
	for _, b := range pc.Bars {
		sum := 0.0
		for _, v := range b.Seconds {
			sum += v
		}
		top = max(top, sum)
	}
	u := timeUnitFor(top)
	ticks := niceTicks(top*u.scale*1.05, 6)
	hi := ticks[len(ticks)-1] / u.scale
	f := frame{x: left, y: 56, w: w - left - 20, h: rowH * float64(len(pc.Bars))}
	xs := func(v float64) float64 { return f.x + v/hi*f.w }
	for _, t := range ticks {
		xx := xs(t / u.scale)
		s.line(xx, f.y, xx, f.y+f.h, "#e6e6e6", 1, "")
		s.line(xx, f.y+f.h, xx, f.y+f.h+4, "#333333", 1, "")
		s.text(xx, f.y+f.h+16, "middle", "#333333", 10, "", u.format(t))
	}
	s.text(f.x+f.w/2, f.y+f.h+34, "middle", "#333333", 11, "", "median latency ("+u.name+")")
	for i, b := range pc.Bars {
		y := f.y + float64(i)*rowH
		label := b.Cell
		if hasBaseline(pc) {
			label += " · " + b.Run
		}
		if b.ConnsPerOp >= 0 {
			label += fmt.Sprintf(" (%.2f conns/op)", b.ConnsPerOp)
		}
		s.text(left-6, y+rowH/2+4, "end", "#333333", 10, "", label)
		x := 0.0
		for j, v := range b.Seconds {
			ph := pc.Phases[j]
			s.rect(xs(x), y+3, xs(x+v)-xs(x), rowH-6, phaseColor[ph], fmt.Sprintf("%s %s: %s %s", b.Run, b.Cell, ph, duration(v)))
			x += v
		}
	}
	s.line(f.x, f.y, f.x, f.y+f.h, "#333333", 1.5, "")
	s.line(f.x, f.y+f.h, f.x+f.w, f.y+f.h, "#333333", 1.5, "")
	return s.String()
}

func hasBaseline(pc *PhaseChart) bool {
	for _, b := range pc.Bars {
		if b.Run != LabelCurrent {
			return true
		}
	}
	return false
}

// secondsOf converts ticks in unit u back to seconds.
func secondsOf(ticks []float64, u timeUnit) []float64 {
	out := make([]float64, len(ticks))
	for i, t := range ticks {
		out[i] = t / u.scale
	}
	return out
}
