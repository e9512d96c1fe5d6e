package report

import (
	"fmt"
	"strings"
)

// A Claim is a piece of tuning advice as it is commonly written, the suite
// that tests it and what would make it hold: the knob's To value against
// its From value, significantly, in the claimed direction and by at least
// the claimed size.
type Claim struct {
	// Suite is the suite's name as its results header gives it
	// ("claimTFO"); File is the suite file that reproduces it.
	Suite, File string
	// Text is the claim, as commonly written.
	Text string
	// Knob, From and To: the change the claim speaks of.
	Knob, From, To string
	// Unit is the metric the claim speaks of, as written in the results;
	// empty means P50 (p50-ns).
	Unit string
	// Faster says the claim expects To to lower the metric; false, to
	// raise it.
	Faster bool
	// The effect must be at least MinRTT round trips of the link (for a
	// latency), MinPct percent of From's value and MinDelta (seconds for
	// a latency, else in the unit), where they are not zero.
	MinRTT, MinPct, MinDelta float64
	// Size says the claimed size in words, for the verdict: "one RTT".
	Size string
}

// Claims returns the claims tunebench settles, one per suite in
// scenarios/claims/. A new claim is a suite file there and a row here
// (see the package documentation, "Findings").
func Claims() []Claim {
	return []Claim{
		{Suite: "claimTFO", File: "scenarios/claims/tfo.yaml",
			Text: "TCP Fast Open saves a round trip on every new connection",
			Knob: "tfo", From: "off", To: "on", Faster: true, MinRTT: 0.5, Size: "one RTT"},
		{Suite: "claimNginxTFO", File: "scenarios/claims/nginx-tfo.yaml",
			Text: "nginx with listen … fastopen=256 answers new connections a round trip sooner",
			Knob: "tfo", From: "off", To: "on", Faster: true, MinRTT: 0.5, Size: "one RTT"},
		{Suite: "claimBBRLoss", File: "scenarios/claims/bbr-loss.yaml",
			Text: "BBR is several times faster than CUBIC on a lossy path",
			Knob: "cc", From: "cubic", To: "bbr", Faster: true, MinPct: 50, Size: "at least 2× faster"},
		{Suite: "claimInitcwnd", File: "scenarios/claims/initcwnd.yaml",
			Text: "A larger initial congestion window (initcwnd 40) saves slow-start round trips",
			Knob: "initcwnd", From: "10", To: "40", Faster: true, MinRTT: 0.5, Size: "one RTT for 64 KiB"},
		{Suite: "claimKeepaliveMismatch", File: "scenarios/claims/keepalive-mismatch.yaml",
			Text: "A server idle timeout shorter than the client's makes requests fail or retry",
			Knob: "server_idle", From: "5s", To: "500ms", Unit: "retries/op", Faster: false, MinDelta: 0.1, Size: "retries on at least one request in ten"},
		{Suite: "claimNagle", File: "scenarios/claims/nagle.yaml",
			Text: "Nagle's algorithm with delayed ACKs adds ~40 ms to responses written in pieces",
			Knob: "nodelay", From: "on", To: "off", Faster: false, MinDelta: 0.020, Size: "about 40 ms"},
		{Suite: "claimTLSResume", File: "scenarios/claims/tls-resume.yaml",
			Text: "TLS session resumption saves a round trip on reconnects",
			Knob: "tls", From: "full", To: "resume", Faster: true, MinRTT: 0.5, Size: "one RTT"},
		{Suite: "claimQUIC0RTT", File: "scenarios/claims/quic-0rtt.yaml",
			Text: "TLS resumption saves a round trip on reconnects, with QUIC's 0-RTT early data",
			Knob: "tls", From: "resume", To: "0rtt", Faster: true, MinRTT: 0.5, Size: "one RTT"},
		{Suite: "claimCodec", File: "scenarios/claims/codec.yaml",
			Text: "Switching from JSON to Protobuf makes API responses much faster",
			Knob: "codec", From: "json", To: "protobuf", Faster: true, MinPct: 30, Size: "at least 30 % off P50"},
		{Suite: "claimBacklog", File: "scenarios/claims/backlog.yaml",
			Text: "Raise somaxconn and tcp_max_syn_backlog, or SYN bursts are dropped and clients wait",
			Knob: "backlog", From: "8", To: "4096", Unit: "p99-ns", Faster: true, MinDelta: 0.5, Size: "the SYN retransmission timeout (1 s) off P99"},
		{Suite: "claimSyncookiesTFO", File: "scenarios/claims/syncookies-tfo.yaml",
			Text: "SYN cookies disable TCP Fast Open and add latency",
			Knob: "sysctl.net.ipv4.tcp_syncookies", From: "1", To: "2", Faster: false, MinRTT: 0.5, Size: "one RTT"},
		{Suite: "claimTimeWait", File: "scenarios/claims/timewait.yaml",
			Text: "Short-lived connections pile up in TIME_WAIT and exhaust ports; tcp_tw_reuse fixes it",
			Knob: "sysctl.net.ipv4.tcp_tw_reuse", From: "0", To: "1", Unit: "connect-errors/op", Faster: true, MinDelta: 0.01, Size: "connect errors on at least one request in a hundred"},
		{Suite: "claimSockbuf", File: "scenarios/claims/sockbuf.yaml",
			Text: "Small socket buffers cap throughput on long fat pipes",
			Knob: "rcvbuf", From: "4194304", To: "262144", Unit: "goodput-B/s", Faster: true, MinPct: 50, Size: "at least halved goodput"},
		{Suite: "claimSlowloris", File: "scenarios/claims/slowloris.yaml",
			Text: "Untuned keep-alive servers fall to Slowloris; a header timeout fixes it",
			Knob: "header_timeout", From: "1h0m0s", To: "1s", Faster: true, MinDelta: 0.1, Size: "at least 100 ms off P50"},
	}
}

