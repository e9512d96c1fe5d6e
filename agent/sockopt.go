package agent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// The kernel knobs that act on the agent's own sockets: TCP Fast Open
// (TCP_FASTOPEN_CONNECT), congestion control (TCP_CONGESTION) and Nagle
// (TCP_NODELAY cleared). Every connection the agent dials is tracked, and
// what the kernel says about it (the algorithm, TCP_NODELAY, whether its
// SYN carried data, its retransmissions) is read back from the socket
// itself: at close, or at the end of the run for those still open.

// SocketReport is what the agent read back from its own connections.
type SocketReport struct {
	// Conns is the number of connections dialed.
	Conns int `json:"conns"`
	// Later counts connections dialed after a response had begun to
	// arrive on an earlier one: by then the first connection has its Fast
	// Open cookie, so with tfo on each of these should carry data in its
	// SYN. Connections opened together at the start all ask for a cookie.
	Later int `json:"later"`
	// Congestion counts connections by the algorithm that getsockopt
	// TCP_CONGESTION read back right after connect, e.g. {"cubic": 12}.
	Congestion map[string]int `json:"congestion,omitempty"`
	// NoDelay counts connections whose TCP_NODELAY read back as set after
	// the agent applied its options.
	NoDelay int `json:"nodelay"`
	// SynData counts connections whose SYN carried data that the server
	// acknowledged (TCP_INFO's TCPI_OPT_SYN_DATA): TCP Fast Open used.
	SynData int `json:"syn_data"`
	// Retrans is the sum of TCP_INFO's total_retrans over the connections:
	// segments the client retransmitted.
	Retrans uint64 `json:"retrans"`
	// Errors holds the first few failures to read a socket back.
	Errors []string `json:"errors,omitempty"`
	// DialErrors counts the dials that failed, by errno in lower case
	// (eaddrnotavail, econnrefused, etimedout) or "timeout" or "other".
	DialErrors map[string]int `json:"dial_errors,omitempty"`
	// BusyTime, RwndLimited and SndbufLimited are TCP_INFO's
	// tcpi_busy_time, tcpi_rwnd_limited and tcpi_sndbuf_limited summed
	// over the connections, in microseconds: the time the agent's side
	// was sending, and held back by the server's receive window or its
	// own send buffer.
	BusyTime      uint64 `json:"busy_us,omitempty"`
	RwndLimited   uint64 `json:"rwnd_limited_us,omitempty"`
	SndbufLimited uint64 `json:"sndbuf_limited_us,omitempty"`
}

// tcpiOptSynData is TCPI_OPT_SYN_DATA of <linux/tcp.h>: the SYN carried data
// and the other side acknowledged it.
const tcpiOptSynData = 32

// socketControls are the options set on each socket before connect.
func socketControls(cfg Config) []socketControl {
	var fs []socketControl
	if cfg.FastOpen {
		fs = append(fs, func(_, _ string, c syscall.RawConn) error {
			err := controlSet(c, "TCP_FASTOPEN_CONNECT", func(fd int) error {
				return unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_FASTOPEN_CONNECT, 1)
			})
			if errors.Is(err, unix.EOPNOTSUPP) {
				err = fmt.Errorf("%w: TCP Fast Open is disabled in the client host (net.ipv4.tcp_fastopen lacks the client bit 0x1)", err)
			}
			return err
		})
	}
	if cc := cfg.Congestion; cc != "" {
		fs = append(fs, func(_, _ string, c syscall.RawConn) error {
			return controlSet(c, "TCP_CONGESTION "+cc, func(fd int) error {
				return unix.SetsockoptString(fd, unix.IPPROTO_TCP, unix.TCP_CONGESTION, cc)
			})
		})
	}
	return fs
}

// controlSet runs set on the raw socket, naming the option in its error.
func controlSet(c syscall.RawConn, what string, set func(fd int) error) error {
	var serr error
	if err := c.Control(func(fd uintptr) { serr = set(int(fd)) }); err != nil {
		return fmt.Errorf("load agent: %s: %w", what, err)
	}
	if serr != nil {
		return fmt.Errorf("load agent: setting %s: %w", what, serr)
	}
	return nil
}

// dialFunc is the signature of net.Dialer.DialContext.
type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// socketTracker applies the options that must follow connect and keeps
// what each connection reads back.
type socketTracker struct {
	nagle bool
	// answered is set once any connection has read response bytes.
	answered atomic.Bool

	mu     sync.Mutex
	rep    SocketReport              // guarded by mu
	live   map[*trackedConn]struct{} // guarded by mu
	closed bool                      // guarded by mu
}

// track wraps dial so that every connection is tracked by p's tracker.
func (p *plan) track(dial dialFunc) dialFunc {
	t := &socketTracker{nagle: p.cfg.Nagle, live: map[*trackedConn]struct{}{}}
	t.rep.Congestion = map[string]int{}
	p.socks = t
	return t.wrap(dial)
}

