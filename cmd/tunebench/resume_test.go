package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tunebench/tunebench/netem"
	"github.com/tunebench/tunebench/results"
)

// resumeSuiteYAML: two cells, three repetitions each, about a second each.
const resumeSuiteYAML = `suite: resume
links: [{name: lan, rtt: 2ms}]
matrix: {keepalive: [on, off]}
load: {rate: 20, duration: 0.5s, count: 3}
`

// startRun starts `tunebench run` and returns it with a channel of its
// stdout lines and one that gets its Wait error.
func startRun(t *testing.T, stderr *bytes.Buffer, args ...string) (*exec.Cmd, <-chan string, <-chan error) {
	t.Helper()
	cmd := exec.Command(linkTestBinary(t), args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() }) // by PID; a no-op once it exited
	lines := make(chan string, 1000)
	exited := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		exited <- cmd.Wait()
	}()
	return cmd, lines, exited
}

// waitLine reads lines until one has prefix, or fails the test after d.
func waitLine(t *testing.T, lines <-chan string, prefix string, d time.Duration) []string {
	t.Helper()
	var seen []string
	deadline := time.After(d)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the run ended before a line starting %q; it printed:\n%s", prefix, strings.Join(seen, "\n"))
			}
			seen = append(seen, l)
			if strings.HasPrefix(l, prefix) {
				return seen
			}
		case <-deadline:
			t.Fatalf("no line starting %q within %v; got:\n%s", prefix, d, strings.Join(seen, "\n"))
		}
	}
}

// processesIn lists the PIDs of processes in the network namespace at
// path (a bind mount under /run/netns).
func processesIn(path string) []int {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return nil
	}
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		var ns syscall.Stat_t
		if syscall.Stat("/proc/"+e.Name()+"/ns/net", &ns) == nil && ns.Dev == st.Dev && ns.Ino == st.Ino {
			pids = append(pids, pid)
		}
	}
	return pids
}

var progressSlotRE = regexp.MustCompile(`(?m)^\[(\d+)/(\d+)\] (\S+) rep (\d+):`)

