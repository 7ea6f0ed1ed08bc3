package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ceap/ceap/internal/store"
)

// schedule is a parsed ScheduleExpression: rate(...) or cron(...), in UTC.
type schedule struct {
	every time.Duration // rate
	cron  *cronSpec
}

// cronSpec holds the allowed values of each cron field.
type cronSpec struct {
	minutes, hours, months, years map[int]bool
	dom                           map[int]bool // nil when '?'
	lastDOM                       bool         // L in day-of-month
	dow                           map[int]bool // 1 = SUN ... 7 = SAT; nil when '?'
}

// maxScheduleSearch bounds the search for a cron expression's next time.
const maxScheduleSearch = 5 * 366 * 24 * time.Hour

func invalidSchedule() error {
	return validation("Parameter ScheduleExpression is not valid.")
}

// parseSchedule parses rate(value unit) and cron(minutes hours day-of-month month day-of-week
// year) as EventBridge rules take them.
func parseSchedule(expr string) (*schedule, error) {
	switch {
	case strings.HasPrefix(expr, "rate(") && strings.HasSuffix(expr, ")"):
		f := strings.Fields(expr[5 : len(expr)-1])
		if len(f) != 2 {
			return nil, invalidSchedule()
		}
		n, err := strconv.Atoi(f[0])
		if err != nil || n < 1 {
			return nil, invalidSchedule()
		}
		unit := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}
		u := strings.TrimSuffix(f[1], "s")
		d, ok := unit[u]
		if !ok || (n == 1) != (f[1] == u) { // "1 minute" but "5 minutes", as EventBridge insists
			return nil, invalidSchedule()
		}
		return &schedule{every: time.Duration(n) * d}, nil
	case strings.HasPrefix(expr, "cron(") && strings.HasSuffix(expr, ")"):
		c, err := parseCron(expr[5 : len(expr)-1])
		if err != nil {
			return nil, err
		}
		return &schedule{cron: c}, nil
	}
	return nil, invalidSchedule()
}

var (
	monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}
	dayNames   = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
)

func parseCron(src string) (*cronSpec, error) {
	f := strings.Fields(src)
	if len(f) != 6 {
		return nil, invalidSchedule()
	}
	if (f[2] == "?") == (f[4] == "?") {
		return nil, invalidSchedule() // exactly one of day-of-month and day-of-week is '?'
	}
	var c cronSpec
	var err error
	if c.minutes, err = cronField(f[0], 0, 59, nil); err != nil {
		return nil, err
	}
	if c.hours, err = cronField(f[1], 0, 23, nil); err != nil {
		return nil, err
	}
	switch f[2] {
	case "?":
	case "L":
		c.lastDOM = true
	default:
		if c.dom, err = cronField(f[2], 1, 31, nil); err != nil {
			return nil, err
		}
	}
	if c.months, err = cronField(f[3], 1, 12, monthNames); err != nil {
		return nil, err
	}
	if f[4] != "?" {
		if c.dow, err = cronField(f[4], 1, 7, dayNames); err != nil {
			return nil, err
		}
	}
	if c.years, err = cronField(f[5], 1970, 2199, nil); err != nil {
		return nil, err
	}
	return &c, nil
}

// cronField parses one field: *, values, ranges a-b, lists and increments (a/n, */n).
func cronField(s string, lo, hi int, names map[string]int) (map[int]bool, error) {
	out := map[int]bool{}
	num := func(v string) (int, error) {
		if n, ok := names[strings.ToUpper(v)]; ok {
			return n, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return 0, invalidSchedule()
		}
		return n, nil
	}
	for _, part := range strings.Split(s, ",") {
		rng, stepS, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepS)
			if err != nil || n < 1 {
				return nil, invalidSchedule()
			}
			step = n
		}
		from, to := lo, hi
		switch {
		case rng == "*":
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err error
			if from, err = num(a); err != nil {
				return nil, err
			}
			if to, err = num(b); err != nil {
				return nil, err
			}
		default:
			n, err := num(rng)
			if err != nil {
				return nil, err
			}
			from = n
			if !hasStep {
				to = n
			}
		}
		if from > to {
			return nil, invalidSchedule()
		}
		for v := from; v <= to; v += step {
			out[v] = true
		}
	}
	return out, nil
}

// next returns the first time strictly after t at which the schedule fires (the zero time when
// a cron expression never fires again). Rates fire every interval after after.
func (s *schedule) next(after time.Time) time.Time {
	after = after.UTC()
	if s.cron == nil {
		return after.Add(s.every)
	}
	c := s.cron
	t := after.Truncate(time.Minute).Add(time.Minute)
	end := after.Add(maxScheduleSearch)
	for t.Before(end) {
		if !c.years[t.Year()] {
			t = time.Date(t.Year()+1, 1, 1, 0, 0, 0, 0, time.UTC)
			continue
		}
		if !c.months[int(t.Month())] || !c.dayMatches(t) {
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, time.UTC)
			continue
		}
		if !c.hours[t.Hour()] {
			t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour()+1, 0, 0, 0, time.UTC)
			continue
		}
		if !c.minutes[t.Minute()] {
			t = t.Add(time.Minute)
			continue
		}
		return t
	}
	return time.Time{}
}

