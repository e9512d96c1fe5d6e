package runner

import (
	"testing"
	"time"

	"github.com/tunebench/tunebench/scenarios"
)

// TestAPIGRPCEndToEnd runs scenarios/api.yaml's gRPC cell on the real
// kernel over its 40 ms path, over h2c and TLS, one repetition a cell, and
// checks that gRPC unary calls on a kept-alive connection take about one
// round trip, ListOrders and CreateOrder both: every measured call
// answered over gRPC (grpc/op 1) and HTTP/2, no new connection after the
// warmup, the first response byte one round trip after the call was
// written, the ListOrders replies decoded, and wire bytes counted. (That
// REST cells carry no grpc/op is TestAPIAgent's.)
func TestAPIGRPCEndToEnd(t *testing.T) {
	f := runTransportSuite(t, "api.yaml", func(s *scenarios.Suite) {
		var wan []scenarios.Link
		for _, l := range s.Links {
			if l.Name == "wan40" {
				wan = append(wan, l)
			}
		}
		s.Links = wan
		onlyValues(s, "codec", "protobuf")
		onlyValues(s, "api", "grpc")
		s.Skip = nil // it prunes codec json, gone here
		s.Matrix = append(s.Matrix, scenarios.Knob{Name: "tls", Values: []string{"off", "full"}})
		s.Load.Count, s.Load.Duration, s.Load.Warmup, s.Load.Rate = 1, 2*time.Second, time.Second, 20
	})
	const rtt = float64(40 * time.Millisecond)
	for _, tls := range []string{"off", "full"} {
		cell := "link=wan40/api=grpc/codec=protobuf/http=2/tls=" + tls
		for _, req := range []string{"list", "create"} {
			line := cell + "/req=" + req
			must := func(unit string) float64 {
				t.Helper()
				v, ok := cellValues(t, f, line, unit)
				if !ok {
					t.Errorf("%s: no %s; want one", line, unit)
					return 0
				}
				return medianOf(v)
			}
			within := func(unit string, v, lo, hi float64) {
				t.Helper()
				if v < lo || v > hi {
					t.Errorf("%s: %s = %v; want %v..%v", line, unit, v, lo, hi)
				}
			}
			// A unary call on a kept-alive connection: about one round trip.
			within("p50-ns", must("p50-ns"), 0.9*rtt, 1.5*rtt)
			within("conns/op", must("conns/op"), 0, 0.05)
			within("h2/op", must("h2/op"), 1, 1)
			within("ttfb-ns", must("ttfb-ns"), 0.9*rtt, 1.5*rtt)
			if w := must("wire-B/op"); w <= 0 {
				t.Errorf("%s: wire-B/op = %v; want bytes counted", line, w)
			}
			within(unitGRPC, must(unitGRPC), 1, 1)
			within("decoded/op", must("decoded/op"), 1, 1)
		}
	}
}

// TestAPIGRPCSocketKnobsEndToEnd checks on the real kernel that the kernel
// knobs reach gRPC's connections through the agent's dialer, one new
// connection per call over the 40 ms path: with tfo on the calls' SYNs
// carry data (tfo-active/op) and the connect takes no round trip, so a
// call takes about two (grpc-go waits for the server's SETTINGS, then the
// call); with nodelay off Nagle's algorithm holds the call's frames behind
// the unacknowledged ones, at least half a round trip more.
func TestAPIGRPCSocketKnobsEndToEnd(t *testing.T) {
	const suite = `suite: grpcknobs
links: [{name: wan40, rtt: 40ms}]
server: {endpoint: "/orders?items=5"}
matrix:
  api: [grpc]
  http: ["2"]
  keepalive: [off]
  tfo: [on]
  nodelay: [on, off]
load: {rate: 10, duration: 2s, warmup: 1s, count: 1}
`
	f := runTransportSuiteOf(t, func() (*scenarios.Suite, error) { return scenarios.Parse("grpcknobs.yaml", []byte(suite)) }, func(*scenarios.Suite) {})
	const rtt = float64(40 * time.Millisecond)
	p50 := map[string]float64{}
	for _, nd := range []string{"on", "off"} {
		cell := "link=wan40/api=grpc/http=2/keepalive=off/tfo=on/nodelay=" + nd
		must := func(unit string) float64 {
			t.Helper()
			v, ok := cellValues(t, f, cell, unit)
			if !ok {
				t.Fatalf("%s: no %s; want one", cell, unit)
			}
			return medianOf(v)
		}
		if v := must("tfo-active/op"); v < 0.9 {
			t.Errorf("%s: tfo-active/op = %v; want about 1 (each call's SYN carries data)", cell, v)
		}
		if v := must("connect-ns"); v > 0.25*rtt {
			t.Errorf("%s: connect-ns = %v; want well under a round trip with Fast Open", cell, v)
		}
		if v := must(unitGRPC); v != 1 {
			t.Errorf("%s: %s = %v; want 1", cell, unitGRPC, v)
		}
		p50[nd] = must("p50-ns")
	}
	if v := p50["on"]; v < 1.5*rtt || v > 2.8*rtt {
		t.Errorf("nodelay on: p50 %v; want about two round trips (%v)", time.Duration(v), time.Duration(2*rtt))
	}
	if p50["off"] < p50["on"]+0.5*rtt {
		t.Errorf("nodelay off: p50 %v; want at least half a round trip above nodelay on's %v", time.Duration(p50["off"]), time.Duration(p50["on"]))
	}
}
