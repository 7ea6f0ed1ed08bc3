package cloudwatch

import (
	"context"

	"github.com/ceap/ceap/internal/alarms"
	"github.com/ceap/ceap/internal/protocol"
)

type statisticSet struct {
	SampleCount float64 `json:"SampleCount"`
	Sum         float64 `json:"Sum"`
	Minimum     float64 `json:"Minimum"`
	Maximum     float64 `json:"Maximum"`
}

func (h *Handler) putMetricData(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		Namespace  string `json:"Namespace"`
		MetricData []struct {
			MetricName        string              `json:"MetricName"`
			Dimensions        []alarms.Dimension  `json:"Dimensions"`
			Timestamp         *protocol.Timestamp `json:"Timestamp"`
			Value             *float64            `json:"Value"`
			StatisticValues   *statisticSet       `json:"StatisticValues"`
			Values            []float64           `json:"Values"`
			Counts            []float64           `json:"Counts"`
			Unit              string              `json:"Unit"`
			StorageResolution *int                `json:"StorageResolution"`
		} `json:"MetricData"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	data := make([]alarms.Datum, len(in.MetricData))
	for i, d := range in.MetricData {
		data[i] = alarms.Datum{MetricName: d.MetricName, Dimensions: d.Dimensions, Timestamp: tm(d.Timestamp), Value: d.Value,
			Values: d.Values, Counts: d.Counts, Unit: d.Unit, StorageResolution: d.StorageResolution}
		if sv := d.StatisticValues; sv != nil {
			data[i].StatisticValues = &alarms.StatisticSet{SampleCount: sv.SampleCount, Sum: sv.Sum, Minimum: sv.Minimum, Maximum: sv.Maximum}
		}
	}
	return nil, h.svc.PutMetricData(ctx, r.Caller.Account, in.Namespace, data)
}

func (h *Handler) getMetricStatistics(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		Namespace          string              `json:"Namespace"`
		MetricName         string              `json:"MetricName"`
		Dimensions         []alarms.Dimension  `json:"Dimensions"`
		StartTime          *protocol.Timestamp `json:"StartTime"`
		EndTime            *protocol.Timestamp `json:"EndTime"`
		Period             int                 `json:"Period"`
		Statistics         []string            `json:"Statistics"`
		ExtendedStatistics []string            `json:"ExtendedStatistics"`
		Unit               string              `json:"Unit"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	dps, err := h.svc.GetMetricStatistics(ctx, r.Caller.Account, alarms.StatisticsQuery{
		Metric:    alarms.Metric{Namespace: in.Namespace, MetricName: in.MetricName, Dimensions: in.Dimensions},
		StartTime: tm(in.StartTime), EndTime: tm(in.EndTime), Period: in.Period, Statistics: in.Statistics, ExtendedStatistics: in.ExtendedStatistics, Unit: in.Unit})
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, len(dps))
	for i, dp := range dps {
		m := map[string]any{"Timestamp": protocol.TS(dp.Timestamp), "Unit": dp.Unit}
		for k, v := range dp.Values {
			m[k] = double(v)
		}
		out[i] = m
	}
	return map[string]any{"Label": in.MetricName, "Datapoints": out}, nil
}

func (h *Handler) getMetricData(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		MetricDataQueries []metricDataQuery   `json:"MetricDataQueries"`
		StartTime         *protocol.Timestamp `json:"StartTime"`
		EndTime           *protocol.Timestamp `json:"EndTime"`
		NextToken         string              `json:"NextToken"`
		ScanBy            string              `json:"ScanBy"`
		MaxDatapoints     int                 `json:"MaxDatapoints"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	qs := make([]alarms.DataQuery, len(in.MetricDataQueries))
	for i, q := range in.MetricDataQueries {
		qs[i] = q.domain()
	}
	res, next, err := h.svc.GetMetricData(ctx, r.Caller.Account, alarms.DataRequest{Queries: qs, StartTime: tm(in.StartTime), EndTime: tm(in.EndTime),
		ScanBy: in.ScanBy, MaxDatapoints: in.MaxDatapoints, NextToken: in.NextToken})
	if err != nil {
		return nil, err
	}
	type result struct {
		ID         string                `json:"Id"`
		Label      string                `json:"Label"`
		Timestamps []*protocol.Timestamp `json:"Timestamps"`
		Values     []double              `json:"Values"`
		StatusCode string                `json:"StatusCode"`
	}
	out := make([]result, len(res))
	for i, d := range res {
		ts := make([]*protocol.Timestamp, len(d.Timestamps))
		for j, t := range d.Timestamps {
			ts[j] = protocol.TS(t)
		}
		out[i] = result{ID: d.ID, Label: d.Label, Timestamps: ts, Values: doubles(d.Values), StatusCode: d.StatusCode}
	}
	answer := map[string]any{"MetricDataResults": out, "Messages": []any{}}
	if next != "" {
		answer["NextToken"] = next
	}
	return answer, nil
}

func (h *Handler) listMetrics(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		Namespace  string `json:"Namespace"`
		MetricName string `json:"MetricName"`
		Dimensions []struct {
			Name  string  `json:"Name"`
			Value *string `json:"Value"`
		} `json:"Dimensions"`
		NextToken      string `json:"NextToken"`
		RecentlyActive string `json:"RecentlyActive"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	filters := make([]alarms.DimensionFilter, len(in.Dimensions))
	for i, d := range in.Dimensions {
		filters[i] = alarms.DimensionFilter{Name: d.Name, Value: d.Value}
	}
	list, next, err := h.svc.ListMetrics(ctx, r.Caller.Account, alarms.ListMetricsQuery{Namespace: in.Namespace, MetricName: in.MetricName,
		Dimensions: filters, RecentlyActive: in.RecentlyActive, NextToken: in.NextToken})
	if err != nil {
		return nil, err
	}
	out := make([]metric, len(list))
	for i, m := range list {
		out[i] = wireMetric(m)
	}
	res := map[string]any{"Metrics": out}
	if next != "" {
		res["NextToken"] = next
	}
	return res, nil
}
