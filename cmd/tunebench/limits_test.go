package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunRefusesCellsThatCannotFit: a cell whose load could hold more
// connections open than the client host has ephemeral ports, or than the
// load agent may have descriptors, is refused before anything is built,
// with the numbers and the fix, instead of failing midway.
func TestRunRefusesCellsThatCannotFit(t *testing.T) {
	needRootT(t)
	dir := t.TempDir()
	bin := linkTestBinary(t)
	tests := []struct {
		name, load, ulimit, want string
	}{
		{"ports", "{rate: 5000, duration: 1s, timeout: 10s}", "",
			"cell link=lan/keepalive=on cannot run here: at 5000 requests/s with a 10s request timeout, a stalled server holds up to 50001 connections open, over the 28232 ephemeral ports (32768–60999) of the client host; lower load.rate or load.timeout"},
		{"descriptors", "{rate: 200, duration: 1s, timeout: 10s}", "ulimit -n 1024 && ",
			"a stalled server holds up to 2001 connections open, and the load agent may open 1024 descriptors (the RLIMIT_NOFILE hard limit, 1024); raise the hard limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			suite := writeTempIn(t, dir, tt.name+".yaml", "suite: fit\nlinks: [{name: lan, rtt: 2ms}]\nmatrix: {keepalive: [on]}\nload: "+tt.load+"\n")
			out := filepath.Join(dir, tt.name+".txt")
			cmd := exec.Command("/bin/sh", "-c", tt.ulimit+`exec "$0" run "$1" -o "$2"`, bin, suite, out)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			t.Logf("exit %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
			if tt.ulimit != "" && strings.Contains(stdout.String(), "] link=") {
				t.Skip("this host lets the agent raise its descriptor limit (CAP_SYS_RESOURCE); the cell fits")
			}
			if err == nil || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("got %v; want a refusal with %q", err, tt.want)
			}
			if b, _ := os.ReadFile(out); len(b) > 0 {
				t.Errorf("a refused run wrote %d bytes to %s", len(b), out)
			}
			noLeftovers(t)
		})
	}
}
