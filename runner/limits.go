package runner

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/tunebench/tunebench/agent"
	"github.com/tunebench/tunebench/scenarios"
)

// A cell's load must fit the client host before the run starts: a cell that
// runs out of ports or descriptors halfway fails in a way that reads like a
// slow server. The worst case is a server that stalls: every request the
// open-loop agent sends then holds its connection until load.timeout, so up
// to rate × timeout connections are open at once, with or without
// keep-alive (a kept-alive connection is busy while its request waits).

const (
	// ephemeralLow and ephemeralHigh are the client host's local port
	// range: a new network namespace starts with the kernel's default,
	// 32768–60999, whatever the host set. The server closes first, so the
	// client's ports are not held in TIME_WAIT.
	ephemeralLow, ephemeralHigh = 32768, 60999
	// connMemory is what one open connection costs the agent and the two
	// kernels, roughly: a goroutine, the transport's buffers and two
	// sockets with little queued.
	connMemory = 64 << 10
)

// hostLimits are what the client host offers a load agent.
type hostLimits struct {
	ports    int    // ephemeral ports
	fds      uint64 // descriptors the agent may have: the hard limit, or fs.nr_open as root
	fdsWhy   string // where fds comes from
	memory   uint64 // bytes available; 0: unknown
	canRaise bool   // may raise the hard limit: has CAP_SYS_RESOURCE
}

// readHostLimits reads this machine's limits.
func readHostLimits() hostLimits {
	l := hostLimits{ports: ephemeralHigh - ephemeralLow + 1, canRaise: hasCapability(unix.CAP_SYS_RESOURCE)}
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err == nil {
		l.fds = rl.Max
		l.fdsWhy = fmt.Sprintf("the RLIMIT_NOFILE hard limit, %d", rl.Max)
	}
	if l.canRaise {
		if n, err := readUint("/proc/sys/fs/nr_open"); err == nil && n > l.fds {
			l.fds = n
			l.fdsWhy = fmt.Sprintf("fs.nr_open, %d, which CAP_SYS_RESOURCE may raise RLIMIT_NOFILE to", n)
		}
	}
	l.memory = memAvailable()
	return l
}

// fits says why a load of cfg cannot run within l, or nil if it can.
func (l hostLimits) fits(cfg agent.Config) error {
	conns := agent.MaxConns(cfg)
	load := fmt.Sprintf("the load (%s) holds up to %d connections open", describeLoad(cfg), conns)
	fix := "lower the load (rate × timeout, connections or burst size bound the open connections)"
	switch {
	case conns > l.ports:
		return fmt.Errorf("%s, over the %d ephemeral ports (%d–%d) of the client host; lower the load so that it stays under %d", load, l.ports, ephemeralLow, ephemeralHigh, l.ports)
	case l.fds > 0 && uint64(conns+agent.FDSlack) > l.fds:
		how := "raise the hard limit (ulimit -Hn, LimitNOFILE= in a unit) or run with CAP_SYS_RESOURCE"
		if l.canRaise {
			how = "raise fs.nr_open"
		}
		return fmt.Errorf("%s, and the load agent may open %d descriptors (%s); %s, or %s", load, l.fds, l.fdsWhy, how, fix)
	case l.memory > 0 && uint64(conns)*connMemory > l.memory:
		return fmt.Errorf("%s, about %d MiB at %d KiB each, over the %d MiB of memory available; %s", load, uint64(conns)*connMemory>>20, connMemory>>10, l.memory>>20, fix)
	}
	return nil
}

// describeLoad says what cfg's load is, for messages.
func describeLoad(cfg agent.Config) string {
	switch cfg.Model() {
	case agent.ModelConnections:
		return fmt.Sprintf("%d connections", cfg.Connections)
	case agent.ModelBurst:
		return fmt.Sprintf("bursts of %d every %v", cfg.Burst.Connections, cfg.Burst.Every)
	}
	t := cfg.Timeout
	if t <= 0 {
		t = agent.DefaultTimeout
	}
	return fmt.Sprintf("%g requests/s with a %v request timeout", cfg.Rate, t)
}

// checkFits refuses, before anything is built, a run one of whose cells
// could not fit the client host.
func (r *run) checkFits() error {
	l := readHostLimits()
	for _, c := range r.o.Cells {
		cfg := r.agentConfig(c, 1)
		if ld := cellLoad(r.o.Suite.Load, c); ld.Model() == scenarios.ModelSearch {
			cfg.Rate = searchMax(ld.Search)
		}
		if err := l.fits(cfg); err != nil {
			return fmt.Errorf("runner: cell %s cannot run here: %w", c.Name(), err)
		}
	}
	return nil
}

// hasCapability reports whether this process has capability c in its
// effective set.
func hasCapability(c int) bool {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if hex, ok := strings.CutPrefix(line, "CapEff:"); ok {
			set, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
			return err == nil && set&(1<<uint(c)) != 0
		}
	}
	return false
}

// readUint reads a file holding one unsigned number.
func readUint(path string) (uint64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
}

// memAvailable is MemAvailable from /proc/meminfo in bytes, 0 if unknown.
func memAvailable() uint64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemAvailable:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}
