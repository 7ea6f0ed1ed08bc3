package alarms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/store"
)

// AWS limits of metric alarms.
const (
	// MaxAlarmNameLength is the longest alarm name (255 characters).
	MaxAlarmNameLength = 255
	// MaxAlarmDescriptionLength is the longest alarm description (1,024 characters).
	MaxAlarmDescriptionLength = 1024
	// MaxActions is the most actions per alarm state (5).
	MaxActions = 5
	// MaxAlarmNames is the most alarm names one DescribeAlarms, DeleteAlarms,
	// EnableAlarmActions or DisableAlarmActions call takes (100).
	MaxAlarmNames = 100
	// MaxRecords is DescribeAlarms' and DescribeAlarmHistory's largest page (100).
	MaxRecords = 100
	// defaultDescribeRecords is DescribeAlarms' default page (50).
	defaultDescribeRecords = 50
	// MaxTags is the most tags on one resource (50).
	MaxTags = 50
	// MaxStateReasonLength bounds SetAlarmState's StateReason (1,023 characters).
	MaxStateReasonLength = 1023
	// MaxStateReasonDataLength bounds SetAlarmState's StateReasonData (4,000 characters).
	MaxStateReasonDataLength = 4000
	// maxEvaluationRange is the longest EvaluationPeriods × Period for periods under an hour
	// (one day); with periods of an hour or more it is seven days.
	maxEvaluationRange     = 24 * time.Hour
	maxLongEvaluationRange = 7 * 24 * time.Hour
)

// Alarm states.
const (
	StateOK               = "OK"
	StateAlarm            = "ALARM"
	StateInsufficientData = "INSUFFICIENT_DATA"
)

// TreatMissingData values.
const (
	MissingMissing      = "missing"
	MissingBreaching    = "breaching"
	MissingNotBreaching = "notBreaching"
	MissingIgnore       = "ignore"
)

// History item types.
const (
	HistoryConfigurationUpdate = "ConfigurationUpdate"
	HistoryStateUpdate         = "StateUpdate"
	HistoryAction              = "Action"
)

// metricAlarmType is the only alarm type ceap has (no composite alarms).
const metricAlarmType = "MetricAlarm"

// Alarm is a metric alarm's configuration, stored as the alarm row's Spec.
type Alarm struct {
	AlarmName                        string
	AlarmDescription                 string `json:",omitempty"`
	ActionsEnabled                   bool
	OKActions                        []string    `json:",omitempty"`
	AlarmActions                     []string    `json:",omitempty"`
	InsufficientDataActions          []string    `json:",omitempty"`
	MetricName                       string      `json:",omitempty"`
	Namespace                        string      `json:",omitempty"`
	Statistic                        string      `json:",omitempty"`
	ExtendedStatistic                string      `json:",omitempty"`
	Dimensions                       []Dimension `json:",omitempty"`
	Period                           int         `json:",omitempty"`
	Unit                             string      `json:",omitempty"`
	EvaluationPeriods                int
	DatapointsToAlarm                int `json:",omitempty"`
	Threshold                        float64
	ComparisonOperator               string
	TreatMissingData                 string      `json:",omitempty"`
	EvaluateLowSampleCountPercentile string      `json:",omitempty"`
	Metrics                          []DataQuery `json:",omitempty"`
}

// AlarmView is an alarm as DescribeAlarms shows it.
type AlarmView struct {
	Alarm
	AlarmArn                           string
	StateValue                         string
	StateReason                        string
	StateReasonData                    string
	StateUpdatedTimestamp              time.Time
	StateTransitionedTimestamp         time.Time
	AlarmConfigurationUpdatedTimestamp time.Time
}

// Tag is a resource tag.
type Tag struct {
	Key   string
	Value string
}

// PutAlarmInput is the input of PutMetricAlarm.
type PutAlarmInput struct {
	Alarm
	// ActionsEnabledSet is false when the request left ActionsEnabled out (default true).
	ActionsEnabledSet bool
	Threshold         *float64
	DatapointsToAlarm *int
	ThresholdMetricID string
	Tags              []Tag
}

