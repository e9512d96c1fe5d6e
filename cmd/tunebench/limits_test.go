package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// dropCapEnv, set in a child of the test binary, makes TestMain drop
// CAP_SYS_RESOURCE from the bounding set and exec the command after "--"
// in its arguments: that command then runs as root without the capability
// (an execve as root gets the bounding set as its permitted set), as on a
// host whose administrator withheld it, and cannot raise its hard
// RLIMIT_NOFILE.
const dropCapEnv = "TUNEBENCH_TEST_DROP_SYS_RESOURCE"

func TestMain(m *testing.M) {
	if os.Getenv(dropCapEnv) == "1" {
		os.Exit(dropSysResourceAndExec(os.Args))
	}
	os.Exit(m.Run())
}

// dropSysResourceAndExec runs in the child: it returns only on failure.
func dropSysResourceAndExec(args []string) int {
	i := slices.Index(args, "--")
	if i < 0 || i == len(args)-1 {
		fmt.Fprintln(os.Stderr, "drop-cap helper: no command after --")
		return 2
	}
	argv := args[i+1:]
	// The bounding set is a thread's; exec from the thread that dropped.
	runtime.LockOSThread()
	if err := unix.Prctl(unix.PR_CAPBSET_DROP, unix.CAP_SYS_RESOURCE, 0, 0, 0); err != nil {
		fmt.Fprintln(os.Stderr, "drop-cap helper: PR_CAPBSET_DROP CAP_SYS_RESOURCE:", err)
		return 2
	}
	env := slices.DeleteFunc(os.Environ(), func(e string) bool { return strings.HasPrefix(e, dropCapEnv+"=") })
	err := unix.Exec(argv[0], argv, env)
	fmt.Fprintln(os.Stderr, "drop-cap helper: exec:", err)
	return 2
}

// withoutSysResource returns a command that runs argv as root without
// CAP_SYS_RESOURCE (see dropCapEnv).
func withoutSysResource(t *testing.T, argv ...string) *exec.Cmd {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, append([]string{"-test.run=^$", "--"}, argv...)...)
	cmd.Env = append(os.Environ(), dropCapEnv+"=1")
	return cmd
}

// TestWithoutSysResource: the helper's child has no CAP_SYS_RESOURCE, in
// any set, and keeps the rest (it is still root with CAP_NET_ADMIN).
func TestWithoutSysResource(t *testing.T) {
	needRootT(t)
	out, err := withoutSysResource(t, "/bin/sh", "-c", "grep -E '^Cap(Prm|Eff|Bnd):' /proc/self/status").CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		name, hex, _ := strings.Cut(line, ":")
		set, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if set&(1<<unix.CAP_SYS_RESOURCE) != 0 {
			t.Errorf("%s %x has CAP_SYS_RESOURCE; want it dropped", name, set)
		}
		if set&(1<<unix.CAP_NET_ADMIN) == 0 {
			t.Errorf("%s %x lacks CAP_NET_ADMIN; want only CAP_SYS_RESOURCE dropped", name, set)
		}
	}
}

// TestRunRefusesCellsThatCannotFit: a cell whose load could hold more
// connections open than the load agent may have descriptors is refused
// before anything is built, with the numbers and the fix, instead of
// failing midway. It runs as root without CAP_SYS_RESOURCE, which would let
// the agent raise its hard limit. (The ephemeral-port check is not reached
// from a suite: the agent caps the requests in flight at
// agent.DefaultMaxInFlight, and a suite's connections at
// scenarios.MaxConnections, both under the 28232 ports.)
func TestRunRefusesCellsThatCannotFit(t *testing.T) {
	needRootT(t)
	dir := t.TempDir()
	bin := linkTestBinary(t)
	tests := []struct {
		name, load, ulimit, want string
	}{
		{"descriptors", "{rate: 200, duration: 1s, timeout: 10s}", "ulimit -n 1024 && ",
			"holds up to 2001 connections open, and the load agent may open 1024 descriptors (the RLIMIT_NOFILE hard limit, 1024); raise the hard limit"},
		{"descriptors, closed loop", "{connections: 2000, duration: 1s}", "ulimit -n 1024 && ",
			"holds up to 2000 connections open, and the load agent may open 1024 descriptors (the RLIMIT_NOFILE hard limit, 1024); raise the hard limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			suite := writeTempIn(t, dir, tt.name+".yaml", "suite: fit\nlinks: [{name: lan, rtt: 2ms}]\nmatrix: {keepalive: [on]}\nload: "+tt.load+"\n")
			out := filepath.Join(dir, tt.name+".txt")
			cmd := withoutSysResource(t, "/bin/sh", "-c", tt.ulimit+`exec "$0" run "$1" -o "$2"`, bin, suite, out)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			t.Logf("exit %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
			if err == nil || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("got %v; want a refusal with %q", err, tt.want)
			}
			if b, _ := os.ReadFile(out); len(b) > 0 {
				t.Errorf("a refused run wrote %d bytes to %s", len(b), out)
			}
			noLeftovers(t)
		})
	}
}
