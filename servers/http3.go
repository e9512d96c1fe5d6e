package servers

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
)

// HTTP/3: with Transport.HTTP3 the reference server also answers HTTP/3
// over QUIC (quic-go) on UDP, at the host and port of its TCP listener, as
// a server that advertises h3 in Alt-Svc does. TCP keeps serving HTTP/1.1
// and HTTP/2 over TLS beside it.
//
// QUIC is always encrypted, so HTTP/3 needs TLS; the certificate and the
// session tickets are the TCP side's. The server accepts 0-RTT: a client
// that resumes a session may send its first requests in its first flight
// (early data), and they are answered as soon as the handshake allows. Every
// tls value that HTTP/3 takes (full, resume, 0rtt) is the same on the
// server; only the client decides whether to resume and to send early data,
// as over TCP.

// h3Server is the HTTP/3 side of a running server.
type h3Server struct {
	srv    *http3.Server
	pc     net.PacketConn
	served chan error
}

// listenHTTP3 opens the UDP socket of the HTTP/3 side on addr, the TCP
// listener's address.
func listenHTTP3(addr string) (net.PacketConn, error) {
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return nil, listenError(addr+" (udp, for HTTP/3)", err)
	}
	return pc, nil
}

// startHTTP3 serves h over HTTP/3 on pc with the server's TLS
// configuration, until stop. Its quic.Config allows 0-RTT; the idle timeout
// is the TCP side's, at the HTTP/3 layer and at QUIC's.
func startHTTP3(pc net.PacketConn, h http.Handler, tlsConf *tls.Config, cfg Config) *h3Server {
	s := &h3Server{
		srv: &http3.Server{
			Handler:        h,
			TLSConfig:      tlsConf.Clone(),
			QUICConfig:     &quic.Config{Allow0RTT: true, MaxIdleTimeout: cfg.IdleTimeout},
			IdleTimeout:    cfg.IdleTimeout,
			MaxHeaderBytes: maxHeaderBytes,
		},
		pc:     pc,
		served: make(chan error, 1),
	}
	go func() { s.served <- s.srv.Serve(pc) }()
	return s
}

// stop shuts the HTTP/3 side down gracefully (GOAWAY, then the requests in
// flight finish) within ctx, closes what is left and the socket.
func (s *h3Server) stop(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if err != nil {
		err = errors.Join(err, s.srv.Close())
	}
	s.pc.Close()
	<-s.served // http.ErrServerClosed or the closed socket
	if err != nil {
		return fmt.Errorf("servers: shutting down HTTP/3: %w", err)
	}
	return nil
}
