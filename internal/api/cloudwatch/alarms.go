package cloudwatch

import (
	"context"

	"github.com/ceap/ceap/internal/alarms"
	"github.com/ceap/ceap/internal/protocol"
)

// metricAlarm is the MetricAlarm shape.
type metricAlarm struct {
	AlarmName                          string              `json:"AlarmName"`
	AlarmArn                           string              `json:"AlarmArn"`
	AlarmDescription                   string              `json:"AlarmDescription,omitempty"`
	AlarmConfigurationUpdatedTimestamp *protocol.Timestamp `json:"AlarmConfigurationUpdatedTimestamp,omitempty"`
	ActionsEnabled                     bool                `json:"ActionsEnabled"`
	OKActions                          []string            `json:"OKActions"`
	AlarmActions                       []string            `json:"AlarmActions"`
	InsufficientDataActions            []string            `json:"InsufficientDataActions"`
	StateValue                         string              `json:"StateValue"`
	StateReason                        string              `json:"StateReason"`
	StateReasonData                    string              `json:"StateReasonData,omitempty"`
	StateUpdatedTimestamp              *protocol.Timestamp `json:"StateUpdatedTimestamp,omitempty"`
	MetricName                         string              `json:"MetricName,omitempty"`
	Namespace                          string              `json:"Namespace,omitempty"`
	Statistic                          string              `json:"Statistic,omitempty"`
	Dimensions                         []alarms.Dimension  `json:"Dimensions"`
	Period                             int                 `json:"Period,omitempty"`
	Unit                               string              `json:"Unit,omitempty"`
	EvaluationPeriods                  int                 `json:"EvaluationPeriods"`
	DatapointsToAlarm                  int                 `json:"DatapointsToAlarm,omitempty"`
	Threshold                          double              `json:"Threshold"`
	ComparisonOperator                 string              `json:"ComparisonOperator"`
	TreatMissingData                   string              `json:"TreatMissingData,omitempty"`
	Metrics                            []metricDataQuery   `json:"Metrics,omitempty"`
	StateTransitionedTimestamp         *protocol.Timestamp `json:"StateTransitionedTimestamp,omitempty"`
}

func wireAlarm(v alarms.AlarmView) metricAlarm {
	out := metricAlarm{AlarmName: v.AlarmName, AlarmArn: v.AlarmArn, AlarmDescription: v.AlarmDescription,
		AlarmConfigurationUpdatedTimestamp: protocol.TS(v.AlarmConfigurationUpdatedTimestamp), ActionsEnabled: v.ActionsEnabled,
		OKActions: nonNil(v.OKActions), AlarmActions: nonNil(v.AlarmActions), InsufficientDataActions: nonNil(v.InsufficientDataActions),
		StateValue: v.StateValue, StateReason: v.StateReason, StateReasonData: v.StateReasonData, StateUpdatedTimestamp: protocol.TS(v.StateUpdatedTimestamp),
		MetricName: v.MetricName, Namespace: v.Namespace, Statistic: v.Statistic, Dimensions: nonNil(v.Dimensions), Period: v.Period, Unit: v.Unit,
		EvaluationPeriods: v.EvaluationPeriods, DatapointsToAlarm: v.DatapointsToAlarm, Threshold: double(v.Threshold), ComparisonOperator: v.ComparisonOperator,
		TreatMissingData: v.TreatMissingData, StateTransitionedTimestamp: protocol.TS(v.StateTransitionedTimestamp)}
	for _, q := range v.Metrics {
		out.Metrics = append(out.Metrics, wireQuery(q))
	}
	return out
}

func wireAlarms(vs []alarms.AlarmView) []metricAlarm {
	out := make([]metricAlarm, len(vs))
	for i, v := range vs {
		out[i] = wireAlarm(v)
	}
	return out
}

