package netem

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// The two hosts' addresses, from the benchmarking range of RFC 2544. Every
// topology lives in its own pair of namespaces, so runs never collide.
var (
	ClientAddr = netip.MustParseAddr("198.18.0.1")
	ServerAddr = netip.MustParseAddr("198.18.0.2")
)

const (
	prefixLen = 24
	ifName    = "tb0" // the interface toward the other host, in both
)

// Host is one end of a topology: a namespace with loopback up and one
// interface, ifName, toward the other host.
type Host struct {
	NS   *Namespace
	Addr netip.Addr
}

// netlinkIn returns a netlink handle bound to the namespace. It opens the
// route family only: links, addresses, routes and qdiscs are all there. A
// handle that asked for every family the library knows (xfrm, netfilter
// too) fails with "protocol not supported" wherever xfrm_user or nfnetlink
// is a module the kernel cannot load: containers, minimal VMs, CI.
func (n *Namespace) netlinkIn() (*netlink.Handle, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil, errClosed
	}
	h, err := netlink.NewHandleAt(n.h, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, inStep(StepNetlink, fmt.Errorf("netem: netlink in %s: %w", n.Name, err))
	}
	return h, nil
}

func (n *Namespace) handle() netns.NsHandle {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.h
}

// configure brings loopback up and gives the interface its MTU and address.
func (h *Host) configure(mtu int) error {
	nl, err := h.NS.netlinkIn()
	if err != nil {
		return err
	}
	defer nl.Close()
	lo, err := nl.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("netem: %s: loopback: %w", h.NS.Name, err)
	}
	if err := nl.LinkSetUp(lo); err != nil {
		return fmt.Errorf("netem: %s: loopback up: %w", h.NS.Name, err)
	}
	link, err := nl.LinkByName(ifName)
	if err != nil {
		return fmt.Errorf("netem: %s: %s: %w", h.NS.Name, ifName, err)
	}
	if err := nl.LinkSetMTU(link, mtu); err != nil {
		return fmt.Errorf("netem: %s: mtu %d: %w", h.NS.Name, mtu, err)
	}
	if err := nl.LinkSetTxQLen(link, 256); err != nil {
		return fmt.Errorf("netem: %s: txqueuelen: %w", h.NS.Name, err)
	}
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: h.Addr.AsSlice(), Mask: net.CIDRMask(prefixLen, 32)}}
	if err := nl.AddrAdd(link, addr); err != nil {
		return fmt.Errorf("netem: %s: address %s: %w", h.NS.Name, h.Addr, err)
	}
	if err := nl.LinkSetUp(link); err != nil {
		return fmt.Errorf("netem: %s: %s up: %w", h.NS.Name, ifName, err)
	}
	return nil
}

// SetSysctl writes a network sysctl of the namespace, such as
// "net.ipv4.tcp_fastopen". Only keys that the namespace has its own copy of
// can be written: the host's are never touched.
func (n *Namespace) SetSysctl(key, value string) error {
	path, err := sysctlPath(key)
	if err != nil {
		return err
	}
	return n.Do(func() error {
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("netem: sysctl %s: not scoped to a network namespace (or unknown); it cannot be set per host", key)
		}
		if err := os.WriteFile(path, []byte(value), 0o644); err != nil {
			return fmt.Errorf("netem: sysctl %s=%s in %s: %w", key, value, n.Name, err)
		}
		return nil
	})
}

// Sysctl reads a network sysctl of the namespace.
func (n *Namespace) Sysctl(key string) (string, error) {
	path, err := sysctlPath(key)
	if err != nil {
		return "", err
	}
	var v string
	err = n.Do(func() error {
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("netem: sysctl %s in %s: %w", key, n.Name, err)
		}
		v = strings.TrimSpace(string(b))
		return nil
	})
	return v, err
}

// sysctlPath maps net.ipv4.tcp_fastopen to its file under /proc/sys. Only
// net.* keys: no other sysctl belongs to a network namespace.
func sysctlPath(key string) (string, error) {
	if !strings.HasPrefix(key, "net.") || strings.Contains(key, "..") || strings.ContainsAny(key, "/ ") {
		return "", fmt.Errorf("netem: sysctl %q: only net.* keys belong to a network namespace", key)
	}
	return filepath.Join("/proc/sys", strings.ReplaceAll(key, ".", "/")), nil
}
