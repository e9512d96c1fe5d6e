package scenarios

import (
	"fmt"
	"strings"
	"testing"
)

// testKnobs stands in for knobs the runner does not apply yet, so that the
// matrix logic can be tested with more than one knob.
func testKnobs(n, values int) []KnobInfo {
	knobs := []KnobInfo{{Name: "keepalive", Values: []string{"on", "off"}}}
	for i := range n {
		knobs = append(knobs, KnobInfo{Name: fmt.Sprintf("k%d", i), Min: 1, Max: values})
	}
	return knobs
}

// matrixYAML is a suite with the given links and a matrix of n integer
// knobs k0..k{n-1} with values 1..values each.
func matrixYAML(links, n, values int, extra string) string {
	var b strings.Builder
	b.WriteString("suite: big\nlinks:\n")
	for i := range links {
		fmt.Fprintf(&b, "  - {name: l%d}\n", i)
	}
	b.WriteString("matrix:\n")
	for i := range n {
		var vals []string
		for v := 1; v <= values; v++ {
			vals = append(vals, fmt.Sprint(v))
		}
		fmt.Fprintf(&b, "  k%d: [%s]\n", i, strings.Join(vals, ", "))
	}
	b.WriteString("load: {rate: 1, duration: 1s}\n")
	b.WriteString(extra)
	return b.String()
}

func names(cells []Cell) string {
	var out []string
	for _, c := range cells {
		out = append(out, c.Name())
	}
	return strings.Join(out, " ")
}

