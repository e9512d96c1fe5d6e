package netem

import (
	"net"
	"testing"
	"time"
)

// TestRouteCongestionOnSockets sets the route's congctl and reads, through
// sock_diag, the algorithm of connections whose programs set nothing: the
// route alone decides, as it would for a user's own server.
func TestRouteCongestionOnSockets(t *testing.T) {
	topo := upT(t, Symmetric(time.Millisecond, Direction{}))
	for _, cc := range []string{"cubic", "reno"} {
		for _, h := range []*Host{topo.Client, topo.Server} {
			if err := h.SetRouteMetrics(RouteMetrics{Congctl: cc}); err != nil {
				t.Fatal(err)
			}
		}
		ln := listenIn(t, topo.Server, "tcp4", ServerAddr.String()+":0")
		port := uint16(ln.Addr().(*net.TCPAddr).Port)
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
		socks, err := topo.Server.NS.TCPSockets(port)
		c.Close()
		s.Close()
		ln.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(socks) != 1 {
			t.Fatalf("cc %s: %d server sockets on port %d (%+v); want 1", cc, len(socks), port, socks)
		}
		if got := socks[0]; got.Congestion != cc || got.State != 1 || got.RemotePort == 0 {
			t.Errorf("server socket %+v; want an established connection with congestion control %s", got, cc)
		}
	}
}
