package servers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"syscall"
	"time"
)

// Defaults that Config's zero fields stand for, and fixed limits.
const (
	// DefaultIdleTimeout is how long a kept-alive connection may wait for its
	// next request when Config.IdleTimeout is zero.
	DefaultIdleTimeout = 90 * time.Second
	// DefaultReadHeaderTimeout is how long a client may take to send a
	// request header when Config.ReadHeaderTimeout is zero.
	DefaultReadHeaderTimeout = 5 * time.Second
	// DefaultWriteTimeout is how long a response may take to send when
	// Config.WriteTimeout is zero; long, since GET /bytes/64MiB over a slow
	// emulated link takes a while.
	DefaultWriteTimeout = 60 * time.Second
	// ShutdownTimeout bounds the graceful shutdown once Serve's context is
	// done; connections still busy after it are closed.
	ShutdownTimeout = 5 * time.Second

	// readTimeout bounds reading a whole request; requests are header-only.
	readTimeout = 30 * time.Second
	// maxHeaderBytes bounds a request's header.
	maxHeaderBytes = 64 << 10
)

// Config is the reference server's wanted state; the zero value is valid
// except Addr, which Run needs. Zero durations stand for the defaults above.
type Config struct {
	Addr              string        // host:port to listen on, e.g. 198.18.0.2:8080
	IdleTimeout       time.Duration // zero: DefaultIdleTimeout
	ReadHeaderTimeout time.Duration // zero: DefaultReadHeaderTimeout
	WriteTimeout      time.Duration // zero: DefaultWriteTimeout
	Logger            *log.Logger   // nil discards; gets the HTTP server's errors
	// Socket holds the TCP options of the listener and of accepted
	// connections (Fast Open, congestion control, Nagle); zero: Go's.
	Socket SocketOptions
	// Transport is TLS, the HTTP version and the requests allowed per
	// connection; zero: plain HTTP/1.1, no limit.
	Transport Transport
	// Codec is the encoding of GET /orders for requests that name none;
	// zero: CodecJSON. See CodecHandler.
	Codec Codec
	// Limits are the listen backlog, the send buffer and the cap on
	// connections; zero: Go's and the kernel's. See connlimits.go.
	Limits Limits
}

// withDefaults returns c with its zero fields filled in, or an error naming
// the first field that is not valid.
func (c Config) withDefaults() (Config, error) {
	for _, d := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"idle timeout", &c.IdleTimeout, DefaultIdleTimeout},
		{"read header timeout", &c.ReadHeaderTimeout, DefaultReadHeaderTimeout},
		{"write timeout", &c.WriteTimeout, DefaultWriteTimeout},
	} {
		switch {
		case *d.v < 0:
			return c, fmt.Errorf("servers: %s %v is negative; use 0 for the default %v or a positive duration", d.name, *d.v, d.def)
		case *d.v == 0:
			*d.v = d.def
		}
	}
	if c.Logger == nil {
		c.Logger = log.New(io.Discard, "", 0)
	}
	return c, nil
}

// ListenOption changes how Listen opens its socket.
type ListenOption func(*listenSettings)

// listenSettings is what the ListenOptions of one Listen call add up to.
type listenSettings struct {
	controls []func(network, address string, c syscall.RawConn) error
}

// WithControl runs fn on the listening socket after it is created and before
// it is bound, in the order the options are given; this is where socket
// options such as TCP_FASTOPEN or TCP_NODELAY go. An error from fn stops
// Listen with that error.
func WithControl(fn func(network, address string, c syscall.RawConn) error) ListenOption {
	return func(s *listenSettings) { s.controls = append(s.controls, fn) }
}

// control runs every control function of s in turn.
func (s *listenSettings) control(network, address string, c syscall.RawConn) error {
	for _, fn := range s.controls {
		if err := fn(network, address, c); err != nil {
			return err
		}
	}
	return nil
}

// Listen opens a TCP listener on addr (host:port). Its errors say what to
// change: a port in use gives "servers: listening on 198.18.0.2:8080: address
// already in use; choose another port or stop the program that holds it".
func Listen(ctx context.Context, addr string, opts ...ListenOption) (net.Listener, error) {
	if addr == "" {
		return nil, errors.New("servers: no address to listen on; give host:port, e.g. 198.18.0.2:8080")
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, fmt.Errorf("servers: listen address %q: %v; give host:port, e.g. 198.18.0.2:8080", addr, err)
	}
	var s listenSettings
	for _, opt := range opts {
		opt(&s)
	}
	var lc net.ListenConfig
	if len(s.controls) > 0 {
		lc.Control = s.control
	}
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, listenError(addr, err)
	}
	return ln, nil
}

