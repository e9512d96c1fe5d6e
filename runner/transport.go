package runner

import (
	"strings"
	"time"

	"github.com/tunebench/tunebench/agent"
	"github.com/tunebench/tunebench/results"
	"github.com/tunebench/tunebench/scenarios"
)

// The transport knobs: tls, http, client_idle reach the load agent through
// its agent.Config; tls, http, max_requests and server_idle reach the server
// through TUNEBENCH_* (see ServerEnv), which the reference server reads in
// servers.TransportFromEnv.

// transportAgent sets the cell's transport knobs on cfg: https:// when TLS
// is on, the TLS mode, HTTP/2, and the client's idle timeout.
func transportAgent(cell scenarios.Cell, cfg *agent.Config) {
	if v, ok := cell.Get("tls"); ok {
		cfg.TLS = v
		if v != "off" {
			cfg.URL = "https://" + strings.TrimPrefix(cfg.URL, "http://")
		}
	}
	if v, ok := cell.Get("http"); ok {
		cfg.HTTP2, cfg.HTTP3 = v == "2", v == "3"
	}
	if v, ok := cell.Get("client_idle"); ok {
		// The knob table has checked the value (scenarios.KnobInfo.Canonical).
		if d, err := time.ParseDuration(v); err == nil {
			cfg.IdleTimeout = d
		}
	}
}

// Units of the per-request trace metrics.
const (
	unitConns        = "conns/op"
	unitRetries      = "retries/op"
	unitHandshakes   = "tls-handshakes/op"
	unitResumed      = "tls-resumed/op"
	unitHTTP2        = "h2/op"
	unitConnectP50   = "connect-ns"
	unitHandshakeP50 = "tls-ns"
	unitTTFBP50      = "ttfb-ns"
	unitBodyP50      = "body-ns"
	transportLower   = results.BetterLower
	transportHigher  = results.BetterHigher
)

// traceMetrics are the sample's figures from the agent's trace:
//
//	conns/op           new connections per measured request
//	retries/op         requests net/http sent again on a new connection
//	tls-handshakes/op  TLS handshakes per request (tls on)
//	tls-resumed/op     ... of which resumed a session (tls on)
//	h2/op              responses over HTTP/2 per request (http=2)
//	connect-ns         median TCP connect of the requests that opened a connection
//	tls-ns             median TLS handshake of the requests that made one
//	ttfb-ns            median from request written to first response byte
//	body-ns            median from first byte to the body's end
//
// A phase no measured request had (connect with warm keep-alive) is left
// out rather than written as 0.
func traceMetrics(t *agent.TraceReport) []results.Metric {
	if t == nil || t.Requests == 0 {
		return nil
	}
	per := func(n int) float64 { return float64(n) / float64(t.Requests) }
	ms := []results.Metric{
		{Value: per(t.NewConns), Unit: unitConns, Better: transportLower},
		{Value: per(t.Retries), Unit: unitRetries, Better: transportLower},
	}
	if t.TLS {
		ms = append(ms,
			results.Metric{Value: per(t.Handshakes), Unit: unitHandshakes, Better: transportLower},
			results.Metric{Value: per(t.Resumed), Unit: unitResumed, Better: transportHigher})
	}
	if t.AskedHTTP2 {
		ms = append(ms, results.Metric{Value: per(t.HTTP2), Unit: unitHTTP2, Better: transportHigher})
	}
	for _, p := range []struct {
		ph   agent.Phase
		unit string
	}{{t.Connect, unitConnectP50}, {t.Handshake, unitHandshakeP50}, {t.TTFB, unitTTFBP50}, {t.Body, unitBodyP50}} {
		if p.ph.Count > 0 {
			ms = append(ms, results.Metric{Value: float64(p.ph.P50), Unit: p.unit, Better: transportLower})
		}
	}
	return ms
}
