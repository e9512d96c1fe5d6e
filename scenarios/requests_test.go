package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

// mixBase is a suite without a load model's request part; tests append
// requests: or targets:.
const mixBase = `suite: t
links: [{name: lan}]
matrix: {codec: [json, protobuf]}
load: {rate: 10, duration: 1s}
`

// writeSuite writes files into a fresh directory and loads the suite
// file among them, so that @file and targets: resolve beside it.
func writeSuite(t *testing.T, suite string, files map[string]string) (*Suite, string, error) {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(path, []byte(suite), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := LoadFile(path)
	return s, dir, err
}

func TestRequestsShorthand(t *testing.T) {
	for _, tt := range []struct {
		name, extra string
		want        Request
	}{
		{"default endpoint", "", Request{Method: "GET", Path: DefaultEndpoint, Weight: 1}},
		{"server.endpoint", "server: {endpoint: /bytes/100}\n", Request{Method: "GET", Path: "/bytes/100", Weight: 1, Line: 5}},
	} {
		s, err := Parse("t.yaml", []byte(mixBase+tt.extra))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if want := []Request{tt.want}; !reflect.DeepEqual(s.Requests, want) {
			t.Errorf("%s: got %+v; want %+v", tt.name, s.Requests, want)
		}
	}
}

func TestRequestsValid(t *testing.T) {
	suite := mixBase + `requests:
  - {name: list, path: "/orders?items=20", weight: 3}
  - {name: create, method: POST, path: /orders, body_orders: 2}
  - name: raw
    method: PUT
    path: /x
    body: "@payload.json"
    headers: {Content-Type: application/json, X-Kind: raw}
  - {name: note, method: POST, path: /notes, body: "hello"}
`
	s, dir, err := writeSuite(t, suite, map[string]string{"payload.json": `{"a":1}`})
	if err != nil {
		t.Fatal(err)
	}
	want := []Request{
		{Name: "list", Method: "GET", Path: "/orders?items=20", Weight: 3, Line: 6},
		{Name: "create", Method: "POST", Path: "/orders", Weight: 1, BodyOrders: 2, Line: 7},
		{Name: "raw", Method: "PUT", Path: "/x", Weight: 1, Body: []byte(`{"a":1}`), BodyFile: filepath.Join(dir, "payload.json"),
			Header: map[string]string{"Content-Type": "application/json", "X-Kind": "raw"}, Line: 8},
		{Name: "note", Method: "POST", Path: "/notes", Weight: 1, Body: []byte("hello"), Line: 13},
	}
	if !reflect.DeepEqual(s.Requests, want) {
		t.Errorf("got\n%+v\nwant\n%+v", s.Requests, want)
	}
	if s.Server.Endpoint != "/orders?items=20" {
		t.Errorf("Server.Endpoint: got %q; want the first request's path", s.Server.Endpoint)
	}
}

func TestRequestsErrors(t *testing.T) {
	tests := []struct{ name, requests, want string }{
		{"unknown key", "  - {name: a, path: /x, url: /y}", "s.yaml:6: requests[0].url: unknown key; give the path and query as path:"},
		{"body on GET", "  - {name: a, path: /x, body: hi}", "s.yaml:6: requests[0].body: a GET request has no body; give method: POST"},
		{"body_orders on HEAD", "  - {name: a, method: HEAD, path: /x, body_orders: 1}", "s.yaml:6: requests[0].body_orders: a HEAD request has no body"},
		{"missing file", "  - {name: a, method: POST, path: /x, body: \"@nope.json\"}", "s.yaml:6: requests[0].body: open "},
		{"weight 0", "  - {name: a, path: /x, weight: 0}", "s.yaml:6: requests[0].weight: 0 is out of range; give the request's share of the schedule, a whole number from 1 to 1000000"},
		{"duplicate names", "  - {name: a, path: /x}\n  - {name: a, path: /y}", "s.yaml:7: requests[1].name: a is given twice (first at line 6); give each request its own name"},
		{"body and body_orders", "  - {name: a, method: POST, path: /x, body: hi, body_orders: 2}", "s.yaml:6: requests[0].body_orders: body and body_orders are both given"},
		{"bad name", "  - {name: Create, path: /x}", `s.yaml:6: requests[0].name: "Create" is not a request name`},
		{"name read as GOMAXPROCS", "  - {name: list-2, path: /x}", `s.yaml:6: requests[0].name: "list-2" ends in -<digits>, which benchstat reads as a GOMAXPROCS suffix of the result line; write it with _ (e.g. list_2)`},
		{"no name", "  - {path: /x}", "s.yaml:6: requests[0].name: missing; name the request"},
		{"no path", "  - {name: a}", "s.yaml:6: requests[0].path: missing"},
		{"path without slash", "  - {name: a, path: orders}", `s.yaml:6: requests[0].path: "orders" does not start with /`},
		{"lower-case method", "  - {name: a, method: post, path: /x}", `s.yaml:6: requests[0].method: "post": methods are upper case; write POST`},
		{"Host header", "  - {name: a, path: /x, headers: {Host: example.com}}", "s.yaml:6: requests[0].headers.Host: Host is not set by hand: the agent sends the server's address"},
		{"bad header name", "  - {name: a, path: /x, headers: {\"X Y\": 1}}", `s.yaml:6: requests[0].headers.X Y: "X Y" is not a header name`},
		{"body_orders too many", "  - {name: a, method: POST, path: /x, body_orders: 10001}", "s.yaml:6: requests[0].body_orders: 10001 is out of range"},
		{"empty list", " []", "s.yaml:5: requests: no requests; give at least one"},
		{"not a list", " {name: a}", "s.yaml:5: requests: got a mapping; give a list of requests"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sep := "\n"
			if strings.HasPrefix(tt.requests, " ") && !strings.HasPrefix(tt.requests, "  -") {
				sep = ""
			}
			_, _, err := writeSuite(t, mixBase+"requests:"+sep+tt.requests+"\n", nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v; want an error containing %q", err, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.Line == 0 {
				t.Errorf("got %T without a line; want an *Error with file:line", err)
			}
		})
	}
}

