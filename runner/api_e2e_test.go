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
