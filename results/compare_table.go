package results

// The tables are built as benchstat builds them: this file follows
// golang.org/x/perf/cmd/benchstat/internal/benchtab (BSD-style licence,
// Copyright 2020 The Go Authors), which Go's internal-package rule keeps
// out of reach. Keeping the algorithm step for step is what makes the
// numbers equal to benchstat's.

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/aclements/go-moremath/stats"
	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchproc"
	"golang.org/x/perf/benchunit"
)

// A Table summarizes and compares the results of one unit (and one table
// key) in a grid: rows by the -row projection, columns by -col. Each row's
// cells are compared with its cell in the first column.
type Table struct {
	// Unit is the unit of every value in the table, as benchstat tidies
	// it: "sec/op" for ns/op, "p99-sec" for p99-ns.
	Unit string
	// Assumption is the distributional assumption of the unit: nothing
	// (medians and Mann–Whitney U) unless the file declares assume=exact.
	Assumption benchmath.Assumption
	// Config is the table key without the unit: the file-level keys and
	// values the -table projection groups by.
	Config []Config
	// Rows and Cols are the row and column keys in display order.
	Rows, Cols []benchproc.Key
	// Cells holds the cells that have results; not every (row, column)
	// pair does.
	Cells map[TableKey]*TableCell
	// Summary is the geomean row, by column.
	Summary map[benchproc.Key]*TableSummary
	// SummaryLabel labels the summary row: "geomean".
	SummaryLabel string
}

// TableKey is the row and column of one cell.
type TableKey struct {
	Row, Col benchproc.Key
}

// A TableCell is the sample of the results that project to one row and
// column.
type TableCell struct {
	Sample  *benchmath.Sample
	Summary benchmath.Summary
	// Baseline is the cell in the first column of the same row, or nil in
	// the first column and where that cell is missing.
	Baseline *TableCell
	// Comparison compares Sample with Baseline's; meaningless when
	// Baseline is nil.
	Comparison benchmath.Comparison
}

// Significant reports whether the cell differs from its baseline at the
// comparison's alpha level; benchstat shows "~" where it does not.
func (c *TableCell) Significant() bool {
	return c.Baseline != nil && c.Comparison.P <= c.Comparison.Alpha
}

// A TableSummary is one column's cell of the summary row.
type TableSummary struct {
	// HasSummary says whether Summary, the geomean of the column's
	// centers, is valid; HasRatio the same of Ratio, the geomean of the
	// column's ratios to the baseline.
	HasSummary bool
	Summary    float64
	HasRatio   bool
	Ratio      float64
	Warnings   []error
}

// rowScaler returns a common scaler for the values in row.
func (t *Table) rowScaler(row benchproc.Key, class benchunit.Class) benchunit.Scaler {
	var values []float64
	for _, col := range t.Cols {
		if cell, ok := t.Cells[TableKey{row, col}]; ok {
			values = append(values, cell.Summary.Center)
		}
	}
	return benchunit.CommonScale(values, class)
}

// builder collects results into tables.
type builder struct {
	tableBy, rowBy, colBy, residue *benchproc.Projection
	unitField                      *benchproc.Field
	byKey                          map[benchproc.Key]*builderTable
}

type builderTable struct {
	rows, cols map[benchproc.Key]struct{}
	cells      map[TableKey]*builderCell
}

type builderCell struct {
	values  []float64
	residue map[benchproc.Key]struct{}
}

// newBuilder returns a builder; tableBy must come from ParseWithUnit.
func newBuilder(tableBy, rowBy, colBy, residue *benchproc.Projection) *builder {
	fields := tableBy.Fields()
	return &builder{
		tableBy: tableBy, rowBy: rowBy, colBy: colBy, residue: residue,
		unitField: fields[len(fields)-1],
		byKey:     make(map[benchproc.Key]*builderTable),
	}
}

func (b *builder) empty() bool { return len(b.byKey) == 0 }

// add adds every value of res to its table's cell.
func (b *builder) add(res *benchfmt.Result) {
	tableKeys := b.tableBy.ProjectValues(res)
	rowKey := b.rowBy.Project(res)
	colKey := b.colBy.Project(res)
	residueKey := b.residue.Project(res)
	cellKey := TableKey{rowKey, colKey}
	for i, tableKey := range tableKeys {
		t := b.byKey[tableKey]
		if t == nil {
			t = &builderTable{
				rows:  make(map[benchproc.Key]struct{}),
				cols:  make(map[benchproc.Key]struct{}),
				cells: make(map[TableKey]*builderCell),
			}
			b.byKey[tableKey] = t
		}
		c := t.cells[cellKey]
		if c == nil {
			c = &builderCell{residue: make(map[benchproc.Key]struct{})}
			t.cells[cellKey] = c
			t.rows[rowKey] = struct{}{}
			t.cols[colKey] = struct{}{}
		}
		c.values = append(c.values, res.Values[i].Value)
		c.residue[residueKey] = struct{}{}
	}
}

