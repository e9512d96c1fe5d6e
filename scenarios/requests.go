package scenarios

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Bounds of the request mix.
const (
	// MaxRequests is the most requests a mix may list: each writes a
	// result line per cell and repetition.
	MaxRequests = 100
	// MaxWeight is the largest weight of one request.
	MaxWeight = 1000000
	// MaxBodySize is the largest request body, inline or from a file.
	MaxBodySize = 8 << 20
	// MaxBodyOrders is the most reference orders one body_orders body
	// holds, as many as GET /orders?items=N serves.
	MaxBodyOrders = 10000
	// MaxTargetsFileSize is the largest targets file accepted.
	MaxTargetsFileSize = 16 << 20
)

var (
	requestNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)
	// procsSuffixRE matches a name that ends in "-<digits>", which benchstat
	// would split off a result line's name as GOMAXPROCS.
	procsSuffixRE = regexp.MustCompile(`-[0-9]+$`)
	methodRE      = regexp.MustCompile(`^[A-Z]{1,20}$`)
)

// managedHeaders are the headers the load agent sets itself, from the body,
// the knobs or the URL; a request may not give them.
var managedHeaders = map[string]string{
	"host":              "the agent sends the server's address",
	"content-length":    "the agent sets it from the body",
	"transfer-encoding": "the agent sets it from the body",
	"connection":        "the keepalive knob decides it",
}

// mix fills the suite's request mix from requests:, from targets:, or else
// as one GET of the server's endpoint. srv holds the parsed server; with a
// mix, its Endpoint becomes the first request's path.
func (p *parser) mix(fs map[string]entry, srv *Server) []Request {
	req, hasReq := fs["requests"]
	tgt, hasTgt := fs["targets"]
	endpointLine := 0
	if e, ok := fs["server"]; ok {
		endpointLine = keyLine(e.v, "endpoint")
	}
	switch {
	case hasReq && hasTgt:
		p.add(tgt.k.Line, "targets", "requests: and targets: both give the requests to send; keep one")
		return nil
	case (hasReq || hasTgt) && endpointLine > 0:
		key := "requests"
		if hasTgt {
			key = "targets"
		}
		p.add(endpointLine, "server.endpoint", "%s: gives the requests to send, so endpoint would never be sent; remove endpoint (a request's path: takes its place)", key)
		return nil
	}
	var list []Request
	switch {
	case hasReq:
		list = p.requests(req.v)
	case hasTgt:
		list = p.targets(tgt.v)
	default:
		return []Request{{Method: "GET", Path: srv.Endpoint, Weight: 1, Line: endpointLine}}
	}
	if len(list) > 0 {
		srv.Endpoint = list[0].Path
	}
	return list
}

// keyLine returns the line of key in mapping v, or 0 if v has no such key.
func keyLine(v *yaml.Node, key string) int {
	v = resolve(v)
	if v.Kind != yaml.MappingNode {
		return 0
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		if k := resolve(v.Content[i]); k.Kind == yaml.ScalarNode && k.Value == key {
			return k.Line
		}
	}
	return 0
}

// requests reads the requests: list.
func (p *parser) requests(v *yaml.Node) []Request {
	const example = "[{name: list, path: /orders?items=20}]"
	if v.Kind != yaml.SequenceNode {
		p.add(v.Line, "requests", "got %s; give a list of requests, e.g. %s", describe(v), example)
		return nil
	}
	switch n := len(v.Content); {
	case n == 0:
		p.add(v.Line, "requests", "no requests; give at least one, e.g. %s, or remove requests: to send server.endpoint", example)
		return nil
	case n > MaxRequests:
		p.add(v.Line, "requests", "%d requests; a mix may have at most %d (each writes its own result lines)", n, MaxRequests)
		return nil
	}
	first := make(map[string]int)
	var list []Request
	for i, n := range v.Content {
		path := index("requests", i)
		r, ok := p.request(resolve(n), path)
		if !ok {
			continue
		}
		if line, dup := first[r.Name]; dup {
			p.add(r.Line, join(path, "name"), "%s is given twice (first at line %d); give each request its own name", r.Name, line)
			continue
		}
		first[r.Name] = r.Line
		list = append(list, r)
	}
	return list
}

