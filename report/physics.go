package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The physics the findings set beside the measurements. Each [Model] says
// what a knob's value costs one request, in seconds, on one cell's path; a
// finding's prediction is the cost of the new value less that of the base
// value, so that the constant parts (the request's own round trip, the
// server's time) cancel.

// Constants of the models.
const (
	// mss is the TCP payload per segment on a 1500-byte MTU with
	// timestamps: 1500 − 20 (IP) − 20 (TCP) − 12 (options).
	mss = 1448
	// mathisC is √(3/2), the constant of the Mathis et al. bound for
	// periodic loss with delayed ACKs off.
	mathisC = 1.2247448713915890
	// delayedACK is Linux's minimum delayed-ACK timeout (TCP_DELACK_MIN):
	// the stall of a write that Nagle holds back for the peer's ACK.
	delayedACK = 0.040
	// defaultInitRwnd is the receive window, in segments, that a Linux
	// client advertises in its first round trip when no initrwnd route
	// metric says otherwise (TCP_INIT_CWND).
	defaultInitRwnd = 10
	// defaultClientIdle is the agent's idle timeout when the cell sets
	// no client_idle (Go's http.Transport default).
	defaultClientIdle = 90 * time.Second
)

// Tolerances of agreement: a prediction in round trips agrees when the
// measured change is within the larger of tolRTT round trips, tolRel of
// the prediction and tolAbs; a throughput model's (Mathis, window/RTT,
// serialization), being a bound, within tolThroughput of the prediction
// (and never tighter than the first rule).
const (
	tolRTT        = 0.25
	tolRel        = 0.20
	tolAbs        = 0.002
	tolThroughput = 0.50
)

// A Path is what the models know of a link, read from the results
// header's link line ("link-wan40: rtt=40ms loss=1% rate=100mbit").
type Path struct {
	Name string
	// RTT is the round-trip time the link adds.
	RTT time.Duration
	// Loss is the random loss each way, as a fraction.
	Loss float64
	// Rate is the bottleneck in bit/s; 0 means not limited.
	Rate float64
	// Asymmetric says the link has per-direction settings (up{...} or
	// down{...}) that the models do not read.
	Asymmetric bool
}

// ParsePath reads a link line's parameters as the results header writes
// them.
func ParsePath(name, params string) (Path, error) {
	p := Path{Name: name}
	depth := 0
	for _, w := range strings.Fields(params) {
		if strings.ContainsAny(w, "{}") || depth > 0 {
			p.Asymmetric = true
			depth += strings.Count(w, "{") - strings.Count(w, "}")
			continue
		}
		k, v, _ := strings.Cut(w, "=")
		var err error
		switch k {
		case "rtt":
			p.RTT, err = time.ParseDuration(v)
		case "loss":
			var f float64
			f, err = strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64)
			p.Loss = f / 100
		case "rate":
			p.Rate, err = parseRate(v)
		}
		if err != nil {
			return Path{}, fmt.Errorf("report: link %s: %s: %w", name, w, err)
		}
	}
	return p, nil
}

// parseRate reads a bit rate as tc writes it: 100mbit, 1.5gbit, 8000bit.
func parseRate(s string) (float64, error) {
	for _, u := range []struct {
		suffix string
		factor float64
	}{{"tbit", 1e12}, {"gbit", 1e9}, {"mbit", 1e6}, {"kbit", 1e3}, {"bit", 1}} {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			f, err := strconv.ParseFloat(n, 64)
			return f * u.factor, err
		}
	}
	return 0, fmt.Errorf("unknown rate unit in %q (want bit, kbit, mbit, gbit or tbit)", s)
}

