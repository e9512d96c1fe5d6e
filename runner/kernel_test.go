package runner

import (
	"bufio"
	"context"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tunebench/tunebench/agent"
	"github.com/tunebench/tunebench/netem"
	"github.com/tunebench/tunebench/scenarios"
)

func TestKernelPlanOf(t *testing.T) {
	cell := scenarios.Cell{Knobs: []scenarios.Setting{
		{Name: "keepalive", Value: "off"},
		{Name: "tfo", Value: "on"},
		{Name: "cc", Value: "cubic"},
		{Name: "initcwnd", Value: "40"},
		{Name: "initrwnd", Value: "64"},
		{Name: "nodelay", Value: "off"},
		{Name: "sysctl.net.ipv4.tcp_rmem", Value: "4096,131072,6291456"},
	}}
	suite := &scenarios.Suite{
		Sysctl: map[string]string{"net.core.somaxconn": "4096", "net.ipv4.tcp_rmem": "1 2 3"},
		Load:   scenarios.Load{Rate: 10, Warmup: time.Second},
	}
	k, err := kernelPlanOf(cell, suite)
	if err != nil {
		t.Fatal(err)
	}
	want := kernelPlan{
		tfo: "on", cc: "cubic", nodelay: "off",
		route: netem.RouteMetrics{InitCwnd: 40, InitRwnd: 64, Congctl: "cubic"},
		// The suite's, sorted, then the cell's, which are written last and win.
		sysctls: []sysctlSetting{{"net.core.somaxconn", "4096"}, {"net.ipv4.tcp_rmem", "1 2 3"}, {"net.ipv4.tcp_rmem", "4096 131072 6291456"}},
		// somaxconn, keepalive and tcp_rmem are the listen, TIME_WAIT and
		// buffer claims' (claims_evidence.go).
		claims: claimsPlan{listen: true, timeWait: true, buffers: true},
	}
	if !reflect.DeepEqual(k, want) {
		t.Errorf("kernelPlanOf = %+v; want %+v", k, want)
	}
	var cfg agent.Config
	k.agent(&cfg)
	if !cfg.FastOpen || cfg.Congestion != "cubic" || !cfg.Nagle {
		t.Errorf("agent config %+v; want Fast Open, cubic, Nagle", cfg)
	}
	if none, _ := kernelPlanOf(scenarios.Cell{}, &scenarios.Suite{}); !reflect.DeepEqual(none, kernelPlan{}) {
		t.Errorf("a cell without kernel knobs plans %+v; want nothing", none)
	}
	// Fast Open without a warmup request would measure the cookie fetch.
	suite.Load.Warmup = 50 * time.Millisecond
	if _, err := kernelPlanOf(cell, suite); err == nil || !strings.Contains(err.Error(), "give a warmup of at least one request") {
		t.Errorf("tfo=on with a warmup of half a request: %v; want an error asking for a warmup", err)
	}
}

