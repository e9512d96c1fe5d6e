package results

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/perf/benchunit"
)

// Units of the built-in measurements, in the order a results line carries
// them.
const (
	UnitMean     = "ns/op"
	UnitP50      = "p50-ns"
	UnitP90      = "p90-ns"
	UnitP99      = "p99-ns"
	UnitP999     = "p999-ns"
	UnitMax      = "max-ns"
	UnitP99CO    = "p99co-ns"
	UnitAchieved = "req/s"
	UnitErrors   = "errors"
)

// Units of the load side's further measurements, which the runner adds
// as Extra metrics; named here once so that the runner, the report and the
// gates read the same names.
const (
	// UnitSLORate is a capacity search's result: the highest constant
	// rate, in requests per second, whose measured window met the
	// suite's objective. Better: higher.
	UnitSLORate = "slo-req/s"
	// UnitCompleted is the measured requests that completed within the
	// measured window, per second of it; in open loop req/s is the rate
	// sent, and this is what came back. Better: higher.
	UnitCompleted = "done-req/s"
	// UnitSendLagP50 and UnitSendLagP99 are the load agent's own lateness,
	// actual send minus intended send, in ns. Better: lower.
	UnitSendLagP50 = "send-lag-p50-ns"
	UnitSendLagP99 = "send-lag-p99-ns"
	// UnitEmuLateP99 is the TUN link emulator's release lateness, the
	// larger of its two directions' P99, in ns. Better: lower.
	UnitEmuLateP99 = "emu-late-p99-ns"
	// UnitCPUBusy is the fraction of the host's CPU time (all CPUs) that
	// was busy during the measured window, 0..1. Better: lower.
	UnitCPUBusy = "cpu-busy"
	// UnitSuspect is 1 when the repetition's own error is large against
	// what it measures (see the runner's self-check), 0 otherwise: a
	// figure of a line with suspect 1 may be the instrument's. Better:
	// lower.
	UnitSuspect = "suspect"
	// UnitGoodput is the measured bodies' bytes over their transfer time
	// (first response byte to the end of the body), in bytes per second.
	// Better: higher.
	UnitGoodput = "goodput-B/s"
)

// Directions a Metric's Better field can name.
const (
	BetterLower  = "lower"
	BetterHigher = "higher"
)

// builtinUnits returns the units every results file declares, with their
// direction. ns/op is included although benchstat knows it: the header then
// documents every unit a line carries.
func builtinUnits() []Metric {
	return []Metric{
		{Unit: UnitMean, Better: BetterLower},
		{Unit: UnitP50, Better: BetterLower},
		{Unit: UnitP90, Better: BetterLower},
		{Unit: UnitP99, Better: BetterLower},
		{Unit: UnitP999, Better: BetterLower},
		{Unit: UnitMax, Better: BetterLower},
		{Unit: UnitP99CO, Better: BetterLower},
		{Unit: UnitAchieved, Better: BetterHigher},
		{Unit: UnitErrors, Better: BetterLower},
	}
}

// failPrefix starts a failure line. benchfmt ignores lines that are neither
// benchmark, unit nor configuration lines, and this one is none of those.
const failPrefix = "--- FAIL: Benchmark"

// A Config is one file-level "key: value" line: the tunebench version, the
// kernel, the link backend, one line per link, and so on.
type Config struct {
	// Key starts with a lower-case letter and contains no white space,
	// upper-case letter or ':', as the benchmark format requires.
	Key string
	// Value is not empty and is one line.
	Value string
}

