package results

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tunebench/tunebench/internal/testenv"
)

// buildBenchstat builds the benchstat command of the golang.org/x/perf
// version go.mod requires. Without a go command, or without the module in
// the module cache (and no proxy to fetch it from), it skips on a
// developer's machine and fails in CI, naming what is missing.
func buildBenchstat(t *testing.T) string {
	t.Helper()
	testenv.Short(t, "building benchstat takes seconds")
	goCmd := testenv.Tool(t, "go", "the Go toolchain builds benchstat")
	bin := filepath.Join(t.TempDir(), "benchstat")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, goCmd, "build", "-o", bin, "golang.org/x/perf/cmd/benchstat").CombinedOutput()
	if err != nil {
		testenv.Missing(t, "golang.org/x/perf/cmd/benchstat, built from the module cache (go mod download golang.org/x/perf fetches it): %v\n%s", err, out)
	}
	return bin
}

// TestBenchstat runs the real benchstat on a written file, as a user does.
func TestBenchstat(t *testing.T) {
	benchstat := buildBenchstat(t)

	var samples []Sample
	for rep := 1; rep <= 6; rep++ {
		for _, c := range []struct {
			keepalive string
			base      int64
		}{{"off", 80_000_000}, {"on", 40_000_000}} {
			// Vary the repetitions a little so that benchstat has a
			// spread to compute intervals from.
			base := c.base + int64(rep)*100_000
			samples = append(samples, Sample{
				Suite: "Handshake", Cell: "link=wan40/keepalive=" + c.keepalive, Rep: rep,
				Requests:  1000,
				Latency:   histOf(t, spread(1000, base, 1_000)...),
				LatencyCO: histOf(t, spread(1000, base, 2_000)...),
				Achieved:  99 + float64(rep)/10,
				Errors:    rep % 2,
				Extra:     []Metric{{Value: float64(rep), Unit: "retrans/op", Better: BetterLower}},
			})
		}
	}
	// A failed seventh repetition: benchstat must skip the line.
	samples = append(samples, Sample{Suite: "Handshake", Cell: "link=wan40/keepalive=on", Rep: 7, Failed: "server exited: signal: killed"})

	path := filepath.Join(t.TempDir(), "results.txt")
	if err := os.WriteFile(path, writeTestFile(t, samples), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(benchstat, "-col", "/keepalive", path)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("benchstat -col /keepalive: %v\n%s", err, stderr.String())
	}
	out := stdout.String()
	t.Logf("benchstat -col /keepalive results.txt:\n%s", out)
	if stderr.Len() > 0 {
		t.Errorf("got benchstat stderr %q; want none", stderr.String())
	}

	// One table per unit: benchstat tidies "p50-ns" to "p50-sec" and
	// ns/op to sec/op.
	for _, unit := range []string{"sec/op", "p50-sec", "p90-sec", "p99-sec", "p999-sec", "max-sec", "p99co-sec", "req/s", "errors", "retrans/op"} {
		header := regexp.MustCompile(`(?m)^\s*│\s+` + regexp.QuoteMeta(unit) + `\s+│\s+` + regexp.QuoteMeta(unit) + `\s+vs base\s+│$`)
		if !header.MatchString(out) {
			t.Errorf("got no table for unit %s; want a header \"│ %s │ %s vs base │\"", unit, unit, unit)
		}
	}
	// A column per keep-alive value, in the order they first appear, on
	// each of the ten tables, and only the file's configuration above them:
	// a configuration that changed would split the tables.
	columns := regexp.MustCompile(`(?m)^\s*│\s+off\s+│\s+on\s+│$`)
	if got := len(columns.FindAllString(out, -1)); got != 10 {
		t.Errorf("got %d \"│ off │ on │\" column headers; want 10, one per unit", got)
	}
	if got := strings.Count(out, "tunebench: v0.0.0-test\n"); got != 1 {
		t.Errorf("got the configuration %d times; want once, for a single table group", got)
	}
	// The rows lose /keepalive, which became the columns; the six samples
	// of each side are enough for a confidence interval and a p-value.
	row := regexp.MustCompile(`(?m)^Handshake/link=wan40\s+(\S+)m ± \S+\s+(\S+)m ± \S+\s+-\S+%\s+\(p=0\.002 n=6\)$`)
	if got := len(row.FindAllString(out, -1)); got != 7 {
		t.Errorf("got %d latency rows \"Handshake/link=wan40  <off>m ± x%%  <on>m ± y%%  -z%% (p=0.002 n=6)\"; want 7, one per latency unit", got)
	}
	if strings.Contains(out, "keepalive=") {
		t.Errorf("got a row still naming keepalive=; want /keepalive only as columns")
	}
}
