package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tunebench/tunebench/internal/hostsnap"
	"github.com/tunebench/tunebench/netem"
)

// snapshotHost reads the host's namespaces, links, addresses, routes,
// rules and every /proc/sys/net value. tunebench's own namespaces are left
// out: other runs on the host come and go; leftovers of the run under test
// are checked by name instead (noneOf).
func snapshotHost(t *testing.T) *hostsnap.Snapshot {
	t.Helper()
	s, err := hostsnap.Take(hostsnap.Options{
		Volatile:      hostsnap.DefaultVolatile,
		SkipNamespace: func(name string) bool { return strings.HasPrefix(name, netem.Prefix) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// checkHostSame fails the test if the host changed since before.
func checkHostSame(t *testing.T, what string, before *hostsnap.Snapshot) {
	t.Helper()
	after := snapshotHost(t)
	if d := hostsnap.Diff(before, after); len(d) > 0 {
		t.Errorf("%s changed the host (%d of %d lines):\n%s", what, len(d), len(before.Lines), strings.Join(d, "\n"))
	}
}

// noneOf fails the test if a namespace of the process pid is left, or a
// process runs the binary bin (the server or agent of a run that is gone).
func noneOf(t *testing.T, pid int, bin string) {
	t.Helper()
	left, _ := netem.Leftovers()
	for _, l := range left {
		if l.Owner == pid {
			t.Errorf("run %d left namespace %s", pid, l.Name)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		procs := processesOf(bin)
		if len(procs) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("processes of %s still run after their run ended: %v", bin, procs)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// processesOf lists the live processes whose executable is bin.
func processesOf(bin string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if exe, err := os.Readlink("/proc/" + e.Name() + "/exe"); err == nil && exe == bin {
			if stat, err := os.ReadFile("/proc/" + e.Name() + "/stat"); err == nil && !isZombieStat(string(stat)) {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

func isZombieStat(stat string) bool {
	i := strings.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}

// TestHostUntouched runs a full suite, a suite whose every repetition
// fails, one interrupted by SIGINT and one stopped by two SIGINTs, and
// compares the host's namespaces, links, addresses, routes, rules and
// every /proc/sys/net value before and after each: they must be the same,
// with no namespace and no process of the run left.
func TestHostUntouched(t *testing.T) {
	needRootT(t)
	bin := linkTestBinary(t)
	dir := t.TempDir()
	// The suite sets namespace-scoped sysctls (a knob that writes
	// net.ipv4.tcp_* inside the hosts) only if the knob table has them;
	// either way the host's must not move.
	full := writeTempIn(t, dir, "full.yaml", runSuiteYAML)
	failing := writeTempIn(t, dir, "fail.yaml", `suite: fails
links: [{name: lan, rtt: 2ms}]
server: {command: "echo staged failure >&2; exit 3"}
matrix: {keepalive: [on, off]}
load: {rate: 20, duration: 0.5s, count: 1}
`)
	long := writeTempIn(t, dir, "long.yaml", strings.Replace(runSuiteYAML, "duration: 0.5s, count: 2", "duration: 3s, count: 3", 1))

	// stubborn's server ignores SIGTERM, so a teardown waits for the
	// runner's SIGKILL.
	stubborn := writeTempIn(t, dir, "stubborn.yaml", fmt.Sprintf(`suite: stubborn
links: [{name: lan, rtt: 2ms}]
server: {command: "trap '' TERM; %s serve --addr {addr} & while :; do sleep 0.1; done"}
matrix: {keepalive: [on, off]}
load: {rate: 20, duration: 3s, count: 3}
`, bin))

	t.Run("full", func(t *testing.T) {
		before := snapshotHost(t)
		_, _, code := tbRunCode(t, "run", full, "-o", filepath.Join(dir, "full.txt"), "--quiet")
		if code != 0 {
			t.Errorf("exit status %d; want 0", code)
		}
		checkHostSame(t, "a full run", before)
		noneOf(t, -1, bin)
		noLeftovers(t)
	})
	t.Run("failed", func(t *testing.T) {
		before := snapshotHost(t)
		_, _, code := tbRunCode(t, "run", failing, "-o", filepath.Join(dir, "fail.txt"), "--quiet")
		if code != exitRepsFailed {
			t.Errorf("exit status %d; want 3 (every repetition failed)", code)
		}
		checkHostSame(t, "a failed run", before)
		noneOf(t, -1, bin)
		noLeftovers(t)
	})
	for _, tt := range []struct {
		sig     syscall.Signal
		signals int
	}{{syscall.SIGINT, 1}, {syscall.SIGTERM, 1}, {syscall.SIGINT, 2}} {
		signals := tt.signals
		t.Run(fmt.Sprintf("interrupted by %d %v", signals, tt.sig), func(t *testing.T) {
			before := snapshotHost(t)
			out := filepath.Join(dir, fmt.Sprintf("int%d-%d.txt", signals, tt.sig))
			var stderr bytes.Buffer
			suite := long
			if signals == 2 {
				suite = stubborn
			}
			cmd, lines, exited := startRun(t, &stderr, "run", suite, "-o", out)
			waitLine(t, lines, "[1/6] ", time.Minute)
			time.Sleep(time.Second) // into the second repetition's load
			sent := time.Now()
			if err := cmd.Process.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			if signals == 2 {
				// The stubborn server holds the teardown for stopGrace;
				// the second signal lands in it and forces the exit.
				time.Sleep(500 * time.Millisecond)
				if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
					t.Fatal(err)
				}
			}
			go func() {
				for range lines {
				}
			}()
			var err error
			select {
			case err = <-exited:
			case <-time.After(20 * time.Second):
				t.Fatalf("still running 20s after SIGINT")
			}
			t.Logf("exited after %v: %v; stderr:\n%s", time.Since(sent).Round(time.Millisecond), err, stderr.String())
			// Bounded: the current repetition is aborted, not finished, and
			// a child that ignores SIGTERM gets SIGKILL after 2s.
			if d := time.Since(sent); d > 10*time.Second {
				t.Errorf("took %v to stop; want well under 10s", d)
			}
			if code := cmd.ProcessState.ExitCode(); code != 130 {
				t.Errorf("exit status %d; want 130", code)
			}
			want := "tunebench: interrupted after 1 of 6 repetitions; those are in " + out
			if signals == 2 {
				want = "tunebench: forced exit; removed "
			}
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("stderr lacks %q", want)
			}
			checkHostSame(t, "an interrupted run", before)
			noneOf(t, cmd.Process.Pid, bin)
		})
	}
}
