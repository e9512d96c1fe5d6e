package results

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// A Sample is what one repetition of one cell measured.
type Sample struct {
	// Suite is the benchmark's base name, e.g. "Handshake": the line starts
	// with "BenchmarkHandshake/". It must not be empty and must not contain
	// '/' or white space.
	Suite string
	// Cell names the permutation, e.g. "link=wan40/keepalive=off". It must
	// not contain white space, and must not end in "-<digits>", which
	// benchstat would take for a GOMAXPROCS suffix. It may be empty.
	Cell string
	// Rep is the 1-based repetition index.
	Rep int
	// Requests is the number of measured requests (the N column); warm-up
	// requests are excluded.
	Requests int
	// Latency holds the service latency of every measured request in
	// nanoseconds. Use NewHistogram to create it.
	Latency *hdrhistogram.Histogram
	// LatencyCO holds the latency measured from each request's intended send
	// time, which corrects for coordinated omission, in nanoseconds. It may
	// be nil, in which case the line has no p99co-ns value.
	LatencyCO *hdrhistogram.Histogram
	// Achieved is the achieved rate in requests per second.
	Achieved float64
	// Errors is the number of failed requests; Errors/Requests is written as
	// the "errors" fraction.
	Errors int
	// Extra holds further measurements, written after the built-in ones in
	// this order.
	Extra []Metric
	// Failed, when not empty, says why the repetition failed; the sample is
	// then written as a failure line and its measurements are not.
	Failed string
	// Started is when the repetition started; Elapsed is how long it took.
	// They go to the sidecar only.
	Started time.Time
	Elapsed time.Duration
}

// A Metric is one further measurement of a repetition.
type Metric struct {
	Value float64
	// Unit is the benchmark unit, e.g. "retrans/op". It must not contain
	// white space nor repeat a built-in unit. A unit ending in "ns" is shown
	// by benchstat in seconds, like the latency units.
	Unit string
	// Better is "lower" or "higher": which direction is an improvement.
	Better string
}

// Name returns the sample's benchmark name without the "Benchmark" prefix,
// e.g. "Handshake/link=wan40/keepalive=off".
func (s *Sample) Name() string {
	if s.Cell == "" {
		return s.Suite
	}
	return s.Suite + "/" + s.Cell
}

// failure returns the reason s is written as a failure line, or "" if it is
// written as a result line. A repetition in which no request succeeded is a
// failure: its latencies would describe error paths, not service.
func (s *Sample) failure() string {
	switch {
	case s.Failed != "":
		return s.Failed
	case s.Requests <= 0:
		return "no measured requests"
	case s.Errors >= s.Requests:
		return fmt.Sprintf("no successful requests (%d of %d failed)", s.Errors, s.Requests)
	}
	return ""
}

// checkName reports whether s's suite and cell can form a benchmark name that
// benchfmt reads back unchanged.
func (s *Sample) checkName() error {
	switch {
	case s.Suite == "":
		return fmt.Errorf("sample has no suite name")
	case strings.Contains(s.Suite, "/"):
		return fmt.Errorf("suite name %q contains '/'", s.Suite)
	case strings.IndexFunc(s.Suite, unicode.IsSpace) >= 0:
		return fmt.Errorf("suite name %q contains white space", s.Suite)
	case strings.IndexFunc(s.Cell, unicode.IsSpace) >= 0:
		return fmt.Errorf("cell %q contains white space", s.Cell)
	case s.Rep < 1:
		return fmt.Errorf("%s: repetition %d; repetitions count from 1", s.Name(), s.Rep)
	}
	if name := s.Name(); endsInGomaxprocs(name) {
		return fmt.Errorf("benchmark name %q ends in -<digits>, which benchstat reads as GOMAXPROCS; rename the last value", name)
	}
	return nil
}

// endsInGomaxprocs reports whether name ends in "-<digits>", the suffix
// benchfmt splits off as GOMAXPROCS.
func endsInGomaxprocs(name string) bool {
	trimmed := strings.TrimRight(name, "0123456789")
	return len(trimmed) < len(name) && strings.HasSuffix(trimmed, "-")
}

// Histogram range. The lowest discernible value is 1 ns rather than 1 µs:
// with 1 µs, HdrHistogram rounds everything below about 1 ms to 512 ns
// steps, a 1% error on the 50 µs latencies of a link without added delay.
// With 1 ns, values up to 2047 ns are exact and larger ones are kept to 3
// significant digits (0.1%), for about 240 KiB per histogram.
const (
	histLowest = 1
	histDigits = 3
)

// MaxLatency is the largest latency NewHistogram's histograms are sure to
// record. Their range ends at a bucket boundary somewhat above it, beyond
// which RecordValue returns an error, so request timeouts must be shorter.
const MaxLatency = 5 * time.Minute

// NewHistogram returns an empty latency histogram in nanoseconds that tracks
// values from 1 ns to MaxLatency with 3 significant digits.
func NewHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(histLowest, int64(MaxLatency), histDigits)
}

// Summary returns the statistics of h that a results line carries. The mean
// is rounded to the nearest nanosecond; the others are HdrHistogram's
// highest equivalent values. A nil or empty h gives zeros.
func Summary(h *hdrhistogram.Histogram) (mean, p50, p90, p99, p999, max time.Duration) {
	if h == nil || h.TotalCount() == 0 {
		return 0, 0, 0, 0, 0, 0
	}
	q := h.ValueAtPercentilesSlice([]float64{50, 90, 99, 99.9})
	return time.Duration(math.Round(h.Mean())),
		time.Duration(q[0]), time.Duration(q[1]), time.Duration(q[2]), time.Duration(q[3]),
		time.Duration(h.Max())
}
