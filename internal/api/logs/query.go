package logs

import (
	"context"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/logs"
	"github.com/ceap/ceap/internal/protocol"
)

// queryLanguage is the only query language ceap runs: Logs Insights QL.
const queryLanguage = "CWLI"

type startQueryIn struct {
	QueryLanguage       string   `json:"queryLanguage"`
	LogGroupName        string   `json:"logGroupName"`
	LogGroupNames       []string `json:"logGroupNames"`
	LogGroupIdentifiers []string `json:"logGroupIdentifiers"`
	StartTime           *int64   `json:"startTime"`
	EndTime             *int64   `json:"endTime"`
	QueryString         *string  `json:"queryString"`
	Limit               int      `json:"limit"`
}

type queryIDOut struct {
	QueryID string `json:"queryId"`
}

func (h *Handler) startQuery(ctx context.Context, r *protocol.Request) (any, error) {
	var in startQueryIn
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	switch {
	case in.StartTime == nil:
		return nil, awserr.MissingMember("InvalidParameterException", "startTime")
	case in.EndTime == nil:
		return nil, awserr.MissingMember("InvalidParameterException", "endTime")
	case in.QueryString == nil:
		return nil, awserr.MissingMember("InvalidParameterException", "queryString")
	}
	id, err := h.queries.StartQuery(ctx, r.Caller.Account, logs.StartQueryInput{
		Group: in.LogGroupName, Groups: in.LogGroupNames, Identifiers: in.LogGroupIdentifiers,
		StartTime: *in.StartTime, EndTime: *in.EndTime, Query: *in.QueryString, Limit: in.Limit, Language: in.QueryLanguage,
	})
	if err != nil {
		return nil, err
	}
	return queryIDOut{QueryID: id}, nil
}

type queryIDIn struct {
	QueryID   string `json:"queryId"`
	NextToken string `json:"nextToken"`
	MaxItems  int    `json:"maxItems"`
}

type resultField struct {
	Field string `json:"field"`
	Value string `json:"value"`
}

type queryStatistics struct {
	RecordsMatched   float64 `json:"recordsMatched"`
	RecordsScanned   float64 `json:"recordsScanned"`
	BytesScanned     float64 `json:"bytesScanned"`
	LogGroupsScanned float64 `json:"logGroupsScanned"`
}

type getQueryResultsOut struct {
	QueryLanguage string          `json:"queryLanguage"`
	Results       [][]resultField `json:"results"`
	Statistics    queryStatistics `json:"statistics"`
	Status        string          `json:"status"`
	NextToken     string          `json:"nextToken,omitempty"`
}