// request reads one request of requests:.
func (p *parser) request(n *yaml.Node, path string) (Request, bool) {
	r := Request{Method: "GET", Weight: 1, Line: n.Line}
	fs, ok := p.fields(n, path, "a request such as {name: create, method: POST, path: /orders, body_orders: 2}",
		[]string{"name", "method", "path", "headers", "weight", "body", "body_orders"},
		map[string]string{
			"url":      "give the path and query as path:, e.g. path: /orders?items=20; the runner puts the server's address before it",
			"endpoint": "give the path and query as path:",
			"header":   "headers: takes a mapping of header to value",
			"data":     "body: takes the body, inline or @file",
			"orders":   "body_orders: N sends N reference orders",
		})
	if !ok {
		return r, false
	}
	before := p.count
	if e, ok := fs["name"]; ok {
		if s, ok := p.scalar(e.v, join(path, "name"), "a name such as create"); ok {
			switch {
			case requestNameRE.MatchString(s) && procsSuffixRE.MatchString(s):
				p.add(e.v.Line, join(path, "name"), "%q ends in -<digits>, which benchstat reads as a GOMAXPROCS suffix of the result line; write it with _ (e.g. %s)", s, procsSuffixRE.ReplaceAllStringFunc(s, func(m string) string { return "_" + m[1:] }))
			case requestNameRE.MatchString(s):
				r.Name = s
			default:
				p.add(e.v.Line, join(path, "name"), "%q is not a request name; use up to 32 of a-z, 0-9, _ and -, starting with a letter or digit (it becomes req=NAME in the result lines)", s)
			}
		}
	} else {
		p.add(n.Line, join(path, "name"), "missing; name the request, e.g. name: create (its result lines end in req=create)")
	}
	if e, ok := fs["method"]; ok {
		if s, ok := p.scalar(e.v, join(path, "method"), "an HTTP method such as POST"); ok {
			switch {
			case methodRE.MatchString(s):
				r.Method = s
			case methodRE.MatchString(strings.ToUpper(s)):
				p.add(e.v.Line, join(path, "method"), "%q: methods are upper case; write %s", s, strings.ToUpper(s))
			default:
				p.add(e.v.Line, join(path, "method"), "%q is not an HTTP method; give one such as GET, POST or PUT", s)
			}
		}
	}
	if e, ok := fs["path"]; ok {
		if s, ok := p.scalar(e.v, join(path, "path"), "a path such as /orders?items=20"); ok {
			if msg := pathProblem(s, "/orders?items=20"); msg != "" {
				p.add(e.v.Line, join(path, "path"), "%s", msg)
			} else {
				r.Path = s
			}
		}
	} else {
		p.add(n.Line, join(path, "path"), "missing; give the request's path and query, e.g. path: /orders?items=20")
	}
	if e, ok := fs["headers"]; ok {
		r.Header = p.headers(e.v, join(path, "headers"))
	}
	if e, ok := fs["weight"]; ok {
		if w, ok := p.integer(e.v, join(path, "weight"), 1, MaxWeight, fmt.Sprintf("the request's share of the schedule, a whole number from 1 to %d", MaxWeight)); ok {
			r.Weight = int(w)
		}
	}
	body, hasBody := fs["body"]
	orders, hasOrders := fs["body_orders"]
	switch {
	case hasBody && hasOrders:
		p.add(orders.k.Line, join(path, "body_orders"), "body and body_orders are both given; a request has one body, so remove one")
	case (hasBody || hasOrders) && (r.Method == "GET" || r.Method == "HEAD"):
		e := body
		if hasOrders {
			e = orders
		}
		p.add(e.k.Line, join(path, e.key), "a %s request has no body; give method: POST (or PUT, PATCH), or remove %s", r.Method, e.key)
	case hasBody:
		if s, ok := p.scalar(body.v, join(path, "body"), `the body as text, or "@file" to read it from a file next to the suite`); ok {
			r.Body, r.BodyFile = p.body(body.v.Line, join(path, "body"), s)
		}
	case hasOrders:
		if k, ok := p.integer(orders.v, join(path, "body_orders"), 1, MaxBodyOrders, fmt.Sprintf("the number of reference orders to send, from 1 to %d", MaxBodyOrders)); ok {
			r.BodyOrders = int(k)
		}
	}
	return r, p.count == before
}

