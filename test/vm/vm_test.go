//go:build vmtest

// Package vm holds the checks that make vm-test runs inside a Debian kernel
// booted under qemu (test/vm/run.sh): the tunebench binary on the kernel
// netem backend, as a user on a stock distribution kernel meets it. They
// are built only with -tags vmtest, and only make sense in that VM: they
// read the VM's loaded modules and compare its whole network state before
// and after a run.
package vm

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tunebench/tunebench/internal/hostsnap"
	"github.com/tunebench/tunebench/netem"
	"golang.org/x/sys/unix"
)

var (
	tunebench = flag.String("vm.tunebench", "/bin/tunebench", "the static tunebench binary")
	suite     = flag.String("vm.suite", "/scenarios/quick.yaml", "the quick suite")
	modules   = flag.String("vm.modules", "sch_netem,veth,tun,tcp_bbr", "the modules run.sh packed, comma-separated: exactly these may be loaded")
)

// run runs tunebench with args and returns its stdout and stderr.
func run(t *testing.T, timeout time.Duration, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, *tunebench, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	t.Logf("tunebench %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, o.String(), e.String())
	return o.String(), e.String(), err
}

// The premise of the other checks: only the packed modules are loaded and
// the netlink families a kernel without xfrm_user and nfnetlink lacks are
// really missing, so a handle that asked for them would fail here.
func TestOnlyTheseModules(t *testing.T) {
	b, err := os.ReadFile("/proc/modules")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, m := range strings.Split(strings.Trim(*modules, ","), ",") {
		want[strings.ReplaceAll(m, "-", "_")] = true
	}
	got := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			got[f[0]] = true
		}
	}
	for m := range got {
		if !want[m] {
			t.Errorf("module %s is loaded; want only %s", m, *modules)
		}
	}
	for m := range want {
		if !got[m] {
			t.Errorf("module %s is not loaded; want %s", m, *modules)
		}
	}
	for _, fam := range []struct {
		name string
		n    int
	}{{"xfrm", unix.NETLINK_XFRM}, {"netfilter", unix.NETLINK_NETFILTER}} {
		fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, fam.n)
		if err == nil {
			unix.Close(fd)
			t.Errorf("netlink family %s opens; want EPROTONOSUPPORT here, as where its module cannot be loaded", fam.name)
		} else if !errors.Is(err, unix.EPROTONOSUPPORT) {
			t.Errorf("netlink family %s: %v; want EPROTONOSUPPORT", fam.name, err)
		}
	}
}

func TestDoctorCanRunNetem(t *testing.T) {
	out, _, err := run(t, 2*time.Minute, "doctor")
	if err != nil {
		t.Fatalf("doctor: %v; want it to pass on a kernel with sch_netem, veth and tun", err)
	}
	// The netem path was built as a run builds it, every step named.
	if !regexp.MustCompile(`(?m)^ok +run on backend netem +namespace, netlink, link, address, qdisc, route, traffic: ok`).MatchString(out) {
		t.Errorf("doctor did not build a whole path on the netem backend; want every step ok")
	}
	if !regexp.MustCompile(`can run here.*netem`).MatchString(out) {
		t.Errorf("doctor's verdict does not name the netem backend; want it to say it can run on netem")
	}
}

