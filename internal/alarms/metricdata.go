package alarms

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/metrics"
	"github.com/ceap/ceap/internal/store"
)

// AWS limits of the metrics API.
const (
	// MaxDatums is PutMetricData's limit of 1,000 metrics per request.
	MaxDatums = 1000
	// MaxDimensions is CloudWatch's limit of 30 dimensions per metric.
	MaxDimensions = 30
	// MaxValues is PutMetricData's limit of 150 values in a datum's Values array.
	MaxValues = 150
	// MaxNameLength bounds namespaces, metric names and dimension names (255 characters).
	MaxNameLength = 255
	// MaxDimensionValueLength bounds dimension values (1,024 characters).
	MaxDimensionValueLength = 1024
	// MaxDatapoints is GetMetricStatistics' limit of 1,440 datapoints per call.
	MaxDatapoints = 1440
	// MaxStatistics is the most Statistics (and ExtendedStatistics) one call may name (5).
	MaxStatistics = 5
	// MaxMetricDataQueries is GetMetricData's limit of 500 queries per call.
	MaxMetricDataQueries = 500
	// DefaultMaxDatapoints is GetMetricData's default MaxDatapoints (100,800).
	DefaultMaxDatapoints = 100800
	// ListMetricsPage is how many metrics ListMetrics returns per page (500).
	ListMetricsPage = 500
	// maxPastData is how old a datapoint PutMetricData accepts (two weeks).
	maxPastData = 14 * 24 * time.Hour
	// maxFutureData is how far ahead a datapoint PutMetricData accepts (two hours).
	maxFutureData = 2 * time.Hour
	// minValue and maxValue bound the magnitude of a metric value (CloudWatch rejects values
	// outside 8.515920e-109 .. 1.174271e+108 other than zero).
	minValue = 8.515920e-109
	maxValue = 1.174271e+108
)

// The statistics CloudWatch computes.
const (
	SampleCount = "SampleCount"
	Average     = "Average"
	Sum         = "Sum"
	Minimum     = "Minimum"
	Maximum     = "Maximum"
)

func isStatistic(s string) bool {
	switch s {
	case SampleCount, Average, Sum, Minimum, Maximum:
		return true
	}
	return false
}

// units are CloudWatch's StandardUnit values.
func isUnit(u string) bool {
	switch u {
	case "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
		"Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second", "Kilobytes/Second",
		"Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
		"Gigabits/Second", "Terabits/Second", "Count/Second", "None":
		return true
	}
	return false
}

// Dimension is a metric's dimension.
type Dimension = metrics.Dimension

// Metric names one metric.
type Metric struct {
	Namespace  string
	MetricName string
	Dimensions []Dimension
}

// StatisticSet is a datum given as its statistics.
type StatisticSet struct {
	SampleCount, Sum, Minimum, Maximum float64
}

// Datum is one entry of PutMetricData.
type Datum struct {
	MetricName        string
	Dimensions        []Dimension
	Timestamp         time.Time // zero: now
	Value             *float64
	StatisticValues   *StatisticSet
	Values            []float64
	Counts            []float64
	Unit              string
	StorageResolution *int
}

func invalidValue(format string, args ...any) error {
	return awserr.New("InvalidParameterValueException", format, args...)
}

func invalidCombination(format string, args ...any) error {
	return awserr.New("InvalidParameterCombinationException", format, args...)
}

func missingParameter(name string) error {
	return awserr.New("MissingRequiredParameterException", "The parameter %s is required.", name)
}

func validationError(format string, args ...any) error {
	return awserr.New("ValidationError", format, args...)
}

func checkValue(v float64, name string) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return invalidValue("The value %v for parameter %s is invalid.", v, name)
	}
	if a := math.Abs(v); a != 0 && (a < minValue || a > maxValue) {
		return invalidValue("The value %v for parameter %s is invalid.", v, name)
	}
	return nil
}

