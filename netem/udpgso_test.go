package netem

import (
	"encoding/binary"
	"fmt"
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// UDP GSO through the link: QUIC stacks (quic-go among them) send with
// UDP_SEGMENT, one sendmsg(2) of up to 64 KB that the kernel (or a device
// with USO) cuts into datagrams. The TUN emulator asks for USO offloads;
// wireguard-go's tun splits a UDP_L4 super-packet into its datagrams on
// read, so the loss and delay of the link apply to each datagram, as on a
// wire, never to a whole super-packet.

// sendGSO sends n datagrams of size bytes from the client host to addr in
// one write with UDP_SEGMENT; each datagram starts with (burst, index).
func sendGSO(t *testing.T, topo *Topology, addr *net.UDPAddr, burst, n, size int) {
	t.Helper()
	err := topo.Client.NS.Do(func() error {
		c, err := net.DialUDP("udp4", nil, addr)
		if err != nil {
			return err
		}
		defer c.Close()
		raw, err := c.SyscallConn()
		if err != nil {
			return err
		}
		var serr error
		if err := raw.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_UDP, unix.UDP_SEGMENT, size)
		}); err != nil {
			return err
		}
		if serr != nil {
			return serr
		}
		buf := make([]byte, n*size)
		for i := range n {
			binary.BigEndian.PutUint32(buf[i*size:], uint32(burst))
			binary.BigEndian.PutUint32(buf[i*size+4:], uint32(i))
		}
		_, err = c.Write(buf)
		return err
	})
	if err != nil {
		t.Fatalf("sending a UDP GSO super-packet from the client host: %v", err)
	}
}

func TestUDPGSOCrossesTheLink(t *testing.T) {
	if *backendFlag != BackendTUN {
		// Not a missing feature: this tests the TUN emulator's own
		// segmentation. netem's qdisc takes a UDP GSO super-packet as one
		// packet, which is why the runner turns QUIC's GSO off on a
		// netem link with loss or a rate (quicGSOEnv in runner/quic.go).
		t.Skip("the TUN emulator's UDP segmentation; -netem.backend=" + *backendFlag)
	}
	const bursts, segs, size = 20, 10, 1000
	for _, tc := range []struct {
		name string
		loss float64
	}{{"no loss", 0}, {"loss 30%", 0.3}} {
		t.Run(tc.name, func(t *testing.T) {
			topo := upT(t, Symmetric(10*time.Millisecond, Direction{Loss: tc.loss}))
			var pc *net.UDPConn
			err := topo.Server.NS.Do(func() error {
				var err error
				pc, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(ServerAddr.String())})
				return err
			})
			if err != nil {
				t.Fatalf("listening on UDP in the server host: %v", err)
			}
			defer pc.Close()
			pc.SetReadBuffer(4 << 20)  // no drop for want of room: the link's loss alone
			got := make([]int, bursts) // datagrams received per burst
			total := 0
			read := make(chan error, 1)
			go func() {
				buf := make([]byte, 64<<10)
				for {
					pc.SetReadDeadline(time.Now().Add(time.Second))
					n, err := pc.Read(buf)
					if err != nil {
						read <- nil
						return
					}
					if n != size {
						read <- fmt.Errorf("received a datagram of %d bytes; want %d (the super-packet cut at its segment size)", n, size)
						return
					}
					got[binary.BigEndian.Uint32(buf)]++
					total++
				}
			}()
			for b := range bursts {
				sendGSO(t, topo, pc.LocalAddr().(*net.UDPAddr), b, segs, size)
			}
			if err := <-read; err != nil {
				t.Fatal(err)
			}
			up := topo.Stats().Up
			t.Logf("received %d of %d datagrams; emulator up: %d released, %d lost", total, bursts*segs, up.Packets, up.LossDrops)
			if uint64(total) != up.Packets {
				t.Errorf("received %d datagrams, emulator released %d; want the same", total, up.Packets)
			}
			if tc.loss == 0 {
				if total != bursts*segs {
					t.Errorf("received %d datagrams; want all %d", total, bursts*segs)
				}
				return
			}
			// Loss acts on each datagram: some bursts arrive in part.
			partial := 0
			for _, k := range got {
				if k > 0 && k < segs {
					partial++
				}
			}
			lost := bursts*segs - total
			if partial == 0 || lost < bursts*segs/10 || lost > bursts*segs/2 {
				t.Errorf("lost %d of %d datagrams, %d bursts in part; want about 30%% lost, datagram by datagram", lost, bursts*segs, partial)
			}
		})
	}
}
