package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tunebench/tunebench/internal/testenv"
)

func owner(t *testing.T, path string) [2]uint32 {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return [2]uint32{st.Uid, st.Gid}
}

// TestGiveToFolderOwner builds what a run leaves in a user's ./out as root
// and checks who owns what afterwards.
func TestGiveToFolderOwner(t *testing.T) {
	testenv.Root(t)
	root := t.TempDir()
	user := [2]uint32{1234, 2345}
	out := filepath.Join(root, "out")
	mkdir := func(p string) {
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p string) {
		if err := os.WriteFile(p, []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mkdir(out)
	mkdir(filepath.Join(root, "image"))  // root's folder: its files stay root's
	write(filepath.Join(out, "old.txt")) // root's, from before the run
	write(filepath.Join(root, "image", "suite.yaml"))
	old := time.Now().Add(-time.Hour)
	for _, p := range []string{filepath.Join(out, "old.txt"), filepath.Join(root, "image", "suite.yaml")} {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(out, int(user[0]), int(user[1])); err != nil {
		t.Fatal(err)
	}
	// ctime of old.txt is now; give the run a start after it.
	time.Sleep(20 * time.Millisecond)
	since := time.Now()
	time.Sleep(20 * time.Millisecond)

	// The run.
	write(filepath.Join(out, "quick.txt"))
	write(filepath.Join(out, "quick.hist.jsonl"))
	mkdir(filepath.Join(out, "quick.logs", "link=lan"))
	write(filepath.Join(out, "quick.logs", "link=lan", "rep1.log"))
	if err := os.Symlink("quick.txt", filepath.Join(out, "latest.txt")); err != nil {
		t.Fatal(err)
	}
	write(filepath.Join(root, "image", "new.txt"))

	if err := GiveToFolderOwner(root, since); err != nil {
		t.Fatalf("GiveToFolderOwner: %v", err)
	}
	for _, tt := range []struct {
		path string
		want [2]uint32
	}{
		{"out", user},
		{"out/quick.txt", user},
		{"out/quick.hist.jsonl", user},
		{"out/quick.logs", user},
		{"out/quick.logs/link=lan", user},
		{"out/quick.logs/link=lan/rep1.log", user},
		{"out/latest.txt", user},
		{"out/old.txt", [2]uint32{0, 0}},
		{"image/suite.yaml", [2]uint32{0, 0}},
		{"image/new.txt", [2]uint32{0, 0}},
	} {
		if got := owner(t, filepath.Join(root, tt.path)); got != tt.want {
			t.Errorf("%s: owner %d:%d; want %d:%d", tt.path, got[0], got[1], tt.want[0], tt.want[1])
		}
	}
}

func TestRunStatus(t *testing.T) {
	sh := testenv.Tool(t, "sh", "any POSIX shell")
	for _, tt := range []struct {
		name   string
		script string
		want   int
	}{
		{"success", "exit 0", 0},
		{"status passed on", "exit 3", 3},
		{"signal", "kill -TERM $$", 128 + 15},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := run(sh, []string{"-c", tt.script}, ""); got != tt.want {
				t.Errorf("run(%q) = %d; want %d", tt.script, got, tt.want)
			}
		})
	}
	if got := run(filepath.Join(t.TempDir(), "absent"), nil, ""); got != 127 {
		t.Errorf("run(absent binary) = %d; want 127", got)
	}
}
