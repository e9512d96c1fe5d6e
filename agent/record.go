package agent

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
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

// recorder collects outcomes one at a time (add) and computes the Result
// once (close), as vegeta's Metrics does. It runs on one goroutine.
type recorder struct {
	p      *plan
	start  time.Time
	window time.Time // start of the measured window
	end    time.Time // its end: window + Duration
	all    *tally
	per    []*tally // by request; nil for a mix of one
	lag    *hdrhistogram.Histogram
	trace  traceTally // httptrace of the measured requests
	bodies *bodyDecoder
	moved  transferTally // goodput of the measured bodies

	warmup int
}

// tally is the figures of one request of the mix, or of all.
type tally struct {
	latency, latencyCO *hdrhistogram.Histogram
	errs               errorTally
	requests, errors   int
	sent, completed    int // sent; completed within the window
	bytesIn, bytesOut  uint64
	last               time.Time // latest completion
}

func newTally() *tally {
	return &tally{latency: newLatencyHistogram(), latencyCO: newLatencyHistogram()}
}

// add counts one measured outcome; msg is its failure, if failed.
func (t *tally) add(o *outcome, msg string, failed, inWindow bool) {
	t.requests++
	if !o.start.IsZero() {
		t.sent++
	}
	if inWindow {
		t.completed++
	}
	if o.end.After(t.last) {
		t.last = o.end
	}
	from := o.start
	if from.IsZero() {
		from = o.due
	}
	recordLatency(t.latency, o.end.Sub(from))
	recordLatency(t.latencyCO, o.end.Sub(o.due))
	t.bytesIn += o.bytesIn
	t.bytesOut += o.bytesOut
	if failed {
		t.errors++
		t.errs.add(msg)
	}
}

// newRecorder returns a recorder for a run of p that started at start.
func newRecorder(p *plan, start time.Time) *recorder {
	r := &recorder{
		p:      p,
		start:  start,
		window: start.Add(p.cfg.Warmup),
		all:    newTally(),
		lag:    hdrhistogram.New(codecHistLowest, codecHistHighest, histDigits),
		bodies: newBodyDecoder(p.cfg),
	}
	if p.cfg.Model() == ModelRate {
		r.window = start.Add(time.Duration(p.warmupHits) * p.interval)
	}
	r.end = r.window.Add(p.cfg.Duration)
	if len(p.reqs) > 1 {
		for range p.reqs {
			r.per = append(r.per, newTally())
		}
	}
	return r
}

// add records one outcome.
func (r *recorder) add(o outcome) {
	if !o.measured {
		r.warmup++
		return
	}
	if !o.start.IsZero() {
		// A closed loop sends when the previous request ends: it has no
		// schedule to be late for.
		if r.p.cfg.Model() != ModelConnections {
			lag := o.start.Sub(o.due)
			_ = r.lag.RecordValue(min(max(int64(lag), codecHistLowest), codecHistHighest))
		}
	}
	r.trace.add(o.trace)
	msg, failed := resultError(&o)
	if !failed {
		msg, failed = r.bodies.record(o.body, r.p.reqs[o.req].decode)
	} else {
		r.bodies.record(bodyCheck{}, r.p.reqs[o.req].decode)
	}
	inWindow := !o.end.Before(r.window) && !o.end.After(r.end)
	r.moved.add(&o, failed)
	r.all.add(&o, msg, failed, inWindow)
	if r.per != nil {
		r.per[o.req].add(&o, msg, failed, inWindow)
	}
}

// close computes the result; the recorder may not be used after.
func (r *recorder) close() (*Result, error) {
	a := r.all
	cfg := r.p.cfg
	out := &Result{
		Model:        cfg.Model(),
		Requests:     a.requests,
		Errors:       a.errors,
		ErrorSamples: a.errs.samples(agentErrorSamples),
		BytesIn:      a.bytesIn,
		BytesOut:     a.bytesOut,
		Warmup:       r.warmup,
		Sent:         a.sent,
		Trace:        r.trace.report(cfg),
		WireIn:       r.p.wire.in.Load(),
		WireOut:      r.p.wire.out.Load(),
		MaxInFlight:  r.p.inFlight,
		Transfer:     r.moved.report(),
	}
	if a.requests > 0 {
		out.Elapsed = a.last.Sub(r.window)
	}
	out.Achieved, out.Throughput = r.rates(a)
	var err error
	if out.Latency, err = encodeHistogram(a.latency); err != nil {
		return nil, err
	}
	if out.LatencyCO, err = encodeHistogram(a.latencyCO); err != nil {
		return nil, err
	}
	if r.lag.TotalCount() > 0 {
		if out.SendLag, err = encodeHistogram(r.lag); err != nil {
			return nil, err
		}
	}
	if out.Codec, err = r.bodies.report(); err != nil {
		return nil, err
	}
	for i, t := range r.per {
		rr := RequestResult{Name: r.p.reqs[i].name, Requests: t.requests, Errors: t.errors, ErrorSamples: t.errs.samples(agentErrorSamples), Sent: t.sent}
		rr.Achieved, rr.Throughput = r.rates(t)
		if rr.Latency, err = encodeHistogram(t.latency); err != nil {
			return nil, err
		}
		if rr.LatencyCO, err = encodeHistogram(t.latencyCO); err != nil {
			return nil, err
		}
		out.PerRequest = append(out.PerRequest, rr)
	}
	return out, nil
}

// rates are t's primary rate and throughput (see Result.Achieved).
func (r *recorder) rates(t *tally) (achieved, throughput float64) {
	cfg := r.p.cfg
	throughput = float64(t.completed) / cfg.Duration.Seconds()
	if cfg.Model() != ModelRate {
		return throughput, throughput
	}
	// The rate actually sent: the measured requests sent, per second of
	// the measured schedule. It does not move with latency, nor with the
	// agent's lateness (which SendLag reports); requests never sent lower
	// it.
	return float64(t.sent) / cfg.Duration.Seconds(), throughput
}

// summary is one line of progress for stderr.
func (r *recorder) summary() string {
	return fmt.Sprintf("%d warmup, %d measured, %d errors, p50 %v, p99 %v, p99 corrected %v, send lag p99 %v",
		r.warmup, r.all.requests, r.all.errors,
		time.Duration(r.all.latency.ValueAtPercentile(50)),
		time.Duration(r.all.latency.ValueAtPercentile(99)),
		time.Duration(r.all.latencyCO.ValueAtPercentile(99)),
		time.Duration(r.lag.ValueAtPercentile(99)))
}

// resultError reports whether o failed and how: a transport error, or a
// status other than 2xx.
func resultError(o *outcome) (msg string, failed bool) {
	switch {
	case o.code == 0 && o.err == "":
		return "no response", true
	case o.code == 0:
		return NormalizeError(o.err), true
	case o.code < 200 || o.code > 299:
		return fmt.Sprintf("HTTP %d %s", o.code, http.StatusText(o.code)), true
	case o.err != "":
		return NormalizeError(o.err), true
	}
	return "", false
}

// NormalizeError makes equal failures read equal, so that they are counted
// together (the runner tallies its own readiness errors with it too): it drops net/http's `Get "URL": ` prefix (every request has the
// same URL) and the client's ephemeral address in "tcp A:P->B:Q".
func NormalizeError(msg string) string {
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
