package results

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// SidecarPath returns the path of the histogram sidecar of the results file
// at resultsPath. A ".txt" extension is replaced by ".hist.jsonl", so
// "out/results.txt" maps to "out/results.hist.jsonl"; any other name keeps
// its extension and has ".hist.jsonl" appended, so that "x.1" and "x.2"
// (or "run.a" and "run.b") get sidecars of their own: "x.1.hist.jsonl".
// Only "x" and "x.txt" share one; a run refuses a sidecar that holds
// histograms already.
func SidecarPath(resultsPath string) string {
	if base := filepath.Base(resultsPath); strings.HasSuffix(base, ".txt") && base != ".txt" {
		return strings.TrimSuffix(resultsPath, ".txt") + ".hist.jsonl"
	}
	return resultsPath + ".hist.jsonl"
}

// A Sidecar appends the histograms of each repetition to a JSON Lines file,
// one object per line. Its methods are safe for concurrent use.
type Sidecar struct {
	out   io.Writer
	flush func() error // as in Writer

	mu  sync.Mutex
	err error // first error out returned
}

// NewSidecar returns a Sidecar that appends to w. Like Writer, it flushes and
// syncs w after every line when w supports that.
func NewSidecar(w io.Writer) *Sidecar {
	return &Sidecar{out: w, flush: flusherOf(w)}
}

// sidecarLine is the JSON object of one repetition. Histograms are in the
// HdrHistogram V2 compressed encoding, base64, as Histogram.Encode writes
// them and other HdrHistogram implementations read them.
type sidecarLine struct {
	Suite     string    `json:"suite"`
	Cell      string    `json:"cell"`
	Rep       int       `json:"rep"`
	Failed    string    `json:"failed,omitempty"`
	Requests  int       `json:"requests"`
	Errors    int       `json:"errors"`
	Latency   string    `json:"latency,omitempty"`
	LatencyCO string    `json:"latency_co,omitempty"`
	Started   time.Time `json:"started,omitzero"`
	ElapsedNS int64     `json:"elapsed_ns"`
}

// Write appends the histograms of s. A sample that the results file records
// as a failure is marked failed here with the same message, and keeps the
// histograms it has.
func (sc *Sidecar) Write(s Sample) error {
	if err := s.checkName(); err != nil {
		return fmt.Errorf("results: sidecar: %w", err)
	}
	rec := sidecarLine{
		Suite:     s.Suite,
		Cell:      s.Cell,
		Rep:       s.Rep,
		Failed:    s.failure(),
		Requests:  s.Requests,
		Errors:    s.Errors,
		Started:   s.Started,
		ElapsedNS: s.Elapsed.Nanoseconds(),
	}
	var err error
	if rec.Latency, err = encodeHistogram(s.Latency); err != nil {
		return fmt.Errorf("results: sidecar: %s rep %d: encoding latency: %w", s.Name(), s.Rep, err)
	}
	if rec.LatencyCO, err = encodeHistogram(s.LatencyCO); err != nil {
		return fmt.Errorf("results: sidecar: %s rep %d: encoding latency_co: %w", s.Name(), s.Rep, err)
	}
	line, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("results: sidecar: %w", err)
	}
	line = append(line, '\n')

	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.err != nil {
		return fmt.Errorf("results: sidecar: an earlier write failed: %w", sc.err)
	}
	if _, err := sc.out.Write(line); err != nil {
		sc.err = err
		return fmt.Errorf("results: sidecar: writing: %w", err)
	}
	if sc.flush != nil {
		if err := sc.flush(); err != nil {
			sc.err = err
			return fmt.Errorf("results: sidecar: flushing: %w", err)
		}
	}
	return nil
}

func encodeHistogram(h *hdrhistogram.Histogram) (string, error) {
	if h == nil {
		return "", nil
	}
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	return string(b), err
}

// A SidecarEntry is one repetition read back from a sidecar.
type SidecarEntry struct {
	Suite    string
	Cell     string
	Rep      int
	Failed   string
	Requests int
	Errors   int
	// Latency and LatencyCO are nil when the sample had none.
	Latency   *hdrhistogram.Histogram
	LatencyCO *hdrhistogram.Histogram
	Started   time.Time
	Elapsed   time.Duration
	// Line is the 1-based line number in the sidecar.
	Line int
}

// maxSidecarLine bounds one sidecar line. A histogram with every one of its
// 30 000 buckets in use encodes to well under 1 MiB.
const maxSidecarLine = 16 << 20

// ReadSidecar reads every entry of a sidecar. Errors name the line; a
// truncated last line, as a crash can leave, is one.
func ReadSidecar(r io.Reader) ([]SidecarEntry, error) {
	var entries []SidecarEntry
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, maxSidecarLine)
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		e, err := decodeSidecarLine(line)
		if err != nil {
			return nil, fmt.Errorf("results: sidecar line %d: %w", n, err)
		}
		e.Line = n
		entries = append(entries, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("results: sidecar line %d: %w", n+1, err)
	}
	return entries, nil
}

func decodeSidecarLine(line []byte) (SidecarEntry, error) {
	var rec sidecarLine
	if err := json.Unmarshal(line, &rec); err != nil {
		return SidecarEntry{}, err
	}
	e := SidecarEntry{
		Suite:    rec.Suite,
		Cell:     rec.Cell,
		Rep:      rec.Rep,
		Failed:   rec.Failed,
		Requests: rec.Requests,
		Errors:   rec.Errors,
		Started:  rec.Started,
		Elapsed:  time.Duration(rec.ElapsedNS),
	}
	var err error
	if e.Latency, err = decodeHistogram(rec.Latency); err != nil {
		return SidecarEntry{}, fmt.Errorf("decoding latency: %w", err)
	}
	if e.LatencyCO, err = decodeHistogram(rec.LatencyCO); err != nil {
		return SidecarEntry{}, fmt.Errorf("decoding latency_co: %w", err)
	}
	return e, nil
}

func decodeHistogram(s string) (*hdrhistogram.Histogram, error) {
	if s == "" {
		return nil, nil
	}
	return hdrhistogram.Decode([]byte(s))
}
