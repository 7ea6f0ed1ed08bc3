package alarms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ceap/ceap/internal/store"
)

// extraRange is how many periods beyond EvaluationPeriods an evaluation looks back for
// datapoints when recent ones are missing (CloudWatch's evaluation range is wider than the
// evaluation periods: an alarm of 3 periods retrieves 5).
const extraRange = 2

// window is one period of an evaluation: its start and its value (nil when missing).
type window struct {
	start time.Time
	value *float64
	count float64
}

func breaches(op string, v, threshold float64) bool {
	switch op {
	case "GreaterThanOrEqualToThreshold":
		return v >= threshold
	case "GreaterThanThreshold":
		return v > threshold
	case "LessThanThreshold":
		return v < threshold
	default: // LessThanOrEqualToThreshold
		return v <= threshold
	}
}

// comparisonWords phrases an operator in state reasons, as CloudWatch does.
func comparisonWords(op string) string {
	switch op {
	case "GreaterThanOrEqualToThreshold":
		return "greater than or equal to"
	case "GreaterThanThreshold":
		return "greater than"
	case "LessThanThreshold":
		return "less than"
	default:
		return "less than or equal to"
	}
}

// decision is the outcome of evaluating an alarm's windows.
type decision struct {
	state string // "" to keep the current state
	used  []window
	// breaching counts the breaching datapoints among used (substituted ones included).
	breaching int
}

// decide applies CloudWatch's rules to the windows of an evaluation range, most recent first:
// the most recent EvaluationPeriods datapoints that exist are evaluated, M of them breaching
// means ALARM; when fewer exist, the missing ones are treated as TreatMissingData says:
// breaching and notBreaching fill them in, ignore keeps the current state unless the present
// datapoints already decide it, and missing does the same but goes to INSUFFICIENT_DATA when no
// datapoint exists in the whole range.
func decide(a *Alarm, windows []window) decision {
	n, m := a.EvaluationPeriods, a.datapointsToAlarm()
	var d decision
	for _, w := range windows {
		if w.value != nil && len(d.used) < n {
			d.used = append(d.used, w)
			if breaches(a.ComparisonOperator, *w.value, a.Threshold) {
				d.breaching++
			}
		}
	}
	present := len(d.used)
	notBreaching := present - d.breaching
	if present == n {
		d.state = StateOK
		if d.breaching >= m {
			d.state = StateAlarm
		}
		return d
	}
	missing := n - present
	switch a.TreatMissingData {
	case MissingBreaching:
		d.breaching += missing
		d.state = StateOK
		if d.breaching >= m {
			d.state = StateAlarm
		}
	case MissingNotBreaching:
		d.state = StateOK
		if d.breaching >= m {
			d.state = StateAlarm
		}
	default: // missing, ignore
		switch {
		case present == 0 && a.TreatMissingData == MissingIgnore:
			d.state = ""
		case present == 0:
			d.state = StateInsufficientData
		case d.breaching >= m:
			d.state = StateAlarm
		case notBreaching > n-m: // ALARM is out of reach even if every missing point breached
			d.state = StateOK
		default:
			d.state = ""
		}
	}
	return d
}

// evaluateRow evaluates one alarm for the range that ends at end, and moves it when its state
// changes. It reports whether it did.
func (s *Service) evaluateRow(ctx context.Context, row *store.AlarmRow, now, end time.Time) (bool, error) {
	a, err := decodeAlarm(row)
	if err != nil {
		return false, err
	}
	metric, stat, unit, periodSec := a.target()
	period := time.Duration(periodSec) * time.Second
	count := a.EvaluationPeriods + extraRange
	from := end.Add(-time.Duration(count) * period)
	sets, err := s.series(ctx, row.Account, metric, unit, from, end, period)
	if err != nil {
		return false, err
	}
	windows := make([]window, count)
	for k := range windows {
		start := end.Add(-time.Duration(k+1) * period)
		windows[k] = window{start: start}
		if st, ok := sets[start.UnixMilli()]; ok && st.Count > 0 {
			v := st.Value(stat)
			windows[k].value, windows[k].count = &v, st.Count
		}
	}
	d := decide(a, windows)
	if d.state == "" || d.state == row.State {
		return false, nil
	}
	reason := stateReason(a, d)
	data := reasonData(a, stat, periodSec, d, now, from)
	moved, err := s.transition(ctx, row, a, d.state, reason, data, now, false)
	if errors.Is(err, store.ErrConflict) { // changed meanwhile (SetAlarmState, another node): next minute decides
		return false, nil
	}
	return moved, err
}

