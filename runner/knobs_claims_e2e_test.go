package runner

import (
	"testing"
	"time"

	"github.com/tunebench/tunebench/internal/testenv"
	"github.com/tunebench/tunebench/results"
)

// The common tuning claims' knobs on the real kernel, each with the
// direction that physics gives.

// TestKnobBacklogBurst sends bursts of 200 new connections over a 20 ms
// path to a server whose listen backlog is 8 or 4096, SYN cookies off. The
// backlog also bounds the half-open connections (SYN received, SYN-ACK
// sent, one RTT before the ACK): the small queue overflows, the kernel
// drops the SYNs beyond it, their clients wait for the SYN retransmission
// timeout (1 s) and P99 goes past it; the large one holds the burst. (With
// SYN cookies on, the default, the kernel answers the SYNs beyond the
// queue with cookies instead, and only a full accept queue drops: see
// scenarios/claims/backlog.yaml.)
func TestKnobBacklogBurst(t *testing.T) {
	testenv.Short(t, "about 10 s of load")
	f := runSuiteFile(t, `
suite: backlog
links: [{name: wan20, rtt: 20ms}]
server: {endpoint: "/healthz"}
sysctl: {net.ipv4.tcp_syncookies: 0}
matrix:
  backlog: [8, 4096]
load: {burst: {connections: 200, every: 2s}, duration: 2s, count: 1}
`, false)
	small, large := rowsOf(f, "backlog=8"), rowsOf(f, "backlog=4096")
	t.Logf("backlog=8: %v", small[0].Values)
	t.Logf("backlog=4096: %v", large[0].Values)
	if o := median(t, small, "listen-drops/op"); o <= 0 {
		t.Errorf("backlog=8: listen-drops/op %v; want the queue of 8 to overflow under 200 SYNs at once", o)
	}
	if p := median(t, small, results.UnitP99); p < float64(time.Second) {
		t.Errorf("backlog=8: p99 %v; want past the SYN retransmission timeout (1s)", ms(p))
	}
	if s := median(t, small, "syn-retrans/op"); s <= 0 {
		t.Errorf("backlog=8: syn-retrans/op %v; want the clients to send SYNs again", s)
	}
	if o := median(t, large, "listen-overflows/op"); o != 0 {
		t.Errorf("backlog=4096: listen-overflows/op %v; want 0", o)
	}
	if p := median(t, large, results.UnitP99); p >= float64(time.Second) {
		t.Errorf("backlog=4096: p99 %v; want below the SYN retransmission timeout (1s)", ms(p))
	}
}

// TestKnobTimeWait counts the sockets left in TIME_WAIT after 300 req/s:
// without keep-alive every request closes a connection, and the side that
// closes first keeps it for 60 s, so about one per request is still there;
// with keep-alive the few pooled connections are still open.
func TestKnobTimeWait(t *testing.T) {
	testenv.Short(t, "about 8 s of load")
	f := runSuiteFile(t, `
suite: timewait
links: [{name: lan, rtt: 2ms}]
server: {endpoint: "/healthz"}
matrix:
  keepalive: [off, on]
load: {rate: 300, duration: 3s, warmup: 500ms, count: 1}
`, false)
	off, on := rowsOf(f, "keepalive=off"), rowsOf(f, "keepalive=on")
	t.Logf("keepalive=off: %v", off[0].Values)
	t.Logf("keepalive=on: %v", on[0].Values)
	twOff := median(t, off, "client-timewait") + median(t, off, "server-timewait")
	twOn := median(t, on, "client-timewait") + median(t, on, "server-timewait")
	// 3.5 s at 300 req/s is 1050 connections.
	if twOff < 500 || twOff > 2000 {
		t.Errorf("keepalive=off: %v sockets in TIME_WAIT; want about one per request (~1050)", twOff)
	}
	if twOn > 50 {
		t.Errorf("keepalive=on: %v sockets in TIME_WAIT; want almost none", twOn)
	}
	if e := median(t, off, "connect-eaddrnotavail/op"); e != 0 {
		t.Errorf("keepalive=off: connect-eaddrnotavail/op %v; want 0 with the default port range", e)
	}
}