func (t *socketTracker) wrap(dial dialFunc) dialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		later := t.answered.Load()
		c, err := dial(ctx, network, addr)
		if err != nil {
			t.mu.Lock()
			t.dialErrorLocked(err)
			t.mu.Unlock()
			return nil, err
		}
		tc, ok := c.(*net.TCPConn)
		if !ok {
			return c, nil
		}
		// Go sets TCP_NODELAY on every new connection after connect, so
		// clearing it must come after the dial.
		if t.nagle {
			if err := tc.SetNoDelay(false); err != nil {
				c.Close()
				return nil, fmt.Errorf("load agent: clearing TCP_NODELAY: %w", err)
			}
		}
		cc, nodelay, err := readSocket(tc)
		w := &trackedConn{TCPConn: tc, t: t}
		t.mu.Lock()
		t.rep.Conns++
		if later {
			t.rep.Later++
		}
		if err != nil {
			t.errorLocked(err)
		} else {
			t.rep.Congestion[cc]++
			if nodelay {
				t.rep.NoDelay++
			}
		}
		t.live[w] = struct{}{}
		t.mu.Unlock()
		return w, nil
	}
}

func (t *socketTracker) errorLocked(err error) {
	if len(t.rep.Errors) < 3 {
		t.rep.Errors = append(t.rep.Errors, err.Error())
	}
}

// finish reads TCP_INFO of a connection about to close.
func (t *socketTracker) finish(c *trackedConn) {
	info, err := tcpInfo(c.TCPConn)
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.live[c]; !ok {
		return // already counted
	}
	delete(t.live, c)
	if t.closed {
		return
	}
	if err != nil {
		t.errorLocked(err)
		return
	}
	t.addInfoLocked(info)
}

func (t *socketTracker) addInfoLocked(info *unix.TCPInfo) {
	t.rep.Retrans += uint64(info.Total_retrans)
	t.addLimitedLocked(info)
	if info.Options&tcpiOptSynData != 0 {
		t.rep.SynData++
	}
}

// report reads the connections still open and returns the totals; later
// closes change nothing.
func (t *socketTracker) report() *SocketReport {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for c := range t.live {
		info, err := tcpInfo(c.TCPConn)
		if err != nil {
			t.errorLocked(err)
			continue
		}
		t.addInfoLocked(info)
	}
	t.closed = true
	rep := t.rep
	rep.Congestion = make(map[string]int, len(t.rep.Congestion))
	for k, v := range t.rep.Congestion {
		rep.Congestion[k] = v
	}
	rep.Errors = append([]string(nil), t.rep.Errors...)
	if t.rep.DialErrors != nil {
		rep.DialErrors = make(map[string]int, len(t.rep.DialErrors))
		for k, v := range t.rep.DialErrors {
			rep.DialErrors[k] = v
		}
	}
	return &rep
}

// trackedConn reads its TCP_INFO before it closes.
type trackedConn struct {
	*net.TCPConn
	t    *socketTracker
	once sync.Once
}

// Read implements net.Conn, noting the first response bytes of the run.
func (c *trackedConn) Read(b []byte) (int, error) {
	n, err := c.TCPConn.Read(b)
	if n > 0 && !c.t.answered.Load() {
		c.t.answered.Store(true)
	}
	return n, err
}

// Close implements net.Conn.
func (c *trackedConn) Close() error {
	c.once.Do(func() { c.t.finish(c) })
	return c.TCPConn.Close()
}

// readSocket reads a connection's congestion control and TCP_NODELAY.
func readSocket(c *net.TCPConn) (cc string, nodelay bool, err error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return "", false, err
	}
	var nd int
	var gerr error
	if err := rc.Control(func(fd uintptr) {
		cc, gerr = unix.GetsockoptString(int(fd), unix.IPPROTO_TCP, unix.TCP_CONGESTION)
		if gerr == nil {
			nd, gerr = unix.GetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_NODELAY)
		}
	}); err != nil {
		return "", false, err
	}
	if gerr != nil {
		return "", false, fmt.Errorf("load agent: reading socket options: %w", gerr)
	}
	return strings.TrimRight(cc, "\x00"), nd != 0, nil
}

// tcpInfo reads a connection's TCP_INFO.
func tcpInfo(c *net.TCPConn) (*unix.TCPInfo, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	var info *unix.TCPInfo
	var gerr error
	if err := rc.Control(func(fd uintptr) { info, gerr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO) }); err != nil {
		return nil, fmt.Errorf("load agent: TCP_INFO: %w", err)
	}
	if gerr != nil {
		return nil, fmt.Errorf("load agent: TCP_INFO: %w", gerr)
	}
	return info, nil
}
