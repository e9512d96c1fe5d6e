package agent

import (
	"context"
	"strings"
	"testing"
	"time"

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
				res := runAgent(t, Config{URL: scheme + "://" + addr + "/orders?items=2", Rate: 100,
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
				// HTTP/2 without keep-alive makes single-use connections, and
				// net/http may hand a request one that is closing and retry
				// it, or give a request the connection another one dialed: on
				// a busy machine a request or two of 30 is counted one off.
				near := want
				if h2 {
					near = func(what string, got, want int) {
						t.Helper()
						if got < want-2 || got > want+2 {
							t.Errorf("%s: got %d of 30; want %d±2", what, got, want)
						}
					}
				}
				near("new connections", tr.NewConns, 30)
				near("retries", tr.Retries, 0)
				near("connect phases", tr.Connect.Count, 30)
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
				near("TLS handshakes", tr.Handshakes, handshakes)
				near("TLS phases", tr.Handshake.Count, handshakes)
				near("resumed handshakes", tr.Resumed, resumed)
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
			res := runAgent(t, Config{URL: "http://" + addr + "/healthz", Rate: 20, KeepAlive: true,
				Warmup: 200 * time.Millisecond, Duration: time.Second, Timeout: 5 * time.Second,
				MaxInFlight: 1, IdleTimeout: tt.idle})
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

func TestAgentTransportConfig(t *testing.T) {
	tests := []struct {
		cfg Config
		err string
	}{
		{Config{URL: "https://198.18.0.2/", TLS: "full"}, ""},
		{Config{URL: "http://198.18.0.2/", TLS: "off", HTTP2: true}, ""},
		{Config{URL: "http://198.18.0.2/", TLS: "resume"}, `load agent: tls resume needs an https:// URL, not "http://198.18.0.2/"`},
		{Config{URL: "https://198.18.0.2/"}, ""},
		{Config{URL: "https://198.18.0.2/", TLS: "off"}, "is https but tls is off"},
		{Config{URL: "https://198.18.0.2/", TLS: "on"}, `load agent: tls "on": give off, full, resume or 0rtt`},
		{Config{URL: "http://198.18.0.2/", IdleTimeout: -1}, "client idle timeout -1ns: negative"},
	}
	for _, tt := range tests {
		tt.cfg.Rate, tt.cfg.Duration = 10, time.Second
		_, err := newPlan(tt.cfg)
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("%+v: %v; want no error", tt.cfg, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%+v: got %v; want error containing %q", tt.cfg, err, tt.err)
		}
	}
}
