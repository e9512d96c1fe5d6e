package main

import (
	"errors"
	"io"
)

func run(stdout, stderr io.Writer, args []string) error { return errors.New("not yet") }

func exitCode(err error) int { return 2 }
