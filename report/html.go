package report

import (
	"html/template"
	"io"
)

// HasSuspect reports whether any repetition of any run was flagged
// suspect; the cells table then has a column for them.
func (r *Report) HasSuspect() bool {
	for _, run := range r.Runs {
		for _, c := range run.Cells {
			if c.Suspect > 0 {
				return true
			}
		}
	}
	return false
}

// runLabels returns the labels of the runs, baseline first.
func (r *Report) runLabels() []string {
	labels := make([]string, len(r.Runs))
	for i, run := range r.Runs {
		labels[i] = run.Label
	}
	return labels
}

// htmlData is what the HTML template reads.
type htmlData struct {
	*Report
	KnobSVGs     []template.HTML
	RateSVG      template.HTML
	CapacitySVGs []template.HTML
	CDFSVGs      []template.HTML
	PhaseSVG     template.HTML
	TableHTML    template.HTML
}

// WriteHTML writes the report as one self-contained HTML page: inline CSS
// and inline SVG, nothing fetched when it is viewed.
func (r *Report) WriteHTML(w io.Writer) error {
	d := htmlData{Report: r}
	labels := r.runLabels()
	for _, k := range r.Knobs {
		d.KnobSVGs = append(d.KnobSVGs, template.HTML(k.SVG(labels))) // our own escaped SVG
	}
	if r.Rates != nil {
		d.RateSVG = template.HTML(r.Rates.SVG(labels))
	}
	for _, k := range r.Capacity {
		d.CapacitySVGs = append(d.CapacitySVGs, template.HTML(k.SVG(labels)))
	}
	for _, c := range r.CDFs {
		d.CDFSVGs = append(d.CDFSVGs, template.HTML(c.SVG()))
	}
	if r.Phases != nil {
		d.PhaseSVG = template.HTML(r.Phases.SVG())
	}
	if r.Comparison != nil {
		d.TableHTML = template.HTML(tableHTML(r.Comparison))
	}
	return htmlPage.Execute(w, d)
}

