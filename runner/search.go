package runner

import (
	"context"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/tunebench/tunebench/agent"
	"github.com/tunebench/tunebench/results"
	"github.com/tunebench/tunebench/scenarios"
)

// The capacity search (load.search): for each repetition of a cell, find
// the highest constant open-loop rate whose measured window meets the
// suite's objective. Each probe is a full warmup + duration of the load
// agent on the same hosts and server. The search brackets first, doubling
// the rate from searchStart until a probe fails (or MaxRate passes), then
// bisects between the last pass and the first failure until they are
// within searchPrecision of each other or searchMaxProbes have run. The
// found rate is written as slo-req/s; the line's other figures are those
// of the probe at that rate. A search whose lowest probe fails halves the
// rate down to searchFloor and writes 0 if even that fails.

const (
	// searchDefaultMax is the highest rate a search tries when the suite
	// gives no max_rate.
	searchDefaultMax = 100000
	// searchStartShare is the first probe's share of the maximum rate.
	searchStartShare = 1.0 / 16
	// searchPrecision stops the bisection once fail/pass is under 1+this.
	searchPrecision = 0.05
	// searchMaxProbes bounds the probes of one repetition.
	searchMaxProbes = 12
	// searchFloor is the lowest rate a search tries, in requests/s.
	searchFloor = 1
)

// searchMax is s's maximum rate.
func searchMax(s *scenarios.Search) float64 {
	if s == nil || s.MaxRate <= 0 {
		return searchDefaultMax
	}
	return s.MaxRate
}

// searchStart is the first probe's rate.
func searchStart(s *scenarios.Search) float64 {
	return max(math.Round(searchMax(s)*searchStartShare), searchFloor)
}

// searchTime is the most a search's probes take: every probe a full
// warmup and duration.
func searchTime(l scenarios.Load) time.Duration {
	return searchMaxProbes * (l.Warmup + l.Duration)
}

// searchOutcome is what a search found.
type searchOutcome struct {
	rate   float64      // the highest passing rate; 0: none passed
	best   *measurement // the probe at rate, or the last probe when none passed
	probes int
}

// verdict says whether a probe met the objective, and what it measured.
func verdict(s *scenarios.Search, res *agent.Result) (bool, string, error) {
	var h []byte
	unit := s.Metric
	if unit == "" {
		unit = results.UnitP99
	}
	h = res.Latency
	if unit == results.UnitP99CO {
		h = res.LatencyCO
	}
	hist, err := agent.DecodeHistogram(h)
	if err != nil {
		return false, "", fmt.Errorf("load agent: %w", err)
	}
	q := map[string]float64{results.UnitP50: 50, results.UnitP90: 90, results.UnitP99: 99, results.UnitP999: 99.9, results.UnitP99CO: 99}[unit]
	if q == 0 {
		return false, "", fmt.Errorf("runner: search metric %q: give p50-ns, p90-ns, p99-ns, p999-ns or p99co-ns", unit)
	}
	got := time.Duration(hist.ValueAtPercentile(q))
	errShare := 0.0
	if res.Requests > 0 {
		errShare = float64(res.Errors) / float64(res.Requests)
	}
	sent := res.Sent
	ok := got <= s.Max && errShare <= s.Errors && res.Requests > 0
	what := fmt.Sprintf("%s %s (≤ %s), errors %.2f%% (≤ %.2f%%), sent %d", strings.TrimSuffix(unit, "-ns"), shortDuration(got), shortDuration(s.Max), errShare*100, s.Errors*100, sent)
	return ok, what, nil
}

// search runs the capacity search of one repetition with probe, which
// measures one rate; cfg is the agent's config, whose Rate each probe
// sets. Each probe is reported on r's progress writer.
func (r *run) search(ctx context.Context, s *scenarios.Search, cfg agent.Config, cell string, rep int, probe func(agent.Config) (*measurement, error)) (*searchOutcome, error) {
	progress := r.progress
	if progress == nil {
		progress = io.Discard
	}
	out := &searchOutcome{}
	maxRate := searchMax(s)
	lo, hi := 0.0, math.Inf(1) // last pass, first fail
	rate := searchStart(s)
	for out.probes < searchMaxProbes {
		cfg.Rate = rate
		m, err := probe(cfg)
		if err != nil {
			return nil, fmt.Errorf("search probe at %g req/s: %w", rate, err)
		}
		out.probes++
		ok, what, err := verdict(s, m.res)
		if err != nil {
			return nil, err
		}
		word := "fail"
		if ok {
			word = "pass"
		}
		fmt.Fprintf(progress, "  %s rep %d: search probe %d: %g req/s: %s: %s\n", cell, rep, out.probes, rate, what, word)
		if ok {
			lo, out.rate, out.best = rate, rate, m
		} else {
			hi = rate
			if out.best == nil {
				out.best = m // until a probe passes
			}
		}
		next, done := nextRate(lo, hi, rate, maxRate)
		if done {
			break
		}
		rate = next
	}
	if out.rate == 0 {
		fmt.Fprintf(progress, "  %s rep %d: search: no rate from %g req/s down met the objective\n", cell, rep, float64(searchFloor))
	}
	return out, nil
}

// nextRate is the search's next probe after one at rate, given the last
// pass lo (0: none yet) and the first failure hi (+Inf: none yet), and
// whether the search is done.
func nextRate(lo, hi, rate, maxRate float64) (float64, bool) {
	switch {
	case math.IsInf(hi, 1): // bracketing up
		if rate >= maxRate {
			return 0, true // maxRate passed
		}
		return min(rate*2, maxRate), false
	case lo == 0: // bracketing down
		if rate <= searchFloor {
			return 0, true
		}
		return max(math.Floor(rate/2), searchFloor), false
	}
	if hi/lo <= 1+searchPrecision {
		return 0, true
	}
	mid := math.Round((lo + hi) / 2)
	if mid <= lo || mid >= hi {
		return 0, true
	}
	return mid, false
}
