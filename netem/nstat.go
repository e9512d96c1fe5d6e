package netem

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Counters are a namespace's SNMP and extended TCP counters as nstat(8)
// names them: the table's prefix joined to the field, e.g.
// "TcpRetransSegs" (from /proc/net/snmp) or "TcpExtTCPFastOpenActive"
// (from /proc/net/netstat).
type Counters map[string]uint64

// Counter names that tunebench reports.
const (
	CounterTFOActive      = "TcpExtTCPFastOpenActive"     // client: SYN data acked by the server
	CounterTFOActiveFail  = "TcpExtTCPFastOpenActiveFail" // client: SYN data sent and not acked
	CounterTFOPassive     = "TcpExtTCPFastOpenPassive"    // server: SYN data accepted
	CounterTFOPassiveFail = "TcpExtTCPFastOpenPassiveFail"
	CounterTFOCookieReqd  = "TcpExtTCPFastOpenCookieReqd" // server: a client asked for a cookie
	CounterRetransSegs    = "TcpRetransSegs"              // segments retransmitted
	CounterOutSegs        = "TcpOutSegs"
	CounterActiveOpens    = "TcpActiveOpens"
	CounterPassiveOpens   = "TcpPassiveOpens"
)

// Counters reads the namespace's counters from /proc/net/snmp and
// /proc/net/netstat as seen from inside it.
func (n *Namespace) Counters() (Counters, error) {
	c := Counters{}
	err := n.Do(func() error {
		// /proc/self/net is the main thread's namespace; this thread's is
		// under thread-self.
		for _, f := range []string{"/proc/thread-self/net/snmp", "/proc/thread-self/net/netstat"} {
			fh, err := os.Open(f)
			if err != nil {
				return fmt.Errorf("netem: counters of %s: %w", n.Name, err)
			}
			err = parseCounters(fh, c)
			fh.Close()
			if err != nil {
				return fmt.Errorf("netem: counters of %s: %s: %w", n.Name, f, err)
			}
		}
		return nil
	})
	return c, err
}

// parseCounters adds the counters of one /proc/net/snmp-style file to c.
// Such a file comes in pairs of lines, "Tcp: RtoAlgorithm RtoMin ..." then
// "Tcp: 1 200 ...". Negative values (a few gauges, such as TcpMaxConn's
// -1) are left out.
func parseCounters(r io.Reader, c Counters) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		names := strings.Fields(sc.Text())
		if len(names) == 0 {
			continue
		}
		if !sc.Scan() {
			return fmt.Errorf("line %d: %s has no line of values after it", line, names[0])
		}
		line++
		values := strings.Fields(sc.Text())
		switch {
		case len(values) != len(names):
			return fmt.Errorf("line %d: %d values for %d names", line, len(values), len(names))
		case values[0] != names[0] || !strings.HasSuffix(names[0], ":"):
			return fmt.Errorf("line %d: values of %q follow names of %q", line, values[0], names[0])
		}
		prefix := strings.TrimSuffix(names[0], ":")
		for i := 1; i < len(names); i++ {
			v, err := strconv.ParseUint(values[i], 10, 64)
			if err != nil {
				continue // a signed gauge
			}
			c[prefix+names[i]] = v
		}
	}
	return sc.Err()
}

// Delta returns c minus before for every counter of c; a counter that went
// down (it cannot, short of a wrap) counts as 0.
func (c Counters) Delta(before Counters) Counters {
	d := make(Counters, len(c))
	for k, v := range c {
		if b := before[k]; v >= b {
			d[k] = v - b
		} else {
			d[k] = 0
		}
	}
	return d
}
