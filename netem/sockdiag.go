package netem

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TCPSocket is what sock_diag(7) tells of one TCP socket of a namespace:
// enough to check, from outside any program, what the kernel did with a
// connection, a user's own server's included.
type TCPSocket struct {
	LocalPort, RemotePort uint16
	State                 uint8  // TCP_ESTABLISHED is 1
	Cookie                uint64 // the kernel's id of the socket
	// Congestion is the socket's congestion control (INET_DIAG_CONG).
	Congestion string
	// Retrans is tcp_info's total_retrans; SynData reports whether its
	// SYN carried data that was acknowledged (Fast Open).
	Retrans uint32
	SynData bool
}

// inet_diag constants of <linux/inet_diag.h> and <linux/sock_diag.h>.
const (
	sockDiagByFamily = 20
	inetDiagInfo     = 2
	inetDiagCong     = 4
	inetDiagMsgLen   = 72
	inetDiagReqLen   = 56
	tcpiOptSynData   = 32
)

// TCPSockets lists the namespace's TCP sockets (IPv4, every state but
// LISTEN) whose local port is port; 0 lists all.
func (n *Namespace) TCPSockets(port uint16) ([]TCPSocket, error) {
	var out []TCPSocket
	err := n.sockDiag(func() error {
		// Every state but LISTEN (10); the kernel filters the source port.
		return dumpInetDiag(1<<(inetDiagInfo-1)|1<<(inetDiagCong-1), ^uint32(0)&^(1<<10), port, func(b []byte) error {
			s, err := parseInetDiag(b)
			if err == nil && (port == 0 || s.LocalPort == port) {
				out = append(out, s)
			}
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// sockDiag runs dump inside the namespace and names a missing TCP handler
// of sock_diag with its fix.
func (n *Namespace) sockDiag(dump func() error) error {
	err := n.Do(dump)
	if errors.Is(err, unix.ENOENT) {
		// The netlink family is there, its TCP handler is not: inet_diag
		// and tcp_diag are modules on most distributions, loaded on demand
		// where the kernel can load modules.
		return fmt.Errorf("netem: sock_diag in %s: %w: the kernel has no TCP socket diagnostics; load tcp_diag (modprobe tcp_diag)", n.Name, err)
	}
	if err != nil {
		return fmt.Errorf("netem: sock_diag in %s: %w", n.Name, err)
	}
	return nil
}

// dumpInetDiag asks the calling thread's namespace for its IPv4 TCP
// sockets in the states of the bit mask states (and with source port
// sport, 0: any), with the inet_diag extensions ext, and hands each
// inet_diag_msg to each.
func dumpInetDiag(ext byte, states uint32, sport uint16, each func([]byte) error) error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	req := make([]byte, unix.NLMSG_HDRLEN+inetDiagReqLen)
	ne := binary.NativeEndian
	ne.PutUint32(req[0:], uint32(len(req)))
	ne.PutUint16(req[4:], sockDiagByFamily)
	ne.PutUint16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	ne.PutUint32(req[8:], 1) // seq
	r := req[unix.NLMSG_HDRLEN:]
	r[0] = unix.AF_INET
	r[1] = unix.IPPROTO_TCP
	r[2] = ext
	ne.PutUint32(r[4:], states)
	if sport != 0 {
		binary.BigEndian.PutUint16(r[8:], sport) // id.sport
	}
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	buf := make([]byte, 1<<16)
	for {
		k, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return err
		}
		msgs, err := parseNetlink(buf[:k])
		if err != nil {
			return err
		}
		for _, m := range msgs {
			switch m.typ {
			case unix.NLMSG_DONE:
				return nil
			case unix.NLMSG_ERROR:
				if len(m.data) >= 4 {
					if e := int32(ne.Uint32(m.data)); e != 0 {
						return unix.Errno(-e)
					}
				}
				return nil
			case sockDiagByFamily:
				if err := each(m.data); err != nil {
					return err
				}
			}
		}
	}
}

type nlMsg struct {
	typ  uint16
	data []byte
}

func parseNetlink(b []byte) ([]nlMsg, error) {
	var msgs []nlMsg
	for len(b) >= unix.NLMSG_HDRLEN {
		l := int(binary.NativeEndian.Uint32(b))
		if l < unix.NLMSG_HDRLEN || l > len(b) {
			return nil, errors.New("truncated netlink message")
		}
		msgs = append(msgs, nlMsg{typ: binary.NativeEndian.Uint16(b[4:]), data: b[unix.NLMSG_HDRLEN:l]})
		b = b[min(nlAlign(l), len(b)):]
	}
	return msgs, nil
}

func nlAlign(n int) int { return (n + 3) &^ 3 }

// parseInetDiag reads one inet_diag_msg and its attributes.
func parseInetDiag(b []byte) (TCPSocket, error) {
	if len(b) < inetDiagMsgLen {
		return TCPSocket{}, errors.New("short inet_diag_msg")
	}
	s := TCPSocket{
		State:      b[1],
		LocalPort:  binary.BigEndian.Uint16(b[4:]),
		RemotePort: binary.BigEndian.Uint16(b[6:]),
		Cookie:     binary.NativeEndian.Uint64(b[44:]),
	}
	attrs := b[inetDiagMsgLen:]
	for len(attrs) >= 4 {
		l := int(binary.NativeEndian.Uint16(attrs))
		typ := binary.NativeEndian.Uint16(attrs[2:])
		if l < 4 || l > len(attrs) {
			break
		}
		v := attrs[4:l]
		switch typ {
		case inetDiagCong:
			for i, c := range v {
				if c == 0 {
					v = v[:i]
					break
				}
			}
			s.Congestion = string(v)
		case inetDiagInfo:
			var info unix.TCPInfo
			copy(unsafe.Slice((*byte)(unsafe.Pointer(&info)), unsafe.Sizeof(info)), v)
			s.Retrans = info.Total_retrans
			s.SynData = info.Options&tcpiOptSynData != 0
		}
		attrs = attrs[min(nlAlign(l), len(attrs)):]
	}
	return s, nil
}
