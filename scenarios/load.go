package scenarios

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Bounds of the load models.
const (
	// MaxRate is the highest open-loop rate, in requests per second, that
	// load.rate, the rate knob and search.max_rate accept: one load agent
	// cannot keep a schedule faster than that.
	MaxRate = 100000
	// MaxConnections bounds the closed loop's connections and a burst's,
	// and with them the agent's goroutines and sockets.
	MaxConnections = 10000
	// MaxThink bounds a closed loop's pause between requests.
	MaxThink = time.Minute
)

// loadModels are the load: keys that choose a model, in the manual's order.
var loadModels = []string{ModelRate, ModelConnections, ModelSearch, ModelBurst}

// load reads the load section and fills in its defaults. matrix is the
// suite's matrix: a knob rate or connections gives every cell its model,
// and then load: gives none.
func (p *parser) load(v *yaml.Node, matrix []Knob) Load {
	l := Load{Count: DefaultCount, Timeout: DefaultTimeout}
	fs, ok := p.fields(v, "load", "a mapping such as {rate: 50, duration: 5s}",
		[]string{ModelRate, ModelConnections, "think", ModelSearch, ModelBurst, "duration", "warmup", "count", "timeout", "cell_timeout", "streams", "slow_clients"},
		map[string]string{
			"repetitions": "count gives the repetitions",
			"qps":         "rate gives requests per second",
			"rps":         "rate gives requests per second",
			"concurrency": "connections gives the closed loop's connections",
			"vus":         "connections gives the closed loop's connections",
			"capacity":    "search: {p99: 100ms, max_rate: 5000} finds the capacity",
		})
	if !ok {
		return l
	}
	knob := p.loadKnob(matrix)
	var model string
	for _, m := range loadModels {
		e, ok := fs[m]
		switch {
		case !ok:
			continue
		case knob != "":
			p.add(e.k.Line, join("load", m), "the matrix knob %s gives every cell its load, so this would never run; remove load.%s, or the knob", knob, m)
			continue
		case model != "":
			p.add(e.k.Line, join("load", m), "%s and %s are both load models; a suite has one (a matrix knob rate or connections can vary it), so remove one", model, m)
			continue
		}
		model = m
		switch m {
		case ModelRate:
			l.Rate = p.rate(e.v, "load.rate", "requests per second such as 50")
		case ModelConnections:
			if n, ok := p.integer(e.v, "load.connections", 1, MaxConnections, fmt.Sprintf("the closed loop's connections, from 1 to %d", MaxConnections)); ok {
				l.Connections = int(n)
			}
		case ModelSearch:
			l.Search = p.search(e.v, "load.search")
		case ModelBurst:
			l.Burst = p.burst(e.v, "load.burst")
		}
	}
	if model == "" && knob == "" {
		p.add(v.Line, "load", "no load model; give one of rate: 50 (open loop), connections: 8 (closed loop), search: {p99: 100ms, max_rate: 5000} (capacity) or burst: {connections: 200, every: 2s}")
	}
	if e, ok := fs["think"]; ok {
		if model != ModelConnections && knob != KnobConnections {
			p.add(e.k.Line, "load.think", "think is the closed loop's pause between a response and the next request; give connections: too, or remove think")
		} else if d, ok := p.duration(e.v, "load.think", false, MaxThink, "give at most "+formatDuration(MaxThink)); ok {
			l.Think = d
		}
	}
	if e, ok := fs["duration"]; ok {
		l.Duration, _ = p.duration(e.v, "load.duration", true, time.Hour, "give at most 1h and raise count instead")
	} else {
		p.add(v.Line, "load.duration", "missing; give the measured time per repetition, e.g. duration: 5s")
	}
	if b := l.Burst; b != nil && l.Duration > 0 && b.Every > l.Duration {
		p.add(fs[ModelBurst].v.Line, "load.burst.every", "%s is longer than load.duration (%s), so no burst would start in the measured window; give every at most the duration", formatDuration(b.Every), formatDuration(l.Duration))
	}
	if e, ok := fs["streams"]; ok {
		l.Streams = p.streams(e.v, model, knob)
	}
	if e, ok := fs["slow_clients"]; ok {
		if n, ok := p.integer(e.v, "load.slow_clients", 0, MaxConnections, fmt.Sprintf("the slow clients (Slowloris) held open beside the load, from 0 to %d", MaxConnections)); ok {
			l.SlowClients = int(n)
		}
	}
	if e, ok := fs["warmup"]; ok {
		l.Warmup, _ = p.duration(e.v, "load.warmup", false, time.Hour, "give at most 1h")
	}
	if e, ok := fs["count"]; ok {
		if n, ok := p.integer(e.v, "load.count", 1, 1000, "the repetitions per cell from 1 to 1000 (6 or more for benchstat's confidence intervals)"); ok {
			l.Count = int(n)
		}
	}
	if e, ok := fs["timeout"]; ok {
		if d, ok := p.duration(e.v, "load.timeout", true, time.Hour, "give at most 1h"); ok {
			l.Timeout = d
		}
	}
	l.CellTimeout = l.Warmup + l.Duration + CellTimeoutSlack
	if e, ok := fs["cell_timeout"]; ok {
		if d, ok := p.duration(e.v, "load.cell_timeout", true, 24*time.Hour, "give at most 24h"); ok {
			if need := l.Warmup + l.Duration; d < need {
				p.add(e.v.Line, "load.cell_timeout", "%s is shorter than warmup+duration (%s); give at least that, or leave cell_timeout out for %s", formatDuration(d), formatDuration(need), formatDuration(need+CellTimeoutSlack))
			}
			l.CellTimeout = d
		}
	}
	return l
}

