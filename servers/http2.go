package servers

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Transport is how the reference server speaks on its connections: TLS,
// the HTTP version, and its keep-alive policy. The zero value is plain
// HTTP/1.1 with no limit on requests per connection.
type Transport struct {
	// TLS serves TLS 1.3 with a certificate made at start (see tlsConfig).
	// The server side of tls=full and tls=resume is the same: session
	// tickets are always on, and only the client decides whether to resume.
	TLS bool
	// HTTP2 serves HTTP/2 besides HTTP/1.1: negotiated with ALPN over TLS,
	// or h2c with prior knowledge (the client starts with the HTTP/2
	// preface, no Upgrade) without it. HTTP/1.1 stays on either way, so
	// health checks and curl still work.
	HTTP2 bool
	// HTTP3 serves HTTP/3 over QUIC on UDP at the TCP listener's port as
	// well (see http3.go); it needs TLS.
	HTTP3 bool
	// MaxRequests closes a connection after it has answered this many
	// requests: the last response carries Connection: close (HTTP/1.1) or is
	// followed by GOAWAY (HTTP/2). 0: no limit.
	MaxRequests int
	// GRPC serves the Orders service as gRPC besides REST, on the same
	// port (api=grpc; see grpc.go). It needs HTTP2.
	GRPC bool
}

// protocols is what the http.Server speaks for t.
func (t Transport) protocols() *http.Protocols {
	var p http.Protocols
	p.SetHTTP1(true)
	switch {
	case t.HTTP2 && t.TLS:
		p.SetHTTP2(true)
	case t.HTTP2:
		p.SetUnencryptedHTTP2(true)
	}
	return &p
}

// apply sets up srv, which will serve on addr, for t: its protocols, its TLS
// configuration, and the request limit per connection around its handler.
func (t Transport) apply(srv *http.Server, addr string) error {
	if t.HTTP3 && !t.TLS {
		return fmt.Errorf("servers: HTTP/3 runs over QUIC, which is always encrypted; turn TLS on (tls full, resume or 0rtt)")
	}
	srv.Protocols = t.protocols()
	if t.GRPC {
		if !t.HTTP2 {
			return fmt.Errorf("servers: gRPC needs HTTP/2; turn HTTP/2 on (TUNEBENCH_HTTP=2)")
		}
		srv.Handler = withGRPC(srv.Handler) // within limitRequests: gRPC calls count
	}
	if t.TLS {
		cfg, err := tlsConfig(addr)
		if err != nil {
			return err
		}
		srv.TLSConfig = cfg
	}
	if t.MaxRequests > 0 {
		srv.Handler = limitRequests(srv.Handler, t.MaxRequests)
		srv.ConnContext = withRequestCount
	}
	return nil
}

// serve runs srv on ln, over TLS when t says so. ServeTLS adds the ALPN
// names ("h2" when HTTP/2 is on, and "http/1.1") to the configuration.
func (t Transport) serve(srv *http.Server, ln net.Listener) error {
	if t.TLS {
		return srv.ServeTLS(ln, "", "")
	}
	return srv.Serve(ln)
}

// TransportFromEnv reads the cell's transport knobs from the variables the
// runner sets for every server (see runner.ServerEnv): TUNEBENCH_TLS (off,
// full, resume, 0rtt), TUNEBENCH_HTTP (1.1, 2, 3: HTTP/3 on UDP besides
// HTTP/1.1 and 2 on TCP), TUNEBENCH_API (rest, grpc: the Orders service as
// gRPC too), TUNEBENCH_MAX_REQUESTS (an
// integer, 0 for no limit) and TUNEBENCH_SERVER_IDLE (a duration, 500ms, the
// idle timeout). Unset variables keep the defaults; idle is 0 when
// TUNEBENCH_SERVER_IDLE is unset. getenv is os.Getenv in the server.
func TransportFromEnv(getenv func(string) string) (t Transport, idle time.Duration, err error) {
	switch v := getenv("TUNEBENCH_TLS"); v {
	case "", "off":
	case "full", "resume", "0rtt":
		t.TLS = true
	default:
		return t, 0, fmt.Errorf("servers: TUNEBENCH_TLS=%q: give off, full, resume or 0rtt", v)
	}
	switch v := getenv("TUNEBENCH_HTTP"); v {
	case "", "1.1":
	case "2":
		t.HTTP2 = true
	case "3":
		t.HTTP2, t.HTTP3 = true, true
		if !t.TLS {
			return t, 0, fmt.Errorf("servers: TUNEBENCH_HTTP=3 needs TUNEBENCH_TLS full, resume or 0rtt: QUIC is always encrypted")
		}
	default:
		return t, 0, fmt.Errorf("servers: TUNEBENCH_HTTP=%q: give 1.1, 2 or 3", v)
	}
	switch v := getenv("TUNEBENCH_API"); v {
	case "", "rest":
	case "grpc":
		if !t.HTTP2 {
			return t, 0, fmt.Errorf("servers: TUNEBENCH_API=grpc needs TUNEBENCH_HTTP=2: gRPC runs over HTTP/2")
		}
		t.GRPC = true
	default:
		return t, 0, fmt.Errorf("servers: TUNEBENCH_API=%q: give rest or grpc", v)
	}
	if v := getenv("TUNEBENCH_MAX_REQUESTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return t, 0, fmt.Errorf("servers: TUNEBENCH_MAX_REQUESTS=%q: give a whole number of requests, 0 for no limit", v)
		}
		t.MaxRequests = n
	}
	if v := getenv("TUNEBENCH_SERVER_IDLE"); v != "" {
		idle, err = time.ParseDuration(v)
		if err != nil || idle <= 0 {
			return t, 0, fmt.Errorf("servers: TUNEBENCH_SERVER_IDLE=%q: give a positive duration, e.g. 500ms", v)
		}
	}
	return t, idle, nil
}