// pathProblem says why s is not a request path, or "".
func pathProblem(s, example string) string {
	u, err := url.ParseRequestURI(s)
	switch {
	case !strings.HasPrefix(s, "/"):
		return fmt.Sprintf("%q does not start with /; give a path such as %s", s, example)
	case err != nil || u.Host != "" || strings.ContainsAny(s, " \t\r\n"):
		return fmt.Sprintf("%q is not a request path; give a path such as %s, with spaces written as %%20", s, example)
	}
	return ""
}

// headers reads a request's headers: mapping.
func (p *parser) headers(v *yaml.Node, path string) map[string]string {
	es, ok := p.entries(v, path, "a mapping of header to value, e.g. {Content-Type: application/json}")
	if !ok {
		return nil
	}
	h := make(map[string]string, len(es))
	seen := make(map[string]int)
	for _, e := range es {
		hpath := join(path, e.key)
		val, ok := p.scalar(e.v, hpath, "one value as text")
		if !ok {
			continue
		}
		lower := strings.ToLower(e.key)
		switch {
		case !isToken(e.key):
			p.add(e.k.Line, hpath, "%q is not a header name; use letters, digits and -, e.g. X-Request-Kind", e.key)
		case managedHeaders[lower] != "":
			p.add(e.k.Line, hpath, "%s is not set by hand: %s; remove it", e.key, managedHeaders[lower])
		case seen[lower] > 0:
			p.add(e.k.Line, hpath, "given twice (first at line %d, header names ignore case); give it once, values separated by commas", seen[lower])
		case strings.ContainsAny(val, "\r\n\x00"):
			p.add(e.v.Line, hpath, "the value holds a line break; a header value is one line")
		default:
			seen[lower] = e.k.Line
			h[e.key] = val
		}
	}
	return h
}

// isToken reports whether s is an HTTP token (RFC 9110's tchar), as a
// header name must be.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
		if !ok {
			return false
		}
	}
	return true
}

// body returns an inline body, or the contents of the file that "@file"
// names, relative to the suite's directory as curl's -d @file is to its
// working directory; with the path it was read from.
func (p *parser) body(line int, path, s string) ([]byte, string) {
	name, isFile := strings.CutPrefix(s, "@")
	if !isFile {
		if len(s) > MaxBodySize {
			p.add(line, path, "the body is %d bytes, over the %d-byte limit", len(s), MaxBodySize)
			return nil, ""
		}
		return []byte(s), ""
	}
	if strings.TrimSpace(name) == "" {
		p.add(line, path, `"@" names no file; give "@payload.json" (next to the suite), or the body as text`)
		return nil, ""
	}
	file := p.relative(name)
	data, err := readLimited(file, MaxBodySize)
	if err != nil {
		p.add(line, path, "%v; give a file relative to the suite's directory, e.g. \"@payload.json\"", err)
		return nil, ""
	}
	return data, file
}

// relative returns name as seen from the suite's directory.
func (p *parser) relative(name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(filepath.Dir(p.file), name)
}

// readLimited reads a regular file of at most limit bytes. It looks before
// it opens: opening a named pipe would block until a writer came.
func readLimited(file string, limit int64) ([]byte, error) {
	if fi, err := os.Stat(file); err == nil && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", file)
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	switch {
	case err != nil:
		return nil, err
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("%s is not a regular file", file)
	case fi.Size() > limit:
		return nil, fmt.Errorf("%s is %d bytes, over the %d-byte limit", file, fi.Size(), limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is over the %d-byte limit", file, limit)
	}
	return data, nil
}