func (s *Service) alarmARN(account, name string) string {
	return "arn:aws:cloudwatch:" + s.cfg.Region + ":" + account + ":alarm:" + name
}

func isComparison(op string) bool {
	switch op {
	case "GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold":
		return true
	}
	return false
}

func isAnomalyComparison(op string) bool {
	switch op {
	case "LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold", "GreaterThanUpperThreshold":
		return true
	}
	return false
}

func checkActions(name string, arns []string) error {
	if len(arns) > MaxActions {
		return validationError("The collection %s must not have a size greater than %d.", name, MaxActions)
	}
	for _, a := range arns {
		if !strings.HasPrefix(a, "arn:") || strings.Count(a, ":") < 5 || len(a) > 1024 {
			return validationError("Invalid arn syntax: %s", a)
		}
	}
	return nil
}

func checkTags(tags []Tag) error {
	if len(tags) > MaxTags {
		return validationError("The collection Tags must not have a size greater than %d.", MaxTags)
	}
	for _, t := range tags {
		if t.Key == "" || len(t.Key) > 128 || len(t.Value) > 256 || strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return invalidValue("The value %s for parameter Tags is invalid.", t.Key)
		}
	}
	return nil
}

// validate checks a PutMetricAlarm input as CloudWatch does and fills its defaults.
func (in *PutAlarmInput) validate() error {
	a := &in.Alarm
	switch {
	case a.AlarmName == "":
		return missingMember("alarmName")
	case len(a.AlarmName) > MaxAlarmNameLength:
		return validationError("1 validation error detected: Value at 'alarmName' failed to satisfy constraint: Member must have length less than or equal to %d", MaxAlarmNameLength)
	case len(a.AlarmDescription) > MaxAlarmDescriptionLength:
		return validationError("1 validation error detected: Value at 'alarmDescription' failed to satisfy constraint: Member must have length less than or equal to %d", MaxAlarmDescriptionLength)
	case a.EvaluationPeriods == 0:
		return missingMember("evaluationPeriods")
	case a.EvaluationPeriods < 0:
		return validationError("1 validation error detected: Value '%d' at 'evaluationPeriods' failed to satisfy constraint: Member must have value greater than or equal to 1", a.EvaluationPeriods)
	case a.ComparisonOperator == "":
		return missingMember("comparisonOperator")
	}
	if isAnomalyComparison(a.ComparisonOperator) || in.ThresholdMetricID != "" {
		return awserr.NotSupported("ValidationError", "Anomaly detection alarms")
	}
	if !isComparison(a.ComparisonOperator) {
		return validationError("1 validation error detected: Value '%s' at 'comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold, LessThanOrEqualToThreshold, LessThanLowerOrGreaterThanUpperThreshold, LessThanLowerThreshold, GreaterThanUpperThreshold]", a.ComparisonOperator)
	}
	if in.Threshold == nil {
		return validationError("Threshold is required for alarms whose ComparisonOperator is %s.", a.ComparisonOperator)
	}
	a.Threshold = *in.Threshold
	for name, list := range map[string][]string{"OKActions": a.OKActions, "AlarmActions": a.AlarmActions, "InsufficientDataActions": a.InsufficientDataActions} {
		if err := checkActions(name, list); err != nil {
			return err
		}
	}
	a.ActionsEnabled = a.ActionsEnabled || !in.ActionsEnabledSet
	switch a.TreatMissingData {
	case "":
		a.TreatMissingData = MissingMissing
	case MissingMissing, MissingBreaching, MissingNotBreaching, MissingIgnore:
	default:
		return validationError("The value %s is not valid for TreatMissingData. Valid values are breaching, notBreaching, ignore and missing.", a.TreatMissingData)
	}
	if a.EvaluateLowSampleCountPercentile != "" {
		return awserr.NotSupported("ValidationError", "EvaluateLowSampleCountPercentile (percentile alarms)")
	}
	if len(a.Metrics) > 0 {
		if err := in.validateMetricsForm(); err != nil {
			return err
		}
	} else if err := in.validateSingleMetric(); err != nil {
		return err
	}
	if in.DatapointsToAlarm != nil {
		if *in.DatapointsToAlarm < 1 || *in.DatapointsToAlarm > a.EvaluationPeriods {
			return validationError("DatapointsToAlarm must be between 1 and EvaluationPeriods (%d).", a.EvaluationPeriods)
		}
		a.DatapointsToAlarm = *in.DatapointsToAlarm
	}
	period := time.Duration(a.evaluationPeriod()) * time.Second
	limit := maxEvaluationRange
	if period >= time.Hour {
		limit = maxLongEvaluationRange
	}
	if period*time.Duration(a.EvaluationPeriods) > limit {
		return validationError("Metrics cannot be checked across more than a day (EvaluationPeriods * Period must be <= %d).", int(limit.Seconds()))
	}
	return checkTags(in.Tags)
}