func checkDimensions(dims []Dimension, prefix string) error {
	if len(dims) > MaxDimensions {
		return invalidValue("The collection %s must not have a size greater than %d.", prefix, MaxDimensions)
	}
	seen := map[string]bool{}
	for i, d := range dims {
		p := fmt.Sprintf("%s.member.%d", prefix, i+1)
		if d.Name == "" || len(d.Name) > MaxNameLength {
			return invalidValue("The parameter %s.Name must be a value between 1 and %d characters long.", p, MaxNameLength)
		}
		if d.Value == "" || len(d.Value) > MaxDimensionValueLength {
			return invalidValue("The parameter %s.Value must be a value between 1 and %d characters long.", p, MaxDimensionValueLength)
		}
		if seen[d.Name] {
			return invalidCombination("No metric may have the same dimension name (%s) twice.", d.Name)
		}
		seen[d.Name] = true
	}
	return nil
}

// PutMetricData validates the data as CloudWatch does and stores it, merged into one-minute
// statistic sets, before it returns.
func (s *Service) PutMetricData(ctx context.Context, account, namespace string, data []Datum) error {
	if namespace == "" {
		return missingParameter("Namespace")
	}
	if len(namespace) > MaxNameLength {
		return invalidValue("The parameter Namespace must be a value between 1 and %d characters long.", MaxNameLength)
	}
	if strings.HasPrefix(namespace, "AWS/") {
		return invalidValue("The value AWS/ for parameter Namespace is invalid.")
	}
	if len(data) == 0 {
		return missingParameter("MetricData")
	}
	if len(data) > MaxDatums {
		return invalidValue("The collection MetricData must not have a size greater than %d.", MaxDatums)
	}
	now := s.cfg.Clock.Now()
	merged := map[string]*store.MetricPoint{}
	var order []string
	for i, d := range data {
		p := fmt.Sprintf("MetricData.member.%d", i+1)
		pt, err := datumPoint(d, p, now)
		if err != nil {
			return err
		}
		pt.Account, pt.Namespace = account, namespace
		k := pt.Name + "\x00" + pt.Dimensions + "\x00" + fmt.Sprint(pt.Minute)
		if m, ok := merged[k]; ok {
			m.Count += pt.Count
			m.Sum += pt.Sum
			m.Min = math.Min(m.Min, pt.Min)
			m.Max = math.Max(m.Max, pt.Max)
			continue
		}
		merged[k] = pt
		order = append(order, k)
	}
	pts := make([]*store.MetricPoint, 0, len(order))
	for _, k := range order {
		pts = append(pts, merged[k])
	}
	if err := s.cfg.Store.MetricsAdd(ctx, &store.MetricsAddParams{Points: pts}); err != nil {
		return fmt.Errorf("put metric data: %w", err)
	}
	return nil
}

