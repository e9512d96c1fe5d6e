package netem

import (
	"errors"
	"fmt"
	"math"
	"os"
	"sync"

	"github.com/vishvananda/netlink"
)

// netemBackend is the kernel's own emulator: a veth pair with a netem
// qdisc on each end, for hosts whose kernel has sch_netem.
type netemBackend struct{}

func (netemBackend) Name() string { return BackendNetem }

type netemPath struct {
	client, server *Host
	link           Link
	once           sync.Once
}

// netemQdisc translates one direction. netem has no normal distribution
// without iproute2's tables, no Gilbert-Elliott model in the netlink
// library, and no byte-sized queue: those ask for the tun backend rather
// than being approximated silently.
func netemQdisc(index int, d Direction, mtu int) (*netlink.Netem, error) {
	attrs, err := netemAttrs(d, mtu)
	if err != nil {
		return nil, err
	}
	return netlink.NewNetem(netlink.QdiscAttrs{LinkIndex: index, Handle: netlink.MakeHandle(1, 0), Parent: netlink.HANDLE_ROOT}, attrs), nil
}

func netemAttrs(d Direction, mtu int) (netlink.NetemQdiscAttrs, error) {
	var none netlink.NetemQdiscAttrs
	switch {
	case d.Distribution == Normal && d.Jitter > 0:
		return none, errors.New("netem backend: normal jitter needs iproute2's distribution tables; use --backend tun")
	case d.GE.Enable:
		return none, errors.New("netem backend: gemodel loss is not supported here; use --backend tun")
	case d.QueueBytes > 0:
		return none, errors.New("netem backend: a queue in bytes is not supported; give it in packets or use --backend tun")
	case d.Overhead > 0:
		return none, errors.New("netem backend: per-packet overhead is not supported; use --backend tun")
	}
	attrs := netlink.NetemQdiscAttrs{
		Latency: uint32(d.Delay.Microseconds()),
		Jitter:  uint32(d.Jitter.Microseconds()),
		Loss:    float32(d.Loss * 100),
		// netem's rate is in bytes per second (iproute2's "rate 20mbit"
		// sends 2500000); Direction.Rate is in bits.
		Rate64: d.Rate / 8,
		Limit:  netemLimit(d, mtu),
	}
	if d.Jitter > 0 && !d.Reorder && d.Rate == 0 {
		// netem reorders jittered packets unless a rate makes it queue them
		// behind each other; a rate far above any veth's speed (400 Gbit/s,
		// in bytes) keeps order without limiting.
		attrs.Rate64 = 400e9 / 8
	}
	return attrs, nil
}

// netemLimit sizes netem's limit, which counts every packet it holds,
// delayed ones too. Behind a rate it is the queue plus what the rate keeps
// in flight over the delay (and jitter) in full-sized packets, so that a
// bulk flow meets a drop-tail queue of the size asked for; smaller packets
// in flight take room from it, which is the approximation of this backend.
// With no rate there is no queue, and the limit is room for a 40 Gbit/s
// veth over the whole delay, so that netem never drops by accident.
func netemLimit(d Direction, mtu int) uint32 {
	queue, _ := d.queueLimit()
	if d.Rate == 0 {
		inflight := 40e9 / 8 * (d.Delay + d.Jitter).Seconds() / float64(mtu)
		return uint32(max(10000, 2*inflight))
	}
	inflight := math.Ceil(float64(d.Rate) / 8 * (d.Delay + d.Jitter).Seconds() / float64(mtu))
	return uint32(queue) + uint32(inflight)
}

func (netemBackend) connect(client, server *Host, l Link) (path, error) {
	mtu := l.PathMTU()
	up, err := netemQdisc(0, l.Up, mtu)
	if err != nil {
		return nil, err
	}
	down, err := netemQdisc(0, l.Down, mtu)
	if err != nil {
		return nil, err
	}
	if err := addVeth(client.NS, server.NS); err != nil {
		return nil, err
	}
	for _, h := range []*Host{client, server} {
		if err := h.configure(mtu); err != nil {
			return nil, inStep(StepAddress, err)
		}
	}
	for _, e := range []struct {
		h *Host
		d Direction
	}{{client, l.Up}, {server, l.Down}} {
		if e.d.Loss > 0 || e.d.Rate > 0 {
			if err := unsegmented(e.h.NS); err != nil {
				return nil, inStep(StepLink, err)
			}
		}
	}
	// The client's egress is the uplink, the server's the downlink.
	if err := addQdisc(client.NS, up); err != nil {
		return nil, err
	}
	if err := addQdisc(server.NS, down); err != nil {
		return nil, err
	}
	return &netemPath{client: client, server: server, link: l}, nil
}

// addVeth creates the pair from inside the client namespace with its peer
// directly in the server's, so nothing ever appears in the host namespace.
func addVeth(client, server *Namespace) error {
	nl, err := client.netlinkIn()
	if err != nil {
		return err
	}
	defer nl.Close()
	veth := &netlink.Veth{
		LinkAttrs:     netlink.LinkAttrs{Name: ifName},
		PeerName:      ifName,
		PeerNamespace: netlink.NsFd(int(server.handle())),
	}
	if err := nl.LinkAdd(veth); err != nil {
		return inStep(StepLink, fmt.Errorf("netem: veth pair %s↔%s: %w; the kernel may lack veth (modprobe veth)", client.Name, server.Name, err))
	}
	return nil
}

