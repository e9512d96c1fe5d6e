package runner

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tunebench/tunebench/agent"
	"github.com/tunebench/tunebench/netem"
	"github.com/tunebench/tunebench/results"
	"github.com/tunebench/tunebench/scenarios"
)

// The kernel knobs of a cell (tfo, cc, initcwnd, initrwnd, sysctl.*, and
// the suite's fixed sysctl: map) are applied to both hosts right after the
// link is up and before the server starts, so that a user's own server gets
// them without doing anything. Each is written and read back; a value the
// kernel does not take fails the repetition with the reason, it never
// measures the default instead. After the load, the evidence (nstat
// counters of both namespaces, what the agent read back from its sockets)
// is checked against what the cell claims and written as Extra metrics.

// Values of net.ipv4.tcp_fastopen (Documentation/networking/ip-sysctl.rst).
const (
	// tfoClient is 0x1: send data in the SYN when a cookie is cached
	// (TCP_FASTOPEN_CONNECT or MSG_FASTOPEN).
	tfoClient = "1"
	// tfoServer is 0x403: 0x1 (client, harmless), 0x2 (server: accept data
	// in the SYN on listeners with TCP_FASTOPEN) and 0x400 (every listener,
	// without the socket option, so a user's server gets it too).
	tfoServer = "1027"
	// tfoOff disables Fast Open on both sides.
	tfoOff = "0"
)

// kernelPlan is what a cell asks of the kernel.
type kernelPlan struct {
	tfo     string // "", "on" or "off"
	cc      string // "" or an algorithm
	nodelay string // "", "on" or "off"
	route   netem.RouteMetrics
	// sysctls are written in both hosts, the suite's fixed ones first, then
	// the cell's sysctl.* knobs, which win.
	sysctls []sysctlSetting
	// claims are the knobs and evidence of the common tuning claims
	// (claims_evidence.go).
	claims claimsPlan
}

// sysctlSetting is one sysctl to write.
type sysctlSetting struct{ key, value string }

// kernelPlanOf reads the kernel knobs of cell in suite s (whose sysctl:
// map applies to every cell). tfo=on needs a warmup of at least one
// request: each repetition has fresh hosts, so its first connection only
// fetches the Fast Open cookie, and that connection must not be measured.
func kernelPlanOf(cell scenarios.Cell, s *scenarios.Suite) (kernelPlan, error) {
	var k kernelPlan
	fixed := s.Sysctl
	keys := make([]string, 0, len(fixed))
	for key := range fixed {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		k.sysctls = append(k.sysctls, sysctlSetting{key, sysctlValue(fixed[key])})
	}
	for _, s := range cell.Knobs {
		var err error
		switch {
		case s.Name == "tfo":
			k.tfo = s.Value
		case s.Name == "cc":
			k.cc = s.Value
		case s.Name == "nodelay":
			k.nodelay = s.Value
		case s.Name == "initcwnd":
			k.route.InitCwnd, err = strconv.Atoi(s.Value)
		case s.Name == "initrwnd":
			k.route.InitRwnd, err = strconv.Atoi(s.Value)
		case strings.HasPrefix(s.Name, scenarios.SysctlKnobPrefix):
			k.sysctls = append(k.sysctls, sysctlSetting{strings.TrimPrefix(s.Name, scenarios.SysctlKnobPrefix), sysctlValue(s.Value)})
		}
		if err != nil {
			return k, fmt.Errorf("knob %s=%s: %w", s.Name, s.Value, err)
		}
	}
	k.route.Congctl = k.cc
	var err error
	if k.claims, err = claimsPlanOf(cell, s); err != nil {
		return k, err
	}
	if k.tfo == "on" && float64(s.Load.Warmup)*s.Load.Rate < float64(time.Second) {
		return k, fmt.Errorf("tfo=on: load.warmup %v at %v req/s holds no request, so the first measured connection would only fetch the Fast Open cookie; give a warmup of at least one request (e.g. warmup: 1s)", s.Load.Warmup, s.Load.Rate)
	}
	return k, nil
}

// sysctlValue turns a knob value into what the sysctl file takes: a cell
// name has no spaces, so "4096,131072,6291456" stands for the three fields
// of net.ipv4.tcp_rmem.
func sysctlValue(v string) string { return strings.ReplaceAll(v, ",", " ") }

