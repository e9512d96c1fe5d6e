package runner

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestAgentConns(t *testing.T) {
	tests := []struct {
		cfg  AgentConfig
		want int
	}{
		{AgentConfig{Rate: 20, Timeout: 10 * time.Second}, 201},
		{AgentConfig{Rate: 0.5, Timeout: time.Second}, 2},
		{AgentConfig{Rate: 100}, 3001}, // vegeta's 30 s default timeout
		{AgentConfig{Rate: 1000, Timeout: 10 * time.Second, MaxConnections: 50}, 50},
	}
	for _, tt := range tests {
		if got := agentConns(tt.cfg); got != tt.want {
			t.Errorf("agentConns(%+v) = %d; want %d", tt.cfg, got, tt.want)
		}
	}
}

// TestHostLimitsFit: each limit refuses a load over it with the numbers
// and the fix, and a load within all of them fits.
func TestHostLimitsFit(t *testing.T) {
	l := hostLimits{ports: 28232, fds: 100000, fdsWhy: "the RLIMIT_NOFILE hard limit, 100000", memory: 8 << 30}
	tests := []struct {
		name string
		l    hostLimits
		cfg  AgentConfig
		want string // "" fits
	}{
		{"small", l, AgentConfig{Rate: 50, Timeout: 10 * time.Second}, ""},
		{"ports", l, AgentConfig{Rate: 5000, Timeout: 10 * time.Second}, "at 5000 requests/s with a 10s request timeout, a stalled server holds up to 50001 connections open, over the 28232 ephemeral ports (32768–60999) of the client host; lower load.rate or load.timeout"},
		{"descriptors", hostLimits{ports: 28232, fds: 1024, fdsWhy: "the RLIMIT_NOFILE hard limit, 1024"}, AgentConfig{Rate: 200, Timeout: 10 * time.Second}, "2001 connections open, and the load agent may open 1024 descriptors (the RLIMIT_NOFILE hard limit, 1024); raise the hard limit (ulimit -Hn"},
		{"descriptors with CAP_SYS_RESOURCE", hostLimits{ports: 28232, fds: 1024, canRaise: true, fdsWhy: "fs.nr_open, 1024"}, AgentConfig{Rate: 200, Timeout: 10 * time.Second}, "raise fs.nr_open"},
		{"memory", hostLimits{ports: 28232, fds: 1 << 20, memory: 64 << 20}, AgentConfig{Rate: 2000, Timeout: 10 * time.Second}, "about 1250 MiB at 64 KiB each, over the 64 MiB of memory available"},
	}
	for _, tt := range tests {
		err := tt.l.fits(tt.cfg)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v; want it to fit", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: got %v; want %q", tt.name, err, tt.want)
		}
	}
	if real := readHostLimits(); real.ports != 28232 || real.fds == 0 {
		t.Errorf("readHostLimits() = %+v; want the namespace port range and a descriptor limit", real)
	}
}

// TestAgentRaisesNoFile starts the real load agent with RLIMIT_NOFILE at
// 256 (soft and hard) against a server that holds every request for a
// second: about 300 connections are open at once, more than 256 allow.
// With CAP_SYS_RESOURCE the agent raises its limit first and measures
// without an error; without it, it refuses before the first request, with
// the numbers and the fix, rather than failing midway.
func TestAgentRaisesNoFile(t *testing.T) {
	needRoot(t)
	srv := newAgentServer(t, sleepHandler(time.Second))
	cfg := AgentConfig{URL: srv.URL + "/", Rate: 300, Duration: time.Second, Timeout: 5 * time.Second}
	in, _ := json.Marshal(cfg)
	cmd := exec.Command("/bin/sh", "-c", `ulimit -n 256 && exec "$0" load`, tunebench(t))
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	canRaise := hasCapability(unix.CAP_SYS_RESOURCE)
	t.Logf("CAP_SYS_RESOURCE %v; exit %v; stderr:\n%s", canRaise, err, stderr.String())

	if !canRaise {
		want := "load agent: the load may hold 1501 connections open and needs 1565 descriptors, but RLIMIT_NOFILE is 256 (hard 256) and raising it failed: operation not permitted; raise the hard limit (ulimit -Hn) or run with CAP_SYS_RESOURCE"
		if err == nil || !strings.Contains(stderr.String(), want) {
			t.Errorf("without CAP_SYS_RESOURCE: got %v; want exit status 1 and %q", err, want)
		}
		if n := srv.conns.Load(); n != 0 {
			t.Errorf("the agent opened %d connections before refusing; want none", n)
		}
		return
	}
	if err != nil {
		t.Fatalf("tunebench load: %v", err)
	}
	var res AgentResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if want := "load agent: raised RLIMIT_NOFILE from 256 (hard 256) to 1565 (hard 1565) for up to 1501 connections"; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr lacks %q", want)
	}
	if res.Requests != 300 || res.Errors != 0 {
		t.Errorf("got %d requests, %d errors %v; want 300 and none", res.Requests, res.Errors, res.ErrorSamples)
	}
	if n := srv.conns.Load(); n < 257 {
		t.Errorf("the server saw %d connections; the test needs over 256 open at once to mean anything", n)
	}
}
