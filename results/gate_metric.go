package results

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// MetricUnit returns the unit a metric name stands for: the short forms
// suites use (p50, p90, p99, p999, p99co, mean, max, rate, errors) map to
// the units results files write (p50-ns, ..., ns/op, max-ns, req/s,
// errors); any other name is returned as it is.
func MetricUnit(name string) string {
	if u, ok := shortMetrics[name]; ok {
		return u
	}
	return name
}

var shortMetrics = map[string]string{
	"mean": UnitMean, "p50": UnitP50, "p90": UnitP90, "p99": UnitP99, "p999": UnitP999,
	"max": UnitMax, "p99co": UnitP99CO, "rate": UnitAchieved, "errors": UnitErrors,
}

// ShortMetrics returns the short metric names MetricUnit knows, sorted.
func ShortMetrics() []string {
	names := make([]string, 0, len(shortMetrics))
	for n := range shortMetrics {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// resolveMetric finds the unit name stands for among the units of files:
// a short form, a unit as written, or a unit as benchstat shows it
// ("p99-sec" for p99-ns).
func resolveMetric(name string, files ...*File) (string, error) {
	var units []string
	for _, f := range files {
		for _, u := range fileUnits(f) {
			if !slices.Contains(units, u) {
				units = append(units, u)
			}
		}
	}
	want := MetricUnit(strings.TrimSpace(name))
	for _, u := range units {
		if u == want {
			return u, nil
		}
	}
	for _, u := range units {
		if tidyUnit(u) == tidyUnit(want) {
			return u, nil
		}
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Name
	}
	return "", fmt.Errorf("results: unknown metric %q: no such unit in %s; give one of %s, or a short form (%s)",
		name, strings.Join(names, " or "), strings.Join(units, ", "), strings.Join(ShortMetrics(), ", "))
}

// fileUnits returns the units of f's rows in the order they appear.
func fileUnits(f *File) []string {
	var units []string
	seen := make(map[string]bool)
	for _, row := range f.Rows {
		for _, u := range sortedUnits(row.Values) {
			if !seen[u] {
				seen[u] = true
				units = append(units, u)
			}
		}
	}
	return units
}

// sortedUnits returns a row's units, built-in ones in line order first.
func sortedUnits(values map[string]float64) []string {
	var units []string
	for _, m := range builtinUnits() {
		if _, ok := values[m.Unit]; ok {
			units = append(units, m.Unit)
		}
	}
	var extra []string
	for u := range values {
		if !slices.Contains(units, u) {
			extra = append(extra, u)
		}
	}
	sort.Strings(extra)
	return append(units, extra...)
}

// betterOf returns the direction of unit from the files' declarations,
// falling back on what the testing package's own units mean.
func betterOf(unit string, files ...*File) (string, error) {
	for _, f := range files {
		if b, ok := f.Units[unit]; ok {
			return b, nil
		}
		for u, b := range f.Units {
			if tidyUnit(u) == tidyUnit(unit) {
				return b, nil
			}
		}
	}
	switch tidyUnit(unit) {
	case "sec/op", "B/op", "allocs/op":
		return BetterLower, nil
	case "B/s":
		return BetterHigher, nil
	}
	return "", fmt.Errorf("results: unit %s declares no direction; add a line \"Unit %s better=lower\" (or better=higher) to the files", unit, unit)
}
