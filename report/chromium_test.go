package report

import (
	"context"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tunebench/tunebench/internal/testenv"
)

var screenshots = flag.String("screenshots", "", "keep the Chromium screenshots in this `dir`, to look at them")

// chromium returns the headless browser. `make deps` installs Debian's
// chromium (Ubuntu's chromium-browser works too); without one the test
// skips on a developer's machine and fails in CI.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	testenv.Missing(t, "chromium or chromium-browser in PATH for the screenshot test (make deps installs it: apt-get install chromium)")
	return ""
}

// screenshot renders file in headless Chromium in a w×h window and
// returns the picture.
func screenshot(t *testing.T, browser, file string, w, h int) image.Image {
	t.Helper()
	dir := t.TempDir()
	out := filepath.Join(dir, "shot.png")
	abs, err := filepath.Abs(file)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := []string{"--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--hide-scrollbars", "--force-device-scale-factor=1",
		"--user-data-dir=" + filepath.Join(dir, "profile"),
		"--screenshot=" + out, fmt.Sprintf("--window-size=%d,%d", w, h), "file://" + abs}
	if os.Geteuid() == 0 {
		args = append([]string{"--no-sandbox"}, args...) // Chromium refuses root otherwise
	}
	cmd := exec.CommandContext(ctx, browser, args...)
	msg, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("chromium %s: %v\n%s", file, err, tail(string(msg)))
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatalf("chromium wrote no screenshot of %s: %v\n%s", file, err, tail(string(msg)))
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Fatalf("screenshot of %s is %dx%d; want %dx%d", file, b.Dx(), b.Dy(), w, h)
	}
	if *screenshots != "" {
		keep := filepath.Join(*screenshots, strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))+".png")
		if data, err := os.ReadFile(out); err == nil {
			os.MkdirAll(*screenshots, 0o755)
			os.WriteFile(keep, data, 0o644)
		}
	}
	return img
}

func tail(s string) string {
	if len(s) > 2000 {
		return "…" + s[len(s)-2000:]
	}
	return s
}

// count returns how many pixels of r in img satisfy ok.
func count(img image.Image, r image.Rectangle, ok func(r, g, b uint8) bool) int {
	n := 0
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if ok(uint8(cr>>8), uint8(cg>>8), uint8(cb>>8)) {
				n++
			}
		}
	}
	return n
}

func dark(r, g, b uint8) bool { return r < 130 && g < 130 && b < 130 }

func notWhite(r, g, b uint8) bool { return int(r)+int(g)+int(b) < 720 }

