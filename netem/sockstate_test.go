package netem

import (
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestSockStateBacklogTimeWaitBuffers reads, through sock_diag, what the
// kernel holds of sockets that a test set up: a listener's backlog after
// listen(2) is called again (and its clamp to net.core.somaxconn), a
// connection's doubled SO_SNDBUF, and the TIME_WAIT socket that the side
// closing first keeps.
func TestSockStateBacklogTimeWaitBuffers(t *testing.T) {
	topo := upT(t, Symmetric(time.Millisecond, Direction{}))
	ln := listenIn(t, topo.Server, "tcp4", ServerAddr.String()+":0")
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	relisten := func(n int) {
		t.Helper()
		rc, err := ln.(*net.TCPListener).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var lerr error
		if err := rc.Control(func(fd uintptr) { lerr = unix.Listen(int(fd), n) }); err != nil || lerr != nil {
			t.Fatalf("listen(%d): %v %v", n, err, lerr)
		}
	}
	relisten(8)
	if b, q, err := topo.Server.NS.ListenBacklog(port); err != nil || b != 8 || q != 0 {
		t.Fatalf("backlog after listen(8): %d (queued %d), %v; want 8", b, q, err)
	}
	// net.core.somaxconn is per namespace; listen(2) clamps to it.
	if err := topo.Server.NS.SetSysctl("net.core.somaxconn", "64"); err != nil {
		t.Fatal(err)
	}
	relisten(1000)
	if b, _, err := topo.Server.NS.ListenBacklog(port); err != nil || b != 64 {
		t.Fatalf("backlog after listen(1000) with somaxconn 64: %d, %v; want 64", b, err)
	}

	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	c, err := dialIn(topo.Client, "tcp4", ln.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	s := <-accepted
	rc, _ := s.(*net.TCPConn).SyscallConn()
	var serr error
	rc.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, syscall.SO_SNDBUF, 65536) })
	if serr != nil {
		t.Fatal(serr)
	}
	socks, err := topo.Server.NS.TCPStats(MaskConnected, port, false)
	if err != nil || len(socks) != 1 {
		t.Fatalf("server connections: %+v, %v; want 1", socks, err)
	}
	if got := socks[0]; got.SndBuf != 2*65536 || got.State != TCPEstablished || got.Info.State != TCPEstablished {
		t.Errorf("server connection %+v; want established with sndbuf %d (SO_SNDBUF doubled)", got, 2*65536)
	}
	// The client closes first, so the client keeps the TIME_WAIT socket.
	c.Close()
	io.Copy(io.Discard, s)
	s.Close()
	deadline := time.Now().Add(2 * time.Second)
	for {
		n, err := topo.Client.NS.CountTimeWait(port, true)
		if err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("client TIME_WAIT sockets to port %d: %d; want 1", port, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n, err := topo.Server.NS.CountTimeWait(port, false); err != nil || n != 0 {
		t.Errorf("server TIME_WAIT sockets: %d, %v; want 0 (the client closed first)", n, err)
	}
}

// TestClaimsSysctlsScoped checks that the sysctls of the TIME_WAIT claim
// belong to a network namespace, so that a cell may set them.
func TestClaimsSysctlsScoped(t *testing.T) {
	upT(t, Symmetric(time.Millisecond, Direction{})) // needs root and TUN, as the runner does
	for _, key := range []string{"net.ipv4.ip_local_port_range", "net.ipv4.tcp_tw_reuse", "net.ipv4.tcp_syncookies", "net.core.somaxconn", "net.ipv4.tcp_max_syn_backlog"} {
		if err := CheckSysctlScoped(key); err != nil {
			t.Errorf("%s: %v; want it namespace-scoped", key, err)
		}
	}
}
