package results

// Text and CSV are laid out as benchstat lays them out, following
// golang.org/x/perf/cmd/benchstat/internal/benchtab and texttab
// (BSD-style licence, Copyright 2020 The Go Authors), so that the output
// is byte for byte benchstat's.

import (
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/perf/benchproc"
	"golang.org/x/perf/benchunit"
)

// WriteText writes the comparison as benchstat's text output: the
// configuration of each table group, then a table per unit.
func (c *Comparison) WriteText(w io.Writer) error {
	return c.printTables(func(hdr string) error {
		_, err := fmt.Fprintf(w, "%s\n", hdr)
		return err
	}, func(t *Table) error {
		return t.writeText(w)
	})
}

// WriteCSV writes the comparison as benchstat -format csv does. Warnings go
// to warnings, each prefixed with the spreadsheet cell it belongs to.
func (c *Comparison) WriteCSV(w, warnings io.Writer) error {
	o := csv.NewWriter(w)
	row := 1
	err := c.printTables(func(hdr string) error {
		o.Write([]string{hdr})
		row++
		return nil
	}, func(t *Table) error {
		row += t.writeCSV(o, row, warnings)
		return nil
	})
	if err != nil {
		return err
	}
	o.Flush()
	return o.Error()
}

// printTables calls hdr for each line of configuration that changes from
// one table to the next, and table for each table.
func (c *Comparison) printTables(hdr func(string) error, table func(*Table) error) error {
	if len(c.Tables) == 0 {
		return nil
	}
	var prev benchproc.Key
	fields := c.keys[0].Projection().FlattenedFields()
	for i, t := range c.Tables {
		if i > 0 {
			if err := hdr(""); err != nil {
				return err
			}
		}
		key := c.keys[i]
		for _, f := range fields {
			if f.Name == ".unit" {
				continue // the table shows it
			}
			val := key.Get(f)
			if prev.IsZero() || val != prev.Get(f) {
				if err := hdr(fmt.Sprintf("%s: %s", f.Name, val)); err != nil {
					return err
				}
			}
		}
		prev = key
		if err := table(t); err != nil {
			return err
		}
	}
	return nil
}

func (t *Table) writeText(w io.Writer) error {
	var o textTable
	// Each column is centerCols wide, plus deltaCols after the first.
	const labelCols = 1
	const centerCols = 3 // <center ±> <CI> <warnings>
	const deltaCols = 3  // <P%> <(p=0.PPP n=N)> <warnings>
	startCol := func(exp int) int {
		if exp == 0 {
			return labelCols
		}
		return labelCols + centerCols + (exp-1)*(centerCols+deltaCols)
	}

	var warningList []string
	warningSet := make(map[string]int)
	warn := func(msgs ...[]error) {
		var notes []string
		for _, list := range msgs {
			for _, msg := range list {
				s := msg.Error()
				i, ok := warningSet[s]
				if !ok {
					i = len(warningList)
					warningSet[s] = i
					warningList = append(warningList, s)
				}
				notes = append(notes, superscript(i+1))
			}
		}
		o.cell(strings.Join(notes, " "))
	}

	kt := benchproc.NewKeyHeader(t.Cols)
	rEdge := startCol(len(t.Cols) + 1)
	for nodes := kt.Top; len(nodes) > 0; {
		var next []*benchproc.KeyHeaderNode
		o.row()
		for _, node := range nodes {
			l, r := startCol(node.Start), startCol(node.Start+node.Len)
			o.col(l).span(r-l, node.Value, alignCenter, leftMargin(" │ "))
			next = append(next, node.Children...)
		}
		o.col(rEdge).cell("", leftMargin(" │"))
		nodes = next
	}

	o.row()
	for i := range t.Cols {
		l := startCol(i)
		o.col(l)
		o.span(centerCols, t.Unit, alignCenter, leftMargin(" │ "))
		if i > 0 {
			o.span(deltaCols, "vs base", alignLeft, leftMargin("  "))
		}
		for j := l + 1; j < o.curCol; j++ {
			o.setShrink(j)
		}
	}
	o.col(rEdge).cell("", leftMargin(" │"))

	class := benchunit.ClassOf(t.Unit)
	for _, row := range t.Rows {
		o.row()
		o.cell(row.StringValues())
		scaler := t.rowScaler(row, class)
		for exp, col := range t.Cols {
			cell, ok := t.Cells[TableKey{row, col}]
			if !ok {
				continue
			}
			o.col(startCol(exp))
			o.cell(scaler.Format(cell.Summary.Center), alignRight)
			o.cell(cell.Summary.PctRangeString(), alignRight, leftMargin(" ± "))
			warn(cell.Sample.Warnings, cell.Summary.Warnings)
			if exp > 0 && cell.Baseline != nil {
				o.cell(cell.Comparison.FormatDelta(cell.Baseline.Summary.Center, cell.Summary.Center), alignRight)
				o.cell("(" + cell.Comparison.String() + ")")
				warn(cell.Comparison.Warnings)
			}
		}
	}

	if len(t.Rows) > 1 {
		o.row()
		o.cell(t.SummaryLabel)
		for exp, col := range t.Cols {
			s, ok := t.Summary[col]
			if !ok {
				continue
			}
			if s.HasSummary {
				o.col(startCol(exp))
				o.cell(benchunit.Scale(s.Summary, class), alignRight)
			}
			if exp > 0 {
				o.col(startCol(exp) + centerCols)
				if s.HasRatio {
					o.cell(fmt.Sprintf("%+.2f%%", (s.Ratio-1)*100), alignRight)
				} else {
					o.cell("?")
				}
			}
			o.col(startCol(exp+1) - 1)
			warn(s.Warnings)
		}
	}

	if err := o.format(w); err != nil {
		return err
	}
	for i, msg := range warningList {
		if _, err := fmt.Fprintf(w, "%s %s\n", superscript(i+1), msg); err != nil {
			return err
		}
	}
	return nil
}

