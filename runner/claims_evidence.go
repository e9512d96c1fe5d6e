package runner

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/tunebench/tunebench/agent"
	"github.com/tunebench/tunebench/netem"
	"github.com/tunebench/tunebench/results"
	"github.com/tunebench/tunebench/scenarios"
	"golang.org/x/sys/unix"
)

// The knobs and evidence of the common tuning claims: listen backlogs
// under SYN bursts, TIME_WAIT after short-lived connections, socket
// buffers on long fat pipes, and slow clients. The knobs reach every
// server as TUNEBENCH_BACKLOG, TUNEBENCH_SNDBUF, TUNEBENCH_MAX_CONNS and
// TUNEBENCH_HEADER_TIMEOUT; what the kernel can show of them is read back
// from outside the server (sock_diag), so a user's own server that ignores
// one fails its cell rather than labelling the default with the knob.

// Units of the claims' evidence.
const (
	unitListenOverflows = "listen-overflows/op"
	unitListenDrops     = "listen-drops/op"
	unitSyncookiesSent  = "syncookies-sent/op"
	unitSynRetrans      = "syn-retrans/op"
	unitClientTimeWait  = "client-timewait"
	unitServerTimeWait  = "server-timewait"
	unitConnectErrors   = "connect-errors/op"
	unitRwndLimited     = "rwnd-limited"
	unitSndbufLimited   = "sndbuf-limited"
	unitSlowHeld        = "slow-held"
)

// claimsPlan is what a cell asks of the claims' knobs, and which evidence
// it reports.
type claimsPlan struct {
	backlog, rcvbuf, sndbuf int // 0: not set
	slowClients             int
	// listen, timeWait, buffers and slow choose the evidence: a cell gets
	// the figures of the claims its knobs, sysctls and load are about.
	listen, timeWait, buffers, slow bool
}