// datumPoint validates one datum and turns it into the statistic set of its minute.
func datumPoint(d Datum, p string, now time.Time) (*store.MetricPoint, error) {
	if d.MetricName == "" {
		return nil, missingParameter(p + ".MetricName")
	}
	if len(d.MetricName) > MaxNameLength {
		return nil, invalidValue("The parameter %s.MetricName must be a value between 1 and %d characters long.", p, MaxNameLength)
	}
	if err := checkDimensions(d.Dimensions, p+".Dimensions"); err != nil {
		return nil, err
	}
	if d.Unit != "" && !isUnit(d.Unit) {
		return nil, invalidValue("The value %s for parameter %s.Unit is invalid.", d.Unit, p)
	}
	if d.StorageResolution != nil && *d.StorageResolution != 1 && *d.StorageResolution != 60 {
		return nil, invalidValue("The value %d for parameter %s.StorageResolution is invalid. Valid values are 1 and 60.", *d.StorageResolution, p)
	}
	ts := d.Timestamp
	if ts.IsZero() {
		ts = now
	}
	if ts.Before(now.Add(-maxPastData)) {
		return nil, invalidValue("The parameter %s.Timestamp must specify a time no more than two weeks in the past.", p)
	}
	if ts.After(now.Add(maxFutureData)) {
		return nil, invalidValue("The parameter %s.Timestamp must specify a time no more than two hours in the future.", p)
	}
	set := 0
	for _, has := range []bool{d.Value != nil, d.StatisticValues != nil, d.Values != nil} {
		if has {
			set++
		}
	}
	switch {
	case d.Value != nil && d.StatisticValues != nil:
		return nil, invalidCombination("The parameters %s.Value and %s.StatisticValues are mutually exclusive and you have specified both.", p, p)
	case d.Value != nil && d.Values != nil:
		return nil, invalidCombination("The parameters %s.Value and %s.Values are mutually exclusive and you have specified both.", p, p)
	case d.StatisticValues != nil && d.Values != nil:
		return nil, invalidCombination("The parameters %s.StatisticValues and %s.Values are mutually exclusive and you have specified both.", p, p)
	case set == 0:
		return nil, invalidCombination("At least one of the parameters %s.Value, %s.StatisticValues, or %s.Values must be specified.", p, p, p)
	}
	pt := &store.MetricPoint{Name: d.MetricName, Dimensions: metrics.CanonicalDimensions(d.Dimensions), Minute: ts.Truncate(time.Minute).UnixMilli(), Unit: d.Unit}
	switch {
	case d.Value != nil:
		if err := checkValue(*d.Value, p+".Value"); err != nil {
			return nil, err
		}
		pt.Count, pt.Sum, pt.Min, pt.Max = 1, *d.Value, *d.Value, *d.Value
	case d.StatisticValues != nil:
		sv := d.StatisticValues
		for name, v := range map[string]float64{"SampleCount": sv.SampleCount, "Sum": sv.Sum, "Minimum": sv.Minimum, "Maximum": sv.Maximum} {
			if err := checkValue(v, p+".StatisticValues."+name); err != nil {
				return nil, err
			}
		}
		if sv.SampleCount <= 0 {
			return nil, invalidValue("The parameter %s.StatisticValues.SampleCount must be greater than 0.", p)
		}
		if sv.Minimum > sv.Maximum {
			return nil, invalidValue("The parameter %s.StatisticValues.Maximum must be greater than %s.StatisticValues.Minimum.", p, p)
		}
		pt.Count, pt.Sum, pt.Min, pt.Max = sv.SampleCount, sv.Sum, sv.Minimum, sv.Maximum
	default:
		if len(d.Values) > MaxValues {
			return nil, invalidValue("The collection %s.Values must not have a size greater than %d.", p, MaxValues)
		}
		if d.Counts != nil && len(d.Counts) != len(d.Values) {
			return nil, invalidCombination("The parameters %s.Values and %s.Counts must be of the same size.", p, p)
		}
		pt.Min, pt.Max = math.Inf(1), math.Inf(-1)
		for i, v := range d.Values {
			if err := checkValue(v, fmt.Sprintf("%s.Values.member.%d", p, i+1)); err != nil {
				return nil, err
			}
			c := 1.0
			if d.Counts != nil {
				c = d.Counts[i]
				if math.IsNaN(c) || c < 0 {
					return nil, invalidValue("The value %v for parameter %s.Counts.member.%d is invalid.", c, p, i+1)
				}
			}
			pt.Count += c
			pt.Sum += v * c
			pt.Min, pt.Max = math.Min(pt.Min, v), math.Max(pt.Max, v)
		}
		if pt.Count == 0 {
			return nil, invalidValue("The parameter %s.Values must contain at least one value with a count greater than 0.", p)
		}
	}
	return pt, nil
}

// Stats is the statistic set of one period.
type Stats struct {
	Count, Sum, Min, Max float64
	Unit                 string
}

// Value returns one statistic of the set.
func (st *Stats) Value(stat string) float64 {
	switch stat {
	case SampleCount:
		return st.Count
	case Sum:
		return st.Sum
	case Minimum:
		return st.Min
	case Maximum:
		return st.Max
	default:
		return st.Sum / st.Count
	}
}

func (st *Stats) add(p *store.MetricPoint) {
	if st.Count == 0 {
		st.Min, st.Max = p.Min, p.Max
	} else {
		st.Min, st.Max = math.Min(st.Min, p.Min), math.Max(st.Max, p.Max)
	}
	st.Count += p.Count
	st.Sum += p.Sum
	if st.Unit == "" {
		st.Unit = p.Unit
	}
}

// series returns the statistic sets of a metric in periods of period starting at from, up to
// to, keyed by the period's start (Unix ms). Only points of unit (when set) count.
func (s *Service) series(ctx context.Context, account string, m Metric, unit string, from, to time.Time, period time.Duration) (map[int64]*Stats, error) {
	pts, err := s.cfg.Store.MetricsList(ctx, &store.MetricsListParams{Account: account, Namespace: m.Namespace, Name: m.MetricName,
		Dimensions: metrics.CanonicalDimensions(m.Dimensions), From: from.UnixMilli(), To: to.UnixMilli()})
	if err != nil {
		return nil, fmt.Errorf("read metric %s/%s: %w", m.Namespace, m.MetricName, err)
	}
	out := map[int64]*Stats{}
	base, step := from.UnixMilli(), period.Milliseconds()
	for _, p := range pts {
		if unit != "" && p.Unit != unit && !(unit == "None" && p.Unit == "") {
			continue
		}
		start := base + (p.Minute-base)/step*step
		st := out[start]
		if st == nil {
			st = &Stats{}
			out[start] = st
		}
		st.add(p)
	}
	return out, nil
}

