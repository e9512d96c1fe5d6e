package runner

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tunebench/tunebench/agent"
)

// countingServer is a test HTTP server on 127.0.0.1 that answers after a
// delay and counts the TCP connections it accepts.
type countingServer struct {
	URL   string
	conns atomic.Int64
}

func newCountingServer(t *testing.T, delay time.Duration) *countingServer {
	t.Helper()
	s := &countingServer{}
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(delay)
		io.WriteString(w, "ok")
	}))
	ts.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	ts.Start()
	t.Cleanup(ts.Close)
	s.URL = ts.URL
	return s
}

// TestHostLimitsFit: each limit refuses a load over it with the numbers
// and the fix, and a load within all of them fits.
func TestHostLimitsFit(t *testing.T) {
	l := hostLimits{ports: 28232, fds: 100000, fdsWhy: "the RLIMIT_NOFILE hard limit, 100000", memory: 8 << 30}
	tests := []struct {
		name string
		l    hostLimits
		cfg  agent.Config
		want string // "" fits
	}{
		{"small", l, agent.Config{Rate: 50, Timeout: 10 * time.Second}, ""},
		// The agent caps what is in flight: a high rate fits.
		{"high rate", l, agent.Config{Rate: 50000, Timeout: 10 * time.Second}, ""},
		{"ports", l, agent.Config{Connections: 30000}, "the load (30000 connections) holds up to 30000 connections open, over the 28232 ephemeral ports (32768–60999) of the client host; lower the load"},
		{"descriptors", hostLimits{ports: 28232, fds: 1024, fdsWhy: "the RLIMIT_NOFILE hard limit, 1024"}, agent.Config{Rate: 200, Timeout: 10 * time.Second}, "2001 connections open, and the load agent may open 1024 descriptors (the RLIMIT_NOFILE hard limit, 1024); raise the hard limit (ulimit -Hn"},
		{"descriptors with CAP_SYS_RESOURCE", hostLimits{ports: 28232, fds: 1024, canRaise: true, fdsWhy: "fs.nr_open, 1024"}, agent.Config{Rate: 200, Timeout: 10 * time.Second}, "raise fs.nr_open"},
		{"memory", hostLimits{ports: 28232, fds: 1 << 20, memory: 64 << 20}, agent.Config{Rate: 2000, Timeout: 10 * time.Second}, "up to 2048 connections open, about 128 MiB at 64 KiB each, over the 64 MiB of memory available"},
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
	srv := newCountingServer(t, time.Second)
	cfg := agent.Config{URL: srv.URL + "/", Rate: 300, Duration: time.Second, Timeout: 5 * time.Second}
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
	var res agent.Result
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
