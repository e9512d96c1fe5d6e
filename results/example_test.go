package results_test

import (
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"github.com/tunebench/tunebench/results"
)

func ExampleWriter() {
	w, err := results.NewWriter(os.Stdout, []results.Config{
		{Key: "tunebench", Value: "v0.3.0"},
		{Key: "link-wan40", Value: "rtt=40ms jitter=1ms loss=0.1%"},
	})
	if err != nil {
		log.Fatal(err)
	}

	lat, co := results.NewHistogram(), results.NewHistogram()
	for i := range 100 {
		d := 40*time.Millisecond + time.Duration(i)*100*time.Microsecond
		lat.RecordValue(int64(d))
		co.RecordValue(int64(d + time.Millisecond))
	}
	err = w.Write(results.Sample{
		Suite: "Handshake", Cell: "link=wan40/keepalive=off", Rep: 1,
		Requests: 100, Latency: lat, LatencyCO: co, Achieved: 10, Errors: 1,
		Extra: []results.Metric{{Value: 2, Unit: "retrans/op", Better: results.BetterLower}},
	})
	if err != nil {
		log.Fatal(err)
	}
	err = w.Write(results.Sample{
		Suite: "Handshake", Cell: "link=wan40/keepalive=on", Rep: 1,
		Failed: "server exited: signal: killed",
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// tunebench: v0.3.0
	// link-wan40: rtt=40ms jitter=1ms loss=0.1%
	//
	// Unit ns/op better=lower
	// Unit p50-ns better=lower
	// Unit p90-ns better=lower
	// Unit p99-ns better=lower
	// Unit p999-ns better=lower
	// Unit max-ns better=lower
	// Unit p99co-ns better=lower
	// Unit req/s better=higher
	// Unit errors better=lower
	//
	// Unit retrans/op better=lower
	// BenchmarkHandshake/link=wan40/keepalive=off	100	44949504 ns/op	44924927 p50-ns	48922623 p90-ns	49807359 p99-ns	49905663 p999-ns	49905663 max-ns	50823167 p99co-ns	10 req/s	0.01 errors	2 retrans/op
	// --- FAIL: BenchmarkHandshake/link=wan40/keepalive=on rep=1: server exited: signal: killed
}

func ExampleRead() {
	const file = `tunebench: v0.3.0

Unit p50-ns better=lower

BenchmarkHandshake/link=wan40/keepalive=off	100	44958200 ns/op	44990463 p50-ns
BenchmarkHandshake/link=wan40/keepalive=on	100	24958200 ns/op	24990463 p50-ns
--- FAIL: BenchmarkHandshake/link=wan40/keepalive=on rep=2: server exited: signal: killed
`
	f, err := results.Read("results.txt", strings.NewReader(file))
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range f.Rows {
		fmt.Printf("%s rep %d: p50 %v over %d requests\n", r.Cell, r.Rep, time.Duration(r.Values["p50-ns"]), r.N)
	}
	for _, fl := range f.Failures {
		fmt.Printf("%s rep %d failed: %s\n", fl.Cell, fl.Rep, fl.Message)
	}
	// Output:
	// link=wan40/keepalive=off rep 1: p50 44.990463ms over 100 requests
	// link=wan40/keepalive=on rep 1: p50 24.990463ms over 100 requests
	// link=wan40/keepalive=on rep 2 failed: server exited: signal: killed
}
