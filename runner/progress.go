package runner

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tunebench/tunebench/results"
)

// progressLine is the human line printed when a repetition ends:
//
//	[12/24] link=wan40/keepalive=off rep 3: p50 40.9ms p99 44.1ms p99co 45.0ms 50.0 req/s errors 0/150
//	[13/24] link=lan/keepalive=on rep 3: FAILED: server exited: exit status 1: …
//
// n is the repetition's place in the run, of total.
func progressLine(n, total int, s results.Sample) string {
	prefix := fmt.Sprintf("[%d/%d] %s rep %d: ", n, total, s.Cell, s.Rep)
	if s.Failed != "" {
		return prefix + "FAILED: " + oneLine(s.Failed)
	}
	_, p50, _, p99, _, _ := results.Summary(s.Latency)
	var b strings.Builder
	b.WriteString(prefix)
	fmt.Fprintf(&b, "p50 %s p99 %s", shortDuration(p50), shortDuration(p99))
	if s.LatencyCO != nil {
		_, _, _, p99co, _, _ := results.Summary(s.LatencyCO)
		fmt.Fprintf(&b, " p99co %s", shortDuration(p99co))
	}
	fmt.Fprintf(&b, " %.1f req/s errors %d/%d", s.Achieved, s.Errors, s.Requests)
	return b.String()
}

// shortDuration writes d with three significant digits at most, in the
// unit a reader expects for it: 812µs, 40.9ms, 1.25s.
func shortDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0"
	case d < time.Microsecond:
		return strconv.FormatInt(int64(d), 10) + "ns"
	case d < time.Millisecond:
		return sig3(float64(d)/1e3) + "µs"
	case d < time.Second:
		return sig3(float64(d)/1e6) + "ms"
	}
	return sig3(float64(d)/1e9) + "s"
}

// sig3 writes v (1 ≤ v < 1000 in practice) with three significant
// digits: 4.25, 40.9, 409.
func sig3(v float64) string {
	switch {
	case v < 10:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case v < 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

// oneLine folds a message onto one line.
func oneLine(msg string) string {
	return strings.Join(strings.Fields(msg), " ")
}
