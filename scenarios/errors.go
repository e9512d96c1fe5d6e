package scenarios

import (
	"fmt"
	"sort"
	"strings"
)

// Error is one problem in a suite, located by file, line and key path.
// Its text reads "file:line: key.path: message", and the message ends with
// what to write instead.
type Error struct {
	File string // the file as given to Parse or LoadFile
	Line int    // 1-based; 0 when the problem has no single line
	Path string // key path such as links[1].loss; empty for the whole file
	Msg  string
}

// Error returns "file:line: key.path: message".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ErrorList is every problem found in one suite file, in line order, so that
// one edit can fix them all. Parse and LoadFile return it as their error;
// errors.As finds the single *Error values inside.
type ErrorList []*Error

// maxShown bounds how many problems ErrorList's text spells out; a file that
// is wrong in hundreds of places is better fixed from the first few.
const maxShown = 20

// Error returns the problems one per line, the first 20 of them.
func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i == maxShown {
			fmt.Fprintf(&b, "\n(and %d more)", len(l)-maxShown)
			break
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap gives errors.Is and errors.As the single problems.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// errs collects problems while a suite is parsed; it drops exact repeats,
// which arise when a link's setting is wrong for both of its directions.
type errs struct {
	file  string
	list  ErrorList
	seen  map[Error]bool
	count int // problems found, repeats and those over maxErrors included
}

// maxErrors stops collecting once a file is clearly not a suite.
const maxErrors = 100

func (c *errs) add(line int, path, format string, args ...any) {
	c.addIn(c.file, line, path, format, args...)
}

// addIn records a problem in another file than the suite's, such as the
// targets file that the suite names.
func (c *errs) addIn(file string, line int, path, format string, args ...any) {
	c.count++
	e := Error{File: file, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)}
	if c.seen[e] || len(c.list) >= maxErrors {
		return
	}
	if c.seen == nil {
		c.seen = make(map[Error]bool)
	}
	c.seen[e] = true
	c.list = append(c.list, &e)
}

// err returns the collected problems in line order, or nil.
func (c *errs) err() error {
	if len(c.list) == 0 {
		return nil
	}
	sort.SliceStable(c.list, func(i, j int) bool { return c.list[i].Line < c.list[j].Line })
	return c.list
}
