package servers

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Limits are the reference server's knobs of the common tuning claims
// about listen queues, socket buffers and slow clients. The zero value is
// Go's behaviour: a backlog of net.core.somaxconn, the kernel's send-buffer
// autotuning, no cap on connections.
type Limits struct {
	// Backlog is the listen(2) backlog: the connections the kernel
	// completes and queues before the server accepts them. Go listens with
	// net.core.somaxconn; a Backlog calls listen(2) again on the bound
	// socket, which Linux takes as a new backlog. The kernel clamps it to
	// net.core.somaxconn (per network namespace); sock_diag shows what it
	// kept (netem.Namespace.ListenBacklog).
	Backlog int
	// SndBuf sets SO_SNDBUF on the listener, which every accepted
	// connection inherits, and turns off the send buffer's autotuning
	// (tcp_wmem). The kernel doubles the value for its bookkeeping and
	// reads back the double; it is set with SO_SNDBUFFORCE where the
	// process may (CAP_NET_ADMIN), else capped at net.core.wmem_max, which
	// fails Listen.
	SndBuf int
	// MaxConns caps the connections served at once; more wait, accepted
	// by the kernel, in the listen queue until one closes (as nginx's
	// worker_connections). 0: no cap.
	MaxConns int
}

// relisten applies Backlog to a listening socket.
func (l Limits) relisten(ln net.Listener) error {
	if l.Backlog <= 0 {
		return nil
	}
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return fmt.Errorf("servers: backlog %d: listener %T has no socket", l.Backlog, ln)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return fmt.Errorf("servers: backlog %d: %w", l.Backlog, err)
	}
	var lerr error
	if err := rc.Control(func(fd uintptr) { lerr = unix.Listen(int(fd), l.Backlog) }); err != nil {
		return fmt.Errorf("servers: backlog %d: %w", l.Backlog, err)
	}
	if lerr != nil {
		return fmt.Errorf("servers: listen(2) with backlog %d: %w", l.Backlog, lerr)
	}
	return nil
}

// listenOptions are the Listen options that set l on the listener.
func (l Limits) listenOptions() []ListenOption {
	if l.SndBuf <= 0 {
		return nil
	}
	return []ListenOption{WithControl(func(_, _ string, c syscall.RawConn) error {
		return SetBuffer(c, unix.SO_SNDBUF, l.SndBuf)
	})}
}

// SetBuffer sets SO_SNDBUF or SO_RCVBUF (opt) on c to n bytes and reads it
// back: the kernel keeps 2n. It tries the FORCE variant first, which
// ignores net.core.wmem_max and rmem_max for a process with CAP_NET_ADMIN;
// without it the plain option is capped there, and a value read back
// other than 2n is an error that names the cap.
func SetBuffer(c syscall.RawConn, opt, n int) error {
	name, force, limit := "SO_SNDBUF", unix.SO_SNDBUFFORCE, "net.core.wmem_max"
	if opt == unix.SO_RCVBUF {
		name, force, limit = "SO_RCVBUF", unix.SO_RCVBUFFORCE, "net.core.rmem_max"
	}
	var got int
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, force, n)
		if errors.Is(serr, unix.EPERM) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, opt, n)
		}
		if serr == nil {
			got, serr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, opt)
		}
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("setting %s %d: %w", name, n, err)
	}
	if got != 2*n {
		return fmt.Errorf("setting %s %d: the kernel keeps %d, not %d (twice the value); without CAP_NET_ADMIN it caps the value at %s: raise that on the host, or give a smaller value", name, n, got, 2*n, limit)
	}
	return nil
}

// wrap returns ln, or a listener that holds at most MaxConns connections.
func (l Limits) wrap(ln net.Listener) net.Listener {
	if l.MaxConns <= 0 {
		return ln
	}
	return &capListener{Listener: ln, slots: make(chan struct{}, l.MaxConns)}
}

// capListener accepts a connection only while fewer than cap(slots) are
// open; the others wait in the kernel's accept queue.
type capListener struct {
	net.Listener
	slots chan struct{}
}

// Accept implements net.Listener.
func (l *capListener) Accept() (net.Conn, error) {
	l.slots <- struct{}{}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &slotConn{Conn: c, release: func() { <-l.slots }}, nil
}

// slotConn frees its listener's slot once, when it closes.
type slotConn struct {
	net.Conn
	once    sync.Once
	release func()
}

// Close implements net.Conn.
func (c *slotConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// LimitsFromEnv reads the claims' server knobs as the runner passes them
// to every server: TUNEBENCH_BACKLOG, TUNEBENCH_SNDBUF and
// TUNEBENCH_MAX_CONNS (whole numbers) and TUNEBENCH_HEADER_TIMEOUT (a
// duration: how long a client may take to send a request's header, the
// http.Server's ReadHeaderTimeout; 0 when unset).
func LimitsFromEnv(getenv func(string) string) (l Limits, headerTimeout time.Duration, err error) {
	for _, f := range []struct {
		env string
		v   *int
		min int
	}{
		{"TUNEBENCH_BACKLOG", &l.Backlog, 1},
		{"TUNEBENCH_SNDBUF", &l.SndBuf, 1},
		{"TUNEBENCH_MAX_CONNS", &l.MaxConns, 0},
	} {
		s := getenv(f.env)
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < f.min {
			return l, 0, fmt.Errorf("servers: %s=%q: give a whole number of at least %d", f.env, s, f.min)
		}
		*f.v = n
	}
	if s := getenv("TUNEBENCH_HEADER_TIMEOUT"); s != "" {
		headerTimeout, err = time.ParseDuration(s)
		if err != nil || headerTimeout <= 0 {
			return l, 0, fmt.Errorf("servers: TUNEBENCH_HEADER_TIMEOUT=%q: give a positive duration, e.g. 10s", s)
		}
	}
	return l, headerTimeout, nil
}