var superDigits = []rune("⁰¹²³⁴⁵⁶⁷⁸⁹")

func superscript(i int) string {
	if i == 0 {
		return string(superDigits[0])
	}
	var buf [20]rune
	pos := len(buf)
	for i > 0 && pos > 0 {
		pos--
		buf[pos] = superDigits[i%10]
		i /= 10
	}
	return string(buf[pos:])
}

// writeCSV writes t and returns the number of rows written. Warnings name
// spreadsheet cells counted from startRow.
func (t *Table) writeCSV(o *csv.Writer, startRow int, warnings io.Writer) (rowCount int) {
	const labelCols = 1
	const centerCols = 2 // <center> <CI>
	const deltaCols = 2  // <P%> <(p=0.PPP n=N)>
	startCol := func(exp int) int {
		if exp == 0 {
			return labelCols
		}
		return labelCols + centerCols + (exp-1)*(centerCols+deltaCols)
	}
	row := make([]string, 0, startCol(len(t.Cols)))
	clearTo := func(col int) {
		for len(row) < col {
			row = append(row, "")
		}
	}
	emit := func() {
		o.Write(row)
		row = row[:0]
		rowCount++
	}
	warn := func(msgs []error) {
		name := make([]byte, 10)
		pos := len(name)
		for x := len(row); x > 0; {
			pos--
			name[pos] = 'A' + byte(x%26)
			x /= 26
		}
		if pos == len(name) {
			pos--
			name[pos] = 'A'
		}
		for _, msg := range msgs {
			fmt.Fprintf(warnings, "%s%d: %s\n", name[pos:], startRow+rowCount, msg)
		}
	}

	for _, field := range t.Cols[0].Projection().FlattenedFields() {
		for exp, key := range t.Cols {
			clearTo(startCol(exp))
			row = append(row, key.Get(field))
		}
		clearTo(startCol(len(t.Cols)))
		emit()
	}
	for exp := range t.Cols {
		clearTo(startCol(exp))
		row = append(row, t.Unit, "CI")
		if exp > 0 {
			row = append(row, "vs base", "P")
		}
	}
	emit()

	for _, rowKey := range t.Rows {
		row = append(row, rowKey.StringValues())
		for exp, colKey := range t.Cols {
			cell, ok := t.Cells[TableKey{rowKey, colKey}]
			if !ok {
				continue
			}
			clearTo(startCol(exp))
			warn(cell.Sample.Warnings)
			warn(cell.Summary.Warnings)
			row = append(row, fmt.Sprint(cell.Summary.Center), cell.Summary.PctRangeString())
			if exp > 0 && cell.Baseline != nil {
				warn(cell.Comparison.Warnings)
				row = append(row,
					cell.Comparison.FormatDelta(cell.Baseline.Summary.Center, cell.Summary.Center),
					cell.Comparison.String())
			}
		}
		emit()
	}

	row = append(row, t.SummaryLabel)
	for exp, key := range t.Cols {
		s, ok := t.Summary[key]
		if !ok {
			continue
		}
		clearTo(startCol(exp))
		warn(s.Warnings)
		if s.HasSummary {
			row = append(row, fmt.Sprint(s.Summary))
		}
		if exp > 0 {
			clearTo(startCol(exp) + centerCols)
			if s.HasRatio {
				row = append(row, fmt.Sprintf("%+.2f%%", (s.Ratio-1)*100))
			} else {
				row = append(row, "?")
			}
		}
	}
	clearTo(startCol(len(t.Cols)))
	emit()
	return rowCount
}

// textTable lays out a table of text in a fixed-width font, as texttab
// does.
type textTable struct {
	cells          []textCell
	cols           int
	shrink         []bool
	curRow, curCol int
}

type textCell struct {
	row, col, span int
	value          string
	leftMargin     string
	alignment      align
}

type cellOption func(c *textCell)

