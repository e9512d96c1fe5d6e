package scenarios

import (
	"fmt"
	"sort"
	"strings"
)

// MaxCells is the most cells a suite may have after only: and skip:. At
// six repetitions of a few seconds each, more would run for days.
const MaxCells = 10_000

// maxCombinations bounds the matrix before only: and skip:, which are
// applied by walking every combination.
const maxCombinations = 1_000_000

// Expand returns the suite's cells: every link crossed with every
// combination of knob values, in file order (the last knob varies fastest),
// less those that only: and skip: prune. The cells share their Link's Up and
// Down; treat them as read-only.
func (s *Suite) Expand() ([]Cell, error) {
	cells, e := s.expand(newKnobIndex(Knobs()))
	if e != nil {
		return nil, e
	}
	return cells, nil
}

// expand is Expand with the knob table given. Its error names a key path but
// no line: for a parsed suite the parser adds the line.
func (s *Suite) expand(ix knobIndex) ([]Cell, *Error) {
	file := s.File
	if file == "" {
		file = "suite " + s.Name
	}
	fail := func(path, format string, args ...any) ([]Cell, *Error) {
		return nil, &Error{File: file, Path: path, Msg: fmt.Sprintf(format, args...)}
	}
	if len(s.Links) == 0 {
		return fail("links", "no links; give at least one, e.g. [{name: lan, rtt: 2ms}]")
	}
	seen := make(map[string]bool)
	for i, l := range s.Links {
		if l.Name == "" || seen[l.Name] {
			return fail(index("links", i)+".name", "%q is empty or given twice; give each link its own name", l.Name)
		}
		seen[l.Name] = true
	}
	if len(s.Matrix) == 0 {
		return fail("matrix", "no knobs; give at least one, e.g. keepalive: [on, off]")
	}
	seen = map[string]bool{"link": true}
	for _, k := range s.Matrix {
		path := join("matrix", k.Name)
		info, ok := ix.lookup(k.Name)
		switch {
		case seen[k.Name]:
			return fail(path, "%s is reserved or given twice; give each knob once", k.Name)
		case !ok:
			return fail(path, "%s", ix.unknown(k.Name))
		case len(k.Values) == 0:
			return fail(path, "no values; give at least one of %s", info.Allowed())
		}
		seen[k.Name] = true
		vals := make(map[string]bool)
		for i, v := range k.Values {
			c, err := info.Canonical(v)
			switch {
			case err != nil:
				return fail(index(path, i), "%v", err)
			case c != v:
				return fail(index(path, i), "%q is spelled %q by the runner; give %q", v, c, c)
			case vals[v]:
				return fail(index(path, i), "%s is listed twice; remove one", v)
			}
			vals[v] = true
		}
	}
	if msg := s.loadProblem(); msg != "" {
		return fail("load", "%s", msg)
	}
	for _, pr := range []struct {
		key  string
		list []map[string]string
	}{{"only", s.Only}, {"skip", s.Skip}} {
		for i, m := range pr.list {
			if err := s.checkSelector(m); err != "" {
				return fail(index(pr.key, i), "%s", err)
			}
		}
	}

	total := len(s.Links)
	product := []string{"1 link"}
	if len(s.Links) > 1 {
		product[0] = fmt.Sprintf("%d links", len(s.Links))
	}
	for _, k := range s.Matrix {
		total = min(total*len(k.Values), maxCombinations+1)
		product = append(product, fmt.Sprintf("%d %s", len(k.Values), k.Name))
	}
	if total > maxCombinations {
		return fail("matrix", "%s make over %d combinations, more than this machine can ever run; remove values or links (a suite may have %d cells)",
			strings.Join(product, " × "), maxCombinations, MaxCells)
	}

	var cells []Cell
	idx := make([]int, len(s.Matrix)) // the odometer over knob values
	for _, l := range s.Links {
		for {
			c := Cell{Link: l, Knobs: make([]Setting, len(s.Matrix))}
			for i, k := range s.Matrix {
				c.Knobs[i] = Setting{Name: k.Name, Value: k.Values[idx[i]]}
			}
			if s.keeps(c) {
				if path, msg := s.transportProblem(c); msg != "" {
					return fail(path, "%s", msg)
				}
				if path, msg := s.apiProblem(c); msg != "" {
					return fail(path, "%s", msg)
				}
				if len(cells) == MaxCells {
					return fail("matrix", "%s make more than %d cells after only: and skip:; remove values or links, or prune with only: or skip:",
						strings.Join(product, " × "), MaxCells)
				}
				cells = append(cells, c)
			}
			if !next(idx, s.Matrix) {
				break
			}
		}
	}
	if len(cells) == 0 {
		key := "only"
		if len(s.Skip) > 0 {
			key = "skip"
		}
		return fail(key, "only: and skip: leave no cell to measure; loosen them")
	}
	return cells, nil
}

