package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"

	"github.com/tunebench/tunebench/results"
)

// lockResults takes an exclusive lock on an open results file, so that two
// runs never write one file; it fails at once if another run holds it.
func lockResults(f *os.File) error {
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		if errors.Is(err, unix.EWOULDBLOCK) {
			return usagef("run: another tunebench run is writing %s; give another file with -o, or wait for it", f.Name())
		}
		return fmt.Errorf("run: locking %s: %w", f.Name(), err)
	}
	return nil
}

// openResume opens the results file of a cut-off run, and its sidecar, to
// append to them. It reads what the file holds, after locking it, and
// refuses a file that is not one tunebench run wrote or that ends in a
// partial line. Nothing already in either file is changed.
func openResume(path string) (rf *results.File, out, side *os.File, err error) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, nil, nil, usagef("run: --resume %s: no such file; give the results file of the run to complete", path)
	case err != nil:
		return nil, nil, nil, fmt.Errorf("run: --resume: %w", err)
	case !fi.Mode().IsRegular():
		return nil, nil, nil, usagef("run: --resume %s: not a regular file; give the results file of the run to complete", path)
	case fi.Size() == 0:
		return nil, nil, nil, usagef("run: --resume %s: empty; run without --resume, with -o %s", path, path)
	}
	out, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("run: --resume: %w; give a results file you can write", err)
	}
	fail := func(e error) (*results.File, *os.File, *os.File, error) {
		out.Close()
		if side != nil {
			side.Close()
		}
		return nil, nil, nil, e
	}
	if err := lockResults(out); err != nil {
		return fail(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fail(fmt.Errorf("run: --resume: %w", err))
	}
	if !bytes.HasSuffix(data, []byte("\n")) {
		return fail(usagef("run: --resume %s: it ends in a partial line; remove that line (the repetition it belongs to is measured again)", path))
	}
	if rf, err = results.Read(path, bytes.NewReader(data)); err != nil {
		return fail(usagef("run: --resume: %v", err))
	}
	sidePath := results.SidecarPath(path)
	side, err = os.OpenFile(sidePath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fail(fmt.Errorf("run: --resume: %w", err))
	}
	if ok, err := endsInNewline(sidePath); err != nil {
		return fail(fmt.Errorf("run: --resume: %w", err))
	} else if !ok {
		return fail(usagef("run: --resume: %s ends in a partial line; remove that line", sidePath))
	}
	return rf, out, side, nil
}

// endsInNewline reports whether the file at path is empty or ends in '\n'.
func endsInNewline(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		return err == nil, err
	}
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, fi.Size()-1); err != nil && err != io.EOF {
		return false, err
	}
	return b[0] == '\n', nil
}
