package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzTargets feeds vegeta's targeter, through targets:, generated targets
// files: none may make Parse panic or hang; what it accepts is a mix of
// well-formed requests, and what it refuses names a line.
func FuzzTargets(f *testing.F) {
	f.Add([]byte("GET http://localhost/orders?items=20\n\nPOST http://x/orders\nContent-Type: application/json\n@body.json\n"))
	f.Add([]byte("# comment\nGET /a\nX-A: 1\nX-A: 2\n\nDELETE /\n"))
	f.Add([]byte("get /a\n"))
	f.Add([]byte("GET /a\nNoColon\n"))
	f.Add([]byte("POST /a\n@\n"))
	f.Add([]byte("GET http://[::1]:80/%zz\n"))
	f.Add([]byte("GET /a\r\nHost: x\r\n"))
	dir := f.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "body.json"), []byte(`{"a":1}`), 0o644); err != nil {
		f.Fatal(err)
	}
	suite := []byte(mixBase + "targets: targets.txt\n")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, "targets.txt"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := Parse(filepath.Join(dir, "s.yaml"), suite)
		if err != nil {
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error %T %v; want an ErrorList", err, err)
			}
			for _, e := range list {
				if e.Line < 1 {
					t.Errorf("error without a line: %v", e)
				}
			}
			return
		}
		seen := make(map[string]bool)
		for _, r := range s.Requests {
			switch {
			case !requestNameRE.MatchString(r.Name) || seen[r.Name]:
				t.Errorf("request name %q is not a unique request name", r.Name)
			case pathProblem(r.Path, "/") != "":
				t.Errorf("request path %q: %s", r.Path, pathProblem(r.Path, "/"))
			case !methodRE.MatchString(r.Method) || r.Weight != 1 || r.Line < 1:
				t.Errorf("request %+v: want an upper-case method, weight 1 and a line", r)
			case len(r.Body) > 0 && (r.Method == "GET" || r.Method == "HEAD"):
				t.Errorf("request %+v: a body on %s", r, r.Method)
			}
			seen[r.Name] = true
		}
	})
}
