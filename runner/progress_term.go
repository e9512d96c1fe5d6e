package runner

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// IsTerminal reports whether f is a terminal, where a live display can
// redraw its line; elsewhere (a file, a pipe, CI logs) plain lines are
// wanted.
func IsTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// terminalWidth returns f's width in columns, 100 when it cannot tell.
func terminalWidth(f *os.File) int {
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil || ws.Col == 0 {
		return 100
	}
	return int(ws.Col)
}

// A TermProgress is the live display of a run on a terminal: a status
// line kept at the bottom, redrawn in place,
//
//	[████████░░░░░░░░░░░░] 9/24 reps · 1/4 cells done · ETA 1m07s · now link=wan40/keepalive=off rep 3 (last p50 81.6ms p99 82.0ms)
//
// with the run's plain lines (Write) scrolling above it. Use it as both
// Options.Progress and Options.Events, and Close it when the run ends.
type TermProgress struct {
	out   io.Writer
	width func() int
	now   func() time.Time

	mu       sync.Mutex
	start    time.Time
	total    int
	cells    int
	done     int
	perCell  map[string]int // finished repetitions by cell
	last     map[string]Event
	current  string // "cell rep N"
	curCell  string
	lastRep  Event
	drawn    bool
	stop     chan struct{}
	closed   bool
	fullCell int // repetitions a cell needs to be done
}

// NewTermProgress returns a display that draws on f, a terminal, and
// redraws every second so that the ETA and elapsed time move.
func NewTermProgress(f *os.File) *TermProgress {
	p := newTermProgress(f, func() int { return terminalWidth(f) }, time.Now)
	go p.tick(time.Second)
	return p
}

func newTermProgress(out io.Writer, width func() int, now func() time.Time) *TermProgress {
	return &TermProgress{out: out, width: width, now: now, start: now(),
		perCell: make(map[string]int), last: make(map[string]Event),
		stop: make(chan struct{})}
}

func (p *TermProgress) tick(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			if p.total > 0 && !p.closed {
				p.drawLocked()
			}
			p.mu.Unlock()
		}
	}
}

// Write prints the plain lines in b above the status line.
func (p *TermProgress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearLocked()
	n, err := p.out.Write(b)
	if p.total > 0 && !p.closed {
		p.drawLocked()
	}
	return n, err
}

// Event updates the display with a run event; it is an Options.Events
// function.
func (p *TermProgress) Event(e Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch e.Type {
	case EventStart:
		p.start, p.total, p.cells = e.Time, e.Total, e.Cells
		if e.Cells > 0 {
			p.fullCell = (e.Total + e.Cells - 1) / e.Cells
		}
	case EventBegin:
		p.total, p.cells = max(p.total, e.Total), max(p.cells, e.Cells)
		p.current = fmt.Sprintf("%s rep %d", e.Cell, e.Rep)
		p.curCell = e.Cell
	case EventRep:
		p.done++
		p.perCell[e.Cell]++
		p.last[e.Cell] = e
		p.lastRep = e
		p.current, p.curCell = "", ""
	}
	if !p.closed {
		p.drawLocked()
	}
}

// Close stops the redrawing and leaves the last status line on the
// terminal, ended by a newline.
func (p *TermProgress) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	if p.drawn {
		fmt.Fprintln(p.out)
		p.drawn = false
	}
	p.mu.Unlock()
	close(p.stop) // the ticker of NewTermProgress, if any, ends
	return nil
}

// clearLocked erases the status line so that text can be written.
func (p *TermProgress) clearLocked() {
	if p.drawn {
		io.WriteString(p.out, "\r\x1b[2K")
		p.drawn = false
	}
}

func (p *TermProgress) drawLocked() {
	p.clearLocked()
	io.WriteString(p.out, p.statusLocked())
	p.drawn = true
}

// statusLocked is the status line, cut to the terminal's width.
func (p *TermProgress) statusLocked() string {
	const barW = 20
	filled := 0
	if p.total > 0 {
		filled = p.done * barW / p.total
	}
	var b strings.Builder
	b.WriteString("[" + strings.Repeat("█", filled) + strings.Repeat("░", barW-filled) + "] ")
	fmt.Fprintf(&b, "%d/%d reps", p.done, p.total)
	if p.cells > 0 && p.fullCell > 0 {
		full := 0
		for _, n := range p.perCell {
			if n >= p.fullCell {
				full++
			}
		}
		fmt.Fprintf(&b, " · %d/%d cells done", full, p.cells)
	}
	elapsed := p.now().Sub(p.start)
	if p.done > 0 && p.done < p.total {
		eta := time.Duration(float64(elapsed) / float64(p.done) * float64(p.total-p.done))
		fmt.Fprintf(&b, " · ETA %v", eta.Round(time.Second))
	} else {
		fmt.Fprintf(&b, " · %v", elapsed.Round(time.Second))
	}
	show, ok := p.last[p.curCell]
	if p.current != "" {
		b.WriteString(" · now " + p.current)
	} else if p.lastRep.Type != "" {
		show, ok = p.lastRep, true
		fmt.Fprintf(&b, " · last %s rep %d", show.Cell, show.Rep)
	}
	switch {
	case ok && show.Failed != "":
		b.WriteString(" (last FAILED)")
	case ok:
		fmt.Fprintf(&b, " (last p50 %s p99 %s)", shortDuration(time.Duration(show.P50)), shortDuration(time.Duration(show.P99)))
	}
	return cut(b.String(), p.width()-1)
}

// cut shortens s to w runes, with "…" at the end when it had to.
func cut(s string, w int) string {
	if w < 1 || utf8.RuneCountInString(s) <= w {
		return s
	}
	r := []rune(s)
	return string(r[:w-1]) + "…"
}
