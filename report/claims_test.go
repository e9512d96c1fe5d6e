package report

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestClaimsMatchSuites: every claim names a suite file of
// scenarios/claims/ whose suite: is the claim's, and every suite there has
// a claim, so that make findings can judge each.
func TestClaimsMatchSuites(t *testing.T) {
	files, err := filepath.Glob("../scenarios/claims/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no suites in ../scenarios/claims (%v)", err)
	}
	suiteLine := regexp.MustCompile(`(?m)^suite: *(\S+)`)
	bySuite := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m := suiteLine.FindSubmatch(b)
		if m == nil {
			t.Errorf("%s: no suite: line", f)
			continue
		}
		bySuite[string(m[1])] = strings.TrimPrefix(f, "../")
		if _, ok := claimFor(string(m[1])); !ok {
			t.Errorf("%s: suite %s has no claim in Claims(); add one", f, m[1])
		}
	}
	for _, c := range Claims() {
		if got := bySuite[c.Suite]; got != c.File {
			t.Errorf("claim %q: File %q, but suite %s is in %q", c.Text, c.File, c.Suite, got)
		}
		if c.Knob == "" || c.From == "" || c.To == "" || c.Size == "" || c.Text == "" {
			t.Errorf("claim %+v: want knob, from, to, size and text", c)
		}
	}
}

func TestJudge(t *testing.T) {
	tfo := Claim{Knob: "tfo", From: "off", To: "on", Faster: true, MinRTT: 0.5}
	codec := Claim{Knob: "codec", From: "json", To: "protobuf", Faster: true, MinPct: 30}
	retries := Claim{Knob: "server_idle", From: "5s", To: "500ms", Unit: "retries/op", MinDelta: 0.1}
	f := func(knob, from, to, link, unit string, base, value float64, sig bool) Finding {
		return Finding{Knob: knob, From: from, To: to, Link: link, Unit: unit, RTT: 0.040,
			Base: base, Value: value, Delta: value - base, Significant: sig}
	}
	tests := []struct {
		name  string
		claim Claim
		in    []Finding
		want  string
	}{
		{"one RTT faster", tfo, []Finding{f("tfo", "off", "on", "wan40", "p50-ns", 0.082, 0.041, true)}, VerdictHolds},
		{"faster but too little", tfo, []Finding{f("tfo", "off", "on", "wan40", "p50-ns", 0.082, 0.070, true)}, VerdictNotHolds},
		{"not significant", tfo, []Finding{f("tfo", "off", "on", "wan40", "p50-ns", 0.082, 0.041, false)}, VerdictNotHolds},
		{"the wrong way", tfo, []Finding{f("tfo", "off", "on", "wan40", "p50-ns", 0.041, 0.082, true)}, VerdictNotHolds},
		{"other knobs ignored", tfo, []Finding{f("cc", "cubic", "bbr", "wan40", "p50-ns", 0.082, 0.041, true)}, VerdictNotHolds + " (no measurement of tfo on against off)"},
		{"on one link of two", codec, []Finding{
			f("codec", "json", "protobuf", "lan", "p50-ns", 0.0050, 0.0049, false),
			{Knob: "codec", From: "json", To: "protobuf", Link: "slow20", Where: "keepalive=on", Unit: "p50-ns", Base: 0.095, Value: 0.042, Delta: -0.053, Significant: true},
		}, VerdictHoldsIf + " link=slow20 keepalive=on"},
		{"evidence unit, from zero", retries, []Finding{
			f("server_idle", "5s", "500ms", "wan100", "p50-ns", 0.124, 0.144, true),
			f("server_idle", "5s", "500ms", "wan100", "retries/op", 0, 0.375, true),
		}, VerdictHolds},
		{"evidence unit too small", retries, []Finding{f("server_idle", "5s", "500ms", "wan100", "retries/op", 0, 0.05, true)}, VerdictNotHolds},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.claim.Judge(tt.in).Verdict; got != tt.want {
				t.Errorf("verdict %q; want %q", got, tt.want)
			}
		})
	}
}