func TestRequestsExclusive(t *testing.T) {
	for _, tt := range []struct{ name, extra, want string }{
		{"requests and endpoint", "server: {endpoint: /a}\nrequests: [{name: a, path: /x}]\n", "t.yaml:5: server.endpoint: requests: gives the requests to send, so endpoint would never be sent; remove endpoint"},
		{"targets and endpoint", "server: {endpoint: /a}\ntargets: t.txt\n", "t.yaml:5: server.endpoint: targets: gives the requests to send"},
		{"requests and targets", "requests: [{name: a, path: /x}]\ntargets: t.txt\n", "t.yaml:6: targets: requests: and targets: both give the requests to send; keep one"},
	} {
		_, err := Parse("t.yaml", []byte(mixBase+tt.extra))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v; want an error containing %q", tt.name, err, tt.want)
		}
	}
}

func TestTargets(t *testing.T) {
	targets := `# the mix, in vegeta's format
GET http://localhost:8080/orders?items=20

POST http://example.com/orders
Content-Type: application/json
X-Kind: a
@create.json

GET /orders?items=5
DELETE /
`
	s, dir, err := writeSuite(t, mixBase+"targets: targets.txt\n", map[string]string{"targets.txt": targets, "create.json": `{"orders":[]}`})
	if err != nil {
		t.Fatal(err)
	}
	_ = dir
	want := []Request{
		{Name: "get-orders", Method: "GET", Path: "/orders?items=20", Weight: 1, Line: 2},
		{Name: "post-orders", Method: "POST", Path: "/orders", Weight: 1, Body: []byte(`{"orders":[]}`),
			Header: map[string]string{"Content-Type": "application/json", "X-Kind": "a"}, Line: 4},
		{Name: "get-orders_2", Method: "GET", Path: "/orders?items=5", Weight: 1, Line: 9},
		{Name: "delete-root", Method: "DELETE", Path: "/", Weight: 1, Line: 10},
	}
	if !reflect.DeepEqual(s.Requests, want) {
		t.Errorf("got\n%+v\nwant\n%+v", s.Requests, want)
	}

	for _, tt := range []struct{ name, targets, want string }{
		{"bad method", "GET /a\n\nget /b\n", "targets.txt:3: bad method"},
		{"bad header", "GET /a\nNoColon\n", "targets.txt:2: bad header: NoColon"},
		{"missing body file", "POST /a\n@nope.json\n", "targets.txt:2: bad body: open "},
		{"body on GET", "GET /a\n\nGET /b\n@b.json\n", "targets.txt:3: a GET request has no body"},
		{"no targets", "# nothing\n", "targets.txt:1: no targets"},
		{"managed header", "GET /a\nHost: x\n", "targets.txt:1: Host is not set by hand"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := writeSuite(t, mixBase+"targets: targets.txt\n", map[string]string{"targets.txt": tt.targets, "b.json": "x"})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v; want an error containing %q", err, tt.want)
			}
		})
	}
	_, _, err = writeSuite(t, mixBase+"targets: nope.txt\n", nil)
	if err == nil || !strings.Contains(err.Error(), "s.yaml:5: targets: open ") {
		t.Errorf("missing targets file: got %v; want s.yaml:5: targets: open ...", err)
	}
}

func TestTargetName(t *testing.T) {
	for _, tt := range []struct{ method, path, want string }{
		{"GET", "/orders?items=20", "get-orders"},
		{"POST", "/v1/Orders/123/items", "post-v1-orders"},
		{"PUT", "/a%20b/c.d", "put-a_20b-c_d"},
		{"GET", "/", "get-root"},
		{"GET", "/v1/2", "get-v1_2"},
		{"GET", "/2024", "get_2024"},
		{"PATCH", "/" + strings.Repeat("x", 40), "patch-" + strings.Repeat("x", 22)},
	} {
		got := targetName(tt.method, tt.path)
		if got != tt.want || !requestNameRE.MatchString(got) || procsSuffixRE.MatchString(got) {
			t.Errorf("targetName(%s, %s) = %q; want %q, a request name", tt.method, tt.path, got, tt.want)
		}
	}
}

// TestBodyFileNotRegular: a directory or a named pipe is refused without
// being opened for reading (a pipe would block the parser).
func TestBodyFileNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	for _, name := range []string{dir, fifo} {
		suite := mixBase + "requests:\n  - {name: a, method: POST, path: /x, body: \"@" + name + "\"}\n"
		_, err := Parse(filepath.Join(dir, "s.yaml"), []byte(suite))
		if err == nil || !strings.Contains(err.Error(), "is not a regular file") {
			t.Errorf("@%s: got %v; want it refused as not a regular file", name, err)
		}
	}
}
