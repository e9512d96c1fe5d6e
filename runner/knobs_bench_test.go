package runner

import (
	"fmt"
	"testing"
	"time"
)

// The literature's figures for the kernel knobs, measured through the
// whole runner (fresh hosts per repetition, the reference server, the load
// agent). Each sub-benchmark runs one cell of a suite for 3 repetitions per
// b.Loop iteration and reports the median over repetitions of the
// per-repetition P50, in milliseconds (p50-ms) and in round trips of the
// link (p50-rtts), with the cell's evidence beside it. `make bench` runs
// them with -benchtime 1x.

// benchCell runs suite (a format string given the knob's value) once per
// iteration and reports its P50 and the evidence units.
func benchCell(b *testing.B, rtt time.Duration, suite string, evidence ...string) {
	var p50, rtts []float64
	ev := map[string][]float64{}
	for b.Loop() {
		f := runSuiteFile(b, suite, false)
		for _, r := range f.Rows {
			p50 = append(p50, r.Values["p50-ns"]/1e6)
			rtts = append(rtts, r.Values["p50-ns"]/float64(rtt))
			for _, u := range evidence {
				ev[u] = append(ev[u], r.Values[u])
			}
		}
	}
	b.ReportMetric(med(p50), "p50-ms")
	b.ReportMetric(med(rtts), "p50-rtts")
	for _, u := range evidence {
		b.ReportMetric(med(ev[u]), u)
	}
}

// med is the median of v (the upper one of an even count).
func med(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[len(s)/2]
}

// BenchmarkKnobTFO: a GET of 1 KB over a new connection on a 40 ms path,
// Fast Open off and on (cookie fetched in the warmup). The literature: 2
// RTT become 1.
func BenchmarkKnobTFO(b *testing.B) {
	for _, v := range []string{"off", "on"} {
		b.Run("tfo="+v, func(b *testing.B) {
			benchCell(b, 40*time.Millisecond, fmt.Sprintf(`
suite: tfo
links: [{name: wan40, rtt: 40ms}]
server: {endpoint: "/orders?items=5"}
matrix: {keepalive: [off], tfo: [%s]}
load: {rate: 5, duration: 4s, warmup: 1s, count: 3}
`, v), "tfo-active/op", "tfo-passive/op")
		})
	}
}

// BenchmarkKnobCC: a 4 MiB body over a 20 ms, 100 Mbit/s path with 1%
// random loss in each direction, CUBIC against BBR (both hosts). The
// literature: BBR, which does not read loss as congestion, several times
// faster. One request every 5 s, so that the transfers seldom overlap.
func BenchmarkKnobCC(b *testing.B) {
	for _, v := range []string{"cubic", "bbr"} {
		b.Run("cc="+v, func(b *testing.B) {
			benchCell(b, 20*time.Millisecond, fmt.Sprintf(`
suite: cc
links: [{name: lossy, rtt: 20ms, loss: 1%%, rate: 100mbit}]
server: {endpoint: "/bytes/4194304"}
matrix: {keepalive: [off], cc: [%s]}
load: {rate: 0.2, duration: 15s, count: 3, timeout: 60s}
`, v), "retrans/op")
		})
	}
}

// BenchmarkKnobInitcwnd: a 64 KiB body (46 segments) over a new connection
// on a 40 ms path with CUBIC, initcwnd 10 against 40, the client
// advertising 64 segments (initrwnd). The model: handshake + 3 rounds
// against handshake + 2, one RTT saved.
func BenchmarkKnobInitcwnd(b *testing.B) {
	for _, v := range []string{"10", "40"} {
		b.Run("initcwnd="+v, func(b *testing.B) {
			benchCell(b, 40*time.Millisecond, fmt.Sprintf(`
suite: initcwnd
links: [{name: wan40, rtt: 40ms}]
server: {endpoint: "/bytes/65536"}
matrix: {keepalive: [off], cc: [cubic], initrwnd: [64], initcwnd: [%s]}
load: {rate: 4, duration: 4s, warmup: 1s, count: 3}
`, v))
		})
	}
}

// BenchmarkKnobNodelay: a response written in two parts (GET /split/100)
// over kept-alive connections on a 2 ms path, 50 requests a second, with
// TCP_NODELAY set and cleared on both ends. The literature: the second part
// waits for the client's delayed ACK, about 40 ms.
func BenchmarkKnobNodelay(b *testing.B) {
	for _, v := range []string{"on", "off"} {
		b.Run("nodelay="+v, func(b *testing.B) {
			benchCell(b, 2*time.Millisecond, fmt.Sprintf(`
suite: nodelay
links: [{name: lan, rtt: 2ms}]
server: {endpoint: "/split/100"}
matrix: {keepalive: [on], nodelay: [%s]}
load: {rate: 50, duration: 4s, warmup: 1s, count: 3}
`, v))
		})
	}
}
