package runner

import (
	"context"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/tunebench/tunebench/results"
	"github.com/tunebench/tunebench/servers"
)

// serveReference runs the reference server with tr on a loopback port until
// the test ends and returns its host:port.
func serveReference(t *testing.T, tr servers.Transport, idle time.Duration) string {
	t.Helper()
	ln, err := servers.Listen(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- servers.Serve(ctx, ln, servers.Config{Transport: tr, IdleTimeout: idle}) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// TestAgentTraceTransport runs the agent against the reference server over
// loopback for each TLS mode and HTTP version, one connection per request,
// and checks what the trace counted: every measured request (and only
// those: 30 of 50) on a new connection, with a TLS handshake that resumed
// exactly when the agent has a session cache, over HTTP/2 exactly when
// asked.
func TestAgentTraceTransport(t *testing.T) {
	for _, tls := range []string{"off", "full", "resume"} {
		for _, h2 := range []bool{false, true} {
			name := "tls=" + tls + "/http=1.1"
			if h2 {
				name = "tls=" + tls + "/http=2"
			}
			t.Run(name, func(t *testing.T) {
				addr := serveReference(t, servers.Transport{TLS: tls != "off", HTTP2: h2}, 0)
				scheme := "http"
				if tls != "off" {
					scheme = "https"
				}
				res := runAgent(t, AgentConfig{URL: scheme + "://" + addr + "/orders?items=2", Rate: 100,
					Warmup: 200 * time.Millisecond, Duration: 300 * time.Millisecond,
					Timeout: 5 * time.Second, TLS: tls, HTTP2: h2})
				tr := res.Trace
				if res.Requests != 30 || res.Warmup != 20 || res.Errors != 0 || tr == nil || tr.Requests != 30 {
					t.Fatalf("got %d measured, %d warmup, %d errors %q, trace %+v; want 30, 20, 0 and a trace of 30",
						res.Requests, res.Warmup, res.Errors, res.ErrorSamples, tr)
				}
				want := func(what string, got, want int) {
					t.Helper()
					if got != want {
						t.Errorf("%s: got %d of 30; want %d", what, got, want)
					}
				}
				want("new connections", tr.NewConns, 30)
				want("retries", tr.Retries, 0)
				want("connect phases", tr.Connect.Count, 30)
				want("first bytes", tr.TTFB.Count, 30)
				want("body reads", tr.Body.Count, 30)
				handshakes, resumed, http2 := 0, 0, 0
				if tls != "off" {
					handshakes = 30
				}
				if tls == "resume" {
					resumed = 30 // the warmup left tickets in the cache
				}
				if h2 {
					http2 = 30
				}
				want("TLS handshakes", tr.Handshakes, handshakes)
				want("TLS phases", tr.Handshake.Count, handshakes)
				want("resumed handshakes", tr.Resumed, resumed)
				want("HTTP/2 responses", tr.HTTP2, http2)
				if tr.Connect.P50 <= 0 || tr.Connect.P50 > time.Second || tr.TTFB.P50 <= 0 || tr.TTFB.P50 > time.Second {
					t.Errorf("got connect p50 %v, ttfb p50 %v; want both above 0 and under 1s on loopback", tr.Connect.P50, tr.TTFB.P50)
				}
			})
		}
	}
}

// TestAgentTraceKeepAlive: with keep-alive the measured requests reuse the
// warmup's connections, so no measured request has a connect phase; a
// client idle timeout shorter than the request interval makes every
// request dial again; a server that closes after 2 requests makes every
// other one dial.
func TestAgentTraceKeepAlive(t *testing.T) {
	tests := []struct {
		name        string
		idle        time.Duration
		maxRequests int
		min, max    int // new connections of 20 measured requests
	}{
		{name: "reused", min: 0, max: 0},
		{name: "client_idle=10ms", idle: 10 * time.Millisecond, min: 20, max: 20},
		{name: "max_requests=2", maxRequests: 2, min: 10, max: 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := serveReference(t, servers.Transport{MaxRequests: tt.maxRequests}, 0)
			// One worker at 20 req/s: requests go one at a time, 50 ms apart.
			res := runAgent(t, AgentConfig{URL: "http://" + addr + "/healthz", Rate: 20, KeepAlive: true,
				Warmup: 200 * time.Millisecond, Duration: time.Second, Timeout: 5 * time.Second,
				Workers: 1, MaxWorkers: 1, IdleTimeout: tt.idle})
			tr := res.Trace
			if res.Requests != 20 || res.Errors != 0 || tr == nil {
				t.Fatalf("got %d requests, %d errors %q, trace %+v; want 20, 0, a trace", res.Requests, res.Errors, res.ErrorSamples, tr)
			}
			if tr.NewConns < tt.min || tr.NewConns > tt.max || tr.Connect.Count != tr.NewConns || tr.Retries != 0 {
				t.Errorf("got %d new connections, %d connect phases, %d retries; want %d..%d new, as many connects, no retries",
					tr.NewConns, tr.Connect.Count, tr.Retries, tt.min, tt.max)
			}
		})
	}
}

// TestAgentTraceAttribution feeds the recorder results and traces by hand:
// the traces of warmup hits are dropped, by Seq, whatever order they come
// in, and a retry is a second connection for one request.
func TestAgentTraceAttribution(t *testing.T) {
	p, err := newAgentPlan(AgentConfig{URL: "https://127.0.0.1/", TLS: "resume", Rate: 10, Warmup: 200 * time.Millisecond, Duration: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	p.trace = newAgentTracer()
	now := time.Now()
	mk := func(seq uint64, newConns, gotConns, resumed int) {
		p.trace.open[seq] = &requestTrace{start: now, newConns: newConns, gotConns: gotConns, handshakes: newConns,
			resumed: resumed, connect: time.Duration(seq+1) * time.Millisecond, wrote: now, firstByte: now.Add(5 * time.Millisecond),
			bodyEnd: now.Add(6 * time.Millisecond), protoMajor: 2}
	}
	// Hits 0 and 1 are warmup, each on a new connection with a full
	// handshake; 2..4 are measured: 2 reused, 3 retried onto a new
	// resumed connection, 4 new and resumed.
	mk(0, 1, 1, 0)
	mk(1, 1, 1, 0)
	mk(2, 0, 1, 0)
	mk(3, 1, 2, 1)
	mk(4, 1, 1, 1)
	p.trace.open[2].connect = 0
	rec := newAgentRecorder(p, now)
	for _, seq := range []uint64{4, 0, 2, 1, 3} {
		rec.add(&vegeta.Result{Seq: seq, Code: 200, Timestamp: now, Latency: 10 * time.Millisecond})
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
		t.Errorf("connect: got %+v; want 2 phases (hits 3 and 4: 4 and 5 ms), median 4..5ms", got.Connect)
	}
	if got.TTFB.Count != 3 || got.TTFB.P50 < 4990*time.Microsecond || got.TTFB.P50 > 5010*time.Microsecond {
		t.Errorf("ttfb: got %+v; want 3 of 5ms", got.TTFB)
	}
	if len(p.trace.open) != 0 {
		t.Errorf("%d traces left in the tracer; want every one taken", len(p.trace.open))
	}

	// The sample's units.
	units := map[string]float64{}
	for _, m := range traceMetrics(got) {
		units[m.Unit] = m.Value
		if m.Better != results.BetterLower && m.Better != results.BetterHigher {
			t.Errorf("%s: better %q", m.Unit, m.Better)
		}
	}
	for unit, v := range map[string]float64{"conns/op": 2.0 / 3, "retries/op": 1.0 / 3, "tls-handshakes/op": 2.0 / 3, "tls-resumed/op": 2.0 / 3} {
		if got, ok := units[unit]; !ok || got != v {
			t.Errorf("%s: got %v (present %v); want %v", unit, got, ok, v)
		}
	}
	for _, unit := range []string{"connect-ns", "tls-ns", "ttfb-ns", "body-ns"} {
		if _, ok := units[unit]; !ok && unit != "tls-ns" {
			t.Errorf("no %s; want one", unit)
		}
	}
	if _, ok := units["h2/op"]; ok {
		t.Errorf("got h2/op for a run that did not ask for HTTP/2; want none")
	}
}

func TestAgentTransportConfig(t *testing.T) {
	tests := []struct {
		cfg AgentConfig
		err string
	}{
		{AgentConfig{URL: "https://198.18.0.2/", TLS: "full"}, ""},
		{AgentConfig{URL: "http://198.18.0.2/", TLS: "off", HTTP2: true}, ""},
		{AgentConfig{URL: "http://198.18.0.2/", TLS: "resume"}, `load agent: tls resume needs an https:// URL, not "http://198.18.0.2/"`},
		{AgentConfig{URL: "https://198.18.0.2/"}, ""},
		{AgentConfig{URL: "https://198.18.0.2/", TLS: "off"}, "is https but tls is off"},
		{AgentConfig{URL: "https://198.18.0.2/", TLS: "on"}, `load agent: tls "on": give off, full or resume`},
		{AgentConfig{URL: "http://198.18.0.2/", IdleTimeout: -1}, "client idle timeout -1ns: negative"},
	}
	for _, tt := range tests {
		tt.cfg.Rate, tt.cfg.Duration = 10, time.Second
		_, err := newAgentPlan(tt.cfg)
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("%+v: %v; want no error", tt.cfg, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%+v: got %v; want error containing %q", tt.cfg, err, tt.err)
		}
	}
}