func missingMember(name string) error {
	return awserr.MissingMember("ValidationError", name)
}

func (in *PutAlarmInput) validateSingleMetric() error {
	a := &in.Alarm
	switch {
	case a.MetricName == "":
		return validationError("MetricName must be specified for an alarm on a single metric.")
	case a.Namespace == "":
		return validationError("Namespace must be specified for an alarm on a single metric.")
	case (a.Statistic == "") == (a.ExtendedStatistic == ""):
		return validationError("Exactly one of Statistic or ExtendedStatistic must be specified.")
	case a.ExtendedStatistic != "":
		return awserr.NotSupported("ValidationError", "Percentile alarms (ExtendedStatistic)")
	case !isStatistic(a.Statistic):
		return validationError("1 validation error detected: Value '%s' at 'statistic' failed to satisfy constraint: Member must satisfy enum value set: [Maximum, SampleCount, Sum, Minimum, Average]", a.Statistic)
	case a.Period == 0:
		return validationError("Period must be specified for an alarm on a single metric.")
	case a.Unit != "" && !isUnit(a.Unit):
		return validationError("The value %s for parameter Unit is invalid.", a.Unit)
	}
	if a.Period == 10 || a.Period == 20 || a.Period == 30 {
		return awserr.NotSupported("ValidationError", "High-resolution alarm periods (10, 20 and 30 seconds)")
	}
	if a.Period < 60 || a.Period%60 != 0 {
		return validationError("The parameter Period must be 10, 20, 30 or a multiple of 60.")
	}
	return checkDimensions(a.Dimensions, "Dimensions")
}

// validateMetricsForm accepts the Metrics form when it is one MetricStat query (ceap does not
// compute metric math).
func (in *PutAlarmInput) validateMetricsForm() error {
	a := &in.Alarm
	if a.MetricName != "" || a.Namespace != "" || a.Statistic != "" || a.ExtendedStatistic != "" || len(a.Dimensions) > 0 || a.Period != 0 || a.Unit != "" {
		return invalidCombination("Metrics list cannot be specified together with MetricName, Namespace, Statistic, ExtendedStatistic, Dimensions, Period or Unit.")
	}
	returned := 0
	for i, q := range a.Metrics {
		if q.Expression != "" {
			return awserr.NotSupported("ValidationError", "Metric math expressions in alarms")
		}
		if q.Metric == nil {
			return validationError("Exactly one element of the MetricStat or the Expression must be set for Metrics.member.%d.", i+1)
		}
		if q.ReturnData == nil || *q.ReturnData {
			returned++
		}
		if !isStatistic(q.Stat) {
			return awserr.NotSupported("ValidationError", fmt.Sprintf("The statistic %q in alarms", q.Stat))
		}
		if q.Period < 60 || q.Period%60 != 0 {
			return validationError("The parameter Metrics.member.%d.MetricStat.Period must be a multiple of 60.", i+1)
		}
	}
	if returned != 1 {
		return validationError("Exactly one element of the Metrics list must return data.")
	}
	return nil
}