// like returns a test for pixels close to the colour "#rrggbb".
func like(hex string) func(r, g, b uint8) bool {
	var R, G, B int
	fmt.Sscanf(hex, "#%02x%02x%02x", &R, &G, &B)
	return func(r, g, b uint8) bool {
		return abs(int(r)-R)+abs(int(g)-G)+abs(int(b)-B) < 60
	}
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// checkAxes checks the plot area whose top-left corner is (x, y), w×h:
// a y axis line the whole height, tick labels left of it, tick labels
// under the x axis, and a y axis title.
func checkAxes(t *testing.T, name string, img image.Image, x, y, w, h int) {
	t.Helper()
	axis := count(img, image.Rect(x-1, y, x+2, y+h), dark)
	if axis < h*9/10 {
		t.Errorf("%s: y axis at x=%d: %d dark pixels of %d; the axis line is missing", name, x, axis, h)
	}
	xaxis := count(img, image.Rect(x, y+h-1, x+w, y+h+2), dark)
	if xaxis < w*9/10 {
		t.Errorf("%s: x axis at y=%d: %d dark pixels of %d; the axis line is missing", name, y+h, xaxis, w)
	}
	if n := count(img, image.Rect(x-40, y-6, x-5, y+h+6), dark); n < 60 {
		t.Errorf("%s: %d dark pixels where the y tick labels go; want readable labels", name, n)
	}
	if n := count(img, image.Rect(x, y+h+6, x+w, y+h+22), dark); n < 30 {
		t.Errorf("%s: %d dark pixels where the x tick labels go; want readable labels", name, n)
	}
	if n := count(img, image.Rect(x-62, y, x-38, y+h), dark); n < 40 {
		t.Errorf("%s: %d dark pixels where the y axis title goes; want one", name, n)
	}
}

// TestChartsInChromium renders every chart alone in a real browser and
// checks what a reader sees: axes, tick labels, axis titles and the data
// in its colours inside the plot area.
func TestChartsInChromium(t *testing.T) {
	browser := chromium(t)
	dir := t.TempDir()
	write := func(name, svg string) string {
		p := filepath.Join(dir, name+".svg")
		if err := os.WriteFile(p, []byte(svg), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}

	rep := build(t, "testdata/quick.txt", "testdata/baseline.txt")
	k := rep.Knobs[0]
	img := screenshot(t, browser, write("knob-keepalive", k.SVG(rep.runLabels())), 600, int(chartTop+panelH))
	for i, p := range k.Panels {
		x, y := int(float64(i)*panelW+plotLeft), int(chartTop+plotTop)
		w, h := int(panelW-plotLeft-plotRight), int(panelH-plotTop-plotBottom)
		name := "knob panel " + p.Title
		checkAxes(t, name, img, x, y, w, h)
		plot := image.Rect(x+2, y, x+w, y+h-2)
		for metric, color := range metricColor {
			if n := count(img, plot, like(color)); n < 40 {
				t.Errorf("%s: %d pixels of %s's colour %s in the plot; want its markers", name, n, metric, color)
			}
		}
	}
	if n := count(img, image.Rect(0, 0, 600, int(chartTop)), dark); n < 300 {
		t.Errorf("knob chart: %d dark pixels in the title and legend; want both", n)
	}

	for _, c := range rep.CDFs {
		img := screenshot(t, browser, write("cdf-"+fileSafe(c.Cell), c.SVG()), int(cdfW), int(cdfH))
		x, y, w, h := int(plotLeft), 48, int(cdfW-plotLeft-16), int(cdfH-48-plotBottom)
		checkAxes(t, "CDF "+c.Cell, img, x, y, w, h)
		plot := image.Rect(x+2, y, x+w, y+h-2)
		if n := count(img, plot, like(metricColor["P50"])); n < 100 {
			t.Errorf("CDF %s: %d pixels of the current run's line; want a line", c.Cell, n)
		}
		if n := count(img, plot, like("#7f7f7f")); n < 50 {
			t.Errorf("CDF %s: %d pixels of the baseline's dashed line; want a line", c.Cell, n)
		}
	}

	ph := build(t, "testdata/phases.txt", "").Phases
	img = screenshot(t, browser, write("phases", ph.SVG()), 900, int(70+24*len(ph.Bars)+40))
	longest := 0.0
	for _, b := range ph.Bars {
		sum := 0.0
		for _, v := range b.Seconds {
			sum += v
		}
		longest = max(longest, sum)
	}
	for i, phase := range ph.Phases {
		widest := 0.0
		for _, b := range ph.Bars {
			widest = max(widest, b.Seconds[i])
		}
		if widest < longest/20 {
			continue // a sliver of a few pixels; the chart data test has it
		}
		if n := count(img, image.Rect(250, 56, 900, 56+24*len(ph.Bars)), like(phaseColor[phase])); n < 100 {
			t.Errorf("phases: %d pixels of %s's colour; want its bars", n, phase)
		}
	}
	if n := count(img, image.Rect(0, 56, 245, 56+24*len(ph.Bars)), dark); n < 200 {
		t.Errorf("phases: %d dark pixels where the cell labels go; want them", n)
	}
}

// TestReportInChromium renders whole reports and checks that the page
// shows the charts: the SVGs are inline, so a blank or broken page has
// none of their colours.
func TestReportInChromium(t *testing.T) {
	browser := chromium(t)
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			rep := build(t, fx.current, fx.baseline, fx.objectives...)
			page := filepath.Join(t.TempDir(), "report-"+fx.name+".html")
			f, err := os.Create(page)
			if err != nil {
				t.Fatal(err)
			}
			if err := rep.WriteHTML(f); err != nil {
				t.Fatal(err)
			}
			f.Close()
			img := screenshot(t, browser, page, 1280, 4000)
			all := img.Bounds()
			if n := count(img, all, notWhite); n < 1280*4000/50 {
				t.Errorf("%d pixels not white of %d; the page looks blank", n, 1280*4000)
			}
			for metric, color := range metricColor {
				if n := count(img, all, like(color)); n < 100 {
					t.Errorf("%d pixels of %s's colour; the knob charts are not on the page", n, metric)
				}
			}
			if len(rep.Capacity) > 0 {
				if n := count(img, all, like(capacityColor)); n < 100 {
					t.Errorf("%d pixels of the capacity colour; the capacity charts are not on the page", n)
				}
			}
			if rep.Phases != nil {
				if n := count(img, all, like(phaseColor["connect"])); n < 100 {
					t.Errorf("%d pixels of the connect phase's colour; the phase chart is not on the page", n)
				}
			}
		})
	}
}
