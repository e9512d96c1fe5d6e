package results

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/HdrHistogram/hdrhistogram-go"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// histOf returns a histogram holding values, in nanoseconds.
func histOf(t *testing.T, values ...int64) *hdrhistogram.Histogram {
	t.Helper()
	h := NewHistogram()
	for _, v := range values {
		if err := h.RecordValue(v); err != nil {
			t.Fatalf("RecordValue(%d): %v", v, err)
		}
	}
	return h
}

// spread returns n latencies from base upwards in steps of step.
func spread(n int, base, step int64) []int64 {
	v := make([]int64, n)
	for i := range v {
		v[i] = base + int64(i)*step
	}
	return v
}

// golden compares got with testdata/name, or rewrites that file when the
// test runs with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v; run go test -update to create it", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file (-want +got); run go test -update if the change is intended:\n%s", path, lineDiff(string(want), string(got)))
	}
}

// lineDiff returns the lines only in a prefixed "-" and those only in b
// prefixed "+", with up to two common lines around each change prefixed " ".
func lineDiff(a, b string) string {
	x, y := strings.SplitAfter(a, "\n"), strings.SplitAfter(b, "\n")
	// lcs[i][j] is the length of the longest common subsequence of
	// x[i:] and y[j:].
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var ops []string
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			ops = append(ops, " "+x[i])
			i++
			j++
		case j < len(y) && (i == len(x) || lcs[i][j+1] >= lcs[i+1][j]):
			ops = append(ops, "+"+y[j])
			j++
		default:
			ops = append(ops, "-"+x[i])
			i++
		}
	}
	const context = 2
	var out strings.Builder
	for k, op := range ops {
		near := false
		for d := max(0, k-context); d <= min(len(ops)-1, k+context); d++ {
			near = near || ops[d][0] != ' '
		}
		if near {
			out.WriteString(op)
		} else if k > 0 && !strings.HasSuffix(out.String(), "...\n") {
			out.WriteString("...\n")
		}
	}
	return out.String()
}
