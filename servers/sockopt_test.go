package servers

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// sockInt reads an integer TCP option of c.
func sockInt(t *testing.T, c net.Conn, opt int) int {
	t.Helper()
	rc, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v int
	var gerr error
	rc.Control(func(fd uintptr) { v, gerr = unix.GetsockoptInt(int(fd), unix.IPPROTO_TCP, opt) })
	if gerr != nil {
		t.Fatal(gerr)
	}
	return v
}

// TestSocketOptions opens a listener with each set of options and reads them
// back from the listener and from an accepted connection.
func TestSocketOptions(t *testing.T) {
	for _, tc := range []struct {
		name        string
		o           SocketOptions
		wantNoDelay int
		wantCC      string // "" : whatever the namespace's default is
		wantTFO     int
	}{
		{name: "defaults", wantNoDelay: 1},
		{name: "nagle", o: SocketOptions{Nagle: true}, wantNoDelay: 0},
		{name: "cc and tfo", o: SocketOptions{Congestion: "reno", FastOpen: true}, wantNoDelay: 1, wantCC: "reno", wantTFO: FastOpenQueue},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := Listen(context.Background(), "127.0.0.1:0", tc.o.listenOptions()...)
			if err != nil {
				t.Fatal(err)
			}
			ln = tc.o.wrap(ln)
			defer ln.Close()
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			s, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if got := sockInt(t, s, unix.TCP_NODELAY); got != tc.wantNoDelay {
				t.Errorf("accepted connection's TCP_NODELAY = %d; want %d", got, tc.wantNoDelay)
			}
			if tc.wantCC != "" {
				rc, _ := s.(*net.TCPConn).SyscallConn()
				var cc string
				rc.Control(func(fd uintptr) { cc, err = unix.GetsockoptString(int(fd), unix.IPPROTO_TCP, unix.TCP_CONGESTION) })
				if err != nil || strings.TrimRight(cc, "\x00") != tc.wantCC {
					t.Errorf("accepted connection's TCP_CONGESTION = %q, %v; want %q", cc, err, tc.wantCC)
				}
			}
			if tc.wantTFO != 0 {
				rc, _ := ln.(*net.TCPListener).SyscallConn()
				var q int
				rc.Control(func(fd uintptr) { q, err = unix.GetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_FASTOPEN) })
				if err != nil || q != tc.wantTFO {
					t.Errorf("listener's TCP_FASTOPEN = %d, %v; want %d", q, err, tc.wantTFO)
				}
			}
		})
	}
}

func TestSocketOptionsUnknownCongestion(t *testing.T) {
	o := SocketOptions{Congestion: "nosuchcc"}
	_, err := Listen(context.Background(), "127.0.0.1:0", o.listenOptions()...)
	if err == nil || !strings.Contains(err.Error(), "TCP_CONGESTION nosuchcc") || !strings.Contains(err.Error(), "does not have that algorithm") {
		t.Fatalf("Listen with congestion nosuchcc: got %v; want an error naming the algorithm", err)
	}
}

// TestSplitResponse checks that /split/N sends N bytes, and refuses bad N.
func TestSplitResponse(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, done := startRun(t, ctx, Config{Socket: SocketOptions{Nagle: true}})
	for _, tc := range []struct {
		path       string
		wantStatus int
		wantLen    int
	}{
		{"/split/100", 200, 100},
		{"/split/0", 200, 0},
		{"/split/70000", 400, -1},
	} {
		resp, err := http.Get("http://" + addr + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.wantStatus || (tc.wantLen >= 0 && len(body) != tc.wantLen) {
			t.Errorf("GET %s: %d with %d bytes; want %d with %d", tc.path, resp.StatusCode, len(body), tc.wantStatus, tc.wantLen)
		}
	}
	cancel()
	waitRun(t, done, 10*time.Second)
}
