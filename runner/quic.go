package runner

import (
	"github.com/tunebench/tunebench/agent"
	"github.com/tunebench/tunebench/netem"
	"github.com/tunebench/tunebench/results"
)

// Units of HTTP/3's evidence (http=3): from the agent's trace, per measured
// request, and from its QUIC connections' own counters, per request of the
// whole run (warmup included, as the counters are).
const (
	unitHTTP3      = "h3/op"         // responses over HTTP/3
	unitZeroRTT    = "0rtt/op"       // requests sent as early data that the server accepted
	unitQUICLost   = "quic-lost/op"  // the agent's QUIC packets declared lost (their frames resent)
	unitQUICSent   = "quic-pkts/op"  // the agent's QUIC packets sent, the lost ones included
	unitQUICConns  = "quic-conns/op" // QUIC connections that completed a handshake
	unitQUICGSO    = "quic-gso"      // share of the QUIC connections whose socket sends with UDP GSO
	quicBetterLow  = results.BetterLower
	quicBetterHigh = results.BetterHigher
)

// quicMetrics are the sample's HTTP/3 figures; none without http=3.
//
//	h3/op          responses over HTTP/3 per measured request (1 when it is spoken)
//	0rtt/op        requests sent as 0-RTT early data that the server accepted (tls=0rtt)
//	quic-lost/op   the agent's packets QUIC declared lost, per request of the run
//	quic-pkts/op   the agent's packets sent, per request of the run
//	quic-conns/op  QUIC connections per request of the run (1 with keepalive off)
//	quic-gso       the share of connections whose socket sends with UDP GSO (quic-go's ConnectionState.GSO)
func quicMetrics(res *agent.Result) []results.Metric {
	t := res.Trace
	if t == nil || !t.AskedHTTP3 || t.Requests == 0 {
		return nil
	}
	per := func(n int) float64 { return float64(n) / float64(t.Requests) }
	ms := []results.Metric{
		{Value: per(t.HTTP3), Unit: unitHTTP3, Better: quicBetterHigh},
		{Value: per(t.EarlyData), Unit: unitZeroRTT, Better: quicBetterHigh},
	}
	q := res.QUIC
	all := res.Requests + res.Warmup
	if q == nil || all == 0 {
		return ms
	}
	perRun := func(n uint64) float64 { return float64(n) / float64(all) }
	ms = append(ms,
		results.Metric{Value: perRun(q.PacketsLost), Unit: unitQUICLost, Better: quicBetterLow},
		results.Metric{Value: perRun(q.PacketsSent), Unit: unitQUICSent, Better: quicBetterLow},
		results.Metric{Value: perRun(uint64(q.Conns)), Unit: unitQUICConns, Better: quicBetterLow},
	)
	if q.Conns > 0 {
		ms = append(ms, results.Metric{Value: float64(q.GSO) / float64(q.Conns), Unit: unitQUICGSO, Better: quicBetterHigh})
	}
	return ms
}

// quicGSOEnv is the environment that stops quic-go, in the reference
// server and the load agent (and in a server of one's own built on it),
// from sending UDP GSO super-packets where the link would impair them
// whole: the kernel netem backend with loss or a rate. netem's qdisc drops,
// queues and paces what it is handed, and a UDP socket's UDP_SEGMENT batch
// (up to 64 KB) reaches it as one packet; the veth's gso_max_segs of 1
// (netem's unsegmented) bounds TCP's GSO, not UDP's. The TUN emulator
// splits UDP GSO super-packets into their datagrams itself (see netem's
// TestUDPGSOCrossesTheLink), so it keeps GSO. quic-go reads
// QUIC_GO_DISABLE_GSO itself; quic-gso on the result line shows the effect.
func quicGSOEnv(topo *netem.Topology) []string {
	if topo.Backend.Backend != netem.BackendNetem {
		return nil
	}
	for _, d := range []netem.Direction{topo.Link.Up, topo.Link.Down} {
		if d.Loss > 0 || d.Rate > 0 {
			return []string{"QUIC_GO_DISABLE_GSO=true"}
		}
	}
	return nil
}
