package store

import (
	"context"
	"errors"
)

// ErrLimitExceeded is returned when an insert would take an account past a bound it may not
// pass (QueryDefinitionPut with Max).
var ErrLimitExceeded = errors.New("limit exceeded")

// QueryDefinitionStore keeps the saved CloudWatch Logs Insights queries (query definitions),
// so that they survive a restart and every node sharing the database sees the same ones.
type QueryDefinitionStore interface {
	// QueryDefinitionPut inserts p.Row, or with p.Update replaces the definition of that ID.
	// An insert fails with ErrAlreadyExists when the ID is taken and, when p.Max > 0, with
	// ErrLimitExceeded when the account already holds p.Max definitions (counted and inserted
	// atomically). An update fails with ErrNotFound when the ID is missing or another account's.
	QueryDefinitionPut(ctx context.Context, p *QueryDefinitionPutParams) error
	// QueryDefinitionGet returns a definition of account; ErrNotFound when missing or another
	// account's.
	QueryDefinitionGet(ctx context.Context, account, id string) (*QueryDefinitionRow, error)
	// QueryDefinitionList returns up to Limit definitions of Account whose name starts with
	// Prefix and whose (name, ID) comes after (AfterName, AfterID), ordered by name then ID
	// (byte order).
	QueryDefinitionList(ctx context.Context, p *QueryDefinitionListParams) ([]*QueryDefinitionRow, error)
	// QueryDefinitionDelete removes a definition of account; ErrNotFound when missing or another
	// account's.
	QueryDefinitionDelete(ctx context.Context, account, id string) error
	// QueryDefinitionCount returns how many definitions account holds.
	QueryDefinitionCount(ctx context.Context, account string) (int, error)
}

// QueryDefinitionRow is one saved query.
type QueryDefinitionRow struct {
	ID           string
	Account      string
	Name         string
	Query        string
	LogGroups    []byte // JSON array of log group names
	LastModified int64  // Unix milliseconds
}

// QueryDefinitionPutParams are the arguments of QueryDefinitionPut.
type QueryDefinitionPutParams struct {
	Row    *QueryDefinitionRow
	Update bool // replace the existing definition Row.ID of Row.Account instead of inserting
	Max    int  // when > 0, the most definitions an account may hold (inserts only)
}

// QueryDefinitionListParams are the arguments of QueryDefinitionList.
type QueryDefinitionListParams struct {
	Account   string
	Prefix    string
	AfterName string // with AfterID, the key of the last definition of the previous page
	AfterID   string
	Limit     int // <= 0: no limit
}
