package scenarios

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// parseDecimal reads a plain decimal number such as 40, -1 or 0.5.
// strconv.ParseFloat alone would also take "NaN", "Inf", "1e9" and hex
// floats, none of which is a sensible way to write a setting.
func parseDecimal(s string) (float64, bool) {
	digits, dot := 0, false
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '.' && !dot:
			dot = true
		case (r == '-' || r == '+') && i == 0:
		default:
			return 0, false
		}
	}
	if digits == 0 {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// ParseDuration reads a Go duration such as 40ms or 1.5s. A bare number is
// refused unless it is zero: "40" could be seconds or milliseconds.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if f, ok := parseDecimal(s); ok {
		if f == 0 {
			return 0, nil
		}
		return 0, fmt.Errorf("%s has no unit; write e.g. %sms or %ss (units: ns, us, ms, s, m, h)", s, s, s)
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration; write it as e.g. 40ms, 1.5s or 2m", s)
	}
	return d, nil
}

// ParsePercent reads a percentage such as 0.1% and returns the fraction
// (0.001). The % sign is required: a bare 0.1 could mean 0.1% or 10%.
func ParsePercent(s string) (float64, error) {
	s = strings.TrimSpace(s)
	num, ok := strings.CutSuffix(s, "%")
	if !ok {
		if _, isNum := parseDecimal(s); isNum {
			return 0, fmt.Errorf("%s has no %% sign; write %s%% for %s percent", s, s, s)
		}
		return 0, fmt.Errorf("%q is not a percentage; write it as e.g. 0.1%%", s)
	}
	f, ok := parseDecimal(strings.TrimSpace(num))
	if !ok {
		return 0, fmt.Errorf("%q is not a percentage; write it as e.g. 0.1%%", s)
	}
	return f / 100, nil
}

// rateUnits are the bit-rate suffixes as tc spells them, largest first;
// tc counts rates in powers of 1000. ParseRate and formatRate both read
// this table.
var rateUnits = []struct {
	name   string
	factor uint64
}{{"tbit", 1e12}, {"gbit", 1e9}, {"mbit", 1e6}, {"kbit", 1e3}, {"bit", 1}}

// rateUnit returns the factor of a bit-rate suffix; "" is bit.
func rateUnit(u string) (float64, bool) {
	if u == "" {
		u = "bit"
	}
	for _, r := range rateUnits {
		if u == r.name {
			return float64(r.factor), true
		}
	}
	return 0, false
}

// ParseRate reads a bandwidth in bit/s: 100mbit, 1.5gbit, 512kbit, or a
// plain number of bit/s. The "bps" spellings are refused: tc reads mbps as
// megabytes per second while most people mean megabits.
func ParseRate(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	lower := strings.ToLower(s)
	i := strings.IndexFunc(lower, func(r rune) bool { return (r < '0' || r > '9') && r != '.' && r != '-' && r != '+' })
	if i < 0 {
		i = len(lower)
	}
	num, unit := lower[:i], strings.TrimSpace(lower[i:])
	f, ok := parseDecimal(num)
	if !ok {
		return 0, fmt.Errorf("%q is not a rate; write it as e.g. 100mbit, 1.5gbit or 512kbit", s)
	}
	if strings.HasSuffix(unit, "bps") {
		bits := strings.TrimSuffix(unit, "bps") + "bit"
		if _, ok := rateUnit(bits); ok {
			return 0, fmt.Errorf("%s is ambiguous: tc reads %s as bytes per second, most people mean bits; write %s%s for bits, or %g%s if you mean bytes", s, unit, num, bits, f*8, bits)
		}
	}
	mult, ok := rateUnit(unit)
	if !ok {
		return 0, fmt.Errorf("%q is not a rate; write it as e.g. 100mbit, 1.5gbit or 512kbit (units: bit, kbit, mbit, gbit)", s)
	}
	bps := f * mult
	switch {
	case bps < 0:
		return 0, fmt.Errorf("%s is negative; give a positive rate such as 100mbit", s)
	case bps >= 1e18:
		return 0, fmt.Errorf("%s is too large; give a rate such as 10gbit, or leave rate out for an unlimited link", s)
	}
	return uint64(math.Round(bps)), nil
}

// ParseBytes reads a size: 64kb, 1mb, 1500b or a plain number of bytes.
// As in tc, k and m are powers of 1024.
func ParseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	lower := strings.ToLower(s)
	i := strings.IndexFunc(lower, func(r rune) bool { return (r < '0' || r > '9') && r != '.' && r != '-' && r != '+' })
	if i < 0 {
		i = len(lower)
	}
	num, unit := lower[:i], strings.TrimSpace(lower[i:])
	f, ok := parseDecimal(num)
	if !ok {
		return 0, fmt.Errorf("%q is not a size; write it as e.g. 64kb, 1mb or 3000 (bytes)", s)
	}
	var mult float64
	switch unit {
	case "", "b":
		mult = 1
	case "k", "kb", "kib":
		mult = 1 << 10
	case "m", "mb", "mib":
		mult = 1 << 20
	case "g", "gb", "gib":
		mult = 1 << 30
	default:
		return 0, fmt.Errorf("%q is not a size; write it as e.g. 64kb, 1mb or 3000 (units: b, kb, mb, gb)", s)
	}
	n := f * mult
	switch {
	case n < 0:
		return 0, fmt.Errorf("%s is negative; give a positive size such as 64kb", s)
	case n >= 1<<62:
		return 0, fmt.Errorf("%s is too large; give a size such as 64kb", s)
	case n != math.Trunc(n):
		return 0, fmt.Errorf("%s is not a whole number of bytes; give e.g. 64kb or 3000", s)
	}
	return int64(n), nil
}

// formatRate writes a rate in bit/s the way tc does: 100mbit, 1.5gbit,
// in the largest unit that takes it with at most two decimals.
func formatRate(bps uint64) string {
	for _, r := range rateUnits {
		if r.factor > 1 && bps >= r.factor && bps%(r.factor/100) == 0 {
			return fmt.Sprintf("%g%s", float64(bps)/float64(r.factor), r.name)
		}
	}
	return fmt.Sprintf("%dbit", bps)
}

// formatBytes writes a size the way ParseBytes reads it: 64kb, 1mb, 3000b.
func formatBytes(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dmb", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dkb", n>>10)
	}
	return fmt.Sprintf("%db", n)
}

// formatDuration writes d as people write it: 1h, not 1h0m0s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// formatPercent writes a fraction as a percentage: 0.001 → "0.1%".
// Six significant digits hide the float error of dividing by 100.
func formatPercent(f float64) string {
	return strconv.FormatFloat(f*100, 'g', 6, 64) + "%"
}