// loadKnob returns the matrix knob that sets every cell's load model,
// "rate" or "connections", or "". Both at once is refused: a cell has one
// model. matrix may hold knobs without values: the keys of a matrix that
// did not parse cleanly.
func (p *parser) loadKnob(matrix []Knob) string {
	var found []Knob
	for _, k := range matrix {
		if k.Name == KnobRate || k.Name == KnobConnections {
			found = append(found, k)
		}
	}
	switch len(found) {
	case 0:
		return ""
	case 1:
		return found[0].Name
	}
	p.add(found[1].Line, join("matrix", found[1].Name), "%s and %s are both load models, and a cell has one; keep one of them as a knob", found[0].Name, found[1].Name)
	return found[0].Name
}

// rate reads a constant rate in requests per second, over 0 and at most
// MaxRate; 0 after recording a problem.
func (p *parser) rate(v *yaml.Node, path, want string) float64 {
	s, ok := p.scalar(v, path, want)
	if !ok {
		return 0
	}
	f, isNum := parseDecimal(strings.TrimSpace(s))
	switch {
	case !isNum:
		p.add(v.Line, path, "%q is not a number; give %s", s, want)
	case f <= 0:
		p.add(v.Line, path, "%s is not over 0; give %s", s, want)
	case f > MaxRate:
		p.add(v.Line, path, "%s is over %d requests per second; one load agent cannot keep an open-loop schedule that fast; give at most %d", s, MaxRate, MaxRate)
	default:
		return f
	}
	return 0
}

// search reads load.search: one latency objective (p99: 100ms), max_rate
// and, optionally, errors.
func (p *parser) search(v *yaml.Node, path string) *Search {
	latencies := shortMetricNames(kindLatency)
	const example = "{p99: 100ms, max_rate: 5000}"
	fs, ok := p.fields(v, path, "a mapping such as "+example,
		append(append([]string{}, latencies...), "max_rate", "errors"),
		map[string]string{
			"rate":     "the search finds the rate; cap it with max_rate",
			"metric":   "name the objective by its metric, e.g. p99: 100ms",
			"max":      "name the objective by its metric, e.g. p99: 100ms",
			"p99-ns":   "write the objective as p99: 100ms",
			"max_rps":  "max_rate caps the search",
			"ceiling":  "max_rate caps the search",
			"min_rate": "the search starts low by itself; give max_rate",
		})
	if !ok {
		return nil
	}
	s := &Search{}
	before := p.count
	for _, name := range latencies {
		e, ok := fs[name]
		if !ok {
			continue
		}
		if s.Metric != "" {
			p.add(e.k.Line, join(path, name), "a search has one objective and %s is already given; remove one", strings.TrimSuffix(s.Metric, "-ns"))
			continue
		}
		m, _ := lookupMetric(name)
		s.Metric = m.unit
		s.Max, _ = p.duration(e.v, join(path, name), true, time.Hour, "give at most 1h")
	}
	if s.Metric == "" {
		p.add(v.Line, path, "no objective; give one latency bound the found rate must meet, e.g. %s (latencies: %s)", example, strings.Join(latencies, ", "))
	}
	if e, ok := fs["max_rate"]; ok {
		s.MaxRate = p.rate(e.v, join(path, "max_rate"), "the highest rate to try, in requests per second, e.g. 5000")
	} else {
		p.add(v.Line, join(path, "max_rate"), "missing; give the highest rate to try, in requests per second, e.g. %s", example)
	}
	if e, ok := fs["errors"]; ok {
		s.Errors, _ = p.bound(e.v, join(path, "errors"), kindFraction)
	}
	if p.count > before {
		return nil
	}
	return s
}