// A ModelCell is one cell as the models see it.
type ModelCell struct {
	Path Path
	// Knobs holds the cell's knobs, link excluded: {"tfo": "on"}.
	Knobs map[string]string
	// Endpoint is the suite's request ("/bytes/65536"), from the header.
	Endpoint string
	// LoadRate is the suite's constant rate in requests per second, 0
	// when it has none.
	LoadRate float64
	// WireBytes is the cell's median wire-B/op (bytes read per request),
	// 0 when the results lack it.
	WireBytes float64
	// Retries is the cell's median retries/op (requests the agent's
	// transport sent again on a new connection), 0 when it has none.
	Retries float64
}

// bodyBytes is the response size: the endpoint's when it names one
// (/bytes/N), else the bytes read per request.
func (c ModelCell) bodyBytes() float64 {
	if n, ok := strings.CutPrefix(c.Endpoint, "/bytes/"); ok {
		if b, err := strconv.ParseFloat(n, 64); err == nil {
			return b
		}
	}
	return c.WireBytes
}

func (c ModelCell) rtt() float64 { return c.Path.RTT.Seconds() }

func (c ModelCell) knob(k, def string) string {
	if v, ok := c.Knobs[k]; ok {
		return v
	}
	return def
}

// newConnections reports whether every request opens a connection.
func (c ModelCell) newConnections() bool { return c.knob("keepalive", "on") == "off" }

// A Model predicts what a knob's value costs a request.
type Model struct {
	// Knob is the knob the model speaks of.
	Knob string
	// Name names the model: "TCP handshake".
	Name string
	// Formula is the model in words, for the findings table.
	Formula string
	// Throughput marks a bound on throughput (Mathis, window/RTT,
	// serialization) rather than a count of round trips: it agrees
	// within tolThroughput.
	Throughput bool
	// Cost returns the time, in seconds, that the cell's value of Knob
	// adds to a request, and false where the model does not apply.
	Cost func(c ModelCell) (float64, bool)
}

// Models returns the models of the knobs, one per knob. A new knob with
// physics of its own gets a row here (and a case in physics_test.go).
func Models() []Model {
	return []Model{
		{Knob: "keepalive", Name: "TCP handshake", Formula: "a new connection costs one RTT of TCP handshake (two with TLS 1.3, none with Fast Open's SYN data)", Cost: costKeepalive},
		{Knob: "tfo", Name: "Fast Open", Formula: "Fast Open sends the request in the SYN: one RTT less per new connection", Cost: costTFO},
		{Knob: "tls", Name: "TLS 1.3 handshake", Formula: "TLS 1.3 adds one RTT to a new TCP connection, full or resumed (Go has no 0-RTT over TCP); QUIC's handshake (http 3) is one RTT with TLS inside it, none with 0-RTT early data", Cost: costTLS},
		{Knob: "initcwnd", Name: "slow-start rounds", Formula: "rounds = ⌈log2(bytes/(min(initcwnd, initrwnd)·MSS) + 1)⌉, each one RTT", Cost: costInitcwnd},
		{Knob: "cc", Name: "Mathis bound", Formula: "loss-based CUBIC/Reno ≤ MSS/RTT·√(3/2)/√p; BBR runs at the bottleneck rate: time = bytes/throughput", Throughput: true, Cost: costCC},
		{Knob: "nodelay", Name: "Nagle + delayed ACK", Formula: "with Nagle, a second write waits for the peer's delayed ACK: 40 ms", Cost: costNodelay},
		{Knob: "server_idle", Name: "idle-timeout race", Formula: "a request on a connection the server just closed is retried: ½ RTT lost, one RTT of handshake (+1.5 RTT to P50 when most requests race: retries/op over ½)", Cost: costIdle},
		{Knob: "client_idle", Name: "idle-timeout race", Formula: "a client timeout under the interval opens a new connection per request (+1 RTT); a server timeout under it races (+1.5 RTT)", Cost: costIdle},
		{Knob: "codec", Name: "serialization", Formula: "the bottleneck sends wire bytes at its rate: Δtime = Δwire-B/op·8/rate", Throughput: true, Cost: costCodec},
		{Knob: "rcvbuf", Name: "window/RTT", Formula: "a receive window W caps goodput at W/RTT: time = bytes/min(rate, W/RTT)", Throughput: true, Cost: costRcvbuf},
		{Knob: "sysctl.net.ipv4.tcp_syncookies", Name: "SYN cookies", Formula: "a SYN answered with a cookie (tcp_syncookies 2: every SYN) loses its Fast Open data: one RTT more per new connection", Cost: costSyncookies},
	}
}

