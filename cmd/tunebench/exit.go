package main

import (
	"errors"
	"fmt"
)

// The exit statuses of tunebench, as docs/cli.md lists them. Each outcome
// a script may act on has its own; link run and link exec pass their
// client's status through and keep 125–127 for their own failures, as
// timeout(1) and docker run do.
const (
	exitOK = 0
	// exitFailure: tunebench could not do its work (no root, a namespace
	// that could not be built, a file that could not be written).
	exitFailure = 1
	// exitUsage: bad input (flags, a suite, a results file); nothing was
	// run or written.
	exitUsage = 2
	// exitRepsFailed: a run finished and wrote its results, but more
	// repetitions failed than --max-failures allows (or every one did).
	exitRepsFailed = 3
	// exitGateFailed: a gate or objective was checked and failed (k6's
	// status for failed thresholds).
	exitGateFailed = 99
	// exitLinkFailed: link run or link exec failed itself (bad flags, the
	// link could not be built, the server did not start); the client
	// command did not run.
	exitLinkFailed = 125
	// exitCannotInvoke: the client command was found but could not be
	// started (permission, not an executable).
	exitCannotInvoke = 126
	// exitNotFound: the client command was not found.
	exitNotFound = 127
	// exitInterrupted: stopped by SIGINT or SIGTERM (128+2) after tearing
	// down.
	exitInterrupted = 130
)

// usageError is bad input on the command line or in a file: exitUsage.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// exitStatus passes a child's exit status through (link run, link exec),
// or ends a command with a status whose reason it already printed; main
// prints nothing more.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// codedError is an error with its own exit status, which main prints.
type codedError struct {
	code int
	err  error
}

func (e codedError) Error() string { return e.err.Error() }
func (e codedError) Unwrap() error { return e.err }

// repsFailed is the error of a run that wrote its results but whose
// failed repetitions fail it: exitRepsFailed.
type repsFailed struct{ msg string }

func (e repsFailed) Error() string { return e.msg }

// exitCode maps the error run returned to the process's exit status. The
// most specific outcome wins: a child's status or an explicit code, then
// a failed gate, failed repetitions, bad input, and anything else is a
// runtime failure.
func exitCode(err error) int {
	var st exitStatus
	var ce codedError
	var ue usageError
	var gf gateFailed
	var rf repsFailed
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &st):
		return int(st)
	case errors.As(err, &ce):
		return ce.code
	case errors.As(err, &gf):
		return exitGateFailed
	case errors.As(err, &rf):
		return exitRepsFailed
	case errors.As(err, &ue):
		return exitUsage
	}
	return exitFailure
}
