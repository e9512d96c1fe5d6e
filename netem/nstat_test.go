package netem

import (
	"strings"
	"testing"
	"time"
)

func TestParseCounters(t *testing.T) {
	const in = `Tcp: RtoAlgorithm RtoMin MaxConn ActiveOpens RetransSegs
Tcp: 1 200 -1 7 3
TcpExt: TCPFastOpenActive TCPFastOpenCookieReqd
TcpExt: 2 1
`
	c := Counters{}
	if err := parseCounters(strings.NewReader(in), c); err != nil {
		t.Fatal(err)
	}
	want := Counters{"TcpRtoAlgorithm": 1, "TcpRtoMin": 200, "TcpActiveOpens": 7, "TcpRetransSegs": 3,
		"TcpExtTCPFastOpenActive": 2, "TcpExtTCPFastOpenCookieReqd": 1}
	if len(c) != len(want) {
		t.Errorf("got %v; want %v", c, want)
	}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("%s = %d; want %d", k, c[k], v)
		}
	}
	d := Counters{"TcpActiveOpens": 10, "TcpRetransSegs": 2}.Delta(Counters{"TcpActiveOpens": 7, "TcpRetransSegs": 3})
	if d["TcpActiveOpens"] != 3 || d["TcpRetransSegs"] != 0 {
		t.Errorf("Delta = %v; want TcpActiveOpens 3, TcpRetransSegs 0", d)
	}
	for _, bad := range []string{"Tcp: A B\n", "Tcp: A B\nTcp: 1\n", "Tcp: A\nUdp: 1\n"} {
		if err := parseCounters(strings.NewReader(bad), Counters{}); err == nil {
			t.Errorf("parseCounters(%q) = nil; want an error", bad)
		}
	}
}

// TestCountersPerNamespace opens connections across the link and checks that
// each host's counters, and only theirs, moved.
func TestCountersPerNamespace(t *testing.T) {
	topo := upT(t, Symmetric(time.Millisecond, Direction{}))
	cb, err := topo.Client.NS.Counters()
	if err != nil {
		t.Fatal(err)
	}
	sb, err := topo.Server.NS.Counters()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := sb[CounterTFOActive]; !ok {
		t.Fatalf("no %s among the server's counters: %v", CounterTFOActive, sb)
	}
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
	const n = 3
	for range n {
		c, err := dialIn(topo.Client, "tcp4", ln.Addr().String(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	time.Sleep(50 * time.Millisecond) // the last accept
	ca, err := topo.Client.NS.Counters()
	if err != nil {
		t.Fatal(err)
	}
	sa, err := topo.Server.NS.Counters()
	if err != nil {
		t.Fatal(err)
	}
	cd, sd := ca.Delta(cb), sa.Delta(sb)
	if cd[CounterActiveOpens] != n || cd[CounterPassiveOpens] != 0 {
		t.Errorf("client: %d active and %d passive opens; want %d and 0", cd[CounterActiveOpens], cd[CounterPassiveOpens], n)
	}
	if sd[CounterPassiveOpens] != n || sd[CounterActiveOpens] != 0 {
		t.Errorf("server: %d passive and %d active opens; want %d and 0", sd[CounterPassiveOpens], sd[CounterActiveOpens], n)
	}
}
