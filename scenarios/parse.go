package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// parser walks a suite's YAML nodes, so that every problem can name its
// line, and collects every problem rather than stopping at the first.
type parser struct {
	errs
	knobs knobIndex
	lines map[string]int // line of each top-level key, for later checks
}

// parse is Parse with the knob table given, so tests can use knobs that
// the runner does not apply yet.
func parse(filename string, data []byte, knobs []KnobInfo) (*Suite, error) {
	p := &parser{errs: errs{file: filename}, knobs: newKnobIndex(knobs), lines: make(map[string]int)}
	root := p.document(data)
	if root == nil {
		return nil, p.err()
	}
	s := p.suite(root)
	if p.count == 0 {
		// The matrix size and the effect of only: and skip: are known only
		// once the whole file is read.
		if _, e := s.expand(p.knobs); e != nil {
			top, _, _ := strings.Cut(e.Path, ".")
			top, _, _ = strings.Cut(top, "[")
			p.add(p.lines[top], e.Path, "%s", e.Msg)
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return s, nil
}

// document checks that data is one YAML document of text and returns its
// top-level mapping, or nil after recording why not.
func (p *parser) document(data []byte) *yaml.Node {
	if len(data) > MaxFileSize {
		p.count++
		p.list = append(p.list, tooBig(p.file, int64(len(data))))
		return nil
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		p.add(1, "", "not a text file: NUL byte at line %d; a suite is YAML text", lineAt(data, i))
		return nil
	}
	if !utf8.Valid(data) {
		i := 0
		for i < len(data) {
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			i += size
		}
		p.add(1, "", "not UTF-8 text: invalid byte at line %d; save the file as UTF-8", lineAt(data, i))
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := decode(dec, &doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.add(1, "", "empty file; a suite needs suite:, links:, matrix: and load: (see go doc github.com/tunebench/tunebench/scenarios)")
		} else {
			p.syntax(err, data)
		}
		return nil
	}
	var extra yaml.Node
	switch err := decode(dec, &extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		p.syntax(err, data)
		return nil
	default:
		p.add(extra.Line, "", "a second YAML document; a suite file holds one suite, so remove the --- line or split the file")
		return nil
	}
	if len(doc.Content) == 0 || doc.Content[0].ShortTag() == "!!null" {
		p.add(1, "", "empty file; a suite needs suite:, links:, matrix: and load: (see go doc github.com/tunebench/tunebench/scenarios)")
		return nil
	}
	root := resolve(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		p.add(root.Line, "", "the file holds %s; a suite is a mapping of keys: suite:, links:, matrix:, load:", describe(root))
		return nil
	}
	return root
}

// decode guards against a panic in the YAML library: a malformed file must
// come back as an error, never take down the program.
func decode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: cannot parse this file (%v)", r)
		}
	}()
	return dec.Decode(n)
}

// syntax records a YAML syntax error at the line yaml.v3 names.
func (p *parser) syntax(err error, data []byte) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, tail, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil {
				line, msg = n, tail
			}
		}
	}
	hint := "check the indentation and quoting of this line and the one before"
	if name, ok := strings.CutPrefix(msg, "unknown anchor '"); ok {
		// yaml.v3 names no line for the alias problems; find the use.
		name, _, _ = strings.Cut(name, "'")
		if i := bytes.Index(data, []byte("*"+name)); i >= 0 {
			line = lineAt(data, i)
		}
		hint = "define it with &" + name + " on an earlier value, or write the value out"
	}
	if name, ok := strings.CutPrefix(msg, "anchor '"); ok {
		name, _, _ = strings.Cut(name, "'")
		if i := bytes.Index(data, []byte("&"+name)); i >= 0 {
			line = lineAt(data, i)
		}
		hint = "an anchored value cannot contain its own alias"
	}
	switch msg {
	case "did not find expected key", "did not find expected node content",
		"did not find expected ',' or ']'", "did not find expected ',' or '}'",
		"did not find expected '-' indicator":
		// yaml.v3 names the 0-based line of the block or bracket that was
		// being parsed for these (parser) errors, and 1-based lines for the
		// others (scanner errors).
		line++
		hint = "check the indentation of the block that starts on this line, and that every [ and { is closed"
	}
	line = max(line, 1)
	if lines := bytes.Split(data, []byte("\n")); line <= len(lines) {
		text := lines[line-1]
		indent := text[:len(text)-len(bytes.TrimLeft(text, " \t"))]
		if bytes.IndexByte(indent, '\t') >= 0 {
			hint = "YAML indents with spaces, not tabs"
		}
	}
	p.add(line, "", "syntax error: %s; %s", msg, hint)
}

