package results

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	"golang.org/x/perf/benchfmt"
)

// A File is a results file as Read returns it.
type File struct {
	// Name is the file name given to Read, used in messages.
	Name string
	// Config holds the file-level configuration in file order.
	Config []Config
	// Units maps each unit with a "better" declaration, as written (e.g.
	// "p50-ns"), to "lower" or "higher".
	Units map[string]string
	// Rows holds the benchmark lines in file order.
	Rows []Row
	// Failures holds the failed repetitions in file order.
	Failures []Failure
}

// A Row is one benchmark line: one successful repetition.
type Row struct {
	// Name is the benchmark name without the "Benchmark" prefix, as
	// benchfmt.Result.Name holds it: "Handshake/link=wan40/keepalive=off".
	Name string
	// Suite and Cell split Name at its first '/': "Handshake" and
	// "link=wan40/keepalive=off".
	Suite string
	Cell  string
	// Rep is the line's 1-based position among the lines (benchmark and
	// failure lines) of the same name. It is the repetition index when, as
	// the runner does, each repetition is written once and in order.
	Rep int
	// N is the iteration count: the number of measured requests.
	N int
	// Values maps each unit as written (e.g. "p50-ns", not benchstat's
	// "p50-sec") to the value as written.
	Values map[string]float64
	// Line is the 1-based line number in the file.
	Line int
}

// A Failure is one failure line: a repetition that produced no result.
type Failure struct {
	// Name, Suite and Cell are as in Row.
	Name  string
	Suite string
	Cell  string
	// Rep is the repetition index the line names.
	Rep int
	// Message says why the repetition failed.
	Message string
	// Line is the 1-based line number in the file.
	Line int
}

// maxErrors bounds how many syntax errors Read reports, so that reading the
// wrong file gives a readable message.
const maxErrors = 10

// ReadFile reads the results file at path. See Read.
func ReadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("results: %w; run `tunebench run` first", err)
	}
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	return parse(path, data)
}

// Read reads a results file from r; name is used in messages. The lines are
// parsed with benchfmt, as benchstat parses them, and more strictly: every
// line must be blank, a configuration, Unit, benchmark or failure line, and a
// configuration key must keep its value. Each error names the file and line.
// A file without any benchmark or failure line is an error too.
func Read(name string, r io.Reader) (*File, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("results: reading %s: %w", name, err)
	}
	return parse(name, data)
}

// lineError is a problem with one line of a file.
type lineError struct {
	line int
	msg  string
}

// parse reads data twice: once with benchfmt, for benchmark and unit lines
// exactly as benchstat sees them, and once line by line, for what benchfmt
// skips in silence (failure lines, garbage, benchmark lines it drops).
func parse(name string, data []byte) (*File, error) {
	f := &File{Name: name, Units: make(map[string]string)}
	var problems []lineError

	rows := make(map[int]Row)
	rd := benchfmt.NewReader(bytes.NewReader(data), name)
	for rd.Scan() {
		switch rec := rd.Result().(type) {
		case *benchfmt.Result:
			_, line := rec.Pos()
			rows[line] = rowOf(rec, line)
		case *benchfmt.SyntaxError:
			problems = append(problems, lineError{rec.Line, rec.Msg})
		}
	}
	if err := rd.Err(); err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	for key, meta := range rd.Units() {
		if key.Key == "better" {
			f.Units[meta.OrigUnit] = meta.Value
		}
	}

	reps := make(map[string]int)
	config := make(map[string]string)
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "":
		case strings.HasPrefix(line, "Benchmark"):
			row, ok := rows[n]
			if !ok {
				if !slices.ContainsFunc(problems, func(p lineError) bool { return p.line == n }) {
					problems = append(problems, lineError{n, fmt.Sprintf("benchmark line without measurements: %s", quote(line))})
				}
				continue
			}
			reps[row.Name]++
			row.Rep = reps[row.Name]
			f.Rows = append(f.Rows, row)
		case isUnitLine(line):
			// benchfmt parsed it and reported its errors.
		case strings.HasPrefix(line, "--- FAIL:"):
			fail, err := failureOf(line, n)
			if err != nil {
				problems = append(problems, lineError{n, err.Error()})
				continue
			}
			reps[fail.Name]++
			f.Failures = append(f.Failures, fail)
		default:
			key, value, ok := parseConfigLine(line)
			switch {
			case !ok:
				problems = append(problems, lineError{n, fmt.Sprintf("unrecognised line %s; a results file holds only configuration, Unit, Benchmark and --- FAIL lines", quote(line))})
			case value == "":
				problems = append(problems, lineError{n, fmt.Sprintf("config key %q has no value", key)})
			case config[key] == "" && len(f.Rows)+len(f.Failures) > 0:
				problems = append(problems, lineError{n, fmt.Sprintf("config %s first appears after results; a results file holds one run, so write each run to its own file", key)})
			case config[key] == "":
				config[key] = value
				f.Config = append(f.Config, Config{Key: key, Value: value})
			case config[key] != value:
				problems = append(problems, lineError{n, fmt.Sprintf("config %s changes from %q to %q; a results file holds one run, so write each run to its own file", key, config[key], value)})
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("results: %s: %w", name, err)
	}

	if err := errorOf(name, problems); err != nil {
		return nil, err
	}
	if len(f.Rows) == 0 && len(f.Failures) == 0 {
		return nil, fmt.Errorf("results: %s: no benchmark results; run `tunebench run` first", name)
	}
	return f, nil
}

// rowOf copies what a Row needs out of rec, which benchfmt reuses.
func rowOf(rec *benchfmt.Result, line int) Row {
	name := string(rec.Name)
	suite, cell := splitName(name)
	row := Row{Name: name, Suite: suite, Cell: cell, N: rec.Iters, Values: make(map[string]float64, len(rec.Values)), Line: line}
	for _, v := range rec.Values {
		if v.OrigUnit != "" {
			row.Values[v.OrigUnit] = v.OrigValue
		} else {
			row.Values[v.Unit] = v.Value
		}
	}
	return row
}

// failureOf parses failure line n.
func failureOf(line string, n int) (Failure, error) {
	if !strings.HasPrefix(line, failPrefix) {
		return Failure{}, fmt.Errorf("failure line does not name a benchmark: %s", quote(line))
	}
	name, rep, msg, err := parseFailure(line)
	if err != nil {
		return Failure{}, fmt.Errorf("%w: %s", err, quote(line))
	}
	suite, cell := splitName(name)
	return Failure{Name: name, Suite: suite, Cell: cell, Rep: rep, Message: msg, Line: n}, nil
}

// isUnitLine reports whether benchfmt reads line as a unit metadata line.
func isUnitLine(line string) bool {
	rest, ok := strings.CutPrefix(line, "Unit")
	return ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t')
}

// errorOf joins the problems, in line order, into one error.
func errorOf(name string, problems []lineError) error {
	if len(problems) == 0 {
		return nil
	}
	slices.SortStableFunc(problems, func(a, b lineError) int { return cmp.Compare(a.line, b.line) })
	var errs []error
	for i, p := range problems {
		if i == maxErrors {
			errs = append(errs, fmt.Errorf("results: %s: %d more errors", name, len(problems)-maxErrors))
			break
		}
		errs = append(errs, fmt.Errorf("results: %s:%d: %s", name, p.line, p.msg))
	}
	return errors.Join(errs...)
}

// quote quotes line for a message, shortened if it is long.
func quote(line string) string {
	const max = 60
	if r := []rune(line); len(r) > max {
		return fmt.Sprintf("%q...", string(r[:max]))
	}
	return fmt.Sprintf("%q", line)
}
