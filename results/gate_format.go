package results

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
)

// verdictWord is how text output marks a verdict.
func (r *GateResult) verdictWord(v Verdict) string {
	switch {
	case v == Fail, v == Undecided && r.Strict:
		return "FAIL"
	case v == Undecided:
		return "undecided"
	}
	return "ok"
}

// summaryLine says how the gate went: "gate: 1 of 5 checks failed".
func (r *GateResult) summaryLine() string {
	n, checks := len(r.Failures()), r.Checks()
	switch {
	case n > 0 && checks == 1:
		return "the one check failed"
	case n > 0:
		return fmt.Sprintf("%d of %d checks failed", n, checks)
	case checks == 1:
		return "the one check passed"
	case checks == 0:
		return "nothing was checked (no cell in common, and --allow-missing)"
	}
	return fmt.Sprintf("all %d checks passed", checks)
}

// WriteText writes the checks one per line, failures marked FAIL, and a
// last line that counts them.
func (r *GateResult) WriteText(w io.Writer) error {
	var b strings.Builder
	if r.Baseline != "" {
		if len(r.ConfigDiffs) > 0 {
			fmt.Fprintf(&b, "%s and %s differ in configuration; cells are compared by name anyway:\n", r.Baseline, r.Current)
			for _, d := range r.ConfigDiffs {
				fmt.Fprintf(&b, "  %s\n", d)
			}
		}
		fmt.Fprintf(&b, "%s → %s: a cell fails when its metric gets more than %s worse, significant by the Mann–Whitney U test at α=%v\n",
			r.Baseline, r.Current, percentText(r.MaxRegression), r.Alpha)
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, c := range r.Regressions {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", r.verdictWord(c.Verdict), c.Name, c.Metric, c.Values(), c.Why)
		}
		tw.Flush()
		if len(r.OnlyBaseline) > 0 {
			mark := "FAIL  missing"
			if r.AllowMissing {
				mark = "missing (--allow-missing)"
			}
			fmt.Fprintf(&b, "%s: only in %s: %s\n", mark, r.Baseline, strings.Join(r.OnlyBaseline, ", "))
		}
		if len(r.OnlyCurrent) > 0 {
			fmt.Fprintf(&b, "only in %s: %s\n", r.Current, strings.Join(r.OnlyCurrent, ", "))
		}
	}
	if len(r.Objectives) > 0 {
		fmt.Fprintf(&b, "objectives on %s:\n", r.Current)
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, c := range r.Objectives {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", r.verdictWord(c.Verdict), objectiveName(c.Objective), c.Name, c.Why)
		}
		tw.Flush()
	}
	fmt.Fprintf(&b, "gate: %s\n", r.summaryLine())
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMarkdown writes the verdicts as GitHub-flavoured Markdown for a pull
// request or a job summary: a headline, a table of the comparisons, the
// objectives, and the links.
func (r *GateResult) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	mark := func(v Verdict) string {
		switch r.verdictWord(v) {
		case "FAIL":
			return "❌"
		case "undecided":
			return "⚠️"
		}
		return "✅"
	}
	if r.Passed() {
		fmt.Fprintf(&b, "### tunebench gate: ✅ %s\n\n", r.summaryLine())
	} else {
		fmt.Fprintf(&b, "### tunebench gate: ❌ %s\n\n", r.summaryLine())
	}
	if r.Baseline != "" {
		fmt.Fprintf(&b, "Baseline `%s`, current `%s`. A cell fails when its metric got more than %s worse and the Mann–Whitney U test finds the change significant at α = %v",
			mdCode(r.Baseline), mdCode(r.Current), percentText(r.MaxRegression), r.Alpha)
		if r.Strict {
			b.WriteString("; with --strict, so does a cell with too few samples to decide")
		}
		if !r.AllowMissing {
			b.WriteString("; so does a cell of the baseline missing from the current run")
		}
		b.WriteString(".\n\n")
		if len(r.Regressions) > 0 {
			b.WriteString("| | cell | metric | baseline | current | change | p | verdict |\n|:-:|:--|:--|--:|--:|--:|--:|:--|\n")
			for _, c := range r.Regressions {
				fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", mark(c.Verdict), mdText(c.Name), mdText(c.Metric),
					cellText(c.Base, c.Metric), cellText(c.Current, c.Metric), changeText(c), pText(c), mdText(c.Why))
			}
			b.WriteString("\n")
		}
		if len(r.OnlyBaseline) > 0 {
			if r.AllowMissing {
				fmt.Fprintf(&b, "**Only in the baseline** (passed with --allow-missing): %s  \n", codeList(r.OnlyBaseline))
			} else {
				fmt.Fprintf(&b, "❌ **Only in the baseline** (missing from the current run): %s  \n", codeList(r.OnlyBaseline))
			}
		}
		if len(r.OnlyCurrent) > 0 {
			fmt.Fprintf(&b, "**Only in the current run:** %s  \n", codeList(r.OnlyCurrent))
		}
		if len(r.OnlyBaseline)+len(r.OnlyCurrent) > 0 {
			b.WriteString("\n")
		}
		if len(r.ConfigDiffs) > 0 {
			b.WriteString("<details><summary>Configuration that differs between the runs (cells were compared by name)</summary>\n\n")
			for _, d := range r.ConfigDiffs {
				fmt.Fprintf(&b, "- `%s`\n", mdCode(d.String()))
			}
			b.WriteString("\n</details>\n\n")
		}
	}
	if len(r.Objectives) > 0 {
		fmt.Fprintf(&b, "**Objectives** on `%s` (each cell's median over its repetitions):\n\n", mdCode(r.Current))
		b.WriteString("| | objective | cell | median | verdict |\n|:-:|:--|:--|--:|:--|\n")
		for _, c := range r.Objectives {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", mark(c.Verdict), mdText(objectiveName(c.Objective)), mdText(c.Name), cellText(c.Stats, c.Metric), mdText(c.Why))
		}
		b.WriteString("\n")
	}
	if len(r.Links) > 0 {
		links := make([]string, len(r.Links))
		for i, l := range r.Links {
			links[i] = fmt.Sprintf("[%s](%s)", mdText(l.Text), l.URL)
		}
		b.WriteString(strings.Join(links, " · ") + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func cellText(s CellStats, unit string) string {
	if s.N == 0 {
		if s.Failed > 0 {
			return fmt.Sprintf("%d failed", s.Failed)
		}
		return "–"
	}
	return formatMetric(s.Center, unit) + " ± " + s.Range
}

func changeText(c RegressionCheck) string {
	switch {
	case math.IsNaN(c.P):
		return ""
	case !c.Significant:
		return "~"
	case math.IsNaN(c.Change):
		return "?"
	}
	s := fmt.Sprintf("%+.2f%%", c.Change*100)
	if c.Verdict == Fail {
		return "**" + s + "**"
	}
	return s
}

func pText(c RegressionCheck) string {
	if math.IsNaN(c.P) {
		return ""
	}
	return fmt.Sprintf("%.3f (%s)", c.P, nStrings(c.Base.N, c.Current.N))
}

func codeList(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "`" + mdCode(n) + "`"
	}
	return strings.Join(out, ", ")
}

// formatPercent writes a fraction as a percentage without trailing zeros:
// 0.1 → "10%".
func percentText(f float64) string {
	return numberText(f*100) + "%"
}

// The JSON form of a gate result.
type jsonGate struct {
	Passed        bool             `json:"passed"`
	Failures      []string         `json:"failures"`
	Baseline      string           `json:"baseline,omitempty"`
	Current       string           `json:"current"`
	MaxRegression float64          `json:"max_regression"`
	Alpha         float64          `json:"alpha"`
	Strict        bool             `json:"strict"`
	AllowMissing  bool             `json:"allow_missing"`
	ConfigDiffs   []jsonConfigDiff `json:"config_diffs,omitempty"`
	Regressions   []jsonRegression `json:"regressions,omitempty"`
	OnlyBaseline  []string         `json:"only_baseline,omitempty"`
	OnlyCurrent   []string         `json:"only_current,omitempty"`
	Objectives    []jsonObjective  `json:"objectives,omitempty"`
	Links         []jsonLink       `json:"links,omitempty"`
}

type jsonStats struct {
	N      int      `json:"n"`
	Failed int      `json:"failed"`
	Median *float64 `json:"median,omitempty"`
	Lo     *float64 `json:"lo,omitempty"`
	Hi     *float64 `json:"hi,omitempty"`
}

type jsonRegression struct {
	Name        string    `json:"name"`
	Metric      string    `json:"metric"`
	Better      string    `json:"better"`
	Baseline    jsonStats `json:"baseline"`
	Current     jsonStats `json:"current"`
	Change      *float64  `json:"change,omitempty"`
	Worse       *float64  `json:"worse,omitempty"`
	P           *float64  `json:"p,omitempty"`
	Significant bool      `json:"significant"`
	Verdict     Verdict   `json:"verdict"`
	Why         string    `json:"why"`
}

type jsonObjective struct {
	Objective string    `json:"objective"`
	Source    string    `json:"source,omitempty"`
	Metric    string    `json:"metric"`
	Max       *float64  `json:"max,omitempty"`
	Min       *float64  `json:"min,omitempty"`
	Name      string    `json:"name"`
	Stats     jsonStats `json:"stats"`
	Verdict   Verdict   `json:"verdict"`
	Why       string    `json:"why"`
}

type jsonLink struct {
	Text string `json:"text"`
	URL  string `json:"url"`
}

// finite returns &f, or nil for NaN and infinities, which JSON lacks.
func finitePtr(f float64) *float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return &f
}

