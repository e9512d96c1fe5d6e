package runner

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tunebench/tunebench/internal/testenv"
	"github.com/tunebench/tunebench/results"
)

func TestRepEventAndJSON(t *testing.T) {
	ms := time.Millisecond
	start := time.Now().Add(-10 * time.Second)
	ok := repEvent(start, 3, 8, 2, results.Sample{
		Suite: "Quick", Cell: "link=wan40/keepalive=off", Rep: 2, Requests: 60, Errors: 1, Achieved: 19.5,
		Latency: histOf(t, 40*ms, 41*ms, 42*ms), Extra: []results.Metric{{Unit: "connect-ns", Value: 40.5e6, Better: "lower"}},
	})
	failed := repEvent(start, 4, 8, 2, results.Sample{Suite: "Quick", Cell: "link=lan/keepalive=on", Rep: 2, Failed: "server exited:\n  exit status 1"})

	var out bytes.Buffer
	emit := JSONEvents(&out)
	emit(Event{Type: EventStart, Total: 8, Cells: 2})
	emit(Event{Type: EventBegin, N: 3, Total: 8, Cell: "link=wan40/keepalive=off", Rep: 2})
	emit(ok)
	emit(failed)

	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines:\n%s\nwant 2: one per repetition, no start or begin events", len(lines), out.String())
	}
	var got []map[string]any
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		got = append(got, m)
	}
	want := map[string]any{"type": "rep", "n": 3.0, "total": 8.0, "cells": 2.0, "suite": "Quick", "cell": "link=wan40/keepalive=off",
		"rep": 2.0, "requests": 60.0, "errors": 1.0, "req_per_sec": 19.5}
	for k, v := range want {
		if got[0][k] != v {
			t.Errorf("%s = %v; want %v", k, got[0][k], v)
		}
	}
	if p50 := got[0]["p50_ns"].(float64); p50 < 40.9e6 || p50 > 41.1e6 {
		t.Errorf("p50_ns = %v; want 41ms", p50)
	}
	if e := got[0]["elapsed_ns"].(float64); e < 9e9 || e > 60e9 {
		t.Errorf("elapsed_ns = %v; want about 10 s", e)
	}
	if c := got[0]["extra"].(map[string]any)["connect-ns"]; c != 40.5e6 {
		t.Errorf("extra connect-ns = %v; want 4.05e7", c)
	}
	if got[1]["failed"] != "server exited: exit status 1" || got[1]["p50_ns"] != nil {
		t.Errorf("failed event %v; want the message on one line and no measurements", got[1])
	}
}

// fakeClock is a clock a test moves.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestTermProgress(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	var out bytes.Buffer
	width := 200
	p := newTermProgress(&out, func() int { return width }, clock.now)
	ms := time.Millisecond

	p.Event(Event{Type: EventStart, Time: clock.t, Total: 4, Cells: 2})
	if got := lastStatus(out.String()); !strings.HasPrefix(got, "[░░░░░░░░░░░░░░░░░░░░] 0/4 reps · 0/2 cells done · 0s") {
		t.Errorf("first status %q", got)
	}
	p.Event(Event{Type: EventBegin, N: 1, Total: 4, Cells: 2, Cell: "link=wan40/keepalive=off", Rep: 1})
	clock.t = clock.t.Add(10 * time.Second)
	fmt.Fprintln(p, "[1/4] link=wan40/keepalive=off rep 1: p50 81.6ms p99 82.0ms")
	p.Event(Event{Type: EventRep, N: 1, Total: 4, Cells: 2, Cell: "link=wan40/keepalive=off", Rep: 1, P50: int64(81600 * time.Microsecond), P99: int64(82 * ms)})
	p.Event(Event{Type: EventBegin, N: 2, Total: 4, Cells: 2, Cell: "link=wan40/keepalive=off", Rep: 2})

	s := out.String()
	if !strings.Contains(s, "\r\x1b[2K[1/4] link=wan40/keepalive=off rep 1: p50 81.6ms p99 82.0ms\n") {
		t.Errorf("the plain line is not written over a cleared status line:\n%q", s)
	}
	want := "[█████░░░░░░░░░░░░░░░] 1/4 reps · 0/2 cells done · ETA 30s · now link=wan40/keepalive=off rep 2 (last p50 81.6ms p99 82.0ms)"
	if got := lastStatus(s); got != want {
		t.Errorf("status:\ngot  %q\nwant %q", got, want)
	}

	clock.t = clock.t.Add(10 * time.Second)
	p.Event(Event{Type: EventRep, N: 2, Total: 4, Cells: 2, Cell: "link=wan40/keepalive=off", Rep: 2, Failed: "load agent: timed out"})
	want = "[██████████░░░░░░░░░░] 2/4 reps · 1/2 cells done · ETA 20s · last link=wan40/keepalive=off rep 2 (last FAILED)"
	if got := lastStatus(out.String()); got != want {
		t.Errorf("status:\ngot  %q\nwant %q", got, want)
	}

	width = 40
	p.Event(Event{Type: EventBegin, N: 3, Total: 4, Cells: 2, Cell: "link=lan/keepalive=on", Rep: 1})
	if got := lastStatus(out.String()); len([]rune(got)) != 39 || !strings.HasSuffix(got, "…") {
		t.Errorf("status on a 40-column terminal: %q (%d runes); want 39 ending in …", got, len([]rune(got)))
	}
	p.Close()
	if !strings.HasSuffix(out.String(), "\n") {
		t.Errorf("Close does not end the status line with a newline: %q", out.String())
	}
	n := out.Len()
	p.Event(Event{Type: EventRep, N: 3, Total: 4, Cells: 2, Cell: "link=lan/keepalive=on", Rep: 1})
	if out.Len() != n {
		t.Errorf("a closed display drew %q", out.String()[n:])
	}
}

// lastStatus returns the text after the last "clear line" sequence.
func lastStatus(s string) string {
	i := strings.LastIndex(s, "\x1b[2K")
	if i < 0 {
		return s
	}
	return strings.TrimSuffix(s[i+len("\x1b[2K"):], "\n")
}

// openPTY opens a pseudo-terminal pair: what a user's terminal is.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		testenv.Missing(t, "pseudo-terminals (/dev/ptmx): %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

func TestIsTerminal(t *testing.T) {
	_, pts := openPTY(t)
	if !IsTerminal(pts) {
		t.Errorf("IsTerminal(%s) = false; want true", pts.Name())
	}
	f, err := os.CreateTemp(t.TempDir(), "plain")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) {
		t.Errorf("IsTerminal(a regular file) = true; want false")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if IsTerminal(w) {
		t.Errorf("IsTerminal(a pipe) = true; want false")
	}
}
