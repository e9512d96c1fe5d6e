package runner

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
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

// Event kinds, in the order a run reports them.
const (
	// EventStart: the run is about to measure its first repetition.
	EventStart = "start"
	// EventBegin: a repetition is starting (Cell, Rep and N are set).
	EventBegin = "begin"
	// EventRep: a repetition ended and was written; the measurements are
	// set, or Failed.
	EventRep = "rep"
)

// An Event is what Run reports to Options.Events as it goes: tools read
// the "rep" events (see JSONEvents), the terminal display all of them.
type Event struct {
	Type string `json:"type"`
	// Time is when it happened; Elapsed is the time since the run started.
	Time    time.Time     `json:"time"`
	Elapsed time.Duration `json:"elapsed_ns"`
	// N is the repetition's place among the Total the run measures (a
	// resumed run counts only what it lacks); Cells is the number of cells.
	N     int `json:"n,omitempty"`
	Total int `json:"total"`
	Cells int `json:"cells"`
	// Suite, Cell and Rep name the repetition.
	Suite string `json:"suite,omitempty"`
	Cell  string `json:"cell,omitempty"`
	Rep   int    `json:"rep,omitempty"`
	// Failed says why the repetition failed; empty when it did not.
	Failed string `json:"failed,omitempty"`
	// The measurements of a repetition that did not fail.
	Requests  int     `json:"requests,omitempty"`
	Errors    int     `json:"errors,omitempty"`
	ReqPerSec float64 `json:"req_per_sec,omitempty"`
	P50       int64   `json:"p50_ns,omitempty"`
	P90       int64   `json:"p90_ns,omitempty"`
	P99       int64   `json:"p99_ns,omitempty"`
	P999      int64   `json:"p999_ns,omitempty"`
	// Extra holds the further metrics of the line by unit, e.g.
	// "connect-ns".
	Extra map[string]float64 `json:"extra,omitempty"`
}

// repEvent is the EventRep of sample s, the n-th of total.
func repEvent(start time.Time, n, total, cells int, s results.Sample) Event {
	now := time.Now()
	e := Event{Type: EventRep, Time: now, Elapsed: now.Sub(start), N: n, Total: total, Cells: cells,
		Suite: s.Suite, Cell: s.Cell, Rep: s.Rep}
	if s.Failed != "" {
		e.Failed = oneLine(s.Failed)
		return e
	}
	e.Requests, e.Errors, e.ReqPerSec = s.Requests, s.Errors, s.Achieved
	if s.Latency != nil {
		_, p50, p90, p99, p999, _ := results.Summary(s.Latency)
		e.P50, e.P90, e.P99, e.P999 = int64(p50), int64(p90), int64(p99), int64(p999)
	}
	if len(s.Extra) > 0 {
		e.Extra = make(map[string]float64, len(s.Extra))
		for _, m := range s.Extra {
			e.Extra[m.Unit] = m.Value
		}
	}
	return e
}

// JSONEvents returns an Options.Events function that writes every "rep"
// event to w as one line of JSON, for tools that follow a run. Write
// errors are dropped: the results file, not this stream, is the record.
func JSONEvents(w io.Writer) func(Event) {
	var mu sync.Mutex
	enc := json.NewEncoder(w)
	return func(e Event) {
		if e.Type != EventRep {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		_ = enc.Encode(e)
	}
}
