package netem

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// needRoot skips tests that need namespaces; CI runs as root, so there
// they always run.
func needRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (network namespaces, TUN); CI runs as root")
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		t.Skip("needs /dev/net/tun: ", err)
	}
}

// upT builds a topology and checks, when the test ends (pass or fail),
// that nothing of this process is left.
func upT(t testing.TB, l Link) *Topology {
	t.Helper()
	needRoot(t)
	topo, err := Up(context.Background(), Config{Link: l, Backend: BackendTUN})
	if err != nil {
		t.Fatalf("Up: %v", err)
	}
	t.Cleanup(func() {
		if err := topo.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if left := leftovers(); len(left) > 0 {
			t.Errorf("left behind: %v", left)
		}
	})
	return topo
}

// leftovers lists this process's namespaces still mounted.
func leftovers() []string {
	entries, _ := os.ReadDir(NamespaceDir)
	var left []string
	mine := Prefix + strconv.Itoa(os.Getpid()) + "-"
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), mine) {
			left = append(left, filepath.Join(NamespaceDir, e.Name()))
		}
	}
	return left
}

// listenIn opens a TCP listener in the host's namespace.
func listenIn(t testing.TB, h *Host, network, addr string) net.Listener {
	t.Helper()
	var ln net.Listener
	err := h.NS.Do(func() error {
		var err error
		ln, err = net.Listen(network, addr)
		return err
	})
	if err != nil {
		t.Fatalf("listen in %s: %v", h.NS.Name, err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

func dialIn(h *Host, network, addr string, timeout time.Duration) (net.Conn, error) {
	var c net.Conn
	err := h.NS.Do(func() error {
		var err error
		c, err = net.DialTimeout(network, addr, timeout)
		return err
	})
	return c, err
}

func TestTCPConnectTakesOneRTT(t *testing.T) {
	topo := upT(t, Symmetric(40*time.Millisecond, Direction{}))
	ln := listenIn(t, topo.Server, "tcp4", ServerAddr.String()+":0")
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	var best time.Duration = time.Hour
	for range 5 {
		start := time.Now()
		c, err := dialIn(topo.Client, "tcp4", ln.Addr().String(), 5*time.Second)
		if err != nil {
			t.Fatalf("dial across the link: %v", err)
		}
		best = min(best, time.Since(start))
		c.Close()
	}
	// One RTT for SYN/SYN-ACK. Tolerance a noisy 2-core VM cannot break,
	// tight enough that a missing or doubled delay fails.
	if best < 38*time.Millisecond || best > 60*time.Millisecond {
		t.Errorf("TCP connect across a 40ms link took %v; want 40ms ± tolerance", best)
	}
}