// burst reads load.burst: {connections: 200, every: 2s}.
func (p *parser) burst(v *yaml.Node, path string) *Burst {
	fs, ok := p.fields(v, path, "a mapping such as {connections: 200, every: 2s}",
		[]string{"connections", "every"},
		map[string]string{"interval": "every gives the time between bursts", "size": "connections gives the burst's size", "requests": "connections gives the burst's size"})
	if !ok {
		return nil
	}
	b := &Burst{}
	before := p.count
	if e, ok := fs["connections"]; ok {
		n, _ := p.integer(e.v, join(path, "connections"), 1, MaxConnections, fmt.Sprintf("the requests each burst starts at once, each on a new connection, from 1 to %d", MaxConnections))
		b.Connections = int(n)
	} else {
		p.add(v.Line, join(path, "connections"), "missing; give the requests each burst starts at once, e.g. {connections: 200, every: 2s}")
	}
	if e, ok := fs["every"]; ok {
		b.Every, _ = p.duration(e.v, join(path, "every"), true, time.Hour, "give at most 1h")
	} else {
		p.add(v.Line, join(path, "every"), "missing; give the time between bursts, e.g. {connections: 200, every: 2s}")
	}
	if p.count > before {
		return nil
	}
	return b
}

// CellLoad returns the load of cell c: the suite's, with a matrix knob rate
// or connections in place of its model. A suite's load may give no model
// when its matrix has one of these knobs; every cell then has it.
func (s *Suite) CellLoad(c Cell) Load {
	l := s.Load
	if v, ok := c.Get(KnobRate); ok {
		if n, err := strconv.Atoi(v); err == nil {
			l.Rate, l.Connections, l.Think, l.Search, l.Burst = float64(n), 0, 0, nil, nil
		}
	}
	if v, ok := c.Get(KnobConnections); ok {
		if n, err := strconv.Atoi(v); err == nil {
			l.Rate, l.Connections, l.Search, l.Burst = 0, n, nil, nil
		}
	}
	return l
}

// String describes the load model as a suite writes it: "rate=50/s",
// "connections=8 think=10ms", "search p99<=100ms max_rate=5000/s
// errors<=1%" or "burst connections=200 every=2s"; "" for none (a matrix
// knob gives it).
func (l Load) String() string {
	switch {
	case l.Search != nil:
		s := fmt.Sprintf("search %s<=%s max_rate=%s/s", strings.TrimSuffix(l.Search.Metric, "-ns"), formatDuration(l.Search.Max), strconv.FormatFloat(l.Search.MaxRate, 'f', -1, 64))
		if l.Search.Errors > 0 {
			s += " errors<=" + formatPercent(l.Search.Errors)
		}
		return s
	case l.Burst != nil:
		return fmt.Sprintf("burst connections=%d every=%s", l.Burst.Connections, formatDuration(l.Burst.Every))
	case l.Connections > 0:
		s := fmt.Sprintf("connections=%d", l.Connections)
		if l.Think > 0 {
			s += " think=" + formatDuration(l.Think)
		}
		return s
	case l.Rate > 0:
		return "rate=" + strconv.FormatFloat(l.Rate, 'f', -1, 64) + "/s"
	}
	return ""
}
