package report

import (
	"math"
	"testing"
	"time"
)

func TestParsePath(t *testing.T) {
	tests := []struct {
		name, params string
		want         Path
		wantErr      bool
	}{
		{name: "wan40", params: "rtt=40ms", want: Path{RTT: 40 * time.Millisecond}},
		{name: "lossy", params: "rtt=20ms loss=1% rate=100mbit", want: Path{RTT: 20 * time.Millisecond, Loss: 0.01, Rate: 100e6}},
		{name: "jit", params: "rtt=40ms jitter=1ms loss=0.1% rate=1.5gbit queue=64kb seed=7", want: Path{RTT: 40 * time.Millisecond, Loss: 0.001, Rate: 1.5e9}},
		{name: "asym", params: "rtt=30ms up{delay=20ms loss=1%} down{rate=10mbit}", want: Path{RTT: 30 * time.Millisecond, Asymmetric: true}},
		{name: "slow", params: "rtt=10ms rate=8000bit", want: Path{RTT: 10 * time.Millisecond, Rate: 8000}},
		{name: "bad", params: "rtt=forty", wantErr: true},
		{name: "badrate", params: "rtt=1ms rate=10mbps", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePath(tt.name, tt.params)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParsePath(%q): error %v; want error %v", tt.params, err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			tt.want.Name = tt.name
			if got != tt.want {
				t.Errorf("ParsePath(%q) = %+v; want %+v", tt.params, got, tt.want)
			}
		})
	}
}

func TestSlowStartRounds(t *testing.T) {
	tests := []struct {
		bytes    float64
		initcwnd int
		want     int
	}{
		{1000, 10, 1},           // fits the first flight
		{14480, 10, 1},          // exactly 10 segments
		{14481, 10, 2},          // one byte more
		{65536, 10, 3},          // 46 segments: 10 + 20 + 40
		{65536, 40, 2},          // 40 + 80
		{43440, 10, 2},          // 30 segments: 10 + 20
		{4 << 20, 10, 9},        // 2897 segments
		{0, 10, 0},              // nothing to send
		{65536, 0, 0},           // no window: no model
		{1 << 30, 10, 17},       // 741 534 segments: 10·(2^17 − 1) ≥ that
		{10 * 1448 * 7, 10, 3},  // 70 segments: 10+20+40
		{10*1448*7 + 1, 10, 4},  // one byte over
		{10 * 1448 * 15, 10, 4}, // 150: 10+20+40+80
	}
	for _, tt := range tests {
		if got := SlowStartRounds(tt.bytes, tt.initcwnd); got != tt.want {
			t.Errorf("SlowStartRounds(%v, %d) = %d; want %d", tt.bytes, tt.initcwnd, got, tt.want)
		}
	}
}

func TestRates(t *testing.T) {
	// Mathis: 1448 B / 20 ms · √1.5/√0.01 = 7.094 Mbit/s.
	if got := MathisRate(20*time.Millisecond, 0.01); math.Abs(got-7.094e6) > 1e3 {
		t.Errorf("MathisRate(20ms, 1%%) = %v; want 7.094e6", got)
	}
	if got := MathisRate(20*time.Millisecond, 0); !math.IsInf(got, 1) {
		t.Errorf("MathisRate without loss = %v; want +Inf", got)
	}
	// A quarter of the loss doubles the bound.
	if a, b := MathisRate(50*time.Millisecond, 0.04), MathisRate(50*time.Millisecond, 0.01); math.Abs(b/a-2) > 1e-9 {
		t.Errorf("MathisRate ratio for loss/4 = %v; want 2", b/a)
	}
	// 256 KiB over 100 ms: 20.97 Mbit/s.
	if got := WindowRate(256<<10, 100*time.Millisecond); math.Abs(got-20.97152e6) > 1 {
		t.Errorf("WindowRate(256 KiB, 100ms) = %v; want 20.97152e6", got)
	}
}

// cell builds a ModelCell on a path from knob pairs.
func cell(p Path, endpoint string, kv ...string) ModelCell {
	c := ModelCell{Path: p, Endpoint: endpoint, Knobs: map[string]string{}}
	for i := 0; i+1 < len(kv); i += 2 {
		c.Knobs[kv[i]] = kv[i+1]
	}
	return c
}