func leftMargin(x string) cellOption { return func(c *textCell) { c.leftMargin = x } }

type align int

const (
	alignLeftValue align = iota
	alignCenterValue
	alignRightValue
)

var (
	alignLeft   cellOption = func(c *textCell) { c.alignment = alignLeftValue }
	alignCenter cellOption = func(c *textCell) { c.alignment = alignCenterValue }
	alignRight  cellOption = func(c *textCell) { c.alignment = alignRightValue }
)

func (a align) lpad(s string, w int) string {
	switch a {
	case alignCenterValue:
		l := (w - utf8.RuneCountInString(s)) / 2
		return fmt.Sprintf("%*s%s", l, "", s)
	case alignRightValue:
		return fmt.Sprintf("%*s", w, s)
	}
	return s
}

func (t *textTable) row() *textTable {
	if len(t.cells) > 0 {
		t.curRow++
	}
	t.curCol = 0
	return t
}

func (t *textTable) col(col int) *textTable {
	if col < t.curCol {
		panic(fmt.Sprintf("cannot move from column %d to earlier column %d", t.curCol, col))
	}
	t.curCol = col
	return t
}

func (t *textTable) cell(value string, opts ...cellOption) *textTable {
	return t.span(1, value, opts...)
}

func (t *textTable) span(cols int, value string, opts ...cellOption) *textTable {
	margin := " "
	if t.curCol == 0 || len(value) == 0 {
		margin = ""
	}
	t.cells = append(t.cells, textCell{t.curRow, t.curCol, cols, value, margin, alignLeftValue})
	for _, o := range opts {
		o(&t.cells[len(t.cells)-1])
	}
	t.curCol += cols
	t.cols = max(t.cols, t.curCol)
	return t
}

// setShrink marks a column to keep its minimum width when a spanning cell
// needs more room.
func (t *textTable) setShrink(col int) {
	for len(t.shrink) < col+1 {
		t.shrink = append(t.shrink, false)
	}
	t.shrink[col] = true
}

func (t *textTable) format(w io.Writer) error {
	shrink := func(col int) bool { return col < len(t.shrink) && t.shrink[col] }
	lmargin := make([]int, t.cols)
	for _, c := range t.cells {
		lmargin[c.col] = max(utf8.RuneCountInString(c.leftMargin), lmargin[c.col])
	}

	// Column widths, margins included, from the narrowest spans up.
	ws := make([]int, t.cols)
	sort.Slice(t.cells, func(i, j int) bool { return t.cells[i].span < t.cells[j].span })
	var spanCols []int
	for _, c := range t.cells {
		w := utf8.RuneCountInString(c.value) + lmargin[c.col]
		if c.span == 1 {
			ws[c.col] = max(ws[c.col], w)
			continue
		}
		tw := 0
		for col := c.col; col < c.col+c.span; col++ {
			tw += ws[col]
		}
		if tw >= w {
			continue
		}
		// Widen the growable columns towards their average, widest
		// first, so that columns already wider than it keep their width.
		spanCols = spanCols[:0]
		for col := c.col; col < c.col+c.span; col++ {
			if shrink(col) {
				w -= ws[col]
			} else {
				spanCols = append(spanCols, col)
			}
		}
		sort.Slice(spanCols, func(i, j int) bool { return ws[spanCols[i]] > ws[spanCols[j]] })
		n := len(spanCols)
		for _, col := range spanCols {
			avg := (w + n - 1) / n
			ws[col] = max(ws[col], avg)
			w -= ws[col]
			n--
		}
	}

	offs := make([]int, t.cols+1)
	off := 0
	for i, w := range ws {
		offs[i] = off
		off += w
	}
	offs[len(ws)] = off

	sort.Slice(t.cells, func(i, j int) bool {
		if t.cells[i].row != t.cells[j].row {
			return t.cells[i].row < t.cells[j].row
		}
		return t.cells[i].col < t.cells[j].col
	})
	row, off := 0, 0
	for _, c := range t.cells {
		if strings.TrimSpace(c.value) == "" && strings.TrimSpace(c.leftMargin) == "" {
			continue // no trailing spaces for empty cells
		}
		for c.row > row {
			if _, err := fmt.Fprintf(w, "\n"); err != nil {
				return err
			}
			row++
			off = 0
		}
		spaces := offs[c.col] - off
		if _, err := fmt.Fprintf(w, "%*s%*s", spaces, "", lmargin[c.col], c.leftMargin); err != nil {
			return err
		}
		off += spaces + lmargin[c.col]
		tw := offs[c.col+c.span] - offs[c.col] - lmargin[c.col]
		s := c.alignment.lpad(c.value, tw)
		if _, err := fmt.Fprintf(w, "%s", s); err != nil {
			return err
		}
		off += utf8.RuneCountInString(s)
	}
	if len(t.cells) > 0 {
		if _, err := fmt.Fprintf(w, "\n"); err != nil {
			return err
		}
	}
	return nil
}
