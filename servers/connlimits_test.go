package servers

import (
	"context"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestLimitsFromEnv reads the claims' server knobs as the runner passes
// them, and refuses values that are not whole numbers or durations.
func TestLimitsFromEnv(t *testing.T) {
	for _, tt := range []struct {
		name    string
		env     map[string]string
		want    Limits
		header  time.Duration
		wantErr string
	}{
		{"none", nil, Limits{}, 0, ""},
		{"all", map[string]string{"TUNEBENCH_BACKLOG": "8", "TUNEBENCH_SNDBUF": "65536", "TUNEBENCH_MAX_CONNS": "100", "TUNEBENCH_HEADER_TIMEOUT": "1s"},
			Limits{Backlog: 8, SndBuf: 65536, MaxConns: 100}, time.Second, ""},
		{"backlog 0", map[string]string{"TUNEBENCH_BACKLOG": "0"}, Limits{}, 0, "TUNEBENCH_BACKLOG"},
		{"sndbuf words", map[string]string{"TUNEBENCH_SNDBUF": "big"}, Limits{}, 0, "TUNEBENCH_SNDBUF"},
		{"header timeout", map[string]string{"TUNEBENCH_HEADER_TIMEOUT": "soon"}, Limits{}, 0, "TUNEBENCH_HEADER_TIMEOUT"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l, h, err := LimitsFromEnv(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("got %v; want an error naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil || l != tt.want || h != tt.header {
				t.Errorf("got %+v, %v, %v; want %+v, %v", l, h, err, tt.want, tt.header)
			}
		})
	}
}

// TestLimitsOnLoopback runs the reference server with a send buffer, a
// backlog and a cap of one connection: the accepted connection has twice
// the SO_SNDBUF asked, and a second client is not accepted until the first
// closes.
func TestLimitsOnLoopback(t *testing.T) {
	l := Limits{Backlog: 16, SndBuf: 32768, MaxConns: 1}
	ln, err := Listen(context.Background(), "127.0.0.1:0", l.listenOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.relisten(ln); err != nil {
		t.Fatal(err)
	}
	capped := l.wrap(ln)
	defer capped.Close()
	accepted := make(chan net.Conn, 2)
	go func() {
		for {
			c, err := capped.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	c1, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	s1 := <-accepted
	var got int
	rc, _ := s1.(*slotConn).Conn.(syscall.Conn).SyscallConn()
	rc.Control(func(fd uintptr) { got, _ = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUF) })
	if got != 2*32768 {
		t.Errorf("accepted connection's SO_SNDBUF %d; want %d (twice the listener's)", got, 2*32768)
	}
	c2, err := net.Dial("tcp", ln.Addr().String()) // completes in the kernel's queue
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	select {
	case <-accepted:
		t.Fatal("a second connection was accepted while the one slot was taken")
	case <-time.After(100 * time.Millisecond):
	}
	s1.Close()
	select {
	case s2 := <-accepted:
		s2.Close()
	case <-time.After(5 * time.Second):
		t.Fatal("the second connection was not accepted after the first closed")
	}
}