// modelFor returns the model of knob, if there is one.
func modelFor(knob string) (Model, bool) {
	for _, m := range Models() {
		if m.Knob == knob {
			return m, true
		}
	}
	return Model{}, false
}

// Tolerance is how far a measured change may be from the model's
// prediction and still agree with it.
func (m Model) Tolerance(pred float64, p Path) float64 {
	t := max(tolRTT*p.RTT.Seconds(), tolRel*math.Abs(pred), tolAbs)
	if m.Throughput {
		t = max(t, tolThroughput*math.Abs(pred))
	}
	return t
}

// handshakeRTTs is the round trips a new connection costs before its
// request can go: TCP's (none with Fast Open) and TLS 1.3's.
func handshakeRTTs(c ModelCell) float64 {
	if c.knob("http", "1.1") == "3" {
		// QUIC: transport and TLS in one round trip; 0-RTT sends the
		// request in the first flight.
		if c.knob("tls", "off") == "0rtt" {
			return 0
		}
		return 1
	}
	n := 1.0
	if c.knob("tfo", "off") == "on" {
		n = 0
	}
	if t := c.knob("tls", "off"); t != "off" {
		n++
	}
	return n
}

func costKeepalive(c ModelCell) (float64, bool) {
	if c.newConnections() {
		return handshakeRTTs(c) * c.rtt(), true
	}
	return 0, true
}

func costTFO(c ModelCell) (float64, bool) {
	if c.knob("tfo", "off") == "off" && c.newConnections() {
		return c.rtt(), true
	}
	return 0, true
}

// costSyncookies: a listener that answers with a SYN cookie keeps no
// state, so it drops the data of a Fast Open SYN, and the request waits
// for the handshake. Value 2 sends a cookie for every SYN; 1 only when the
// SYN queue is full, which the model takes as never.
func costSyncookies(c ModelCell) (float64, bool) {
	if c.knob("sysctl.net.ipv4.tcp_syncookies", "1") == "2" && c.knob("tfo", "off") == "on" && c.newConnections() {
		return c.rtt(), true
	}
	return 0, true
}

// costTLS is what TLS adds to a new connection: one RTT over TCP, full or
// resumed. Over QUIC the handshake is one RTT with TLS or without it, so
// the TLS knob's cost there is that round trip, and 0-RTT removes it.
func costTLS(c ModelCell) (float64, bool) {
	t := c.knob("tls", "off")
	if t == "off" || !c.newConnections() || t == "0rtt" && c.knob("http", "1.1") == "3" {
		return 0, true
	}
	return c.rtt(), true
}

// SlowStartRounds is the round trips slow start needs to deliver bytes
// from an initial window of initcwnd segments that doubles every round:
// ⌈log2(bytes/(initcwnd·MSS) + 1)⌉.
func SlowStartRounds(bytes float64, initcwnd int) int {
	if bytes <= 0 || initcwnd <= 0 {
		return 0
	}
	return int(math.Ceil(math.Log2(bytes/float64(initcwnd*mss) + 1)))
}

func costInitcwnd(c ModelCell) (float64, bool) {
	w, err := strconv.Atoi(c.knob("initcwnd", ""))
	bytes := c.bodyBytes()
	if err != nil || bytes <= 0 || !c.newConnections() {
		return 0, false
	}
	rwnd := defaultInitRwnd
	if v, err := strconv.Atoi(c.knob("initrwnd", "")); err == nil {
		rwnd = v
	}
	return float64(SlowStartRounds(bytes, min(w, rwnd))) * c.rtt(), true
}