func (h *Handler) putMetricAlarm(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		AlarmName                        string             `json:"AlarmName"`
		AlarmDescription                 string             `json:"AlarmDescription"`
		ActionsEnabled                   *bool              `json:"ActionsEnabled"`
		OKActions                        []string           `json:"OKActions"`
		AlarmActions                     []string           `json:"AlarmActions"`
		InsufficientDataActions          []string           `json:"InsufficientDataActions"`
		MetricName                       string             `json:"MetricName"`
		Namespace                        string             `json:"Namespace"`
		Statistic                        string             `json:"Statistic"`
		ExtendedStatistic                string             `json:"ExtendedStatistic"`
		Dimensions                       []alarms.Dimension `json:"Dimensions"`
		Period                           int                `json:"Period"`
		Unit                             string             `json:"Unit"`
		EvaluationPeriods                int                `json:"EvaluationPeriods"`
		DatapointsToAlarm                *int               `json:"DatapointsToAlarm"`
		Threshold                        *float64           `json:"Threshold"`
		ComparisonOperator               string             `json:"ComparisonOperator"`
		TreatMissingData                 string             `json:"TreatMissingData"`
		EvaluateLowSampleCountPercentile string             `json:"EvaluateLowSampleCountPercentile"`
		Metrics                          []metricDataQuery  `json:"Metrics"`
		Tags                             []tag              `json:"Tags"`
		ThresholdMetricID                string             `json:"ThresholdMetricId"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	a := alarms.Alarm{AlarmName: in.AlarmName, AlarmDescription: in.AlarmDescription, OKActions: in.OKActions, AlarmActions: in.AlarmActions,
		InsufficientDataActions: in.InsufficientDataActions, MetricName: in.MetricName, Namespace: in.Namespace, Statistic: in.Statistic,
		ExtendedStatistic: in.ExtendedStatistic, Dimensions: in.Dimensions, Period: in.Period, Unit: in.Unit, EvaluationPeriods: in.EvaluationPeriods,
		ComparisonOperator: in.ComparisonOperator, TreatMissingData: in.TreatMissingData, EvaluateLowSampleCountPercentile: in.EvaluateLowSampleCountPercentile}
	if in.ActionsEnabled != nil {
		a.ActionsEnabled = *in.ActionsEnabled
	}
	for _, q := range in.Metrics {
		a.Metrics = append(a.Metrics, q.domain())
	}
	return nil, h.svc.PutMetricAlarm(ctx, r.Caller.Account, alarms.PutAlarmInput{Alarm: a, ActionsEnabledSet: in.ActionsEnabled != nil,
		Threshold: in.Threshold, DatapointsToAlarm: in.DatapointsToAlarm, ThresholdMetricID: in.ThresholdMetricID, Tags: domainTags(in.Tags)})
}

func (h *Handler) describeAlarms(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		AlarmNames          []string `json:"AlarmNames"`
		AlarmNamePrefix     string   `json:"AlarmNamePrefix"`
		AlarmTypes          []string `json:"AlarmTypes"`
		ChildrenOfAlarmName string   `json:"ChildrenOfAlarmName"`
		ParentsOfAlarmName  string   `json:"ParentsOfAlarmName"`
		StateValue          string   `json:"StateValue"`
		ActionPrefix        string   `json:"ActionPrefix"`
		MaxRecords          int      `json:"MaxRecords"`
		NextToken           string   `json:"NextToken"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	list, next, err := h.svc.DescribeAlarms(ctx, r.Caller.Account, alarms.DescribeQuery{AlarmNames: in.AlarmNames, AlarmNamePrefix: in.AlarmNamePrefix,
		AlarmTypes: in.AlarmTypes, ChildrenOfAlarmName: in.ChildrenOfAlarmName, ParentsOfAlarmName: in.ParentsOfAlarmName, StateValue: in.StateValue,
		ActionPrefix: in.ActionPrefix, MaxRecords: in.MaxRecords, NextToken: in.NextToken})
	if err != nil {
		return nil, err
	}
	out := map[string]any{"MetricAlarms": wireAlarms(list), "CompositeAlarms": []any{}}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

func (h *Handler) describeAlarmsForMetric(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		MetricName        string             `json:"MetricName"`
		Namespace         string             `json:"Namespace"`
		Statistic         string             `json:"Statistic"`
		ExtendedStatistic string             `json:"ExtendedStatistic"`
		Dimensions        []alarms.Dimension `json:"Dimensions"`
		Period            int                `json:"Period"`
		Unit              string             `json:"Unit"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	list, err := h.svc.DescribeAlarmsForMetric(ctx, r.Caller.Account, alarms.ForMetricQuery{
		Metric:    alarms.Metric{Namespace: in.Namespace, MetricName: in.MetricName, Dimensions: in.Dimensions},
		Statistic: in.Statistic, ExtendedStatistic: in.ExtendedStatistic, Period: in.Period, Unit: in.Unit})
	if err != nil {
		return nil, err
	}
	return map[string]any{"MetricAlarms": wireAlarms(list)}, nil
}

func (h *Handler) describeAlarmHistory(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		AlarmName       string              `json:"AlarmName"`
		AlarmTypes      []string            `json:"AlarmTypes"`
		HistoryItemType string              `json:"HistoryItemType"`
		StartDate       *protocol.Timestamp `json:"StartDate"`
		EndDate         *protocol.Timestamp `json:"EndDate"`
		MaxRecords      int                 `json:"MaxRecords"`
		NextToken       string              `json:"NextToken"`
		ScanBy          string              `json:"ScanBy"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	items, next, err := h.svc.DescribeAlarmHistory(ctx, r.Caller.Account, alarms.HistoryQuery{AlarmName: in.AlarmName, AlarmTypes: in.AlarmTypes,
		HistoryItemType: in.HistoryItemType, StartDate: tm(in.StartDate), EndDate: tm(in.EndDate), MaxRecords: in.MaxRecords, NextToken: in.NextToken, ScanBy: in.ScanBy})
	if err != nil {
		return nil, err
	}
	type item struct {
		AlarmName       string              `json:"AlarmName"`
		AlarmType       string              `json:"AlarmType"`
		Timestamp       *protocol.Timestamp `json:"Timestamp"`
		HistoryItemType string              `json:"HistoryItemType"`
		HistorySummary  string              `json:"HistorySummary"`
		HistoryData     string              `json:"HistoryData"`
	}
	out := make([]item, len(items))
	for i, it := range items {
		out[i] = item{AlarmName: it.AlarmName, AlarmType: it.AlarmType, Timestamp: protocol.TS(it.Timestamp), HistoryItemType: it.HistoryItemType,
			HistorySummary: it.HistorySummary, HistoryData: it.HistoryData}
	}
	res := map[string]any{"AlarmHistoryItems": out}
	if next != "" {
		res["NextToken"] = next
	}
	return res, nil
}

type alarmNames struct {
	AlarmNames []string `json:"AlarmNames"`
}

func (h *Handler) deleteAlarms(ctx context.Context, r *protocol.Request) (any, error) {
	var in alarmNames
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	return nil, h.svc.DeleteAlarms(ctx, r.Caller.Account, in.AlarmNames)
}

func (h *Handler) enableAlarmActions(ctx context.Context, r *protocol.Request) (any, error) {
	var in alarmNames
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	return nil, h.svc.SetActionsEnabled(ctx, r.Caller.Account, in.AlarmNames, true)
}

func (h *Handler) disableAlarmActions(ctx context.Context, r *protocol.Request) (any, error) {
	var in alarmNames
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	return nil, h.svc.SetActionsEnabled(ctx, r.Caller.Account, in.AlarmNames, false)
}

func (h *Handler) setAlarmState(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		AlarmName       string `json:"AlarmName"`
		StateValue      string `json:"StateValue"`
		StateReason     string `json:"StateReason"`
		StateReasonData string `json:"StateReasonData"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	return nil, h.svc.SetAlarmState(ctx, r.Caller.Account, in.AlarmName, in.StateValue, in.StateReason, in.StateReasonData)
}

func (h *Handler) tagResource(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		ResourceARN string `json:"ResourceARN"`
		Tags        []tag  `json:"Tags"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	return nil, h.svc.TagResource(ctx, r.Caller.Account, in.ResourceARN, domainTags(in.Tags))
}

func (h *Handler) untagResource(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		ResourceARN string   `json:"ResourceARN"`
		TagKeys     []string `json:"TagKeys"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	return nil, h.svc.UntagResource(ctx, r.Caller.Account, in.ResourceARN, in.TagKeys)
}

func (h *Handler) listTagsForResource(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		ResourceARN string `json:"ResourceARN"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	tags, err := h.svc.ListTagsForResource(ctx, r.Caller.Account, in.ResourceARN)
	if err != nil {
		return nil, err
	}
	out := make([]tag, len(tags))
	for i, t := range tags {
		out[i] = tag{Key: t.Key, Value: t.Value}
	}
	return map[string]any{"Tags": out}, nil
}
