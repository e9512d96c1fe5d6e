package netem

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestStepOf(t *testing.T) {
	base := errors.New("protocol not supported")
	tests := []struct {
		name string
		err  error
		want string
	}{
		{name: "none", err: base, want: ""},
		{name: "one", err: inStep(StepQdisc, base), want: StepQdisc},
		{name: "inner step wins", err: inStep(StepAddress, fmt.Errorf("configure: %w", inStep(StepNetlink, base))), want: StepNetlink},
		{name: "through a join", err: errors.Join(inStep(StepLink, base), errors.New("close: busy")), want: StepLink},
		{name: "nil stays nil", err: inStep(StepLink, nil), want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := StepOf(tt.err); got != tt.want {
				t.Errorf("StepOf(%v) = %q; want %q", tt.err, got, tt.want)
			}
			if tt.err != nil && !errors.Is(tt.err, base) {
				t.Errorf("%v no longer wraps its cause", tt.err)
			}
		})
	}
}

func TestCanRun(t *testing.T) {
	priv := Check{Name: "privileges", OK: true, Needed: true}
	tun := Check{Name: "run on backend tun", OK: true, Backend: BackendTUN}
	netemFail := Check{Name: "run on backend netem", Backend: BackendNetem}
	auto := Check{Name: "backend auto", OK: true, Needed: true}
	tests := []struct {
		name   string
		checks []Check
		want   bool
		wantBs string
	}{
		{name: "tun works", checks: []Check{priv, tun, netemFail, auto}, want: true, wantBs: "tun"},
		{name: "no backend works", checks: []Check{priv, {Backend: BackendTUN}, netemFail, auto}, want: false},
		{name: "a needed check fails", checks: []Check{{Name: "privileges", Needed: true}, tun, auto}, want: false, wantBs: "tun"},
		{name: "no backend checked", checks: []Check{priv}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CanRun(tt.checks); got != tt.want {
				t.Errorf("CanRun = %v; want %v", got, tt.want)
			}
			if got := strings.Join(Runnable(tt.checks), " "); got != tt.wantBs {
				t.Errorf("Runnable = %q; want %q", got, tt.wantBs)
			}
		})
	}
}

// Doctor builds a path on each backend as a run does; on a kernel without
// sch_netem (this project's) the netem one fails, and says at which step.
func TestDoctor(t *testing.T) {
	needRoot(t)
	checks := Doctor(context.Background())
	byBackend := map[string]Check{}
	for _, c := range checks {
		if c.Backend != "" {
			byBackend[c.Backend] = c
		}
	}
	tun, ok := byBackend[BackendTUN]
	if !ok || !tun.OK {
		t.Fatalf("backend tun: %+v; want a working path on this kernel", tun)
	}
	for _, step := range []string{StepNamespace, StepNetlink, StepLink, StepAddress, StepRoute, StepTraffic} {
		if !strings.Contains(tun.Detail, step) {
			t.Errorf("backend tun detail %q; want it to name the step %s", tun.Detail, step)
		}
	}
	nc := byBackend[BackendNetem]
	probe := ProbeNetem()
	if nc.OK != (probe == nil) {
		t.Errorf("backend netem: OK %v, but the probe says %v", nc.OK, probe)
	}
	if !nc.OK && (!strings.HasPrefix(nc.Detail, "step ") || nc.Fix == "") {
		t.Errorf("backend netem failed with %q (fix %q); want the failing step named and a fix", nc.Detail, nc.Fix)
	}
	if !CanRun(checks) {
		t.Errorf("CanRun false with a working tun path: %+v", checks)
	}
	if left := leftovers(); len(left) > 0 {
		t.Errorf("doctor left %v", left)
	}
}

func TestPrivileges(t *testing.T) {
	const net, sys = 1 << unix.CAP_NET_ADMIN, 1 << unix.CAP_SYS_ADMIN
	for _, tt := range []struct {
		name      string
		caps      uint64
		container bool
		ok        bool
		detail    string
		fix       string
	}{
		{"both held", net | sys, false, true, "CAP_NET_ADMIN and CAP_SYS_ADMIN held", ""},
		{"no net admin in a container", sys, true, false, "CAP_NET_ADMIN missing", "--cap-add NET_ADMIN (compose: cap_add: [NET_ADMIN])"},
		{"no sys admin on a host", net, false, false, "CAP_SYS_ADMIN missing", "grant CAP_SYS_ADMIN"},
		{"neither", 0, true, false, "CAP_NET_ADMIN and CAP_SYS_ADMIN missing", "--cap-add NET_ADMIN --cap-add SYS_ADMIN"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := privileges(tt.caps, 0, tt.container)
			if c.OK != tt.ok || !strings.Contains(c.Detail, tt.detail) || !strings.Contains(c.Fix, tt.fix) {
				t.Errorf("privileges = %+v; want ok %v, detail with %q, fix with %q", c, tt.ok, tt.detail, tt.fix)
			}
		})
	}
}
