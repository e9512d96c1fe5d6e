package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// FindingsOptions says what a findings document is made of.
type FindingsOptions struct {
	// Results are the results files of the claims' suites, one per
	// suite; each suite must have a claim (see Claims).
	Results []string
	// Out is the document to write, e.g. docs/findings.md. Each suite's
	// Markdown report and its charts go to the folder beside it named
	// after it (docs/findings/), which is emptied of the .md and .svg
	// files of an earlier run first.
	Out string
	// Generated says when and how the document was made, e.g.
	// "2026-11-29 12:10 UTC by make findings"; it goes in the header.
	Generated string
	// Alpha and Confidence are as in Options.
	Alpha, Confidence float64
}

// WriteFindings writes the findings document: a table of claim, model,
// measured and verdict, one row per claim with the command that
// reproduces it, then each suite's charts; and each suite's report beside
// it. It returns the paths it wrote, the document first.
func WriteFindings(o FindingsOptions) ([]string, error) {
	if len(o.Results) == 0 {
		return nil, errors.New("report: findings: no results files given; give the results of the suites in scenarios/claims/")
	}
	if o.Out == "" {
		return nil, errors.New("report: findings: no output file given, e.g. docs/findings.md")
	}
	var reps []*Report
	var names []string
	for _, path := range o.Results {
		rep, err := Build(Options{Current: path, Alpha: o.Alpha, Confidence: o.Confidence})
		if err != nil {
			return nil, err
		}
		if rep.Claim == nil {
			suite := configValue(rep.Runs[0].Config, "suite", suiteOf(rep.Runs[0].file))
			return nil, fmt.Errorf("report: findings: %s: suite %q has no claim; add one to Claims() in report/claims.go", path, suite)
		}
		name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		if slices.Contains(names, name) {
			return nil, fmt.Errorf("report: findings: %s: two results files are named %s; give each suite's results its own name", path, name)
		}
		reps, names = append(reps, rep), append(names, name)
	}

	dir := strings.TrimSuffix(o.Out, filepath.Ext(o.Out))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("report: findings: %w", err)
	}
	old, _ := filepath.Glob(filepath.Join(dir, "*.svg"))
	mds, _ := filepath.Glob(filepath.Join(dir, "*.md"))
	for _, f := range append(old, mds...) {
		if err := os.Remove(f); err != nil {
			return nil, fmt.Errorf("report: findings: %w", err)
		}
	}
	var written []string
	for i, rep := range reps {
		files, err := rep.WriteMarkdown(filepath.Join(dir, names[i]+".md"))
		written = append(written, files...)
		if err != nil {
			return written, err
		}
	}

	rel := filepath.Base(dir)
	var b strings.Builder
	b.WriteString("# Findings: common tuning claims, measured\n\n")
	fmt.Fprintf(&b, "Generated %s from the suites in `scenarios/claims/`; do not edit it by hand: `make findings` reruns the suites and rewrites it, with the reports and charts in `%s/`.\n\n", mdEsc(o.Generated), rel)
	fmt.Fprintf(&b, "Machine: %s. This machine is shared with other engineers' tests and builds, so the figures are noisy: a run elsewhere moves them, and a verdict near its threshold may change.\n\n", mdEsc(machineOf(reps)))
	fmt.Fprintf(&b, "A claim **holds** where its change is significant (p ≤ %g, Mann–Whitney U over the repetitions, as benchstat computes it), in the claimed direction and at least the claimed size; **holds only when** names the links and knobs where it did; **does not hold** where it did not. %s\n\n",
		alphaOf(o.Alpha), mdEsc(modelRule))
	b.WriteString("| claim | model | measured | verdict |\n|:--|:--|:--|:--|\n")
	for i, rep := range reps {
		c := rep.Claim
		claim := fmt.Sprintf("%s (%s %s against %s, %s)<br>`tunebench run %s -o %s.txt && tunebench report %s.txt -o %s.html`",
			mdEsc(c.Claim.Text), mdEsc(c.Claim.Knob), mdEsc(c.Claim.To), mdEsc(c.Claim.From), mdEsc(c.Claim.Size), c.Claim.File, names[i], names[i], names[i])
		fmt.Fprintf(&b, "| %s | %s | %s | **%s** |\n", claim, modelCell(rep), measuredCell(rep), mdEsc(c.Verdict))
	}
	b.WriteString("\n## Charts\n\n")
	for i, rep := range reps {
		c := rep.Claim
		fmt.Fprintf(&b, "### %s\n\n**%s.** Full report: [%s/%s.md](%s/%s.md)", mdEsc(c.Claim.Text), mdEsc(upperFirst(c.Verdict)), rel, names[i], rel, names[i])
		if n := failedOf(rep); n > 0 {
			fmt.Fprintf(&b, " (%d of %d repetitions failed; see the report)", n, rep.Runs[len(rep.Runs)-1].Reps)
		}
		b.WriteString(".\n\n")
		for _, k := range rep.Knobs {
			if len(k.Values) < 2 {
				continue // a knob the suite fixes: nothing to compare
			}
			fmt.Fprintf(&b, "![P50 and P99 by %s](%s/%s-knob-%s.svg)\n", mdEsc(k.Knob), rel, names[i], fileSafe(k.Knob))
		}
		b.WriteString("\n")
	}
	if err := os.WriteFile(o.Out, []byte(b.String()), 0o644); err != nil {
		return written, fmt.Errorf("report: findings: %w", err)
	}
	return append([]string{o.Out}, written...), nil
}