// target returns the metric, statistic, unit and period (seconds) an alarm watches.
func (a *Alarm) target() (Metric, string, string, int) {
	if len(a.Metrics) > 0 {
		for _, q := range a.Metrics {
			if q.Metric != nil && (q.ReturnData == nil || *q.ReturnData) {
				return *q.Metric, q.Stat, q.Unit, q.Period
			}
		}
	}
	return Metric{Namespace: a.Namespace, MetricName: a.MetricName, Dimensions: a.Dimensions}, a.Statistic, a.Unit, a.Period
}

func (a *Alarm) evaluationPeriod() int {
	_, _, _, p := a.target()
	return p
}

func (a *Alarm) datapointsToAlarm() int {
	if a.DatapointsToAlarm > 0 {
		return a.DatapointsToAlarm
	}
	return a.EvaluationPeriods
}

func decodeAlarm(row *store.AlarmRow) (*Alarm, error) {
	var a Alarm
	if err := json.Unmarshal(row.Spec, &a); err != nil {
		return nil, fmt.Errorf("decode alarm %q: %w", row.Name, err)
	}
	return &a, nil
}

func decodeTags(b []byte) []Tag {
	var tags []Tag
	json.Unmarshal(b, &tags)
	return tags
}

func view(row *store.AlarmRow) (AlarmView, error) {
	a, err := decodeAlarm(row)
	if err != nil {
		return AlarmView{}, err
	}
	return AlarmView{Alarm: *a, AlarmArn: row.ARN, StateValue: row.State, StateReason: row.StateReason, StateReasonData: row.StateReasonData,
		StateUpdatedTimestamp: store.FromMillis(row.StateUpdated), StateTransitionedTimestamp: store.FromMillis(row.StateTransitioned),
		AlarmConfigurationUpdatedTimestamp: store.FromMillis(row.Modified)}, nil
}

func historyData(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// PutMetricAlarm creates an alarm, or replaces an existing alarm's configuration (its state is
// kept; tags given for an existing alarm are ignored, as in CloudWatch). A new alarm starts in
// INSUFFICIENT_DATA and is evaluated at the next minute.
func (s *Service) PutMetricAlarm(ctx context.Context, account string, in PutAlarmInput) error {
	if err := in.validate(); err != nil {
		return err
	}
	spec, err := json.Marshal(in.Alarm)
	if err != nil {
		return fmt.Errorf("encode alarm: %w", err)
	}
	tags, err := json.Marshal(nonNilTags(in.Tags))
	if err != nil {
		return fmt.Errorf("encode tags: %w", err)
	}
	now := s.cfg.Clock.Now().UnixMilli()
	kind, verb := "Create", "created"
	if _, err := s.cfg.Store.AlarmGet(ctx, &store.AlarmGetParams{Account: account, Name: in.AlarmName}); err == nil {
		kind, verb = "Update", "updated"
	} else if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("read alarm %q: %w", in.AlarmName, err)
	}
	row := &store.AlarmRow{Account: account, Name: in.AlarmName, ARN: s.alarmARN(account, in.AlarmName), Spec: spec, Tags: tags,
		State: StateInsufficientData, StateReason: "Unchecked: Initial alarm creation", StateUpdated: now, StateTransitioned: now, Modified: now}
	hist := &store.AlarmHistoryRow{Account: account, AlarmName: in.AlarmName, AlarmType: metricAlarmType, Time: now, ItemType: HistoryConfigurationUpdate,
		Summary: fmt.Sprintf("Alarm %q %s", in.AlarmName, verb), Data: historyData(map[string]any{"version": "1.0", "type": kind, strings.ToLower(kind) + "dAlarm": in.Alarm})}
	if err := s.cfg.Store.AlarmPut(ctx, &store.AlarmPutParams{Row: row, History: []*store.AlarmHistoryRow{hist}}); err != nil {
		return fmt.Errorf("put alarm %q: %w", in.AlarmName, err)
	}
	return nil
}

func nonNilTags(tags []Tag) []Tag {
	if tags == nil {
		return []Tag{}
	}
	return tags
}

