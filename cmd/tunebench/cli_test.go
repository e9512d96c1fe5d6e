package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tunebench/tunebench/internal/testenv"
)

// TestHelp: every command, and the top level, prints its usage with its
// arguments and an example on stdout and exits 0 for -h, -help, --help
// and `tunebench help COMMAND`, and nothing on stderr.
func TestHelp(t *testing.T) {
	for _, name := range commandNames() {
		words := strings.Fields(name)
		var outs []string
		for _, args := range [][]string{
			append(slices.Clone(words), "-h"),
			append(slices.Clone(words), "--help"),
			append(slices.Clone(words), "-help"),
			append([]string{"help"}, words...),
		} {
			stdout, stderr, code := runCLI(t, args...)
			if code != 0 || stderr != "" {
				t.Errorf("tunebench %s: exit status %d, stderr %q; want 0 and nothing", strings.Join(args, " "), code, stderr)
			}
			if !strings.HasPrefix(stdout, "Usage: tunebench "+name) && !strings.HasPrefix(stdout, "Usage:\n  tunebench "+name) {
				t.Errorf("tunebench %s: stdout starts %q; want \"Usage: tunebench %s\"", strings.Join(args, " "), firstLine(stdout), name)
			}
			if !strings.Contains(stdout, "\nExample:\n  ") {
				t.Errorf("tunebench %s: no example in\n%s", strings.Join(args, " "), stdout)
			}
			outs = append(outs, stdout)
		}
		for _, o := range outs[1:] {
			if o != outs[0] {
				t.Errorf("%s: -h, --help, -help and help print different text", name)
			}
		}
	}
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}} {
		stdout, stderr, code := runCLI(t, args...)
		if code != 0 || stderr != "" || !strings.Contains(stdout, "Usage:\n  tunebench run SUITE.yaml") {
			t.Errorf("tunebench %s: exit status %d, stderr %q, stdout %q; want the usage and 0", args[0], code, stderr, firstLine(stdout))
		}
	}
	// The top-level usage names every command.
	for _, name := range commandNames() {
		if !strings.Contains(usage, "tunebench "+name+" ") && !strings.Contains(usage, "tunebench "+name+"\n") {
			t.Errorf("the usage does not name tunebench %s", name)
		}
	}
}

// TestHelpFlags: a command's help lists the flags it parses.
func TestHelpFlags(t *testing.T) {
	tests := []struct {
		cmd   []string
		flags []string
	}{
		{[]string{"run"}, []string{"-o file", "-resume file", "-max-failures N", "-gate", "-json", "-only values"}},
		{[]string{"gate"}, []string{"-baseline file", "-allow-missing", "-strict", "-metric units"}},
		{[]string{"compare"}, []string{"-col projection", "-format format"}},
		{[]string{"report"}, []string{"-o file", "-baseline file"}},
		{[]string{"link", "run"}, []string{"-rtt time", "-server command", "-up-delay"}},
		{[]string{"link", "up"}, []string{"-rtt time", "-backend"}},
		{[]string{"doctor"}, []string{"-json"}},
		{[]string{"serve"}, []string{"-addr host:port"}},
	}
	for _, tt := range tests {
		stdout, _, _ := runCLI(t, append(slices.Clone(tt.cmd), "-h")...)
		for _, f := range tt.flags {
			if !strings.Contains(stdout, "\n  "+f) {
				t.Errorf("tunebench %s -h: no flag %q in\n%s", strings.Join(tt.cmd, " "), f, stdout)
			}
		}
	}
}

// TestBadInvocation: what is not a command, or a flag a command lacks, is
// bad input (2), named once on stderr, with where to look.
func TestBadInvocation(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "no command given"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"; run tunebench help`},
		{[]string{"help", "frobnicate"}, `help: unknown command "frobnicate"`},
		{[]string{"validate", "--nope", "x.yaml"}, "validate: flag provided but not defined: -nope; see tunebench validate -h"},
		{[]string{"compare", "-nope"}, "compare: flag provided but not defined: -nope; see tunebench compare -h"},
		{[]string{"doctor", "--nope"}, "doctor: flag provided but not defined: -nope; see tunebench doctor -h"},
		{[]string{"link"}, "link: give run, up, exec or down"},
		{[]string{"link", "sideways"}, "link sideways: unknown"},
	}
	for _, tt := range tests {
		_, stderr, code := runCLI(t, tt.args...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("tunebench %s: exit status %d, stderr %q; want 2 and %q", strings.Join(tt.args, " "), code, stderr, tt.want)
		}
		if n := strings.Count(stderr, "flag provided but not defined"); n > 1 {
			t.Errorf("tunebench %s: the flag error is printed %d times", strings.Join(tt.args, " "), n)
		}
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// TestExitCode: each outcome has its own status, whatever wraps it, and a
// child's status or an explicit code wins.
func TestExitCode(t *testing.T) {
	gf := gateFailed{failures: []string{"x"}, checks: 1}
	rf := repsFailed{"run: 2 of 4 repetitions failed"}
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"success", nil, 0},
		{"runtime failure", errors.New("run: netem: creating namespace: operation not permitted"), 1},
		{"bad input", usagef("run: --count -1"), 2},
		{"bad input, wrapped", fmt.Errorf("x: %w", usagef("y")), 2},
		{"failed repetitions", rf, 3},
		{"failed gate", gf, 99},
		{"failed gate and repetitions: the gate's status", errors.Join(gf, rf), 99},
		{"failed repetitions and bad gate input: the repetitions'", errors.Join(usagef("gate: where matches nothing"), rf), 3},
		{"child's status", exitStatus(7), 7},
		{"child killed by SIGKILL", exitStatus(137), 137},
		{"interrupted", exitStatus(exitInterrupted), 130},
		{"link's own failure", ownFailure(errors.New("netem: no TUN")), 125},
		{"link's bad flags", ownFailure(usagef("--rtt: bad")), 125},
		{"link passes the child's status", ownFailure(exitStatus(2)), 2},
		{"command not found", ownFailure(codedError{exitNotFound, errors.New("nope: not found")}), 127},
	}
	for _, tt := range tests {
		if got := exitCode(tt.err); got != tt.want {
			t.Errorf("%s: exitCode(%v) = %d; want %d", tt.name, tt.err, got, tt.want)
		}
	}
}