// StatisticsQuery is the input of GetMetricStatistics.
type StatisticsQuery struct {
	Metric
	StartTime, EndTime time.Time
	Period             int
	Statistics         []string
	ExtendedStatistics []string
	Unit               string
}

// Datapoint is one period's statistics.
type Datapoint struct {
	Timestamp time.Time
	Values    map[string]float64
	Unit      string
}

func checkPeriod(period int, name string) error {
	if period <= 0 {
		return invalidValue("The parameter %s must be greater than 0.", name)
	}
	if period%60 != 0 {
		// One-second, five-second, ten-second and thirty-second periods need high-resolution
		// storage; ceap keeps one-minute statistic sets.
		return invalidValue("The parameter %s must be a multiple of 60.", name)
	}
	return nil
}

// GetMetricStatistics answers a statistics query from the stored one-minute sets. Percentiles
// (ExtendedStatistics) need every value, which the statistic sets do not keep: they are refused
// as not supported.
func (s *Service) GetMetricStatistics(ctx context.Context, account string, q StatisticsQuery) ([]Datapoint, error) {
	switch {
	case q.Namespace == "":
		return nil, missingParameter("Namespace")
	case q.MetricName == "":
		return nil, missingParameter("MetricName")
	case q.StartTime.IsZero():
		return nil, missingParameter("StartTime")
	case q.EndTime.IsZero():
		return nil, missingParameter("EndTime")
	case q.Period == 0:
		return nil, missingParameter("Period")
	}
	if err := checkDimensions(q.Dimensions, "Dimensions"); err != nil {
		return nil, err
	}
	if len(q.Statistics) == 0 && len(q.ExtendedStatistics) == 0 {
		return nil, invalidCombination("Must specify either Statistics or ExtendedStatistics, but not both.")
	}
	if len(q.Statistics) > MaxStatistics {
		return nil, invalidValue("The collection Statistics must not have a size greater than %d.", MaxStatistics)
	}
	for _, st := range q.Statistics {
		if !isStatistic(st) {
			return nil, validationError("1 validation error detected: Value '[%s]' at 'statistics' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [Maximum, SampleCount, Sum, Minimum, Average]]", st)
		}
	}
	if len(q.ExtendedStatistics) > 0 {
		return nil, awserr.NotSupported("InvalidParameterCombinationException", "ExtendedStatistics (percentiles need every value; ceap keeps one-minute statistic sets)")
	}
	if q.Unit != "" && !isUnit(q.Unit) {
		return nil, invalidValue("The value %s for parameter Unit is invalid.", q.Unit)
	}
	if err := checkPeriod(q.Period, "Period"); err != nil {
		return nil, err
	}
	start := q.StartTime.Truncate(time.Minute)
	if !start.Before(q.EndTime) {
		return nil, invalidValue("The parameter StartTime must be less than the parameter EndTime.")
	}
	period := time.Duration(q.Period) * time.Second
	if n := int64((q.EndTime.Sub(start) + period - 1) / period); n > MaxDatapoints {
		return nil, invalidCombination("You have requested up to %d datapoints, which exceeds the limit of %d. You may reduce the datapoints requested by increasing Period, or decreasing the time range.", n, MaxDatapoints)
	}
	sets, err := s.series(ctx, account, q.Metric, q.Unit, start, q.EndTime, period)
	if err != nil {
		return nil, err
	}
	keys := make([]int64, 0, len(sets))
	for k := range sets {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]Datapoint, 0, len(keys))
	for _, k := range keys {
		st := sets[k]
		dp := Datapoint{Timestamp: time.UnixMilli(k).UTC(), Values: map[string]float64{}, Unit: st.Unit}
		if dp.Unit == "" {
			dp.Unit = "None"
		}
		for _, name := range q.Statistics {
			dp.Values[name] = st.Value(name)
		}
		out = append(out, dp)
	}
	return out, nil
}

