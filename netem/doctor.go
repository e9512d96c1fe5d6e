package netem

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// Check is one capability of this host, with the fix when it is missing.
type Check struct {
	Name   string
	OK     bool
	Detail string
	Fix    string
	// Needed means the tun backend cannot run without it.
	Needed bool
}

// Doctor checks what this host can do. It creates only a scratch pair of
// namespaces, and removes them.
func Doctor() []Check {
	var checks []Check
	add := func(c Check) { checks = append(checks, c) }

	caps := effectiveCaps()
	admin := caps&(1<<unix.CAP_NET_ADMIN) != 0 && caps&(1<<unix.CAP_SYS_ADMIN) != 0
	add(Check{Name: "privileges", OK: admin, Needed: true,
		Detail: fmt.Sprintf("euid %d, CAP_NET_ADMIN and CAP_SYS_ADMIN %s", os.Geteuid(), map[bool]string{true: "held", false: "missing"}[admin]),
		Fix:    "run as root (sudo tunebench …) or grant CAP_NET_ADMIN and CAP_SYS_ADMIN"})

	name := fmt.Sprintf("%s%d-doctor-c", Prefix, os.Getpid())
	ns, undo, err := createNamespace(name)
	nsOK := err == nil
	add(Check{Name: "network namespaces", OK: nsOK, Needed: true, Detail: errDetail(err, "can create and remove one"),
		Fix: "run as root on a kernel with CONFIG_NET_NS; inside a container, give it CAP_SYS_ADMIN"})
	if nsOK {
		defer undo()
	}

	_, terr := os.Stat("/dev/net/tun")
	if terr == nil && nsOK {
		var dev interface{ Close() error }
		dev, terr = openTUN(ns)
		if terr == nil {
			dev.Close()
		}
	}
	add(Check{Name: "TUN devices", OK: terr == nil, Needed: true, Detail: errDetail(terr, "with IFF_VNET_HDR offloads"),
		Fix: "load the tun module (modprobe tun) or create /dev/net/tun (mknod /dev/net/tun c 10 200)"})

	nerr := ProbeNetem()
	add(Check{Name: "kernel netem qdisc", OK: nerr == nil, Detail: errDetail(nerr, "backend netem available; auto picks it"),
		Fix: "optional: the tun backend is used instead; for netem, load sch_netem (modprobe sch_netem)"})

	avail := readTrim("/proc/sys/net/ipv4/tcp_available_congestion_control")
	for _, cc := range []string{"cubic", "bbr", "reno"} {
		ok := strings.Contains(" "+avail+" ", " "+cc+" ")
		add(Check{Name: "congestion control " + cc, OK: ok, Detail: map[bool]string{true: "available", false: "not in tcp_available_congestion_control (" + avail + ")"}[ok],
			Fix: "load tcp_" + cc + " (modprobe tcp_" + cc + ")"})
	}
	if nsOK {
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

// CanRun reports whether the tun backend can run given the checks.
func CanRun(checks []Check) bool {
	for _, c := range checks {
		if c.Needed && !c.OK {
			return false
		}
	}
	return true
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
