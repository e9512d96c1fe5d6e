package hostsnap

import (
	"testing"
	"time"

	"github.com/tunebench/tunebench/internal/testenv"
)

// TestTakeIsStable: two snapshots of an idle host are the same, and one
// holds what every Linux host has, so that the before/after tests that use
// it compare something.
func TestTakeIsStable(t *testing.T) {
	testenv.Root(t) // to read every /proc/sys/net value
	o := Options{Volatile: DefaultVolatile, SkipNamespace: func(string) bool { return true }}
	a, err := Take(o)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	b, err := Take(o)
	if err != nil {
		t.Fatal(err)
	}
	if d := Diff(a, b); len(d) > 0 {
		t.Errorf("two snapshots of the host 2s apart differ:\n%v", d)
	}
	var lo, sysctls, routes bool
	for _, l := range a.Lines {
		switch {
		case len(l) > 8 && l[:8] == "link lo ":
			lo = true
		case l == "sysctl ipv4/ip_forward = 0" || l == "sysctl ipv4/ip_forward = 1":
			sysctls = true
		case len(l) > 6 && l[:6] == "route ":
			routes = true
		}
	}
	if !lo || !sysctls || !routes {
		t.Errorf("snapshot lacks lo (%v), ipv4/ip_forward (%v) or any route (%v): %d lines", lo, sysctls, routes, len(a.Lines))
	}
	t.Logf("%d lines", len(a.Lines))
}

func TestDiff(t *testing.T) {
	a := &Snapshot{Lines: []string{"link lo = up", "sysctl ipv4/ip_forward = 0"}}
	b := &Snapshot{Lines: []string{"link lo = up", "sysctl ipv4/ip_forward = 1", "netns tb-1-x = present"}}
	got := Diff(a, b)
	want := []string{"- sysctl ipv4/ip_forward = 0", "+ sysctl ipv4/ip_forward = 1", "+ netns tb-1-x = present"}
	if len(got) != len(want) {
		t.Fatalf("got %q; want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: got %q; want %q", i, got[i], want[i])
		}
	}
	if d := Diff(a, a); d != nil {
		t.Errorf("Diff(a, a) = %q; want nil", d)
	}
}
