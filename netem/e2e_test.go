package netem

import (
	"context"
	"flag"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tunebench/tunebench/internal/testenv"
)

// backendFlag picks the backend the end-to-end tests build their links
// with. make test keeps the default, the TUN emulator, which runs on any
// kernel; make vm-test runs the same tests with -netem.backend=netem
// inside a Debian kernel that has sch_netem.
var backendFlag = flag.String("netem.backend", BackendTUN, "backend of the end-to-end tests: tun or netem")

// emulatedFlag says the CPU is emulated (qemu without KVM, make vm-test),
// where some timing bounds must be wider than on any real machine.
var emulatedFlag = flag.Bool("netem.emulated", false, "the CPU is emulated (make vm-test): widen the timing bounds it breaks")

// emulated returns real, or under -netem.emulated the wider bound.
func emulated[T any](real, wide T) T {
	if *emulatedFlag {
		return wide
	}
	return real
}

// needRoot requires what the tests' namespaces need (testenv skips on a
// developer's machine and fails in CI).
func needRoot(t testing.TB) {
	t.Helper()
	testenv.TUN(t)
}

// backendT returns the backend under test, after checking that this
// kernel can run it.
func backendT(t testing.TB) string {
	t.Helper()
	needRoot(t)
	b := *backendFlag
	switch b {
	case BackendTUN:
	case BackendNetem:
		if err := ProbeNetem(); err != nil {
			testenv.Missing(t, "the kernel's netem qdisc for -netem.backend=netem (%v); make vm-test runs these tests in a kernel that has it", err)
		}
	default:
		t.Fatalf("-netem.backend=%q: give tun or netem", b)
	}
	return b
}

// upT builds a topology on the backend under test and checks, when the
// test ends (pass or fail), that nothing of this process is left.
func upT(t testing.TB, l Link) *Topology {
	t.Helper()
	return upOn(t, backendT(t), l)
}

// upOn is upT on a given backend.
func upOn(t testing.TB, backend string, l Link) *Topology {
	t.Helper()
	topo, err := Up(context.Background(), Config{Link: l, Backend: backend})
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
