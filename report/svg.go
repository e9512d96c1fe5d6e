package report

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
)

// svg builds one SVG document. Coordinates are in CSS pixels; text is
// escaped as it is added.
type svg struct {
	b    strings.Builder
	w, h float64
}

func newSVG(w, h float64, title string) *svg {
	s := &svg{w: w, h: h}
	fmt.Fprintf(&s.b, `<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s" font-family="Helvetica, Arial, sans-serif" font-size="11" role="img">`,
		num(w), num(h), num(w), num(h))
	fmt.Fprintf(&s.b, `<title>%s</title>`, esc(title))
	s.rect(0, 0, w, h, "#ffffff", "")
	return s
}

func (s *svg) String() string { return s.b.String() + "</svg>\n" }

func (s *svg) line(x1, y1, x2, y2 float64, stroke string, width float64, dash string) {
	d := ""
	if dash != "" {
		d = ` stroke-dasharray="` + dash + `"`
	}
	fmt.Fprintf(&s.b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="%s"%s/>`, num(x1), num(y1), num(x2), num(y2), stroke, num(width), d)
}

func (s *svg) rect(x, y, w, h float64, fill, title string) {
	if title == "" {
		fmt.Fprintf(&s.b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"/>`, num(x), num(y), num(w), num(h), fill)
		return
	}
	fmt.Fprintf(&s.b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s</title></rect>`, num(x), num(y), num(w), num(h), fill, esc(title))
}

// circle draws a marker: filled, or hollow (white inside) for a baseline.
func (s *svg) circle(x, y, r float64, color string, hollow bool, title string) {
	fill := color
	if hollow {
		fill = "#ffffff"
	}
	fmt.Fprintf(&s.b, `<circle cx="%s" cy="%s" r="%s" fill="%s" stroke="%s" stroke-width="1.5"><title>%s</title></circle>`, num(x), num(y), num(r), fill, color, esc(title))
}

func (s *svg) polyline(pts [][2]float64, stroke string, dash string) {
	var b strings.Builder
	for i, p := range pts {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(num(p[0]) + "," + num(p[1]))
	}
	d := ""
	if dash != "" {
		d = ` stroke-dasharray="` + dash + `"`
	}
	fmt.Fprintf(&s.b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>`, b.String(), stroke, d)
}

// text writes a label; anchor is start, middle or end.
func (s *svg) text(x, y float64, anchor, fill string, size float64, weight, t string) {
	w := ""
	if weight != "" {
		w = ` font-weight="` + weight + `"`
	}
	fmt.Fprintf(&s.b, `<text x="%s" y="%s" text-anchor="%s" fill="%s" font-size="%s"%s>%s</text>`, num(x), num(y), anchor, fill, num(size), w, esc(t))
}

// vtext writes a label turned to read upwards, for a y axis.
func (s *svg) vtext(x, y float64, t string) {
	fmt.Fprintf(&s.b, `<text x="%s" y="%s" text-anchor="middle" fill="#333333" transform="rotate(-90 %s %s)">%s</text>`, num(x), num(y), num(x), num(y), esc(t))
}

func esc(s string) string { return html.EscapeString(s) }

// num writes a coordinate with at most two decimals.
func num(f float64) string {
	return strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64)
}

// A frame is a plot area and the linear y scale over it.
type frame struct {
	x, y, w, h float64 // the plot area
	lo, hi     float64 // y range, in data units
}

// ys maps a data value to a y coordinate.
func (f frame) ys(v float64) float64 {
	if f.hi == f.lo {
		return f.y + f.h
	}
	return f.y + f.h - (v-f.lo)/(f.hi-f.lo)*f.h
}

// yAxis draws the y axis of f with gridlines at ticks, labelled by label.
func (s *svg) yAxis(f frame, ticks []float64, label func(float64) string, title string) {
	for _, t := range ticks {
		y := f.ys(t)
		s.line(f.x, y, f.x+f.w, y, "#e6e6e6", 1, "")
		s.line(f.x-4, y, f.x, y, "#333333", 1, "")
		s.text(f.x-6, y+4, "end", "#333333", 10, "", label(t))
	}
	s.line(f.x, f.y, f.x, f.y+f.h, "#333333", 1.5, "")
	s.vtext(f.x-44, f.y+f.h/2, title)
}

// xAxisLine draws the x axis line of f.
func (s *svg) xAxisLine(f frame) {
	s.line(f.x, f.y+f.h, f.x+f.w, f.y+f.h, "#333333", 1.5, "")
}

// niceTicks returns about n round tick values covering [0, hi] and the
// top of the scale (the last tick).
func niceTicks(hi float64, n int) []float64 {
	if !(hi > 0) || math.IsInf(hi, 0) {
		return []float64{0, 1}
	}
	raw := hi / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var ticks []float64
	for i := 0; ; i++ {
		t := float64(i) * step
		ticks = append(ticks, t)
		if t >= hi*(1-1e-9) {
			break
		}
	}
	return ticks
}

// A timeUnit shows seconds in a unit that suits a scale's top.
type timeUnit struct {
	name  string
	scale float64 // units per second
}

func timeUnitFor(maxSeconds float64) timeUnit {
	switch {
	case maxSeconds >= 2:
		return timeUnit{"s", 1}
	case maxSeconds >= 2e-3:
		return timeUnit{"ms", 1e3}
	case maxSeconds >= 2e-6:
		return timeUnit{"µs", 1e6}
	}
	return timeUnit{"ns", 1e9}
}

// format writes v (in the unit) without trailing zeros.
func (u timeUnit) format(v float64) string {
	return strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64)
}

// duration writes seconds with three significant digits and a unit, for
// tooltips and labels: "42.2 ms".
func duration(sec float64) string {
	u := timeUnit{"s", 1}
	switch {
	case sec < 1e-6:
		u = timeUnit{"ns", 1e9}
	case sec < 1e-3:
		u = timeUnit{"µs", 1e6}
	case sec < 1:
		u = timeUnit{"ms", 1e3}
	}
	v := sec * u.scale
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64) + " " + u.name
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64) + " " + u.name
	}
	return strconv.FormatFloat(v, 'f', 2, 64) + " " + u.name
}
