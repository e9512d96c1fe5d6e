package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The results package's test files: two runs of a suite in which one cell
// regressed, one moved within noise and one improved, and one run with
// keep-alive on and off.
var (
	baseFile      = filepath.Join("..", "..", "results", "testdata", "gate", "base.txt")
	newFile       = filepath.Join("..", "..", "results", "testdata", "gate", "new.txt")
	handshakeFile = filepath.Join("..", "..", "results", "testdata", "compare", "handshake.txt")
)

// runCLI runs the command line in process and returns stdout, stderr (with
// the error as main prints it) and the exit status. The job summary of a
// CI run that runs these tests is left alone.
func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	if os.Getenv("GITHUB_STEP_SUMMARY") != "" {
		t.Setenv("GITHUB_STEP_SUMMARY", "")
	}
	var stdout, stderr bytes.Buffer
	err := run(&stdout, &stderr, args)
	code := 0
	if err != nil {
		stderr.WriteString("tunebench: " + err.Error() + "\n")
		code = exitCode(err)
	}
	return stdout.String(), stderr.String(), code
}

// writeTemp writes a file under a test's temporary folder.
func writeTemp(t *testing.T, name, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCompareCommand(t *testing.T) {
	empty := writeTemp(t, "empty.txt", "")
	garbage := writeTemp(t, "garbage.txt", "BenchmarkS/k=v\t1\t1 ns/op\nPASS\n")
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout []string // each appears in stdout
		wantStderr string
	}{
		{"two runs", []string{"compare", baseFile, newFile}, 0,
			[]string{"│   p99-sec     vs base", "Gate/link=lan/keepalive=on", "+29.94% (p=0.002 n=6)", "~ (p=0.195 n=6)", "-20.07% (p=0.002 n=6)"},
			"the files differ in tunebench, seed, link-wan; compared them anyway, ignoring those keys (benchstat needs -ignore tunebench,seed,link-wan for the same)"},
		{"columns by keep-alive, flags after the file", []string{"compare", handshakeFile, "-col", "/keepalive", "-filter", "/link:wan40 .unit:p99-ns"}, 0,
			[]string{"│     on      │                 off                  │", "Handshake/link=wan40   41.25m ± 1%   123.50m ± 2%  +199.39% (p=0.002 n=6)"}, ""},
		{"labels", []string{"compare", "-filter", ".unit:p99-ns", "main=" + baseFile, "pr=" + newFile}, 0, []string{"│    main     │"}, ""},
		{"explicit table splits by configuration", []string{"compare", "-table", ".config", "-filter", ".unit:p99-ns", baseFile, newFile}, 0, []string{"seed: 1\n", "seed: 2\n"}, ""},
		{"csv", []string{"compare", "-format", "csv", "-col", "/keepalive", "-filter", ".unit:p99-ns", handshakeFile}, 0, []string{",on,,off,,,\n,p99-sec,CI,p99-sec,CI,vs base,P\n"}, ""},
		{"markdown", []string{"compare", "--format=markdown", "-col", "/keepalive", "-filter", ".unit:p99-ns", handshakeFile}, 0, []string{"| | on | off | vs base |", "**+199.39%** (p=0.002 n=6)"}, ""},
		{"help", []string{"compare", "-h"}, 0, []string{"Usage: tunebench compare", "A FILE of - reads standard input"}, ""},

		{"no files", []string{"compare"}, 2, nil, "compare: give one or more results files"},
		{"bad format", []string{"compare", "-format", "html", baseFile}, 2, nil, `compare: -format "html": give one of text, csv, json, markdown`},
		{"bad flag", []string{"compare", "-colum", "/x", baseFile}, 2, nil, "flag provided but not defined: -colum"},
		{"alpha", []string{"compare", "-alpha", "0", baseFile}, 2, nil, "compare: -alpha 0: give a level over 0 and at most 1"},
		{"confidence", []string{"compare", "-confidence", "95", baseFile}, 2, nil, "compare: -confidence 95: give a level over 0 and below 1"},
		{"missing file", []string{"compare", "missing.txt"}, 2, nil, "compare: open missing.txt: no such file or directory; run `tunebench run` first"},
		{"unreadable file", []string{"compare", t.TempDir()}, 2, nil, "is a directory"},
		{"file with no results", []string{"compare", empty}, 2, nil, "compare: " + empty + ": no benchmark results; run `tunebench run` first"},
		{"not a results file", []string{"compare", garbage}, 2, nil, garbage + `:2: unrecognised line "PASS"`},
		{"bad filter", []string{"compare", "-filter", "/link:(", baseFile}, 2, nil, "compare: -filter:"},
		{"wrong metric in the filter", []string{"compare", "-filter", ".unit:p98-ns", baseFile}, 2, nil, `compare: -filter ".unit:p98-ns" leaves no results to compare`},
		{"bad projection", []string{"compare", "-col", "/keepalive@nope", baseFile}, 2, nil, "compare: -col:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, tt.args...)
			if code != tt.wantCode {
				t.Fatalf("got exit status %d; want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, stdout, stderr)
			}
			for _, want := range tt.wantStdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("got stdout:\n%s\nwant it to contain %q", stdout, want)
				}
			}
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("got stderr:\n%s\nwant it to contain %q", stderr, tt.wantStderr)
			}
		})
	}
}

func TestCompareJSON(t *testing.T) {
	stdout, stderr, code := runCLI(t, "compare", "-format", "json", "-filter", ".unit:p99-ns", baseFile, newFile)
	if code != 0 {
		t.Fatalf("got exit status %d: %s", code, stderr)
	}
	var out struct {
		Tables []struct {
			Unit string
			Rows []struct {
				Name  string
				Cells []struct {
					Significant *bool
					P           *float64
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("got invalid JSON: %v\n%s", err, stdout)
	}
	if len(out.Tables) != 1 || out.Tables[0].Unit != "p99-sec" || len(out.Tables[0].Rows) != 3 {
		t.Fatalf("got %+v; want one p99-sec table of 3 rows", out)
	}
	var significant []bool
	for _, r := range out.Tables[0].Rows {
		significant = append(significant, *r.Cells[1].Significant)
	}
	if want := []bool{true, false, true}; !slices.Equal(significant, want) {
		t.Errorf("got significant %v; want %v", significant, want)
	}
}

func TestCompareStepSummary(t *testing.T) {
	summary := filepath.Join(t.TempDir(), "summary.md")
	if err := os.WriteFile(summary, []byte("earlier step\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GITHUB_STEP_SUMMARY", summary)
	var stdout, stderr bytes.Buffer
	if err := run(&stdout, &stderr, []string{"compare", "-filter", ".unit:p99-ns", baseFile, newFile}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"earlier step\n### tunebench compare:", "| Gate/link=lan/keepalive=on | 50.10m ± 2% | 65.10m ± 2% | **+29.94%** (p=0.002 n=6) |"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("got summary:\n%s\nwant it to contain %q", got, want)
		}
	}
	if strings.Contains(stdout.String(), "###") {
		t.Errorf("got Markdown on stdout with -format text:\n%s", stdout.String())
	}
}
