package results

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchunit"
)

// checkObjective checks o on every cell of f that o.Where selects.
func checkObjective(f *File, o Objective) ([]ObjectiveCheck, error) {
	name := objectiveName(o)
	switch {
	case !o.HasMax && !o.HasMin:
		return nil, fmt.Errorf("results: objective %s: neither max nor min is set", name)
	case o.HasMax && o.HasMin && o.Min > o.Max:
		return nil, fmt.Errorf("results: objective %s: min is over max", name)
	}
	unit, err := resolveMetric(o.Metric, f)
	if err != nil {
		return nil, fmt.Errorf("results: objective %s: %w", name, errorsCut(err))
	}

	names, values, failed := cellSamples(f, unit)
	// Every key and value of Where must name something in the file, so
	// that a typo fails instead of selecting nothing.
	keys := make(map[string][]string)
	for _, n := range names {
		for k, v := range nameKeys(n) {
			if !slices.Contains(keys[k], v) {
				keys[k] = append(keys[k], v)
			}
		}
	}
	for _, k := range sortedNames(o.Where) {
		v := o.Where[k]
		vals, ok := keys[k]
		switch {
		case !ok:
			return nil, fmt.Errorf("results: objective %s: no cell of %s has a key %q; its cells have %s", name, f.Name, k, strings.Join(sortedNames(namesOf(keys)), ", "))
		case !slices.Contains(vals, v):
			return nil, fmt.Errorf("results: objective %s: no cell of %s has %s=%s; it has %s=%s", name, f.Name, k, v, k, strings.Join(vals, ","))
		}
	}

	var checks []ObjectiveCheck
	thresholds := &benchmath.Thresholds{CompareAlpha: benchmath.DefaultThresholds.CompareAlpha}
	for _, n := range names {
		if !selects(o.Where, nameKeys(n)) {
			continue
		}
		c := ObjectiveCheck{Objective: o, Metric: unit, Name: n}
		c.Stats, _ = statsOf(values[n], failed[n], thresholds)
		switch {
		case c.Stats.N == 0 && c.Stats.Failed > 0:
			c.Verdict, c.Why = Fail, fmt.Sprintf("no successful repetition (%d failed)", c.Stats.Failed)
		case c.Stats.N == 0:
			c.Verdict, c.Why = Fail, fmt.Sprintf("no %s values", unit)
		case o.HasMax && c.Stats.Center > o.Max:
			c.Verdict, c.Why = Fail, fmt.Sprintf("median %s over the maximum %s (n=%d)", formatMetric(c.Stats.Center, unit), formatLimit(o.Max, unit), c.Stats.N)
		case o.HasMin && c.Stats.Center < o.Min:
			c.Verdict, c.Why = Fail, fmt.Sprintf("median %s under the minimum %s (n=%d)", formatMetric(c.Stats.Center, unit), formatLimit(o.Min, unit), c.Stats.N)
		default:
			c.Verdict, c.Why = Pass, fmt.Sprintf("median %s within bounds (n=%d)", formatMetric(c.Stats.Center, unit), c.Stats.N)
		}
		checks = append(checks, c)
	}
	if len(checks) == 0 {
		return nil, fmt.Errorf("results: objective %s: no cell of %s has all of %s", name, f.Name, formatWhere(o.Where))
	}
	return checks, nil
}

// errorsCut drops the "results: " prefix of an error from this package,
// for wrapping it in another.
func errorsCut(err error) error {
	msg, ok := strings.CutPrefix(err.Error(), "results: ")
	if !ok {
		return err
	}
	return fmt.Errorf("%s", msg)
}

// nameKeys returns the key=value parts of a benchmark name: "link" →
// "wan40" for "Quick/link=wan40/keepalive=on".
func nameKeys(name string) map[string]string {
	keys := make(map[string]string)
	parts := strings.Split(name, "/")
	for _, p := range parts[1:] {
		if k, v, ok := strings.Cut(p, "="); ok {
			keys[k] = v
		}
	}
	return keys
}

func selects(where, keys map[string]string) bool {
	for k, v := range where {
		if keys[k] != v {
			return false
		}
	}
	return true
}

func namesOf[V any](m map[string]V) map[string]string {
	out := make(map[string]string, len(m))
	for k := range m {
		out[k] = ""
	}
	return out
}

func sortedNames(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// formatWhere writes a selector as "link=wan40,keepalive=on", keys
// sorted, with "link" first.
func formatWhere(where map[string]string) string {
	keys := sortedNames(where)
	if i := slices.Index(keys, "link"); i > 0 {
		keys = append([]string{"link"}, slices.Delete(keys, i, i+1)...)
	}
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + where[k]
	}
	return strings.Join(parts, ",")
}

// isLatency reports whether unit holds nanoseconds.
func isLatency(unit string) bool {
	return unit == UnitMean || strings.HasSuffix(unit, "-ns")
}

// formatMetric writes a value of unit for people: latencies as durations
// with four significant digits ("7.215ms"), errors as a percentage, other
// units with their name.
func formatMetric(v float64, unit string) string {
	switch {
	case math.IsNaN(v):
		return "-"
	case isLatency(unit):
		return benchunit.Scale(v/1e9, benchunit.Decimal) + "s"
	case unit == UnitErrors:
		return strconv.FormatFloat(v*100, 'g', 4, 64) + "%"
	}
	return benchunit.Scale(v, benchunit.ClassOf(unit)) + " " + unit
}

// formatLimit writes a bound as a suite writes it: "150ms", "0.5%", "18".
func formatLimit(v float64, unit string) string {
	switch {
	case isLatency(unit):
		return time.Duration(math.Round(v)).String()
	case unit == UnitErrors:
		return strconv.FormatFloat(v*100, 'g', 6, 64) + "%"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
