package agent

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"
)

// The agent's HTTP client: every knob that lives in the client (socket
// options on the dialer, TLS, the HTTP version) has one place to go. The
// defaults are vegeta's: up to 10000 idle connections per host, a 30 s dial
// and request timeout, no proxy, no redirects followed.

// Defaults of the agent's client.
const (
	agentIdleConns   = 10000
	agentDialTimeout = 30 * time.Second
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
func dialControls(cfg Config) []socketControl {
	return append(socketControls(cfg), bufferControls(cfg)...)
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

// client is the HTTP client the attack sends with; with HTTP3 its
// transport is the HTTP/3 client (h3.go), which Run closes.
func (p *plan) client() (*http.Client, error) {
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
		DialContext: wrapDial(p.track(d.DialContext), append(connWrappers(cfg), p.wire.wrap)),
		// DisableKeepAlives: every request dials a new connection, as
		// every request of a burst does.
		DisableKeepAlives:   !cfg.KeepAlive || cfg.Model() == ModelBurst,
		MaxIdleConnsPerHost: agentIdleConns,
		MaxConnsPerHost:     maxConnsPerHost(cfg),
		// client_idle: 0 keeps idle connections for ever, as vegeta does.
		IdleConnTimeout: cfg.IdleTimeout,
		TLSClientConfig: agentTLSConfig(cfg),
		Protocols:       agentProtocols(cfg),
	}
	c := &http.Client{
		// Every request is traced (connect, TLS, first byte, body; new
		// connections, retries) by the engine; see trace.go.
		Transport: tr,
		Timeout:   timeout(cfg),
		// A 3xx counts as an error: following it would time two requests
		// as one.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	if cfg.HTTP3 {
		h3, err := newH3Client(cfg)
		if err != nil {
			return nil, err
		}
		p.h3, c.Transport = h3, h3
	}
	if cfg.API == apiGRPC {
		rpc, err := newGRPCTransport(p, tr.DialContext)
		if err != nil {
			return nil, err
		}
		p.rpc, c.Transport = rpc, rpc
	}
	return c, nil
}

// connWrapper wraps a connection the agent's dialer made, e.g. to count the
// bytes it carries.
type connWrapper func(net.Conn) net.Conn

// connWrappers are applied, in order, to every connection the agent dials,
// beneath TLS (they see the bytes on the wire). None yet: a knob or a
// metric that needs the raw connection (bytes per request for the codec
// knob, say) returns its wrapper here from its own file, as dialControls
// does for socket options.
func connWrappers(cfg Config) []connWrapper {
	return nil
}

// wrapDial applies ws to every connection dial makes.
func wrapDial(dial func(ctx context.Context, network, addr string) (net.Conn, error), ws []connWrapper) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if len(ws) == 0 {
		return dial
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		for _, w := range ws {
			c = w(c)
		}
		return c, nil
	}
}

// checkTransport checks the transport knobs of cfg against the URL's scheme.
func checkTransport(cfg Config, scheme string) error {
	switch cfg.TLS {
	case "": // as the URL says; https:// without a session cache
	case "off":
		if scheme == "https" {
			return fmt.Errorf("load agent: url %q is https but tls is off; give tls full or resume, or an http:// URL", cfg.URL)
		}
	case "full", "resume", "0rtt":
		if scheme != "https" {
			return fmt.Errorf("load agent: tls %s needs an https:// URL, not %q", cfg.TLS, cfg.URL)
		}
	default:
		return fmt.Errorf("load agent: tls %q: give off, full, resume or 0rtt (http3)", cfg.TLS)
	}
	if cfg.IdleTimeout < 0 {
		return fmt.Errorf("load agent: client idle timeout %v: negative; give 0 (never) or more", cfg.IdleTimeout)
	}
	return checkH3(cfg, scheme)
}

// agentTLSConfig is the client's TLS: version 1.3 only, the server's
// certificate not verified (it is made at run time; the agent measures the
// handshake, it does not judge the certificate). tls=resume adds a session
// cache, so that a new connection to the server resumes the session of a
// ticket an earlier one received (a PSK handshake: no certificate, no
// signature, still one round trip); tls=full has none, so every new
// connection makes a full handshake. The cache is shared by every
// connection of the run.
func agentTLSConfig(cfg Config) *tls.Config {
	c := &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13}
	if cfg.TLS == "resume" {
		c.ClientSessionCache = tls.NewLRUClientSessionCache(agentSessionCache)
	}
	return c
}

// agentSessionCache is how many TLS sessions the agent keeps; it talks to
// one server, whose tickets all go under one key.
const agentSessionCache = 64

// agentProtocols is the HTTP version the agent speaks: HTTP/1.1 only, or
// HTTP/2 only (ALPN "h2" over TLS, h2c with prior knowledge without it).
// Offering one version only makes a server that cannot speak it fail the
// cell, rather than quietly measure the other version.
func agentProtocols(cfg Config) *http.Protocols {
	var p http.Protocols
	switch {
	case !cfg.HTTP2:
		p.SetHTTP1(true)
	case usesTLS(cfg):
		p.SetHTTP2(true)
	default:
		p.SetUnencryptedHTTP2(true)
	}
	return &p
}

// usesTLS reports whether the agent's URL is https.
func usesTLS(cfg Config) bool { return strings.HasPrefix(cfg.URL, "https://") }

// DialControl is the net.Dialer Control function with which the agent
// sets cfg's socket options (Fast Open, congestion control) on every
// connection; nil when cfg sets none.
func DialControl(cfg Config) func(network, address string, c syscall.RawConn) error {
	return chainControls(dialControls(cfg))
}
