package scenarios

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// HTTP/3 and streams: the knob values and load settings that only make sense
// together. http "3" is HTTP/3 over QUIC, always encrypted; tls 0rtt is
// QUIC's 0-RTT early data, which Go's TLS over TCP does not have; tfo is TCP
// Fast Open, which QUIC (over UDP) has no use for; load.streams puts several
// requests in flight on one connection, which HTTP/1.1 cannot. A cell that
// pairs them wrongly is an error that names the cell and the skip: entry
// that prunes it, never a cell that measures something other than its name.

// MaxStreams bounds load.streams: the reference server's HTTP/3 side
// accepts 100 streams per connection at once (quic-go's default).
const MaxStreams = 100

// streams reads load.streams, e.g. {connections: 1, streams: 8}.
func (p *parser) streams(v *yaml.Node, model, knob string) int {
	n, ok := p.integer(v, "load.streams", 1, MaxStreams, fmt.Sprintf("the requests in flight on each connection, from 1 to %d", MaxStreams))
	if !ok {
		return 0
	}
	if n > 1 && model != ModelConnections && knob != KnobConnections {
		p.add(v.Line, "load.streams", "streams is the closed loop's requests in flight on each connection; give connections: too (e.g. {connections: 1, streams: 8}), or remove streams")
		return 0
	}
	return int(n)
}

// transportProblem says why cell c cannot run as its knobs say, as the key
// path to blame and a message; "" when it can.
func (s *Suite) transportProblem(c Cell) (path, msg string) {
	tls, _ := c.Get("tls")
	if tls == "" {
		tls = "off"
	}
	http, _ := c.Get("http")
	if http == "" {
		http = "1.1"
	}
	tfo, _ := c.Get("tfo")
	keepalive, _ := c.Get("keepalive")
	skip := func(pairs string) string {
		return fmt.Sprintf("; prune such cells with skip: [{%s}]", pairs)
	}
	switch {
	case tls == "0rtt" && http != "3":
		return join("matrix", "tls"), fmt.Sprintf("cell %s: tls 0rtt is QUIC's 0-RTT early data and needs http \"3\" (Go's TLS over TCP has no early data)%s",
			c.Name(), skip(fmt.Sprintf("tls: 0rtt, http: %q", http)))
	case http == "3" && tls == "off":
		return join("matrix", "http"), fmt.Sprintf("cell %s: http \"3\" runs over QUIC, which is always encrypted; give tls full, resume or 0rtt%s",
			c.Name(), skip("http: \"3\", tls: off"))
	case http == "3" && tfo == "on":
		return join("matrix", "tfo"), fmt.Sprintf("cell %s: tfo is TCP Fast Open and HTTP/3 runs over UDP, so the cell would be named for a tuning that never happens%s",
			c.Name(), skip("http: \"3\", tfo: on"))
	}
	if streams := s.Load.Streams; streams > 1 {
		conns := s.CellLoad(c).Connections
		switch {
		case http == "1.1":
			return join("load", "streams"), fmt.Sprintf("cell %s: streams %d needs http \"2\" or \"3\": HTTP/1.1 carries one request at a time on a connection", c.Name(), streams)
		case keepalive == "off":
			return join("load", "streams"), fmt.Sprintf("cell %s: streams %d needs keepalive on: a new connection per request carries one stream%s", c.Name(), streams, skip("keepalive: off"))
		case http == "2" && conns > 1:
			return join("load", "streams"), fmt.Sprintf("cell %s: streams %d over %d HTTP/2 connections: Go's client keeps a host's HTTP/2 streams on one connection; give connections: 1", c.Name(), streams, conns)
		}
	}
	return "", ""
}
