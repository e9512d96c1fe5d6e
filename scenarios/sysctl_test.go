package scenarios

import (
	"strings"
	"testing"
)

func TestSysctlParse(t *testing.T) {
	const base = "suite: s\nlinks: [{name: lan, rtt: 1ms}]\nload: {rate: 1, duration: 1s}\n"
	s, err := Parse("s.yaml", []byte(base+`sysctl: {net.core.somaxconn: 4096, net.ipv4.tcp_rmem: "4096 131072 6291456"}
matrix:
  sysctl.net.ipv4.tcp_slow_start_after_idle: [0, 1]
  sysctl.net.ipv4.tcp_wmem: ["4096,16384,4194304"]
`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Sysctl["net.core.somaxconn"] != "4096" || s.Sysctl["net.ipv4.tcp_rmem"] != "4096 131072 6291456" {
		t.Errorf("Sysctl = %v", s.Sysctl)
	}
	cells, err := s.Expand()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cells[0].Name(), "link=lan/sysctl.net.ipv4.tcp_slow_start_after_idle=0/sysctl.net.ipv4.tcp_wmem=4096,16384,4194304"; got != want {
		t.Errorf("cell name %q; want %q", got, want)
	}

	for _, tc := range []struct{ name, text, want string }{
		{"not net", "matrix: {sysctl.kernel.pid_max: [1]}\n", `s.yaml:4: matrix.sysctl.kernel.pid_max: "kernel.pid_max" is not a network sysctl`},
		{"space in a matrix value", "matrix: {sysctl.net.ipv4.tcp_rmem: [\"1 2 3\"]}\n", "with commas for spaces"},
		{"suite-level not net", "matrix: {keepalive: [on]}\nsysctl: {kernel.pid_max: 10}\n", "s.yaml:5: sysctl.kernel.pid_max: \"kernel.pid_max\" is not a network sysctl"},
	} {
		_, err := Parse("s.yaml", []byte(base+tc.text))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v; want an error containing %q", tc.name, err, tc.want)
		}
	}
	// The namespace scope is the runner's check (runner/kernel.go), made
	// before a cell is measured: the parser has no side effects, so a
	// global net.* key parses.
	if _, err := Parse("s.yaml", []byte(base+"matrix: {sysctl.net.core.netdev_max_backlog: [1000]}\n")); err != nil {
		t.Errorf("a global net.* sysctl: got %v; want it to parse (the runner refuses it)", err)
	}
}
