package netem

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Check is one capability of this host, with the fix when it is missing.
type Check struct {
	Name   string
	OK     bool
	Detail string
	Fix    string
	// Needed means tunebench cannot run here without it.
	Needed bool
	// Backend, when set, is the backend this check built a whole path on,
	// step by step as a run does; OK means a run can use it.
	Backend string `json:",omitempty"`
}

// The steps of building a path, in the order a run takes them. An error
// of Up names its step (see StepOf), so that doctor can say which failed.
const (
	StepNamespace = "namespace" // create the two hosts' namespaces
	StepNetlink   = "netlink"   // a route netlink socket inside one
	StepLink      = "link"      // the TUN devices or the veth pair
	StepAddress   = "address"   // loopback, MTU, address, interface up
	StepEmulator  = "emulator"  // the TUN backend's pipes
	StepQdisc     = "qdisc"     // the netem qdiscs
	StepRoute     = "route"     // replacing the connected route (route metrics)
	StepTraffic   = "traffic"   // a TCP connection across the link
)

// stepError is an error of one step of building a path.
type stepError struct {
	step string
	err  error
}

func (e *stepError) Error() string { return e.err.Error() }
func (e *stepError) Unwrap() error { return e.err }

// inStep marks err as an error of step, unless an inner step already
// claimed it (a netlink failure inside the address step is the netlink
// step's).
func inStep(step string, err error) error {
	var se *stepError
	if err == nil || errors.As(err, &se) {
		return err
	}
	return &stepError{step: step, err: err}
}

// StepOf returns the step of building a path that err came from, or "".
func StepOf(err error) string {
	var se *stepError
	if errors.As(err, &se) {
		return se.step
	}
	return ""
}

// stepFix tells how to fix a failed step.
func stepFix(step string) string {
	switch step {
	case StepNamespace:
		return "run as root on a kernel with CONFIG_NET_NS; inside a container, give it CAP_SYS_ADMIN"
	case StepNetlink:
		return "the kernel must answer route netlink (NETLINK_ROUTE) inside a new namespace; inside a container, give it CAP_NET_ADMIN"
	case StepLink:
		return "for tun: load the tun module (modprobe tun) or create /dev/net/tun (mknod /dev/net/tun c 10 200; in a container, start it with --device /dev/net/tun); for netem: load veth (modprobe veth)"
	case StepAddress:
		return "the kernel refused an address or MTU inside the namespace; inside a container, give it CAP_NET_ADMIN"
	case StepEmulator:
		return "the TUN emulator could not start (eventfd, threads); see the error"
	case StepQdisc:
		return "load sch_netem (modprobe sch_netem), or use --backend tun"
	case StepRoute:
		return "the kernel refused to replace the connected route with metrics (initcwnd); see the error"
	case StepTraffic:
		return "nothing crossed the link: a firewall or a security module inside the namespaces may drop it"
	}
	return "see the error"
}

// Doctor checks what this host can do. For each backend it builds a whole
// path the way a run does (namespaces, link, addresses, route, qdisc where
// the backend has one, a TCP connection across) and removes it again;
// besides it creates only a scratch namespace, and removes it too.
func Doctor(ctx context.Context) []Check {
	var checks []Check
	add := func(c Check) { checks = append(checks, c) }

	add(privileges(effectiveCaps(), os.Geteuid(), inContainer()))

	works := map[string]bool{}
	for _, b := range []string{BackendTUN, BackendNetem} {
		c := tryBackend(ctx, b)
		works[b] = c.OK
		add(c)
	}
	// auto must pick a backend that works: the default of every command.
	choice, err := ChooseBackend(BackendAuto)
	autoOK := err == nil && works[choice.Backend]
	detail := errDetail(err, "picks "+choice.Backend+" ("+choice.Reason+")")
	if err == nil && !autoOK {
		detail = "picks " + choice.Backend + ", which failed above (" + choice.Reason + ")"
	}
	add(Check{Name: "backend auto", OK: autoOK, Needed: true, Detail: detail,
		Fix: "give --backend with one that works above, or fix the failing step of " + choice.Backend})

	name := fmt.Sprintf("%s%d-doctor-c", Prefix, os.Getpid())
	ns, undo, nerr := createNamespace(name)
	if nerr == nil {
		defer undo()
	}

	avail := readTrim("/proc/sys/net/ipv4/tcp_available_congestion_control")
	for _, cc := range []string{"cubic", "bbr", "reno"} {
		ok := strings.Contains(" "+avail+" ", " "+cc+" ")
		add(Check{Name: "congestion control " + cc, OK: ok, Detail: map[bool]string{true: "available", false: "not in tcp_available_congestion_control (" + avail + ")"}[ok],
			Fix: "load tcp_" + cc + " (modprobe tcp_" + cc + ")"})
	}
	if nerr == nil {
		var defaults []string
		for _, cc := range strings.Fields(avail) {
			if ns.SetSysctl("net.ipv4.tcp_congestion_control", cc) == nil {
				defaults = append(defaults, cc)
			}
		}
		add(Check{Name: "namespace default cc", OK: len(defaults) > 0,
			Detail: "a namespace may default to: " + strings.Join(defaults, " ") + " (tcp_allowed_congestion_control is global; others are set per route or socket)",
			Fix:    "nothing to do: tunebench sets the others with the route metric congctl"})
		v, err := ns.Sysctl("net.ipv4.tcp_fastopen")
		add(Check{Name: "TCP Fast Open", OK: err == nil, Detail: errDetail(err, "net.ipv4.tcp_fastopen is per namespace (default "+v+")"),
			Fix: "a kernel with CONFIG_TCP_FASTOPEN (any since 3.7)"})
	}
	return checks
}