func (c *cronSpec) dayMatches(t time.Time) bool {
	switch {
	case c.lastDOM:
		return t.AddDate(0, 0, 1).Day() == 1
	case c.dom != nil:
		return c.dom[t.Day()]
	default:
		return c.dow[int(t.Weekday())+1]
	}
}

// scheduleMarker is the Target of an outbox row that is a rule's schedule rather than a
// delivery: the worker claims it when the rule is due, fires the rule, and sets it to the next
// time. The row's lease makes one node fire each time, whatever the number of nodes.
const scheduleMarker = `{"Schedule":true}`

type tickInput struct {
	Bus  string
	Name string
}

// tickID names the one schedule row of a rule.
func tickID(account, bus, name string) string {
	return "schedule:" + account + ":" + bus + ":" + name
}

// arm (re)writes the schedule row of a rule with a ScheduleExpression that is enabled.
func (s *Service) arm(ctx context.Context, account string, rule *Rule) error {
	id := tickID(account, rule.EventBus, rule.Name)
	if err := s.cfg.Store.DeliveryDelete(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("reset schedule of %q: %w", rule.Name, err)
	}
	if rule.ScheduleExpression == "" || rule.State == "DISABLED" {
		return nil
	}
	sched, err := parseSchedule(rule.ScheduleExpression)
	if err != nil {
		return err
	}
	now := s.cfg.Clock.Now()
	next := sched.next(now)
	if next.IsZero() {
		return nil
	}
	in, _ := json.Marshal(tickInput{Bus: rule.EventBus, Name: rule.Name})
	err = s.cfg.Store.DeliveriesAdd(ctx, []*store.DeliveryRow{{ID: id, Account: account, Rule: rule.Name, Target: []byte(scheduleMarker), Input: in,
		NextAt: next.UnixMilli(), Created: now.UnixMilli()}})
	if err != nil {
		return fmt.Errorf("arm schedule of %q: %w", rule.Name, err)
	}
	s.poke()
	return nil
}

// fire sends a scheduled rule's "Scheduled Event" to its targets and sets its schedule row to
// the next time after now (missed times are not made up, as with EventBridge).
func (s *Service) fire(ctx context.Context, d *store.DeliveryRow) {
	var in tickInput
	json.Unmarshal(d.Input, &in)
	row, err := s.cfg.Store.RuleGet(ctx, &store.RuleGetParams{Account: d.Account, Bus: in.Bus, Name: in.Name})
	var rule *Rule
	if err == nil {
		rule, err = ruleFromRow(row)
	}
	var sched *schedule
	if err == nil && rule.ScheduleExpression != "" && rule.State != "DISABLED" {
		sched, err = parseSchedule(rule.ScheduleExpression)
	}
	if err != nil || sched == nil {
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.log.Warn("events_schedule_failed", "rule", in.Name, "err", err)
		}
		s.cfg.Store.DeliveryDelete(ctx, d.ID)
		return
	}
	at := time.UnixMilli(d.NextAt).UTC()
	region := ""
	if p := strings.SplitN(rule.ARN, ":", 6); len(p) == 6 {
		region = p[3]
	}
	env := envelope{Version: "0", ID: uuid.NewString(), DetailType: "Scheduled Event", Source: "aws.events", Account: d.Account,
		Time: at.Format(time.RFC3339), Region: region, Resources: []string{rule.ARN}, Detail: json.RawMessage("{}")}
	raw, _ := json.Marshal(env)
	var doc any
	json.Unmarshal(raw, &doc)
	targets, err := s.targets(ctx, d.Account, rule)
	if err != nil {
		s.log.Warn("events_schedule_failed", "rule", rule.Name, "err", err)
		return // the lease expires and the time is tried again
	}
	now := s.cfg.Clock.Now()
	var outbox []*store.DeliveryRow
	for _, t := range targets {
		input, err := targetInput(t, rule, raw, doc, at)
		if err != nil {
			s.record(d.Account, "FailedInvocations", rule.Name, 1)
			continue
		}
		spec, _ := json.Marshal(t)
		outbox = append(outbox, &store.DeliveryRow{ID: uuid.NewString(), Account: d.Account, Rule: rule.Name, Target: spec, Input: []byte(input), NextAt: now.UnixMilli(), Created: now.UnixMilli()})
	}
	s.record(d.Account, "TriggeredRules", rule.Name, 1)
	if err := s.cfg.Store.DeliveriesAdd(ctx, outbox); err != nil {
		s.log.Warn("events_schedule_failed", "rule", rule.Name, "err", err)
		return
	}
	next := sched.next(now)
	if next.IsZero() {
		s.cfg.Store.DeliveryDelete(ctx, d.ID)
		return
	}
	if err := s.cfg.Store.DeliveryRetry(ctx, &store.DeliveryRetryParams{ID: d.ID, NextAt: next.UnixMilli()}); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Warn("events_schedule_failed", "rule", rule.Name, "err", err)
	}
	s.poke()
}