// sysctls that make a cell one of a claim's.
var (
	listenSysctls   = []string{"net.core.somaxconn", "net.ipv4.tcp_max_syn_backlog", "net.ipv4.tcp_syncookies"}
	timeWaitSysctls = []string{"net.ipv4.tcp_tw_reuse", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_max_tw_buckets"}
	bufferSysctls   = []string{"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem", "net.core.rmem_max", "net.core.wmem_max", "net.ipv4.tcp_moderate_rcvbuf"}
)

// claimsPlanOf reads the claims' knobs of cell in suite s.
func claimsPlanOf(cell scenarios.Cell, s *scenarios.Suite) (claimsPlan, error) {
	c := claimsPlan{slowClients: s.Load.SlowClients}
	sysctls := map[string]bool{}
	for key := range s.Sysctl {
		sysctls[key] = true
	}
	for _, k := range cell.Knobs {
		var err error
		switch k.Name {
		case "backlog":
			c.backlog, err = strconv.Atoi(k.Value)
			c.listen = true
		case "rcvbuf":
			c.rcvbuf, err = strconv.Atoi(k.Value)
			c.buffers = true
		case "sndbuf":
			c.sndbuf, err = strconv.Atoi(k.Value)
			c.buffers = true
		case "keepalive", "max_requests":
			c.timeWait = true
		case "header_timeout", "max_conns":
			c.slow = true
		}
		if err != nil {
			return c, fmt.Errorf("knob %s=%s: %w", k.Name, k.Value, err)
		}
		if key, ok := strings.CutPrefix(k.Name, scenarios.SysctlKnobPrefix); ok {
			sysctls[key] = true
		}
	}
	for key := range sysctls {
		c.listen = c.listen || contains(listenSysctls, key)
		c.timeWait = c.timeWait || contains(timeWaitSysctls, key)
		c.buffers = c.buffers || contains(bufferSysctls, key)
	}
	if cellLoad(s.Load, cell).Model() == scenarios.ModelBurst {
		c.listen = true
	}
	if c.slowClients > 0 {
		c.slow = true
	}
	return c, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// agent sets the claims' client-side knobs on cfg.
func (c claimsPlan) agent(cfg *agent.Config) {
	cfg.RcvBuf = c.rcvbuf
	cfg.SlowClients = c.slowClients
}

// watch reports whether the server's connections are read during the load.
func (c claimsPlan) watch() bool { return c.buffers }

// checkServer reads back, once the server listens, the backlog its
// listener got: the kernel clamps listen(2)'s to net.core.somaxconn, and a
// server that ignores TUNEBENCH_BACKLOG keeps its own.
func (c claimsPlan) checkServer(topo *netem.Topology, port int) error {
	if c.backlog == 0 {
		return nil
	}
	got, _, err := topo.Server.NS.ListenBacklog(uint16(port))
	if err != nil {
		return fmt.Errorf("backlog=%d: reading the listener back: %w", c.backlog, err)
	}
	if int(got) == c.backlog {
		return nil
	}
	somax, _ := topo.Server.NS.Sysctl("net.core.somaxconn")
	if n, err := strconv.Atoi(strings.TrimSpace(somax)); err == nil && n < c.backlog && int(got) == n {
		return fmt.Errorf("backlog=%d: the listener's backlog is %d: the kernel clamps it to net.core.somaxconn (%d); raise that too (sysctl.net.core.somaxconn)", c.backlog, got, n)
	}
	return fmt.Errorf("backlog=%d: the listener's backlog is %d (sock_diag); the server does not apply TUNEBENCH_BACKLOG to listen(2)", c.backlog, got)
}

// timeWait are the TIME_WAIT sockets of both hosts at one moment.
type timeWait struct {
	client, server int
	err            error
}

// readTimeWait counts both hosts' TIME_WAIT sockets. Each repetition has
// fresh hosts, so every one of them is the repetition's.
func readTimeWait(topo *netem.Topology) timeWait {
	var tw timeWait
	tw.client, tw.err = topo.Client.NS.CountTimeWait(0, false)
	if tw.err == nil {
		tw.server, tw.err = topo.Server.NS.CountTimeWait(0, false)
	}
	return tw
}

// claimsSockets is the latest TCP_INFO of each server connection seen
// during the load.
type claimsSockets struct {
	last map[uint64]netem.TCPStats // by cookie
	err  error
}

// add notes one listing of the server's connections.
func (cs *claimsSockets) add(socks []netem.TCPStats, err error) {
	if cs.last == nil {
		cs.last = map[uint64]netem.TCPStats{}
	}
	if err != nil && cs.err == nil {
		cs.err = err
	}
	for _, s := range socks {
		cs.last[s.Cookie] = s
	}
}

// evidence returns the claims' metrics of one measurement, and what in it
// contradicts the cell's knobs.
func (c claimsPlan) evidence(cd, sd netem.Counters, ops float64, tw timeWait, res *agent.Result, server *serverSockets) ([]results.Metric, error) {
	per := func(v uint64) float64 { return float64(v) / ops }
	var ms []results.Metric
	var errs []error
	lower := func(unit string, v float64) {
		ms = append(ms, results.Metric{Value: v, Unit: unit, Better: results.BetterLower})
	}
	if c.listen {
		lower(unitListenOverflows, per(sd[netem.CounterListenOverflows]))
		lower(unitListenDrops, per(sd[netem.CounterListenDrops]))
		lower(unitSyncookiesSent, per(sd[netem.CounterSyncookiesSent]))
		lower(unitSynRetrans, per(cd[netem.CounterSynRetrans]))
	}
	if c.timeWait {
		switch {
		case errors.Is(tw.err, unix.ENOENT):
			// No tcp_diag in this kernel (a module that was not
			// loaded): the count is evidence, not a knob's read-back,
			// so the line goes without it rather than the cell failing.
		case tw.err != nil:
			errs = append(errs, fmt.Errorf("counting TIME_WAIT sockets: %w", tw.err))
		default:
			lower(unitClientTimeWait, float64(tw.client))
			lower(unitServerTimeWait, float64(tw.server))
		}
		ms = append(ms, connectErrors(res.Sockets, per)...)
	}
	if c.buffers {
		if res.Transfer != nil {
			ms = append(ms, results.Metric{Value: res.Transfer.Goodput(), Unit: results.UnitGoodput, Better: results.BetterHigher})
		}
		var busy, rwnd, sndbuf uint64
		if server != nil {
			if server.claims.err != nil {
				errs = append(errs, fmt.Errorf("reading the server's sockets: %w", server.claims.err))
			}
			keys := make([]uint64, 0, len(server.claims.last))
			for k := range server.claims.last {
				keys = append(keys, k)
			}
			sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
			bad := 0
			for _, k := range keys {
				s := server.claims.last[k]
				busy += s.Info.Busy_time
				rwnd += s.Info.Rwnd_limited
				sndbuf += s.Info.Sndbuf_limited
				if c.sndbuf > 0 && s.SndBuf != uint32(2*c.sndbuf) {
					bad++
				}
			}
			if bad > 0 {
				errs = append(errs, fmt.Errorf("sndbuf=%d, but %d of the server's %d connections have a send buffer other than %d (twice the value; sock_diag): the server does not apply TUNEBENCH_SNDBUF", c.sndbuf, bad, len(keys), 2*c.sndbuf))
			}
		}
		// The server sends the bodies: its time held back by the agent's
		// receive window (rcvbuf, tcp_rmem) or its own send buffer
		// (sndbuf, tcp_wmem), as a share of its busy time.
		share := func(v uint64) float64 {
			if busy == 0 {
				return 0
			}
			return float64(v) / float64(busy)
		}
		lower(unitRwndLimited, share(rwnd))
		lower(unitSndbufLimited, share(sndbuf))
	}
	if c.slow && c.slowClients > 0 {
		held := 0
		if res.Slow != nil {
			held = res.Slow.Held
		}
		lower(unitSlowHeld, float64(held))
	}
	return ms, errors.Join(errs...)
}

// connectErrors are the failed connects per request: all, and each errno
// seen as connect-<errno>/op; connect-eaddrnotavail/op (the ephemeral
// ports ran out) is always there, so that cells compare.
func connectErrors(s *agent.SocketReport, per func(uint64) float64) []results.Metric {
	counts := map[string]int{}
	if s != nil {
		counts = s.DialErrors
	}
	total := 0
	names := []string{"eaddrnotavail"}
	for name, n := range counts {
		total += n
		if name != "eaddrnotavail" {
			names = append(names, name)
		}
	}
	sort.Strings(names[1:])
	ms := []results.Metric{{Value: per(uint64(total)), Unit: unitConnectErrors, Better: results.BetterLower}}
	for _, name := range names {
		ms = append(ms, results.Metric{Value: per(uint64(counts[name])), Unit: "connect-" + name + "/op", Better: results.BetterLower})
	}
	return ms
}