// DataQuery is one query of GetMetricData.
type DataQuery struct {
	ID         string
	Label      string
	Expression string
	Metric     *Metric
	Period     int
	Stat       string
	Unit       string
	ReturnData *bool
}

// DataResult is the result of one query of GetMetricData.
type DataResult struct {
	ID         string
	Label      string
	Timestamps []time.Time
	Values     []float64
	StatusCode string
}

// DataRequest is the input of GetMetricData.
type DataRequest struct {
	Queries            []DataQuery
	StartTime, EndTime time.Time
	ScanBy             string
	MaxDatapoints      int
	// NextToken continues a call that answered PartialData: the same queries, from the first
	// datapoint the previous page did not return.
	NextToken string
}

// GetMetricData answers MetricStat queries from the stored one-minute sets, at most
// MaxDatapoints datapoints a call: a result cut short answers PartialData and the call a
// NextToken, as CloudWatch does. Metric math expressions and percentile statistics are refused
// as not supported.
func (s *Service) GetMetricData(ctx context.Context, account string, in DataRequest) ([]DataResult, string, error) {
	if len(in.Queries) == 0 {
		return nil, "", missingParameter("MetricDataQueries")
	}
	if len(in.Queries) > MaxMetricDataQueries {
		return nil, "", validationError("The collection MetricDataQueries must not have a size greater than %d.", MaxMetricDataQueries)
	}
	if in.StartTime.IsZero() || in.EndTime.IsZero() {
		return nil, "", missingParameter("StartTime")
	}
	if !in.StartTime.Before(in.EndTime) {
		return nil, "", validationError("The parameter StartTime must be less than the parameter EndTime.")
	}
	if in.ScanBy != "" && in.ScanBy != "TimestampDescending" && in.ScanBy != "TimestampAscending" {
		return nil, "", validationError("1 validation error detected: Value '%s' at 'scanBy' failed to satisfy constraint: Member must satisfy enum value set: [TimestampDescending, TimestampAscending]", in.ScanBy)
	}
	maxPoints := in.MaxDatapoints
	if maxPoints <= 0 {
		maxPoints = DefaultMaxDatapoints
	}
	skip, err := decodeDataToken(in.NextToken)
	if err != nil {
		return nil, "", err
	}
	ids := map[string]bool{}
	var out []DataResult
	seen, total := 0, 0 // datapoints passed over (returned on earlier pages or this one), returned here
	for i, q := range in.Queries {
		if q.ID == "" {
			return nil, "", missingParameter(fmt.Sprintf("MetricDataQueries.member.%d.Id", i+1))
		}
		if ids[q.ID] {
			return nil, "", validationError("The value %s for parameter MetricDataQueries.member.%d.Id is duplicated.", q.ID, i+1)
		}
		ids[q.ID] = true
		if q.Expression != "" {
			return nil, "", awserr.NotSupported("ValidationError", "Metric math and Metrics Insights expressions")
		}
		if q.Metric == nil {
			return nil, "", validationError("Exactly one element of the MetricStat or the Expression must be set for MetricDataQueries.member.%d.", i+1)
		}
		if q.ReturnData != nil && !*q.ReturnData {
			continue
		}
		if !isStatistic(q.Stat) {
			return nil, "", awserr.NotSupported("ValidationError", fmt.Sprintf("The statistic %q (ceap computes SampleCount, Average, Sum, Minimum and Maximum)", q.Stat))
		}
		if err := checkPeriod(q.Period, fmt.Sprintf("MetricDataQueries.member.%d.MetricStat.Period", i+1)); err != nil {
			return nil, "", err
		}
		period := time.Duration(q.Period) * time.Second
		start := in.StartTime.Truncate(time.Minute)
		sets, err := s.series(ctx, account, *q.Metric, q.Unit, start, in.EndTime, period)
		if err != nil {
			return nil, "", err
		}
		keys := make([]int64, 0, len(sets))
		for k := range sets {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(a, b int) bool {
			if in.ScanBy == "TimestampAscending" {
				return keys[a] < keys[b]
			}
			return keys[a] > keys[b]
		})
		if seen+len(keys) <= skip && (len(keys) > 0 || seen < skip) {
			seen += len(keys) // every datapoint went out on an earlier page
			continue
		}
		r := DataResult{ID: q.ID, Label: q.Label, StatusCode: "Complete", Timestamps: []time.Time{}, Values: []float64{}}
		if r.Label == "" {
			r.Label = q.Metric.MetricName
		}
		for _, k := range keys {
			if seen < skip {
				seen++
				continue
			}
			if total == maxPoints {
				r.StatusCode = "PartialData"
				break
			}
			r.Timestamps = append(r.Timestamps, time.UnixMilli(k).UTC())
			r.Values = append(r.Values, sets[k].Value(q.Stat))
			seen++
			total++
		}
		out = append(out, r)
		if r.StatusCode == "PartialData" {
			return out, encodeToken(dataTokenPrefix + strconv.Itoa(seen)), nil
		}
	}
	return out, "", nil
}