// MathisRate is the Mathis et al. bound on a loss-based flow's throughput
// in bit/s: MSS/RTT · √(3/2)/√p.
func MathisRate(rtt time.Duration, loss float64) float64 {
	if rtt <= 0 || loss <= 0 {
		return math.Inf(1)
	}
	return mss * 8 / rtt.Seconds() * mathisC / math.Sqrt(loss)
}

// WindowRate is the goodput bound of a window of w bytes: w/RTT, in
// bit/s.
func WindowRate(w float64, rtt time.Duration) float64 {
	if rtt <= 0 {
		return math.Inf(1)
	}
	return w * 8 / rtt.Seconds()
}

func costCC(c ModelCell) (float64, bool) {
	bytes := c.bodyBytes()
	if c.Path.Loss <= 0 || c.Path.Rate <= 0 || bytes <= 0 || c.Path.Asymmetric {
		return 0, false
	}
	switch c.knob("cc", "") {
	case "cubic", "reno":
		return bytes * 8 / min(c.Path.Rate, MathisRate(c.Path.RTT, c.Path.Loss)), true
	case "bbr":
		return bytes * 8 / c.Path.Rate, true
	}
	return 0, false
}

func costNodelay(c ModelCell) (float64, bool) {
	if !strings.HasPrefix(c.Endpoint, "/split/") {
		return 0, false
	}
	if c.knob("nodelay", "on") == "off" {
		return delayedACK, true
	}
	return 0, true
}

// costIdle models the idle timeouts against the interval between
// requests: a client that closes first dials anew (one handshake), a
// server that closes first races the client's next request (the lost
// attempt, ½ RTT, then a new connection).
func costIdle(c ModelCell) (float64, bool) {
	if c.LoadRate <= 0 || c.newConnections() {
		return 0, false
	}
	interval := time.Duration(float64(time.Second) / c.LoadRate)
	client, server := defaultClientIdle, time.Duration(0)
	var err error
	if v, ok := c.Knobs["client_idle"]; ok {
		if client, err = time.ParseDuration(v); err != nil {
			return 0, false
		}
	}
	if v, ok := c.Knobs["server_idle"]; ok {
		if server, err = time.ParseDuration(v); err != nil {
			return 0, false
		}
	}
	switch {
	case client < interval:
		return handshakeRTTs(c) * c.rtt(), true
	case server > 0 && server < interval && c.Retries > 0.5:
		// The median request is one that raced.
		return (0.5 + handshakeRTTs(c)) * c.rtt(), true
	}
	return 0, true
}

func costCodec(c ModelCell) (float64, bool) {
	if c.Path.Rate <= 0 || c.WireBytes <= 0 {
		return 0, false
	}
	return c.WireBytes * 8 / c.Path.Rate, true
}

// costRcvbuf models a receive buffer as the window it allows (Linux
// doubles SO_RCVBUF and advertises about half of it: about the value).
func costRcvbuf(c ModelCell) (float64, bool) {
	bytes := c.bodyBytes()
	w, err := parseSize(c.knob("rcvbuf", ""))
	if err != nil || bytes <= 0 {
		return 0, false
	}
	rate := WindowRate(w, c.Path.RTT)
	if c.Path.Rate > 0 {
		rate = min(rate, c.Path.Rate)
	}
	if math.IsInf(rate, 1) {
		return 0, false
	}
	return bytes * 8 / rate, true
}

// parseSize reads a size as the suites write it: 256kb, 4mb, 3000b, 3000.
func parseSize(s string) (float64, error) {
	s = strings.ToLower(s)
	for _, u := range []struct {
		suffix string
		factor float64
	}{{"gb", 1 << 30}, {"mb", 1 << 20}, {"kb", 1 << 10}, {"b", 1}} {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			f, err := strconv.ParseFloat(n, 64)
			return f * u.factor, err
		}
	}
	return strconv.ParseFloat(s, 64)
}
