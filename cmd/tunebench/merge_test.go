package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tunebench/tunebench/internal/testenv"
	"github.com/tunebench/tunebench/results"
)

// shardSuiteYAML: two blocks (links) of two cells, two repetitions each.
const shardSuiteYAML = `suite: shards
links: [{name: lan, rtt: 2ms}, {name: wan, rtt: 20ms}]
matrix: {keepalive: [on, off]}
load: {rate: 20, duration: 0.3s, warmup: 0.1s, count: 2}
`

// TestShardFlagsBadInput needs no root: a split the suite cannot make is
// refused before anything is created.
func TestShardFlagsBadInput(t *testing.T) {
	dir := t.TempDir()
	suite := writeTempIn(t, dir, "suite.yaml", shardSuiteYAML)
	out := filepath.Join(dir, "x.txt")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--shard", "3/3"}, "the cells make only 2 blocks by link (link=lan link=wan)"},
		{[]string{"--shard", "0/2"}, "JOB_COMPLETION_INDEX counts from 0, so add 1"},
		{[]string{"--shard", "1/2", "--shard-by", "codec"}, "has no knob codec"},
		{[]string{"--shard-by", "link"}, "--shard-by link without --shard"},
		{[]string{"--shard", "index/2"}, `$JOB_COMPLETION_INDEX is ""`},
		{[]string{"--shard", "1/2", "--gate"}, "merge the shards, then tunebench gate --suite SUITE.yaml --current all.txt"},
	}
	for _, tt := range tests {
		_, stderr, code := runCLI(t, append([]string{"run", suite, "-o", out}, tt.args...)...)
		if code != 2 || !strings.Contains(stderr, tt.want) {
			t.Errorf("run %v: exit status %d, stderr %q; want 2 and %q", tt.args, code, stderr, tt.want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a refused split created %s", out)
	}
	f := runFlags{shard: "index/4"}
	sh, err := f.shardOf(func(k string) string { return map[string]string{jobIndexEnv: "3"}[k] })
	if err != nil || sh.Index != 4 || sh.Count != 4 {
		t.Errorf("--shard index/4 with index 3: %+v, %v; want shard 4/4", sh, err)
	}
	if got := colKnobs("/link,/cc@(bbr cubic),.file"); !reflect.DeepEqual(got, []string{"link", "cc"}) {
		t.Errorf("colKnobs = %v; want [link cc]", got)
	}
}

// TestShardsEndToEnd runs a suite as one and as two shards on the real
// kernel, merges the shards, and checks that the merged file holds the
// same cells as the single run, each repetition once, that benchstat reads
// it, that compare warns on a comparison across the shards' machines, and
// that a cut-off shard resumes as itself only.
func TestShardsEndToEnd(t *testing.T) {
	testenv.Short(t, "runs a small suite three times (about 20 s)")
	testenv.Root(t)
	testenv.TUN(t)
	goCmd := testenv.Tool(t, "go", "the Go toolchain builds benchstat")
	t.Cleanup(func() { noLeftovers(t) })
	dir := t.TempDir()
	suite := writeTempIn(t, dir, "suite.yaml", shardSuiteYAML)
	path := func(name string) string { return filepath.Join(dir, name) }
	must := func(args ...string) string {
		t.Helper()
		stdout, stderr, code := tb(t, 2*time.Minute, args...)
		if code != 0 {
			t.Fatalf("tunebench %s: exit status %d\n%s%s", strings.Join(args, " "), code, stdout, stderr)
		}
		return stdout + stderr
	}

	must("run", suite, "-o", path("one.txt"), "--quiet")
	must("run", suite, "-o", path("s1.txt"), "--shard", "1/2", "--host", "node-a", "--quiet")
	must("run", suite, "-o", path("s2.txt"), "--shard", "2/2", "--host", "node-b", "--quiet")

	// Each shard says which it is, its blocks and its host; the blocks
	// part the links.
	var blocks []string
	for i, name := range []string{"s1.txt", "s2.txt"} {
		f := readResults(t, path(name))
		cfg := configOf(f)
		if want := []string{"1/2", "2/2"}[i]; cfg["shard"] != want || cfg["shard-by"] != "link" || cfg["host"] != []string{"node-a", "node-b"}[i] {
			t.Errorf("%s: shard %q, shard-by %q, host %q; want %s, link, node-%c", name, cfg["shard"], cfg["shard-by"], cfg["host"], want, 'a'+i)
		}
		blocks = append(blocks, strings.Fields(cfg["shard-blocks"])...)
		for _, r := range f.Rows {
			if !slices.Contains(strings.Fields(cfg["shard-blocks"]), strings.Split(r.Cell, "/")[0]) {
				t.Errorf("%s holds %s, outside its blocks %s", name, r.Cell, cfg["shard-blocks"])
			}
		}
	}
	slices.Sort(blocks)
	if !reflect.DeepEqual(blocks, []string{"link=lan", "link=wan"}) {
		t.Errorf("the shards' blocks %v; want link=lan and link=wan, once each", blocks)
	}

	// A shard cut off after its first repetition resumes as itself, and
	// not as the other shard.
	cut := path("cut.txt")
	cutShard(t, path("s1.txt"), cut)
	if _, stderr, code := tb(t, time.Minute, "run", suite, "--resume", cut, "--shard", "2/2", "--host", "node-a"); code == 0 || !strings.Contains(stderr, `shard: file "1/2", now "2/2"`) {
		t.Errorf("resuming shard 1's file as shard 2: exit status %d, stderr %q; want it refused naming the shard", code, stderr)
	}
	must("run", suite, "--resume", cut, "--shard", "1/2", "--host", "node-a", "--quiet")
	if got, want := repsOf(t, readResults(t, cut)), repsOf(t, readResults(t, path("s1.txt"))); !reflect.DeepEqual(got, want) {
		t.Errorf("resumed shard holds %v; want %v", got, want)
	}

	// A missing shard is named; then the merge, in any order of files.
	if _, stderr, code := tb(t, time.Minute, "merge", "-o", path("part.txt"), path("s2.txt")); code != 2 || !strings.Contains(stderr, "shard 1 of 2 missing") {
		t.Errorf("merge of shard 2 alone: exit status %d, stderr %q; want 2 naming shard 1", code, stderr)
	}
	all := path("all.txt")
	must("merge", "-o", all, path("s2.txt"), path("s1.txt"))
	merged := readResults(t, all)
	if got, want := repsOf(t, merged), repsOf(t, readResults(t, path("one.txt"))); !reflect.DeepEqual(got, want) {
		t.Errorf("merged file holds %v; the single run %v; want the same cells, each repetition once", got, want)
	}
	side, err := os.Open(results.SidecarPath(all))
	if err != nil {
		t.Fatal(err)
	}
	defer side.Close()
	if entries, err := results.ReadSidecar(side); err != nil || len(entries) != 8 {
		t.Errorf("merged sidecar: %d entries, %v; want 8", len(entries), err)
	}

	out := must("compare", "-col", "/link", all)
	if !strings.Contains(out, "compares cells measured on different machines in 2 of 2 rows (shard 1 (host node-a): link=lan; shard 2 (host node-b): link=wan)") {
		t.Errorf("compare -col /link on the merged file:\n%s\nwant a warning that it crosses machines", out)
	}
	if out := must("compare", "-col", "/keepalive", all); strings.Contains(out, "warning") {
		t.Errorf("compare -col /keepalive on the merged file:\n%s\nwant no warning: keep-alive is compared within each shard", out)
	}

	out = must("report", all, "-o", path("all.html"))
	if !strings.Contains(out, "report: warning: "+all+": the link comparison compares cells measured on different machines") || strings.Contains(out, "keepalive comparison") {
		t.Errorf("report on the merged file:\n%s\nwant a warning for the link comparison alone", out)
	}

	// benchstat, as users run it, reads the merged file.
	bs := filepath.Join(dir, "benchstat")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if b, err := exec.CommandContext(ctx, goCmd, "build", "-o", bs, "golang.org/x/perf/cmd/benchstat").CombinedOutput(); err != nil {
		testenv.Missing(t, "golang.org/x/perf/cmd/benchstat, built from the module cache: %v\n%s", err, b)
	}
	b, err := exec.CommandContext(ctx, bs, "-col", "/keepalive", all).CombinedOutput()
	if err != nil {
		t.Fatalf("benchstat -col /keepalive %s: %v\n%s", all, err, b)
	}
	// One table per unit, both shards' links as rows, keep-alive off and
	// on as columns compared.
	for _, want := range []string{"Shards/link=lan ", "Shards/link=wan ", "p50-sec", "vs base"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("benchstat output lacks %q:\n%s", want, b)
		}
	}
}