// TestKnobRcvBuf fetches 16 MiB bodies over a 100 ms, 200 Mbit/s path. A
// 256 KiB SO_RCVBUF caps the window the client advertises near 256 KiB, so
// goodput is about window/RTT (2.6 MB/s); the kernel's autotuning grows
// the window to the path's 2.5 MB and goodput several times higher.
func TestKnobRcvBuf(t *testing.T) {
	testenv.Short(t, "about 15 s of load")
	f := runSuiteFile(t, `
suite: rcvbuf
links: [{name: lfn, rtt: 100ms, rate: 200mbit, queue: 4000}]
server: {endpoint: "/bytes/16777216"}
sysctl: {net.ipv4.tcp_slow_start_after_idle: 0}
matrix:
  keepalive: on
  rcvbuf: [262144]
load: {connections: 1, duration: 4s, count: 1, timeout: 20s}
`, false)
	def := runSuiteFile(t, `
suite: rcvbuf
links: [{name: lfn, rtt: 100ms, rate: 200mbit, queue: 4000}]
server: {endpoint: "/bytes/16777216"}
sysctl: {net.ipv4.tcp_rmem: "4096 131072 6291456", net.ipv4.tcp_slow_start_after_idle: 0}
matrix:
  keepalive: on
load: {connections: 1, duration: 4s, count: 1, timeout: 20s}
`, false)
	small, big := f.Rows, def.Rows
	t.Logf("rcvbuf=262144: %v", small[0].Values)
	t.Logf("default: %v", big[0].Values)
	gSmall, gBig := median(t, small, results.UnitGoodput), median(t, big, results.UnitGoodput)
	model := 262144 / 0.1 // window/RTT in B/s
	if gSmall < model/2 || gSmall > model*2 {
		t.Errorf("rcvbuf=262144: goodput %.0f B/s; want about window/RTT = %.0f B/s", gSmall, model)
	}
	if gBig < 2.5*gSmall {
		t.Errorf("goodput: default %.0f B/s, rcvbuf=262144 %.0f B/s; want the default several times higher", gBig, gSmall)
	}
	// The server's TCP_INFO shows the time it waited for the client's
	// window (about a third of its busy time here: the rest it spends
	// sending each window).
	if r := median(t, small, "rwnd-limited"); r <= 0 {
		t.Errorf("rcvbuf=262144: rwnd-limited %v; want the server held back by the client's window some of its busy time", r)
	}
}

// TestKnobSlowClients holds 40 slow clients (Slowloris) against a server
// that serves at most 20 connections at once. With a header deadline of
// 300 ms the server cuts them off within the warmup (20 at a time), none
// is held at the end, and the measured requests are served at once.
// Without one (1h) the 20 slots stay theirs to the end of the measured
// window: every measured request waits in the listen queue until they
// leave, none completes within the window, and the median waits about
// half of it. A server without a connection cap serves the load beside
// them, all 40 still held at the end.
func TestKnobSlowClients(t *testing.T) {
	testenv.Short(t, "about 10 s of load")
	f := runSuiteFile(t, `
suite: slowloris
links: [{name: lan, rtt: 2ms}]
server: {endpoint: "/healthz"}
matrix:
  keepalive: off
  max_conns: [20, 1000]
  header_timeout: [300ms, 1h]
load: {rate: 20, duration: 1s, warmup: 1s, timeout: 5s, slow_clients: 40, count: 1}
`, false)
	for _, r := range f.Rows {
		t.Logf("%s: %v", r.Cell, r.Values)
	}
	cut := rowsOf(f, "max_conns=20", "header_timeout=300ms")
	if len(cut) != 1 {
		t.Fatalf("max_conns=20/header_timeout=300ms: %d rows (failures %v); want 1", len(cut), f.Failures)
	}
	if h := median(t, cut, "slow-held"); h != 0 {
		t.Errorf("header_timeout=300ms: slow-held %v; want 0 (cut off at the deadline)", h)
	}
	if e := median(t, cut, results.UnitErrors); e != 0 {
		t.Errorf("header_timeout=300ms: %v measured errors; want 0 once the slow clients are gone", e)
	}
	uncapped := rowsOf(f, "max_conns=1000", "header_timeout=1h0m0s")
	if len(uncapped) != 1 {
		t.Fatalf("max_conns=1000/header_timeout=1h: %d rows (failures %v); want 1", len(uncapped), f.Failures)
	}
	if h := median(t, uncapped, "slow-held"); h != 40 {
		t.Errorf("header_timeout=1h: slow-held %v; want all 40 still held", h)
	}
	if e := median(t, uncapped, results.UnitErrors); e != 0 {
		t.Errorf("max_conns=1000: %v measured errors; want 0 (slots to spare)", e)
	}
	held := rowsOf(f, "max_conns=20", "header_timeout=1h0m0s")
	if len(held) != 1 {
		t.Fatalf("max_conns=20/header_timeout=1h0m0s: %d rows (failures %v); want 1", len(held), f.Failures)
	}
	if h := median(t, held, "slow-held"); h != 40 {
		t.Errorf("max_conns=20/header_timeout=1h: slow-held %v; want all 40 still held", h)
	}
	if d := median(t, held, results.UnitCompleted); d != 0 {
		t.Errorf("max_conns=20/header_timeout=1h: done-req/s %v; want 0: no request served while the slow clients hold every slot", d)
	}
	if p := median(t, held, results.UnitP50); p < float64(250*time.Millisecond) {
		t.Errorf("max_conns=20/header_timeout=1h: p50 %v; want about half the 1 s window", ms(p))
	}
}