func TestModelCosts(t *testing.T) {
	wan40 := Path{Name: "wan40", RTT: 40 * time.Millisecond}
	wan100 := Path{Name: "wan100", RTT: 100 * time.Millisecond}
	lossy := Path{Name: "lossy", RTT: 20 * time.Millisecond, Loss: 0.01, Rate: 100e6}
	slow := Path{Name: "slow20", RTT: 10 * time.Millisecond, Rate: 20e6}
	fat := Path{Name: "fat", RTT: 100 * time.Millisecond, Rate: 200e6}
	const mib = 1 << 20
	withLoad := func(c ModelCell, rate, retries float64) ModelCell { c.LoadRate, c.Retries = rate, retries; return c }
	withWire := func(c ModelCell, b float64) ModelCell { c.WireBytes = b; return c }
	tests := []struct {
		name       string
		knob       string
		from, to   ModelCell
		want       float64 // predicted change, seconds
		notApplied bool
	}{
		{name: "keepalive off: one handshake", knob: "keepalive",
			from: cell(wan40, "/x", "keepalive", "on"), to: cell(wan40, "/x", "keepalive", "off"), want: 0.040},
		{name: "keepalive off with TLS: two", knob: "keepalive",
			from: cell(wan40, "/x", "keepalive", "on", "tls", "full"), to: cell(wan40, "/x", "keepalive", "off", "tls", "full"), want: 0.080},
		{name: "keepalive off with Fast Open: none", knob: "keepalive",
			from: cell(wan40, "/x", "keepalive", "on", "tfo", "on"), to: cell(wan40, "/x", "keepalive", "off", "tfo", "on"), want: 0},
		{name: "tfo on, new connections: one RTT less", knob: "tfo",
			from: cell(wan40, "/x", "keepalive", "off", "tfo", "off"), to: cell(wan40, "/x", "keepalive", "off", "tfo", "on"), want: -0.040},
		{name: "tfo on, kept alive: nothing", knob: "tfo",
			from: cell(wan40, "/x", "tfo", "off"), to: cell(wan40, "/x", "tfo", "on"), want: 0},
		{name: "syncookies always with Fast Open: one RTT more", knob: "sysctl.net.ipv4.tcp_syncookies",
			from: cell(wan40, "/x", "keepalive", "off", "tfo", "on", "sysctl.net.ipv4.tcp_syncookies", "1"), to: cell(wan40, "/x", "keepalive", "off", "tfo", "on", "sysctl.net.ipv4.tcp_syncookies", "2"), want: 0.040},
		{name: "syncookies always without Fast Open: nothing", knob: "sysctl.net.ipv4.tcp_syncookies",
			from: cell(wan40, "/x", "keepalive", "off", "sysctl.net.ipv4.tcp_syncookies", "1"), to: cell(wan40, "/x", "keepalive", "off", "sysctl.net.ipv4.tcp_syncookies", "2"), want: 0},
		{name: "tls full: one RTT", knob: "tls",
			from: cell(wan40, "/x", "keepalive", "off", "tls", "off"), to: cell(wan40, "/x", "keepalive", "off", "tls", "full"), want: 0.040},
		{name: "tls resume against full: no 0-RTT, nothing", knob: "tls",
			from: cell(wan40, "/x", "keepalive", "off", "tls", "full"), to: cell(wan40, "/x", "keepalive", "off", "tls", "resume"), want: 0},
		{name: "http 3: 0-RTT against resume saves one RTT", knob: "tls",
			from: cell(wan40, "/x", "keepalive", "off", "http", "3", "tls", "resume"), to: cell(wan40, "/x", "keepalive", "off", "http", "3", "tls", "0rtt"), want: -0.040},
		{name: "http 3: 0-RTT on kept-alive connections, nothing", knob: "tls",
			from: cell(wan40, "/x", "keepalive", "on", "http", "3", "tls", "resume"), to: cell(wan40, "/x", "keepalive", "on", "http", "3", "tls", "0rtt"), want: 0},
		{name: "http 3: keep-alive off costs the QUIC handshake, one RTT", knob: "keepalive",
			from: cell(wan40, "/x", "keepalive", "on", "http", "3", "tls", "full"), to: cell(wan40, "/x", "keepalive", "off", "http", "3", "tls", "full"), want: 0.040},
		{name: "initcwnd 40 for 64 KiB: 3 rounds → 2", knob: "initcwnd",
			from: cell(wan40, "/bytes/65536", "keepalive", "off", "initrwnd", "64", "initcwnd", "10"),
			to:   cell(wan40, "/bytes/65536", "keepalive", "off", "initrwnd", "64", "initcwnd", "40"), want: -0.040},
		{name: "initcwnd 40 capped by the default receive window", knob: "initcwnd",
			from: cell(wan40, "/bytes/65536", "keepalive", "off", "initcwnd", "10"),
			to:   cell(wan40, "/bytes/65536", "keepalive", "off", "initcwnd", "40"), want: 0},
		{name: "initcwnd from wire bytes", knob: "initcwnd",
			from: withWire(cell(wan40, "/orders?items=200", "keepalive", "off", "initrwnd", "64", "initcwnd", "10"), 147581),
			to:   withWire(cell(wan40, "/orders?items=200", "keepalive", "off", "initrwnd", "64", "initcwnd", "40"), 147581), want: -0.080},
		{name: "initcwnd on kept-alive connections: no model", knob: "initcwnd",
			from: cell(wan40, "/bytes/65536", "initcwnd", "10"), to: cell(wan40, "/bytes/65536", "initcwnd", "40"), notApplied: true},
		{name: "bbr under loss: Mathis against the rate", knob: "cc",
			from: cell(lossy, "/bytes/4194304", "cc", "cubic"), to: cell(lossy, "/bytes/4194304", "cc", "bbr"),
			want: 4 * mib * 8 * (1/100e6 - 1/MathisRate(20*time.Millisecond, 0.01))},
		{name: "cc without loss: no model", knob: "cc",
			from: cell(wan40, "/bytes/4194304", "cc", "cubic"), to: cell(wan40, "/bytes/4194304", "cc", "bbr"), notApplied: true},
		{name: "nodelay off on a split response: a delayed ACK", knob: "nodelay",
			from: cell(wan40, "/split/100", "nodelay", "on"), to: cell(wan40, "/split/100", "nodelay", "off"), want: 0.040},
		{name: "nodelay off on one write: no model", knob: "nodelay",
			from: cell(wan40, "/x", "nodelay", "on"), to: cell(wan40, "/x", "nodelay", "off"), notApplied: true},
		{name: "server idle under the interval, most requests race", knob: "server_idle",
			from: withLoad(cell(wan100, "/x", "server_idle", "5s"), 1.82, 0), to: withLoad(cell(wan100, "/x", "server_idle", "500ms"), 1.82, 0.55), want: 0.150},
		{name: "server idle under the interval, few race: P50 unmoved", knob: "server_idle",
			from: withLoad(cell(wan100, "/x", "server_idle", "5s"), 1.82, 0), to: withLoad(cell(wan100, "/x", "server_idle", "500ms"), 1.82, 0.375), want: 0},
		{name: "client idle under the interval: a new connection each", knob: "client_idle",
			from: withLoad(cell(wan100, "/x", "client_idle", "1m30s"), 1.82, 0), to: withLoad(cell(wan100, "/x", "client_idle", "300ms"), 1.82, 0), want: 0.100},
		{name: "idle without a rate: no model", knob: "server_idle",
			from: cell(wan100, "/x", "server_idle", "5s"), to: cell(wan100, "/x", "server_idle", "500ms"), notApplied: true},
		{name: "protobuf on 20 Mbit/s: the bytes' serialization", knob: "codec",
			from: withWire(cell(slow, "/orders?items=200", "codec", "json"), 147581), to: withWire(cell(slow, "/orders?items=200", "codec", "protobuf"), 61811),
			want: (61811 - 147581) * 8 / 20e6},
		{name: "codec without a rate: no model", knob: "codec",
			from: withWire(cell(wan40, "/o", "codec", "json"), 147581), to: withWire(cell(wan40, "/o", "codec", "protobuf"), 61811), notApplied: true},
		{name: "rcvbuf 256 KiB on 100 ms, 200 Mbit/s: window/RTT", knob: "rcvbuf",
			from: cell(fat, "/bytes/67108864", "rcvbuf", "4mb"), to: cell(fat, "/bytes/67108864", "rcvbuf", "256kb"),
			want: 64 * mib * 8 * (1/WindowRate(256<<10, 100*time.Millisecond) - 1/200e6)}, // 4 MiB/100 ms is over the rate
		{name: "rcvbuf above the BDP: the rate caps it", knob: "rcvbuf",
			from: cell(fat, "/bytes/67108864", "rcvbuf", "8mb"), to: cell(fat, "/bytes/67108864", "rcvbuf", "16mb"), want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := predict(tt.knob, tt.from, tt.to, 0)
			if tt.notApplied {
				if p != nil {
					t.Fatalf("prediction %+v; want none: the model does not apply", *p)
				}
				return
			}
			if p == nil {
				t.Fatalf("no prediction; want %v s", tt.want)
			}
			if math.Abs(p.Delta-tt.want) > 1e-9 {
				t.Errorf("predicted %v s; want %v s", p.Delta, tt.want)
			}
		})
	}
}