// modelCell writes the models' predictions of a claim's change, from the
// P50 findings of its knob.
func modelCell(rep *Report) string {
	c := rep.Claim.Claim
	var parts []string
	formula := ""
	for _, f := range rep.Findings {
		if f.Knob != c.Knob || f.From != c.From || f.To != c.To || !f.isLatency() || f.Prediction == nil {
			continue
		}
		formula = f.Prediction.Model + ": " + f.Prediction.Formula
		s := fmt.Sprintf("%s: %s P50", f.Link, signedDuration(f.Prediction.Delta))
		if f.RTT > 0 && !f.Prediction.Throughput {
			s += fmt.Sprintf(" (%s RTT)", signedNumber(f.Prediction.Delta/f.RTT, 2))
		}
		if f.Prediction.Agrees {
			s += fmt.Sprintf(", agrees (±%s)", formatDuration(f.Prediction.Tolerance))
		} else {
			s += fmt.Sprintf(", does not agree (±%s)", formatDuration(f.Prediction.Tolerance))
		}
		parts = append(parts, s)
	}
	if formula == "" {
		if m, ok := modelFor(c.Knob); ok {
			return mdEsc(m.Name+": "+m.Formula) + "<br>(does not apply to these cells)"
		}
		return "none"
	}
	return mdEsc(formula) + "<br>" + mdEsc(strings.Join(parts, "; "))
}

// measuredCell writes the claim's findings, without their model, and,
// for a claim on evidence other than P50, the P50 findings of its change.
func measuredCell(rep *Report) string {
	c := rep.Claim.Claim
	var parts []string
	for _, f := range rep.Claim.Findings {
		f.Prediction = nil
		parts = append(parts, f.String())
	}
	for _, f := range rep.Findings {
		if c.unit() != f.Unit && f.Knob == c.Knob && f.From == c.From && f.To == c.To {
			f.Prediction = nil
			parts = append(parts, f.String())
		}
	}
	if len(parts) == 0 {
		return "no measurement"
	}
	return mdEsc(strings.Join(parts, "; "))
}

// machineOf describes the machines of the runs (kernel, CPU, link
// backend; every distinct one) and the tunebench versions that ran.
func machineOf(reps []*Report) string {
	var machines, versions []string
	for _, rep := range reps {
		for _, r := range rep.Runs {
			m := fmt.Sprintf("kernel %s, CPU %s, link backend %s",
				configValue(r.Config, "kernel", "?"), configValue(r.Config, "cpu", "?"), configValue(r.Config, "backend", "?"))
			if !slices.Contains(machines, m) {
				machines = append(machines, m)
			}
			if v := configValue(r.Config, "tunebench", "?"); !slices.Contains(versions, v) {
				versions = append(versions, v)
			}
		}
	}
	return strings.Join(machines, "; ") + " (tunebench " + strings.Join(versions, ", ") + ")"
}

// failedOf counts the current run's failed repetitions.
func failedOf(rep *Report) int { return len(rep.Runs[len(rep.Runs)-1].Failures) }

func alphaOf(a float64) float64 {
	if a == 0 {
		return 0.05
	}
	return a
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