// lineAt is the 1-based line of byte offset i.
func lineAt(data []byte, i int) int {
	return bytes.Count(data[:i], []byte("\n")) + 1
}

// suite reads the top-level mapping.
func (p *parser) suite(root *yaml.Node) *Suite {
	s := &Suite{File: p.file}
	fs, _ := p.fields(root, "", "a mapping of suite keys",
		[]string{"suite", "description", "links", "server", "requests", "targets", "matrix", "only", "skip", "load", "gates", "sysctl"},
		map[string]string{
			"name":  "the suite's name goes under suite:",
			"link":  "links are listed under links:",
			"knobs": "knobs are listed under matrix:",
		})
	for k, e := range fs {
		p.lines[k] = e.k.Line
	}
	missing := func(key, how string) {
		p.add(root.Line, key, "missing; %s", how)
	}

	if e, ok := fs["suite"]; ok {
		s.Name = p.suiteName(e.v)
	} else {
		missing("suite", "name the suite, e.g. suite: handshake (its lines are then named BenchmarkHandshake)")
	}
	if e, ok := fs["description"]; ok {
		s.Description, _ = p.scalar(e.v, "description", "one line of text")
	}
	linksOK, matrixOK := false, false
	if e, ok := fs["links"]; ok {
		s.Links, linksOK = p.links(e.v)
	} else {
		missing("links", "list the network paths, e.g. links: [{name: lan, rtt: 2ms}]")
	}
	s.Server = Server{Endpoint: DefaultEndpoint}
	if e, ok := fs["server"]; ok {
		p.server(e.v, &s.Server)
	}
	s.Requests = p.mix(fs, &s.Server)
	if e, ok := fs["matrix"]; ok {
		s.Matrix, matrixOK = p.matrix(e.v)
	} else {
		missing("matrix", "give the knobs to compare, e.g. matrix: {keepalive: [on, off]}")
	}
	if e, ok := fs["load"]; ok {
		var keys []Knob
		if m, ok := fs["matrix"]; ok {
			keys = matrixKeys(m.v)
		}
		s.Load = p.load(e.v, keys)
	} else {
		missing("load", "give the load, e.g. load: {rate: 50, duration: 5s}")
	}
	for _, key := range []string{"only", "skip"} {
		e, ok := fs[key]
		if !ok {
			continue
		}
		list := p.prune(e.v, key, s, linksOK, matrixOK)
		if key == "only" {
			s.Only = list
		} else {
			s.Skip = list
		}
	}
	if e, ok := fs["gates"]; ok {
		s.Gates = p.gates(e.v, s, linksOK, matrixOK)
	}
	if e, ok := fs["sysctl"]; ok {
		s.Sysctl = p.sysctls(e.v)
	}
	return s
}

// matrixKeys returns the knob names of a matrix node with their lines,
// without values and without checking them (matrix does that).
func matrixKeys(v *yaml.Node) []Knob {
	v = resolve(v)
	if v.Kind != yaml.MappingNode {
		return nil
	}
	var keys []Knob
	for i := 0; i+1 < len(v.Content); i += 2 {
		if k := resolve(v.Content[i]); k.Kind == yaml.ScalarNode {
			keys = append(keys, Knob{Name: k.Value, Line: k.Line})
		}
	}
	return keys
}

// suiteName reads the suite's name, which becomes part of a Go benchmark
// name and so must be letters and digits.
func (p *parser) suiteName(v *yaml.Node) string {
	s, ok := p.scalar(v, "suite", "a name such as handshake")
	if !ok {
		return ""
	}
	valid := len(s) > 0 && len(s) <= 64
	for i, r := range s {
		letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !letter && (i == 0 || r < '0' || r > '9') {
			valid = false
		}
	}
	if !valid {
		p.add(v.Line, "suite", "%q is not a benchmark name; use up to 64 letters and digits, starting with a letter (e.g. handshake, which becomes BenchmarkHandshake)", s)
		return ""
	}
	return s
}

