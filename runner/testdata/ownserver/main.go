// Command ownserver stands in for a user's own server in the runner's
// end-to-end tests. It listens on --listen with a plain listener (no socket
// options: no TCP_FASTOPEN), says on stdout what it was given (--tag, which
// the suite fills from placeholders, and TUNEBENCH_CODEC), answers
// /healthz with 503 for its first 300 ms and 200 after, logging each probe
// on stderr, and serves /orders in the codec of TUNEBENCH_CODEC with an
// X-Ownserver header that repeats what it was given.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/tunebench/tunebench/servers"
)

func main() {
	listen := flag.String("listen", "", "host:port to listen on")
	tag := flag.String("tag", "", "any text; printed as given")
	flag.Parse()
	codec, err := servers.ParseCodec(os.Getenv("TUNEBENCH_CODEC"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "ownserver:", err)
		os.Exit(2)
	}
	given := fmt.Sprintf("tag=%q TUNEBENCH_CODEC=%s TUNEBENCH_ADDR=%s", *tag, os.Getenv("TUNEBENCH_CODEC"), os.Getenv("TUNEBENCH_ADDR"))
	fmt.Println("ownserver: given", given)
	fmt.Fprintln(os.Stderr, "ownserver: starting on", *listen)
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ownserver:", err)
		os.Exit(1)
	}
	start := time.Now()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if time.Since(start) < 300*time.Millisecond {
			fmt.Fprintln(os.Stderr, "ownserver: healthz 503 (starting)")
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(os.Stderr, "ownserver: healthz 200")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /orders", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.URL.Query().Get("items"))
		if err != nil {
			n = 20
		}
		body, err := servers.EncodeOrders(codec, n)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", codec.MediaType())
		w.Header().Set("X-Ownserver", given)
		w.Write(body)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	fmt.Fprintln(os.Stderr, "ownserver: serve:", srv.Serve(ln))
}
