package netem

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The evidence of the common tuning claims that only the socket table
// holds: how many sockets sit in TIME_WAIT after short-lived connections,
// the backlog a listener really got (listen(2) clamps it to
// net.core.somaxconn without a word), the buffers of a connection, and how
// long its sender was held back by the peer's receive window or its own
// send buffer. All of it is read from outside the programs through
// sock_diag(7), so a user's own server is covered as the reference one is.

// TCP states of <net/tcp_states.h>.
const (
	TCPEstablished = 1
	TCPTimeWait    = 6
	TCPListen      = 10
)

// StateMask is a set of TCP states for TCPStats: 1<<state for each.
type StateMask uint32

// Masks of the states tunebench asks about.
const (
	MaskListen   StateMask = 1 << TCPListen
	MaskTimeWait StateMask = 1 << TCPTimeWait
	// MaskConnected is every state but LISTEN and TIME_WAIT.
	MaskConnected StateMask = ^StateMask(0) &^ (MaskListen | MaskTimeWait)
)

// TCPStats is one TCP socket as sock_diag shows it with its queues, its
// buffers and its TCP_INFO.
type TCPStats struct {
	State                 uint8
	LocalPort, RemotePort uint16
	Cookie                uint64
	// RQueue and WQueue are idiag_rqueue and idiag_wqueue: for a listener,
	// the connections waiting in its accept queue and its backlog (the
	// sk_max_ack_backlog that listen(2) set, after clamping); for a
	// connection, the bytes unread and unacknowledged.
	RQueue, WQueue uint32
	// RcvBuf and SndBuf are sk_rcvbuf and sk_sndbuf (INET_DIAG_SKMEMINFO):
	// twice what SO_RCVBUF or SO_SNDBUF asked for, since the kernel
	// doubles the value to make room for its own bookkeeping.
	RcvBuf, SndBuf uint32
	// Info is the connection's TCP_INFO; zero for a TIME_WAIT socket,
	// which has none.
	Info unix.TCPInfo
}

// inet_diag extension and meminfo indices of <linux/inet_diag.h> and
// <linux/sock_diag.h>.
const (
	inetDiagSkMemInfo = 7
	skMemInfoRcvBuf   = 1
	skMemInfoSndBuf   = 3
)

// TCPStats lists the namespace's IPv4 TCP sockets in the states of mask
// whose local port (remote false) or remote port (remote true) is port; 0
// lists all.
func (n *Namespace) TCPStats(mask StateMask, port uint16, remote bool) ([]TCPStats, error) {
	var out []TCPStats
	err := n.sockDiag(func() error {
		return dumpInetDiag(1<<(inetDiagInfo-1)|1<<(inetDiagSkMemInfo-1), uint32(mask), 0, func(b []byte) error {
			s, err := parseTCPStats(b)
			if err != nil {
				return err
			}
			p := s.LocalPort
			if remote {
				p = s.RemotePort
			}
			if (port == 0 || p == port) && mask&(1<<s.State) != 0 {
				out = append(out, s)
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CountTimeWait counts the namespace's IPv4 TCP sockets in TIME_WAIT whose
// local (remote false) or remote (remote true) port is port; 0 counts all.
func (n *Namespace) CountTimeWait(port uint16, remote bool) (int, error) {
	s, err := n.TCPStats(MaskTimeWait, port, remote)
	return len(s), err
}

// ListenBacklog returns the backlog of the namespace's listener on port, as
// the kernel holds it (min of what listen(2) asked and net.core.somaxconn),
// and the connections waiting in its accept queue.
func (n *Namespace) ListenBacklog(port uint16) (backlog, queued uint32, err error) {
	s, err := n.TCPStats(MaskListen, port, false)
	if err != nil {
		return 0, 0, err
	}
	if len(s) == 0 {
		return 0, 0, fmt.Errorf("netem: no listener on port %d in %s", port, n.Name)
	}
	return s[0].WQueue, s[0].RQueue, nil
}

// parseTCPStats reads one inet_diag_msg with its INFO and SKMEMINFO.
func parseTCPStats(b []byte) (TCPStats, error) {
	if len(b) < inetDiagMsgLen {
		return TCPStats{}, errors.New("short inet_diag_msg")
	}
	ne := binary.NativeEndian
	s := TCPStats{
		State:      b[1],
		LocalPort:  binary.BigEndian.Uint16(b[4:]),
		RemotePort: binary.BigEndian.Uint16(b[6:]),
		Cookie:     ne.Uint64(b[44:]),
		RQueue:     ne.Uint32(b[56:]),
		WQueue:     ne.Uint32(b[60:]),
	}
	attrs := b[inetDiagMsgLen:]
	for len(attrs) >= 4 {
		l := int(ne.Uint16(attrs))
		typ := ne.Uint16(attrs[2:])
		if l < 4 || l > len(attrs) {
			break
		}
		v := attrs[4:l]
		switch typ {
		case inetDiagInfo:
			// An older kernel's tcp_info is shorter: the fields it lacks
			// stay zero.
			copy(unsafe.Slice((*byte)(unsafe.Pointer(&s.Info)), unsafe.Sizeof(s.Info)), v)
		case inetDiagSkMemInfo:
			if len(v) >= 4*(skMemInfoSndBuf+1) {
				s.RcvBuf = ne.Uint32(v[4*skMemInfoRcvBuf:])
				s.SndBuf = ne.Uint32(v[4*skMemInfoSndBuf:])
			}
		}
		attrs = attrs[min(nlAlign(l), len(attrs)):]
	}
	return s, nil
}

// Counters of the listen queue and the SYN handshake (nstat names).
const (
	// CounterListenOverflows counts connections that found the accept
	// queue full (a SYN or the handshake's last ACK dropped for it).
	CounterListenOverflows = "TcpExtListenOverflows"
	// CounterListenDrops counts every SYN or ACK a listener dropped,
	// overflows included.
	CounterListenDrops = "TcpExtListenDrops"
	// CounterSyncookiesSent counts SYN cookies sent for a full SYN queue.
	CounterSyncookiesSent = "TcpExtSyncookiesSent"
	// CounterSynRetrans counts SYNs (and SYN-ACKs) sent again after the
	// retransmission timeout, the first of which is 1 s.
	CounterSynRetrans = "TcpExtTCPSynRetrans"
)
