package testenv

import "testing"

func TestInCI(t *testing.T) {
	for _, tt := range []struct {
		val  string
		want bool
	}{{"", false}, {"false", false}, {"0", false}, {"true", true}, {"1", true}} {
		t.Setenv("CI", tt.val)
		if got := InCI(); got != tt.want {
			t.Errorf("CI=%q: InCI() = %v; want %v", tt.val, got, tt.want)
		}
	}
}

// fakeTB records what Missing does to a test.
type fakeTB struct {
	testing.TB
	skipped, failed bool
}

func (f *fakeTB) Helper()               {}
func (f *fakeTB) Skip(args ...any)      { f.skipped = true }
func (f *fakeTB) Fatalf(string, ...any) { f.failed = true }

func TestMissingFailsInCI(t *testing.T) {
	t.Setenv("CI", "true")
	f := &fakeTB{}
	Missing(f, "a tool")
	if !f.failed || f.skipped {
		t.Errorf("in CI: failed=%v skipped=%v; want failed, not skipped", f.failed, f.skipped)
	}
	t.Setenv("CI", "")
	f = &fakeTB{}
	Missing(f, "a tool")
	if f.failed || !f.skipped {
		t.Errorf("outside CI: failed=%v skipped=%v; want skipped", f.failed, f.skipped)
	}
}