// DescribeQuery is the input of DescribeAlarms.
type DescribeQuery struct {
	AlarmNames          []string
	AlarmNamePrefix     string
	AlarmTypes          []string
	ChildrenOfAlarmName string
	ParentsOfAlarmName  string
	StateValue          string
	ActionPrefix        string
	MaxRecords          int
	NextToken           string
}

func isState(v string) bool {
	return v == StateOK || v == StateAlarm || v == StateInsufficientData
}

// DescribeAlarms lists an account's metric alarms by name, with CloudWatch's filters. ceap has
// no composite alarms, so asking for CompositeAlarm only, or for the children or parents of a
// composite alarm, finds none.
func (s *Service) DescribeAlarms(ctx context.Context, account string, q DescribeQuery) ([]AlarmView, string, error) {
	if len(q.AlarmNames) > 0 && q.AlarmNamePrefix != "" {
		return nil, "", invalidCombination("AlarmNames and AlarmNamePrefix cannot be specified together.")
	}
	if len(q.AlarmNames) > MaxAlarmNames {
		return nil, "", validationError("The collection AlarmNames must not have a size greater than %d.", MaxAlarmNames)
	}
	if q.StateValue != "" && !isState(q.StateValue) {
		return nil, "", validationError("1 validation error detected: Value '%s' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]", q.StateValue)
	}
	if q.MaxRecords < 0 || q.MaxRecords > MaxRecords {
		return nil, "", validationError("1 validation error detected: Value '%d' at 'maxRecords' failed to satisfy constraint: Member must have value between 1 and %d", q.MaxRecords, MaxRecords)
	}
	limit := q.MaxRecords
	if limit == 0 {
		limit = defaultDescribeRecords
	}
	after, err := decodeToken(q.NextToken)
	if err != nil {
		return nil, "", err
	}
	metricAlarms := len(q.AlarmTypes) == 0
	for _, t := range q.AlarmTypes {
		switch t {
		case metricAlarmType:
			metricAlarms = true
		case "CompositeAlarm":
		default:
			return nil, "", validationError("1 validation error detected: Value '[%s]' at 'alarmTypes' failed to satisfy constraint: Member must satisfy enum value set: [CompositeAlarm, MetricAlarm]", t)
		}
	}
	if !metricAlarms || q.ChildrenOfAlarmName != "" || q.ParentsOfAlarmName != "" {
		return []AlarmView{}, "", nil
	}
	names := map[string]bool{}
	for _, n := range q.AlarmNames {
		names[n] = true
	}
	out := []AlarmView{}
	for {
		rows, err := s.cfg.Store.AlarmList(ctx, &store.AlarmListParams{Account: account, NamePrefix: q.AlarmNamePrefix, After: after, Limit: 500})
		if err != nil {
			return nil, "", fmt.Errorf("list alarms: %w", err)
		}
		for _, row := range rows {
			after = row.Name
			if len(names) > 0 && !names[row.Name] {
				continue
			}
			if q.StateValue != "" && row.State != q.StateValue {
				continue
			}
			v, err := view(row)
			if err != nil {
				return nil, "", err
			}
			if q.ActionPrefix != "" && !hasActionPrefix(&v.Alarm, q.ActionPrefix) {
				continue
			}
			if len(out) == limit {
				return out, encodeToken(out[len(out)-1].AlarmName), nil
			}
			out = append(out, v)
		}
		if len(rows) < 500 {
			return out, "", nil
		}
	}
}

func hasActionPrefix(a *Alarm, prefix string) bool {
	for _, list := range [][]string{a.OKActions, a.AlarmActions, a.InsufficientDataActions} {
		for _, arn := range list {
			if strings.HasPrefix(arn, prefix) {
				return true
			}
		}
	}
	return false
}

// ForMetricQuery is the input of DescribeAlarmsForMetric.
type ForMetricQuery struct {
	Metric
	Statistic         string
	ExtendedStatistic string
	Period            int
	Unit              string
}

