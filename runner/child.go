package runner

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/tunebench/tunebench/agent"
	"github.com/tunebench/tunebench/netem"
)

// Timings of the children.
const (
	// serverReady bounds the wait for the server to listen.
	serverReady = 10 * time.Second
	// stopGrace is how long a child has between SIGTERM and SIGKILL.
	stopGrace = 2 * time.Second
	// waitDelay bounds the wait for a child's output pipes once it has
	// exited: a grandchild that kept them open must not hold the run.
	waitDelay = time.Second
	// maxAgentOutput bounds the agent's JSON result: two compressed
	// histograms are well under 1 MiB.
	maxAgentOutput = 64 << 20
)

// child is a process started in a namespace.
type child struct {
	cmd    *exec.Cmd
	stderr *tail
	exited chan struct{} // closed once the process has been waited for
	err    error         // Wait's; read only after exited is closed
}

// startChild starts cmd in ns, its stderr kept in a tail and also written
// to cmd.Stderr if that is set (a writer that never fails, such as a
// serverLog).
func startChild(ns *netem.Namespace, cmd *exec.Cmd) (*child, error) {
	c := &child{cmd: cmd, stderr: newTail(), exited: make(chan struct{})}
	if cmd.Stderr != nil {
		cmd.Stderr = io.MultiWriter(c.stderr, cmd.Stderr)
	} else {
		cmd.Stderr = c.stderr
	}
	cmd.WaitDelay = waitDelay
	if err := ns.Start(cmd); err != nil {
		return nil, err
	}
	go func() {
		c.err = cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

// stop ends the child and its process group; safe to call twice.
func (c *child) stop() error {
	netem.Stop(c.cmd, c.exited, stopGrace)
	return nil
}

// exitedWith describes how the child ended, with the end of its stderr:
// "exit status 1: servers: listening on 198.18.0.2:80: address already in
// use". Call it only once exited is closed.
func (c *child) exitedWith() string {
	msg := "exited"
	if c.err != nil {
		msg = c.err.Error()
	}
	if t := c.stderr.String(); t != "" {
		msg += ": " + t
	}
	return msg
}

// serverSpec is how one repetition's server starts.
type serverSpec struct {
	cmd       *exec.Cmd
	reference bool   // tunebench serve, which says "listening ADDR"
	readyURL  string // polled until 2xx; "" waits for a listener
	// log receives the server's stdout and stderr; nil discards them.
	log io.Writer
}

// startServer starts the server in the server host and waits until it is
// ready. The reference server says so on stdout ("listening ADDR"); a
// user's command is ready when its ready URL answers 2xx, or else when a
// TCP socket listens in its namespace. On error the returned child, if
// any, must still be stopped.
func startServer(ctx context.Context, ns *netem.Namespace, spec serverSpec) (*child, error) {
	cmd, reference := spec.cmd, spec.reference
	if spec.log != nil {
		cmd.Stderr = spec.log
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("server: stdout pipe: %w", err)
	}
	cmd.Stdout = pw
	c, err := startChild(ns, cmd)
	pw.Close() // the child holds its own copy
	if err != nil {
		pr.Close()
		return nil, fmt.Errorf("server: %w", err)
	}
	ready := make(chan struct{})
	go func() {
		defer pr.Close()
		sc := bufio.NewScanner(pr)
		seen := false
		for sc.Scan() { // to EOF, so that the server never blocks on stdout
			if spec.log != nil {
				fmt.Fprintf(spec.log, "%s\n", sc.Bytes())
			}
			if !seen && reference && strings.HasPrefix(sc.Text(), "listening ") {
				seen = true
				close(ready)
			}
		}
		// A line over the scanner's limit stops it; keep reading, so that
		// the server never blocks on (or dies of) a full pipe.
		var rest io.Writer = io.Discard
		if spec.log != nil {
			rest = spec.log
		}
		_, _ = io.Copy(rest, pr)
	}()
	if !reference && spec.readyURL != "" {
		return c, waitReady(ctx, ns, spec.readyURL, c, serverReady)
	}
	if !reference {
		ok, err := netem.WaitListening(ctx, cmd.Process.Pid, c.exited, serverReady)
		switch {
		case err != nil && ctx.Err() != nil:
			return c, fmt.Errorf("server: stopped while starting: %w", err)
		case err != nil:
			<-c.exited
			return c, fmt.Errorf("server exited before it listened: %s", c.exitedWith())
		case !ok:
			return c, fmt.Errorf("server: no TCP socket listens in the server host %v after it started; check that the command listens on 198.18.0.2 or 0.0.0.0: %s", serverReady, c.stderr)
		}
		return c, nil
	}
	timer := time.NewTimer(serverReady)
	defer timer.Stop()
	select {
	case <-ready:
		return c, nil
	case <-c.exited:
		return c, fmt.Errorf("server exited before it listened: %s", c.exitedWith())
	case <-timer.C:
		return c, fmt.Errorf("server: no \"listening\" line within %v: %s", serverReady, c.stderr)
	case <-ctx.Done():
		return c, fmt.Errorf("server: stopped while starting: %w", ctx.Err())
	}
}

// driveLoad runs the load agent in the client host with cfg on its stdin and
// returns its result. env is added to the runner's environment for it. When
// ctx ends first the agent is stopped and ctx's error returned.
func driveLoad(ctx context.Context, ns *netem.Namespace, exe string, cfg agent.Config, env ...string) (*agent.Result, error) {
	in, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("load agent: %w", err)
	}
	cmd := exec.Command(exe, "load")
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Stdin = bytes.NewReader(in)
	out := &limitedBuffer{max: maxAgentOutput}
	cmd.Stdout = out
	c, err := startChild(ns, cmd)
	if err != nil {
		return nil, fmt.Errorf("load agent: %w", err)
	}
	select {
	case <-c.exited:
	case <-ctx.Done():
		c.stop()
		return nil, fmt.Errorf("load agent: stopped: %w", ctx.Err())
	}
	if c.err != nil {
		return nil, fmt.Errorf("load agent: %s", c.exitedWith())
	}
	if out.over {
		return nil, fmt.Errorf("load agent: its result is over %d bytes; it is not the agent's JSON", maxAgentOutput)
	}
	var res agent.Result
	dec := json.NewDecoder(bytes.NewReader(out.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&res); err != nil {
		return nil, fmt.Errorf("load agent: reading its result: %w; stderr: %s", err, c.stderr)
	}
	return &res, nil
}

// tail keeps the last few KiB written to it: the end of a child's stderr,
// which says why it failed.
type tail struct {
	mu  sync.Mutex
	buf []byte // guarded by mu
}

// tailKeep is how many bytes a tail keeps; tailLines how many of its last
// lines String returns.
const (
	tailKeep  = 4096
	tailLines = 5
)

func newTail() *tail { return &tail{} }

// Write keeps the end of p; it never fails, so the child never blocks.
func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailKeep {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailKeep:]...)
	}
	return len(p), nil
}

// String returns the last non-empty lines joined by "; ", or "" if none.
func (t *tail) String() string {
	t.mu.Lock()
	text := string(t.buf)
	t.mu.Unlock()
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > tailLines {
		lines = lines[len(lines)-tailLines:]
	}
	return strings.Join(lines, "; ")
}

// limitedBuffer is a bytes.Buffer that stops growing at max and notes that
// more came.
type limitedBuffer struct {
	bytes.Buffer
	max  int
	over bool
}

// Write keeps what fits and reports all of p written, so that the child
// is never stopped by a short write.
func (b *limitedBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if room := b.max - b.Len(); n > room {
		b.over = true
		p = p[:max(room, 0)]
	}
	b.Buffer.Write(p)
	return n, nil
}
