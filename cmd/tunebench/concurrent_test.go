package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tunebench/tunebench/results"
)

// TestConcurrentRuns runs two suites at once on the same host, with the
// same server port and link names, while `tunebench clean` runs beside
// them: neither collides with the other (namespaces, addresses, ports),
// neither is swept, both measure every repetition. A third run asked to
// resume into the first one's file while it is written is refused.
func TestConcurrentRuns(t *testing.T) {
	needRootT(t)
	dir := t.TempDir()
	suite := writeTempIn(t, dir, "suite.yaml", strings.Replace(runSuiteYAML, "duration: 0.5s, count: 2", "duration: 1s, count: 3", 1))
	type runOut struct {
		stderr bytes.Buffer
		lines  []string
		err    error
	}
	outs := []string{filepath.Join(dir, "a.txt"), filepath.Join(dir, "b.txt")}
	runs := make([]*runOut, 2)
	done := make(chan int, 2)
	for i := range runs {
		runs[i] = &runOut{}
		_, lines, exited := startRun(t, &runs[i].stderr, "run", suite, "-o", outs[i])
		go func(i int) {
			for l := range lines {
				runs[i].lines = append(runs[i].lines, l)
			}
			runs[i].err = <-exited
			done <- i
		}(i)
	}

	// While both run: clean sweeps only dead runs' namespaces, and a
	// resume into a file being written is refused.
	time.Sleep(2 * time.Second)
	for range 3 {
		if _, errs, code := tb(t, 20*time.Second, "clean"); code != 0 {
			t.Errorf("clean during two runs: exit status %d, %q", code, errs)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if _, errs, code := tbRunCode(t, "run", suite, "--resume", outs[0]); code != 2 || !strings.Contains(errs, "another tunebench run is writing "+outs[0]) {
		t.Errorf("--resume into a file another run writes: exit status %d, stderr %q; want 2 and a refusal", code, errs)
	}

	for range runs {
		select {
		case <-done:
		case <-time.After(2 * time.Minute):
			t.Fatal("the two runs did not end within 2 minutes")
		}
	}
	for i, r := range runs {
		t.Logf("run %d: %v\n%s\nstderr:\n%s", i, r.err, strings.Join(r.lines, "\n"), r.stderr.String())
		if r.err != nil {
			t.Errorf("run %d: %v; want exit status 0", i, r.err)
		}
		f, err := results.ReadFile(outs[i])
		if err != nil {
			t.Errorf("run %d: %v", i, err)
			continue
		}
		if len(f.Rows) != 6 || len(f.Failures) != 0 {
			t.Errorf("run %d: %d results, %d failures; want 6 and 0", i, len(f.Rows), len(f.Failures))
		}
	}
	noLeftovers(t)
}