func TestTolerance(t *testing.T) {
	wan40 := Path{RTT: 40 * time.Millisecond}
	lan := Path{RTT: 2 * time.Millisecond}
	rtt, _ := modelFor("tfo")
	mathis, _ := modelFor("cc")
	tests := []struct {
		m    Model
		pred float64
		p    Path
		want float64
	}{
		{rtt, -0.040, wan40, 0.010},                            // ¼ RTT
		{rtt, 0.150, Path{RTT: 100 * time.Millisecond}, 0.030}, // 20 % of the prediction
		{rtt, 0.002, lan, 0.002},                               // at least 2 ms
		{rtt, 0.040, lan, 0.008},                               // 20 % of 40 ms
		{mathis, -4.4, wan40, 2.2},                             // a bound: 50 %
	}
	for _, tt := range tests {
		if got := tt.m.Tolerance(tt.pred, tt.p); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("%s.Tolerance(%v, rtt %v) = %v; want %v", tt.m.Knob, tt.pred, tt.p.RTT, got, tt.want)
		}
	}
}

// TestIdleRaceHalf: with exactly half the requests retried, the median
// request is still one that did not race.
func TestIdleRaceHalf(t *testing.T) {
	c := cell(Path{RTT: 100 * time.Millisecond}, "/x", "server_idle", "500ms")
	c.LoadRate, c.Retries = 1.82, 0.5
	if got, ok := costIdle(c); !ok || got != 0 {
		t.Errorf("costIdle at retries/op 0.5 = %v, %v; want 0, true", got, ok)
	}
}

func TestFindingFormat(t *testing.T) {
	tests := []struct {
		unit string
		x    float64
		want string
	}{
		{"p50-ns", -0.0403, "−40.3 ms"},
		{"p99-ns", 1.1, "+1.10 s"},
		{"p50-ns", 0.000686, "+686 µs"},
		{"retries/op", 0.375, "+0.375"},
		{"goodput-B/s", -14209836.862, "−14.2M"},
		{"goodput-B/s", 2500, "+2.50k"},
		{"errors", 0, "+0.000"},
		{"x/op", -0.0001, "+0.000"},
	}
	for _, tt := range tests {
		if got := (Finding{Unit: tt.unit}).signed(tt.x); got != tt.want {
			t.Errorf("%s: signed(%v) = %q; want %q", tt.unit, tt.x, got, tt.want)
		}
	}
	for unit, want := range map[string]string{"p50-ns": "P50", "p99-ns": "P99", "p999-ns": "P99.9", "": "P50", "goodput-B/s": "goodput-B/s"} {
		if got := (Finding{Unit: unit}).label(); got != want {
			t.Errorf("label(%q) = %q; want %q", unit, got, want)
		}
	}
}
