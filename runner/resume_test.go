package runner

import (
	"strconv"
	"strings"
	"testing"

	"github.com/tunebench/tunebench/netem"
	"github.com/tunebench/tunebench/results"
)

// TestCheckResume: the repetitions a file holds, result and failure lines
// alike, are present; a file of another configuration, with a cell this
// run does not measure, a repetition out of range or one given twice is
// refused with the line.
func TestCheckResume(t *testing.T) {
	s := parseSuite(t, `
suite: res
links: [{name: lan, rtt: 2ms}]
matrix: {keepalive: [on, off]}
load: {rate: 20, duration: 1s, count: 3}
`)
	cells, err := s.Expand()
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Suite: s, Cells: cells, Exe: "tunebench", Results: &strings.Builder{}, Seed: 5}
	r, count, err := newRun(o)
	if err != nil {
		t.Fatal(err)
	}
	choice := netem.Choice{Backend: "tun", Reason: "asked for"}
	cfg := header(r.o, count, 5, choice, machine{Kernel: "k", CPU: "c", CC: "cubic"})
	var hdr strings.Builder
	for _, c := range cfg {
		hdr.WriteString(c.Key + ": " + c.Value + "\n")
	}
	hdr.WriteString("\n")
	const on, off = "BenchmarkRes/link=lan/keepalive=on", "BenchmarkRes/link=lan/keepalive=off"
	line := func(name string) string { return name + " 20 1000 p50-ns\n" }
	read := func(body string) *results.File {
		t.Helper()
		f, err := results.Read("r.txt", strings.NewReader(hdr.String()+body))
		if err != nil {
			t.Fatal(err)
		}
		return f
	}

	fail := func(name string, rep int) string {
		return "--- FAIL: " + name + " rep=" + strconv.Itoa(rep) + ": server crashed\n"
	}
	// on rep 1, off rep 1 failed, on rep 2; off rep 2 and both reps 3 are
	// missing.
	f := read(line(on) + fail(off, 1) + line(on))
	done, err := r.checkResume(f, cfg, count)
	if err != nil {
		t.Fatalf("checkResume: %v", err)
	}
	want := map[slot]bool{{Cell: 0, Rep: 1}: true, {Cell: 0, Rep: 2}: true, {Cell: 1, Rep: 1}: true}
	if cells[0].Name() != "link=lan/keepalive=on" {
		want = map[slot]bool{{Cell: 1, Rep: 1}: true, {Cell: 1, Rep: 2}: true, {Cell: 0, Rep: 1}: true}
	}
	if len(done) != len(want) {
		t.Errorf("got present %v; want %v", done, want)
	}
	for k := range want {
		if !done[k] {
			t.Errorf("%+v not present; want it (the failure line counts)", k)
		}
	}

	for _, tt := range []struct{ name, body, want string }{
		{"four reps of three", line(on) + line(on) + line(on) + line(on), "r.txt:" + strconv.Itoa(strings.Count(hdr.String(), "\n")+4) + ": link=lan/keepalive=on repetition 4 is outside 1..3"},
		{"a failure twice", fail(off, 1) + fail(off, 1), "link=lan/keepalive=off repetition 1 is in the file twice"},
		{"another cell", line("BenchmarkRes/link=lan/keepalive=maybe"), "cell link=lan/keepalive=maybe is not among the cells this run measures"},
	} {
		if _, err := r.checkResume(read(tt.body), cfg, count); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v; want %q", tt.name, err, tt.want)
		}
	}

	other := append([]results.Config(nil), cfg...)
	for i := range other {
		if other[i].Key == "kernel" {
			other[i].Value = "k2"
		}
	}
	if _, err := r.checkResume(read(line(on)), other, count); err == nil || !strings.Contains(err.Error(), `kernel: file "k", now "k2"`) {
		t.Errorf("another kernel: got %v; want the difference named", err)
	}
}

// TestCheckResumeMix: a mix writes a line per request; a repetition is
// present once any of its lines is, and a request's line given twice is
// refused.
func TestCheckResumeMix(t *testing.T) {
	s := parseSuite(t, `
suite: res
links: [{name: lan, rtt: 2ms}]
requests:
  - {name: list, path: /orders}
  - {name: create, method: POST, path: /orders, body_orders: 1}
matrix: {keepalive: [on]}
load: {rate: 20, duration: 1s, count: 2}
`)
	cells, err := s.Expand()
	if err != nil {
		t.Fatal(err)
	}
	r, count, err := newRun(Options{Suite: s, Cells: cells, Exe: "tunebench", Results: &strings.Builder{}, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	cfg := header(r.o, count, 5, netem.Choice{Backend: "tun", Reason: "asked for"}, machine{Kernel: "k", CPU: "c", CC: "cubic"})
	var hdr strings.Builder
	for _, c := range cfg {
		hdr.WriteString(c.Key + ": " + c.Value + "\n")
	}
	hdr.WriteString("\n")
	const list, create = "BenchmarkRes/link=lan/keepalive=on/req=list", "BenchmarkRes/link=lan/keepalive=on/req=create"
	line := func(name string) string { return name + " 20 1000 p50-ns\n" }
	f, err := results.Read("r.txt", strings.NewReader(hdr.String()+line(list)+line(create)+line(list)))
	if err != nil {
		t.Fatal(err)
	}
	done, err := r.checkResume(f, cfg, count)
	if err != nil {
		t.Fatalf("checkResume: %v", err)
	}
	if len(done) != 2 || !done[slot{Cell: 0, Rep: 1}] || !done[slot{Cell: 0, Rep: 2}] {
		t.Errorf("done = %v; want reps 1 and 2 of the one cell", done)
	}
	f, err = results.Read("r.txt", strings.NewReader(hdr.String()+line(list)+line(list)+line(list)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.checkResume(f, cfg, count); err == nil || !strings.Contains(err.Error(), "repetition 3 is outside 1..2") {
		t.Errorf("three list lines of two repetitions: got %v; want refused", err)
	}
}
