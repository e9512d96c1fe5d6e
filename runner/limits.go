package runner

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	vegeta "github.com/tsenart/vegeta/v12/lib"
	"golang.org/x/sys/unix"
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
	// agentFDSlack is the descriptors the agent needs besides its
	// connections: stdio, the runtime's epoll and pipes, with room.
	agentFDSlack = 64
	// connMemory is what one open connection costs the agent and the two
	// kernels, roughly: a goroutine, the transport's buffers and two
	// sockets with little queued.
	connMemory = 64 << 10
)

// agentConns is the most connections cfg's load can hold open at once.
func agentConns(cfg AgentConfig) int {
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = vegeta.DefaultTimeout
	}
	n := math.Ceil(cfg.Rate*timeout.Seconds()) + 1
	if cfg.MaxConnections > 0 && float64(cfg.MaxConnections) < n {
		return cfg.MaxConnections
	}
	if n > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(n)
}

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
func (l hostLimits) fits(cfg AgentConfig) error {
	conns := agentConns(cfg)
	load := fmt.Sprintf("at %g requests/s with a %v request timeout, a stalled server holds up to %d connections open", cfg.Rate, effectiveTimeout(cfg), conns)
	fix := "lower load.rate or load.timeout (rate × timeout bounds the open connections)"
	switch {
	case conns > l.ports:
		return fmt.Errorf("%s, over the %d ephemeral ports (%d–%d) of the client host; lower load.rate or load.timeout so that rate × timeout stays under %d", load, l.ports, ephemeralLow, ephemeralHigh, l.ports)
	case l.fds > 0 && uint64(conns+agentFDSlack) > l.fds:
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

func effectiveTimeout(cfg AgentConfig) any {
	if cfg.Timeout <= 0 {
		return vegeta.DefaultTimeout
	}
	return cfg.Timeout
}

// checkFits refuses, before anything is built, a run one of whose cells
// could not fit the client host.
func (r *run) checkFits() error {
	l := readHostLimits()
	for _, c := range r.o.Cells {
		if err := l.fits(r.agentConfig(c)); err != nil {
			return fmt.Errorf("runner: cell %s cannot run here: %w", c.Name(), err)
		}
	}
	return nil
}

// raiseNoFile lets the load agent open the descriptors cfg's load may need:
// it raises the soft RLIMIT_NOFILE, and as root the hard one, to the
// connections agentConns allows for plus agentFDSlack, and says so on
// stderr. It fails, before any request, if the limit cannot be raised
// that far.
func raiseNoFile(cfg AgentConfig, stderr io.Writer) error {
	need := uint64(agentConns(cfg) + agentFDSlack)
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return fmt.Errorf("load agent: reading RLIMIT_NOFILE: %w", err)
	}
	if rl.Cur >= need {
		return nil
	}
	was := rl
	rl.Cur = need
	if rl.Max < need {
		rl.Max = need
	}
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return fmt.Errorf("load agent: the load may hold %d connections open and needs %d descriptors, but RLIMIT_NOFILE is %d (hard %d) and raising it failed: %w; raise the hard limit (ulimit -Hn) or run with CAP_SYS_RESOURCE", need-agentFDSlack, need, was.Cur, was.Max, err)
	}
	fmt.Fprintf(stderr, "load agent: raised RLIMIT_NOFILE from %d (hard %d) to %d (hard %d) for up to %d connections\n", was.Cur, was.Max, rl.Cur, rl.Max, need-agentFDSlack)
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
