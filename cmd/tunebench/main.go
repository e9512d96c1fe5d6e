// Command tunebench measures what a TCP/API tuning buys on an emulated
// network path. See the README for the commands.
package main

import (
	"errors"
	"fmt"
	"os"
)

func main() {
	if err := run(os.Stdout, os.Stderr, os.Args[1:]); err != nil {
		var st exitStatus
		if !errors.As(err, &st) { // a child's status speaks for itself
			fmt.Fprintln(os.Stderr, "tunebench:", err)
		}
		os.Exit(exitCode(err))
	}
}