func (h *Handler) getQueryResults(ctx context.Context, r *protocol.Request) (any, error) {
	var in queryIDIn
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("queryId", in.QueryID); err != nil {
		return nil, err
	}
	if in.MaxItems < 0 || in.MaxItems > logs.MaxQueryResults {
		return nil, awserr.New("InvalidParameterException", "1 validation error detected: Value '%d' at 'maxItems' failed to satisfy constraint: Member must have value between 0 and %d", in.MaxItems, logs.MaxQueryResults)
	}
	res, err := h.queries.GetQueryResults(ctx, r.Caller.Account, in.QueryID)
	if err != nil {
		return nil, err
	}
	rows, next, err := logs.PageQueryResults(res.Rows, in.MaxItems, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := getQueryResultsOut{QueryLanguage: queryLanguage, Status: string(res.Status), Statistics: queryStatistics(res.Statistics), NextToken: next}
	out.Results = make([][]resultField, len(rows))
	for i, row := range rows {
		fs := make([]resultField, len(row))
		for j, f := range row {
			fs[j] = resultField{Field: f.Name, Value: f.Value}
		}
		out.Results[i] = fs
	}
	return out, nil
}

type successOut struct {
	Success bool `json:"success"`
}

func (h *Handler) stopQuery(ctx context.Context, r *protocol.Request) (any, error) {
	var in queryIDIn
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("queryId", in.QueryID); err != nil {
		return nil, err
	}
	ok, err := h.queries.StopQuery(ctx, r.Caller.Account, in.QueryID)
	if err != nil {
		return nil, err
	}
	return successOut{Success: ok}, nil
}

type describeQueriesIn struct {
	LogGroupName  string `json:"logGroupName"`
	Status        string `json:"status"`
	MaxResults    int    `json:"maxResults"`
	NextToken     string `json:"nextToken"`
	QueryLanguage string `json:"queryLanguage"`
}

type queryInfoOut struct {
	QueryLanguage string  `json:"queryLanguage"`
	QueryID       string  `json:"queryId"`
	QueryString   string  `json:"queryString"`
	Status        string  `json:"status"`
	CreateTime    int64   `json:"createTime"`
	LogGroupName  string  `json:"logGroupName,omitempty"`
	QueryDuration int64   `json:"queryDuration"`
	BytesScanned  float64 `json:"bytesScanned"`
}

type describeQueriesOut struct {
	Queries   []queryInfoOut `json:"queries"`
	NextToken string         `json:"nextToken,omitempty"`
}

func (h *Handler) describeQueries(ctx context.Context, r *protocol.Request) (any, error) {
	var in describeQueriesIn
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	out := describeQueriesOut{Queries: []queryInfoOut{}}
	if in.QueryLanguage != "" && in.QueryLanguage != queryLanguage {
		return out, nil // ceap runs no queries in another language
	}
	infos, next, err := h.queries.DescribeQueries(ctx, r.Caller.Account, logs.DescribeQueriesInput{
		Group: in.LogGroupName, Status: logs.QueryStatus(in.Status), MaxResults: in.MaxResults, NextToken: in.NextToken,
	})
	if err != nil {
		return nil, err
	}
	out.NextToken = next
	for _, q := range infos {
		out.Queries = append(out.Queries, queryInfoOut{QueryLanguage: queryLanguage, QueryID: q.ID, QueryString: q.Query, Status: string(q.Status),
			CreateTime: q.Created, LogGroupName: q.Group, QueryDuration: q.Duration, BytesScanned: q.BytesScanned})
	}
	return out, nil
}

type getLogRecordIn struct {
	LogRecordPointer string `json:"logRecordPointer"`
	Unmask           bool   `json:"unmask"`
}

type getLogRecordOut struct {
	LogRecord map[string]string `json:"logRecord"`
}

func (h *Handler) getLogRecord(ctx context.Context, r *protocol.Request) (any, error) {
	var in getLogRecordIn
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("logRecordPointer", in.LogRecordPointer); err != nil {
		return nil, err
	}
	rec, err := h.queries.GetLogRecord(ctx, r.Caller.Account, in.LogRecordPointer)
	if err != nil {
		return nil, err
	}
	return getLogRecordOut{LogRecord: rec}, nil
}

type putQueryDefinitionIn struct {
	QueryLanguage     string   `json:"queryLanguage"`
	Name              string   `json:"name"`
	QueryDefinitionID string   `json:"queryDefinitionId"`
	LogGroupNames     []string `json:"logGroupNames"`
	QueryString       string   `json:"queryString"`
	ClientToken       string   `json:"clientToken"`
}

type queryDefinitionIDOut struct {
	QueryDefinitionID string `json:"queryDefinitionId"`
}

func (h *Handler) putQueryDefinition(ctx context.Context, r *protocol.Request) (any, error) {
	var in putQueryDefinitionIn
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("name", in.Name); err != nil {
		return nil, err
	}
	if err := required("queryString", in.QueryString); err != nil {
		return nil, err
	}
	if in.QueryLanguage != "" && in.QueryLanguage != queryLanguage {
		return nil, awserr.NotSupported("InvalidParameterException", "The "+in.QueryLanguage+" query language")
	}
	id, err := h.queries.PutQueryDefinition(ctx, r.Caller.Account, logs.PutQueryDefinitionInput{
		ID: in.QueryDefinitionID, Name: in.Name, Query: in.QueryString, Groups: in.LogGroupNames,
	})
	if err != nil {
		return nil, err
	}
	return queryDefinitionIDOut{QueryDefinitionID: id}, nil
}

type describeQueryDefinitionsIn struct {
	QueryLanguage             string `json:"queryLanguage"`
	QueryDefinitionNamePrefix string `json:"queryDefinitionNamePrefix"`
	MaxResults                int    `json:"maxResults"`
	NextToken                 string `json:"nextToken"`
}

type queryDefinitionOut struct {
	QueryLanguage     string   `json:"queryLanguage"`
	QueryDefinitionID string   `json:"queryDefinitionId"`
	Name              string   `json:"name"`
	QueryString       string   `json:"queryString"`
	LastModified      int64    `json:"lastModified"`
	LogGroupNames     []string `json:"logGroupNames,omitempty"`
}

type describeQueryDefinitionsOut struct {
	QueryDefinitions []queryDefinitionOut `json:"queryDefinitions"`
	NextToken        string               `json:"nextToken,omitempty"`
}

func (h *Handler) describeQueryDefinitions(ctx context.Context, r *protocol.Request) (any, error) {
	var in describeQueryDefinitionsIn
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	out := describeQueryDefinitionsOut{QueryDefinitions: []queryDefinitionOut{}}
	if in.QueryLanguage != "" && in.QueryLanguage != queryLanguage {
		return out, nil
	}
	defs, next, err := h.queries.DescribeQueryDefinitions(ctx, r.Caller.Account, in.QueryDefinitionNamePrefix, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	out.NextToken = next
	for _, d := range defs {
		out.QueryDefinitions = append(out.QueryDefinitions, queryDefinitionOut{QueryLanguage: queryLanguage, QueryDefinitionID: d.ID, Name: d.Name,
			QueryString: d.Query, LastModified: d.LastModified, LogGroupNames: d.Groups})
	}
	return out, nil
}

type deleteQueryDefinitionIn struct {
	QueryDefinitionID string `json:"queryDefinitionId"`
}

func (h *Handler) deleteQueryDefinition(ctx context.Context, r *protocol.Request) (any, error) {
	var in deleteQueryDefinitionIn
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if err := required("queryDefinitionId", in.QueryDefinitionID); err != nil {
		return nil, err
	}
	if err := h.queries.DeleteQueryDefinition(ctx, r.Caller.Account, in.QueryDefinitionID); err != nil {
		return nil, err
	}
	return successOut{Success: true}, nil
}
