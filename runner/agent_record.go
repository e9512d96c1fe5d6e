package runner

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Geometry of the agent's latency histograms, in nanoseconds.
const (
	histLowest  = int64(time.Microsecond)
	histHighest = int64(5 * time.Minute)
	histDigits  = 3
)

// newLatencyHistogram returns an empty histogram with the agent's geometry.
func newLatencyHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(histLowest, histHighest, histDigits)
}

// recordLatency records d, clamped to the histogram's range so that no
// request is dropped: below 1µs counts as 1µs, above 5min as 5min.
func recordLatency(h *hdrhistogram.Histogram, d time.Duration) {
	v := min(max(int64(d), histLowest), histHighest)
	// In range by construction, so RecordValue cannot fail.
	_ = h.RecordValue(v)
}

// encodeHistogram encodes h in the V2 compressed form. hdrhistogram's Encode
// returns it base64 encoded; the base64 layer is removed because JSON adds
// its own to a []byte, and two would make the result a third larger.
func encodeHistogram(h *hdrhistogram.Histogram) ([]byte, error) {
	text, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return nil, fmt.Errorf("load agent: encoding histogram: %w", err)
	}
	raw, err := base64.StdEncoding.DecodeString(string(text))
	if err != nil {
		return nil, fmt.Errorf("load agent: encoding histogram: %w", err)
	}
	return raw, nil
}

// DecodeHistogram decodes AgentResult.Latency or LatencyCO. b is the V2
// compressed HDR histogram form without base64;
// base64.StdEncoding.EncodeToString(b) is the usual textual form ("HISTF…")
// that other HdrHistogram tools read.
func DecodeHistogram(b []byte) (*hdrhistogram.Histogram, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("decoding histogram: empty; the agent writes one for every run, so the result was cut short")
	}
	h, err := hdrhistogram.Decode([]byte(base64.StdEncoding.EncodeToString(b)))
	if err != nil {
		return nil, fmt.Errorf("decoding histogram: %w; give the bytes of AgentResult.Latency or LatencyCO", err)
	}
	return h, nil
}

// agentRecorder collects measured results one at a time (add) and computes
// the AgentResult once (close), as vegeta's Metrics does.
type agentRecorder struct {
	plan      *agentPlan
	began     time.Time
	window    time.Time // start of the measured window: end of the warmup schedule
	latency   *hdrhistogram.Histogram
	latencyCO *hdrhistogram.Histogram
	errs      errorTally
	trace     traceTally   // httptrace of the measured requests
	bodies    *bodyDecoder // decodes the measured bodies; nil without a codec

	requests, errors, warmup int
	bytesIn, bytesOut        uint64
	last                     time.Time // latest measured completion
}

// newAgentRecorder returns a recorder for an attack of plan that began at
// began.
func newAgentRecorder(plan *agentPlan, began time.Time) *agentRecorder {
	return &agentRecorder{
		plan:      plan,
		began:     began,
		window:    began.Add(time.Duration(plan.warmupHits) * plan.interval),
		latency:   newLatencyHistogram(),
		latencyCO: newLatencyHistogram(),
		bodies:    newBodyDecoder(plan.cfg),
	}
}

// add records one vegeta result.
//
// vegeta numbers hits from 0 in the order workers start them and stamps
// Timestamp in the same critical section, so the k-th hit started is Seq k;
// it cannot start before the k-th tick, which the pacer sends no earlier
// than due(k). The CO latency End − due(Seq) is therefore never below
// Latency, even when two workers start in a different order than they got
// their ticks.
func (r *agentRecorder) add(res *vegeta.Result) {
	if res.Seq < r.plan.warmupHits {
		r.plan.trace.take(res.Seq) // a warmup request's trace is dropped
		r.warmup++
		return
	}
	r.requests++
	r.trace.add(r.plan.trace.take(res.Seq))
	end := res.End()
	if end.After(r.last) {
		r.last = end
	}
	recordLatency(r.latency, res.Latency)
	recordLatency(r.latencyCO, end.Sub(r.began.Add(r.plan.due(res.Seq))))
	r.bytesIn += res.BytesIn
	r.bytesOut += res.BytesOut
	msg, failed := resultError(res)
	if !failed {
		msg, failed = r.bodies.check(res)
	}
	if failed {
		r.errors++
		r.errs.add(msg)
	}
}

