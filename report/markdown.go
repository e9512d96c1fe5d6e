package report

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// WriteMarkdown writes the report as Markdown to path, for a README or a
// pull request, with its charts as SVG files beside it, named after it
// ("report.md" gets "report-knob-keepalive.svg", ...). It returns the paths
// it wrote, the Markdown first.
func (r *Report) WriteMarkdown(path string) ([]string, error) {
	dir := filepath.Dir(path)
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	var written []string
	asset := func(name, svg string) (string, error) {
		file := base + "-" + fileSafe(name) + ".svg"
		if err := os.WriteFile(filepath.Join(dir, file), []byte(svg), 0o644); err != nil {
			return "", fmt.Errorf("report: %w", err)
		}
		written = append(written, filepath.Join(dir, file))
		return file, nil
	}

	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", mdEsc(r.Title))
	r.writeFindingsMarkdown(&b)
	if len(r.Notes) > 0 {
		b.WriteString("> **Read this first**\n>\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "> - %s\n", mdEsc(n))
		}
		b.WriteString("\n")
	}
	b.WriteString("## Setup\n\n")
	for _, run := range r.Runs {
		if len(r.Runs) > 1 {
			fmt.Fprintf(&b, "## %s: `%s`\n\n", run.Label, run.Path)
		} else {
			fmt.Fprintf(&b, "`%s`\n\n", run.Path)
		}
		b.WriteString("| | |\n|:--|:--|\n")
		for _, c := range run.Config {
			fmt.Fprintf(&b, "| %s | %s |\n", mdEsc(c.Key), mdEsc(c.Value))
		}
		fmt.Fprintf(&b, "| repetitions | %d", run.Reps)
		if len(run.Failures) > 0 {
			fmt.Fprintf(&b, " (**%d failed**)", len(run.Failures))
		}
		b.WriteString(" |\n\n| link | parameters |\n|:--|:--|\n")
		for _, l := range run.Links {
			fmt.Fprintf(&b, "| %s | %s |\n", mdEsc(l.Key), mdEsc(l.Value))
		}
		b.WriteString("\n")
	}
	if len(r.Ignored) > 0 {
		b.WriteString("The runs differ in this configuration, which the comparison ignores:\n\n")
		for _, d := range r.Ignored {
			fmt.Fprintf(&b, "- `%s`\n", d.String())
		}
		b.WriteString("\n")
	}

	suspect := r.HasSuspect()
	if suspect {
		b.WriteString("## Cells\n\n| run | cell | repetitions | failed | suspect | requests | request errors |\n|:--|:--|--:|--:|--:|--:|--:|\n")
	} else {
		b.WriteString("## Cells\n\n| run | cell | repetitions | failed | requests | request errors |\n|:--|:--|--:|--:|--:|--:|\n")
	}
	for _, run := range r.Runs {
		for _, c := range run.Cells {
			flagged := ""
			if suspect {
				flagged = " " + boldIf(c.Suspect) + " |"
			}
			fmt.Fprintf(&b, "| %s | %s | %d | %s |%s %d | %s |\n", run.Label, mdEsc(c.Cell), c.OK, boldIf(c.Failed), flagged, c.Requests, boldIf(c.Errors))
		}
	}
	labels := r.runLabels()
	if r.Rates != nil {
		file, err := asset("rate", r.Rates.SVG(labels))
		if err != nil {
			return written, err
		}
		fmt.Fprintf(&b, "\n## Latency against rate\n\nEach cell's P50 and P99 at the rate it was driven at (the rate knob), per combination of the other knobs: where the line turns up, the server or the path is saturated. Dashed lines are the suite's latency gates.\n\n![P50 and P99 against rate](%s)\n", file)
	}
	if len(r.Capacity) > 0 {
		b.WriteString("\n## Capacity\n\nThe highest constant rate whose measured window met the suite's objective (slo-req/s, from the capacity search; higher is better), median of the repetitions.\n\n")
		for _, k := range r.Capacity {
			file, err := asset("capacity-"+k.Knob, k.SVG(labels))
			if err != nil {
				return written, err
			}
			fmt.Fprintf(&b, "![capacity by %s](%s)\n\n", mdEsc(k.Knob), file)
		}
	}
	b.WriteString("\n## Knobs\n\n")
	for _, k := range r.Knobs {
		file, err := asset("knob-"+k.Knob, k.SVG(labels))
		if err != nil {
			return written, err
		}
		fmt.Fprintf(&b, "![P50 and P99 by %s](%s)\n\n", mdEsc(k.Knob), file)
	}
	if len(r.Knobs) == 0 && r.Rates != nil {
		b.WriteString("The rate is the only knob: see Latency against rate.\n\n")
	} else if len(r.Knobs) == 0 {
		b.WriteString("No results to chart.\n\n")
	}

	b.WriteString("## Latency CDFs\n\nEvery successful repetition's latencies merged, per cell, on a log-scale tail.\n\n")
	for _, c := range r.CDFs {
		file, err := asset("cdf-"+c.Cell, c.SVG())
		if err != nil {
			return written, err
		}
		fmt.Fprintf(&b, "![latency CDF of %s](%s)\n", mdEsc(c.Cell), file)
	}
	if len(r.CDFs) == 0 {
		b.WriteString("No CDFs: no histogram sidecar could be read.\n")
	}
	b.WriteString("\n## Phases\n\n")
	if r.Phases != nil {
		file, err := asset("phases", r.Phases.SVG())
		if err != nil {
			return written, err
		}
		fmt.Fprintf(&b, "The median request, phase by phase (medians of the repetitions): connect and TLS cost per request (their medians times new connections and handshakes per request), wait is request written to first byte (ttfb-ns), read is first byte to the body's end (body-ns); a phase the results lack is P50 less the others.\n\n![per-phase breakdown](%s)\n\n", file)
	} else {
		b.WriteString("No per-phase metrics (connect-ns, tls-ns, ttfb-ns, body-ns) in the results.\n\n")
	}

	b.WriteString("## benchstat\n\n")
	if r.Comparison != nil {
		if err := r.Comparison.WriteMarkdown(&b); err != nil {
			return written, fmt.Errorf("report: %w", err)
		}
	} else {
		b.WriteString("No successful repetition: nothing to compare.\n\n")
	}

	b.WriteString("## Failed repetitions\n\n")
	anyFailed := false
	for _, run := range r.Runs {
		if len(run.Failures) == 0 {
			continue
		}
		if !anyFailed {
			b.WriteString("| run | cell | rep | why | line |\n|:--|:--|--:|:--|:--|\n")
		}
		anyFailed = true
		for _, f := range run.Failures {
			fmt.Fprintf(&b, "| %s | %s | %d | %s | %s:%d |\n", run.Label, mdEsc(f.Cell), f.Rep, mdEsc(f.Message), mdEsc(run.Path), f.Line)
		}
	}
	if !anyFailed {
		b.WriteString("None: every repetition succeeded.\n")
	}

	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return written, fmt.Errorf("report: %w", err)
	}
	return append([]string{path}, written...), nil
}

