package runner

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tunebench/tunebench/agent"
	"github.com/tunebench/tunebench/netem"
	"github.com/tunebench/tunebench/results"
)

// The instrument's own error. Every line carries what the load agent and
// the link emulator could have added to what it measures: the agent's send
// lag (send-lag-p50-ns, send-lag-p99-ns), the TUN emulator's release
// lateness (emu-late-p99-ns) and how busy the host's CPUs were during the
// measured window (cpu-busy). A repetition whose own error is large
// against what it measures gets suspect=1 and a note in the progress line:
// send lag P99 or emulator lateness P99 over suspectShare of the cell's
// RTT (or, on a link without delay, of the median latency), or the CPUs
// busy over cpuSaturated.

const (
	// suspectShare is the largest own error, as a share of what the cell
	// measures, that leaves a line clean.
	suspectShare = 0.05
	// cpuSaturated is the host CPU busy fraction from which the machine
	// counts as saturated: the agent, the emulator and the server then
	// wait for a CPU and their waits become latency.
	cpuSaturated = 0.95
)

// cpuTimes is the host's aggregate CPU time from /proc/stat, in clock
// ticks.
type cpuTimes struct{ busy, total uint64 }

// readHostCPU reads the "cpu" line of proc/stat; proc is "/proc" but for
// tests. /proc/stat is not namespaced: it is the whole host's.
func readHostCPU(proc string) (cpuTimes, error) {
	b, err := os.ReadFile(proc + "/stat")
	if err != nil {
		return cpuTimes{}, fmt.Errorf("host cpu: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 || f[0] != "cpu" {
			continue
		}
		var t cpuTimes
		// user nice system idle iowait irq softirq steal (guest and
		// guest_nice are already in user and nice).
		for i, v := range f[1:min(len(f), 9)] {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return cpuTimes{}, fmt.Errorf("host cpu: %s/stat: %q: %w", proc, line, err)
			}
			t.total += n
			if i != 3 && i != 4 { // idle, iowait
				t.busy += n
			}
		}
		return t, nil
	}
	return cpuTimes{}, fmt.Errorf("host cpu: %s/stat has no cpu line", proc)
}

// busyShare is the busy fraction between two readings; -1 when no time
// passed.
func busyShare(before, after cpuTimes) float64 {
	if after.total <= before.total {
		return -1
	}
	return float64(after.busy-before.busy) / float64(after.total-before.total)
}

// ownError is what the instrument measured of itself in one repetition.
type ownError struct {
	sendLagP50, sendLagP99 time.Duration
	hasLag                 bool
	emuLateP99             time.Duration
	hasEmu                 bool
	cpuBusy                float64 // -1: unknown
}

// ownErrorOf reads the agent's send lag from res and the emulator's
// lateness from stats (only with the TUN backend, the one that has it).
func ownErrorOf(res *agent.Result, backend string, stats netem.Stats, cpuBusy float64) (ownError, error) {
	e := ownError{cpuBusy: cpuBusy}
	if len(res.SendLag) > 0 {
		h, err := agent.DecodeHistogram(res.SendLag)
		if err != nil {
			return e, fmt.Errorf("load agent: send lag: %w", err)
		}
		e.sendLagP50, e.sendLagP99 = time.Duration(h.ValueAtPercentile(50)), time.Duration(h.ValueAtPercentile(99))
		e.hasLag = true
	}
	if backend == netem.BackendTUN {
		e.emuLateP99 = max(stats.Up.LateP99, stats.Down.LateP99)
		e.hasEmu = true
	}
	return e, nil
}

// judge says why the repetition's figures may be the instrument's, or ""
// when they are clean. scale is what the cell measures: its RTT, or the
// median latency on a link without delay.
func (e ownError) judge(scale time.Duration) string {
	var why []string
	limit := time.Duration(suspectShare * float64(scale))
	if e.hasLag && e.sendLagP99 > limit {
		why = append(why, fmt.Sprintf("send lag p99 %s > %.0f%% of %s", shortDuration(e.sendLagP99), suspectShare*100, shortDuration(scale)))
	}
	if e.hasEmu && e.emuLateP99 > limit {
		why = append(why, fmt.Sprintf("emulator late p99 %s > %.0f%% of %s", shortDuration(e.emuLateP99), suspectShare*100, shortDuration(scale)))
	}
	if e.cpuBusy >= cpuSaturated {
		why = append(why, fmt.Sprintf("host CPUs %.0f%% busy", e.cpuBusy*100))
	}
	return strings.Join(why, "; ")
}

// metrics are e's figures for a results line, and suspect.
func (e ownError) metrics(suspect bool) []results.Metric {
	var m []results.Metric
	if e.hasLag {
		m = append(m,
			results.Metric{Value: float64(e.sendLagP50), Unit: results.UnitSendLagP50, Better: results.BetterLower},
			results.Metric{Value: float64(e.sendLagP99), Unit: results.UnitSendLagP99, Better: results.BetterLower})
	}
	if e.hasEmu {
		m = append(m, results.Metric{Value: float64(e.emuLateP99), Unit: results.UnitEmuLateP99, Better: results.BetterLower})
	}
	if e.cpuBusy >= 0 {
		m = append(m, results.Metric{Value: e.cpuBusy, Unit: results.UnitCPUBusy, Better: results.BetterLower})
	}
	s := 0.0
	if suspect {
		s = 1
	}
	return append(m, results.Metric{Value: s, Unit: results.UnitSuspect, Better: results.BetterLower})
}