// links reads the list of links; names must be unique.
func (p *parser) links(v *yaml.Node) ([]Link, bool) {
	if v.Kind != yaml.SequenceNode {
		p.add(v.Line, "links", "got %s; give a list of links, e.g. [{name: lan, rtt: 2ms}]", describe(v))
		return nil, false
	}
	if len(v.Content) == 0 {
		p.add(v.Line, "links", "no links; give at least one, e.g. [{name: lan, rtt: 2ms}]")
		return nil, false
	}
	allOK := true
	first := make(map[string]int)
	var links []Link
	for i, n := range v.Content {
		path := index("links", i)
		l, ok := p.link(resolve(n), path)
		if !ok {
			allOK = false
			continue
		}
		if line, dup := first[l.Name]; dup {
			p.add(l.Line, join(path, "name"), "link %s is given twice (first at line %d); give each link its own name", l.Name, line)
			allOK = false
			continue
		}
		first[l.Name] = l.Line
		links = append(links, l)
	}
	return links, allOK
}

// server reads the server section into srv, which holds the defaults.
func (p *parser) server(v *yaml.Node, srv *Server) {
	fs, ok := p.fields(v, "server", "a mapping such as {endpoint: /orders?items=20}",
		[]string{"endpoint", "command", "ready", "port"}, nil)
	if !ok {
		return
	}
	if e, ok := fs["endpoint"]; ok {
		if s, ok := p.scalar(e.v, "server.endpoint", "a path such as /orders?items=20"); ok {
			u, err := url.ParseRequestURI(s)
			switch {
			case !strings.HasPrefix(s, "/"):
				p.add(e.v.Line, "server.endpoint", "%q does not start with /; give a path such as /orders?items=20", s)
			case err != nil || u.Host != "" || strings.ContainsAny(s, " \t\r\n"):
				p.add(e.v.Line, "server.endpoint", "%q is not a request path; give a path such as /orders?items=20, with spaces written as %%20", s)
			default:
				srv.Endpoint = s
			}
		}
	}
	if e, ok := fs["command"]; ok {
		if e.v.Kind == yaml.SequenceNode {
			srv.Argv = p.argv(e.v)
		} else if s, ok := p.scalar(e.v, "server.command", `a command line such as "./myserver -port 8080", or a list such as ["./myserver", "--listen", "{addr}"]`); ok {
			if strings.TrimSpace(s) == "" {
				p.add(e.v.Line, "server.command", "empty; give a command line, or remove command to use the reference server")
			}
			srv.Command = s
		}
	}
	if e, ok := fs["ready"]; ok {
		if s, ok := p.scalar(e.v, "server.ready", "a path such as /healthz"); ok {
			u, err := url.ParseRequestURI(s)
			switch {
			case srv.Command == "" && srv.Argv == nil:
				if _, has := fs["command"]; !has {
					p.add(e.v.Line, "server.ready", "is for your own server; give command: too, or remove ready (the reference server says when it listens)")
				}
			case !strings.HasPrefix(s, "/"):
				p.add(e.v.Line, "server.ready", "%q does not start with /; give a path such as /healthz", s)
			case err != nil || u.Host != "" || strings.ContainsAny(s, " \t\r\n"):
				p.add(e.v.Line, "server.ready", "%q is not a request path; give a path such as /healthz, with spaces written as %%20", s)
			default:
				srv.Ready = s
			}
		}
	}
	if e, ok := fs["port"]; ok {
		if n, ok := p.integer(e.v, "server.port", 0, 65535, "a TCP port from 1 to 65535, or 0 to let the runner choose"); ok {
			srv.Port = int(n)
		}
	}
}

// argv reads the list form of server.command: the program, then its
// arguments, each one a string.
func (p *parser) argv(v *yaml.Node) []string {
	if len(v.Content) == 0 {
		p.add(v.Line, "server.command", `empty list; give the program and its arguments, e.g. ["./myserver", "--listen", "{addr}"], or remove command to use the reference server`)
		return nil
	}
	args := make([]string, 0, len(v.Content))
	ok := true
	for i, n := range v.Content {
		s, isScalar := p.scalar(resolve(n), index("server.command", i), `one argument as a string, e.g. "--listen"`)
		if !isScalar {
			ok = false
			continue
		}
		args = append(args, s)
	}
	if ok && strings.TrimSpace(args[0]) == "" {
		p.add(v.Content[0].Line, "server.command[0]", "empty program; give the path of your server, e.g. ./myserver")
		ok = false
	}
	if !ok {
		return nil
	}
	return args
}