// TestRunKilledThenResumed SIGKILLs a run mid-repetition: what it wrote
// stays, its children die with it, and nothing keeps running in the
// namespaces it left. `run --resume` then sweeps those namespaces, measures
// only the missing repetitions, in the killed run's order, and appends
// them: the file's first bytes are never rewritten.
func TestRunKilledThenResumed(t *testing.T) {
	needRootT(t)
	dir := t.TempDir()
	suite := writeTempIn(t, dir, "suite.yaml", resumeSuiteYAML)
	out := filepath.Join(dir, "results.txt")
	var stderr bytes.Buffer
	cmd, lines, exited := startRun(t, &stderr, "run", suite, "-o", out, "--seed", "11")
	first := waitLine(t, lines, "[2/6] ", time.Minute)
	time.Sleep(300 * time.Millisecond) // into the third repetition
	pid := cmd.Process.Pid
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-exited
	t.Logf("killed run %d; it printed:\n%s", pid, strings.Join(first, "\n"))

	// Its namespaces stay for the sweep, but nothing runs in them: the
	// server and the load agent died with the runner (Pdeathsig).
	var mine []string
	left, _ := netem.Leftovers()
	for _, l := range left {
		if l.Owner == pid {
			mine = append(mine, l.Name)
			if l.Live {
				t.Errorf("%s: owner %d reported live after SIGKILL", l.Name, pid)
			}
		}
	}
	if len(mine) == 0 {
		t.Logf("the kill fell between two repetitions: no namespaces left to sweep")
	}
	deadline := time.Now().Add(5 * time.Second)
	for _, ns := range mine {
		for len(processesIn(filepath.Join(netem.NamespaceDir, ns))) > 0 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if pids := processesIn(filepath.Join(netem.NamespaceDir, ns)); len(pids) > 0 {
			t.Errorf("processes %v still run in %s after their runner was killed", pids, ns)
		}
	}

	before, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	f, err := results.ReadFile(out)
	if err != nil {
		t.Fatalf("the killed run's file does not read: %v", err)
	}
	if n := len(f.Rows) + len(f.Failures); n < 2 || n > 3 {
		t.Fatalf("the killed run's file holds %d repetitions; want the 2 or 3 it finished", n)
	}
	kept := len(f.Rows) + len(f.Failures)
	sideBefore, _ := os.ReadFile(results.SidecarPath(out))

	// Refusals first: each leaves the file as it was.
	other := writeTempIn(t, dir, "other.yaml", strings.Replace(resumeSuiteYAML, "duration: 0.5s", "duration: 0.6s", 1))
	renamed := writeTempIn(t, dir, "renamed.yaml", strings.Replace(resumeSuiteYAML, "suite: resume", "suite: another", 1))
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"run", suite, "--resume", out, "--seed", "12"}, "--seed 12, but the file's run used seed 11"},
		{[]string{"run", suite, "--resume", out, "--count", "5"}, "--count 5, but the file's run planned 3 repetitions"},
		{[]string{"run", other, "--resume", out}, `load: file "rate=20/s duration=500ms warmup=0s timeout=10s", now "rate=20/s duration=600ms`},
		{[]string{"run", renamed, "--resume", out}, `suite: file "resume", now "another"`},
		{[]string{"run", suite, "--resume", out, "-o", filepath.Join(dir, "x.txt")}, "a resumed run appends to the file it resumes; leave -o out"},
		{[]string{"run", suite, "--resume", filepath.Join(dir, "nope.txt")}, "nope.txt: no such file"},
		{[]string{"run", suite, "--resume", suite}, "run: --resume: results: " + suite + ": no benchmark results"},
		{[]string{"run", suite, "--resume", out, "--only", "keepalive=on"}, "cell link=lan/keepalive=off is not among the cells this run measures; give the --only the file's run had"},
	} {
		_, errs, code := tbRunCode(t, tt.args...)
		if code == 0 || !strings.Contains(errs, tt.want) {
			t.Errorf("tunebench %s: exit status %d, stderr %q; want a refusal with %q", strings.Join(tt.args[1:], " "), code, errs, tt.want)
		}
	}
	if after, _ := os.ReadFile(out); !bytes.Equal(before, after) {
		t.Fatalf("a refused --resume changed %s:\n%s\nwas\n%s", out, after, before)
	}

	// The resumption. The refused runs above may have swept the killed
	// run's namespaces already (every run sweeps dead runs' leftovers
	// first); if not, this one must.
	stillThere := 0
	for _, ns := range mine {
		if _, err := os.Stat(filepath.Join(netem.NamespaceDir, ns)); err == nil {
			stillThere++
		}
	}
	stdout, errs, code := tbRunCode(t, "run", suite, "--resume", out)
	if code != 0 {
		t.Fatalf("run --resume: exit status %d; stderr %q", code, errs)
	}
	after, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(after, before) {
		t.Errorf("run --resume rewrote the file's first %d bytes; it must only append", len(before))
	}
	sideAfter, _ := os.ReadFile(results.SidecarPath(out))
	if !bytes.HasPrefix(sideAfter, sideBefore) {
		t.Errorf("run --resume rewrote the sidecar; it must only append")
	}
	if stillThere > 0 && !regexp.MustCompile(`removed \d+ namespaces that dead runs left`).MatchString(stdout) {
		t.Errorf("run --resume did not say it swept the killed run's namespaces %v", mine)
	}
	for _, ns := range mine {
		if _, err := os.Stat(filepath.Join(netem.NamespaceDir, ns)); err == nil {
			t.Errorf("%s still there after run --resume", ns)
		}
	}
	if want := fmt.Sprintf("resuming %s: %d of 6 repetitions are in it; measuring the other %d\n", out, kept, 6-kept); !strings.Contains(stdout, want) {
		t.Errorf("stdout lacks %q", want)
	}
	if want := fmt.Sprintf("tunebench: %d of %d repetitions in ", 6-kept, 6-kept); !strings.Contains(stdout, want) {
		t.Errorf("stdout lacks %q", want)
	}

	// Every (cell, repetition) once; the resumed ones are the killed run's
	// slots kept+1..6, in its order: the same seed, the same plan.
	f, err = results.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Rows)+len(f.Failures) != 6 {
		t.Errorf("after resume: %d results and %d failures; want 6 repetitions in all", len(f.Rows), len(f.Failures))
	}
	got := make(map[string]bool)
	for _, r := range f.Rows {
		key := r.Cell + " rep " + strconv.Itoa(r.Rep)
		if got[key] {
			t.Errorf("%s twice", key)
		}
		got[key] = true
	}
	for _, c := range []string{"link=lan/keepalive=on", "link=lan/keepalive=off"} {
		for rep := 1; rep <= 3; rep++ {
			if key := c + " rep " + strconv.Itoa(rep); !got[key] {
				t.Errorf("%s missing after resume", key)
			}
		}
	}
	var slots []string
	for _, m := range progressSlotRE.FindAllStringSubmatch(stdout, -1) {
		slots = append(slots, m[1])
	}
	var want []string
	for i := kept + 1; i <= 6; i++ {
		want = append(want, strconv.Itoa(i))
	}
	if strings.Join(slots, ",") != strings.Join(want, ",") {
		t.Errorf("resumed slots %v; want %v, the killed run's order", slots, want)
	}
	// The full plan of --seed 11 is the killed run's lines, then the
	// resumed ones: check it against a fresh run with the same seed.
	if _, _, code := tbRunCode(t, "run", suite, "-o", filepath.Join(dir, "fresh.txt"), "--seed", "11", "--quiet"); code != 0 {
		t.Fatalf("fresh run: exit status %d", code)
	}
	ff, err := results.ReadFile(filepath.Join(dir, "fresh.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var freshOrder, resumedOrder []string
	for _, r := range ff.Rows {
		freshOrder = append(freshOrder, r.Cell+"#"+strconv.Itoa(r.Rep))
	}
	lineOf := make(map[int]string)
	for _, r := range f.Rows {
		lineOf[r.Line] = r.Cell + "#" + strconv.Itoa(r.Rep)
	}
	for n := 1; n <= strings.Count(string(after), "\n")+1; n++ {
		if s, ok := lineOf[n]; ok {
			resumedOrder = append(resumedOrder, s)
		}
	}
	if strings.Join(freshOrder, " ") != strings.Join(resumedOrder, " ") {
		t.Errorf("killed + resumed order\n%v\nfresh --seed 11 order\n%v\nwant the same", resumedOrder, freshOrder)
	}
	entries, err := readSidecarFile(results.SidecarPath(out))
	if err != nil || len(entries) < 6-kept {
		t.Errorf("sidecar after resume: %d entries, %v; want at least %d", len(entries), err, 6-kept)
	}

	// Resuming a complete file measures nothing and changes nothing.
	stdout, _, code = tbRunCode(t, "run", suite, "--resume", out)
	if code != 0 || !strings.Contains(stdout, "tunebench: 0 of 0 repetitions in ") {
		t.Errorf("resuming a complete file: exit status %d, stdout %q; want 0 of 0", code, stdout)
	}
	if again, _ := os.ReadFile(out); !bytes.Equal(again, after) {
		t.Errorf("resuming a complete file changed it")
	}

	// The header names the binary's version, never plain dev, and
	// --resume refuses a file that another version wrote.
	verOut, _, _ := tb(t, 10*time.Second, "--version")
	ver := strings.TrimPrefix(strings.TrimSpace(verOut), "tunebench ")
	if ver == "" || ver == "dev" || !bytes.Contains(after, []byte("\ntunebench: "+ver+"\n")) && !bytes.HasPrefix(after, []byte("tunebench: "+ver+"\n")) {
		t.Errorf("the header lacks \"tunebench: %s\", the binary's --version", ver)
	}
	otherData := bytes.Replace(after, []byte("tunebench: "+ver+"\n"), []byte("tunebench: v0.0.0-other\n"), 1)
	otherData = otherData[:bytes.LastIndexByte(otherData[:len(otherData)-1], '\n')+1] // a repetition left to measure
	otherPath := writeTempIn(t, dir, "other.txt", string(otherData))
	_, errs, code = tbRunCode(t, "run", suite, "--resume", otherPath)
	if code == 0 || !strings.Contains(errs, `tunebench: file "v0.0.0-other", now "`+ver+`"`) {
		t.Errorf("--resume of another version's file: exit status %d, stderr %q; want a refusal naming both versions", code, errs)
	}
	if again, _ := os.ReadFile(otherPath); !bytes.Equal(again, otherData) {
		t.Errorf("the refused --resume changed the file")
	}
	noLeftovers(t)
}

// TestRunResumeBadFiles: what --resume refuses before building anything.
func TestRunResumeBadFiles(t *testing.T) {
	needRootT(t)
	dir := t.TempDir()
	suite := writeTempIn(t, dir, "suite.yaml", resumeSuiteYAML)
	partial := writeTempIn(t, dir, "partial.txt", "suite: resume\n\nBenchmarkResume/link=lan/keepalive=on 10 1 p50-ns")
	empty := writeTempIn(t, dir, "empty.txt", "")
	for _, tt := range []struct{ file, want string }{
		{partial, "ends in a partial line"},
		{empty, "empty; run without --resume"},
	} {
		_, errs, code := tbRunCode(t, "run", suite, "--resume", tt.file)
		if code != 2 || !strings.Contains(errs, tt.want) {
			t.Errorf("--resume %s: exit status %d, stderr %q; want 2 and %q", filepath.Base(tt.file), code, errs, tt.want)
		}
	}
}

func readSidecarFile(path string) ([]results.SidecarEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return results.ReadSidecar(f)
}
