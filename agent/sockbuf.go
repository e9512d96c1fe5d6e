package agent

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The agent's side of the socket-buffer and connection-churn claims: the
// rcvbuf knob (SO_RCVBUF on every socket before connect, so that the window
// scale the SYN offers fits it), the goodput of bulk bodies, and the
// failures of connect(2) by errno (EADDRNOTAVAIL when the ephemeral ports
// run out).

// bufferControls are the socket options of cfg's buffer knobs.
func bufferControls(cfg Config) []socketControl {
	if cfg.RcvBuf <= 0 {
		return nil
	}
	n := cfg.RcvBuf
	return []socketControl{func(_, _ string, c syscall.RawConn) error {
		return setRcvBuf(c, n)
	}}
}

// setRcvBuf sets SO_RCVBUF to n and reads it back: the kernel keeps 2n (the
// other half is for its bookkeeping) and from then on no longer autotunes
// the receive buffer (tcp_rmem). SO_RCVBUFFORCE, which the agent may use
// as root, ignores net.core.rmem_max; the plain option is capped there,
// and a value read back other than 2n fails the connection.
func setRcvBuf(c syscall.RawConn, n int) error {
	var got int
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, n)
		if errors.Is(serr, unix.EPERM) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, n)
		}
		if serr == nil {
			got, serr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF)
		}
	}); err != nil {
		return fmt.Errorf("load agent: SO_RCVBUF %d: %w", n, err)
	}
	if serr != nil {
		return fmt.Errorf("load agent: setting SO_RCVBUF %d: %w", n, serr)
	}
	if got != 2*n {
		return fmt.Errorf("load agent: SO_RCVBUF %d: the kernel keeps %d, not %d (twice the value); without CAP_NET_ADMIN it caps the value at net.core.rmem_max: run as root, or give a smaller value", n, got, 2*n)
	}
	return nil
}

// TransferReport is the goodput of the measured successful requests.
type TransferReport struct {
	// Bytes is their body bytes; Time the sum of their transfer times,
	// from the first response byte to the end of the body.
	Bytes uint64        `json:"bytes"`
	Time  time.Duration `json:"time"`
}

// Goodput is Bytes per second of Time; 0 without any transfer time.
func (t *TransferReport) Goodput() float64 {
	if t == nil || t.Time <= 0 {
		return 0
	}
	return float64(t.Bytes) / t.Time.Seconds()
}

// transferTally adds up TransferReport. The zero value is ready to use.
type transferTally struct{ rep TransferReport }

// add counts a measured request; a failed one, or one without a first
// byte, is left out.
func (tt *transferTally) add(o *outcome, failed bool) {
	if failed || o.trace == nil {
		return
	}
	o.trace.mu.Lock()
	first, end := o.trace.firstByte, o.trace.bodyEnd
	o.trace.mu.Unlock()
	if first.IsZero() || !end.After(first) {
		return
	}
	tt.rep.Bytes += o.bytesIn
	tt.rep.Time += end.Sub(first)
}

// report returns the totals; nil when no request transferred anything.
func (tt *transferTally) report() *TransferReport {
	if tt.rep.Time <= 0 {
		return nil
	}
	r := tt.rep
	return &r
}

// dialErrno names a failed dial's cause as a lower-case errno
// ("eaddrnotavail", "econnrefused", "etimedout"), "timeout" for the
// dialer's own deadline, or "other".
func dialErrno(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		if name := unix.ErrnoName(errno); name != "" {
			return strings.ToLower(name)
		}
		return fmt.Sprintf("errno%d", int(errno))
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	return "other"
}

// dialErrorLocked counts a failed dial by its errno.
func (t *socketTracker) dialErrorLocked(err error) {
	if t.rep.DialErrors == nil {
		t.rep.DialErrors = map[string]int{}
	}
	t.rep.DialErrors[dialErrno(err)]++
}

// addLimitedLocked adds a closing connection's TCP_INFO times: busy, and
// limited by the peer's receive window or by its own send buffer.
func (t *socketTracker) addLimitedLocked(info *unix.TCPInfo) {
	t.rep.BusyTime += info.Busy_time
	t.rep.RwndLimited += info.Rwnd_limited
	t.rep.SndbufLimited += info.Sndbuf_limited
}