// fileSafe turns a cell name into a file name: "link=lan/keepalive=on"
// becomes "link-lan_keepalive-on".
func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '=':
			return '-'
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-':
			return r
		}
		return '_'
	}, s)
}

// mdEsc escapes text for a Markdown table cell or paragraph.
func mdEsc(s string) string {
	return strings.NewReplacer("|", `\|`, "*", `\*`, "_", `\_`, "`", "\\`", "<", "&lt;", "\n", " ").Replace(s)
}

// boldIf writes n, in bold when it is not 0: a failure to see.
func boldIf(n int) string {
	if n != 0 {
		return fmt.Sprintf("**%d**", n)
	}
	return "0"
}

// writeFindingsMarkdown writes the report's first section: the claim's
// verdict, the findings in plain words and the models beside them.
func (r *Report) writeFindingsMarkdown(b *strings.Builder) {
	b.WriteString("## Findings\n\n")
	if c := r.Claim; c != nil {
		fmt.Fprintf(b, "**Claim:** %s (%s %s against %s, %s). **Verdict: %s.**\n\n", mdEsc(c.Claim.Text), mdEsc(c.Claim.Knob), mdEsc(c.Claim.To), mdEsc(c.Claim.From), mdEsc(c.Claim.Size), mdEsc(c.Verdict))
	}
	if len(r.Findings) == 0 {
		b.WriteString("No knob has two values with measurements: nothing to compare.\n\n")
		return
	}
	fmt.Fprintf(b, "%s\n\n", mdEsc(r.FindingsIntro()))
	for _, f := range r.Findings {
		if f.Significant {
			fmt.Fprintf(b, "- **%s**\n", mdEsc(f.String()))
		} else {
			fmt.Fprintf(b, "- %s\n", mdEsc(f.String()))
		}
	}
	if ms := r.UsedModels(); len(ms) > 0 {
		b.WriteString("\nModels:\n\n")
		for _, m := range ms {
			fmt.Fprintf(b, "- %s (%s): %s\n", mdEsc(m.Name), mdEsc(m.Knob), mdEsc(m.Formula))
		}
	}
	b.WriteString("\n")
}