// TestKnobSyncookiesTFO measures Fast Open with SYN cookies on demand (1,
// the default) and always (2) on a 40 ms path. A listener that answers
// with a cookie drops the data in the SYN, so with 2 no SYN carries the
// request and a new connection's GET takes two round trips again.
func TestKnobSyncookiesTFO(t *testing.T) {
	testenv.Short(t, "about 8 s of load")
	f := runSuiteFile(t, `
suite: syncookies
links: [{name: wan40, rtt: 40ms}]
server: {endpoint: "/healthz"}
matrix:
  keepalive: off
  tfo: on
  sysctl.net.ipv4.tcp_syncookies: [1, 2]
load: {rate: 20, duration: 2s, warmup: 1s, count: 1}
`, false)
	on, always := rowsOf(f, "sysctl.net.ipv4.tcp_syncookies=1"), rowsOf(f, "sysctl.net.ipv4.tcp_syncookies=2")
	t.Logf("syncookies=1: %v", on[0].Values)
	t.Logf("syncookies=2: %v", always[0].Values)
	if a := median(t, on, "tfo-active/op"); a < 0.5 {
		t.Errorf("syncookies=1: tfo-active/op %v; want Fast Open on most connections", a)
	}
	if a, c := median(t, always, "tfo-active/op"), median(t, always, "syncookies-sent/op"); a != 0 || c < 0.9 {
		t.Errorf("syncookies=2: tfo-active/op %v, syncookies-sent/op %v; want 0 and a cookie per connection", a, c)
	}
	p1, p2 := median(t, on, results.UnitP50), median(t, always, results.UnitP50)
	if p2-p1 < float64(25*time.Millisecond) {
		t.Errorf("p50: syncookies=1 %v, =2 %v; want cookies to add about one RTT (40 ms)", ms(p1), ms(p2))
	}
}

// TestKnobSndBuf fetches 2 MiB bodies over a 50 ms, 200 Mbit/s path from a
// server whose SO_SNDBUF is 64 KiB: the kernel keeps 128 KiB (read back on
// every server connection through sock_diag), which caps the bytes in
// flight, so goodput stays below sk_sndbuf/RTT (2.6 MB/s) and the server's
// TCP_INFO shows time limited by its send buffer.
func TestKnobSndBuf(t *testing.T) {
	testenv.Short(t, "about 6 s of load")
	f := runSuiteFile(t, `
suite: sndbuf
links: [{name: lfn, rtt: 50ms, rate: 200mbit, queue: 2000}]
server: {endpoint: "/bytes/2097152"}
matrix:
  keepalive: on
  sndbuf: [65536]
load: {connections: 1, duration: 2s, count: 1, timeout: 20s}
`, false)
	t.Logf("sndbuf=65536: %v", f.Rows[0].Values)
	model := 2 * 65536 / 0.05
	if g := median(t, f.Rows, results.UnitGoodput); g <= 0 || g > model {
		t.Errorf("sndbuf=65536: goodput %.0f B/s; want below sk_sndbuf/RTT = %.0f B/s", g, model)
	}
	if s := median(t, f.Rows, "sndbuf-limited"); s <= 0 {
		t.Errorf("sndbuf=65536: sndbuf-limited %v; want the server held back by its send buffer", s)
	}
}

// TestKnobPortRange opens bursts of 50 connections at once from a client
// host with 10 ephemeral ports: connect(2) finds no free port for the
// connections beyond them and fails with EADDRNOTAVAIL
// (connect-eaddrnotavail/op about 0.8); the default range of 28 232 ports
// has room for them all.
func TestKnobPortRange(t *testing.T) {
	testenv.Short(t, "about 5 s of load")
	f := runSuiteFile(t, `
suite: ports
links: [{name: lan, rtt: 2ms}]
server: {endpoint: "/healthz"}
matrix:
  sysctl.net.ipv4.ip_local_port_range: ["40000,40009", "32768,60999"]
load: {burst: {connections: 50, every: 1s}, duration: 1s, count: 1}
`, false)
	narrow, wide := rowsOf(f, "sysctl.net.ipv4.ip_local_port_range=40000,40009"), rowsOf(f, "sysctl.net.ipv4.ip_local_port_range=32768,60999")
	t.Logf("10 ports: %v", narrow[0].Values)
	t.Logf("default: %v", wide[0].Values)
	if e := median(t, narrow, "connect-eaddrnotavail/op"); e < 0.5 || e > 0.85 {
		t.Errorf("10 ports, 50 connections at once: connect-eaddrnotavail/op %v; want about 0.8 (40 of 50 find no port)", e)
	}
	if e := median(t, wide, "connect-eaddrnotavail/op"); e != 0 {
		t.Errorf("default range: connect-eaddrnotavail/op %v; want 0", e)
	}
}