// DescribeAlarmsForMetric returns the alarms that watch one metric.
func (s *Service) DescribeAlarmsForMetric(ctx context.Context, account string, q ForMetricQuery) ([]AlarmView, error) {
	if q.MetricName == "" {
		return nil, missingMember("metricName")
	}
	if q.Namespace == "" {
		return nil, missingMember("namespace")
	}
	rows, err := s.cfg.Store.AlarmList(ctx, &store.AlarmListParams{Account: account})
	if err != nil {
		return nil, fmt.Errorf("list alarms: %w", err)
	}
	want := q.Metric.key()
	out := []AlarmView{}
	for _, row := range rows {
		v, err := view(row)
		if err != nil {
			return nil, err
		}
		m, stat, unit, period := v.target()
		if m.key() != want || (q.Statistic != "" && stat != q.Statistic) || (q.ExtendedStatistic != "" && v.ExtendedStatistic != q.ExtendedStatistic) ||
			(q.Period != 0 && period != q.Period) || (q.Unit != "" && unit != q.Unit) {
			continue
		}
		out = append(out, v)
	}
	return out, nil
}

func checkNames(names []string) error {
	if len(names) > MaxAlarmNames {
		return validationError("The collection AlarmNames must not have a size greater than %d.", MaxAlarmNames)
	}
	return nil
}

// DeleteAlarms deletes alarms, all or none: when one of the names is not an alarm, nothing is
// deleted and ResourceNotFound names it.
func (s *Service) DeleteAlarms(ctx context.Context, account string, names []string) error {
	if len(names) == 0 {
		return missingMember("alarmNames")
	}
	if err := checkNames(names); err != nil {
		return err
	}
	for _, n := range names {
		if _, err := s.cfg.Store.AlarmGet(ctx, &store.AlarmGetParams{Account: account, Name: n}); errors.Is(err, store.ErrNotFound) {
			return awserr.WithStatus(404, "ResourceNotFound", "1 of the alarms you specified does not exist: %s", n)
		} else if err != nil {
			return fmt.Errorf("read alarm %q: %w", n, err)
		}
	}
	if _, err := s.cfg.Store.AlarmDelete(ctx, &store.AlarmDeleteParams{Account: account, Names: names}); err != nil {
		return fmt.Errorf("delete alarms: %w", err)
	}
	return nil
}

