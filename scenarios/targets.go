package scenarios

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	vegeta "github.com/tsenart/vegeta/v12/lib"
	"gopkg.in/yaml.v3"
)

// targets reads the file that targets: names, in vegeta's HTTP targets
// format, with vegeta's own targeter:
//
//	GET http://localhost/orders?items=20
//
//	POST http://localhost/orders
//	Content-Type: application/json
//	@create.json
//
// A URL's scheme and host are dropped: every request goes to the server
// under test, so only the path and query count. Body files ("@file") are
// relative to the targets file. Each target becomes a Request of weight 1,
// named after its method and path (see targetName).
func (p *parser) targets(v *yaml.Node) []Request {
	name, ok := p.scalar(v, "targets", "the path of a targets file, e.g. targets.txt")
	if !ok {
		return nil
	}
	if strings.TrimSpace(name) == "" {
		p.add(v.Line, "targets", "empty; give the path of a targets file next to the suite, e.g. targets.txt")
		return nil
	}
	file := p.relative(name)
	data, err := readLimited(file, MaxTargetsFileSize)
	if err != nil {
		p.add(v.Line, "targets", "%v; give a file in vegeta's HTTP targets format, relative to the suite's directory", err)
		return nil
	}
	lines := strings.SplitAfter(string(data), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	// vegeta reads "@file" relative to the working directory; make it
	// relative to the targets file, as the suite's own @file is.
	for i, l := range lines {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(l), "@"); ok && rest != "" && !filepath.IsAbs(rest) {
			lines[i] = "@" + filepath.Join(filepath.Dir(file), rest) + "\n"
		}
	}
	src := &lineReader{lines: lines}
	next := vegeta.NewHTTPTargeter(src, nil, nil)

	var list []Request
	names := make(map[string]int)
	from := 0 // the first line not yet matched to a target
	for {
		var t vegeta.Target
		err := next(&t)
		if errors.Is(err, vegeta.ErrNoTargets) {
			break
		}
		if err != nil {
			p.addIn(file, max(src.done, 1), "", "%v; see vegeta's HTTP targets format (METHOD URL, then Header: value lines, then an optional @bodyfile)", err)
			return nil
		}
		line := targetLine(lines, from, t.Method, t.URL)
		from = line
		if len(list) == MaxRequests {
			p.addIn(file, line, "", "more than %d targets; a mix may have at most %d (each writes its own result lines)", MaxRequests, MaxRequests)
			return nil
		}
		r, msg := targetRequest(t, line)
		if msg != "" {
			p.addIn(file, line, "", "%s", msg)
			continue
		}
		base := r.Name
		for k := 2; names[r.Name] > 0; k++ {
			r.Name = base + "_" + strconv.Itoa(k)
		}
		names[r.Name] = line
		list = append(list, r)
	}
	// vegeta stops at a line it cannot scan (over 64 KiB) as if the file
	// ended; what follows must not be dropped in silence.
	for i := src.done; i < len(lines); i++ {
		if l := strings.TrimSpace(lines[i]); l != "" && !strings.HasPrefix(l, "#") {
			p.addIn(file, i+1, "", "vegeta's targeter stopped reading here (a line over 64 KiB?); shorten the line, or put a long body in an @file")
			return nil
		}
	}
	if len(list) == 0 && p.count == 0 {
		p.addIn(file, 1, "", "no targets; give at least one line such as GET http://localhost/orders?items=20")
	}
	return list
}

// targetRequest turns a vegeta target into a Request, or says why not.
func targetRequest(t vegeta.Target, line int) (Request, string) {
	u, err := url.ParseRequestURI(t.URL)
	if err != nil {
		return Request{}, fmt.Sprintf("%q is not a URL: %v", t.URL, err)
	}
	if !methodRE.MatchString(t.Method) {
		// The same rule as a mix's method: it also names the request.
		return Request{}, fmt.Sprintf("%q is not an HTTP method; give one in upper case such as GET, POST or PUT", t.Method)
	}
	r := Request{Method: t.Method, Path: u.RequestURI(), Weight: 1, Line: line}
	if msg := pathProblem(r.Path, "/orders?items=20"); msg != "" {
		return Request{}, msg
	}
	if len(t.Body) > 0 {
		if r.Method == "GET" || r.Method == "HEAD" {
			return Request{}, fmt.Sprintf("a %s request has no body; give POST (or PUT, PATCH), or remove the @file line", r.Method)
		}
		if len(t.Body) > MaxBodySize {
			return Request{}, fmt.Sprintf("the body is %d bytes, over the %d-byte limit", len(t.Body), MaxBodySize)
		}
		r.Body = t.Body
	}
	if len(t.Header) > 0 {
		r.Header = make(map[string]string, len(t.Header))
		keys := make([]string, 0, len(t.Header))
		for k := range t.Header {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if why := managedHeaders[strings.ToLower(k)]; why != "" {
				return Request{}, fmt.Sprintf("%s is not set by hand: %s; remove the line", k, why)
			}
			r.Header[k] = strings.Join(t.Header[k], ", ")
		}
	}
	r.Name = targetName(r.Method, r.Path)
	return r, ""
}

// targetName names a target after its method and the path's first two
// segments, as a result key: "POST /orders?x=1" → "post-orders",
// "GET /" → "get-root". A name used before gets _2, _3, ... in file order;
// a segment of digits is joined with "_" ("GET /v1/2" → "get-v1_2"), since a
// line name that ends in -<digits> is read by benchstat as GOMAXPROCS.
func targetName(method, path string) string {
	p, _, _ := strings.Cut(path, "?")
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	segs := 0
	for _, seg := range strings.Split(p, "/") {
		var s strings.Builder
		for _, c := range strings.ToLower(seg) {
			switch {
			case c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_':
				s.WriteRune(c)
			case s.Len() > 0 && !strings.HasSuffix(s.String(), "_"):
				s.WriteByte('_')
			}
		}
		if seg := strings.Trim(s.String(), "_"); seg != "" && segs < 2 {
			sep := "-"
			if strings.Trim(seg, "0123456789") == "" {
				sep = "_"
			}
			b.WriteString(sep + seg)
			segs++
		}
	}
	if segs == 0 {
		b.WriteString("-root")
	}
	name := b.String()
	if len(name) > 28 { // room for a _NN suffix within 32
		name = strings.TrimRight(name[:28], "-_")
	}
	return name
}

// targetLine returns the 1-based line, at or after index from, that starts
// the target METHOD URL.
func targetLine(lines []string, from int, method, u string) int {
	for i := from; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) == method+" "+u {
			return i + 1
		}
	}
	return from + 1
}

// lineReader gives vegeta's scanner one line per Read, so that the number
// of lines it has read names the line a targeter error is about: a
// bufio.Scanner reads only when it holds no whole line.
type lineReader struct {
	lines []string // each with its "\n", the last one perhaps without
	i     int      // the line being read
	off   int      // bytes of it already read
	done  int      // lines read whole
}

func (r *lineReader) Read(b []byte) (int, error) {
	if r.i >= len(r.lines) {
		return 0, io.EOF
	}
	n := copy(b, r.lines[r.i][r.off:])
	r.off += n
	if r.off == len(r.lines[r.i]) {
		r.i, r.off = r.i+1, 0
		r.done = r.i
	}
	return n, nil
}
