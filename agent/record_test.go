package agent

import (
	"testing"
	"time"
)

// TestRecorderTrace feeds the recorder outcomes and traces by hand: the
// traces of warmup requests are dropped, whatever order they come in, and
// a retry is a second connection for one request.
func TestRecorderTrace(t *testing.T) {
	p, err := newPlan(Config{URL: "https://127.0.0.1/", TLS: "resume", Rate: 10, Warmup: 200 * time.Millisecond, Duration: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	mk := func(seq int, newConns, gotConns, resumed int) outcome {
		tr := &requestTrace{start: now, newConns: newConns, gotConns: gotConns, handshakes: newConns,
			resumed: resumed, connect: time.Duration(seq+1) * time.Millisecond, wrote: now, firstByte: now.Add(5 * time.Millisecond),
			bodyEnd: now.Add(6 * time.Millisecond), protoMajor: 2}
		if seq == 2 {
			tr.connect = 0
		}
		return outcome{due: now, start: now, end: now.Add(10 * time.Millisecond), code: 200, trace: tr, measured: seq >= 2}
	}
	// 0 and 1 are warmup, each on a new connection with a full
	// handshake; 2..4 are measured: 2 reused, 3 retried onto a new
	// resumed connection, 4 new and resumed.
	outs := map[int]outcome{0: mk(0, 1, 1, 0), 1: mk(1, 1, 1, 0), 2: mk(2, 0, 1, 0), 3: mk(3, 1, 2, 1), 4: mk(4, 1, 1, 1)}
	rec := newRecorder(p, now)
	for _, seq := range []int{4, 0, 2, 1, 3} {
		rec.add(outs[seq])
	}
	res, err := rec.close()
	if err != nil {
		t.Fatal(err)
	}
	got := res.Trace
	want := TraceReport{TLS: true, Requests: 3, NewConns: 2, Retries: 1, Handshakes: 2, Resumed: 2, HTTP2: 3}
	if got == nil || got.TLS != want.TLS || got.Requests != want.Requests || got.NewConns != want.NewConns || got.Retries != want.Retries ||
		got.Handshakes != want.Handshakes || got.Resumed != want.Resumed || got.HTTP2 != want.HTTP2 {
		t.Fatalf("got %+v; want counts %+v", got, want)
	}
	// HDR histograms keep 3 significant digits.
	if got.Connect.Count != 2 || got.Connect.P50 < 3990*time.Microsecond || got.Connect.P50 > 5010*time.Microsecond {
		t.Errorf("connect: got %+v; want 2 phases (4 and 5 ms), median 4..5ms", got.Connect)
	}
	if got.TTFB.Count != 3 || got.TTFB.P50 < 4990*time.Microsecond || got.TTFB.P50 > 5010*time.Microsecond {
		t.Errorf("ttfb: got %+v; want 3 of 5ms", got.TTFB)
	}
	if res.Requests != 3 || res.Warmup != 2 || res.Sent != 3 {
		t.Errorf("got %d requests, %d warmup, %d sent; want 3, 2, 3", res.Requests, res.Warmup, res.Sent)
	}
}

// TestRecorderRates: in open loop the primary rate is what was sent over
// the measured schedule, whatever the latency; an unsent request is an
// error that is not sent; completions are counted apart.
func TestRecorderRates(t *testing.T) {
	p, err := newPlan(Config{URL: "http://h/", Rate: 10, Duration: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	rec := newRecorder(p, start)
	for k := range uint64(10) {
		due := start.Add(p.due(k))
		o := outcome{due: due, start: due.Add(time.Duration(k) * time.Microsecond), code: 200, measured: true}
		// Slow answers: the last three end after the window.
		o.end = o.start.Add(300 * time.Millisecond)
		if k == 9 {
			o.start, o.code, o.err = time.Time{}, 0, "not sent"
		}
		rec.add(o)
	}
	res, err := rec.close()
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 9 || res.Achieved != 9 || res.Errors != 1 || res.Requests != 10 {
		t.Errorf("got %d sent, %v req/s, %d errors of %d; want 9, 9, 1 of 10", res.Sent, res.Achieved, res.Errors, res.Requests)
	}
	// Due at 0.1..0.9 s, sent k µs late, ending 0.3 s later: those due at
	// 0.1..0.6 s end within 1 s (0.7 s ends 6µs after it).
	if res.Throughput != 6 {
		t.Errorf("got throughput %v; want 6 completions in the 1 s window", res.Throughput)
	}
	lag, err := DecodeHistogram(res.SendLag)
	if err != nil || lag.TotalCount() != 9 || lag.Max() < 8000 || lag.Max() > 8100 {
		t.Errorf("send lag: %v, %d values, max %d; want 9, max 8µs", err, lag.TotalCount(), lag.Max())
	}
}
