package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tunebench/tunebench/internal/testenv"
	"github.com/tunebench/tunebench/netem"
)

var (
	linkBinOnce sync.Once
	linkBin     string
	linkBinErr  error
)

// linkTestBinary builds tunebench once for the tests that run it as users
// do.
func linkTestBinary(t *testing.T) string {
	t.Helper()
	linkBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "tunebench-cli-")
		if err != nil {
			linkBinErr = err
			return
		}
		_ = os.Chmod(dir, 0o755) // TestLinkNotRoot runs it as nobody
		linkBin = filepath.Join(dir, "tunebench")
		out, err := exec.Command("go", "build", "-o", linkBin, ".").CombinedOutput()
		if err != nil {
			linkBinErr = &buildError{err, string(out)}
		}
	})
	if linkBinErr != nil {
		t.Fatalf("building tunebench: %v", linkBinErr)
	}
	return linkBin
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + ": " + e.out }

// needRootT requires root (network namespaces): it skips on a developer's
// machine and fails in CI (internal/testenv).
func needRootT(t *testing.T) {
	t.Helper()
	testenv.Root(t)
}

// needTool requires name in PATH, as needRootT requires root.
func needTool(t *testing.T, name string) {
	t.Helper()
	testenv.Tool(t, name, "make deps installs it")
}

// tb runs the binary and returns stdout, stderr and the exit status.
func tb(t *testing.T, timeout time.Duration, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, linkTestBinary(t), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("tunebench %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// ours lists the namespaces of tunebench processes that are gone, which a
// test must never leave.
func noLeftovers(t *testing.T) {
	t.Helper()
	left, err := netem.Leftovers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range left {
		if !l.Live {
			t.Errorf("left behind: %s (owner %d gone)", l.Name, l.Owner)
		}
	}
}

var pingRTT = regexp.MustCompile(`= ([0-9.]+)/([0-9.]+)/([0-9.]+)/`)

func TestLinkRunPing(t *testing.T) {
	needRootT(t)
	needTool(t, "ping")
	t.Cleanup(func() { noLeftovers(t) })
	out, errs, code := tb(t, 30*time.Second, "link", "run", "--rtt", "40ms", "--", "ping", "-c", "5", "-i", "0.2", "{server}")
	if code != 0 {
		t.Fatalf("exit %d; stderr: %s", code, errs)
	}
	m := pingRTT.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no rtt summary in ping's output: %s", out)
	}
	minRTT, _ := strconv.ParseFloat(m[1], 64)
	avg, _ := strconv.ParseFloat(m[2], 64)
	// A 40 ms link must not measure 4 ms or 400 ms.
	if minRTT < 39 || avg > 60 {
		t.Errorf("ping across a 40ms link: min %.2fms avg %.2fms; want 40ms ± tolerance", minRTT, avg)
	}
	if !strings.Contains(errs, "backend tun") && !strings.Contains(errs, "backend netem") {
		t.Errorf("stderr does not say which backend: %s", errs)
	}
}

func TestLinkRunServerAndExitStatus(t *testing.T) {
	needRootT(t)
	needTool(t, "curl")
	t.Cleanup(func() { noLeftovers(t) })
	// The reference server on the server host, curl from the client host;
	// curl's time_connect is one RTT.
	out, errs, code := tb(t, 30*time.Second, "link", "run", "--rtt", "40ms",
		"--server", linkTestBinary(t)+" serve --addr {server}:8080",
		"--", "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{time_connect} %{time_total}", "http://{server}:8080/orders?items=5")
	if code != 0 {
		t.Fatalf("exit %d; stderr: %s", code, errs)
	}
	f := strings.Fields(out)
	if len(f) != 3 || f[0] != "200" {
		t.Fatalf("curl printed %q; want 200 and two times", out)
	}
	connect, _ := strconv.ParseFloat(f[1], 64)
	total, _ := strconv.ParseFloat(f[2], 64)
	if connect < 0.038 || connect > 0.070 || total < 0.078 || total > 0.140 {
		t.Errorf("connect %.3fs total %.3fs; want ≈ 1 and 2 RTT of 40ms", connect, total)
	}
}

// TestLinkRunExitStatus: link run's status is its client's, 128+N for a
// client killed by signal N, and 125-127 for its own failures, as
// timeout(1) and docker run do.
func TestLinkRunExitStatus(t *testing.T) {
	needRootT(t)
	t.Cleanup(func() { noLeftovers(t) })
	notExec := writeTemp(t, "script", "#!/bin/sh\nexit 0\n") // mode 0644
	tests := []struct {
		name string
		args []string
		want int
		errs string // in stderr
	}{
		{"success", []string{"--", "true"}, 0, ""},
		{"the client's status", []string{"--", "sh", "-c", "exit 7"}, 7, ""},
		{"the client's 2 is not bad input", []string{"--", "sh", "-c", "exit 2"}, 2, ""},
		{"killed by a signal", []string{"--", "sh", "-c", "kill -9 $$"}, 128 + 9, ""},
		{"command not found", []string{"--", "no-such-command-tunebench"}, 127, "no-such-command-tunebench"},
		{"path not found", []string{"--", "/no/such/file"}, 127, "/no/such/file"},
		{"not executable", []string{"--", notExec}, 126, "permission denied"},
		{"bad flags", []string{"--rtt", "fast", "--", "true"}, 125, "--rtt"},
		{"the server does not start", []string{"--server", "exit 3", "--server-wait", "2s", "--", "true"}, 125, "link run: server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"link", "run", "--rtt", "1ms", "--quiet"}, tt.args...)
			_, errs, code := tb(t, 20*time.Second, args...)
			if code != tt.want || !strings.Contains(errs, tt.errs) {
				t.Errorf("tunebench %s: exit status %d, stderr %q; want %d and %q", strings.Join(args, " "), code, errs, tt.want, tt.errs)
			}
		})
	}
	for _, args := range [][]string{
		{"link", "exec", "no-such-link-tunebench", "client", "--", "true"},
		{"link", "exec", "no-such-link-tunebench", "sideways", "--", "true"},
	} {
		if _, errs, code := tb(t, 20*time.Second, args...); code != exitLinkFailed {
			t.Errorf("tunebench %s: exit status %d, stderr %q; want 125, link exec's own failure", strings.Join(args, " "), code, errs)
		}
	}
}