// A lossy link on the netem backend: ping's loss is within binomial bounds
// of the configured loss, and the drop counts say that netem's drops are
// loss or queue, never "by the queue" alone.
func TestLinkRunLoss(t *testing.T) {
	const (
		n    = 200
		loss = 0.10
	)
	stdout, stderr, err := run(t, 3*time.Minute, "link", "run", "--rtt", "2ms", "--loss", "10%", "--backend", "auto",
		"--", "ping", "-q", "-c", strconv.Itoa(n), "-i", "0.02", "-W", "2", "{server}")
	if err != nil {
		// ping exits 1 when some replies are missing, which a lossy link
		// means; only other failures count.
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Fatalf("link run: %v", err)
		}
	}
	if !strings.Contains(stderr, "backend netem") {
		t.Errorf("link run --backend auto did not pick netem on a kernel with sch_netem")
	}
	m := regexp.MustCompile(`(\d+) packets transmitted, (\d+) packets received`).FindStringSubmatch(stdout + stderr)
	if m == nil {
		t.Fatalf("no ping summary in the output")
	}
	sent, _ := strconv.Atoi(m[1])
	recv, _ := strconv.Atoi(m[2])
	// A round trip crosses two lossy directions.
	p := 1 - (1-loss)*(1-loss)
	want := (1 - p) * float64(sent)
	tol := 5 * math.Sqrt(float64(sent)*p*(1-p))
	if math.Abs(float64(recv)-want) > tol {
		t.Errorf("%d of %d pings answered over 10%% loss each way; want %.0f ± %.0f (5σ)", recv, sent, want, tol)
	}
	for _, dir := range []string{"uplink", "downlink"} {
		line := regexp.MustCompile(`tunebench: ` + dir + `: .*`).FindString(stderr)
		if !strings.Contains(line, "(loss or queue") {
			t.Errorf("%s stats %q; want the drops reported as loss or queue, which netem does not tell apart", dir, line)
		}
	}
}

// The quick suite with --backend auto picks netem, measures every cell,
// and leaves the VM's network state as it found it (the host-untouched
// check of make test, on the kernel backend).
func TestQuickSuiteAuto(t *testing.T) {
	before := snapshot(t)
	out := filepath.Join(t.TempDir(), "quick.txt")
	_, _, err := run(t, 5*time.Minute, "run", *suite, "--backend", "auto", "--count", "1", "-o", out)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	res := string(b)
	if !regexp.MustCompile(`(?m)^backend: netem$`).MatchString(res) {
		t.Errorf("results file: no \"backend: netem\" line; auto must pick the kernel backend here")
	}
	cells := regexp.MustCompile(`(?m)^Benchmark\S+\s+\d+\s`).FindAllString(res, -1)
	if len(cells) != 4 {
		t.Errorf("%d benchmark lines; want 4 (2 links × keepalive on, off)\n%s", len(cells), res)
	}
	checkSame(t, before)
}