// checkConfig reports whether c is a configuration line that benchfmt reads
// back as written.
func checkConfig(c Config) error {
	first, _ := utf8.DecodeRuneInString(c.Key)
	switch {
	case c.Key == "":
		return fmt.Errorf("config key is empty")
	case !unicode.IsLower(first):
		return fmt.Errorf("config key %q must start with a lower-case letter", c.Key)
	case strings.ContainsFunc(c.Key, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsUpper(r) || r == ':' }):
		return fmt.Errorf("config key %q must not contain white space, upper-case letters or ':'", c.Key)
	case c.Value == "":
		return fmt.Errorf("config %s: value is empty; leave the key out instead", c.Key)
	case strings.ContainsAny(c.Value, "\r\n"):
		return fmt.Errorf("config %s: value %q is more than one line", c.Key, c.Value)
	case c.Value[0] == ' ' || c.Value[0] == '\t':
		return fmt.Errorf("config %s: value %q starts with white space", c.Key, c.Value)
	}
	return nil
}

// checkUnit reports whether m can be declared and written.
func checkUnit(m Metric) error {
	switch {
	case m.Unit == "":
		return fmt.Errorf("metric has no unit")
	case strings.IndexFunc(m.Unit, unicode.IsSpace) >= 0:
		return fmt.Errorf("unit %q contains white space", m.Unit)
	case strings.Contains(m.Unit, "="):
		return fmt.Errorf("unit %q contains '='", m.Unit)
	case m.Better != BetterLower && m.Better != BetterHigher:
		return fmt.Errorf("unit %s: better is %q; want %q or %q", m.Unit, m.Better, BetterLower, BetterHigher)
	}
	return nil
}

// tidyUnit returns the unit benchfmt files unit metadata under: "p50-ns"
// and "p50-sec" are the same unit to it.
func tidyUnit(unit string) string {
	_, tidy := benchunit.Tidy(1, unit)
	return tidy
}

// formatValue writes v exactly (it parses back to the same float64) and
// without an exponent, unlike the %v of benchfmt.Writer, which writes a
// latency of 40 ms as 4.0009727e+07.
func formatValue(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// oneLine folds a message onto one line, so that a failure line stays one
// line whatever the server printed.
func oneLine(msg string) string {
	msg = strings.Join(strings.Fields(msg), " ")
	if msg == "" {
		return "failed"
	}
	return msg
}

// formatFailure returns the failure line of the named benchmark's repetition
// rep, without its newline.
func formatFailure(name string, rep int, msg string) string {
	return fmt.Sprintf("%s%s rep=%d: %s", failPrefix, name, rep, oneLine(msg))
}

// parseFailure parses a line that starts with failPrefix.
func parseFailure(line string) (name string, rep int, msg string, err error) {
	rest := strings.TrimPrefix(line, failPrefix)
	name, rest, ok := strings.Cut(rest, " rep=")
	if !ok || name == "" || strings.IndexFunc(name, unicode.IsSpace) >= 0 {
		return "", 0, "", fmt.Errorf("failure line without a benchmark name and \"rep=\"")
	}
	num, msg, ok := strings.Cut(rest, ": ")
	if !ok {
		return "", 0, "", fmt.Errorf("failure line without \": \" after the repetition")
	}
	rep, err = strconv.Atoi(num)
	if err != nil || rep < 1 {
		return "", 0, "", fmt.Errorf("failure line: repetition %q is not a positive integer", num)
	}
	return name, rep, msg, nil
}

// splitName splits a benchmark name without its "Benchmark" prefix into the
// suite and the cell.
func splitName(name string) (suite, cell string) {
	suite, cell, _ = strings.Cut(name, "/")
	return suite, cell
}

// parseConfigLine reports whether line is a "key: value" line as benchfmt
// reads it, and splits it. An empty value is reported with ok set.
func parseConfigLine(line string) (key, value string, ok bool) {
	for i, r := range line {
		if i == 0 && !unicode.IsLower(r) {
			return "", "", false
		}
		if unicode.IsSpace(r) || unicode.IsUpper(r) {
			return "", "", false
		}
		if i > 0 && r == ':' {
			key, value = line[:i], line[i+1:]
			if value == "" {
				return key, "", true
			}
			trimmed := strings.TrimLeft(value, " \t")
			if trimmed == value {
				return "", "", false
			}
			return key, trimmed, true
		}
	}
	return "", "", false
}
