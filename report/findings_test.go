package report

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFindingsGolden: the findings of real runs, in plain words with the
// models beside them, and each claim's verdict, against golden files.
func TestFindingsGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/claims/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, "testdata/quick.txt", "testdata/phases.txt", "testdata/knee.txt")
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".txt")
		t.Run(name, func(t *testing.T) {
			rep := build(t, f, "")
			var b strings.Builder
			if rep.Claim != nil {
				b.WriteString("claim: " + rep.Claim.Claim.Text + ": " + rep.Claim.Verdict + "\n")
			}
			for _, x := range rep.Findings {
				b.WriteString(x.String() + "\n")
			}
			golden(t, filepath.Join("findings", name+".txt"), []byte(b.String()))
		})
	}
}

// TestFindingsModels checks the physics on the real runs with the
// tolerances a noisy machine cannot break: a handshake is one RTT, Fast
// Open and initcwnd save one, Nagle costs a delayed ACK, and each model
// agrees with what was measured.
func TestFindingsModels(t *testing.T) {
	tests := []struct {
		file, knob, to string
		rtts           float64 // the measured change in round trips
	}{
		{"testdata/claims/tfo.txt", "tfo", "on", -1},
		{"testdata/claims/nginx-tfo.txt", "tfo", "on", -1},
		{"testdata/claims/initcwnd.txt", "initcwnd", "40", -1},
		{"testdata/claims/nagle.txt", "nodelay", "off", 20}, // 40 ms on a 2 ms path
		{"testdata/quick.txt", "keepalive", "off", 1},
	}
	for _, tt := range tests {
		rep := build(t, tt.file, "")
		found := false
		for _, f := range rep.Findings {
			if f.Knob != tt.knob || f.To != tt.to || f.Link == "lan" && tt.knob == "keepalive" {
				continue
			}
			found = true
			got := f.Delta / f.RTT
			if !f.Significant || math.Abs(got-tt.rtts) > 0.4*math.Abs(tt.rtts) {
				t.Errorf("%s: %s", tt.file, f)
			}
			if f.Prediction == nil || !f.Prediction.Agrees {
				t.Errorf("%s: %s; want the model to agree", tt.file, f)
			}
		}
		if !found {
			t.Errorf("%s: no finding of %s %s", tt.file, tt.knob, tt.to)
		}
	}
}

// TestFindingsDocGolden writes the findings document of the real claim
// runs and compares it, and the reports beside it, with golden files.
func TestFindingsDocGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/claims/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no claim fixtures (%v)", err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "findings.md")
	// A stale chart of an earlier run must go.
	if err := os.MkdirAll(filepath.Join(dir, "findings"), 0o755); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, "findings", "gone-knob-x.svg")
	if err := os.WriteFile(stale, []byte("<svg/>"), 0o644); err != nil {
		t.Fatal(err)
	}
	written, err := WriteFindings(FindingsOptions{Results: files, Out: out, Generated: "2026-01-01 00:00 UTC by the golden test"})
	if err != nil {
		t.Fatal(err)
	}
	if written[0] != out {
		t.Errorf("first path written %s; want %s", written[0], out)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("a stale chart of an earlier run is left beside the document")
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "findings.md", b)
	// Every chart the document shows exists.
	for _, line := range strings.Split(string(b), "\n") {
		if i := strings.Index(line, "](findings/"); i >= 0 {
			name := line[i+2 : strings.Index(line[i:], ")")+i]
			if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
				t.Errorf("findings.md shows %s: %v", name, err)
			}
		}
	}
}

func TestWriteFindingsErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		o    FindingsOptions
		want string
	}{
		{"no results", FindingsOptions{Out: filepath.Join(dir, "f.md")}, "no results files"},
		{"no out", FindingsOptions{Results: []string{"testdata/claims/tfo.txt"}}, "no output file"},
		{"no claim", FindingsOptions{Results: []string{"testdata/quick.txt"}, Out: filepath.Join(dir, "f.md")}, `suite "quick" has no claim`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := WriteFindings(tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v; want one containing %q", err, tt.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "f.md")); err == nil {
		t.Error("f.md written on bad input")
	}
}

// TestReportsLeadWithFindings: the HTML and the Markdown report both say
// the claim's verdict and the findings before the machine details.
func TestReportsLeadWithFindings(t *testing.T) {
	rep := build(t, "testdata/claims/tfo.txt", "")
	html := writeHTML(t, rep)
	md, err := rep.WriteMarkdown(filepath.Join(t.TempDir(), "r.md"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(md[0])
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"html": html, "markdown": string(b)} {
		verdict := strings.Index(text, "Verdict: holds.")
		finding := strings.Index(text, "tfo on: −41.0 ms P50 on wan40 (−49 %, p=0.002, vs tfo off); model (Fast Open): −40.0 ms (−1.00 RTT), agrees (±10.0 ms)")
		kernel := strings.Index(text, "6.18.44")
		if verdict < 0 || finding < 0 || kernel < 0 || !(verdict < finding && finding < kernel) {
			t.Errorf("%s: verdict at %d, finding at %d, kernel at %d; want all three, in that order", name, verdict, finding, kernel)
		}
	}
}
