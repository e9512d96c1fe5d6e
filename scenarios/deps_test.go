package scenarios

import (
	goparser "go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestPure keeps the parser a leaf without side effects: it imports no
// package of ours (netem's namespaces above all), and nothing that makes
// system calls beyond reading files.
func TestPure(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	banned := []string{"github.com/tunebench/tunebench/", "os/exec", "syscall", "golang.org/x/sys", "github.com/vishvananda/", "net/http/httptest"}
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := goparser.ParseFile(token.NewFileSet(), name, nil, goparser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for _, b := range banned {
				if path == strings.TrimSuffix(b, "/") || strings.HasPrefix(path, b) {
					t.Errorf("%s imports %s; scenarios parses without side effects and imports nothing of ours", name, path)
				}
			}
		}
		checked++
	}
	if checked < 10 {
		t.Errorf("checked %d files; want the package's", checked)
	}
}
