package runner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunebench/tunebench/internal/testenv"
	"github.com/tunebench/tunebench/results"
)

// TestNginxClaimEndToEnd runs the shipped suite scenarios/claims/nginx-tfo.yaml
// (one repetition per cell, a shorter load) on the real kernel: Debian's
// nginx, started by examples/nginx/run.sh from the config template with
// listen … fastopen=256 backlog=511 and keepalive_timeout 65s, serves a
// small response over new connections on a 40 ms path. With tfo on, the
// server host counts Fast Open connections (nginx's listener took SYN
// data) and P50 falls by about one RTT: 2 RTT → 1. The bound asserted is
// half an RTT, which a busy machine cannot eat.
func TestNginxClaimEndToEnd(t *testing.T) {
	testenv.Short(t, "runs nginx on the real kernel")
	needRoot(t)
	testenv.Tool(t, "nginx", "make deps installs it (apt-get install nginx)")
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(filepath.Join(root, "scenarios/claims/nginx-tfo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	suite := string(text)
	for old, repl := range map[string]string{
		`"examples/nginx/run.sh"`:                             `"` + filepath.Join(root, "examples/nginx/run.sh") + `"`,
		"load: {rate: 5, duration: 3s, warmup: 1s, count: 6}": "load: {rate: 5, duration: 2s, warmup: 1s, count: 1}",
	} {
		if !strings.Contains(suite, old) {
			t.Fatalf("scenarios/claims/nginx-tfo.yaml lacks %q; update this test with the suite", old)
		}
		suite = strings.Replace(suite, old, repl, 1)
	}
	f := runSuiteFile(t, suite, false)
	p50 := map[string]float64{}
	for _, tfo := range []string{"off", "on"} {
		rows := rowsOf(f, "tfo="+tfo)
		if len(rows) != 1 {
			t.Fatalf("tfo=%s: %d rows; want 1", tfo, len(rows))
		}
		v := rows[0].Values
		if v[results.UnitErrors] != 0 {
			t.Errorf("tfo=%s: errors %v; want 0", tfo, v[results.UnitErrors])
		}
		p50[tfo] = v[results.UnitP50]
		if tfo == "on" && v["tfo-passive/op"] < 0.5 {
			t.Errorf("tfo=on: tfo-passive/op %v; want most connections to nginx to carry SYN data", v["tfo-passive/op"])
		}
	}
	const rtt = 40e6 // ns
	if p50["off"] < 1.5*rtt {
		t.Errorf("tfo=off: P50 %.1f ms; want about 2 RTT (80 ms): handshake and request", p50["off"]/1e6)
	}
	if p50["on"] > p50["off"]-0.5*rtt {
		t.Errorf("P50 %.1f ms with Fast Open, %.1f ms without; want about one RTT (40 ms) less", p50["on"]/1e6, p50["off"]/1e6)
	}
	t.Logf("nginx P50: tfo off %.1f ms, on %.1f ms", p50["off"]/1e6, p50["on"]/1e6)
}
