package results

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchproc"
)

// An Input is one results file to compare.
type Input struct {
	// Label is the file's value of the ".file" key: the column heading
	// of the default comparison.
	Label string
	// Path is where the file is.
	Path string
}

// ParseInputs reads command-line file arguments as benchstat does: an
// argument "label=path" labels the file, and a path given more than once
// without a label is told apart by "#0", "#1", ... after it.
func ParseInputs(args []string) []Input {
	inputs := make([]Input, len(args))
	labeled := make([]bool, len(args))
	count := make(map[string]int)
	for i, arg := range args {
		if label, path, ok := strings.Cut(arg, "="); ok {
			inputs[i], labeled[i] = Input{Label: label, Path: path}, true
			continue
		}
		inputs[i] = Input{Label: arg, Path: arg}
		count[arg]++
	}
	seen := make(map[string]int)
	for i := range inputs {
		if labeled[i] || count[inputs[i].Path] == 1 {
			continue
		}
		inputs[i].Label = fmt.Sprintf("%s#%d", inputs[i].Path, seen[inputs[i].Path])
		seen[inputs[i].Path]++
	}
	return inputs
}

// CompareOptions configures Compare. The zero value compares as benchstat
// does with no flags, except for configuration that differs between the
// files (see SplitOnConfig).
type CompareOptions struct {
	// Table, Row and Col are benchstat's -table, -row and -col
	// projections; empty means ".config", ".fullname" and ".file".
	Table, Row, Col string
	// Ignore is benchstat's -ignore: keys not to group by.
	Ignore string
	// Filter is benchstat's -filter query; empty means "*".
	Filter string
	// Alpha is the significance level of the comparisons, over 0 and at
	// most 1; 0 means 0.05.
	Alpha float64
	// Confidence is the level of the confidence intervals, over 0 and
	// below 1; 0 means 0.95.
	Confidence float64
	// SplitOnConfig keeps benchstat's behaviour of starting a new table
	// for every distinct file-level configuration. By default, a file-level
	// key whose value differs between the inputs (a version, a seed, a
	// link's parameters) is ignored instead, as if it were in Ignore, and
	// listed in Comparison.Ignored: two runs of a suite differ in such lines,
	// and a comparison that splits them into separate tables compares
	// nothing.
	SplitOnConfig bool
}

// A ConfigDiff is a file-level configuration key whose value differs
// between the files compared.
type ConfigDiff struct {
	Key string
	// Values holds the key's value in each file, in the order given;
	// "" where a file lacks the key.
	Values []string
}

// String returns "key: a → b", with "(none)" for a missing value.
func (d ConfigDiff) String() string {
	vals := make([]string, len(d.Values))
	for i, v := range d.Values {
		if v == "" {
			v = "(none)"
		}
		vals[i] = v
	}
	return d.Key + ": " + strings.Join(vals, " → ")
}

// A Comparison is benchstat's analysis of a set of results files: one table
// per unit and table key, with the median and confidence interval of every
// cell and the comparison of each column with the first.
type Comparison struct {
	// Inputs are the files compared, in order.
	Inputs []Input
	// Ignored lists the configuration keys that differ between the inputs
	// and were therefore left out of the grouping; empty with
	// CompareOptions.SplitOnConfig.
	Ignored []ConfigDiff
	// Tables holds the tables in benchstat's order.
	Tables []*Table
	// Warnings are problems that did not stop the comparison, such as
	// results a filter could not be applied to.
	Warnings []string

	alpha, confidence float64
	keys              []benchproc.Key // Tables[i]'s key, .unit last
}

// Alpha and Confidence return the levels the comparison used.
func (c *Comparison) Alpha() float64      { return c.alpha }
func (c *Comparison) Confidence() float64 { return c.confidence }

// IgnoredKeys returns the keys of Ignored.
func (c *Comparison) IgnoredKeys() []string {
	keys := make([]string, len(c.Ignored))
	for i, d := range c.Ignored {
		keys[i] = d.Key
	}
	return keys
}