// TestKernelEvidence judges fake counters and socket reports.
func TestKernelEvidence(t *testing.T) {
	cnt := func(client, server map[string]uint64) counters {
		return counters{client: netem.Counters(client), server: netem.Counters(server)}
	}
	zero := cnt(nil, nil)
	res := func(s *agent.SocketReport) *agent.Result { return &agent.Result{Requests: 90, Warmup: 10, Sockets: s} }
	for _, tc := range []struct {
		name    string
		plan    kernelPlan
		after   counters
		res     *agent.Result
		server  *serverSockets
		want    map[string]float64
		wantErr string
	}{
		{
			name:  "tfo used",
			plan:  kernelPlan{tfo: "on"},
			after: cnt(map[string]uint64{netem.CounterTFOActive: 99}, map[string]uint64{netem.CounterPassiveOpens: 100, netem.CounterTFOPassive: 99, netem.CounterTFOCookieReqd: 1}),
			res:   res(nil),
			want:  map[string]float64{"tfo-active/op": 0.99, "tfo-passive/op": 0.99, "tfo-cookie/op": 0.01, "tfo-fail/op": 0},
		},
		{
			name:  "tfo: only the cookie (one kept-alive connection) is shown, not failed",
			plan:  kernelPlan{tfo: "on"},
			after: cnt(nil, map[string]uint64{netem.CounterPassiveOpens: 1, netem.CounterTFOCookieReqd: 1}),
			res:   res(nil),
			want:  map[string]float64{"tfo-active/op": 0, "tfo-cookie/op": 0.01},
		},
		{
			name:  "tfo: a burst of connections before the first response only asks for cookies",
			plan:  kernelPlan{tfo: "on"},
			after: cnt(nil, map[string]uint64{netem.CounterPassiveOpens: 4, netem.CounterTFOCookieReqd: 4}),
			res:   res(&agent.SocketReport{Conns: 4, Later: 0}),
			want:  map[string]float64{"tfo-active/op": 0, "tfo-cookie/op": 0.04},
		},
		{
			name: "tfo disabled by policy (agent report)", plan: kernelPlan{tfo: "on"},
			after:   cnt(nil, map[string]uint64{netem.CounterPassiveOpens: 10, netem.CounterTFOCookieReqd: 10}),
			res:     res(&agent.SocketReport{Conns: 10, Later: 9}),
			wantErr: "9 opened after the first response",
		},
		{
			name: "tfo disabled by policy", plan: kernelPlan{tfo: "on"}, res: res(nil),
			after:   cnt(nil, map[string]uint64{netem.CounterPassiveOpens: 100, netem.CounterTFOCookieReqd: 100}),
			wantErr: "TCP Fast Open is disabled by policy or by the kernel",
		},
		{
			name: "tfo attempts all failed", plan: kernelPlan{tfo: "on"},
			after: cnt(map[string]uint64{netem.CounterTFOActiveFail: 5}, map[string]uint64{netem.CounterPassiveOpens: 6, netem.CounterTFOCookieReqd: 1}), res: res(nil),
			wantErr: "every Fast Open attempt failed",
		},
		{
			name: "tfo off but used", plan: kernelPlan{tfo: "off"},
			after: cnt(map[string]uint64{netem.CounterTFOActive: 3}, nil), res: res(nil),
			wantErr: "tfo=off, but connections used Fast Open",
		},
		{
			name:  "cc retrans",
			plan:  kernelPlan{cc: "cubic"},
			after: cnt(nil, map[string]uint64{netem.CounterRetransSegs: 50}),
			res:   res(&agent.SocketReport{Conns: 3, Congestion: map[string]int{"cubic": 3}, NoDelay: 3, Retrans: 2}),
			want:  map[string]float64{"retrans/op": 0.5, "client-retrans/op": 0.02},
		},
		{
			name: "cc not what the socket says", plan: kernelPlan{cc: "cubic"}, after: zero,
			res:     res(&agent.SocketReport{Conns: 3, Congestion: map[string]int{"cubic": 2, "bbr": 1}}),
			wantErr: "cc=cubic, but 1 of the agent's connections read back TCP_CONGESTION bbr",
		},
		{
			name: "server's cc not what the cell says", plan: kernelPlan{cc: "cubic"}, after: zero, res: res(nil),
			server:  &serverSockets{congestion: map[string]int{"cubic": 5, "bbr": 2}},
			wantErr: "cc=cubic, but 2 of the server's connections ran bbr (sock_diag)",
		},
		{
			name: "nodelay off but set", plan: kernelPlan{nodelay: "off"}, after: zero,
			res:     res(&agent.SocketReport{Conns: 4, NoDelay: 1}),
			wantErr: "nodelay=off, but 1 of the agent's 4 connections read back TCP_NODELAY set",
		},
		{
			name: "nodelay on", plan: kernelPlan{nodelay: "on"}, after: zero,
			res:  res(&agent.SocketReport{Conns: 4, NoDelay: 4}),
			want: map[string]float64{},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms, err := tc.plan.evidence(zero, tc.after, tc.res, tc.server)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("evidence error %v; want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]float64{}
			for _, m := range ms {
				got[m.Unit] = m.Value
			}
			for unit, v := range tc.want {
				if g, ok := got[unit]; !ok || g != v {
					t.Errorf("%s = %v (present %v); want %v", unit, g, ok, v)
				}
			}
		})
	}
}

