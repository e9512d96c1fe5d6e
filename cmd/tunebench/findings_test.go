package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// claimFixtures are real runs of scenarios/claims/ (report/testdata/claims).
const claimFixtures = "../../report/testdata/claims/"

func TestFindingsCommand(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "docs", "findings.md")
	stdout, stderr, code := runCLI(t, "findings", "-o", out, "--generated", "in a test",
		claimFixtures+"tfo.txt", claimFixtures+"tls-resume.txt")
	if code != 0 {
		t.Fatalf("exit status %d; stderr:\n%s", code, stderr)
	}
	if !strings.HasPrefix(stdout, "tunebench: findings in "+out) {
		t.Errorf("stdout %q; want it to name %s", stdout, out)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Generated in a test",
		"| claim | model | measured | verdict |",
		"TCP Fast Open saves a round trip",
		"**holds**",
		"**does not hold**",
		"`tunebench run scenarios/claims/tfo.yaml -o tfo.txt",
		"](findings/tfo-knob-tfo.svg)",
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("findings.md lacks %q", want)
		}
	}
	for _, f := range []string{"tfo.md", "tfo-knob-tfo.svg", "tls-resume.md", "tls-resume-knob-tls.svg"} {
		if _, err := os.Stat(filepath.Join(dir, "docs", "findings", f)); err != nil {
			t.Errorf("beside it: %v", err)
		}
	}
}

func TestFindingsBadInput(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no files", []string{"findings", "-o", filepath.Join(dir, "f.md")}, "give the claims' results files"},
		{"no -o", []string{"findings", claimFixtures + "tfo.txt"}, "-o is missing"},
		{"not a claim", []string{"findings", "-o", filepath.Join(dir, "f.md"), reportFixture}, `suite "quick" has no claim; add one to Claims() in report/claims.go`},
		{"missing file", []string{"findings", "-o", filepath.Join(dir, "f.md"), filepath.Join(dir, "none.txt")}, "none.txt"},
		{"same name twice", []string{"findings", "-o", filepath.Join(dir, "f.md"), claimFixtures + "tfo.txt", claimFixtures + "tfo.txt"}, "two results files are named tfo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, tt.args...)
			if code != 2 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit status %d, stderr %q; want 2 and %q", code, stderr, tt.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "f.md")); err == nil {
		t.Error("f.md written; want nothing written on bad input")
	}
}

// TestReportSuiteFlag: report --suite reads the suite's gates (a suite
// without gates is fine: there is nothing to draw), and a bad suite is bad
// input that names it.
func TestReportSuiteFlag(t *testing.T) {
	dir := t.TempDir()
	gated := filepath.Join(dir, "gated.yaml")
	if err := os.WriteFile(gated, []byte("suite: quick\nlinks: [{name: lan, rtt: 2ms}]\nserver: {endpoint: /x}\nmatrix: {keepalive: [on, off]}\nload: {rate: 20, duration: 3s}\ngates:\n  - {metric: p99, max: 150ms}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, suite := range []string{gated, "../../scenarios/quick.yaml"} {
		if _, stderr, code := runCLI(t, "report", reportFixture, "--suite", suite, "-o", filepath.Join(dir, "r.html")); code != 0 {
			t.Errorf("--suite %s: exit status %d; stderr:\n%s", suite, code, stderr)
		}
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("suite: quick\nlinks: nope\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := runCLI(t, "report", reportFixture, "--suite", bad, "-o", filepath.Join(dir, "r2.html")); code != 2 || !strings.Contains(stderr, "bad.yaml:2") {
		t.Errorf("bad suite: exit status %d, stderr %q; want 2 naming bad.yaml:2", code, stderr)
	}
}