// listenError turns an error of net.ListenConfig.Listen into one that says
// what to do about it.
func listenError(addr string, err error) error {
	// net's own text repeats the address ("listen tcp 198.18.0.2:8080: bind:
	// ..."); the cause alone reads better after ours.
	cause := err
	if opErr, ok := errors.AsType[*net.OpError](err); ok {
		cause = opErr.Err
		if sysErr, ok := errors.AsType[*os.SyscallError](cause); ok {
			cause = sysErr.Err
		}
	}
	hint := ""
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		hint = "; choose another port or stop the program that holds it"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		hint = "; no interface here has that address: check the address, or run inside the namespace that has it"
	case errors.Is(err, syscall.EACCES):
		hint = "; use a port above 1023, or run as root or with CAP_NET_BIND_SERVICE"
	}
	return fmt.Errorf("servers: listening on %s: %w%s", addr, cause, hint)
}

// Serve serves Handler on ln until ctx is done, then shuts down gracefully:
// it stops accepting, lets requests in flight finish for up to
// ShutdownTimeout, closes what is left and returns nil. It returns an error
// only if cfg is not valid or ln fails. Serve owns ln and has closed it when
// it returns; cfg.Addr is not used.
func Serve(ctx context.Context, ln net.Listener, cfg Config) error {
	return serve(ctx, ln, nil, cfg)
}

// serve is Serve with the UDP socket of the HTTP/3 side already open (Run
// opens it before its ready line); nil opens it here when
// cfg.Transport.HTTP3 is set. It owns pc as it owns ln.
func serve(ctx context.Context, ln net.Listener, pc net.PacketConn, cfg Config) error {
	cfg, err := cfg.withDefaults()
	if err != nil {
		ln.Close()
		if pc != nil {
			pc.Close()
		}
		return err
	}
	handler := CodecHandler(cfg.Codec)
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       max(readTimeout, cfg.ReadHeaderTimeout),
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          cfg.Logger,
	}
	ln = cfg.Limits.wrap(cfg.Socket.wrap(ln))
	addr := ln.Addr().String()
	if err := cfg.Transport.apply(srv, addr); err != nil {
		ln.Close()
		if pc != nil {
			pc.Close()
		}
		return err
	}
	var h3 *h3Server
	if cfg.Transport.HTTP3 {
		if pc == nil {
			if pc, err = listenHTTP3(addr); err != nil {
				ln.Close()
				return err
			}
		}
		h3 = startHTTP3(pc, handler, srv.TLSConfig, cfg)
	}
	served := make(chan error, 1)
	go func() { served <- cfg.Transport.serve(srv, ln) }()

	select {
	case err := <-served:
		// srv.Serve returns only with an error, and Shutdown has not run.
		if h3 != nil {
			h3.srv.Close()
			h3.pc.Close()
		}
		return fmt.Errorf("servers: serving on %s: %w", addr, err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
	defer cancel()
	if h3 != nil {
		if err := h3.stop(sctx); err != nil {
			cfg.Logger.Printf("%v", err)
		}
	}
	if err := srv.Shutdown(sctx); err != nil {
		cfg.Logger.Printf("servers: shutting down %s: %v; closing the connections still busy", addr, err)
		srv.Close()
	}
	<-served // http.ErrServerClosed
	return nil
}

// Run listens on cfg.Addr, writes one line "listening <addr>\n" to ready (if
// not nil) once connections are accepted, and serves until ctx is done; see
// Serve. The address in the line is the one bound, so ":0" shows its port.
func Run(ctx context.Context, cfg Config, ready io.Writer) error {
	if _, err := cfg.withDefaults(); err != nil {
		return err
	}
	ln, err := Listen(ctx, cfg.Addr, append(cfg.Socket.listenOptions(), cfg.Limits.listenOptions()...)...)
	if err != nil {
		return err
	}
	if err := cfg.Limits.relisten(ln); err != nil {
		ln.Close()
		return err
	}
	// HTTP/3's UDP socket is bound before the ready line too, so that a
	// client's first Initial packet is queued, not refused.
	var pc net.PacketConn
	if cfg.Transport.HTTP3 {
		if pc, err = listenHTTP3(ln.Addr().String()); err != nil {
			ln.Close()
			return err
		}
	}
	// The socket is listening: the kernel queues connections from here on,
	// even before Serve's first Accept.
	if ready != nil {
		if _, err := fmt.Fprintf(ready, "listening %s\n", ln.Addr()); err != nil {
			ln.Close()
			if pc != nil {
				pc.Close()
			}
			return fmt.Errorf("servers: writing the ready line: %w; check that whoever started the server still reads its output", err)
		}
	}
	return serve(ctx, ln, pc, cfg)
}
