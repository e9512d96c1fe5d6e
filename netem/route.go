package netem

import (
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// RouteMetrics are the TCP metrics of a host's route toward the other host
// (the connected 198.18.0.0/24 route on tb0). The kernel applies them to
// every new connection over the route, a user's server's included, without
// any socket option. Zero fields are the kernel's defaults.
type RouteMetrics struct {
	// InitCwnd is the initial congestion window in segments (RTAX_INITCWND);
	// the kernel's default is 10.
	InitCwnd int
	// InitRwnd is the initial receive window the host advertises, in
	// segments (RTAX_INITRWND).
	InitRwnd int
	// Congctl is the congestion control of connections over the route
	// (RTAX_CC_ALGO), e.g. "cubic". Unlike the namespace's default
	// (net.ipv4.tcp_congestion_control), which a non-initial namespace may
	// set only to an algorithm in the host's tcp_allowed_congestion_control,
	// a route may name any algorithm the kernel has.
	Congctl string
}

// String is "initcwnd 10 initrwnd 40 congctl cubic", leaving out zero fields.
func (m RouteMetrics) String() string {
	var parts []string
	if m.InitCwnd > 0 {
		parts = append(parts, fmt.Sprintf("initcwnd %d", m.InitCwnd))
	}
	if m.InitRwnd > 0 {
		parts = append(parts, fmt.Sprintf("initrwnd %d", m.InitRwnd))
	}
	if m.Congctl != "" {
		parts = append(parts, "congctl "+m.Congctl)
	}
	if len(parts) == 0 {
		return "defaults"
	}
	return strings.Join(parts, " ")
}

// SetRouteMetrics replaces the host's connected route toward the other host
// with one carrying m. A congestion control the kernel does not have is
// refused with the list of those it has.
func (h *Host) SetRouteMetrics(m RouteMetrics) error {
	if m.InitCwnd < 0 || m.InitRwnd < 0 {
		return fmt.Errorf("netem: %s: route metrics %s: negative window; give 1 segment or more", h.NS.Name, m)
	}
	if m.Congctl != "" {
		if err := h.NS.CheckCongestion(m.Congctl); err != nil {
			return err
		}
	}
	nl, err := h.NS.netlinkIn()
	if err != nil {
		return err
	}
	defer nl.Close()
	r, err := connectedRoute(nl, h.NS.Name)
	if err != nil {
		return err
	}
	r.InitCwnd, r.InitRwnd, r.Congctl = m.InitCwnd, m.InitRwnd, m.Congctl
	if err := nl.RouteReplace(r); err != nil {
		return fmt.Errorf("netem: %s: setting route metrics %s on %s: %w", h.NS.Name, m, r.Dst, err)
	}
	got, err := h.RouteMetrics()
	if err != nil {
		return err
	}
	if got != m {
		return fmt.Errorf("netem: %s: route metrics read back as %s, not the %s written; the kernel did not keep them", h.NS.Name, got, m)
	}
	return nil
}

// RouteMetrics reads the metrics of the host's route toward the other host.
func (h *Host) RouteMetrics() (RouteMetrics, error) {
	nl, err := h.NS.netlinkIn()
	if err != nil {
		return RouteMetrics{}, err
	}
	defer nl.Close()
	r, err := connectedRoute(nl, h.NS.Name)
	if err != nil {
		return RouteMetrics{}, err
	}
	return RouteMetrics{InitCwnd: r.InitCwnd, InitRwnd: r.InitRwnd, Congctl: r.Congctl}, nil
}

// connectedRoute finds the route to 198.18.0.0/24 on ifName in the main
// table, the one the kernel made when the address was added.
func connectedRoute(nl *netlink.Handle, ns string) (*netlink.Route, error) {
	link, err := nl.LinkByName(ifName)
	if err != nil {
		return nil, fmt.Errorf("netem: %s: %s: %w", ns, ifName, err)
	}
	routes, err := nl.RouteList(link, unix.AF_INET)
	if err != nil {
		return nil, fmt.Errorf("netem: %s: listing routes: %w", ns, err)
	}
	want := net.IPNet{IP: ClientAddr.AsSlice(), Mask: net.CIDRMask(prefixLen, 32)}
	want.IP = want.IP.Mask(want.Mask)
	for i := range routes {
		r := &routes[i]
		if r.Dst != nil && r.Dst.String() == want.String() && (r.Table == unix.RT_TABLE_MAIN || r.Table == 0) {
			return r, nil
		}
	}
	return nil, fmt.Errorf("netem: %s: no route to %s on %s; is the topology up?", ns, want.String(), ifName)
}

// CongestionAvailable lists the congestion controls the kernel has, built
// in or loaded (net.ipv4.tcp_available_congestion_control, read-only).
func (n *Namespace) CongestionAvailable() ([]string, error) {
	var list []string
	err := n.Do(func() error {
		b, err := os.ReadFile("/proc/sys/net/ipv4/tcp_available_congestion_control")
		if err != nil {
			return fmt.Errorf("netem: reading the available congestion controls in %s: %w", n.Name, err)
		}
		list = strings.Fields(string(b))
		return nil
	})
	return list, err
}

// CheckCongestion returns nil if the kernel has the congestion control
// name, and otherwise an error that lists those it has. It never loads a
// module: that would change the host.
func (n *Namespace) CheckCongestion(name string) error {
	list, err := n.CongestionAvailable()
	if err != nil {
		return err
	}
	for _, a := range list {
		if a == name {
			return nil
		}
	}
	return fmt.Errorf("netem: congestion control %q is not available in this kernel (it has %s); build it in or load its module (modprobe tcp_%s) on the host, or pick another",
		name, strings.Join(list, ", "), name)
}

// CheckSysctlScoped reports whether the sysctl key belongs to a network
// namespace: it must exist and be writable inside a fresh namespace. Keys
// that only the host's namespace may change (net.core.netdev_max_backlog,
// or net.ipv4.tcp_allowed_congestion_control, which a child namespace sees
// read-only) are refused with a message. Nothing is written.
func CheckSysctlScoped(key string) error {
	path, err := sysctlPath(key)
	if err != nil {
		return err
	}
	return inScratchNamespace(func() error {
		fi, err := os.Stat(path)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return fmt.Errorf("netem: sysctl: %s is not scoped to a network namespace (a fresh namespace has no %s) or does not exist; tunebench sets only per-namespace sysctls, never the host's", key, path)
		case err != nil:
			return fmt.Errorf("netem: sysctl %s: %w", key, err)
		case fi.IsDir():
			return fmt.Errorf("netem: sysctl: %s is a directory; name one setting, e.g. net.ipv4.tcp_slow_start_after_idle", key)
		case fi.Mode().Perm()&0o200 == 0:
			return fmt.Errorf("netem: sysctl: %s is read-only inside a network namespace: only the host's namespace may change it, and tunebench never touches the host", key)
		}
		return nil
	})
}

// ErrNoScratchNamespace is wrapped by CheckSysctlScoped's error when this
// process cannot make a namespace to look in (it is not root): the key is
// then neither accepted nor refused.
var ErrNoScratchNamespace = errors.New("netem: scratch namespace")

// inScratchNamespace runs fn on a locked thread moved into a new, unnamed
// network namespace, which is freed when the thread switches back.
func inScratchNamespace(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("netem: reading the thread's namespace: %w", err)
			return
		}
		defer orig.Close()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("%w: %w%s", ErrNoScratchNamespace, err, rootHint(err))
			return
		}
		ferr := fn()
		if err := netns.Set(orig); err != nil {
			errc <- errors.Join(ferr, fmt.Errorf("netem: leaving the scratch namespace: %w", err)) // the thread dies locked
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}
