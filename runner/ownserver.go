package runner

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tunebench/tunebench/agent"
	"github.com/tunebench/tunebench/netem"
	"github.com/tunebench/tunebench/scenarios"
)

// The server of a cell, the reference one or the user's own, runs under one
// contract (see scenarios' package doc, "Your own server"):
//
//   - it is started in the server host, so the kernel knobs (tfo, cc,
//     initcwnd, sysctl) apply to it as they do to the reference server;
//   - it gets the cell's knobs as TUNEBENCH_<KNOB>=value and, in its
//     command, as {knob} placeholders, besides {server}, {port} and {addr};
//   - it is ready when GET <ready> answers 2xx, or, without ready, when a
//     TCP socket listens in the server host;
//   - its stdout and stderr go to a log file per repetition, and the end of
//     its stderr goes into the message of a repetition that fails.

// Timings of the ready probe.
const (
	// readyEvery is how often the ready path is polled.
	readyEvery = 20 * time.Millisecond
	// readyRequest bounds one probe request.
	readyRequest = time.Second
)

// LogDir is where a run writing its results to resultsPath puts the
// servers' logs: results.txt → results.logs, one file per repetition under
// it, <cell>/rep<N>.log.
func LogDir(resultsPath string) string {
	return strings.TrimSuffix(resultsPath, filepath.Ext(resultsPath)) + ".logs"
}

// serverLogPath is the log file of one repetition of a cell. The cell's
// name has one directory per "/": link=lan/codec=json/rep1.log.
func serverLogPath(dir, cell string, rep int) string {
	return filepath.Join(dir, filepath.FromSlash(cell), "rep"+strconv.Itoa(rep)+".log")
}

// serverLog is a server's log file. Its Write never fails, so that a full
// disk never blocks or stops the server: it notes the first error and
// drops the rest of the output.
type serverLog struct {
	path string
	mu   sync.Mutex
	f    *os.File // guarded by mu
	err  error    // guarded by mu; the first write error
}

// openServerLog creates (or truncates, for a resumed run) the log file at
// path.
func openServerLog(path string) (*serverLog, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("server log: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("server log: %w", err)
	}
	return &serverLog{path: path, f: f}, nil
}

// Write implements io.Writer; it always reports p written.
func (l *serverLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err == nil && l.f != nil {
		_, l.err = l.f.Write(p)
	}
	return len(p), nil
}

// close closes the file and returns the first error of writing or closing.
func (l *serverLog) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := errors.Join(l.err, l.f.Close())
	l.f = nil
	if err != nil {
		return fmt.Errorf("server log %s: %w", l.path, err)
	}
	return nil
}

// serverSpec is how to start the server of one repetition of cell, and its
// log file when the run keeps logs (Options.LogDir); the caller closes the
// log after the server has stopped.
func (r *run) serverSpec(cell scenarios.Cell, rep int) (serverSpec, *serverLog, error) {
	s := r.o.Suite.Server
	spec := serverSpec{cmd: r.serverCommand(cell), reference: s.Command == "" && len(s.Argv) == 0}
	if s.Ready != "" && !spec.reference {
		scheme := "http"
		if v, _ := cell.Get("tls"); v == "full" || v == "resume" {
			scheme = "https"
		}
		spec.readyURL = scheme + "://" + r.serverAddr() + s.Ready
	}
	if r.o.LogDir == "" {
		return spec, nil, nil
	}
	log, err := openServerLog(serverLogPath(r.o.LogDir, cell.Name(), rep))
	if err != nil {
		return spec, nil, err
	}
	spec.log = log
	return spec, log, nil
}

// inNamespace returns a DialContext that opens its sockets in ns, so that a
// probe from the runner reaches an address of the server host.
func inNamespace(ns *netem.Namespace) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		var c net.Conn
		err := ns.Do(func() error {
			var d net.Dialer
			var err error
			c, err = d.DialContext(ctx, network, addr)
			return err
		})
		return c, err
	}
}

// waitReady polls GET url in the server host until it answers 2xx, the
// server exits, ctx ends or timeout passes. Its error names the last answer
// and the end of the server's stderr.
func waitReady(ctx context.Context, ns *netem.Namespace, url string, c *child, timeout time.Duration) error {
	tr := &http.Transport{
		Proxy:             nil,
		DialContext:       inNamespace(ns),
		DisableKeepAlives: true,
		// A server with tls=full or resume has a certificate made at run
		// time; the probe asks whether it answers, not who it is.
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: readyRequest,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(readyEvery)
	defer tick.Stop()
	last := "no answer yet"
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("server: ready url %q: %w", url, err)
		}
		resp, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
				return nil
			}
			last = resp.Status
		} else {
			last = agent.NormalizeError(err.Error())
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("server: stopped while waiting for GET %s: %w", url, ctx.Err())
		case <-c.exited:
			return fmt.Errorf("server exited before GET %s answered 2xx: %s", url, c.exitedWith())
		case <-deadline.C:
			return fmt.Errorf("server: GET %s did not answer 2xx within %v (last: %s); check that the server listens on the address it was given ({addr}, TUNEBENCH_ADDR) and serves that path; its stderr: %s",
				url, timeout, last, orNone(c.stderr.String()))
		case <-tick.C:
		}
	}
}

// orNone is s, or "(nothing)" when it is empty.
func orNone(s string) string {
	if s == "" {
		return "(nothing)"
	}
	return s
}

// withServerOutput adds to err, the failure of a repetition whose server
// was started, the end of the server's stderr and where its log is.
func withServerOutput(err error, srv *child, log *serverLog) error {
	if err == nil {
		return err
	}
	var extra []string
	// startServer's own errors already end with the stderr.
	if srv != nil {
		if t := srv.stderr.String(); t != "" && !strings.Contains(err.Error(), t) {
			extra = append(extra, "server stderr: "+t)
		}
	}
	if log != nil {
		extra = append(extra, "server log: "+log.path)
	}
	if len(extra) == 0 {
		return err
	}
	return fmt.Errorf("%w (%s)", err, strings.Join(extra, "; "))
}
