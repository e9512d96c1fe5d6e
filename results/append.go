package results

import (
	"fmt"
	"io"
)

// AppendWriter returns a Writer that appends samples to a results file that
// already holds f: it writes no configuration, and declares only the units
// f has not declared. It is how a resumed run completes an interrupted
// one's file without rewriting a byte of it.
func AppendWriter(w io.Writer, f *File) (*Writer, error) {
	if f == nil {
		return nil, fmt.Errorf("results: AppendWriter: no file to append to")
	}
	wr := &Writer{out: w, flush: flusherOf(w), units: make(map[string]string)}
	for unit, better := range f.Units {
		wr.units[tidyUnit(unit)] = better
	}
	return wr, nil
}
