// Package cloudwatch serves the Amazon CloudWatch API (metrics, alarms, dashboards) on top of the
// alarms service, in the three protocols its clients speak: rpc-v2-cbor (the aws CLI and SDKs of
// today), awsJson 1.0 and query (older SDKs). It decodes each operation's input, calls the
// service and encodes the result; it holds no domain logic and no state. Operations ceap does
// not implement answer the not-supported error.
package cloudwatch

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/ceap/ceap/internal/alarms"
	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/protocol"
	"github.com/ceap/ceap/internal/protocol/awsmodel"
)

// Handler serves the CloudWatch API.
type Handler struct {
	svc *alarms.Service
	rpc *protocol.RPCService
}

// New returns the handler of svc.
func New(svc *alarms.Service, log *slog.Logger) (*Handler, error) {
	m, err := awsmodel.Load("cloudwatch")
	if err != nil {
		return nil, err
	}
	h := &Handler{svc: svc}
	ops := map[string]protocol.Op{
		"PutMetricData":           h.putMetricData,
		"GetMetricStatistics":     h.getMetricStatistics,
		"GetMetricData":           h.getMetricData,
		"ListMetrics":             h.listMetrics,
		"PutMetricAlarm":          h.putMetricAlarm,
		"DescribeAlarms":          h.describeAlarms,
		"DescribeAlarmsForMetric": h.describeAlarmsForMetric,
		"DescribeAlarmHistory":    h.describeAlarmHistory,
		"DeleteAlarms":            h.deleteAlarms,
		"SetAlarmState":           h.setAlarmState,
		"EnableAlarmActions":      h.enableAlarmActions,
		"DisableAlarmActions":     h.disableAlarmActions,
		"TagResource":             h.tagResource,
		"UntagResource":           h.untagResource,
		"ListTagsForResource":     h.listTagsForResource,
		"PutDashboard":            h.putDashboard,
		"GetDashboard":            h.getDashboard,
		"ListDashboards":          h.listDashboards,
		"DeleteDashboards":        h.deleteDashboards,
	}
	for name := range m.Operations {
		if _, ok := ops[name]; !ok {
			ops[name] = unsupported(name)
		}
	}
	h.rpc = &protocol.RPCService{Key: protocol.CloudWatch, Model: m, ErrorNamespace: "com.amazonaws.cloudwatch", Log: log, Ops: ops}
	return h, nil
}

// ServeAWS serves one CloudWatch request.
func (h *Handler) ServeAWS(w http.ResponseWriter, r *protocol.Request) { h.rpc.Serve(w, r) }

// WriteError writes err in the request's protocol (used by the server for failures before the
// operation runs, such as a bad signature).
func (h *Handler) WriteError(w http.ResponseWriter, r *protocol.Request, err error) {
	h.rpc.WriteError(w, r, err)
}

func unsupported(op string) protocol.Op {
	return func(ctx context.Context, r *protocol.Request) (any, error) {
		return nil, awserr.NotSupported("UnsupportedOperation", op)
	}
}

// double is a double member of an output: encoded with a decimal point (1.0, not 1), as
// CloudWatch sends doubles, so that the aws CLI prints them as it does for AWS.
type double float64

// MarshalJSON encodes d with at least one decimal.
func (d double) MarshalJSON() ([]byte, error) {
	f := float64(d)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("double %v has no JSON form", f)
	}
	b := strconv.AppendFloat(nil, f, 'g', -1, 64)
	if !bytes.ContainsAny(b, ".eE") {
		b = append(b, '.', '0')
	}
	return b, nil
}

func doubles(fs []float64) []double {
	out := make([]double, len(fs))
	for i, f := range fs {
		out[i] = double(f)
	}
	return out
}

func tm(t *protocol.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.Time()
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// metric is the Metric shape.
type metric struct {
	Namespace  string             `json:"Namespace,omitempty"`
	MetricName string             `json:"MetricName,omitempty"`
	Dimensions []alarms.Dimension `json:"Dimensions"`
}

func (m metric) domain() alarms.Metric {
	return alarms.Metric{Namespace: m.Namespace, MetricName: m.MetricName, Dimensions: m.Dimensions}
}

func wireMetric(m alarms.Metric) metric {
	return metric{Namespace: m.Namespace, MetricName: m.MetricName, Dimensions: nonNil(m.Dimensions)}
}

// metricStat is the MetricStat shape.
type metricStat struct {
	Metric metric `json:"Metric"`
	Period int    `json:"Period"`
	Stat   string `json:"Stat"`
	Unit   string `json:"Unit,omitempty"`
}

// metricDataQuery is the MetricDataQuery shape.
type metricDataQuery struct {
	ID         string      `json:"Id"`
	MetricStat *metricStat `json:"MetricStat,omitempty"`
	Expression string      `json:"Expression,omitempty"`
	Label      string      `json:"Label,omitempty"`
	ReturnData *bool       `json:"ReturnData,omitempty"`
	Period     int         `json:"Period,omitempty"`
	AccountID  string      `json:"AccountId,omitempty"`
}

func (q metricDataQuery) domain() alarms.DataQuery {
	d := alarms.DataQuery{ID: q.ID, Label: q.Label, Expression: q.Expression, ReturnData: q.ReturnData, Period: q.Period}
	if q.MetricStat != nil {
		m := q.MetricStat.Metric.domain()
		d.Metric, d.Stat, d.Unit = &m, q.MetricStat.Stat, q.MetricStat.Unit
		if q.MetricStat.Period != 0 {
			d.Period = q.MetricStat.Period
		}
	}
	return d
}

func wireQuery(q alarms.DataQuery) metricDataQuery {
	out := metricDataQuery{ID: q.ID, Label: q.Label, Expression: q.Expression, ReturnData: q.ReturnData}
	if q.Metric != nil {
		out.MetricStat = &metricStat{Metric: wireMetric(*q.Metric), Period: q.Period, Stat: q.Stat, Unit: q.Unit}
	} else {
		out.Period = q.Period
	}
	return out
}

type tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

func domainTags(tags []tag) []alarms.Tag {
	out := make([]alarms.Tag, len(tags))
	for i, t := range tags {
		out[i] = alarms.Tag{Key: t.Key, Value: t.Value}
	}
	return out
}
