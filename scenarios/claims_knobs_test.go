package scenarios

import (
	"strings"
	"testing"
)

// TestClaimsKnobsAndSlowClients parses the knobs of the common tuning
// claims and load.slow_clients, and refuses values out of range with the
// file, the line and the key.
func TestClaimsKnobsAndSlowClients(t *testing.T) {
	ok := `suite: claims
links: [{name: lan, rtt: 1ms}]
matrix:
  backlog: [8, 4096]
  rcvbuf: [262144]
  sndbuf: [65536]
  header_timeout: [2s]
  max_conns: [100]
load: {rate: 10, duration: 2s, slow_clients: 50}
`
	s, err := Parse("ok.yaml", []byte(ok))
	if err != nil {
		t.Fatal(err)
	}
	if s.Load.SlowClients != 50 {
		t.Errorf("slow_clients: got %d; want 50", s.Load.SlowClients)
	}
	cells, err := s.Expand()
	if err != nil || len(cells) != 2 {
		t.Fatalf("cells: %d, %v; want 2", len(cells), err)
	}
	if v, _ := cells[0].Get("header_timeout"); v != "2s" {
		t.Errorf("header_timeout: got %q; want 2s", v)
	}
	for _, tt := range []struct{ name, line, want string }{
		{"backlog 0", "  backlog: [0]", "ok.yaml:4"},
		{"rcvbuf below the kernel's minimum", "  rcvbuf: [100]", "ok.yaml:4"},
		{"max_conns words", "  max_conns: [many]", "ok.yaml:4"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			text := "suite: claims\nlinks: [{name: lan, rtt: 1ms}]\nmatrix:\n" + tt.line + "\nload: {rate: 10, duration: 2s}\n"
			_, err := Parse("ok.yaml", []byte(text))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v; want an error at %s", err, tt.want)
			}
		})
	}
	_, err = Parse("bad.yaml", []byte("suite: x\nlinks: [{name: lan, rtt: 1ms}]\nload: {rate: 10, duration: 2s, slow_clients: -3}\n"))
	if err == nil || !strings.Contains(err.Error(), "bad.yaml:3") || !strings.Contains(err.Error(), "slow_clients") {
		t.Errorf("slow_clients -3: got %v; want an error at bad.yaml:3 naming load.slow_clients", err)
	}
}
