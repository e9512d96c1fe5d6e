package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/tunebench/tunebench/results"
	"github.com/tunebench/tunebench/scenarios"
)

// stdinName names standard input in messages, for a file argument "-".
const stdinName = "<stdin>"

// stdinPath is what a "-" becomes for the packages that open a path
// themselves (compare, report).
const stdinPath = "/dev/stdin"

// oneStdin refuses more than one "-" among a command's file arguments:
// standard input can be read once.
func oneStdin(cmd string, paths ...string) error {
	n := 0
	for _, p := range paths {
		if p == "-" {
			n++
		}
	}
	if n > 1 {
		return usagef("%s: - (standard input) is given %d times; it can be read once, so give the other files by name", cmd, n)
	}
	return nil
}

// loadSuite reads the suite at path, or from stdin for "-". A suite read
// from stdin is named <stdin> in messages, and its @file bodies are found
// relative to the working directory. Every problem is bad input.
func loadSuite(path string) (*scenarios.Suite, error) {
	if path != "-" {
		s, err := scenarios.LoadFile(path)
		if err != nil {
			return nil, usageError{err.Error()}
		}
		return s, nil
	}
	data, err := io.ReadAll(io.LimitReader(os.Stdin, scenarios.MaxFileSize+1))
	if err != nil {
		return nil, usagef("reading the suite from standard input: %v", err)
	}
	if len(data) > scenarios.MaxFileSize {
		return nil, usagef("%s: the suite on standard input is over the %d-byte limit; a suite is a few dozen lines, so check that this is the right file", stdinName, scenarios.MaxFileSize)
	}
	s, err := scenarios.Parse(stdinName, data)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	return s, nil
}

// readResultsFile reads a results file, or stdin for "-", for the command
// cmd; any problem with it is bad input.
func readResultsFile(cmd, path string) (*results.File, error) {
	var f *results.File
	var err error
	if path == "-" {
		f, err = results.Read(stdinName, os.Stdin)
	} else {
		f, err = results.ReadFile(path)
	}
	if err != nil {
		return nil, inputError(cmd, err)
	}
	return f, nil
}

// stdinFile copies standard input to a file named stdin.txt in a new
// temporary folder, for readers that open their file more than once, and
// returns its path and the function that removes it.
func stdinFile() (string, func(), error) {
	dir, err := os.MkdirTemp("", "tunebench-stdin-")
	if err != nil {
		return "", nil, fmt.Errorf("keeping standard input: %w", err)
	}
	cleanup := func() { os.RemoveAll(dir) }
	path := filepath.Join(dir, "stdin.txt")
	f, err := os.Create(path)
	if err == nil {
		_, err = io.Copy(f, os.Stdin)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		cleanup()
		return "", nil, fmt.Errorf("keeping standard input in %s: %w", path, err)
	}
	return path, cleanup, nil
}