func TestLinkRunIperfRate(t *testing.T) {
	needRootT(t)
	needTool(t, "iperf3")
	t.Cleanup(func() { noLeftovers(t) })
	out, errs, code := tb(t, 40*time.Second, "link", "run", "--rtt", "10ms", "--rate", "20mbit",
		"--server", "iperf3 -s -1 -B {server}", "--", "iperf3", "-c", "{server}", "-t", "3", "-f", "m")
	if code != 0 {
		t.Fatalf("exit %d; stderr: %s\n%s", code, errs, out)
	}
	m := regexp.MustCompile(`([0-9.]+) Mbits/sec\s+receiver`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no receiver line in iperf3's output: %s", out)
	}
	got, _ := strconv.ParseFloat(m[1], 64)
	// Goodput is the rate less TCP/IP headers (about 3.5%).
	if got < 0.85*20 || got > 1.02*20 {
		t.Errorf("iperf3 through a 20mbit link: %.2f Mbit/s; want 17 to 20.4", got)
	}
}

func TestLinkUpExecDown(t *testing.T) {
	needRootT(t)
	t.Cleanup(func() { noLeftovers(t) })
	name := "t" + strconv.Itoa(os.Getpid()%100000)
	up := exec.Command(linkTestBinary(t), "link", "up", name, "--rtt", "20ms")
	var upOut bytes.Buffer
	up.Stdout, up.Stderr = &upOut, &upOut
	if err := up.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- up.Wait() }()
	defer func() {
		_ = up.Process.Signal(syscall.SIGTERM)
		<-done
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(upOut.String(), "is up") {
		if time.Now().After(deadline) {
			t.Fatalf("link up did not come up: %s", upOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// exec runs in the namespace: the client host has its address.
	out, errs, code := tb(t, 10*time.Second, "link", "exec", name, "client", "--", "cat", "/proc/net/fib_trie")
	if code != 0 || !strings.Contains(out, netem.ClientAddr.String()) {
		t.Errorf("link exec client: exit %d, %s; want the client's address in its fib", code, errs)
	}
	_, errs, code = tb(t, 10*time.Second, "link", "up", name, "--rtt", "1ms")
	if code != 2 || !strings.Contains(errs, "already up") {
		t.Errorf("second link up %s: exit %d, %q; want 2 and 'already up'", name, code, errs)
	}
	out, errs, code = tb(t, 15*time.Second, "link", "down", name)
	if code != 0 {
		t.Fatalf("link down: exit %d: %s", code, errs)
	}
	select {
	case <-done:
		done <- nil
	case <-time.After(5 * time.Second):
		t.Errorf("link up still running after link down")
	}
	if _, _, _, err := netem.FindNamed(name); err == nil {
		t.Errorf("link %s still found after link down", name)
	}
}

func TestCleanSweepsKilledRun(t *testing.T) {
	needRootT(t)
	t.Cleanup(func() { noLeftovers(t) })
	up := exec.Command(linkTestBinary(t), "link", "up", "killed", "--rtt", "2ms")
	var out bytes.Buffer
	up.Stdout = &out
	if err := up.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "is up") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	pid := up.Process.Pid
	_ = up.Process.Kill() // SIGKILL: no teardown
	_ = up.Wait()
	ns := filepath.Join(netem.NamespaceDir, "tb-"+strconv.Itoa(pid)+"-killed-c")
	if _, err := os.Stat(ns); err != nil {
		t.Fatalf("after SIGKILL the namespace %s should remain for clean to sweep: %v", ns, err)
	}
	stdout, errs, code := tb(t, 20*time.Second, "clean")
	if code != 0 || !strings.Contains(stdout, "removed tb-"+strconv.Itoa(pid)+"-killed-c") {
		t.Errorf("clean: exit %d, %q %q; want it to remove the killed run's namespaces", code, stdout, errs)
	}
	if _, err := os.Stat(ns); err == nil {
		t.Errorf("%s still there after clean", ns)
	}
}

func TestLinkBadInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"loss over 100%", []string{"--loss", "120%"}, "loss"},
		{"loss without %", []string{"--loss", "1"}, "--loss"},
		{"negative rtt", []string{"--rtt", "-5ms"}, "--rtt"},
		{"absurd rtt", []string{"--rtt", "100s"}, "delay"},
		{"rtt without unit", []string{"--rtt", "40"}, "--rtt"},
		{"jitter without delay", []string{"--jitter", "2ms"}, "jitter"},
		{"unknown backend", []string{"--backend", "docker"}, "--backend"},
		{"bad rate", []string{"--rate", "fast"}, "--rate"},
		{"ambiguous rate", []string{"--rate", "10mbps"}, "ambiguous"},
		{"queue without rate", []string{"--queue", "10"}, "queue without rate"},
		{"mtu too big", []string{"--mtu", "10000"}, "mtu"},
		{"bad gemodel", []string{"--gemodel", "1%,2%"}, "--gemodel"},
		{"unknown flag", []string{"--latency", "40ms"}, "latency"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := os.ReadDir(netem.NamespaceDir)
			args := append(append([]string{"link", "run"}, tt.args...), "--", "true")
			_, errs, code := tb(t, 10*time.Second, args...)
			if code != exitLinkFailed {
				t.Errorf("exit %d; want 125, link run's own failure (stderr %q)", code, errs)
			}
			if !strings.Contains(errs, tt.want) {
				t.Errorf("stderr %q; want it to name %q", errs, tt.want)
			}
			after, _ := os.ReadDir(netem.NamespaceDir)
			if len(after) > len(before) {
				t.Errorf("bad input created namespaces: %d before, %d after", len(before), len(after))
			}
		})
	}
}

func TestLinkNotRoot(t *testing.T) {
	needRootT(t) // to drop to nobody, the test starts as root
	cmd := exec.Command(linkTestBinary(t), "link", "run", "--rtt", "40ms", "--", "true")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, _ := cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != exitLinkFailed || !strings.Contains(string(out), "needs root") {
		t.Errorf("as nobody: exit %d, %q; want 125 (link run's own failure) saying it needs root", cmd.ProcessState.ExitCode(), out)
	}
	cmd = exec.Command(linkTestBinary(t), "run", "../../scenarios/quick.yaml", "-o", filepath.Join(os.TempDir(), "tunebench-nobody-never.txt"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, _ = cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != exitFailure || !strings.Contains(string(out), "needs root") {
		t.Errorf("run as nobody: exit %d, %q; want 1 (could not run) saying it needs root", cmd.ProcessState.ExitCode(), out)
	}
}