// next advances the odometer, the last knob fastest, and reports whether it
// did not wrap around.
func next(idx []int, matrix []Knob) bool {
	for i := len(idx) - 1; i >= 0; i-- {
		idx[i]++
		if idx[i] < len(matrix[i].Values) {
			return true
		}
		idx[i] = 0
	}
	return false
}

// keeps reports whether only: and skip: let c through.
func (s *Suite) keeps(c Cell) bool {
	if len(s.Only) > 0 {
		kept := false
		for _, m := range s.Only {
			if matches(c, m) {
				kept = true
				break
			}
		}
		if !kept {
			return false
		}
	}
	for _, m := range s.Skip {
		if matches(c, m) {
			return false
		}
	}
	return true
}

// matches reports whether c has every value that sel names.
func matches(c Cell, sel map[string]string) bool {
	for k, v := range sel {
		if got, ok := c.Get(k); !ok || got != v {
			return false
		}
	}
	return true
}

// checkSelector explains why a partial cell names a key or value that no
// cell has, or returns "".
func (s *Suite) checkSelector(sel map[string]string) string {
	if len(sel) == 0 {
		return "empty; it would match every cell; give knob=value pairs"
	}
	for _, k := range sortedKeys(sel) {
		if msg := s.checkPair(k, sel[k]); msg != "" {
			return k + "=" + sel[k] + ": " + msg
		}
	}
	return ""
}

// checkPair explains why no cell has value v for key k, or returns "".
func (s *Suite) checkPair(k, v string) string {
	if k == "link" {
		if !hasLink(s.Links, v) {
			return fmt.Sprintf("no link is named %q; links: %s", v, strings.Join(linkNames(s.Links), ", "))
		}
		return ""
	}
	knob, ok := findKnob(s.Matrix, k)
	if !ok {
		return fmt.Sprintf("%s is not in the matrix; keys: %s", k, strings.Join(append([]string{"link"}, knobNames(s.Matrix)...), ", "))
	}
	if !contains(knob.Values, v) {
		return fmt.Sprintf("%q is not among the matrix's values for %s; give one of %s", v, k, strings.Join(knob.Values, ", "))
	}
	return ""
}

// ParseSelector parses a selector as the command line writes it,
// "link=wan40,keepalive=off", into knob → value.
func ParseSelector(s string) (map[string]string, error) {
	const format = "write key=value pairs separated by commas, e.g. link=wan40,keepalive=off"
	sel := make(map[string]string)
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("selector: empty; %s", format)
	}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(part, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case !ok || k == "" || v == "" || strings.Contains(v, "="):
			return nil, fmt.Errorf("selector %q: %q is not key=value; %s", s, part, format)
		case sel[k] != "":
			return nil, fmt.Errorf("selector %q: %s is given twice; a cell has one value per key, so give it once", s, k)
		}
		sel[k] = v
	}
	return sel, nil
}

// Filter returns the suite's cells that have every value sel names. A key
// that is neither link nor a matrix knob, a value the suite does not list,
// or a selector that leaves no cell is an error.
func (s *Suite) Filter(sel map[string]string) ([]Cell, error) {
	cells, err := s.Expand()
	if err != nil {
		return nil, err
	}
	if len(sel) == 0 {
		return cells, nil
	}
	canon := make(map[string]string, len(sel))
	ix := newKnobIndex(Knobs())
	for k, v := range sel {
		if info, ok := ix.lookup(k); ok {
			if c, err := info.Canonical(v); err == nil {
				v = c
			}
		}
		canon[k] = v
	}
	if msg := s.checkSelector(canon); msg != "" {
		return nil, fmt.Errorf("selector %s: %s", formatSelector(sel), msg)
	}
	var out []Cell
	for _, c := range cells {
		if matches(c, canon) {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("selector %s: no cell has all these values, because only: or skip: in %s prune them; give another combination", formatSelector(sel), s.File)
	}
	return out, nil
}

// formatSelector writes sel as ParseSelector reads it, keys sorted.
func formatSelector(sel map[string]string) string {
	var parts []string
	for _, k := range sortedKeys(sel) {
		parts = append(parts, k+"="+sel[k])
	}
	return strings.Join(parts, ",")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func findKnob(matrix []Knob, name string) (Knob, bool) {
	for _, k := range matrix {
		if k.Name == name {
			return k, true
		}
	}
	return Knob{}, false
}

func knobNames(matrix []Knob) []string {
	names := make([]string, len(matrix))
	for i, k := range matrix {
		names[i] = k.Name
	}
	return names
}

// loadProblem explains why the matrix's load knobs and the suite's load
// disagree, or returns "": a cell has one load model.
func (s *Suite) loadProblem() string {
	_, rate := findKnob(s.Matrix, KnobRate)
	_, conns := findKnob(s.Matrix, KnobConnections)
	switch {
	case rate && conns:
		return "the matrix has both rate and connections, and a cell has one load model; keep one of them as a knob"
	case (rate || conns) && (s.Load.Search != nil || s.Load.Burst != nil):
		return fmt.Sprintf("the matrix knob rate or connections gives every cell its load, so load's %s would never run; remove one", s.Load.Model())
	}
	return ""
}
