package report

import (
	"fmt"
	"html"
	"strings"

	"golang.org/x/perf/benchunit"

	"github.com/tunebench/tunebench/results"
)

// tableHTML writes benchstat's tables as HTML tables: the same cells as
// `tunebench compare -format markdown`, with significant changes marked.
// Every number comes from the comparison; this only lays it out.
func tableHTML(c *results.Comparison) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<p>Medians with their %v%% confidence intervals. From the second column on, the change against the first column and the Mann–Whitney U test's p-value; <strong>bold</strong> where the change is significant at α = %v, ~ where it is not.</p>\n",
		c.Confidence()*100, c.Alpha())
	for _, w := range c.Warnings {
		fmt.Fprintf(&b, "<p class=\"warn\">%s</p>\n", html.EscapeString(w))
	}
	for _, t := range c.Tables {
		var notes []string
		note := func(lists ...[]error) string {
			var marks []string
			for _, l := range lists {
				for _, e := range l {
					i := indexOf(notes, e.Error())
					if i < 0 {
						i = len(notes)
						notes = append(notes, e.Error())
					}
					marks = append(marks, fmt.Sprint(i+1))
				}
			}
			if len(marks) == 0 {
				return ""
			}
			return "<sup>" + strings.Join(marks, ",") + "</sup>"
		}
		fmt.Fprintf(&b, "<table class=\"bench\"><caption>%s</caption>\n<tr><th></th>", html.EscapeString(t.Unit))
		for i, col := range t.Cols {
			fmt.Fprintf(&b, "<th>%s</th>", html.EscapeString(col.StringValues()))
			if i > 0 {
				b.WriteString("<th>vs base</th>")
			}
		}
		b.WriteString("</tr>\n")
		class := benchunit.ClassOf(t.Unit)
		for _, row := range t.Rows {
			fmt.Fprintf(&b, "<tr><th class=\"row\">%s</th>", html.EscapeString(row.StringValues()))
			var centers []float64
			for _, col := range t.Cols {
				if cell, ok := t.Cells[results.TableKey{Row: row, Col: col}]; ok {
					centers = append(centers, cell.Summary.Center)
				}
			}
			scaler := benchunit.CommonScale(centers, class)
			for i, col := range t.Cols {
				cell, ok := t.Cells[results.TableKey{Row: row, Col: col}]
				if !ok {
					b.WriteString("<td class=\"missing\">no results</td>")
					if i > 0 {
						b.WriteString("<td></td>")
					}
					continue
				}
				fmt.Fprintf(&b, "<td>%s ± %s%s</td>", html.EscapeString(scaler.Format(cell.Summary.Center)),
					html.EscapeString(cell.Summary.PctRangeString()), note(cell.Sample.Warnings, cell.Summary.Warnings))
				if i == 0 {
					continue
				}
				if cell.Baseline == nil {
					b.WriteString("<td></td>")
					continue
				}
				delta := cell.Comparison.FormatDelta(cell.Baseline.Summary.Center, cell.Summary.Center)
				cls := "same"
				if cell.Significant() && delta != "0.00%" {
					cls = "signif"
				}
				fmt.Fprintf(&b, "<td class=\"%s\">%s (%s)%s</td>", cls, html.EscapeString(delta),
					html.EscapeString(cell.Comparison.String()), note(cell.Comparison.Warnings))
			}
			b.WriteString("</tr>\n")
		}
		b.WriteString("</table>\n")
		if len(notes) > 0 {
			b.WriteString("<ol class=\"notes\">")
			for _, n := range notes {
				fmt.Fprintf(&b, "<li>%s</li>", html.EscapeString(n))
			}
			b.WriteString("</ol>\n")
		}
	}
	return b.String()
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}
