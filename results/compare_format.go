package results

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"golang.org/x/perf/benchproc"
	"golang.org/x/perf/benchunit"
)

// WriteMarkdown writes the comparison as GitHub-flavoured Markdown, for a
// pull request or a job summary: the same tables as WriteText, with the
// significant changes in bold and the warnings as footnotes.
func (c *Comparison) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	labels := make([]string, len(c.Inputs))
	for i, in := range c.Inputs {
		labels[i] = "`" + mdCode(in.Label) + "`"
	}
	fmt.Fprintf(&b, "### tunebench compare: %s\n\n", strings.Join(labels, ", "))
	fmt.Fprintf(&b, "Medians with their %v%% confidence intervals; changes are in bold where the Mann–Whitney U test finds them significant at α = %v, and shown as ~ where it does not.\n\n",
		numberText(c.confidence*100), numberText(c.alpha))
	if len(c.Ignored) > 0 {
		b.WriteString("The files differ in this configuration, which was ignored so that they could be compared:\n\n")
		for _, d := range c.Ignored {
			fmt.Fprintf(&b, "- `%s`\n", mdCode(d.String()))
		}
		b.WriteString("\n")
	}
	for _, warn := range c.Warnings {
		fmt.Fprintf(&b, "> %s\n\n", mdText(warn))
	}
	var prev []Config
	for _, t := range c.Tables {
		var changed []string
		for i, cfg := range t.Config {
			if prev == nil || i >= len(prev) || prev[i] != cfg {
				changed = append(changed, "`"+mdCode(cfg.Key+": "+cfg.Value)+"`")
			}
		}
		switch {
		case len(changed) > 3:
			fmt.Fprintf(&b, "<details><summary>Configuration</summary>\n\n%s\n\n</details>\n\n", strings.Join(changed, "<br>\n"))
		case len(changed) > 0:
			b.WriteString(strings.Join(changed, " · "))
			b.WriteString("\n\n")
		}
		prev = t.Config
		t.writeMarkdown(&b)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (t *Table) writeMarkdown(b *strings.Builder) {
	var notes []string
	note := func(msgs ...[]error) string {
		var marks []string
		for _, list := range msgs {
			for _, msg := range list {
				i := slices.Index(notes, msg.Error())
				if i < 0 {
					i = len(notes)
					notes = append(notes, msg.Error())
				}
				marks = append(marks, superscript(i+1))
			}
		}
		if len(marks) == 0 {
			return ""
		}
		return " " + strings.Join(marks, " ")
	}

	fmt.Fprintf(b, "**%s**\n\n|", mdText(t.Unit))
	align := "|:--"
	for i, col := range t.Cols {
		fmt.Fprintf(b, " | %s", mdText(col.StringValues()))
		align += "|--:"
		if i > 0 {
			b.WriteString(" | vs base")
			align += "|--:"
		}
	}
	b.WriteString(" |\n" + align + "|\n")

	class := benchunit.ClassOf(t.Unit)
	for _, row := range t.Rows {
		fmt.Fprintf(b, "| %s", mdText(row.StringValues()))
		scaler := t.rowScaler(row, class)
		for i, col := range t.Cols {
			cell, ok := t.Cells[TableKey{row, col}]
			switch {
			case !ok && i == 0:
				b.WriteString(" | ")
			case !ok:
				b.WriteString(" | | ")
			default:
				fmt.Fprintf(b, " | %s ± %s%s", scaler.Format(cell.Summary.Center), cell.Summary.PctRangeString(), note(cell.Sample.Warnings, cell.Summary.Warnings))
				if i == 0 {
					break
				}
				if cell.Baseline == nil {
					b.WriteString(" | ")
					break
				}
				delta := cell.Comparison.FormatDelta(cell.Baseline.Summary.Center, cell.Summary.Center)
				if cell.Significant() && delta != "0.00%" {
					delta = "**" + delta + "**"
				}
				fmt.Fprintf(b, " | %s (%s)%s", delta, cell.Comparison.String(), note(cell.Comparison.Warnings))
			}
		}
		b.WriteString(" |\n")
	}
	if len(t.Rows) > 1 {
		fmt.Fprintf(b, "| %s", t.SummaryLabel)
		for i, col := range t.Cols {
			s := t.Summary[col]
			center := ""
			if s.HasSummary {
				center = benchunit.Scale(s.Summary, class)
			}
			fmt.Fprintf(b, " | %s%s", center, note(s.Warnings))
			if i > 0 {
				ratio := "?"
				if s.HasRatio {
					ratio = fmt.Sprintf("%+.2f%%", (s.Ratio-1)*100)
				}
				fmt.Fprintf(b, " | %s", ratio)
			}
		}
		b.WriteString(" |\n")
	}
	b.WriteString("\n")
	for i, n := range notes {
		fmt.Fprintf(b, "%s %s  \n", superscript(i+1), mdText(n))
	}
	if len(notes) > 0 {
		b.WriteString("\n")
	}
}

// mdText escapes text for a Markdown table cell or paragraph.
func mdText(s string) string {
	return strings.NewReplacer("|", `\|`, "*", `\*`, "_", `\_`, "`", "\\`", "<", "&lt;", "\n", " ").Replace(s)
}

// mdCode makes s safe inside a `code span` in a table.
func mdCode(s string) string {
	return strings.NewReplacer("`", "'", "|", `\|`, "\n", " ").Replace(s)
}

// formatNumber writes 95 and 0.05 without trailing zeros.
func numberText(f float64) string {
	return fmt.Sprintf("%v", math.Round(f*1e9)/1e9)
}

// The JSON form of a comparison. Values are in the table's unit, as
// benchstat's CSV has them: seconds for the latency units.
type jsonComparison struct {
	Inputs     []jsonInput      `json:"inputs"`
	Alpha      float64          `json:"alpha"`
	Confidence float64          `json:"confidence"`
	Ignored    []jsonConfigDiff `json:"ignored_config,omitempty"`
	Warnings   []string         `json:"warnings,omitempty"`
	Tables     []jsonTable      `json:"tables"`
}

type jsonInput struct {
	Label string `json:"label"`
	Path  string `json:"path"`
}

type jsonConfig struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type jsonConfigDiff struct {
	Key    string   `json:"key"`
	Values []string `json:"values"`
}

type jsonTable struct {
	Config  []jsonConfig  `json:"config"`
	Unit    string        `json:"unit"`
	Columns []string      `json:"columns"`
	Rows    []jsonRow     `json:"rows"`
	Geomean []jsonGeomean `json:"geomean,omitempty"`
}

type jsonRow struct {
	Name  string     `json:"name"`
	Cells []jsonCell `json:"cells"`
}

type jsonCell struct {
	Column string  `json:"column"`
	N      int     `json:"n"`
	Center float64 `json:"center"`
	// Lo and Hi are absent where too few samples give an infinite
	// interval.
	Lo       *float64  `json:"lo,omitempty"`
	Hi       *float64  `json:"hi,omitempty"`
	Range    string    `json:"range"`
	Values   []float64 `json:"values"`
	Delta    string    `json:"delta,omitempty"`  // as benchstat shows it: "+3.21%" or "~"
	Change   *float64  `json:"change,omitempty"` // center/baseline-1
	P        *float64  `json:"p,omitempty"`
	Signif   *bool     `json:"significant,omitempty"`
	Warnings []string  `json:"warnings,omitempty"`
}

type jsonGeomean struct {
	Column   string   `json:"column"`
	Summary  *float64 `json:"summary,omitempty"`
	Ratio    *float64 `json:"ratio,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// WriteJSON writes the comparison as one indented JSON object.
func (c *Comparison) WriteJSON(w io.Writer) error {
	out := jsonComparison{Inputs: []jsonInput{}, Alpha: c.alpha, Confidence: c.confidence, Warnings: c.Warnings, Tables: []jsonTable{}}
	for _, in := range c.Inputs {
		out.Inputs = append(out.Inputs, jsonInput(in))
	}
	for _, d := range c.Ignored {
		out.Ignored = append(out.Ignored, jsonConfigDiff(d))
	}
	for _, t := range c.Tables {
		jt := jsonTable{Config: []jsonConfig{}, Unit: t.Unit}
		for _, cfg := range t.Config {
			jt.Config = append(jt.Config, jsonConfig(cfg))
		}
		for _, col := range t.Cols {
			jt.Columns = append(jt.Columns, col.StringValues())
		}
		for _, row := range t.Rows {
			jr := jsonRow{Name: row.StringValues(), Cells: []jsonCell{}}
			for _, col := range t.Cols {
				cell, ok := t.Cells[TableKey{row, col}]
				if !ok {
					continue
				}
				jr.Cells = append(jr.Cells, jsonCellOf(col, cell))
			}
			jt.Rows = append(jt.Rows, jr)
		}
		if len(t.Rows) > 1 {
			for _, col := range t.Cols {
				s := t.Summary[col]
				g := jsonGeomean{Column: col.StringValues(), Warnings: errorStrings(s.Warnings)}
				if s.HasSummary {
					g.Summary = jsonPtr(s.Summary)
				}
				if s.HasRatio {
					g.Ratio = jsonPtr(s.Ratio)
				}
				jt.Geomean = append(jt.Geomean, g)
			}
		}
		out.Tables = append(out.Tables, jt)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func jsonCellOf(col benchproc.Key, cell *TableCell) jsonCell {
	s := cell.Summary
	jc := jsonCell{
		Column:   col.StringValues(),
		N:        len(cell.Sample.Values),
		Center:   s.Center,
		Range:    s.PctRangeString(),
		Values:   cell.Sample.Values,
		Warnings: errorStrings(cell.Sample.Warnings, s.Warnings),
	}
	if !math.IsInf(s.Lo, 0) && !math.IsNaN(s.Lo) {
		jc.Lo = jsonPtr(s.Lo)
	}
	if !math.IsInf(s.Hi, 0) && !math.IsNaN(s.Hi) {
		jc.Hi = jsonPtr(s.Hi)
	}
	if base := cell.Baseline; base != nil {
		jc.Delta = cell.Comparison.FormatDelta(base.Summary.Center, s.Center)
		if base.Summary.Center != 0 {
			jc.Change = jsonPtr(s.Center/base.Summary.Center - 1)
		}
		jc.P = jsonPtr(cell.Comparison.P)
		jc.Signif = jsonPtr(cell.Significant())
		jc.Warnings = append(jc.Warnings, errorStrings(cell.Comparison.Warnings)...)
	}
	return jc
}

func jsonPtr[T any](v T) *T { return &v }

func errorStrings(lists ...[]error) []string {
	var out []string
	for _, list := range lists {
		for _, err := range list {
			out = append(out, err.Error())
		}
	}
	return out
}