// reasonTime formats a datapoint's time in state reasons (dd/MM/yy HH:mm:ss).
func reasonTime(t time.Time) string { return t.UTC().Format("02/01/06 15:04:05") }

func formatValue(v float64) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

// stateReason phrases a decision as CloudWatch does, e.g. "Threshold Crossed: 1 datapoint
// [6.0 (27/11/26 12:00:00)] was greater than the threshold (5.0)."
func stateReason(a *Alarm, d decision) string {
	if d.state == StateInsufficientData {
		n := a.EvaluationPeriods
		return fmt.Sprintf("Insufficient Data: %d %s %s unknown.", n, plural(n, "datapoint"), wasWere(n))
	}
	var pts []string
	for _, w := range d.used {
		pts = append(pts, fmt.Sprintf("%s (%s)", formatValue(*w.value), reasonTime(w.start)))
	}
	n, m := a.EvaluationPeriods, a.datapointsToAlarm()
	words := comparisonWords(a.ComparisonOperator)
	count := d.breaching
	if d.state == StateOK {
		count = len(d.used) - d.breaching
		words = "not " + words
	}
	if len(d.used) == 0 {
		return fmt.Sprintf("Threshold Crossed: no datapoints were received for %d %s and %d missing %s %s treated as [%s].",
			n, plural(n, "period"), n, plural(n, "datapoint"), wasWere(n), capitalize(a.TreatMissingData))
	}
	head := fmt.Sprintf("%d %s", count, plural(count, "datapoint"))
	if n > 1 {
		head = fmt.Sprintf("%d out of the last %d datapoints", count, n)
	}
	reason := fmt.Sprintf("Threshold Crossed: %s [%s] %s %s the threshold (%s)", head, strings.Join(pts, ", "), wasWere(count), words, formatValue(a.Threshold))
	if n > 1 {
		reason += fmt.Sprintf(" (minimum %d %s for OK -> ALARM transition)", m, plural(m, "datapoint"))
	}
	return reason + "."
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

func wasWere(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}

// isoMillis formats times in state reason data and notifications (2026-11-27T12:00:00.000+0000).
func isoMillis(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000-0700") }

func reasonData(a *Alarm, stat string, period int, d decision, now, start time.Time) string {
	recent := []float64{}
	evaluated := []map[string]any{}
	for _, w := range d.used {
		recent = append(recent, *w.value)
		evaluated = append(evaluated, map[string]any{"timestamp": isoMillis(w.start), "sampleCount": w.count, "value": *w.value})
	}
	return historyData(map[string]any{"version": "1.0", "queryDate": isoMillis(now), "startDate": isoMillis(start), "statistic": stat,
		"period": period, "recentDatapoints": recent, "threshold": a.Threshold, "evaluatedDatapoints": evaluated})
}

// transition writes a new state (with its StateUpdate history item) when the alarm's row is
// still the one read, then runs the new state's actions. force writes even an unchanged state
// (SetAlarmState). It reports whether the state value changed.
func (s *Service) transition(ctx context.Context, row *store.AlarmRow, a *Alarm, state, reason, data string, now time.Time, force bool) (bool, error) {
	old := row.State
	if old == state && !force {
		return false, nil
	}
	ms := now.UnixMilli()
	next := *row
	next.State, next.StateReason, next.StateReasonData, next.StateUpdated = state, reason, data, ms
	if old != state {
		next.StateTransitioned = ms
		next.PendingActions = ""
		if a.ActionsEnabled && len(a.actionsFor(state)) > 0 {
			next.PendingActions = historyData(pendingActions{OldState: old, At: ms})
		}
	}
	oldState := map[string]any{"stateValue": old, "stateReason": row.StateReason}
	newState := map[string]any{"stateValue": state, "stateReason": reason}
	if data != "" {
		newState["stateReasonData"] = json.RawMessage(data)
	}
	hist := &store.AlarmHistoryRow{Account: row.Account, AlarmName: row.Name, AlarmType: metricAlarmType, Time: ms, ItemType: HistoryStateUpdate,
		Summary: fmt.Sprintf("Alarm updated from %s to %s", old, state), Data: historyData(map[string]any{"version": "1.0", "oldState": oldState, "newState": newState})}
	if err := s.cfg.Store.AlarmUpdate(ctx, &store.AlarmUpdateParams{Row: &next, IfVersion: row.Version, History: []*store.AlarmHistoryRow{hist}}); err != nil {
		return false, err
	}
	next.Version = row.Version + 1
	if old == state {
		return false, nil
	}
	s.log.Info("alarm_state_changed", "account", row.Account, "alarm", row.Name, "from", old, "to", state)
	if next.PendingActions != "" {
		s.runActions(ctx, &next, a, old, now)
	}
	return true, nil
}

// pendingActions is what an alarm row records of a state change whose actions have not run.
type pendingActions struct {
	OldState string
	At       int64 // Unix ms of the state change
}

// pendingGrace is how old a state change's pending actions must be before another evaluation
// runs them: the node that made the change runs them at once, and only one that died before it
// finished leaves them this long.
const pendingGrace = 30 * time.Second

// resumePending runs the actions of a state change that the node which made it did not finish
// (it died between committing the state and running the actions), and returns the alarm's row
// as it is afterwards. Actions run at least once: a node that dies after publishing but before
// clearing the record publishes again here.
func (s *Service) resumePending(ctx context.Context, row *store.AlarmRow, now time.Time) (*store.AlarmRow, error) {
	var p pendingActions
	if err := json.Unmarshal([]byte(row.PendingActions), &p); err != nil {
		return row, fmt.Errorf("decode pending actions: %w", err)
	}
	if now.Sub(time.UnixMilli(p.At)) < pendingGrace {
		return row, nil
	}
	a, err := decodeAlarm(row)
	if err != nil {
		return row, err
	}
	if a.ActionsEnabled {
		s.log.Info("alarm_actions_resumed", "account", row.Account, "alarm", row.Name, "state", row.State)
		s.runActions(ctx, row, a, p.OldState, time.UnixMilli(p.At).UTC())
	} else { // disabled since the change: nothing to run
		s.finishActions(ctx, row, nil)
	}
	fresh, err := s.cfg.Store.AlarmGet(ctx, &store.AlarmGetParams{Account: row.Account, Name: row.Name})
	if err != nil {
		return row, fmt.Errorf("read alarm: %w", err)
	}
	return fresh, nil
}

// actionsFor returns the actions of a state.
func (a *Alarm) actionsFor(state string) []string {
	switch state {
	case StateAlarm:
		return a.AlarmActions
	case StateOK:
		return a.OKActions
	default:
		return a.InsufficientDataActions
	}
}

// runActions executes the actions of the alarm's new state and records each in its history.
// SNS topics get CloudWatch's notification; other kinds of action are recorded as failed.
func (s *Service) runActions(ctx context.Context, row *store.AlarmRow, a *Alarm, oldState string, now time.Time) {
	actions := a.actionsFor(row.State)
	if len(actions) == 0 {
		s.finishActions(ctx, row, nil)
		return
	}
	subject, message := s.notification(row, a, oldState, now)
	var items []*store.AlarmHistoryRow
	for _, arn := range actions {
		item := &store.AlarmHistoryRow{Account: row.Account, AlarmName: row.Name, AlarmType: metricAlarmType, Time: s.cfg.Clock.Now().UnixMilli(), ItemType: HistoryAction}
		err := s.publish(ctx, row.Account, arn, subject, message)
		if err == nil {
			item.Summary = "Successfully executed action " + arn
			item.Data = historyData(map[string]any{"actionState": "Succeeded", "stateUpdateTimestamp": row.StateUpdated, "notificationResource": arn, "publishedMessage": json.RawMessage(message)})
		} else {
			s.log.Warn("alarm_action_failed", "account", row.Account, "alarm", row.Name, "action", arn, "err", err)
			item.Summary = "Failed to execute action " + arn
			item.Data = historyData(map[string]any{"actionState": "Failed", "stateUpdateTimestamp": row.StateUpdated, "error": err.Error()})
		}
		items = append(items, item)
	}
	s.finishActions(ctx, row, items)
}

// finishActions clears the alarm's record of pending actions (when it is still the one that
// ran) and appends the actions' history items, retrying on concurrent writes.
func (s *Service) finishActions(ctx context.Context, row *store.AlarmRow, items []*store.AlarmHistoryRow) {
	ran := row.PendingActions
	cur := row
	for attempt := 0; attempt < 5; attempt++ {
		next := *cur
		if next.PendingActions == ran {
			next.PendingActions = ""
		}
		err := s.cfg.Store.AlarmUpdate(ctx, &store.AlarmUpdateParams{Row: &next, IfVersion: cur.Version, History: items})
		if err == nil {
			*row = next
			row.Version = cur.Version + 1
			return
		}
		if !errors.Is(err, store.ErrConflict) {
			s.log.Warn("alarm_action_history_failed", "alarm", row.Name, "err", err)
			return
		}
		if cur, err = s.cfg.Store.AlarmGet(ctx, &store.AlarmGetParams{Account: row.Account, Name: row.Name}); err != nil {
			s.log.Warn("alarm_action_history_failed", "alarm", row.Name, "err", err)
			return
		}
	}
	s.log.Warn("alarm_action_history_failed", "alarm", row.Name, "err", "too many concurrent writes")
}

// errUnsupportedAction is the failure recorded for actions other than SNS topics.
var errUnsupportedAction = errors.New("only SNS topic actions are executed by ceap")

func (s *Service) publish(ctx context.Context, account, arn, subject, message string) error {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[2] != "sns" {
		return errUnsupportedAction
	}
	if s.cfg.Topics == nil {
		return errors.New("the SNS service is not available")
	}
	if parts[4] != "" {
		account = parts[4]
	}
	return s.cfg.Topics.Publish(ctx, account, arn, subject, message)
}

// maxSubjectLength is SNS's limit on a notification subject (100 characters).
const maxSubjectLength = 100

// notification builds CloudWatch's alarm notification: the subject and the JSON message that SNS
// subscribers receive.
func (s *Service) notification(row *store.AlarmRow, a *Alarm, oldState string, now time.Time) (string, string) {
	region := regionName(s.cfg.Region)
	subject := fmt.Sprintf("%s: %q in %s", row.State, row.Name, region)
	if len(subject) > maxSubjectLength {
		subject = subject[:maxSubjectLength]
	}
	metric, stat, unit, period := a.target()
	dims := []map[string]string{}
	for _, d := range metric.Dimensions {
		dims = append(dims, map[string]string{"value": d.Value, "name": d.Name})
	}
	var unitValue any
	if unit != "" {
		unitValue = unit
	}
	trigger := map[string]any{
		"MetricName": metric.MetricName, "Namespace": metric.Namespace, "StatisticType": "Statistic", "Statistic": strings.ToUpper(stat),
		"Unit": unitValue, "Dimensions": dims, "Period": period, "EvaluationPeriods": a.EvaluationPeriods, "DatapointsToAlarm": a.datapointsToAlarm(),
		"ComparisonOperator": a.ComparisonOperator, "Threshold": a.Threshold, "TreatMissingData": a.TreatMissingData, "EvaluateLowSampleCountPercentile": "",
	}
	var description any
	if a.AlarmDescription != "" {
		description = a.AlarmDescription
	}
	msg := map[string]any{
		"AlarmName": row.Name, "AlarmDescription": description, "AWSAccountId": row.Account,
		"AlarmConfigurationUpdatedTimestamp": isoMillis(store.FromMillis(row.Modified)),
		"NewStateValue":                      row.State, "NewStateReason": row.StateReason, "StateChangeTime": isoMillis(now),
		"Region": region, "AlarmArn": row.ARN, "OldStateValue": oldState,
		"OKActions": nonNil(a.OKActions), "AlarmActions": nonNil(a.AlarmActions), "InsufficientDataActions": nonNil(a.InsufficientDataActions),
		"Trigger": trigger,
	}
	b, _ := json.Marshal(msg)
	return subject, string(b)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// regionName is the long name CloudWatch notifications give a region.
func regionName(region string) string {
	switch region {
	case "us-east-1":
		return "US East (N. Virginia)"
	case "us-east-2":
		return "US East (Ohio)"
	case "us-west-1":
		return "US West (N. California)"
	case "us-west-2":
		return "US West (Oregon)"
	case "eu-west-1":
		return "EU (Ireland)"
	case "eu-west-2":
		return "EU (London)"
	case "eu-central-1":
		return "EU (Frankfurt)"
	case "ap-southeast-1":
		return "Asia Pacific (Singapore)"
	case "ap-southeast-2":
		return "Asia Pacific (Sydney)"
	case "ap-northeast-1":
		return "Asia Pacific (Tokyo)"
	}
	return region
}