var htmlPage = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Title}}</title>
<style>
body { font-family: Helvetica, Arial, sans-serif; color: #222; margin: 24px; max-width: 1240px; }
h1 { font-size: 22px; margin: 0 0 12px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
table.bench td { text-align: right; font-variant-numeric: tabular-nums; }
table.bench caption { text-align: left; font-weight: bold; padding: 4px 0; }
td.signif { font-weight: bold; }
td.missing { color: #888; }
.notes { font-size: 12px; color: #555; }
.warn { color: #8a4b00; }
.fail { color: #c00000; }
.notice { background: #fff6e0; border: 1px solid #f0c36d; padding: 8px 12px; }
.notice li { margin: 2px 0; }
.charts svg { margin: 4px 8px 12px 0; border: 1px solid #eee; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<h2>Findings</h2>
{{with .Claim}}<p><strong>Claim:</strong> {{.Claim.Text}} ({{.Claim.Knob}} {{.Claim.To}} against {{.Claim.From}}, {{.Claim.Size}}). <strong>Verdict: {{.Verdict}}.</strong></p>
{{end}}{{if .Findings}}<p class="notes">{{.FindingsIntro}}</p>
<ul class="findings">
{{range .Findings}}<li>{{if .Significant}}<strong>{{.String}}</strong>{{else}}{{.String}}{{end}}</li>
{{end}}</ul>
{{with .UsedModels}}<p>Models:</p><ul class="notes">{{range .}}<li>{{.Name}} ({{.Knob}}): {{.Formula}}</li>{{end}}</ul>{{end}}
{{else}}<p>No knob has two values with measurements: nothing to compare.</p>{{end}}
{{if .Notes}}<div class="notice"><strong>Read this first</strong><ul>
{{range .Notes}}<li>{{.}}</li>
{{end}}</ul></div>{{end}}
<h2>Setup</h2>
{{range .Runs}}<h3>{{if gt (len $.Runs) 1}}{{.Label}}: {{end}}{{.Path}}</h3>
<table>
{{range .Config}}<tr><th>{{.Key}}</th><td>{{.Value}}</td></tr>
{{end}}<tr><th>repetitions</th><td>{{.Reps}}{{if .Failures}} <span class="fail">({{len .Failures}} failed)</span>{{end}}</td></tr>
</table>
<table><tr><th>link</th><th>parameters</th></tr>
{{range .Links}}<tr><td>{{.Key}}</td><td>{{.Value}}</td></tr>
{{end}}</table>
{{end}}
{{if .Ignored}}<p>The runs differ in this configuration, which the comparison ignores:</p>
<ul>{{range .Ignored}}<li><code>{{.String}}</code></li>{{end}}</ul>{{end}}

<h2>Cells</h2>
{{$suspect := .HasSuspect}}<table><tr>{{if gt (len .Runs) 1}}<th>run</th>{{end}}<th>cell</th><th>repetitions</th><th>failed</th>{{if $suspect}}<th>suspect</th>{{end}}<th>requests</th><th>request errors</th></tr>
{{range .Runs}}{{$run := .}}{{range .Cells}}<tr>{{if gt (len $.Runs) 1}}<td>{{$run.Label}}</td>{{end}}<td>{{.Cell}}</td><td>{{.OK}}</td><td{{if .Failed}} class="fail"{{end}}>{{.Failed}}</td>{{if $suspect}}<td{{if .Suspect}} class="warn"{{end}}>{{.Suspect}}</td>{{end}}<td>{{.Requests}}</td><td{{if .Errors}} class="fail"{{end}}>{{.Errors}}</td></tr>
{{end}}{{end}}</table>
{{if .RateSVG}}
<h2>Latency against rate</h2>
<p>Each cell's P50 and P99 at the rate it was driven at (the rate knob), per combination of the other knobs: where the line turns up, the server or the path is saturated. Dashed lines are the suite's latency gates.</p>
<div class="charts">{{.RateSVG}}</div>
{{end}}{{if .CapacitySVGs}}
<h2>Capacity</h2>
<p>The highest constant rate whose measured window met the suite's objective (slo-req/s, from the capacity search; higher is better), median of the repetitions.</p>
<div class="charts">{{range .CapacitySVGs}}{{.}}{{end}}</div>
{{end}}
<h2>Knobs</h2>
<div class="charts">{{range .KnobSVGs}}{{.}}{{else}}<p>{{if .RateSVG}}The rate is the only knob: see Latency against rate.{{else}}No results to chart.{{end}}</p>{{end}}</div>

<h2>Latency CDFs</h2>
<p>Every successful repetition's latencies merged, per cell. The x axis spreads the tail: 90%, 99% and 99.9% are equally far apart; a line stops at the highest percentile its request count resolves.</p>
<div class="charts">{{range .CDFSVGs}}{{.}}{{else}}<p>No CDFs: no histogram sidecar could be read (see above).</p>{{end}}</div>

<h2>Phases</h2>
{{if .PhaseSVG}}<p>The median request, phase by phase (medians of the repetitions): connect and TLS cost per request (their medians times new connections and handshakes per request), wait is request written to first byte (ttfb-ns), read is first byte to the body's end (body-ns); a phase the results lack is P50 less the others.</p>
<div class="charts">{{.PhaseSVG}}</div>{{else}}<p>No per-phase metrics (connect-ns, tls-ns, ttfb-ns, body-ns) in the results.</p>{{end}}

<h2>benchstat</h2>
{{if .TableHTML}}{{.TableHTML}}{{else}}<p class="fail">No successful repetition: nothing to compare.</p>{{end}}

<h2>Failed repetitions</h2>
{{$any := false}}{{range .Runs}}{{if .Failures}}{{$any = true}}<table><tr>{{if gt (len $.Runs) 1}}<th>run</th>{{end}}<th>cell</th><th>rep</th><th>why</th><th>line</th></tr>
{{$run := .}}{{range .Failures}}<tr class="fail">{{if gt (len $.Runs) 1}}<td>{{$run.Label}}</td>{{end}}<td>{{.Cell}}</td><td>{{.Rep}}</td><td>{{.Message}}</td><td>{{$run.Path}}:{{.Line}}</td></tr>
{{end}}</table>{{end}}{{end}}{{if not $any}}<p>None: every repetition succeeded.</p>{{end}}
</body>
</html>
`))
