package servers_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/tunebench/tunebench/servers"
)

// The reference server as "tunebench serve" runs it: listen, say so, serve
// until the context is done.
func ExampleRun() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, w := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- servers.Run(ctx, servers.Config{Addr: "127.0.0.1:0"}, w) }()

	line := make([]byte, 64)
	n, _ := r.Read(line)
	addr := strings.TrimSpace(strings.TrimPrefix(string(line[:n]), "listening "))

	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.Status, string(body))

	cancel()
	fmt.Println("run:", <-done)
	// Output:
	// 200 OK ok
	// run: <nil>
}

// A /bytes/N response is exactly N bytes long.
func ExampleHandler() {
	srv := &http.Server{Handler: servers.Handler(), ReadHeaderTimeout: time.Second}
	ln, err := servers.Listen(context.Background(), "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	go srv.Serve(ln)
	defer srv.Close()

	resp, err := http.Get("http://" + ln.Addr().String() + "/bytes/1000")
	if err != nil {
		fmt.Println(err)
		return
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	fmt.Println(resp.Header.Get("Content-Type"), resp.ContentLength, n)
	// Output:
	// application/octet-stream 1000 1000
}
