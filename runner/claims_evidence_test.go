package runner

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/tunebench/tunebench/agent"
	"github.com/tunebench/tunebench/netem"
	"github.com/tunebench/tunebench/scenarios"
	"golang.org/x/sys/unix"
)

// TestClaimsPlanOf checks which evidence a cell's knobs, sysctls and load
// ask for, and the client-side knobs it hands the agent.
func TestClaimsPlanOf(t *testing.T) {
	knob := func(kv ...string) scenarios.Cell {
		var c scenarios.Cell
		for i := 0; i < len(kv); i += 2 {
			c.Knobs = append(c.Knobs, scenarios.Setting{Name: kv[i], Value: kv[i+1]})
		}
		return c
	}
	rate := scenarios.Load{Rate: 10}
	for _, tt := range []struct {
		name string
		cell scenarios.Cell
		s    scenarios.Suite
		want claimsPlan
	}{
		{"nothing", knob("cc", "bbr"), scenarios.Suite{Load: rate}, claimsPlan{}},
		{"backlog", knob("backlog", "8"), scenarios.Suite{Load: rate}, claimsPlan{backlog: 8, listen: true}},
		{"burst load", knob(), scenarios.Suite{Load: scenarios.Load{Burst: &scenarios.Burst{Connections: 10, Every: time.Second}}}, claimsPlan{listen: true}},
		{"syncookies knob", knob("sysctl.net.ipv4.tcp_syncookies", "0"), scenarios.Suite{Load: rate}, claimsPlan{listen: true}},
		{"keepalive", knob("keepalive", "off"), scenarios.Suite{Load: rate}, claimsPlan{timeWait: true}},
		{"port range, fixed", knob(), scenarios.Suite{Load: rate, Sysctl: map[string]string{"net.ipv4.ip_local_port_range": "40000 40999"}}, claimsPlan{timeWait: true}},
		{"buffers", knob("rcvbuf", "262144", "sndbuf", "65536"), scenarios.Suite{Load: rate}, claimsPlan{rcvbuf: 262144, sndbuf: 65536, buffers: true}},
		{"tcp_wmem", knob("sysctl.net.ipv4.tcp_wmem", "4096,16384,65536"), scenarios.Suite{Load: rate}, claimsPlan{buffers: true}},
		{"slow clients", knob("header_timeout", "1s"), scenarios.Suite{Load: scenarios.Load{Rate: 10, SlowClients: 40}}, claimsPlan{slowClients: 40, slow: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := claimsPlanOf(tt.cell, &tt.s)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("claimsPlanOf = %+v; want %+v", got, tt.want)
			}
			var cfg agent.Config
			got.agent(&cfg)
			if cfg.RcvBuf != tt.want.rcvbuf || cfg.SlowClients != tt.want.slowClients {
				t.Errorf("agent config rcvbuf %d, slow clients %d; want %d, %d", cfg.RcvBuf, cfg.SlowClients, tt.want.rcvbuf, tt.want.slowClients)
			}
		})
	}
}

// TestClaimsEvidence turns counters, TIME_WAIT counts, the agent's report
// and the server's sockets into the claims' metrics, and fails a cell
// whose server connections do not have the send buffer asked for.
func TestClaimsEvidence(t *testing.T) {
	c := claimsPlan{sndbuf: 65536, slowClients: 5, listen: true, timeWait: true, buffers: true, slow: true}
	cd := netem.Counters{netem.CounterSynRetrans: 10}
	sd := netem.Counters{netem.CounterListenOverflows: 4, netem.CounterListenDrops: 6, netem.CounterSyncookiesSent: 2}
	res := &agent.Result{
		Sockets:  &agent.SocketReport{DialErrors: map[string]int{"eaddrnotavail": 3, "econnrefused": 1}},
		Transfer: &agent.TransferReport{Bytes: 2000, Time: time.Second},
		Slow:     &agent.SlowReport{Clients: 5, Held: 2},
	}
	var s1, s2 netem.TCPStats
	s1.Cookie, s1.SndBuf, s1.Info.Busy_time, s1.Info.Rwnd_limited = 1, 131072, 100, 50
	s2.Cookie, s2.SndBuf, s2.Info.Busy_time, s2.Info.Sndbuf_limited = 2, 131072, 100, 20
	server := &serverSockets{}
	server.claims.add([]netem.TCPStats{s1, s2}, nil)
	ms, err := c.evidence(cd, sd, 10, timeWait{client: 7, server: 900}, res, server)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, m := range ms {
		got[m.Unit] = m.Value
	}
	want := map[string]float64{
		"listen-overflows/op": 0.4, "listen-drops/op": 0.6, "syncookies-sent/op": 0.2, "syn-retrans/op": 1,
		"client-timewait": 7, "server-timewait": 900,
		"connect-errors/op": 0.4, "connect-eaddrnotavail/op": 0.3, "connect-econnrefused/op": 0.1,
		"goodput-B/s": 2000, "rwnd-limited": 0.25, "sndbuf-limited": 0.1, "slow-held": 2,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("evidence %v; want %v", got, want)
	}
	s2.SndBuf = 46080 // autotuned: the server ignored TUNEBENCH_SNDBUF
	server.claims.add([]netem.TCPStats{s2}, nil)
	if _, err := c.evidence(cd, sd, 10, timeWait{}, res, server); err == nil {
		t.Error("a server connection without the asked send buffer passed; want the cell failed")
	}
}

// TestClaimsEvidenceWithoutTCPDiag: a kernel without tcp_diag (a module
// not loaded) cannot count TIME_WAIT sockets; the line goes without the
// counts rather than the cell failing, while another sock_diag error
// still fails it.
func TestClaimsEvidenceWithoutTCPDiag(t *testing.T) {
	c := claimsPlan{timeWait: true}
	res := &agent.Result{Sockets: &agent.SocketReport{}}
	noDiag := fmt.Errorf("netem: sock_diag in x: %w: the kernel has no TCP socket diagnostics", unix.ENOENT)
	ms, err := c.evidence(nil, nil, 10, timeWait{err: noDiag}, res, nil)
	if err != nil {
		t.Fatalf("no tcp_diag: %v; want no error", err)
	}
	for _, m := range ms {
		if m.Unit == unitClientTimeWait || m.Unit == unitServerTimeWait {
			t.Errorf("no tcp_diag: %s written (%v); want it left out", m.Unit, m.Value)
		}
	}
	if _, err := c.evidence(nil, nil, 10, timeWait{err: unix.EPERM}, res, nil); err == nil {
		t.Error("sock_diag refused (EPERM): no error; want the cell failed")
	}
}
