package scenarios

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestClaimSuites checks the suites of scenarios/claims/: each parses and
// expands, its opening comment gives the claim, the model and the expected
// direction, it has the 6 repetitions benchstat needs for a confidence
// interval, and its load stays near a minute (about 2 s of setup per
// repetition besides the load; the few that need longer say why).
func TestClaimSuites(t *testing.T) {
	files, err := filepath.Glob("claims/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 8 {
		t.Fatalf("got %d claim suites; want at least 8 (Fast Open, nginx, BBR, initcwnd, keep-alive, Nagle, TLS, codec)", len(files))
	}
	names := map[string]string{}
	for _, f := range files {
		s, err := LoadFile(f)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		cells, err := s.Expand()
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if prev, ok := names[s.Name]; ok {
			t.Errorf("%s: suite %q is also %s's; want one name per claim", f, s.Name, prev)
		}
		names[s.Name] = f
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		head := string(text[:strings.Index(string(text), "\nsuite:")])
		for _, want := range []string{"# Claim:", "# Model:", "# Expected direction:"} {
			if !strings.Contains(head, want) {
				t.Errorf("%s: the opening comment lacks %q; want the claim, the model and the expected direction", f, want)
			}
		}
		if s.Load.Count < 6 {
			t.Errorf("%s: count %d; want at least 6, for benchstat's confidence intervals", f, s.Load.Count)
		}
		per := s.Load.Warmup + s.Load.Duration + 2*time.Second
		total := time.Duration(len(cells)*s.Load.Count) * per
		if total > 2*time.Minute {
			t.Errorf("%s: about %v (%d cells × %d × %v); want at most 2 minutes", f, total, len(cells), s.Load.Count, per)
		}
		if total > 70*time.Second && !strings.Contains(head, "≈") {
			t.Errorf("%s: about %v; over a minute, the comment must say how long and why", f, total)
		}
	}
}
