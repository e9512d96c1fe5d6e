package netem

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The kernel backend cannot run on a kernel without sch_netem (this one),
// so its translation is checked on its own.
func TestNetemQdisc(t *testing.T) {
	tests := []struct {
		name                    string
		d                       Direction
		latency, jitter, minLim uint32
		maxLim                  uint32 // 0: no bound
		rate                    uint64 // bytes/s, as netem takes it
		loss                    float32
		wantErr                 string
	}{
		{name: "delay only", d: Direction{Delay: 20 * time.Millisecond}, latency: 20000, minLim: 10000},
		{name: "loss", d: Direction{Delay: time.Millisecond, Loss: 0.01}, latency: 1000, loss: 1, minLim: 10000},
		{name: "jitter keeps order with a huge rate", d: Direction{Delay: 20 * time.Millisecond, Jitter: 2 * time.Millisecond},
			latency: 20000, jitter: 2000, rate: 400e9 / 8, minLim: 10000},
		{name: "jitter may reorder", d: Direction{Delay: 20 * time.Millisecond, Jitter: 2 * time.Millisecond, Reorder: true},
			latency: 20000, jitter: 2000, minLim: 10000},
		// 100 Mbit/s × 50 ms = 625 KB in flight = 417 packets of 1500 B,
		// plus the queue of 100: a bulk flow meets a queue of 100.
		{name: "rate sizes the limit", d: Direction{Delay: 50 * time.Millisecond, Rate: 100e6, QueuePackets: 100},
			latency: 50000, rate: 100e6 / 8, minLim: 100 + 417, maxLim: 100 + 417},
		{name: "default queue behind a rate", d: Direction{Delay: 5 * time.Millisecond, Rate: 10e6},
			latency: 5000, rate: 10e6 / 8, minLim: DefaultQueue + 5, maxLim: DefaultQueue + 5},
		{name: "normal jitter", d: Direction{Delay: 20 * time.Millisecond, Jitter: time.Millisecond, Distribution: Normal}, wantErr: "normal jitter"},
		{name: "gemodel", d: Direction{GE: GilbertElliott{Enable: true, P: .01, R: .3, OneH: 1}}, wantErr: "gemodel"},
		{name: "byte queue", d: Direction{Rate: 1e6, QueueBytes: 64000}, wantErr: "queue in bytes"},
		{name: "overhead", d: Direction{Rate: 1e6, Overhead: 38}, wantErr: "overhead"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := netemAttrs(tt.d, DefaultMTU)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "--backend tun") {
					t.Fatalf("err %v; want one naming %q and the fix", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if q.Latency != tt.latency || q.Jitter != tt.jitter || q.Rate64 != tt.rate || q.Loss != tt.loss {
				t.Errorf("got latency %d jitter %d rate %d loss %v; want %d %d %d %v", q.Latency, q.Jitter, q.Rate64, q.Loss, tt.latency, tt.jitter, tt.rate, tt.loss)
			}
			if q.Limit < tt.minLim {
				t.Errorf("limit %d; want at least %d so netem never drops by accident", q.Limit, tt.minLim)
			}
			if tt.maxLim > 0 && q.Limit > tt.maxLim {
				t.Errorf("limit %d; want at most %d: the queue plus what the rate keeps in flight", q.Limit, tt.maxLim)
			}
		})
	}
}

func TestChooseBackend(t *testing.T) {
	for _, name := range []string{BackendTUN, BackendNetem, BackendVeth} {
		c, err := ChooseBackend(name)
		if err != nil || c.Backend != name {
			t.Errorf("ChooseBackend(%q) = %v, %v; want it as asked", name, c, err)
		}
	}
	if _, err := ChooseBackend("docker"); err == nil || !strings.Contains(err.Error(), "auto, tun, netem") {
		t.Errorf("unknown backend: err %v; want one listing the backends", err)
	}
	needRoot(t)
	c, err := ChooseBackend(BackendAuto)
	if err != nil || c.Reason == "" {
		t.Fatalf("auto: %v, %v; want a choice and why", c, err)
	}
	if (ProbeNetem() == nil) != (c.Backend == BackendNetem) {
		t.Errorf("auto chose %s (%s) against the probe", c.Backend, c.Reason)
	}
	if left := leftovers(); len(left) > 0 {
		t.Errorf("the probe left %v", left)
	}
}

// netem counts random loss and a full limit as one drop counter; the split
// must be certain or not made.
func TestSplitDrops(t *testing.T) {
	tests := []struct {
		name              string
		d                 Direction
		wantLoss, wantQ   uint64
		wantMixed         bool
		wantStringContain string
	}{
		{name: "no loss: all queue", d: Direction{Rate: 10e6}, wantQ: 21, wantStringContain: "0 by loss, 21 by the queue"},
		{name: "loss, no rate: mixed", d: Direction{Loss: .05}, wantMixed: true, wantStringContain: "dropped 21 (loss or queue"},
		{name: "loss and rate: mixed", d: Direction{Loss: .05, Rate: 10e6}, wantMixed: true, wantStringContain: "dropped 21 (loss or queue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := splitDrops(DirStats{Packets: 400}, 21, tt.d)
			if st.Drops != 21 || st.LossDrops != tt.wantLoss || st.QueueDrops != tt.wantQ || st.DropsMixed != tt.wantMixed {
				t.Errorf("got drops %d loss %d queue %d mixed %v; want 21 %d %d %v", st.Drops, st.LossDrops, st.QueueDrops, st.DropsMixed, tt.wantLoss, tt.wantQ, tt.wantMixed)
			}
			if got := st.DropString(); !strings.Contains(got, tt.wantStringContain) {
				t.Errorf("DropString %q; want it to contain %q", got, tt.wantStringContain)
			}
		})
	}
}

// A netlink handle in a namespace asks for the route family only: a kernel
// without xfrm_user or nfnetlink (a module it cannot load) must not fail.
func TestNetlinkRouteOnly(t *testing.T) {
	needRoot(t)
	ns, undo, err := createNamespace(fmt.Sprintf("%s%d-nlfam-c", Prefix, os.Getpid()))
	if err != nil {
		t.Fatal(err)
	}
	defer undo()
	h, err := ns.netlinkIn()
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if !h.SupportsNetlinkFamily(unix.NETLINK_ROUTE) {
		t.Errorf("handle lacks the route family")
	}
	for _, f := range []int{unix.NETLINK_XFRM, unix.NETLINK_NETFILTER} {
		if h.SupportsNetlinkFamily(f) {
			t.Errorf("handle opened netlink family %d; want the route family only", f)
		}
	}
}

// The netem backend limits GSO on a lossy or rate-limited veth, so that
// netem sees one segment per packet; the kernel must keep the setting.
func TestUnsegmented(t *testing.T) {
	needRoot(t)
	c, undoC, err := createNamespace(fmt.Sprintf("%s%d-gso-c", Prefix, os.Getpid()))
	if err != nil {
		t.Fatal(err)
	}
	defer undoC()
	s, undoS, err := createNamespace(fmt.Sprintf("%s%d-gso-s", Prefix, os.Getpid()))
	if err != nil {
		t.Fatal(err)
	}
	defer undoS()
	if err := addVeth(c, s); err != nil {
		t.Fatal(err)
	}
	for _, ns := range []*Namespace{c, s} {
		if err := unsegmented(ns); err != nil {
			t.Errorf("unsegmented(%s): %v", ns.Name, err)
		}
	}
}
