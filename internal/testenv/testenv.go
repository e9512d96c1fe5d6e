// Package testenv is the one place where tests decide whether they can run:
// root, a tool, a device or a kernel feature. On a developer's machine a
// missing requirement skips the test with the reason; with CI set (as
// .ci/run sets it) the same test fails and names what is missing, so CI
// cannot go green by skipping.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// InCI reports whether the tests run in CI (the CI environment variable is
// set to anything but "" or "false").
func InCI() bool {
	v := os.Getenv("CI")
	return v != "" && v != "false" && v != "0"
}

// Missing stops the test for want of what: it skips with the reason, or
// fails with it when InCI. what names the requirement and how to get it,
// e.g. "iperf3 (make deps installs it)".
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if InCI() {
		t.Fatalf("missing in CI: %s", msg)
		return // Fatalf does not return; a fake TB may
	}
	t.Skip("needs " + msg)
}

// Root requires an effective UID of 0 (namespaces, TUN, sysctls).
func Root(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, "root (network namespaces, TUN); CI runs as root")
	}
}

// TUN requires root and /dev/net/tun.
func TUN(t testing.TB) {
	t.Helper()
	Root(t)
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		Missing(t, "/dev/net/tun: %v", err)
	}
}

// Tool requires the program name in PATH and returns its path.
func Tool(t testing.TB, name, hint string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if hint == "" {
			hint = "make deps installs it"
		}
		Missing(t, "%s in PATH (%s)", name, hint)
	}
	return p
}

// Short skips a long test under -short. That is a choice of the person
// running the tests, not a missing requirement, so it skips in CI too;
// make test never passes -short.
func Short(t testing.TB, why string) {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping under -short: " + why)
	}
}