// claimFor returns the claim of a suite.
func claimFor(suite string) (Claim, bool) {
	for _, c := range Claims() {
		if strings.EqualFold(c.Suite, suite) {
			return c, true
		}
	}
	return Claim{}, false
}

// Verdicts of a claim.
const (
	VerdictHolds    = "holds"
	VerdictHoldsIf  = "holds only when"
	VerdictNotHolds = "does not hold"
)

// A ClaimResult is a claim's verdict on one run.
type ClaimResult struct {
	Claim Claim
	// Verdict is VerdictHolds, VerdictNotHolds, or VerdictHoldsIf
	// followed by the conditions: "holds only when link=slow20".
	Verdict string
	// Findings are the run's findings of the claim's change, one per
	// link and combination of the other knobs.
	Findings []Finding
}

// Judge gives the claim's verdict on findings: it holds where a finding
// of its change is significant, in its direction and at least its size;
// where only some are, it holds only when theirs.
func (c Claim) Judge(findings []Finding) ClaimResult {
	res := ClaimResult{Claim: c}
	var held, all []string
	for _, f := range findings {
		if f.Knob != c.Knob || f.From != c.From || f.To != c.To || f.Unit != c.unit() {
			continue
		}
		res.Findings = append(res.Findings, f)
		where := "link=" + f.Link
		if f.Where != "" {
			where += " " + f.Where
		}
		all = append(all, where)
		if c.holds(f) {
			held = append(held, where)
		}
	}
	switch {
	case len(all) == 0:
		res.Verdict = VerdictNotHolds + fmt.Sprintf(" (no measurement of %s %s against %s)", c.Knob, c.To, c.From)
	case len(held) == len(all):
		res.Verdict = VerdictHolds
	case len(held) == 0:
		res.Verdict = VerdictNotHolds
	default:
		res.Verdict = VerdictHoldsIf + " " + strings.Join(held, "; ")
	}
	return res
}

// holds reports whether one finding bears the claim out.
func (c Claim) holds(f Finding) bool {
	if !f.Significant || (f.Delta < 0) != c.Faster {
		return false
	}
	d := max(f.Delta, -f.Delta)
	rtt := f.RTT
	if !f.isLatency() {
		rtt = 0
	}
	return d >= c.MinRTT*rtt && d >= c.MinDelta && (f.Base == 0 || 100*d/f.Base >= c.MinPct)
}

// unit returns the claim's metric as written.
func (c Claim) unit() string {
	if c.Unit == "" {
		return "p50-ns"
	}
	return c.Unit
}
