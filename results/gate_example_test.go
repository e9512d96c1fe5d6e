package results_test

import (
	"fmt"
	"log"

	"github.com/tunebench/tunebench/results"
)

// A gate on a baseline and an objective: the p99 latency may grow by 10% at
// most, and must stay under 150 ms on the wan link.
func ExampleGate() {
	base, err := results.ReadFile("testdata/gate/base.txt")
	if err != nil {
		log.Fatal(err)
	}
	cur, err := results.ReadFile("testdata/gate/new.txt")
	if err != nil {
		log.Fatal(err)
	}
	r, err := results.Gate(results.GateOptions{
		Baseline: base, Current: cur,
		Metrics: []string{"p99"}, MaxRegression: 0.10,
		Objectives: []results.Objective{{Metric: "p99", Max: 150e6, HasMax: true, Where: map[string]string{"link": "wan"}}},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range r.Failures() {
		fmt.Println(f)
	}
	// Output:
	// Gate/link=lan/keepalive=on p99-ns: 50.10ms → 65.10ms: worse by 29.94% (p=0.002 n=6), over the 10% allowed
	// objective p99 max 150ms where link=wan: Gate/link=wan/keepalive=on: median 160.2ms over the maximum 150ms (n=6)
}
