package scenarios

import (
	"fmt"
	"math"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Gate is an absolute objective on a suite's results, which `tunebench
// gate --suite` and `tunebench run --gate` check: every cell that Where
// selects must keep the median of its repetitions within Max and Min.
//
//	gates:
//	  - {metric: p99, max: 150ms, where: {link: wan40, keepalive: on}}
//	  - {metric: rate, min: 19}
//	  - {metric: errors, max: 0.5%}
//
// metric is required, and so is max or min (or both). Latencies are Go
// durations (150ms), rate is requests per second, errors is the fraction
// of failed requests (0.005 or 0.5%). where is optional; it maps link or a
// matrix knob to one value, as only: does, and without it the gate applies
// to every cell. A metric, key or value that matches nothing is an error.
type Gate struct {
	// Metric is the unit as results files write it: p99-ns, req/s,
	// errors, or a further unit such as retrans/op.
	Metric string
	// Name is the metric as the suite wrote it, e.g. p99.
	Name string
	// Max and Min bound the median in Metric's unit: nanoseconds for
	// latencies, a fraction for errors. Each applies when its Has field is
	// set.
	Max, Min       float64
	HasMax, HasMin bool
	// Where selects the cells: link or a knob mapped to a value, values
	// canonical. Empty selects every cell.
	Where map[string]string
	// Line is the gate's line in the file; 0 for a Suite built in code.
	Line int
}

// gateMetric looks a metric name up (see metricTable). A name with a '/'
// that is not known is taken as a further unit of the results files, such
// as retrans/op.
func gateMetric(name string) (unit string, kind metricKind, ok bool) {
	if m, ok := lookupMetric(name); ok {
		return m.unit, m.kind, true
	}
	if strings.Contains(name, "/") && !strings.ContainsAny(name, " \t=") {
		return name, kindNumber, true
	}
	return "", 0, false
}

// gates reads the gates: list. Where keys and values are checked against
// the links and the matrix when those parsed cleanly.
func (p *parser) gates(v *yaml.Node, s *Suite, linksOK, matrixOK bool) []Gate {
	if v.Kind != yaml.SequenceNode {
		p.add(v.Line, "gates", "got %s; give a list of gates, e.g. [{metric: p99, max: 150ms}]", describe(v))
		return nil
	}
	var gates []Gate
	allOK := true
	for i, n := range v.Content {
		g, ok := p.gate(resolve(n), index("gates", i), s, linksOK, matrixOK)
		if !ok {
			allOK = false
			continue
		}
		gates = append(gates, g)
	}
	// A where that names real values can still select nothing once only:
	// and skip: have pruned the matrix.
	if allOK && linksOK && matrixOK && p.count == 0 {
		if cells, e := s.expand(p.knobs); e == nil {
			for i, g := range gates {
				if !anyMatches(cells, g.Where) {
					p.add(g.Line, index("gates", i)+".where", "no cell to check: only: and skip: prune every cell with %s; change where or the pruning", formatSelector(g.Where))
				}
			}
		}
	}
	return gates
}

func anyMatches(cells []Cell, where map[string]string) bool {
	for _, c := range cells {
		if matches(c, where) {
			return true
		}
	}
	return false
}

// gate reads one gate.
func (p *parser) gate(n *yaml.Node, path string, s *Suite, linksOK, matrixOK bool) (Gate, bool) {
	g := Gate{Line: n.Line}
	fs, ok := p.fields(n, path, "a gate such as {metric: p99, max: 150ms, where: {link: wan40}}",
		[]string{"metric", "max", "min", "where"},
		map[string]string{
			"limit": "give the bound as max: or min:",
			"link":  "select cells under where:, e.g. where: {link: wan40}",
			"unit":  "name the metric with metric:, e.g. metric: p99",
		})
	if !ok {
		return g, false
	}
	before := p.count
	var kind metricKind
	e, ok := fs["metric"]
	if !ok {
		p.add(n.Line, join(path, "metric"), "missing; name the metric to bound, one of %s", strings.Join(shortMetricNames(-1), ", "))
		return g, false
	}
	name, ok := p.scalar(e.v, join(path, "metric"), "a metric such as p99")
	if !ok {
		return g, false
	}
	g.Name = strings.TrimSpace(name)
	unit, kind, known := gateMetric(g.Name)
	if !known {
		msg := "unknown metric; "
		if sug := suggest(g.Name, shortMetricNames(-1)); sug != "" {
			msg += "did you mean " + sug + "? "
		}
		p.add(e.v.Line, join(path, "metric"), "%s%q is none of %s (or the units of a results file such as p99-ns, req/s, retrans/op)", msg, g.Name, strings.Join(shortMetricNames(-1), ", "))
		return g, false
	}
	g.Metric = unit

	for _, key := range []string{"max", "min"} {
		e, ok := fs[key]
		if !ok {
			continue
		}
		val, ok := p.bound(e.v, join(path, key), kind)
		if !ok {
			continue
		}
		if key == "max" {
			g.Max, g.HasMax = val, true
		} else {
			g.Min, g.HasMin = val, true
		}
	}
	switch {
	case p.count > before:
	case !g.HasMax && !g.HasMin:
		p.add(n.Line, path, "no bound; give max: (e.g. max: 150ms for a latency) or min: (e.g. min: 19 for rate)")
	case g.HasMax && g.HasMin && g.Min > g.Max:
		p.add(fs["min"].v.Line, join(path, "min"), "min is over max, so every cell would fail; swap them")
	}

	if e, ok := fs["where"]; ok {
		g.Where = p.where(e.v, join(path, "where"), s, linksOK, matrixOK)
	}
	return g, p.count == before
}

// bound reads a max: or min: in the way the metric's kind is written.
func (p *parser) bound(v *yaml.Node, path string, kind metricKind) (float64, bool) {
	switch kind {
	case kindLatency:
		d, ok := p.duration(v, path, false, 24*time.Hour, "give at most 24h")
		return float64(d), ok
	case kindFraction:
		s, ok := p.scalar(v, path, "a fraction such as 0.01 or a percentage such as 1%")
		if !ok {
			return 0, false
		}
		s = strings.TrimSpace(s)
		f, isNum := parseDecimal(s)
		if !isNum {
			var err error
			if f, err = ParsePercent(s); err != nil {
				p.add(v.Line, path, "%q is not a fraction; give e.g. 0.01 or 1%%", s)
				return 0, false
			}
		}
		if f < 0 || f > 1 {
			p.add(v.Line, path, "%s is not between 0 and 1; errors is the fraction of failed requests, e.g. 0.01 or 1%%", s)
			return 0, false
		}
		return f, true
	}
	s, ok := p.scalar(v, path, "a number such as 19")
	if !ok {
		return 0, false
	}
	f, isNum := parseDecimal(strings.TrimSpace(s))
	switch {
	case !isNum:
		p.add(v.Line, path, "%q is not a number; give e.g. 19", s)
	case f < 0:
		p.add(v.Line, path, "%s is negative; give 0 or more", s)
	default:
		return f, true
	}
	return 0, false
}

// where reads a gate's where: mapping as prune reads an only: entry.
func (p *parser) where(v *yaml.Node, path string, s *Suite, linksOK, matrixOK bool) map[string]string {
	es, ok := p.entries(v, path, "a mapping of link or knob to value, e.g. {link: wan40, keepalive: on}")
	if !ok {
		return nil
	}
	if len(es) == 0 {
		p.add(v.Line, path, "empty; leave where out to check every cell, or give knob: value pairs, e.g. {link: wan40}")
		return nil
	}
	return p.knobMap(es, path, s, linksOK, matrixOK)
}

// String writes the gate as a suite does: "p99 max 150ms where
// link=wan40,keepalive=on".
func (g Gate) String() string {
	_, kind, _ := gateMetric(g.Metric)
	if g.Name != "" {
		_, kind, _ = gateMetric(g.Name)
	}
	name := g.Name
	if name == "" {
		name = g.Metric
	}
	parts := []string{name}
	for _, b := range []struct {
		key string
		has bool
		val float64
	}{{"min", g.HasMin, g.Min}, {"max", g.HasMax, g.Max}} {
		if b.has {
			parts = append(parts, b.key+" "+formatBound(b.val, kind))
		}
	}
	if len(g.Where) > 0 {
		parts = append(parts, "where "+formatSelector(g.Where))
	}
	return strings.Join(parts, " ")
}

func formatBound(v float64, kind metricKind) string {
	switch kind {
	case kindLatency:
		return formatDuration(time.Duration(math.Round(v)))
	case kindFraction:
		return formatPercent(v)
	}
	return fmt.Sprint(v)
}
