package scenarios_test

import (
	"fmt"

	"github.com/tunebench/tunebench/scenarios"
)

func ExampleParse() {
	suite := []byte(`
suite: handshake
links:
  - {name: lan, rtt: 1ms}
  - {name: wan40, rtt: 40ms, jitter: 1ms, loss: 0.1%}
matrix:
  keepalive: [on, off]
load: {rate: 50, duration: 5s, warmup: 1s}
`)
	s, err := scenarios.Parse("handshake.yaml", suite)
	if err != nil {
		fmt.Println(err)
		return
	}
	cells, err := s.Expand()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range cells {
		fmt.Printf("%s/%s  # %v\n", s.BenchName(), c.Name(), c.Link)
	}
	fmt.Println(s.Load.Count, "repetitions each")
	// Output:
	// BenchmarkHandshake/link=lan/keepalive=on  # rtt=1ms
	// BenchmarkHandshake/link=lan/keepalive=off  # rtt=1ms
	// BenchmarkHandshake/link=wan40/keepalive=on  # rtt=40ms jitter=1ms loss=0.1%
	// BenchmarkHandshake/link=wan40/keepalive=off  # rtt=40ms jitter=1ms loss=0.1%
	// 6 repetitions each
}

func ExampleParse_errors() {
	suite := []byte(`suite: quick
links:
  - {name: lan, rtt: 2ms}
  - {name: wan40, rtt: 40ms, loss: 120%}
matrix:
  keepalive: [on, of]
load: {rate: 20, duration: 3s}
`)
	_, err := scenarios.Parse("quick.yaml", suite)
	fmt.Println(err)
	// Output:
	// quick.yaml:4: links[1].loss: 120% is over 100%; give a loss between 0% and 100%
	// quick.yaml:6: matrix.keepalive[1]: "of" is not a value of keepalive; give one of on, off
}

func ExampleParseSelector() {
	sel, err := scenarios.ParseSelector("link=wan40,keepalive=off")
	fmt.Println(sel, err)
	// Output:
	// map[keepalive:off link:wan40] <nil>
}