// matrix reads the knobs to permute, in file order.
func (p *parser) matrix(v *yaml.Node) ([]Knob, bool) {
	es, ok := p.entries(v, "matrix", "a mapping of knob to values, e.g. {keepalive: [on, off]}")
	if !ok {
		return nil, false
	}
	if len(es) == 0 {
		p.add(v.Line, "matrix", "no knobs; give at least one, e.g. keepalive: [on, off]")
		return nil, false
	}
	allOK := true
	var knobs []Knob
	for _, e := range es {
		path := join("matrix", e.key)
		info, known := p.knobs.lookup(e.key)
		problem := ""
		if info.Free || !known && strings.HasPrefix(e.key, SysctlKnobPrefix) {
			problem = sysctlProblem(strings.TrimPrefix(e.key, SysctlKnobPrefix))
		}
		switch {
		case info.Free && problem != "":
			p.add(e.k.Line, path, "%s", problem)
		case e.key == "link":
			p.add(e.k.Line, path, "link is not a knob; links are listed under links:, and every link is crossed with the matrix")
		case !known && strings.HasPrefix(e.key, SysctlKnobPrefix):
			p.add(e.k.Line, path, "%s", problem)
		case !known:
			p.add(e.k.Line, path, "%s", p.knobs.unknown(e.key))
		default:
			if k, ok := p.knob(e, info); ok {
				knobs = append(knobs, k)
				continue
			}
		}
		allOK = false
	}
	return knobs, allOK
}

// knob reads one knob's values: a list, or a single value.
func (p *parser) knob(e entry, info KnobInfo) (Knob, bool) {
	path := join("matrix", e.key)
	k := Knob{Name: e.key, Line: e.k.Line}
	nodes := []*yaml.Node{e.v}
	if e.v.Kind == yaml.SequenceNode {
		nodes = e.v.Content
		if len(nodes) == 0 {
			p.add(e.v.Line, path, "no values; give at least one of %s", info.Allowed())
			return k, false
		}
	}
	ok := true
	first := make(map[string]int)
	for i, n := range nodes {
		n = resolve(n)
		vpath := path
		if e.v.Kind == yaml.SequenceNode {
			vpath = index(path, i)
		}
		s, isScalar := p.scalar(n, vpath, "one of "+info.Allowed())
		if !isScalar {
			ok = false
			continue
		}
		c, err := info.Canonical(s)
		if err != nil {
			p.add(n.Line, vpath, "%v", err)
			ok = false
			continue
		}
		if line, dup := first[c]; dup {
			p.add(n.Line, vpath, "%s is listed twice (first at line %d); remove one", c, line)
			ok = false
			continue
		}
		first[c] = n.Line
		k.Values = append(k.Values, c)
	}
	return k, ok
}

// knobMap reads the entries of a partial cell (an only: or skip: entry, a
// gate's where:), canonicalising values and checking each pair against the
// links and the matrix when those parsed cleanly.
func (p *parser) knobMap(es []entry, path string, s *Suite, linksOK, matrixOK bool) map[string]string {
	m := make(map[string]string, len(es))
	for _, e := range es {
		kpath := join(path, e.key)
		val, ok := p.scalar(e.v, kpath, "one value")
		if !ok {
			continue
		}
		if info, ok := p.knobs.lookup(e.key); ok {
			if c, err := info.Canonical(val); err == nil {
				val = c
			}
		}
		m[e.key] = val
		if e.key == "link" && !linksOK || e.key != "link" && !matrixOK {
			continue
		}
		if msg := s.checkPair(e.key, val); msg != "" {
			p.add(e.v.Line, kpath, "%s", msg)
		}
	}
	return m
}

// prune reads only: or skip:, a list of partial cells. Keys and values are
// checked against the links and the matrix when those parsed cleanly.
func (p *parser) prune(v *yaml.Node, key string, s *Suite, linksOK, matrixOK bool) []map[string]string {
	nodes := []*yaml.Node{v}
	if v.Kind == yaml.SequenceNode {
		nodes = v.Content
	}
	var list []map[string]string
	for i, n := range nodes {
		path := key
		if v.Kind == yaml.SequenceNode {
			path = index(key, i)
		}
		es, ok := p.entries(resolve(n), path, "a mapping of knob to value, e.g. {link: lan, keepalive: off}")
		if !ok {
			continue
		}
		if len(es) == 0 {
			p.add(n.Line, path, "empty entry; it would match every cell; give knob: value pairs, e.g. {link: lan, keepalive: off}")
			continue
		}
		list = append(list, p.knobMap(es, path, s, linksOK, matrixOK))
	}
	return list
}
