package insights

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// period is a time period of the query language: a count of a unit (ms, s, m, h, d, w, mo, q, y).
type period struct {
	n    int64
	unit string
}

var errPeriod = errors.New("invalid time period")

// fixedUnits are the units of a fixed length, in milliseconds.
var fixedUnits = map[string]int64{
	"ms": 1, "s": 1000, "sec": 1000, "m": 60000, "min": 60000, "h": 3600000, "hr": 3600000,
	"d": 86400000, "w": 7 * 86400000,
}

func parseDuration(text string) (period, error) {
	i := strings.IndexFunc(text, func(r rune) bool { return r < '0' || r > '9' })
	if i <= 0 {
		return period{}, errPeriod
	}
	n, err := strconv.ParseInt(text[:i], 10, 64)
	unit := strings.ToLower(text[i:])
	if err != nil || n <= 0 {
		return period{}, errPeriod
	}
	if _, ok := fixedUnits[unit]; ok {
		return period{n: n, unit: unit}, nil
	}
	switch unit {
	case "mo", "q", "y":
		return period{n: n, unit: unit}, nil
	}
	return period{}, errPeriod
}

// months is the length of a calendar unit in months, or 0 for a fixed unit.
func (p period) months() int64 {
	switch p.unit {
	case "mo":
		return p.n
	case "q":
		return 3 * p.n
	case "y":
		return 12 * p.n
	}
	return 0
}

// approxMS is the period's length in milliseconds (a month counts 30 days).
func (p period) approxMS() int64 {
	if m := p.months(); m > 0 {
		return m * 30 * 86400000
	}
	return p.n * fixedUnits[p.unit]
}

// floor rounds ms down to a multiple of the period (calendar months from year 0 for mo, q, y).
func (p period) floor(ms int64) int64 {
	if m := p.months(); m > 0 {
		t := time.UnixMilli(ms).UTC()
		total := int64(t.Year())*12 + int64(t.Month()) - 1
		total -= total % m
		return time.Date(int(total/12), time.Month(total%12+1), 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	}
	step := p.approxMS()
	f := ms - ms%step
	if ms < 0 && ms%step != 0 {
		f -= step
	}
	return f
}

// add moves ms forward by one period.
func (p period) add(ms int64) int64 {
	if m := p.months(); m > 0 {
		return time.UnixMilli(ms).UTC().AddDate(0, int(m), 0).UnixMilli()
	}
	return ms + p.approxMS()
}