// upKernel builds a topology for a test and removes it when the test ends.
func upKernel(t *testing.T) *netem.Topology {
	t.Helper()
	needRoot(t)
	checkClean(t)
	topo, err := netem.Up(context.Background(), netem.Config{Link: netem.Symmetric(time.Millisecond, netem.Direction{}), Backend: netem.BackendTUN})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := topo.Close(); err != nil {
			t.Error(err)
		}
	})
	return topo
}

// TestKernelApply applies a plan to real namespaces and reads it back.
func TestKernelApply(t *testing.T) {
	topo := upKernel(t)
	k := kernelPlan{
		tfo:   "on",
		route: netem.RouteMetrics{InitCwnd: 20, InitRwnd: 30, Congctl: "cubic"},
		sysctls: []sysctlSetting{
			{"net.core.somaxconn", "4096"},
			{"net.ipv4.tcp_rmem", "4096 131072 6291456"},
			{"net.ipv4.tcp_slow_start_after_idle", "0"},
		},
	}
	if err := k.apply(topo); err != nil {
		t.Fatal(err)
	}
	for _, h := range []*netem.Host{topo.Client, topo.Server} {
		for _, s := range k.sysctls {
			if got, err := h.NS.Sysctl(s.key); err != nil || strings.Join(strings.Fields(got), " ") != s.value {
				t.Errorf("%s: %s = %q, %v; want %q", h.NS.Name, s.key, got, err, s.value)
			}
		}
		if got, err := h.RouteMetrics(); err != nil || got != k.route {
			t.Errorf("%s: route %s, %v; want %s", h.NS.Name, got, err, k.route)
		}
	}
	for h, want := range map[*netem.Host]string{topo.Client: "1", topo.Server: "1027"} {
		if got, _ := h.NS.Sysctl("net.ipv4.tcp_fastopen"); got != want {
			t.Errorf("%s: net.ipv4.tcp_fastopen = %s; want %s", h.NS.Name, got, want)
		}
	}
}

// TestKernelApplyRefuses gives values the kernel cannot honour; each must
// fail with the reason, never fall back to the default.
func TestKernelApplyRefuses(t *testing.T) {
	topo := upKernel(t)
	for _, tc := range []struct {
		name    string
		plan    kernelPlan
		wantErr string
	}{
		{"algorithm not built in", kernelPlan{cc: "nosuchcc", route: netem.RouteMetrics{Congctl: "nosuchcc"}}, `congestion control "nosuchcc" is not available`},
		{"global sysctl", kernelPlan{sysctls: []sysctlSetting{{"net.core.netdev_max_backlog", "2000"}}}, "not scoped to a network namespace"},
		{"read-only in a namespace", kernelPlan{sysctls: []sysctlSetting{{"net.ipv4.tcp_allowed_congestion_control", "cubic"}}}, "read-only inside a network namespace"},
		{"value refused", kernelPlan{sysctls: []sysctlSetting{{"net.ipv4.tcp_fastopen", "abc"}}}, "invalid argument"},
		// tcp_rmem takes two of its three fields and keeps the third.
		{"read back differs", kernelPlan{sysctls: []sysctlSetting{{"net.ipv4.tcp_rmem", "4096 87380"}}}, "read back"},
	} {
		err := tc.plan.apply(topo)
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: apply = %v; want an error containing %q", tc.name, err, tc.wantErr)
		}
	}
}