// SetActionsEnabled turns the actions of the named alarms on or off (EnableAlarmActions,
// DisableAlarmActions); names that are not alarms are skipped.
func (s *Service) SetActionsEnabled(ctx context.Context, account string, names []string, enabled bool) error {
	if len(names) == 0 {
		return missingMember("alarmNames")
	}
	if err := checkNames(names); err != nil {
		return err
	}
	for _, n := range names {
		err := s.updateAlarm(ctx, account, n, func(row *store.AlarmRow, a *Alarm) (bool, error) {
			if a.ActionsEnabled == enabled {
				return false, nil
			}
			a.ActionsEnabled = enabled
			return true, nil
		})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return nil
}

// updateAlarm applies fn to an alarm and writes it, retrying on a concurrent write.
func (s *Service) updateAlarm(ctx context.Context, account, name string, fn func(row *store.AlarmRow, a *Alarm) (bool, error)) error {
	for {
		row, err := s.cfg.Store.AlarmGet(ctx, &store.AlarmGetParams{Account: account, Name: name})
		if err != nil {
			return err
		}
		a, err := decodeAlarm(row)
		if err != nil {
			return err
		}
		changed, err := fn(row, a)
		if err != nil || !changed {
			return err
		}
		if row.Spec, err = json.Marshal(a); err != nil {
			return fmt.Errorf("encode alarm: %w", err)
		}
		err = s.cfg.Store.AlarmUpdate(ctx, &store.AlarmUpdateParams{Row: row, IfVersion: row.Version})
		if !errors.Is(err, store.ErrConflict) {
			return err
		}
	}
}

// SetAlarmState sets an alarm's state until its next evaluation, running the new state's
// actions when the state changes.
func (s *Service) SetAlarmState(ctx context.Context, account, name, state, reason, reasonData string) error {
	switch {
	case name == "":
		return missingMember("alarmName")
	case state == "":
		return missingMember("stateValue")
	case reason == "":
		return missingMember("stateReason")
	case !isState(state):
		return validationError("1 validation error detected: Value '%s' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]", state)
	case len(reason) > MaxStateReasonLength:
		return validationError("1 validation error detected: Value at 'stateReason' failed to satisfy constraint: Member must have length less than or equal to %d", MaxStateReasonLength)
	case len(reasonData) > MaxStateReasonDataLength:
		return validationError("1 validation error detected: Value at 'stateReasonData' failed to satisfy constraint: Member must have length less than or equal to %d", MaxStateReasonDataLength)
	}
	if reasonData != "" && !json.Valid([]byte(reasonData)) {
		return awserr.New("InvalidFormatFault", "Unable to parse StateReasonData: the value is not valid JSON.")
	}
	row, err := s.cfg.Store.AlarmGet(ctx, &store.AlarmGetParams{Account: account, Name: name})
	if errors.Is(err, store.ErrNotFound) {
		return awserr.WithStatus(404, "ResourceNotFound", "Alarm %s not found", name)
	} else if err != nil {
		return fmt.Errorf("read alarm %q: %w", name, err)
	}
	a, err := decodeAlarm(row)
	if err != nil {
		return err
	}
	_, err = s.transition(ctx, row, a, state, reason, reasonData, s.cfg.Clock.Now(), true)
	if errors.Is(err, store.ErrConflict) {
		return awserr.WithStatus(429, "ConcurrentModificationException", "The alarm %s was modified concurrently; try again.", name)
	}
	return err
}

// HistoryQuery is the input of DescribeAlarmHistory.
type HistoryQuery struct {
	AlarmName          string
	AlarmTypes         []string
	HistoryItemType    string
	StartDate, EndDate time.Time
	MaxRecords         int
	NextToken          string
	ScanBy             string
}

// HistoryItem is one item of an alarm's history.
type HistoryItem struct {
	AlarmName       string
	AlarmType       string
	Timestamp       time.Time
	HistoryItemType string
	HistorySummary  string
	HistoryData     string
}

// DescribeAlarmHistory returns history items, newest first unless ScanBy is
// TimestampAscending.
func (s *Service) DescribeAlarmHistory(ctx context.Context, account string, q HistoryQuery) ([]HistoryItem, string, error) {
	switch q.HistoryItemType {
	case "", HistoryConfigurationUpdate, HistoryStateUpdate, HistoryAction:
	default:
		return nil, "", validationError("1 validation error detected: Value '%s' at 'historyItemType' failed to satisfy constraint: Member must satisfy enum value set: [ConfigurationUpdate, StateUpdate, Action]", q.HistoryItemType)
	}
	if q.ScanBy != "" && q.ScanBy != "TimestampDescending" && q.ScanBy != "TimestampAscending" {
		return nil, "", validationError("1 validation error detected: Value '%s' at 'scanBy' failed to satisfy constraint: Member must satisfy enum value set: [TimestampDescending, TimestampAscending]", q.ScanBy)
	}
	if q.MaxRecords < 0 || q.MaxRecords > MaxRecords {
		return nil, "", validationError("1 validation error detected: Value '%d' at 'maxRecords' failed to satisfy constraint: Member must have value between 1 and %d", q.MaxRecords, MaxRecords)
	}
	limit := q.MaxRecords
	if limit == 0 {
		limit = MaxRecords
	}
	metricAlarms := len(q.AlarmTypes) == 0
	for _, t := range q.AlarmTypes {
		if t == metricAlarmType {
			metricAlarms = true
		}
	}
	if !metricAlarms {
		return []HistoryItem{}, "", nil
	}
	var after int64
	if q.NextToken != "" {
		tok, err := decodeToken(q.NextToken)
		if err != nil {
			return nil, "", err
		}
		if _, err := fmt.Sscan(tok, &after); err != nil {
			return nil, "", awserr.New("InvalidNextToken", "The service couldn't process your request because the next token is invalid.")
		}
	}
	rows, err := s.cfg.Store.AlarmHistoryList(ctx, &store.AlarmHistoryListParams{Account: account, AlarmName: q.AlarmName, ItemType: q.HistoryItemType,
		From: store.Millis(q.StartDate), To: store.Millis(q.EndDate), After: after, OldestFirst: q.ScanBy == "TimestampAscending", Limit: limit + 1})
	if err != nil {
		return nil, "", fmt.Errorf("list alarm history: %w", err)
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		next = encodeToken(fmt.Sprint(rows[limit-1].Seq))
	}
	out := make([]HistoryItem, len(rows))
	for i, h := range rows {
		out[i] = HistoryItem{AlarmName: h.AlarmName, AlarmType: h.AlarmType, Timestamp: store.FromMillis(h.Time), HistoryItemType: h.ItemType, HistorySummary: h.Summary, HistoryData: h.Data}
	}
	return out, next, nil
}

// alarmOfARN returns the name of the alarm an ARN of account names.
func (s *Service) alarmOfARN(account, arn string) (string, error) {
	parts := strings.SplitN(arn, ":", 7)
	if len(parts) != 7 || parts[0] != "arn" || parts[2] != "cloudwatch" || parts[5] != "alarm" || parts[4] != account {
		return "", awserr.WithStatus(404, "ResourceNotFoundException", "The resource %s does not exist.", arn)
	}
	return parts[6], nil
}

func (s *Service) tagged(ctx context.Context, account, arn string, fn func([]Tag) ([]Tag, error)) error {
	name, err := s.alarmOfARN(account, arn)
	if err != nil {
		return err
	}
	for {
		row, err := s.cfg.Store.AlarmGet(ctx, &store.AlarmGetParams{Account: account, Name: name})
		if errors.Is(err, store.ErrNotFound) {
			return awserr.WithStatus(404, "ResourceNotFoundException", "The resource %s does not exist.", arn)
		} else if err != nil {
			return fmt.Errorf("read alarm %q: %w", name, err)
		}
		tags, err := fn(decodeTags(row.Tags))
		if err != nil || tags == nil {
			return err
		}
		if row.Tags, err = json.Marshal(tags); err != nil {
			return fmt.Errorf("encode tags: %w", err)
		}
		err = s.cfg.Store.AlarmUpdate(ctx, &store.AlarmUpdateParams{Row: row, IfVersion: row.Version})
		if !errors.Is(err, store.ErrConflict) {
			return err
		}
	}
}

// TagResource adds or replaces tags of an alarm.
func (s *Service) TagResource(ctx context.Context, account, arn string, tags []Tag) error {
	if len(tags) == 0 {
		return missingMember("tags")
	}
	if err := checkTags(tags); err != nil {
		return err
	}
	return s.tagged(ctx, account, arn, func(have []Tag) ([]Tag, error) {
		for _, t := range tags {
			replaced := false
			for i := range have {
				if have[i].Key == t.Key {
					have[i].Value, replaced = t.Value, true
				}
			}
			if !replaced {
				have = append(have, t)
			}
		}
		if len(have) > MaxTags {
			return nil, awserr.New("LimitExceededException", "The maximum number of tags (%d) for the resource would be exceeded.", MaxTags)
		}
		return have, nil
	})
}

// UntagResource removes tags from an alarm.
func (s *Service) UntagResource(ctx context.Context, account, arn string, keys []string) error {
	return s.tagged(ctx, account, arn, func(have []Tag) ([]Tag, error) {
		out := []Tag{}
		for _, t := range have {
			drop := false
			for _, k := range keys {
				drop = drop || k == t.Key
			}
			if !drop {
				out = append(out, t)
			}
		}
		return out, nil
	})
}

// ListTagsForResource returns an alarm's tags.
func (s *Service) ListTagsForResource(ctx context.Context, account, arn string) ([]Tag, error) {
	var out []Tag
	err := s.tagged(ctx, account, arn, func(have []Tag) ([]Tag, error) {
		out = nonNilTags(have)
		return nil, nil
	})
	return out, err
}
