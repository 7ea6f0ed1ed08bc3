package store

import "context"

// MetricStore keeps CloudWatch datapoints as one-minute statistic sets.
type MetricStore interface {
	// MetricsAdd merges each datum into the statistic set of its minute (upsert: counts and sums
	// add, min and max widen).
	MetricsAdd(ctx context.Context, p *MetricsAddParams) error
	// MetricsList returns the statistic sets of one metric (exact dimensions) in [From, To),
	// oldest first.
	MetricsList(ctx context.Context, p *MetricsListParams) ([]*MetricPoint, error)
	// MetricNamesList returns the distinct metrics (namespace, name, dimensions) of an account,
	// optionally filtered by namespace and name.
	MetricNamesList(ctx context.Context, p *MetricNamesListParams) ([]*MetricName, error)
}

// MetricPoint is one statistic set of one metric over one minute.
type MetricPoint struct {
	Account    string
	Namespace  string
	Name       string
	Dimensions string // canonical form: "Name=Value" pairs sorted by name, joined by "\n"
	Minute     int64  // Unix ms of the minute's start
	Unit       string
	Count      float64
	Sum        float64
	Min        float64
	Max        float64
}

// MetricsAddParams are the arguments of MetricsAdd.
type MetricsAddParams struct {
	Points []*MetricPoint
}

// MetricsListParams are the arguments of MetricsList.
type MetricsListParams struct {
	Account    string
	Namespace  string
	Name       string
	Dimensions string
	From, To   int64
}

// MetricName identifies one metric.
type MetricName struct {
	Namespace  string
	Name       string
	Dimensions string
}

// MetricNamesListParams are the arguments of MetricNamesList.
type MetricNamesListParams struct {
	Account   string
	Namespace string // "" for all
	Name      string // "" for all
}
