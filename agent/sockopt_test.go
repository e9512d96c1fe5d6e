package agent

import (
	"strings"
	"testing"
	"time"
)

// TestAgentSocketOptions runs the agent against a local server and checks
// what it read back from its real sockets.
func TestAgentSocketOptions(t *testing.T) {
	for _, tc := range []struct {
		name        string
		cfg         Config
		wantNoDelay bool
		wantCC      string
	}{
		{name: "defaults", wantNoDelay: true},
		{name: "nagle and reno", cfg: Config{Nagle: true, Congestion: "reno"}, wantCC: "reno"},
		{name: "cubic", cfg: Config{Congestion: "cubic"}, wantNoDelay: true, wantCC: "cubic"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newAgentServer(t, sleepHandler(0))
			cfg := tc.cfg
			cfg.URL, cfg.Rate, cfg.Duration, cfg.Timeout = srv.URL, 100, 200*time.Millisecond, 5*time.Second
			res := runAgent(t, cfg)
			s := res.Sockets
			if s == nil {
				t.Fatal("no socket report")
			}
			if s.Conns != 20 || len(s.Errors) > 0 {
				t.Fatalf("report %+v; want 20 connections (keep-alive off) and no errors", s)
			}
			wantND := 0
			if tc.wantNoDelay {
				wantND = s.Conns
			}
			if s.NoDelay != wantND {
				t.Errorf("%d of %d connections read back TCP_NODELAY set; want %d", s.NoDelay, s.Conns, wantND)
			}
			if tc.wantCC != "" && s.Congestion[tc.wantCC] != s.Conns {
				t.Errorf("congestion read back %v; want all %d %s", s.Congestion, s.Conns, tc.wantCC)
			}
			// 10 ms apart on loopback: every connection after the first
			// is dialed once an earlier one has its response.
			if s.Later < s.Conns-2 {
				t.Errorf("%d of %d connections dialed after the first response; want at least %d", s.Later, s.Conns, s.Conns-2)
			}
			if s.SynData != 0 {
				t.Errorf("%d connections sent data in the SYN without tfo; want 0", s.SynData)
			}
		})
	}
}

// TestAgentSocketOptionRefused checks that an algorithm the kernel lacks
// fails every request with the option's name, rather than measuring the
// default.
func TestAgentSocketOptionRefused(t *testing.T) {
	srv := newAgentServer(t, sleepHandler(0))
	res := runAgent(t, Config{URL: srv.URL, Rate: 100, Duration: 100 * time.Millisecond, Timeout: 5 * time.Second, Congestion: "nosuchcc"})
	if res.Errors != res.Requests || len(res.ErrorSamples) == 0 || !strings.Contains(res.ErrorSamples[0], "TCP_CONGESTION nosuchcc") {
		t.Errorf("%d of %d requests failed (%q); want all, naming TCP_CONGESTION nosuchcc", res.Errors, res.Requests, res.ErrorSamples)
	}
}