// tables finishes the builder into tables and their keys, in order.
func (b *builder) tables(confidence float64, thresholds *benchmath.Thresholds, units benchfmt.UnitMetadataMap) ([]*Table, []benchproc.Key) {
	keys := mapKeys(b.byKey)
	var tables []*Table
	for _, k := range keys {
		bt := b.byKey[k]
		unit := k.Get(b.unitField)
		assumption := units.GetAssumption(unit)
		t := &Table{
			Unit:       unit,
			Assumption: assumption,
			Config:     tableConfig(k),
			Rows:       mapKeys(bt.rows),
			Cols:       mapKeys(bt.cols),
			Cells:      make(map[TableKey]*TableCell),
		}
		tables = append(tables, t)
		for tk, bc := range bt.cells {
			t.Cells[tk] = &TableCell{Sample: benchmath.NewSample(bc.values, thresholds)}
		}
		base := t.Cols[0]
		for tk, bc := range bt.cells {
			cell := t.Cells[tk]
			if tk.Col != base {
				if baseline, ok := t.Cells[TableKey{tk.Row, base}]; ok {
					cell.Baseline = baseline
				}
			}
			summarizeCell(bc, cell, assumption, confidence)
		}
	}
	for _, t := range tables {
		t.SummaryLabel = "geomean"
		t.Summary = make(map[benchproc.Key]*TableSummary)
		// Count the rows with a baseline: a later column with fewer
		// pairings has a different set of benchmarks.
		nBase := 0
		for _, row := range t.Rows {
			if _, ok := t.Cells[TableKey{row, t.Cols[0]}]; ok {
				nBase++
			}
		}
		for i, col := range t.Cols {
			s := new(TableSummary)
			t.Summary[col] = s
			summarizeCol(t, col, s, nBase, i == 0)
		}
	}
	return tables, keys
}

// tableConfig returns a table key's fields other than .unit.
func tableConfig(k benchproc.Key) []Config {
	var cfg []Config
	for _, f := range k.Projection().FlattenedFields() {
		if f.Name != ".unit" {
			cfg = append(cfg, Config{Key: f.Name, Value: k.Get(f)})
		}
	}
	return cfg
}

func mapKeys[V any](m map[benchproc.Key]V) []benchproc.Key {
	keys := make([]benchproc.Key, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	benchproc.SortKeys(keys)
	return keys
}

func summarizeCell(bc *builderCell, cell *TableCell, assumption benchmath.Assumption, confidence float64) {
	cell.Summary = assumption.Summary(cell.Sample, confidence)
	if cell.Baseline != nil {
		cell.Comparison = assumption.Compare(cell.Baseline.Sample, cell.Sample)
	}
	// Results that vary in a key no projection shows were lumped together.
	if nsk := benchproc.NonSingularFields(mapKeys(bc.residue)); len(nsk) > 0 {
		names := make([]string, len(nsk))
		for i, f := range nsk {
			names[i] = f.Name
		}
		cell.Sample.Warnings = append(cell.Sample.Warnings, errors.New("benchmarks vary in "+strings.Join(names, ", ")))
	}
}

// summarizeCol computes the geomean of a column's centers and of its
// ratios to the baseline (the geomean of the ratios rather than the ratio
// of the geomeans, which stays meaningful when benchmark sets differ).
func summarizeCol(t *Table, col benchproc.Key, s *TableSummary, nBase int, isBase bool) {
	var summaries, ratios []float64
	badRatio := false
	for _, row := range t.Rows {
		cell, ok := t.Cells[TableKey{row, col}]
		if !ok {
			continue
		}
		summaries = append(summaries, cell.Summary.Center)
		if cell.Baseline == nil {
			continue
		}
		a, b := cell.Summary.Center, cell.Baseline.Summary.Center
		switch {
		case a == b:
			ratios = append(ratios, 1)
		case b == 0:
			badRatio = true
			ratios = append(ratios, 0)
		default:
			ratios = append(ratios, a/b)
		}
	}
	if !isBase && nBase != len(ratios) {
		s.Warnings = append(s.Warnings, fmt.Errorf("benchmark set differs from baseline; geomeans may not be comparable"))
	}
	if gm := stats.GeoMean(summaries); math.IsNaN(gm) {
		s.Warnings = append(s.Warnings, fmt.Errorf("summaries must be >0 to compute geomean"))
	} else {
		s.HasSummary, s.Summary = true, gm
	}
	if !isBase && !badRatio {
		if gm := stats.GeoMean(ratios); math.IsNaN(gm) {
			s.Warnings = append(s.Warnings, fmt.Errorf("ratios must be >0 to compute geomean"))
		} else {
			s.HasRatio, s.Ratio = true, gm
		}
	}
}
