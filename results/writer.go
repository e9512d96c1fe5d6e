package results

import (
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A Writer appends samples to a results file, one line per repetition.
// Its methods are safe for concurrent use.
type Writer struct {
	out   io.Writer
	flush func() error // makes a written line durable; nil when out cannot

	mu sync.Mutex
	// units maps each unit declared so far, tidied as benchfmt files unit
	// metadata, to its direction.
	units map[string]string
	// err is the first error out returned; after it the file may end in a
	// partial line, so nothing more is written.
	err error
}

// NewWriter writes the file-level configuration and the unit declarations to
// w and returns a Writer that appends samples after them. The configuration
// holds for every line of the file; a run whose configuration changes writes
// a new file.
//
// After each line the Writer calls w's Flush method, if it has one, then its
// Sync method, if it has one; an *os.File that is not a regular file (a pipe,
// a terminal) is not synced, since those reject fsync.
func NewWriter(w io.Writer, config []Config) (*Writer, error) {
	seen := make(map[string]bool, len(config))
	var b strings.Builder
	for _, c := range config {
		if err := checkConfig(c); err != nil {
			return nil, fmt.Errorf("results: %w", err)
		}
		if seen[c.Key] {
			return nil, fmt.Errorf("results: config key %q given twice", c.Key)
		}
		seen[c.Key] = true
		fmt.Fprintf(&b, "%s: %s\n", c.Key, c.Value)
	}
	if len(config) > 0 {
		b.WriteByte('\n')
	}

	wr := &Writer{out: w, flush: flusherOf(w), units: make(map[string]string)}
	for _, m := range builtinUnits() {
		wr.declareLocked(&b, m)
	}
	b.WriteByte('\n')
	if err := wr.emitLocked(b.String()); err != nil {
		return nil, err
	}
	return wr, nil
}

// flusherOf returns the function that makes what was written to w durable,
// or nil if w offers none.
func flusherOf(w io.Writer) func() error {
	type flusher interface{ Flush() error }
	type syncer interface{ Sync() error }
	var steps []func() error
	if f, ok := w.(flusher); ok {
		steps = append(steps, f.Flush)
	}
	if s, ok := w.(syncer); ok {
		if f, isFile := w.(*os.File); !isFile || isRegular(f) {
			steps = append(steps, s.Sync)
		}
	}
	if len(steps) == 0 {
		return nil
	}
	return func() error {
		for _, step := range steps {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	}
}

func isRegular(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode().IsRegular()
}

// Write appends s to the file: a benchmark line, or a failure line when the
// repetition failed or no request succeeded. Units of s.Extra not seen before
// are declared just before the line. An invalid sample is reported and
// nothing is written; after an I/O error every later Write fails.
func (w *Writer) Write(s Sample) error {
	if err := s.checkName(); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	var b strings.Builder
	if msg := s.failure(); msg != "" {
		b.WriteString(formatFailure(s.Name(), s.Rep, msg))
		b.WriteByte('\n')
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.emitLocked(b.String())
	}

	values, err := s.values()
	if err != nil {
		return fmt.Errorf("results: %s rep %d: %w", s.Name(), s.Rep, err)
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	// Check every extra unit before declaring any, so that a rejected
	// sample leaves the Writer as it was.
	for _, m := range s.Extra {
		if better, ok := w.units[tidyUnit(m.Unit)]; ok && better != m.Better {
			return fmt.Errorf("results: %s rep %d: unit %s: better is %q, but the file declared %q", s.Name(), s.Rep, m.Unit, m.Better, better)
		}
	}
	for _, m := range s.Extra {
		w.declareLocked(&b, m)
	}
	b.WriteString("Benchmark")
	b.WriteString(s.Name())
	b.WriteByte('\t')
	b.WriteString(strconv.Itoa(s.Requests))
	for _, v := range values {
		b.WriteByte('\t')
		b.WriteString(formatValue(v.Value))
		b.WriteByte(' ')
		b.WriteString(v.Unit)
	}
	b.WriteByte('\n')
	return w.emitLocked(b.String())
}

// declareLocked appends m's unit line to b unless the unit was declared.
func (w *Writer) declareLocked(b *strings.Builder, m Metric) {
	tidy := tidyUnit(m.Unit)
	if _, ok := w.units[tidy]; ok {
		return
	}
	w.units[tidy] = m.Better
	fmt.Fprintf(b, "Unit %s better=%s\n", m.Unit, m.Better)
}

// emitLocked writes text with one Write call and makes it durable.
func (w *Writer) emitLocked(text string) error {
	if w.err != nil {
		return fmt.Errorf("results: an earlier write failed: %w", w.err)
	}
	if _, err := io.WriteString(w.out, text); err != nil {
		w.err = err
		return fmt.Errorf("results: writing: %w", err)
	}
	if w.flush != nil {
		if err := w.flush(); err != nil {
			w.err = err
			return fmt.Errorf("results: flushing: %w", err)
		}
	}
	return nil
}

// values returns the measurements of a successful sample in line order.
func (s *Sample) values() ([]Metric, error) {
	switch {
	case s.Latency == nil:
		return nil, fmt.Errorf("sample has no latency histogram")
	case s.Errors < 0:
		return nil, fmt.Errorf("error count %d is negative", s.Errors)
	case !finite(s.Achieved) || s.Achieved < 0:
		return nil, fmt.Errorf("achieved rate %v is not a non-negative number", s.Achieved)
	}
	mean, p50, p90, p99, p999, max := Summary(s.Latency)
	ns := func(d time.Duration) float64 { return float64(d.Nanoseconds()) }
	values := []Metric{
		{Value: ns(mean), Unit: UnitMean},
		{Value: ns(p50), Unit: UnitP50},
		{Value: ns(p90), Unit: UnitP90},
		{Value: ns(p99), Unit: UnitP99},
		{Value: ns(p999), Unit: UnitP999},
		{Value: ns(max), Unit: UnitMax},
	}
	if s.LatencyCO != nil {
		_, _, _, p99co, _, _ := Summary(s.LatencyCO)
		values = append(values, Metric{Value: ns(p99co), Unit: UnitP99CO})
	}
	values = append(values,
		Metric{Value: s.Achieved, Unit: UnitAchieved},
		Metric{Value: float64(s.Errors) / float64(s.Requests), Unit: UnitErrors},
	)

	// Extra units must differ from every built-in one, even from p99co-ns
	// on a line without it, and from each other.
	seen := make(map[string]bool)
	for _, m := range builtinUnits() {
		seen[tidyUnit(m.Unit)] = true
	}
	for _, m := range s.Extra {
		if err := checkUnit(m); err != nil {
			return nil, err
		}
		if !finite(m.Value) {
			return nil, fmt.Errorf("unit %s: value %v is not a finite number", m.Unit, m.Value)
		}
		tidy := tidyUnit(m.Unit)
		if seen[tidy] {
			return nil, fmt.Errorf("unit %s repeats a built-in or earlier unit", m.Unit)
		}
		seen[tidy] = true
		values = append(values, m)
	}
	return values, nil
}

func finite(v float64) bool {
	return !math.IsNaN(v) && !math.IsInf(v, 0)
}
