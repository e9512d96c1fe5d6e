package netem

import (
	"fmt"
)

// The backends' names, as given to --backend.
const (
	BackendAuto  = "auto"
	BackendTUN   = "tun"
	BackendNetem = "netem"
	// BackendVeth is a bare veth pair with no emulation at all: the
	// baseline that the emulators are measured against.
	BackendVeth = "veth"
)

// Stats is what a running path has done, per direction. The kernel backend
// reports the netem qdiscs' counters.
type Stats struct {
	Up, Down DirStats
}

// DropString says what was dropped and why, as far as the backend knows:
// "dropped 3 by loss, 21 by the queue", or "dropped 24 (loss or queue: ...)"
// where the kernel's netem counts both as one.
func (s DirStats) DropString() string {
	if s.DropsMixed {
		return fmt.Sprintf("dropped %d (loss or queue: the kernel's netem qdisc counts both as one)", s.Drops)
	}
	return fmt.Sprintf("dropped %d by loss, %d by the queue", s.LossDrops, s.QueueDrops)
}

// path is a running link between the two hosts.
type path interface {
	Close() error
	Stats() Stats
}

// backend connects two hosts with an emulated link.
type backend interface {
	Name() string
	connect(client, server *Host, l Link) (path, error)
}

var (
	_ backend = tunBackend{}
	_ backend = netemBackend{}
	_ backend = vethBackend{}
)

// Choice is the outcome of choosing a backend: its name and why.
type Choice struct {
	Backend string
	Reason  string
}

// ChooseBackend resolves a --backend value. For auto it probes, in a
// scratch namespace, whether the kernel has sch_netem, and says why it
// picked what it picked.
func ChooseBackend(name string) (Choice, error) {
	switch name {
	case BackendTUN:
		return Choice{BackendTUN, "asked for"}, nil
	case BackendNetem:
		return Choice{BackendNetem, "asked for"}, nil
	case BackendVeth:
		return Choice{BackendVeth, "asked for: no emulation"}, nil
	case BackendAuto, "":
		if err := ProbeNetem(); err != nil {
			return Choice{BackendTUN, "kernel netem qdisc not available (" + err.Error() + "); using the userspace TUN emulator"}, nil
		}
		return Choice{BackendNetem, "kernel has the netem qdisc"}, nil
	}
	return Choice{}, fmt.Errorf("netem: backend %q: unknown; give auto, tun, netem or veth", name)
}

func backendFor(name string) backend {
	switch name {
	case BackendNetem:
		return netemBackend{}
	case BackendVeth:
		return vethBackend{}
	}
	return tunBackend{}
}

// vethBackend joins the hosts with a bare veth pair.
type vethBackend struct{}

func (vethBackend) Name() string { return BackendVeth }

func (vethBackend) connect(client, server *Host, l Link) (path, error) {
	if l.Up != (Direction{}) || l.Down != (Direction{}) {
		return nil, fmt.Errorf("netem: backend veth emulates nothing; give no impairment (link %s) or use --backend tun", l)
	}
	if err := addVeth(client.NS, server.NS); err != nil {
		return nil, err
	}
	for _, h := range []*Host{client, server} {
		if err := h.configure(l.PathMTU()); err != nil {
			return nil, inStep(StepAddress, err)
		}
	}
	return &netemPath{client: client, server: server}, nil
}