// A run whose every repetition fails, and one interrupted by SIGINT, on
// the netem backend: the VM's network state is as before, nothing is left.
func TestFailedAndInterruptedRunsAuto(t *testing.T) {
	dir := t.TempDir()
	failing := filepath.Join(dir, "fail.yaml")
	if err := os.WriteFile(failing, []byte(`suite: fails
links: [{name: lan, rtt: 2ms}]
server: {command: "echo staged failure >&2; exit 3"}
matrix: {keepalive: [on, off]}
load: {rate: 20, duration: 0.5s, count: 1}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("failed", func(t *testing.T) {
		before := snapshot(t)
		_, _, err := run(t, 3*time.Minute, "run", failing, "--backend", "auto", "-o", filepath.Join(dir, "fail.txt"))
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 3 {
			t.Errorf("run of a failing suite: %v; want exit status 3 (every repetition failed)", err)
		}
		checkSame(t, before)
	})
	t.Run("interrupted", func(t *testing.T) {
		before := snapshot(t)
		cmd := exec.Command(*tunebench, "run", *suite, "--backend", "auto", "--count", "2", "-o", filepath.Join(dir, "int.txt"))
		var errb bytes.Buffer
		cmd.Stderr = &errb
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		first := make(chan struct{})
		go func() {
			sc := bufio.NewScanner(stdout)
			once := false
			for sc.Scan() {
				t.Log(sc.Text())
				if !once && strings.HasPrefix(sc.Text(), "[1/") {
					once = true
					close(first)
				}
			}
		}()
		select {
		case <-first:
		case <-time.After(2 * time.Minute):
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("no repetition done in 2 minutes; stderr:\n%s", errb.String())
		}
		time.Sleep(time.Second) // into the next repetition's load
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		select {
		case <-exited:
		case <-time.After(time.Minute):
			cmd.Process.Kill()
			<-exited
			t.Fatalf("still running a minute after SIGINT")
		}
		if code := cmd.ProcessState.ExitCode(); code != 130 {
			t.Errorf("exit status %d after SIGINT; want 130; stderr:\n%s", code, errb.String())
		}
		checkSame(t, before)
	})
}

// checkSame fails the test if the VM's network state moved since before,
// a tunebench namespace is left or a tunebench process still runs.
func checkSame(t *testing.T, before *hostsnap.Snapshot) {
	t.Helper()
	if d := hostsnap.Diff(before, snapshot(t)); len(d) > 0 {
		t.Errorf("the run changed the host (%d lines):\n%s", len(d), strings.Join(d, "\n"))
	}
	if left, _ := netem.Leftovers(); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		procs := processesOf(*tunebench)
		if len(procs) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("processes of %s still run after their run ended: %v", *tunebench, procs)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// processesOf lists the live, not zombie, processes whose executable is bin.
func processesOf(bin string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		exe, err := os.Readlink("/proc/" + e.Name() + "/exe")
		if err != nil || exe != bin {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if i := bytes.LastIndexByte(stat, ')'); err == nil && i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
			continue
		}
		pids = append(pids, pid)
	}
	return pids
}

func snapshot(t *testing.T) *hostsnap.Snapshot {
	t.Helper()
	s, err := hostsnap.Take(hostsnap.Options{Volatile: hostsnap.DefaultVolatile})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// HTTP/3 over the kernel backend: QUIC's UDP crosses veth and the netem
// qdisc, with UDP GSO turned off on a link with a rate (netem would drop or
// delay a whole GSO batch as one packet), and 0-RTT saves the round trip
// the QUIC handshake costs a new connection. Directions only: an emulated
// CPU makes the handshake's cryptography slow.
func TestHTTP3OverNetem(t *testing.T) {
	dir := t.TempDir()
	suite := filepath.Join(dir, "h3.yaml")
	if err := os.WriteFile(suite, []byte(`suite: h3netem
links: [{name: wan40, rtt: 40ms, rate: 50mbit}]
server: {endpoint: "/orders?items=5"}
matrix: {keepalive: off, http: ["3"], tls: [full, 0rtt]}
load: {rate: 4, duration: 3s, warmup: 1s, count: 1}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t)
	out := filepath.Join(dir, "h3.txt")
	if _, _, err := run(t, 5*time.Minute, "run", suite, "--backend", "auto", "-o", out); err != nil {
		t.Fatalf("run: %v", err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	res := string(b)
	if !regexp.MustCompile(`(?m)^backend: netem$`).MatchString(res) {
		t.Errorf("results file: no \"backend: netem\" line")
	}
	p50 := map[string]float64{}
	for _, tls := range []string{"full", "0rtt"} {
		line := regexp.MustCompile(`(?m)^BenchmarkH3netem/\S*tls=` + tls + `\s.*$`).FindString(res)
		if line == "" {
			t.Fatalf("no line for tls=%s:\n%s", tls, res)
		}
		units := map[string]float64{}
		f := strings.Fields(line)
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err == nil {
				units[f[i+1]] = v
			}
		}
		t.Logf("tls=%s: p50 %.1f ms, h3/op %v, 0rtt/op %v, quic-gso %v, errors %v", tls,
			units["p50-ns"]/1e6, units["h3/op"], units["0rtt/op"], units["quic-gso"], units["errors"])
		if units["h3/op"] < 0.9 {
			t.Errorf("tls=%s: h3/op %v; want every request over HTTP/3", tls, units["h3/op"])
		}
		if g, ok := units["quic-gso"]; !ok || g != 0 {
			t.Errorf("tls=%s: quic-gso %v (present %v); want 0: GSO off on a netem link with a rate", tls, g, ok)
		}
		if tls == "0rtt" && units["0rtt/op"] < 0.5 {
			t.Errorf("tls=0rtt: 0rtt/op %v; want most requests accepted as early data", units["0rtt/op"])
		}
		p50[tls] = units["p50-ns"]
	}
	if !(p50["0rtt"] < p50["full"]) {
		t.Errorf("p50 0rtt %.1f ms, full %.1f ms; want 0-RTT faster (it saves the handshake's round trip)", p50["0rtt"]/1e6, p50["full"]/1e6)
	}
	checkSame(t, before)
}
