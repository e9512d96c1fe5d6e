package scenarios

import (
	"sort"
	"strings"
)

// The metric names a suite may write, in gates: and in load.search, and
// the units of the results files they stand for. This table is the one
// place that spells them: the gate parser, the search parser, GateMetrics
// and the manual all read it. The units are the results files' own; a
// results file writes them, and scenarios, which may import nothing of
// ours, names them here for the suite language.
var metricTable = []metricInfo{
	{"mean", "ns/op", kindLatency},
	{"p50", "p50-ns", kindLatency},
	{"p90", "p90-ns", kindLatency},
	{"p99", "p99-ns", kindLatency},
	{"p999", "p999-ns", kindLatency},
	{"p99co", "p99co-ns", kindLatency},
	{"max", "max-ns", kindLatency},
	{"rate", "req/s", kindNumber},
	{"errors", "errors", kindFraction},
}

// metricInfo is one row of metricTable.
type metricInfo struct {
	name string // the short name a suite writes: p99
	unit string // the unit a results file writes: p99-ns
	kind metricKind
}

// A metric kind decides how a bound on the metric is written.
type metricKind int

const (
	kindNumber   metricKind = iota // a plain number
	kindLatency                    // a Go duration, stored in nanoseconds
	kindFraction                   // a fraction or a percentage
)

// lookupMetric finds a metric by its short name or by its unit.
func lookupMetric(name string) (metricInfo, bool) {
	for _, m := range metricTable {
		if name == m.name || name == m.unit {
			return m, true
		}
	}
	return metricInfo{}, false
}

// GateMetrics returns the short metric names a gate may use, each with the
// unit of the results files it stands for.
func GateMetrics() map[string]string {
	m := make(map[string]string, len(metricTable))
	for _, r := range metricTable {
		m[r.name] = r.unit
	}
	return m
}

// MetricUnit returns the unit of the results files that a metric name
// stands for, and whether it is one: a short name (p99 → p99-ns) or a unit
// as written (p99-ns).
func MetricUnit(name string) (string, bool) {
	m, ok := lookupMetric(strings.TrimSpace(name))
	return m.unit, ok
}

// shortMetricNames returns the short metric names of kind (all kinds when
// kind is -1), sorted.
func shortMetricNames(kind metricKind) []string {
	var names []string
	for _, m := range metricTable {
		if kind < 0 || m.kind == kind {
			names = append(names, m.name)
		}
	}
	sort.Strings(names)
	return names
}
