package servers

import (
	"errors"
	"fmt"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// SocketOptions are the TCP options of the reference server's listener and
// of the connections it accepts. The zero value is Go's defaults: no Fast
// Open, the namespace's congestion control, TCP_NODELAY set.
type SocketOptions struct {
	// FastOpen sets TCP_FASTOPEN on the listener (a queue of
	// FastOpenQueue pending Fast Open requests). The namespace's
	// net.ipv4.tcp_fastopen must have the server bit (0x2) as well.
	FastOpen bool
	// Congestion sets TCP_CONGESTION on the listener, which accepted
	// connections inherit, e.g. "cubic"; empty leaves the route's or the
	// namespace's.
	Congestion string
	// Nagle clears TCP_NODELAY on every accepted connection, so that small
	// writes wait for the ACK of what is in flight (Nagle's algorithm). Go
	// sets TCP_NODELAY on every connection after accept, so a listener
	// option could not do this.
	Nagle bool
}

// FastOpenQueue is the TCP_FASTOPEN queue length the listener gets.
const FastOpenQueue = 256

// listenOptions are the Listen options that set o on the listener.
func (o SocketOptions) listenOptions() []ListenOption {
	var opts []ListenOption
	if o.FastOpen {
		opts = append(opts, WithControl(func(_, _ string, c syscall.RawConn) error {
			return setsockopt(c, "TCP_FASTOPEN", func(fd int) error {
				return unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_FASTOPEN, FastOpenQueue)
			})
		}))
	}
	if cc := o.Congestion; cc != "" {
		opts = append(opts, WithControl(func(_, _ string, c syscall.RawConn) error {
			return setsockopt(c, "TCP_CONGESTION "+cc, func(fd int) error {
				return unix.SetsockoptString(fd, unix.IPPROTO_TCP, unix.TCP_CONGESTION, cc)
			})
		}))
	}
	return opts
}

// setsockopt runs set on the raw socket and names the option in its error.
func setsockopt(c syscall.RawConn, what string, set func(fd int) error) error {
	var serr error
	if err := c.Control(func(fd uintptr) { serr = set(int(fd)) }); err != nil {
		return fmt.Errorf("servers: %s: %w", what, err)
	}
	if serr != nil {
		hint := ""
		if errors.Is(serr, unix.ENOENT) {
			hint = "; the kernel does not have that algorithm (see net.ipv4.tcp_available_congestion_control)"
		}
		return fmt.Errorf("servers: setting %s on the listener: %w%s", what, serr, hint)
	}
	return nil
}

// wrap returns ln, or a listener that applies o to each accepted connection.
func (o SocketOptions) wrap(ln net.Listener) net.Listener {
	if !o.Nagle {
		return ln
	}
	return nagleListener{ln}
}

// nagleListener clears TCP_NODELAY on the connections it accepts.
type nagleListener struct{ net.Listener }

// Accept implements net.Listener. A connection whose option cannot be
// cleared (it was reset at once) is closed and the next one taken: serving
// it with TCP_NODELAY set would measure the wrong thing.
func (l nagleListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		tc, ok := c.(*net.TCPConn)
		if !ok || tc.SetNoDelay(false) == nil {
			return c, nil
		}
		c.Close()
	}
}
