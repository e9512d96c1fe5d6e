package agent

import (
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestRcvBufReadBack dials with the rcvbuf knob's control and reads the
// socket's SO_RCVBUF: the kernel keeps twice the value.
func TestRcvBufReadBack(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	d := net.Dialer{Control: DialControl(Config{RcvBuf: 65536})}
	c, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rc, _ := c.(*net.TCPConn).SyscallConn()
	var got int
	rc.Control(func(fd uintptr) { got, _ = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF) })
	if got != 2*65536 {
		t.Errorf("SO_RCVBUF read back %d; want %d", got, 2*65536)
	}
	if DialControl(Config{}) != nil {
		t.Error("a config without socket knobs has a dial control; want none")
	}
}

// TestGoodput divides bytes by transfer time, and has none without time.
func TestGoodput(t *testing.T) {
	if g := (&TransferReport{Bytes: 3000, Time: 2 * time.Second}).Goodput(); g != 1500 {
		t.Errorf("goodput %v; want 1500 B/s", g)
	}
	if g := (*TransferReport)(nil).Goodput(); g != 0 {
		t.Errorf("nil goodput %v; want 0", g)
	}
}