// close computes the result; the recorder may not be used after.
func (r *agentRecorder) close() (*AgentResult, error) {
	out := &AgentResult{
		Requests:     r.requests,
		Errors:       r.errors,
		ErrorSamples: r.errs.samples(agentErrorSamples),
		BytesIn:      r.bytesIn,
		BytesOut:     r.bytesOut,
		Warmup:       r.warmup,
		Trace:        r.trace.report(r.plan.cfg),
		WireIn:       r.plan.wire.in.Load(),
		WireOut:      r.plan.wire.out.Load(),
	}
	if r.requests > 0 {
		out.Elapsed = r.last.Sub(r.window)
	}
	if out.Elapsed > 0 {
		out.Achieved = float64(r.requests) / out.Elapsed.Seconds()
	}
	var err error
	if out.Latency, err = encodeHistogram(r.latency); err != nil {
		return nil, err
	}
	if out.LatencyCO, err = encodeHistogram(r.latencyCO); err != nil {
		return nil, err
	}
	if out.Codec, err = r.bodies.report(); err != nil {
		return nil, err
	}
	return out, nil
}

// summary is one line of progress for stderr.
func (r *agentRecorder) summary() string {
	return fmt.Sprintf("%d warmup, %d measured, %d errors, p50 %v, p99 %v, p99 corrected %v",
		r.warmup, r.requests, r.errors,
		time.Duration(r.latency.ValueAtPercentile(50)),
		time.Duration(r.latency.ValueAtPercentile(99)),
		time.Duration(r.latencyCO.ValueAtPercentile(99)))
}

// resultError reports whether res failed and how: a transport error, or a
// status other than 2xx (vegeta itself counts 3xx as success).
func resultError(res *vegeta.Result) (msg string, failed bool) {
	switch {
	case res.Code == 0 && res.Error == "":
		return "no response", true
	case res.Code == 0:
		return normalizeError(res.Error), true
	case res.Code < 200 || res.Code > 299:
		return fmt.Sprintf("HTTP %d %s", res.Code, http.StatusText(int(res.Code))), true
	case res.Error != "":
		return normalizeError(res.Error), true
	}
	return "", false
}

// normalizeError makes equal failures read equal, so that they are counted
// together: it drops net/http's `Get "URL": ` prefix (every request has the
// same URL) and the client's ephemeral address in "tcp A:P->B:Q".
func normalizeError(msg string) string {
	if i := strings.Index(msg, `": `); i > 0 {
		if op, _, ok := strings.Cut(msg[:i], ` "`); ok && op != "" && !strings.Contains(op, " ") {
			msg = msg[i+3:]
		}
	}
	var b strings.Builder
	for {
		arrow := strings.Index(msg, "->")
		if arrow < 0 {
			b.WriteString(msg)
			return b.String()
		}
		start := strings.LastIndex(msg[:arrow], " ") + 1
		b.WriteString(msg[:start])
		msg = msg[arrow+2:]
	}
}

// agentErrorSamples is how many distinct error messages a result keeps.
const agentErrorSamples = 5

// errorTallyMax bounds the distinct messages counted, so a flood of unique
// messages cannot grow memory; the rest are counted under "other errors".
const errorTallyMax = 64

// errorTally counts error messages. The zero value is ready to use.
type errorTally struct {
	counts map[string]int
	order  []string // first-seen order, for stable ties
}

// add counts one occurrence of msg.
func (t *errorTally) add(msg string) {
	if t.counts == nil {
		t.counts = make(map[string]int)
	}
	if _, ok := t.counts[msg]; !ok {
		if len(t.order) >= errorTallyMax {
			msg = "other errors"
		}
		if _, ok := t.counts[msg]; !ok {
			t.order = append(t.order, msg)
		}
	}
	t.counts[msg]++
}

// samples returns up to n messages as "count× message", most frequent
// first, ties in the order first seen.
func (t *errorTally) samples(n int) []string {
	order := append([]string(nil), t.order...)
	sort.SliceStable(order, func(i, j int) bool { return t.counts[order[i]] > t.counts[order[j]] })
	if len(order) > n {
		order = order[:n]
	}
	var out []string
	for _, msg := range order {
		out = append(out, fmt.Sprintf("%d× %s", t.counts[msg], msg))
	}
	return out
}