// TestExitCodesDocumented: docs/cli.md's table has a row for every exit
// status the code defines, with the same number.
func TestExitCodesDocumented(t *testing.T) {
	b, err := os.ReadFile("../../docs/cli.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := regexp.MustCompile("(?m)^\\| `?(\\d+)`? +\\|").FindAllStringSubmatch(string(b), -1)
	var documented []int
	for _, r := range rows {
		n, _ := strconv.Atoi(r[1])
		documented = append(documented, n)
	}
	for _, code := range []int{exitOK, exitFailure, exitUsage, exitRepsFailed, exitGateFailed, exitLinkFailed, exitCannotInvoke, exitNotFound, exitInterrupted} {
		if !slices.Contains(documented, code) {
			t.Errorf("docs/cli.md has no table row for exit status %d (rows: %v)", code, documented)
		}
	}
}

// TestVersionFrom: the ldflags value wins; else the module version; else
// the VCS revision; "dev" is never the answer.
func TestVersionFrom(t *testing.T) {
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	const rev = "d19180f2725e33d4f6c8228f821c935ed0308c9d"
	tests := []struct {
		name    string
		ldflags string
		info    *debug.BuildInfo
		want    string
	}{
		{"ldflags", "v1.2.3", &debug.BuildInfo{Main: debug.Module{Version: "v1.0.0"}}, "v1.2.3"},
		{"ldflags git describe", "v1.2.3-4-gabcdef0-dirty", nil, "v1.2.3-4-gabcdef0-dirty"},
		{"go install @version", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}, "v1.4.0"},
		{"the Makefile's fallback is no answer", "dev", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}, "v1.4.0"},
		{"go build stamps a pseudo-version", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261129104254-d19180f2725e+dirty"}, Settings: vcs(rev, "true")}, "v0.0.0-20261129104254-d19180f2725e+dirty"},
		{"revision only", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "false")}, "devel+d19180f2725e"},
		{"revision, modified tree", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "true")}, "devel+d19180f2725e-dirty"},
		{"nothing known", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, ""},
		{"no build info", "", nil, ""},
	}
	for _, tt := range tests {
		if got := versionFrom(tt.ldflags, tt.info); got != tt.want {
			t.Errorf("%s: got %q; want %q", tt.name, got, tt.want)
		}
	}
}

// TestVersionCommand: --version, -version and version print the same
// version, which is never "dev" alone.
func TestVersionCommand(t *testing.T) {
	var first string
	for _, args := range [][]string{{"--version"}, {"-version"}, {"version"}} {
		stdout, stderr, code := runCLI(t, args...)
		if code != 0 || stderr != "" {
			t.Errorf("tunebench %s: exit status %d, stderr %q", args[0], code, stderr)
		}
		if first == "" {
			first = stdout
		}
		if stdout != first || !strings.HasPrefix(stdout, "tunebench ") || strings.TrimSpace(stdout) == "tunebench dev" || strings.TrimSpace(stdout) == "tunebench" {
			t.Errorf("tunebench %s: got %q (first %q); want one version that is not dev", args[0], stdout, first)
		}
	}
	// A test binary has no version from ldflags or VCS: its version is
	// the hash of the executable.
	info, _ := debug.ReadBuildInfo()
	if versionFrom(version, info) == "" && !regexp.MustCompile(`^tunebench devel\+sha256:[0-9a-f]{12}\n$`).MatchString(first) {
		t.Errorf("a binary without version information: got %q; want tunebench devel+sha256: and 12 hex digits", first)
	}
}

// TestVersionBuilt builds the binary the ways users do and asks each its
// version: the ldflags value, and the VCS revision that go build records.
func TestVersionBuilt(t *testing.T) {
	testenv.Short(t, "builds tunebench twice (the Makefile's \"dev\" fallback is in TestVersionFrom, the hash of a binary without VCS information in TestVersionCommand)")
	goCmd := testenv.Tool(t, "go", "the Go toolchain")
	testenv.Tool(t, "git", "go build stamps the revision with it")
	if out, err := exec.Command("git", "-C", "../..", "rev-parse", "HEAD").CombinedOutput(); err != nil {
		testenv.Missing(t, "a git checkout of tunebench for -buildvcs: %v: %s", err, out)
	}
	dir := t.TempDir()
	tests := []struct {
		name  string
		flags []string
		want  string // regexp of the whole line
	}{
		{"make: ldflags", []string{"-ldflags", "-X main.version=v7.7.7-test"}, `^tunebench v7\.7\.7-test$`},
		{"go build in a checkout", []string{"-buildvcs=true"}, `^tunebench v\d+\.\d+\.\d+(-[0-9a-z.-]+)?(\+dirty)?$`},
	}
	for i, tt := range tests {
		bin := fmt.Sprintf("%s/tb%d", dir, i)
		cmd := exec.Command(goCmd, append(append([]string{"build", "-o", bin}, tt.flags...), ".")...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: go build: %v\n%s", tt.name, err, out)
		}
		out, err := exec.Command(bin, "--version").Output()
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := strings.TrimSpace(string(out)); !regexp.MustCompile(tt.want).MatchString(got) {
			t.Errorf("%s: got %q; want it to match %s", tt.name, got, tt.want)
		}
	}
}