// dataTokenPrefix starts a GetMetricData NextToken; the rest is the number of datapoints
// already returned.
const dataTokenPrefix = "data:"

func decodeDataToken(token string) (int, error) {
	key, err := decodeToken(token)
	if err != nil || key == "" {
		return 0, err
	}
	n, convErr := strconv.Atoi(strings.TrimPrefix(key, dataTokenPrefix))
	if !strings.HasPrefix(key, dataTokenPrefix) || convErr != nil || n < 0 {
		return 0, awserr.New("InvalidNextToken", "The service couldn't process your request because the next token is invalid.")
	}
	return n, nil
}

// DimensionFilter filters ListMetrics by a dimension's name and, when set, its value.
type DimensionFilter struct {
	Name  string
	Value *string
}

// ListMetricsQuery is the input of ListMetrics.
type ListMetricsQuery struct {
	Namespace      string
	MetricName     string
	Dimensions     []DimensionFilter
	RecentlyActive string
	NextToken      string
}

// recentlyActive is ListMetrics' only RecentlyActive window (PT3H).
const recentlyActive = 3 * time.Hour

// ListMetrics lists an account's metrics, 500 a page.
func (s *Service) ListMetrics(ctx context.Context, account string, q ListMetricsQuery) ([]Metric, string, error) {
	if q.RecentlyActive != "" && q.RecentlyActive != "PT3H" {
		return nil, "", invalidValue("The value %s for parameter RecentlyActive is invalid.", q.RecentlyActive)
	}
	if len(q.Dimensions) > 10 { // DimensionFilters: at most 10
		return nil, "", invalidValue("The collection Dimensions must not have a size greater than 10.")
	}
	names, err := s.cfg.Store.MetricNamesList(ctx, &store.MetricNamesListParams{Account: account, Namespace: q.Namespace, Name: q.MetricName})
	if err != nil {
		return nil, "", fmt.Errorf("list metrics: %w", err)
	}
	after, err := decodeToken(q.NextToken)
	if err != nil {
		return nil, "", err
	}
	now := s.cfg.Clock.Now()
	var out []Metric
	next := ""
	for _, n := range names {
		key := n.Namespace + "\x00" + n.Name + "\x00" + n.Dimensions
		if after != "" && key <= after {
			continue
		}
		dims := metrics.ParseDimensions(n.Dimensions)
		if !matchDimensions(dims, q.Dimensions) {
			continue
		}
		if q.RecentlyActive != "" {
			pts, err := s.cfg.Store.MetricsList(ctx, &store.MetricsListParams{Account: account, Namespace: n.Namespace, Name: n.Name, Dimensions: n.Dimensions,
				From: now.Add(-recentlyActive).UnixMilli(), To: now.Add(time.Minute).UnixMilli()})
			if err != nil {
				return nil, "", fmt.Errorf("list metrics: %w", err)
			}
			if len(pts) == 0 {
				continue
			}
		}
		if len(out) == ListMetricsPage {
			next = encodeToken(out[len(out)-1].key())
			break
		}
		out = append(out, Metric{Namespace: n.Namespace, MetricName: n.Name, Dimensions: dims})
	}
	return out, next, nil
}

func (m Metric) key() string {
	return m.Namespace + "\x00" + m.MetricName + "\x00" + metrics.CanonicalDimensions(m.Dimensions)
}

func matchDimensions(dims []Dimension, filters []DimensionFilter) bool {
	for _, f := range filters {
		found := false
		for _, d := range dims {
			if d.Name == f.Name && (f.Value == nil || *f.Value == d.Value) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
