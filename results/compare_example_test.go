package results_test

import (
	"log"
	"os"

	"github.com/tunebench/tunebench/results"
)

// Two runs of a suite, labelled as benchstat labels them, one metric. The
// files differ in their tunebench, seed and link-wan lines, which Compare
// ignores (see Comparison.Ignored) so that the runs share one table.
func ExampleCompare() {
	c, err := results.Compare(
		results.ParseInputs([]string{"base=testdata/gate/base.txt", "new=testdata/gate/new.txt"}),
		results.CompareOptions{Filter: ".unit:p99-ns"})
	if err != nil {
		log.Fatal(err)
	}
	if err := c.WriteText(os.Stdout); err != nil {
		log.Fatal(err)
	}
	// Output:
	// suite: gate
	// goos: linux
	// goarch: amd64
	// backend: tun
	// link-lan: rtt=2ms
	//                             │    base     │                new                 │
	//                             │   p99-sec   │   p99-sec    vs base               │
	// Gate/link=lan/keepalive=on    50.10m ± 2%   65.10m ± 2%  +29.94% (p=0.002 n=6)
	// Gate/link=lan/keepalive=off   101.0m ± 3%   103.5m ± 4%        ~ (p=0.195 n=6)
	// Gate/link=wan/keepalive=on    200.5m ± 1%   160.2m ± 1%  -20.07% (p=0.002 n=6)
	// geomean                       100.5m        102.6m        +2.10%
}