// tryBackend builds a path on backend b as a run does, sends a TCP
// connection across it, and tears it down.
func tryBackend(ctx context.Context, b string) Check {
	c := Check{Name: "run on backend " + b, Backend: b}
	steps := []string{StepNamespace, StepNetlink, StepLink, StepAddress}
	if b == BackendTUN {
		steps = append(steps, StepEmulator)
	} else {
		steps = append(steps, StepQdisc)
	}
	steps = append(steps, StepRoute, StepTraffic)
	fail := func(err error) Check {
		step := StepOf(err)
		if step == "" {
			step = "setup"
		}
		c.Detail = "step " + step + ": " + err.Error()
		c.Fix = stepFix(step)
		if b == BackendNetem {
			c.Fix = "optional, auto then uses tun: " + c.Fix
		}
		return c
	}
	topo, err := Up(ctx, Config{Name: "doctor-" + b, Link: Symmetric(2*time.Millisecond, Direction{}), Backend: b})
	if err != nil {
		return fail(err)
	}
	defer topo.Close()
	if err := topo.Client.SetRouteMetrics(RouteMetrics{InitCwnd: 10}); err != nil {
		return fail(inStep(StepRoute, err))
	}
	took, err := connectAcross(topo)
	if err != nil {
		return fail(inStep(StepTraffic, err))
	}
	if err := topo.Close(); err != nil {
		return fail(err)
	}
	c.OK = true
	c.Detail = strings.Join(steps, ", ") + fmt.Sprintf(": ok (setup %v, TCP connect across a 2ms link %v)",
		topo.Setup.Round(time.Millisecond), took.Round(100*time.Microsecond))
	return c
}

// connectAcross opens a TCP connection from the client host to a listener
// in the server host and returns how long the handshake took.
func connectAcross(topo *Topology) (time.Duration, error) {
	var ln net.Listener
	err := topo.Server.NS.Do(func() error {
		var err error
		ln, err = net.Listen("tcp4", netip.AddrPortFrom(topo.Server.Addr, 0).String())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("netem: listening in %s: %w", topo.Server.NS.Name, err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Close()
		}
	}()
	var took time.Duration
	err = topo.Client.NS.Do(func() error {
		start := time.Now()
		c, err := net.DialTimeout("tcp4", ln.Addr().String(), 5*time.Second)
		if err != nil {
			return err
		}
		took = time.Since(start)
		return c.Close()
	})
	if err != nil {
		return 0, fmt.Errorf("netem: TCP from %s to %s: %w", topo.Client.NS.Name, ln.Addr(), err)
	}
	return took, nil
}

// CanRun reports whether tunebench can run given the checks: every needed
// check passed and at least one backend built a working path.
func CanRun(checks []Check) bool {
	works := false
	for _, c := range checks {
		if c.Needed && !c.OK {
			return false
		}
		works = works || (c.Backend != "" && c.OK)
	}
	return works
}

// Runnable lists the backends on which the checks built a working path.
func Runnable(checks []Check) []string {
	var bs []string
	for _, c := range checks {
		if c.Backend != "" && c.OK {
			bs = append(bs, c.Backend)
		}
	}
	return bs
}

func errDetail(err error, ok string) string {
	if err != nil {
		return err.Error()
	}
	return ok
}

func readTrim(path string) string {
	b, _ := os.ReadFile(path)
	return strings.TrimSpace(string(b))
}

// effectiveCaps reads CapEff of this process.
func effectiveCaps() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			var caps uint64
			fmt.Sscanf(strings.TrimSpace(v), "%x", &caps)
			return caps
		}
	}
	return 0
}

// neededCaps are the capabilities a run needs: namespaces and mounts
// (SYS_ADMIN), links, addresses, routes and qdiscs (NET_ADMIN).
var neededCaps = []struct {
	bit  uint
	name string
}{{unix.CAP_NET_ADMIN, "CAP_NET_ADMIN"}, {unix.CAP_SYS_ADMIN, "CAP_SYS_ADMIN"}}

// privileges checks the effective capabilities caps, naming each one that
// is missing and, inside a container, the flag that grants it.
func privileges(caps uint64, euid int, container bool) Check {
	var missing, short []string
	for _, c := range neededCaps {
		if caps&(1<<c.bit) == 0 {
			missing = append(missing, c.name)
			short = append(short, strings.TrimPrefix(c.name, "CAP_"))
		}
	}
	c := Check{Name: "privileges", OK: len(missing) == 0, Needed: true}
	if c.OK {
		c.Detail = fmt.Sprintf("euid %d, CAP_NET_ADMIN and CAP_SYS_ADMIN held", euid)
		return c
	}
	c.Detail = fmt.Sprintf("euid %d, %s missing", euid, strings.Join(missing, " and "))
	if container {
		flags := make([]string, len(short))
		for i, s := range short {
			flags[i] = "--cap-add " + s
		}
		c.Fix = fmt.Sprintf("this is a container: start it with %s (compose: cap_add: [%s]), and --device /dev/net/tun", strings.Join(flags, " "), strings.Join(short, ", "))
	} else {
		c.Fix = "run as root (sudo tunebench …) or grant " + strings.Join(missing, " and ")
	}
	return c
}

// inContainer reports whether this process seems to run in a container
// (Docker's /.dockerenv, or a container= environment that systemd-nspawn
// and podman set for PID 1).
func inContainer() bool {
	if _, err := os.Stat("/.dockerenv"); err == nil {
		return true
	}
	if b, err := os.ReadFile("/proc/1/environ"); err == nil && strings.Contains(string(b), "container=") {
		return true
	}
	return false
}