func TestExpand(t *testing.T) {
	const two = `suite: t
links: [{name: lan}, {name: wan, rtt: 40ms}]
matrix:
  k0: [1, 2]
  keepalive: [on, off]
load: {rate: 1, duration: 1s}
`
	tests := []struct {
		name, extra string
		want        string
	}{
		{"all", "", "link=lan/k0=1/keepalive=on link=lan/k0=1/keepalive=off link=lan/k0=2/keepalive=on link=lan/k0=2/keepalive=off " +
			"link=wan/k0=1/keepalive=on link=wan/k0=1/keepalive=off link=wan/k0=2/keepalive=on link=wan/k0=2/keepalive=off"},
		{"only a link", "only: [{link: wan}]", "link=wan/k0=1/keepalive=on link=wan/k0=1/keepalive=off link=wan/k0=2/keepalive=on link=wan/k0=2/keepalive=off"},
		{"only two entries", "only: [{link: lan, k0: 1}, {keepalive: off, k0: 2}]", "link=lan/k0=1/keepalive=on link=lan/k0=1/keepalive=off link=lan/k0=2/keepalive=off link=wan/k0=2/keepalive=off"},
		{"skip", "skip: [{keepalive: off}, {link: wan, k0: 1}]", "link=lan/k0=1/keepalive=on link=lan/k0=2/keepalive=on link=wan/k0=2/keepalive=on"},
		{"only then skip", "only: [{link: lan}]\nskip: [{keepalive: true}]", "link=lan/k0=1/keepalive=off link=lan/k0=2/keepalive=off"},
		{"only one entry as a mapping", "only: {k0: 2, keepalive: on}", "link=lan/k0=2/keepalive=on link=wan/k0=2/keepalive=on"},
		{"integer values canonical", "only: [{k0: 02, link: lan, keepalive: on}]", "link=lan/k0=2/keepalive=on"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := parse("t.yaml", []byte(two+tt.extra+"\n"), testKnobs(1, 2))
			if err != nil {
				t.Fatal(err)
			}
			cells, e := s.expand(newKnobIndex(testKnobs(1, 2)))
			if e != nil {
				t.Fatal(e)
			}
			if got := names(cells); got != tt.want {
				t.Errorf("got cells\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestExpandSize(t *testing.T) {
	tests := []struct {
		name                 string
		links, knobs, values int
		extra                string
		wantCells            int
		wantErr              string
	}{
		{"one cell", 1, 1, 1, "", 1, ""},
		{"at the cap", 1, 4, 10, "", MaxCells, ""},
		{"pruned to the cap", 1, 5, 10, "only: [{k0: 1}]", MaxCells, ""},
		{"over the cap", 2, 4, 10, "", 0, "t.yaml:5: matrix: 2 links × 10 k0 × 10 k1 × 10 k2 × 10 k3 make more than 10000 cells after only: and skip:"},
		{"a million cells", 1, 6, 10, "", 0, "t.yaml:4: matrix: 1 link × 10 k0 × 10 k1 × 10 k2 × 10 k3 × 10 k4 × 10 k5 make more than 10000 cells"},
		{"past enumerating", 2, 6, 10, "", 0, "t.yaml:5: matrix: 2 links × 10 k0 × 10 k1 × 10 k2 × 10 k3 × 10 k4 × 10 k5 make over 1000000 combinations"},
		{"past overflow", 1, 30, 100, "", 0, "make over 1000000 combinations"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			knobs := testKnobs(tt.knobs, tt.values)
			s, err := parse("t.yaml", []byte(matrixYAML(tt.links, tt.knobs, tt.values, tt.extra)), knobs)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v; want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			cells, e := s.expand(newKnobIndex(knobs))
			if e != nil {
				t.Fatal(e)
			}
			if len(cells) != tt.wantCells {
				t.Errorf("got %d cells; want %d", len(cells), tt.wantCells)
			}
		})
	}
}

// TestExpandBuilt checks the suites that code builds without Parse.
func TestExpandBuilt(t *testing.T) {
	lan := Link{Name: "lan"}
	ka := Knob{Name: "keepalive", Values: []string{"on", "off"}}
	tests := []struct {
		name    string
		s       Suite
		want    int
		wantErr string
	}{
		{"valid", Suite{Links: []Link{lan}, Matrix: []Knob{ka}}, 2, ""},
		{"skip", Suite{Links: []Link{lan}, Matrix: []Knob{ka}, Skip: []map[string]string{{"keepalive": "on"}}}, 1, ""},
		{"no links", Suite{File: "x.yaml", Matrix: []Knob{ka}}, 0, "x.yaml: links: no links"},
		{"no name", Suite{Name: "t", Links: []Link{{}}, Matrix: []Knob{ka}}, 0, `suite t: links[0].name: "" is empty or given twice`},
		{"twice", Suite{Links: []Link{lan, lan}, Matrix: []Knob{ka}}, 0, `links[1].name: "lan" is empty or given twice`},
		{"no matrix", Suite{Links: []Link{lan}}, 0, "matrix: no knobs"},
		{"unknown knob", Suite{Links: []Link{lan}, Matrix: []Knob{{Name: "tso", Values: []string{"on"}}}}, 0, "matrix.tso: unknown knob; did you mean tfo? known knobs: keepalive, tfo, cc, initcwnd, initrwnd, codec, tls, http, "},
		{"knob twice", Suite{Links: []Link{lan}, Matrix: []Knob{ka, ka}}, 0, "matrix.keepalive: keepalive is reserved or given twice"},
		{"no values", Suite{Links: []Link{lan}, Matrix: []Knob{{Name: "keepalive"}}}, 0, "matrix.keepalive: no values"},
		{"not canonical", Suite{Links: []Link{lan}, Matrix: []Knob{{Name: "keepalive", Values: []string{"true"}}}}, 0, `matrix.keepalive[0]: "true" is spelled "on" by the runner`},
		{"value twice", Suite{Links: []Link{lan}, Matrix: []Knob{{Name: "keepalive", Values: []string{"on", "on"}}}}, 0, "matrix.keepalive[1]: on is listed twice"},
		{"bad only", Suite{Links: []Link{lan}, Matrix: []Knob{ka}, Only: []map[string]string{{"link": "wan"}}}, 0, `only[0]: link=wan: no link is named "wan"`},
		{"empty skip", Suite{Links: []Link{lan}, Matrix: []Knob{ka}, Skip: []map[string]string{{}}}, 0, "skip[0]: empty"},
		{"nothing left", Suite{Links: []Link{lan}, Matrix: []Knob{ka}, Skip: []map[string]string{{"link": "lan"}}}, 0, "skip: only: and skip: leave no cell"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cells, err := tt.s.Expand()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v; want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(cells) != tt.want {
				t.Errorf("got %d cells; want %d", len(cells), tt.want)
			}
		})
	}
}

func TestCell(t *testing.T) {
	c := Cell{Link: Link{Name: "wan40"}, Knobs: []Setting{{"keepalive", "off"}, {"tfo", "on"}}}
	tests := []struct {
		key, want string
		ok        bool
	}{
		{"link", "wan40", true},
		{"keepalive", "off", true},
		{"tfo", "on", true},
		{"cc", "", false},
	}
	for _, tt := range tests {
		if got, ok := c.Get(tt.key); got != tt.want || ok != tt.ok {
			t.Errorf("Get(%q): got %q, %v; want %q, %v", tt.key, got, ok, tt.want, tt.ok)
		}
	}
	if got, want := c.Name(), "link=wan40/keepalive=off/tfo=on"; got != want {
		t.Errorf("Name: got %q; want %q", got, want)
	}
}

func TestBenchName(t *testing.T) {
	tests := []struct{ name, want string }{
		{"handshake", "BenchmarkHandshake"},
		{"Quick", "BenchmarkQuick"},
		{"x", "BenchmarkX"},
		{"", "Benchmark"},
	}
	for _, tt := range tests {
		s := Suite{Name: tt.name}
		if got := s.BenchName(); got != tt.want {
			t.Errorf("BenchName of %q: got %q; want %q", tt.name, got, tt.want)
		}
	}
}

func TestParseSelector(t *testing.T) {
	tests := []struct {
		in, want, wantErr string
	}{
		{"link=wan40", "link=wan40", ""},
		{"link=wan40,keepalive=off", "keepalive=off,link=wan40", ""},
		{" link = lan , keepalive=on ", "keepalive=on,link=lan", ""},
		{"", "", "selector: empty; write key=value pairs separated by commas, e.g. link=wan40,keepalive=off"},
		{"wan40", "", `selector "wan40": "wan40" is not key=value; write key=value pairs`},
		{"link=", "", `"link=" is not key=value`},
		{"=lan", "", `"=lan" is not key=value`},
		{"link=a=b", "", `"link=a=b" is not key=value`},
		{"link=a,,keepalive=on", "", `"" is not key=value`},
		{"link=a,link=b", "", "link is given twice"},
	}
	for _, tt := range tests {
		sel, err := ParseSelector(tt.in)
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseSelector(%q): got error %v; want one containing %q", tt.in, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("ParseSelector(%q): got error %v; want %s", tt.in, err, tt.want)
		case formatSelector(sel) != tt.want:
			t.Errorf("ParseSelector(%q): got %s; want %s", tt.in, formatSelector(sel), tt.want)
		}
	}
}

func TestFilter(t *testing.T) {
	data := `suite: t
links: [{name: lan}, {name: wan40, rtt: 40ms}]
matrix: {keepalive: [on, off]}
skip: [{link: lan, keepalive: off}]
load: {rate: 1, duration: 1s}
`
	s, err := Parse("t.yaml", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		sel, want, wantErr string
	}{
		{"link=wan40", "link=wan40/keepalive=on link=wan40/keepalive=off", ""},
		{"keepalive=off", "link=wan40/keepalive=off", ""},
		{"keepalive=false,link=wan40", "link=wan40/keepalive=off", ""},
		{"link=moon", "", `selector link=moon: link=moon: no link is named "moon"; links: lan, wan40`},
		{"tfo=on", "", "selector tfo=on: tfo=on: tfo is not in the matrix; keys: link, keepalive"},
		{"keepalive=maybe", "", `"maybe" is not among the matrix's values for keepalive; give one of on, off`},
		{"link=lan,keepalive=off", "", "selector keepalive=off,link=lan: no cell has all these values, because only: or skip: in t.yaml prune them"},
	}
	for _, tt := range tests {
		sel, err := ParseSelector(tt.sel)
		if err != nil {
			t.Fatal(err)
		}
		cells, err := s.Filter(sel)
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Filter(%s): got error %v; want one containing %q", tt.sel, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("Filter(%s): got error %v; want %s", tt.sel, err, tt.want)
		case names(cells) != tt.want:
			t.Errorf("Filter(%s): got %s; want %s", tt.sel, names(cells), tt.want)
		}
	}
	all, err := s.Filter(nil)
	if err != nil || len(all) != 3 {
		t.Errorf("Filter(nil): got %d cells, %v; want 3 cells", len(all), err)
	}
}