// apply sets the plan in both hosts of topo.
func (k kernelPlan) apply(topo *netem.Topology) error {
	hosts := []*netem.Host{topo.Client, topo.Server}
	for _, s := range k.sysctls {
		if err := netem.CheckSysctlScoped(s.key); err != nil {
			return fmt.Errorf("sysctl: %w", err)
		}
		for _, h := range hosts {
			if err := writeSysctl(h, s.key, s.value); err != nil {
				return err
			}
		}
	}
	switch k.tfo {
	case "on":
		if err := writeSysctl(topo.Client, "net.ipv4.tcp_fastopen", tfoClient); err != nil {
			return fmt.Errorf("tfo=on: %w", err)
		}
		if err := writeSysctl(topo.Server, "net.ipv4.tcp_fastopen", tfoServer); err != nil {
			return fmt.Errorf("tfo=on: %w", err)
		}
	case "off":
		for _, h := range hosts {
			if err := writeSysctl(h, "net.ipv4.tcp_fastopen", tfoOff); err != nil {
				return fmt.Errorf("tfo=off: %w", err)
			}
		}
	}
	if k.route != (netem.RouteMetrics{}) {
		for _, h := range hosts {
			if err := h.SetRouteMetrics(k.route); err != nil {
				return fmt.Errorf("route metrics: %w", err)
			}
		}
	}
	return nil
}

// writeSysctl writes key=value in h and reads it back.
func writeSysctl(h *netem.Host, key, value string) error {
	if err := h.NS.SetSysctl(key, value); err != nil {
		return err
	}
	got, err := h.NS.Sysctl(key)
	if err != nil {
		return err
	}
	if !sameSysctl(got, value) {
		return fmt.Errorf("sysctl %s in %s: wrote %q, read back %q; the kernel does not take this value", key, h.NS.Name, value, got)
	}
	return nil
}

// agent sets the client-side socket options of the plan on cfg.
func (k kernelPlan) agent(cfg *agent.Config) {
	cfg.FastOpen = k.tfo == "on"
	cfg.Congestion = k.cc
	cfg.Nagle = k.nodelay == "off"
	k.claims.agent(cfg)
}

// counters are both hosts' nstat counters at one moment, and their
// TIME_WAIT sockets.
type counters struct {
	client, server netem.Counters
	tw             timeWait
}

// snapshot reads both hosts' counters.
func snapshot(topo *netem.Topology) (counters, error) {
	c, err := topo.Client.NS.Counters()
	if err != nil {
		return counters{}, err
	}
	s, err := topo.Server.NS.Counters()
	return counters{client: c, server: s, tw: readTimeWait(topo)}, err
}

// evidence checks what the kernel did during the load against the plan and
// returns the metrics to write. Counter deltas cover the whole load, warmup
// included (the agent runs both in one attack), and are divided by every
// request sent (warmup and measured) to give the /op figures.
func (k kernelPlan) evidence(before, after counters, res *agent.Result, server *serverSockets) ([]results.Metric, error) {
	cd, sd := after.client.Delta(before.client), after.server.Delta(before.server)
	ops := float64(res.Requests + res.Warmup)
	if ops <= 0 {
		ops = 1
	}
	per := func(v uint64) float64 { return float64(v) / ops }
	var ms []results.Metric
	var errs []error
	sock := res.Sockets
	if k.tfo != "" {
		active, fail := cd[netem.CounterTFOActive], cd[netem.CounterTFOActiveFail]
		passive, cookie := sd[netem.CounterTFOPassive], sd[netem.CounterTFOCookieReqd]
		ms = append(ms,
			results.Metric{Value: per(active), Unit: "tfo-active/op", Better: "higher"},
			results.Metric{Value: per(fail), Unit: "tfo-fail/op", Better: "lower"},
			results.Metric{Value: per(passive), Unit: "tfo-passive/op", Better: "higher"},
			results.Metric{Value: per(cookie), Unit: "tfo-cookie/op", Better: "lower"},
		)
		opens := sd[netem.CounterPassiveOpens]
		counts := fmt.Sprintf("%d new connections; client TcpExtTCPFastOpenActive %d, ActiveFail %d; server TcpExtTCPFastOpenPassive %d, CookieReqd %d", opens, active, fail, passive, cookie)
		// Connections opened before any response arrived (the first, or a
		// burst at the start) only ask for the cookie. Those opened later
		// should carry data in the SYN; without the agent's report, any
		// connection after the first counts.
		later := int(opens) - 1
		if sock != nil {
			later = sock.Later
			counts = fmt.Sprintf("%d opened after the first response; %s", later, counts)
		}
		switch {
		case k.tfo == "on" && later > 0 && active == 0 && fail > 0:
			errs = append(errs, fmt.Errorf("tfo=on, but every Fast Open attempt failed (%s): the path or the server drops data in the SYN", counts))
		case k.tfo == "on" && later > 0 && active == 0 && sd[netem.CounterSyncookiesSent] > 0:
			// A listener that answers with SYN cookies drops the data in
			// the SYN: the claim that cookies disable Fast Open, measured
			// (syncookies-sent/op), not a knob that failed.
		case k.tfo == "on" && later > 0 && active == 0:
			errs = append(errs, fmt.Errorf("tfo=on, but no connection used Fast Open (%s): TCP Fast Open is disabled by policy or by the kernel (net.ipv4.tcp_fastopen, or the server's listener)", counts))
		case k.tfo == "off" && (active > 0 || passive > 0):
			errs = append(errs, fmt.Errorf("tfo=off, but connections used Fast Open (%s)", counts))
		}
	}
	if k.cc != "" {
		ms = append(ms, results.Metric{Value: per(sd[netem.CounterRetransSegs]), Unit: "retrans/op", Better: "lower"})
		if sock != nil {
			// The client sends little but ACKs; its retransmissions are
			// the request's, read from each socket's TCP_INFO.
			ms = append(ms, results.Metric{Value: per(sock.Retrans), Unit: "client-retrans/op", Better: "lower"})
			for algo, n := range sock.Congestion {
				if algo != k.cc {
					errs = append(errs, fmt.Errorf("cc=%s, but %d of the agent's connections read back TCP_CONGESTION %s", k.cc, n, algo))
				}
			}
		}
	}
	if k.cc != "" && server != nil {
		for algo, n := range server.congestion {
			if algo != k.cc {
				errs = append(errs, fmt.Errorf("cc=%s, but %d of the server's connections ran %s (sock_diag)", k.cc, n, algo))
			}
		}
		if server.err != nil {
			errs = append(errs, fmt.Errorf("cc=%s: reading the server's sockets: %w", k.cc, server.err))
		}
	}
	if k.nodelay != "" && sock != nil {
		want := 0
		if k.nodelay == "on" {
			want = sock.Conns
		}
		if sock.NoDelay != want {
			errs = append(errs, fmt.Errorf("nodelay=%s, but %d of the agent's %d connections read back TCP_NODELAY set", k.nodelay, sock.NoDelay, sock.Conns))
		}
	}
	cms, err := k.claims.evidence(cd, sd, ops, after.tw, res, server)
	ms = append(ms, cms...)
	errs = append(errs, err)
	return ms, errors.Join(errs...)
}

