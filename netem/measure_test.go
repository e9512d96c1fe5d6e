package netem

import (
	"encoding/binary"
	"io"
	"net"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// oneWay sends n timestamped UDP datagrams from the client host to the
// server host, every gap, and returns each one-way delay. Both ends are on
// this machine, so they read one clock.
func oneWay(t testing.TB, topo *Topology, n int, gap time.Duration) []time.Duration {
	t.Helper()
	rx, tx := udpPair(t, topo)
	defer rx.Close()
	defer tx.Close()
	// The kernel stamps each datagram as it reaches the socket
	// (SO_TIMESTAMPNS), so the receiver's own wake-up is not counted.
	raw, err := rx.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	raw.Control(func(fd uintptr) {
		err = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
	})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan []time.Duration, 1)
	go func() {
		var d []time.Duration
		buf := make([]byte, 64)
		oob := make([]byte, 128)
		for {
			rx.SetReadDeadline(time.Now().Add(2*time.Second + topo.Link.RTT()))
			k, oobn, _, _, err := rx.ReadMsgUDP(buf, oob)
			if err != nil || k < 8 {
				break
			}
			arrived, ok := rxStamp(oob[:oobn])
			if !ok {
				arrived = time.Now().UnixNano()
			}
			sent := int64(binary.LittleEndian.Uint64(buf))
			d = append(d, time.Duration(arrived-sent))
			if len(d) == n {
				break
			}
		}
		got <- d
	}()
	buf := make([]byte, 64)
	for range n {
		binary.LittleEndian.PutUint64(buf, uint64(time.Now().UnixNano()))
		if _, err := tx.Write(buf); err != nil {
			t.Fatal(err)
		}
		time.Sleep(gap)
	}
	return <-got
}

// bulk sends as fast as TCP goes from one host to the other for d and
// returns the goodput in bit/s.
func bulk(t testing.TB, from, to *Host, d time.Duration) float64 {
	t.Helper()
	ln := listenIn(t, to, "tcp4", to.Addr.String()+":0")
	res := make(chan float64, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			res <- 0
			return
		}
		defer c.Close()
		start := time.Now()
		n, _ := io.Copy(io.Discard, c)
		res <- float64(n) * 8 / time.Since(start).Seconds()
	}()
	c, err := dialIn(from, "tcp4", ln.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 256<<10)
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if _, err := c.Write(buf); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	return <-res
}

func percentile(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

func rxStamp(oob []byte) (int64, bool) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return 0, false
	}
	for _, m := range msgs {
		if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SO_TIMESTAMPNS && len(m.Data) >= 16 {
			sec := int64(binary.NativeEndian.Uint64(m.Data[0:8]))
			nsec := int64(binary.NativeEndian.Uint64(m.Data[8:16]))
			return sec*1e9 + nsec, true
		}
	}
	return 0, false
}

// udpPair opens a receiver in the server host and a sender in the client
// host connected to it.
func udpPair(t testing.TB, topo *Topology) (rx, tx *net.UDPConn) {
	t.Helper()
	err := topo.Server.NS.Do(func() error {
		var err error
		rx, err = net.ListenUDP("udp4", &net.UDPAddr{IP: ServerAddr.AsSlice()})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = topo.Client.NS.Do(func() error {
		var err error
		tx, err = net.DialUDP("udp4", nil, rx.LocalAddr().(*net.UDPAddr))
		return err
	})
	if err != nil {
		rx.Close()
		t.Fatal(err)
	}
	return rx, tx
}