// TestKernelTFOPolicy turns Fast Open off in one host behind the plan's
// back, as a policy would, and checks that real connections then fail the
// cell with the reason: in the client, the socket option itself is refused;
// in the server, the evidence finds that no connection used Fast Open. The
// same connections with Fast Open allowed pass.
func TestKernelTFOPolicy(t *testing.T) {
	for _, policy := range []string{"none", "client", "server"} {
		t.Run("disabled in "+policy, func(t *testing.T) {
			topo := upKernel(t)
			k := kernelPlan{tfo: "on"}
			if err := k.apply(topo); err != nil {
				t.Fatal(err)
			}
			switch policy {
			case "client":
				if err := topo.Client.NS.SetSysctl("net.ipv4.tcp_fastopen", "0"); err != nil {
					t.Fatal(err)
				}
			case "server":
				if err := topo.Server.NS.SetSysctl("net.ipv4.tcp_fastopen", "0"); err != nil {
					t.Fatal(err)
				}
			}
			var ln net.Listener
			if err := topo.Server.NS.Do(func() (err error) {
				ln, err = net.Listen("tcp4", netem.ServerAddr.String()+":0")
				return err
			}); err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					go func() {
						defer c.Close()
						line, _ := bufio.NewReader(c).ReadString('\n')
						c.Write([]byte(line))
					}()
				}
			}()
			before, err := snapshot(topo)
			if err != nil {
				t.Fatal(err)
			}
			var cfg agent.Config
			k.agent(&cfg)
			d := net.Dialer{Control: agent.DialControl(cfg)}
			var dialErr error
			for range 4 {
				dialErr = topo.Client.NS.Do(func() error {
					c, err := d.Dial("tcp4", ln.Addr().String())
					if err != nil {
						return err
					}
					defer c.Close()
					if _, err := c.Write([]byte("ping\n")); err != nil {
						return err
					}
					_, err = bufio.NewReader(c).ReadString('\n')
					return err
				})
				if dialErr != nil {
					break
				}
			}
			if policy == "client" {
				if dialErr == nil || !strings.Contains(dialErr.Error(), "TCP Fast Open is disabled in the client host") {
					t.Errorf("dial with Fast Open disabled in the client: %v; want the option refused with the reason", dialErr)
				}
				return
			}
			if dialErr != nil {
				t.Fatal(dialErr)
			}
			time.Sleep(20 * time.Millisecond)
			after, err := snapshot(topo)
			if err != nil {
				t.Fatal(err)
			}
			cd, sd := after.client.Delta(before.client), after.server.Delta(before.server)
			t.Logf("client active %d fail %d; server passive %d cookie %d", cd[netem.CounterTFOActive], cd[netem.CounterTFOActiveFail], sd[netem.CounterTFOPassive], sd[netem.CounterTFOCookieReqd])
			_, err = k.evidence(before, after, &agent.Result{Requests: 4}, nil)
			switch {
			case policy == "server" && (err == nil || !strings.Contains(err.Error(), "disabled by policy")):
				t.Errorf("Fast Open disabled in the server: evidence error %v; want the cell failed as disabled by policy", err)
			case policy == "none" && err != nil:
				t.Errorf("Fast Open allowed: evidence error %v; want none", err)
			}
		})
	}
}

// TestWatchServer checks that the server's connections are seen, with the
// algorithm the route gave them, by a program that set nothing itself.
func TestWatchServer(t *testing.T) {
	topo := upKernel(t)
	k := kernelPlan{cc: "reno", route: netem.RouteMetrics{Congctl: "reno"}}
	if err := k.apply(topo); err != nil {
		t.Fatal(err)
	}
	var ln net.Listener
	if err := topo.Server.NS.Do(func() (err error) {
		ln, err = net.Listen("tcp4", netem.ServerAddr.String()+":0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	stop := k.watchServer(topo, ln.Addr().(*net.TCPAddr).Port)
	for range 3 {
		err := topo.Client.NS.Do(func() error {
			c, err := net.Dial("tcp4", ln.Addr().String())
			if err == nil {
				defer c.Close()
				time.Sleep(2 * serverPoll)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	seen := stop()
	if seen.err != nil || seen.congestion["reno"] != 3 || len(seen.congestion) != 1 {
		t.Errorf("server sockets seen: %+v; want 3 connections, all reno", seen)
	}
}