// unsegmented makes the stack hand the veth one segment per packet
// (gso_max_segs 1). netem drops, counts against its limit and spaces by
// its rate whole packets as it gets them, and a TCP sender's GSO packets
// carry up to 64 KB: a loss would then take out tens of segments at once,
// a queue of 10 hold hundreds, and a rate release them in bursts.
func unsegmented(ns *Namespace) error {
	nl, err := ns.netlinkIn()
	if err != nil {
		return err
	}
	defer nl.Close()
	link, err := nl.LinkByName(ifName)
	if err != nil {
		return fmt.Errorf("netem: %s: %w", ns.Name, err)
	}
	if err := nl.LinkSetGSOMaxSegs(link, 1); err != nil {
		return fmt.Errorf("netem: %s: gso_max_segs 1: %w", ns.Name, err)
	}
	if link, err = nl.LinkByName(ifName); err != nil {
		return fmt.Errorf("netem: %s: %w", ns.Name, err)
	}
	if n := link.Attrs().GSOMaxSegs; n != 1 {
		return fmt.Errorf("netem: %s: gso_max_segs reads %d after setting 1: this kernel (before 5.19?) cannot limit GSO on a live veth, so netem would drop and rate-limit 64 KB super-packets; use --backend tun", ns.Name, n)
	}
	return nil
}

func addQdisc(ns *Namespace, q *netlink.Netem) error {
	nl, err := ns.netlinkIn()
	if err != nil {
		return err
	}
	defer nl.Close()
	link, err := nl.LinkByName(ifName)
	if err != nil {
		return inStep(StepQdisc, fmt.Errorf("netem: %s: %w", ns.Name, err))
	}
	q.LinkIndex = link.Attrs().Index
	if err := nl.QdiscReplace(q); err != nil {
		return inStep(StepQdisc, fmt.Errorf("netem: %s: netem qdisc: %w; this kernel may lack sch_netem, use --backend tun", ns.Name, err))
	}
	return nil
}

// Close does nothing of its own: the veth pair and its qdiscs go with the
// namespaces.
func (p *netemPath) Close() error { return nil }

func (p *netemPath) Stats() Stats {
	return Stats{Up: qdiscStats(p.client.NS, p.link.Up), Down: qdiscStats(p.server.NS, p.link.Down)}
}

// qdiscStats reads the netem qdisc's counters of one direction. netem
// counts a random loss and a full limit as one kind of drop, so drops are
// split only where d makes it certain: with no loss configured every drop
// is the queue's. Otherwise they are reported together (DropsMixed) rather
// than guessed.
func qdiscStats(ns *Namespace, d Direction) DirStats {
	nl, err := ns.netlinkIn()
	if err != nil {
		return DirStats{}
	}
	defer nl.Close()
	link, err := nl.LinkByName(ifName)
	if err != nil {
		return DirStats{}
	}
	qs, err := nl.QdiscList(link)
	if err != nil {
		return DirStats{}
	}
	for _, q := range qs {
		if q.Type() == "netem" && q.Attrs().Statistics != nil {
			s := q.Attrs().Statistics
			return splitDrops(DirStats{Packets: uint64(s.Basic.Packets), Bytes: s.Basic.Bytes}, uint64(s.Queue.Drops), d)
		}
	}
	return DirStats{}
}

// splitDrops sets the drop counts of st from the qdisc's one drop counter.
func splitDrops(st DirStats, drops uint64, d Direction) DirStats {
	st.Drops = drops
	if d.Loss == 0 {
		st.QueueDrops = drops
	} else {
		st.DropsMixed = true
	}
	return st
}

// ProbeNetem reports whether this kernel can attach a netem qdisc, trying
// it on a veth pair in a scratch namespace that it removes again.
func ProbeNetem() error {
	if _, err := os.Stat("/proc/net"); err != nil {
		return err
	}
	c, undoC, err := createNamespace(fmt.Sprintf("%s%d-probe-c", Prefix, os.Getpid()))
	if err != nil {
		return err
	}
	defer undoC()
	s, undoS, err := createNamespace(fmt.Sprintf("%s%d-probe-s", Prefix, os.Getpid()))
	if err != nil {
		return err
	}
	defer undoS()
	if err := addVeth(c, s); err != nil {
		return err
	}
	q, err := netemQdisc(0, Direction{}, DefaultMTU)
	if err != nil {
		return err
	}
	nl, err := c.netlinkIn()
	if err != nil {
		return err
	}
	defer nl.Close()
	link, err := nl.LinkByName(ifName)
	if err != nil {
		return err
	}
	q.LinkIndex = link.Attrs().Index
	if err := nl.QdiscAdd(q); err != nil {
		return fmt.Errorf("qdisc netem: %w", err)
	}
	return nil
}