func jsonStatsOf(s CellStats) jsonStats {
	return jsonStats{N: s.N, Failed: s.Failed, Median: finitePtr(s.Center), Lo: finitePtr(s.Lo), Hi: finitePtr(s.Hi)}
}

// WriteJSON writes the result as one indented JSON object. Values are in
// the units as the files write them.
func (r *GateResult) WriteJSON(w io.Writer) error {
	out := jsonGate{
		Passed: r.Passed(), Failures: r.Failures(), Baseline: r.Baseline, Current: r.Current,
		MaxRegression: r.MaxRegression, Alpha: r.Alpha, Strict: r.Strict, AllowMissing: r.AllowMissing,
		OnlyBaseline: r.OnlyBaseline, OnlyCurrent: r.OnlyCurrent,
	}
	if out.Failures == nil {
		out.Failures = []string{}
	}
	for _, d := range r.ConfigDiffs {
		out.ConfigDiffs = append(out.ConfigDiffs, jsonConfigDiff(d))
	}
	for _, c := range r.Regressions {
		out.Regressions = append(out.Regressions, jsonRegression{
			Name: c.Name, Metric: c.Metric, Better: c.Better,
			Baseline: jsonStatsOf(c.Base), Current: jsonStatsOf(c.Current),
			Change: finitePtr(c.Change), Worse: finitePtr(c.Worse), P: finitePtr(c.P),
			Significant: c.Significant, Verdict: c.Verdict, Why: c.Why,
		})
	}
	for _, c := range r.Objectives {
		o := jsonObjective{Objective: c.Objective.String(), Source: c.Objective.Source, Metric: c.Metric, Name: c.Name,
			Stats: jsonStatsOf(c.Stats), Verdict: c.Verdict, Why: c.Why}
		if c.Objective.HasMax {
			o.Max = jsonPtr(c.Objective.Max)
		}
		if c.Objective.HasMin {
			o.Min = jsonPtr(c.Objective.Min)
		}
		out.Objectives = append(out.Objectives, o)
	}
	for _, l := range r.Links {
		out.Links = append(out.Links, jsonLink(l))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
