package netem

import (
	"strings"
	"testing"
	"time"
)

func TestRouteMetricsReadBack(t *testing.T) {
	topo := upT(t, Symmetric(time.Millisecond, Direction{}))
	for _, m := range []RouteMetrics{
		{InitCwnd: 40, InitRwnd: 60, Congctl: "cubic"},
		{InitCwnd: 10, Congctl: "reno"},
		{InitRwnd: 20},
	} {
		for _, h := range []*Host{topo.Client, topo.Server} {
			if err := h.SetRouteMetrics(m); err != nil {
				t.Fatalf("SetRouteMetrics(%s) in %s: %v", m, h.NS.Name, err)
			}
			// Read back through a fresh netlink dump, as `ip route` would.
			got, err := h.RouteMetrics()
			if err != nil {
				t.Fatal(err)
			}
			if got != m {
				t.Errorf("%s: route metrics read back as %s; want %s", h.NS.Name, got, m)
			}
		}
	}
}

func TestRouteMetricsRefuseUnknownCongestion(t *testing.T) {
	topo := upT(t, Symmetric(time.Millisecond, Direction{}))
	err := topo.Server.SetRouteMetrics(RouteMetrics{Congctl: "nosuchcc"})
	if err == nil || !strings.Contains(err.Error(), `"nosuchcc" is not available`) {
		t.Fatalf("SetRouteMetrics(congctl nosuchcc) = %v; want an error naming the algorithm", err)
	}
	got, err := topo.Server.RouteMetrics()
	if err != nil {
		t.Fatal(err)
	}
	if got != (RouteMetrics{}) {
		t.Errorf("after a refused change the route has %s; want the defaults", got)
	}
}

func TestCheckSysctlScoped(t *testing.T) {
	needRoot(t)
	for _, tc := range []struct {
		key     string
		wantErr string
	}{
		{key: "net.core.somaxconn"},
		{key: "net.ipv4.tcp_slow_start_after_idle"},
		{key: "net.ipv4.tcp_rmem"},
		{key: "net.ipv4.tcp_fastopen"},
		// Global: absent from a child namespace.
		{key: "net.core.netdev_max_backlog", wantErr: "not scoped to a network namespace"},
		// Visible in a child namespace on 6.x kernels, but read-only there.
		{key: "net.ipv4.tcp_allowed_congestion_control", wantErr: "read-only inside a network namespace"},
		{key: "net.ipv4.no_such_thing", wantErr: "not scoped"},
		{key: "net.ipv4", wantErr: "is a directory"},
		{key: "kernel.pid_max", wantErr: "only net.* keys"},
	} {
		err := CheckSysctlScoped(tc.key)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("CheckSysctlScoped(%s) = %v; want nil", tc.key, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("CheckSysctlScoped(%s) = %v; want an error containing %q", tc.key, err, tc.wantErr)
		}
	}
}
