package scenarios

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// resolve follows an alias (*name) to the node it stands for. The result
// keeps the alias's position, so that a problem is reported where the value
// is used.
func resolve(n *yaml.Node) *yaml.Node {
	if n.Kind != yaml.AliasNode {
		return n
	}
	target := n.Alias
	for i := 0; i < 16 && target != nil && target.Kind == yaml.AliasNode; i++ {
		target = target.Alias
	}
	if target == nil || target.Kind == yaml.AliasNode {
		return n
	}
	c := *target
	c.Line, c.Column = n.Line, n.Column
	return &c
}

// describe names the kind of a node for "got X; give Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "nothing"
		case "!!bool":
			return "true/false"
		case "!!int", "!!float":
			return "the number " + n.Value
		}
		return strconv.Quote(n.Value)
	}
	return "an alias"
}

// join extends a key path: join("links[1]", "loss") = "links[1].loss".
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// entry is one key and its value in a mapping, aliases resolved.
type entry struct {
	key  string
	k, v *yaml.Node
}

// entries returns a mapping's entries in file order, refusing keys that
// are not names and keys given twice (yaml.v3 keeps both in a Node).
func (p *parser) entries(n *yaml.Node, path, want string) ([]entry, bool) {
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, path, "got %s; give %s", describe(n), want)
		return nil, false
	}
	first := make(map[string]int)
	var out []entry
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		switch {
		case k.Kind != yaml.ScalarNode || k.ShortTag() == "!!null":
			p.add(k.Line, path, "a key is %s; keys are plain names", describe(k))
			continue
		case k.ShortTag() == "!!merge":
			p.add(k.Line, join(path, "<<"), "merge keys are not supported; write the keys out")
			continue
		}
		if line, dup := first[k.Value]; dup {
			p.add(k.Line, join(path, k.Value), "given twice (first at line %d); remove one", line)
			continue
		}
		first[k.Value] = k.Line
		out = append(out, entry{key: k.Value, k: k, v: v})
	}
	return out, true
}

// fields returns a mapping's entries by key, refusing keys not in known.
// hints explain keys that users plausibly write in the wrong place.
func (p *parser) fields(n *yaml.Node, path, want string, known []string, hints map[string]string) (map[string]entry, bool) {
	es, ok := p.entries(n, path, want)
	if !ok {
		return nil, false
	}
	fs := make(map[string]entry, len(es))
	for _, e := range es {
		if !contains(known, e.key) {
			msg := "unknown key; "
			if h := hints[e.key]; h != "" {
				msg += h + "; "
			} else if s := suggest(e.key, known); s != "" {
				msg += "did you mean " + s + "? "
			}
			p.add(e.k.Line, join(path, e.key), "%sknown keys: %s", msg, strings.Join(known, ", "))
			continue
		}
		fs[e.key] = e
	}
	return fs, true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// suggest returns the candidate closest to s if it is close enough to be a
// likely typo, or "": one edit away for short names, two for longer ones.
func suggest(s string, candidates []string) string {
	s = strings.ToLower(s)
	best, bestDist := "", 3
	for _, c := range candidates {
		limit := 2
		if len(c) <= 4 {
			limit = 1
		}
		if d := editDistance(s, c); d <= limit && d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance counts the insertions, deletions, substitutions and swaps of
// neighbours that turn a into b (optimal string alignment distance).
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// scalar returns a single value, refusing lists, mappings and nothing.
func (p *parser) scalar(v *yaml.Node, path, want string) (string, bool) {
	if v.Kind != yaml.ScalarNode {
		p.add(v.Line, path, "got %s; give %s", describe(v), want)
		return "", false
	}
	if v.ShortTag() == "!!null" {
		p.add(v.Line, path, "no value; give %s, or remove the key", want)
		return "", false
	}
	return v.Value, true
}

// duration reads a duration from 0 (or from just over 0 if positive) to max.
func (p *parser) duration(v *yaml.Node, path string, positive bool, max time.Duration, why string) (time.Duration, bool) {
	s, ok := p.scalar(v, path, "a duration such as 40ms")
	if !ok {
		return 0, false
	}
	d, err := ParseDuration(s)
	switch {
	case err != nil:
		p.add(v.Line, path, "%v", err)
	case d < 0:
		p.add(v.Line, path, "%s is negative; give 0 or more", s)
	case d == 0 && positive:
		p.add(v.Line, path, "%s is not over 0; give a duration such as 5s", s)
	case d > max:
		p.add(v.Line, path, "%s is over %s; %s", s, formatDuration(max), why)
	default:
		return d, true
	}
	return 0, false
}

// integer reads a whole number from lo to hi.
func (p *parser) integer(v *yaml.Node, path string, lo, hi int64, want string) (int64, bool) {
	s, ok := p.scalar(v, path, want)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	switch {
	case err != nil:
		p.add(v.Line, path, "%q is not a whole number; give %s", s, want)
	case n < lo || n > hi:
		p.add(v.Line, path, "%d is out of range; give %s", n, want)
	default:
		return n, true
	}
	return 0, false
}

// boolean reads true or false; on and off are taken too, since YAML 1.1
// spelled booleans that way.
func (p *parser) boolean(v *yaml.Node, path string) (bool, bool) {
	s, ok := p.scalar(v, path, "true or false")
	if !ok {
		return false, false
	}
	switch strings.ToLower(s) {
	case "true", "on":
		return true, true
	case "false", "off":
		return false, true
	}
	p.add(v.Line, path, "%q is not true or false; give true or false", s)
	return false, false
}
