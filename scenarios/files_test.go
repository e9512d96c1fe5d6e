package scenarios

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSuiteFiles checks that every suite shipped in this folder parses and
// expands.
func TestSuiteFiles(t *testing.T) {
	files, err := filepath.Glob("*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("got no *.yaml files; want the shipped suites")
	}
	for _, f := range files {
		s, err := LoadFile(f)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		cells, err := s.Expand()
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if s.File != f || len(cells) == 0 {
			t.Errorf("%s: got File %q and %d cells; want %q and some", f, s.File, len(cells), f)
		}
	}
}

// TestQuickBudget keeps the default suite of `make run` near two minutes.
func TestQuickBudget(t *testing.T) {
	s, err := LoadFile("quick.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cells, err := s.Expand()
	if err != nil {
		t.Fatal(err)
	}
	if est := s.Estimate(len(cells)); est > 2*time.Minute {
		t.Errorf("quick.yaml measures for %v; want at most 2m", est)
	}
	if s.Load.Count < DefaultCount {
		t.Errorf("quick.yaml count: got %d; want at least %d for benchstat", s.Load.Count, DefaultCount)
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, make([]byte, 2*MaxFileSize), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ path, want string }{
		{filepath.Join(dir, "missing.yaml"), "scenarios: open " + filepath.Join(dir, "missing.yaml") + ": no such file or directory; give the path of a suite file"},
		{big, big + ":1: file is 2097152 bytes, over the 1048576-byte limit"},
		{dir, "is a directory"},
	}
	for _, tt := range tests {
		_, err := LoadFile(tt.path)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("LoadFile(%s): got %v; want an error containing %q", tt.path, err, tt.want)
		}
	}
}

// FuzzParse checks that no input makes Parse panic, and that whatever
// Parse accepts also expands.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("*.yaml")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(base))
	f.Add([]byte("suite: t\nlinks: [{name: a, rtt: 30ms, rate: 20mbit, up: {rate: 1mbit}, down: {loss: 0.5%}}]\nmatrix: {keepalive: [true]}\nload: {rate: 1, duration: 1s}\nonly: [{link: a}]\n"))
	f.Add([]byte("suite: t\nlinks: [{name: a}]\nrequests:\n  - {name: l, path: \"/orders?items=2\", weight: 3, headers: {X-A: b}}\n  - {name: c, method: POST, path: /orders, body_orders: 2}\n  - {name: r, method: PUT, path: /x, body: \"@payload.json\"}\nmatrix: {codec: [json, protobuf]}\nload: {search: {p99: 100ms, max_rate: 5000, errors: 1%}, duration: 1s}\n"))
	f.Add([]byte("suite: t\nlinks: [{name: a}]\ntargets: targets.txt\nmatrix: {rate: [100, 400, 1600]}\nload: {duration: 1s}\n"))
	f.Add([]byte("suite: t\nlinks: [{name: a}]\nmatrix: {connections: [1, 8], keepalive: [on]}\nload: {think: 10ms, duration: 1s}\n"))
	f.Add([]byte("suite: t\nlinks: [{name: a}]\nmatrix: {keepalive: [off]}\nload: {burst: {connections: 200, every: 2s}, duration: 4s}\n"))
	f.Add([]byte("suite: t\nlinks: [{name: a}]\nmatrix: {keepalive: [on]}\nload: {connections: 8, think: 1ms, duration: 1s}\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("x: &x {a: 1}\ny:\n  <<: *x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("f.yaml", data)
		if err != nil {
			return
		}
		cells, err := s.Expand()
		if err != nil {
			t.Errorf("Parse accepted a suite that Expand refuses: %v", err)
		}
		if len(s.Requests) == 0 {
			t.Errorf("Parse accepted a suite with no requests")
		}
		for _, c := range cells {
			if l := s.CellLoad(c); !l.valid() {
				t.Errorf("cell %s: load %+v has no single model", c.Name(), l)
			}
		}
		for _, l := range s.Links {
			_ = l.String()
		}
	})
}

// TestDocExamples checks that the manual's examples are suites (or parts of
// one) that parse.
func TestDocExamples(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	// Collect the indented blocks of the package comment.
	var blocks []string
	var cur []string
	for _, line := range strings.Split(string(src), "\n") {
		if code, ok := strings.CutPrefix(line, "//\t"); ok {
			cur = append(cur, code)
			continue
		}
		if len(cur) > 0 {
			blocks = append(blocks, strings.Join(cur, "\n")+"\n")
			cur = nil
		}
	}
	// The examples' body files, next to the "suite".
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "payload.json"), []byte(`{"a":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	parsed := 0
	for _, b := range blocks {
		var data string
		switch {
		case strings.HasPrefix(b, "suite:"):
			data = b
		case strings.HasPrefix(b, "links:"):
			data = "suite: t\n" + b + "matrix: {keepalive: [on, off]}\nload: {rate: 1, duration: 1s}\n"
		case strings.HasPrefix(b, "only:"):
			data = blocks[0] + b
		case strings.HasPrefix(b, "requests:"):
			data = "suite: t\nlinks: [{name: lan}]\n" + b + "matrix: {keepalive: [on]}\nload: {rate: 1, duration: 1s}\n"
		case strings.HasPrefix(b, "load:"):
			data = "suite: t\nlinks: [{name: lan}]\nmatrix: {keepalive: [on]}\n" + b
		default:
			continue
		}
		parsed++
		s, err := Parse(filepath.Join(dir, "doc.go"), []byte(data))
		if err != nil {
			t.Errorf("example\n%s\ngot error %v; want none", b, err)
			continue
		}
		want := map[bool]string{
			true:  "link=lan/keepalive=on link=wan40/keepalive=on",
			false: "link=lan/keepalive=on link=lan/keepalive=off link=wan40/keepalive=on link=wan40/keepalive=off",
		}[strings.HasPrefix(b, "only:")]
		if b == blocks[0] || strings.HasPrefix(b, "only:") {
			if cells, err := s.Expand(); err != nil || names(cells) != want {
				t.Errorf("example\n%s\ngot cells %s, %v; want %s as the manual says", b, names(cells), err, want)
			}
		}
	}
	if parsed < 9 {
		t.Errorf("got %d examples in doc.go; want the suite, link, pruning, requests, matrix and load examples", parsed)
	}
}

// valid reports whether l has exactly one model, with its parameters in
// range.
func (l Load) valid() bool {
	n := 0
	for _, set := range []bool{l.Rate > 0, l.Connections > 0, l.Search != nil, l.Burst != nil} {
		if set {
			n++
		}
	}
	switch {
	case n != 1:
		return false
	case l.Search != nil:
		return l.Search.Metric != "" && l.Search.Max > 0 && l.Search.MaxRate > 0
	case l.Burst != nil:
		return l.Burst.Connections > 0 && l.Burst.Every > 0
	}
	return l.Rate <= MaxRate && l.Connections <= MaxConnections
}