func readResults(t *testing.T, path string) *results.File {
	t.Helper()
	f, err := results.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func configOf(f *results.File) map[string]string {
	m := make(map[string]string)
	for _, c := range f.Config {
		m[c.Key] = c.Value
	}
	return m
}

// repsOf lists a file's repetitions as "cell#rep", sorted, failing the test
// on one present twice.
func repsOf(t *testing.T, f *results.File) []string {
	t.Helper()
	var reps []string
	for _, r := range f.Rows {
		reps = append(reps, r.Cell+"#"+string(rune('0'+r.Rep)))
	}
	for _, fl := range f.Failures {
		reps = append(reps, fl.Cell+"#"+string(rune('0'+fl.Rep)))
	}
	slices.Sort(reps)
	if c := slices.Compact(slices.Clone(reps)); len(c) != len(reps) {
		t.Errorf("%s holds a repetition twice: %v", f.Name, reps)
	}
	return reps
}

// cutShard copies the shard file src to dst without its last result line,
// and its sidecar without the last entry, as a run killed before its last
// repetition leaves them.
func cutShard(t *testing.T, src, dst string) {
	t.Helper()
	for _, p := range [][2]string{{src, dst}, {results.SidecarPath(src), results.SidecarPath(dst)}} {
		b, err := os.ReadFile(p[0])
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitAfter(strings.TrimSuffix(string(b), "\n"), "\n")
		text := strings.Join(lines[:len(lines)-1], "")
		if err := os.WriteFile(p[1], []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestMergeCommand needs no root: two shards' files written by hand.
func TestMergeCommand(t *testing.T) {
	dir := t.TempDir()
	shard := func(i int, link, host string) string {
		return writeTempIn(t, dir, "s"+string(rune('0'+i))+".txt", "tunebench: v1\nsuite: m\nseed: 1\ncount: 1\nshard: "+string(rune('0'+i))+"/2\nshard-by: link\nshard-blocks: link="+link+"\nhost: "+host+"\n\nUnit p50-ns better=lower\n\nBenchmarkM/link="+link+"/tfo=on\t10\t100 ns/op\t90 p50-ns\nBenchmarkM/link="+link+"/tfo=off\t10\t200 ns/op\t190 p50-ns\n")
	}
	s1, s2 := shard(1, "lan", "a"), shard(2, "wan", "b")
	all := filepath.Join(dir, "all.txt")
	stdout, stderr, code := runCLI(t, "merge", "-o", all, s2, s1)
	if code != 0 || !strings.Contains(stdout, "merged 2 shards, 4 result and 0 failure lines, into "+all) || !strings.Contains(stderr, "the shards ran on 2 machines") {
		t.Fatalf("merge: exit status %d\nstdout %q\nstderr %q; want 0, the summary and the machines named", code, stdout, stderr)
	}
	f := readResults(t, all)
	if cfg := configOf(f); cfg["shards"] != "2" || cfg["shard-1-host"] != "a" || cfg["shard-2-blocks"] != "link=wan" {
		t.Errorf("merged header %v; want shards 2 and each shard's host and blocks", cfg)
	}
	if _, err := os.Stat(results.SidecarPath(all)); err == nil {
		t.Errorf("merge wrote a sidecar from shards that have none")
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"merge", "-o", all, s1, s2}, "all.txt exists; give another -o"},
		{[]string{"merge", "-o", s1, s1, s2}, "is a shard's file"},
		{[]string{"merge", s1, s2}, "-o is missing"},
		{[]string{"merge", "-o", filepath.Join(dir, "x.txt"), s1, s1}, "are both shard 1/2"},
	} {
		_, stderr, code := runCLI(t, tt.args...)
		if code != 2 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit status %d, stderr %q; want 2 and %q", tt.args, code, stderr, tt.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.txt")); err == nil {
		t.Error("a refused merge wrote its file")
	}
	out, errs, _ := runCLI(t, "compare", "-col", "/tfo", all)
	if strings.Contains(errs, "warning") || out == "" {
		t.Errorf("compare -col /tfo: stderr %q; want a table and no warning", errs)
	}
	if _, errs, _ := runCLI(t, "compare", "-col", "/link", all); !strings.Contains(errs, "compare: warning: "+all+": -col /link compares cells measured on different machines") {
		t.Errorf("compare -col /link: stderr %q; want the warning", errs)
	}
}