// Compare reads the inputs and compares them with benchstat's statistics:
// the same projections, filter, medians, confidence intervals and
// Mann–Whitney U tests as the benchstat command, so that its numbers are the
// numbers benchstat prints for the same files and flags. Each file must be
// a valid results file (see Read); a file that cannot be read, holds garbage
// or holds no results is an error that names it.
func Compare(inputs []Input, opts CompareOptions) (*Comparison, error) {
	if len(inputs) == 0 {
		return nil, errors.New("results: compare: no files given")
	}
	if opts.Alpha == 0 {
		opts.Alpha = benchmath.DefaultThresholds.CompareAlpha
	}
	if opts.Confidence == 0 {
		opts.Confidence = 0.95
	}
	switch {
	case opts.Alpha < 0 || opts.Alpha > 1:
		return nil, fmt.Errorf("results: compare: alpha %v is not over 0 and at most 1", opts.Alpha)
	case opts.Confidence < 0 || opts.Confidence >= 1:
		return nil, fmt.Errorf("results: compare: confidence %v is not over 0 and below 1", opts.Confidence)
	}

	datas := make([][]byte, len(inputs))
	files := make([]*File, len(inputs))
	for i, in := range inputs {
		data, err := os.ReadFile(in.Path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("results: %w; run `tunebench run` first", err)
		}
		if err != nil {
			return nil, fmt.Errorf("results: %w", err)
		}
		if files[i], err = parse(in.Path, data); err != nil {
			return nil, err
		}
		datas[i] = data
	}

	c := &Comparison{Inputs: inputs, alpha: opts.Alpha, confidence: opts.Confidence}
	ignore := opts.Ignore
	if !opts.SplitOnConfig {
		c.Ignored = configDiffs(files)
		for _, d := range c.Ignored {
			ignore += "," + strconv.Quote(d.Key)
		}
		ignore = strings.TrimPrefix(ignore, ",")
	}

	filter, err := benchproc.NewFilter(orDefault(opts.Filter, "*"))
	if err != nil {
		return nil, fmt.Errorf("results: compare: -filter: %w", err)
	}
	var parser benchproc.ProjectionParser
	tableBy, _, err := parser.ParseWithUnit(orDefault(opts.Table, ".config"), filter)
	if err != nil {
		return nil, fmt.Errorf("results: compare: -table: %w", err)
	}
	rowBy, err := parser.Parse(orDefault(opts.Row, ".fullname"), filter)
	if err != nil {
		return nil, fmt.Errorf("results: compare: -row: %w", err)
	}
	colBy, err := parser.Parse(orDefault(opts.Col, ".file"), filter)
	if err != nil {
		return nil, fmt.Errorf("results: compare: -col: %w", err)
	}
	if _, err := parser.Parse(ignore, filter); err != nil {
		return nil, fmt.Errorf("results: compare: -ignore: %w", err)
	}
	b := newBuilder(tableBy, rowBy, colBy, parser.Residue())

	// One reader for every file, as benchfmt.Files does, so that unit
	// metadata accumulates across them.
	var rd benchfmt.Reader
	seenWarning := make(map[string]bool)
	for i, in := range inputs {
		rd.Reset(bytes.NewReader(datas[i]), in.Path, ".file", in.Label)
		for rd.Scan() {
			switch rec := rd.Result().(type) {
			case *benchfmt.SyntaxError:
				// Read accepted each file alone, so this is a
				// conflict between files, e.g. in unit metadata.
				return nil, fmt.Errorf("results: compare: %w", rec)
			case *benchfmt.Result:
				ok, err := filter.Apply(rec)
				if err != nil && !seenWarning[err.Error()] {
					seenWarning[err.Error()] = true
					c.Warnings = append(c.Warnings, err.Error())
				}
				if ok {
					b.add(rec)
				}
			}
		}
		if err := rd.Err(); err != nil {
			return nil, fmt.Errorf("results: compare: %s: %w", in.Path, err)
		}
	}
	if b.empty() {
		return nil, fmt.Errorf("results: compare: -filter %q leaves no results to compare", orDefault(opts.Filter, "*"))
	}
	thresholds := benchmath.Thresholds{CompareAlpha: opts.Alpha}
	c.Tables, c.keys = b.tables(opts.Confidence, &thresholds, rd.Units())
	return c, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// configDiffs returns the file-level keys whose values are not the same in
// every file, in the order they first appear.
func configDiffs(files []*File) []ConfigDiff {
	var keys []string
	values := make([]map[string]string, len(files))
	for i, f := range files {
		values[i] = make(map[string]string, len(f.Config))
		for _, c := range f.Config {
			values[i][c.Key] = c.Value
			if !slices.Contains(keys, c.Key) {
				keys = append(keys, c.Key)
			}
		}
	}
	var diffs []ConfigDiff
	for _, k := range keys {
		d := ConfigDiff{Key: k, Values: make([]string, len(files))}
		same := true
		for i := range files {
			d.Values[i] = values[i][k]
			same = same && d.Values[i] == d.Values[0]
		}
		if !same {
			diffs = append(diffs, d)
		}
	}
	return diffs
}