// sameSysctl reports whether a sysctl read back as got holds what was
// written as want: the same fields, where numbers compare by value (the
// kernel takes 0x403 and shows 1027).
func sameSysctl(got, want string) bool {
	g, w := strings.Fields(got), strings.Fields(want)
	if len(g) != len(w) {
		return false
	}
	for i := range g {
		if g[i] == w[i] {
			continue
		}
		a, aerr := strconv.ParseInt(g[i], 0, 64)
		b, berr := strconv.ParseInt(w[i], 0, 64)
		if aerr != nil || berr != nil || a != b {
			return false
		}
	}
	return true
}

// serverSockets is what sock_diag showed of the server's connections
// during the load.
type serverSockets struct {
	congestion map[string]int // algorithm → connections
	err        error          // the first failure to read them
	claims     claimsSockets  // the buffer claims' readings
}

// serverPoll is how often the server's sockets are listed during the load.
const serverPoll = 50 * time.Millisecond

// watchServer lists, during the load, the server host's TCP connections on
// port through sock_diag, which works for any server program, and counts
// each connection's congestion control once. It returns the function that
// stops it and hands over what it saw; nil when the cell sets no cc.
func (k kernelPlan) watchServer(topo *netem.Topology, port int) func() *serverSockets {
	if k.cc == "" && !k.claims.watch() {
		return func() *serverSockets { return nil }
	}
	stop, done := make(chan struct{}), make(chan *serverSockets)
	go func() {
		seen := map[uint64]bool{}
		out := &serverSockets{congestion: map[string]int{}}
		t := time.NewTicker(serverPoll)
		defer t.Stop()
		for {
			var socks []netem.TCPSocket
			var err error
			if k.cc != "" {
				socks, err = topo.Server.NS.TCPSockets(uint16(port))
			}
			if err != nil && out.err == nil {
				out.err = err
			}
			if k.claims.watch() {
				out.claims.add(topo.Server.NS.TCPStats(netem.MaskConnected, uint16(port), false))
			}
			for _, s := range socks {
				if s.Congestion != "" && !seen[s.Cookie] {
					seen[s.Cookie] = true
					out.congestion[s.Congestion]++
				}
			}
			select {
			case <-stop:
				done <- out
				return
			case <-t.C:
			}
		}
	}()
	return func() *serverSockets {
		close(stop)
		return <-done
	}
}
