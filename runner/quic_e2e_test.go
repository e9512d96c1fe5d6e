package runner

import (
	"testing"
	"time"

	"github.com/tunebench/tunebench/netem"
	"github.com/tunebench/tunebench/scenarios"
)

// TestHTTP3HandshakesEndToEnd runs cells of scenarios/handshakes.yaml (one
// repetition each) on the real kernel, a new connection per request over
// the 40 ms path, UDP through the link emulator included: HTTP/2 over TLS
// 1.3 takes about three round trips (TCP, TLS, the request), HTTP/3 with a
// full handshake about two (QUIC's handshake carries TLS's), and HTTP/3
// with 0-RTT about one (the request rides in the first flight: 0rtt/op near
// 1 after the warmup).
func TestHTTP3HandshakesEndToEnd(t *testing.T) {
	f := runTransportSuite(t, "handshakes.yaml", func(s *scenarios.Suite) {
		onlyValues(s, "http", "2", "3")
		onlyValues(s, "tls", "full", "resume", "0rtt")
		onlyValues(s, "tfo", "off")
		s.Skip = []map[string]string{{"tls": "0rtt", "http": "2"}, {"tls": "resume", "http": "2"}}
		s.Load.Count, s.Load.Duration, s.Load.Warmup = 1, 2*time.Second, time.Second
	})
	const rtt = float64(40 * time.Millisecond)
	p50 := map[string]float64{}
	for _, c := range []struct {
		name     string
		rtts     [2]float64 // range of the median latency, in round trips
		resumed  float64    // least tls-resumed/op
		early    [2]float64 // range of 0rtt/op; none over TCP
		overQUIC bool
	}{
		{"http=2/tls=full", [2]float64{2.5, 3.9}, 0, [2]float64{-1, -1}, false},
		{"http=3/tls=full", [2]float64{1.6, 2.9}, 0, [2]float64{0, 0}, true},
		{"http=3/tls=resume", [2]float64{1.6, 2.9}, 0.9, [2]float64{0, 0}, true},
		{"http=3/tls=0rtt", [2]float64{0.8, 1.7}, 0.9, [2]float64{0.9, 1}, true},
	} {
		cell := "link=wan40/keepalive=off/" + c.name + "/tfo=off"
		get := func(unit string) float64 {
			v, ok := cellValues(t, f, cell, unit)
			if !ok {
				t.Errorf("%s: no %s; want one", cell, unit)
				return -1
			}
			return medianOf(v)
		}
		lat := get("p50-ns")
		p50[c.name] = lat
		t.Logf("%s: p50 %v (%.2f RTT)", cell, time.Duration(lat), lat/rtt)
		if r := lat / rtt; r < c.rtts[0] || r > c.rtts[1] {
			t.Errorf("%s: p50 %v is %.2f round trips; want %v..%v", cell, time.Duration(lat), r, c.rtts[0], c.rtts[1])
		}
		if v := get("tls-resumed/op"); v < c.resumed {
			t.Errorf("%s: tls-resumed/op %v; want at least %v", cell, v, c.resumed)
		}
		if !c.overQUIC {
			if _, ok := cellValues(t, f, cell, unitHTTP3); ok {
				t.Errorf("%s: got %s; want none over TCP", cell, unitHTTP3)
			}
			continue
		}
		if v := get(unitHTTP3); v != 1 {
			t.Errorf("%s: h3/op %v; want 1", cell, v)
		}
		if v := get(unitZeroRTT); v < c.early[0] || v > c.early[1] {
			t.Errorf("%s: 0rtt/op %v; want %v..%v", cell, v, c.early[0], c.early[1])
		}
		if v := get(unitQUICConns); v < 0.95 || v > 1.05 {
			t.Errorf("%s: quic-conns/op %v; want 1 (a new QUIC connection per request)", cell, v)
		}
		if v := get(unitQUICSent); v <= 0 {
			t.Errorf("%s: quic-pkts/op %v; want packets", cell, v)
		}
		get(unitQUICLost)
	}
	// Each mechanism saves a round trip: QUIC's combined handshake, then
	// early data.
	if p50["http=2/tls=full"]-p50["http=3/tls=full"] < rtt/2 || p50["http=3/tls=full"]-p50["http=3/tls=0rtt"] < rtt/2 {
		t.Errorf("p50: h2 full %v, h3 full %v, h3 0rtt %v; want each at least half a round trip below the one before",
			time.Duration(p50["http=2/tls=full"]), time.Duration(p50["http=3/tls=full"]), time.Duration(p50["http=3/tls=0rtt"]))
	}
}

// TestHOLEndToEnd runs scenarios/hol.yaml at 3 % loss (two repetitions
// of each cell): eight requests in flight on one connection, TCP pinned to
// CUBIC as QUIC's is. A lost TCP segment stalls all eight HTTP/2 streams, a
// lost QUIC packet only its own stream, so HTTP/3's tail (p99) is below
// HTTP/2's.
func TestHOLEndToEnd(t *testing.T) {
	f := runTransportSuite(t, "hol.yaml", func(s *scenarios.Suite) {
		s.Links = []scenarios.Link{s.Links[2]}
		s.Load.Count, s.Load.Duration = 2, 4*time.Second
	})
	tail := map[string]float64{}
	for _, h := range []string{"2", "3"} {
		cell := "link=loss3/http=" + h + "/tls=full/keepalive=on/cc=cubic"
		p99, ok := cellValues(t, f, cell, "p99-ns")
		p50, _ := cellValues(t, f, cell, "p50-ns")
		if !ok || len(p50) == 0 {
			t.Errorf("%s: no p99-ns or p50-ns", cell)
			continue
		}
		tail[h] = medianOf(p99)
		lost := "retrans/op"
		if h == "3" {
			lost = unitQUICLost
		}
		l, _ := cellValues(t, f, cell, lost)
		t.Logf("%s: p50 %v, p99 %v, %s %v", cell, time.Duration(medianOf(p50)), time.Duration(medianOf(p99)), lost, l)
	}
	// quic-go sends with UDP GSO through the TUN emulator, which splits the
	// super-packets; on the kernel backend the runner turns GSO off on a
	// lossy link (quicGSOEnv).
	backend := ""
	for _, c := range f.Config {
		if c.Key == "backend" {
			backend = c.Value
		}
	}
	if gso, ok := cellValues(t, f, "link=loss3/http=3/tls=full/keepalive=on/cc=cubic", unitQUICGSO); ok {
		want := 1.0
		if backend == netem.BackendNetem {
			want = 0
		}
		if medianOf(gso) != want {
			t.Errorf("backend %s: quic-gso %v; want %v", backend, gso, want)
		}
	}
	if h2, h3 := tail["2"], tail["3"]; h2 == 0 || h3 == 0 || h3 >= h2 {
		t.Errorf("3 %% loss: p99 HTTP/2 %v, HTTP/3 %v; want HTTP/3's tail below HTTP/2's", time.Duration(h2), time.Duration(h3))
	}
}
