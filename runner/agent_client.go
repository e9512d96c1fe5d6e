package runner

import (
	"crypto/tls"
	"net"
	"net/http"
	"syscall"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// The agent builds its own HTTP client rather than vegeta's, so that every
// knob that lives in the client (socket options on the dialer, TLS, the HTTP
// version, per-request tracing) has one place to go. The defaults match
// vegeta's: up to 10000 idle connections per host, a 30 s dial and request
// timeout, no proxy, no redirects followed.

// Defaults of the agent's client.
const (
	agentIdleConns   = vegeta.DefaultConnections
	agentDialTimeout = vegeta.DefaultTimeout
	// agentTCPKeepAlive is the dialer's TCP keep-alive probe period, as
	// vegeta's; it has nothing to do with HTTP keep-alive.
	agentTCPKeepAlive = 30 * time.Second
)

// socketControl is a net.Dialer Control function: it runs on the raw socket
// before connect.
type socketControl func(network, address string, c syscall.RawConn) error

// dialControls are the socket options the agent's dialer sets on every
// connection, from cfg. Knobs that act on the client socket (TCP Fast Open,
// congestion control, Nagle) add theirs here.
func dialControls(cfg AgentConfig) []socketControl {
	return socketControls(cfg)
}

// chainControls runs fs in order and stops at the first error; nil for none.
func chainControls(fs []socketControl) func(network, address string, c syscall.RawConn) error {
	if len(fs) == 0 {
		return nil
	}
	return func(network, address string, c syscall.RawConn) error {
		for _, f := range fs {
			if err := f(network, address, c); err != nil {
				return err
			}
		}
		return nil
	}
}

// client is the HTTP client the attack sends with.
func (p *agentPlan) client() *http.Client {
	cfg := p.cfg
	d := &net.Dialer{
		Timeout:   agentDialTimeout,
		KeepAlive: agentTCPKeepAlive,
		Control:   chainControls(dialControls(cfg)),
	}
	tr := &http.Transport{
		// The agent talks to the server namespace directly; a proxy taken
		// from the environment would measure the proxy.
		Proxy:       nil,
		DialContext: p.track(d.DialContext),
		// DisableKeepAlives: every request dials a new connection.
		DisableKeepAlives:   !cfg.KeepAlive,
		MaxIdleConnsPerHost: agentIdleConns,
		MaxConnsPerHost:     cfg.MaxConnections,
		// The server's certificate is made at run time; the agent measures
		// the handshake, it does not judge the certificate.
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
	}
	c := &http.Client{
		Transport: tr,
		Timeout:   vegeta.DefaultTimeout,
		// A 3xx counts as an error: following it would time two requests
		// as one.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	if cfg.Timeout > 0 {
		c.Timeout = cfg.Timeout
	}
	return c
}
