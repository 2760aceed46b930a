package llmgate

import (
	"context"
	"time"
)

// Operation is the kind of request a ledger record is about.
type Operation string

// The operations the gateway records.
const (
	OpChat      Operation = "chat"
	OpEmbedding Operation = "embedding"
	OpImage     Operation = "image"
)

// Record is one row of the ledger: one upstream attempt, or one request that
// failed before reaching an upstream.
type Record struct {
	Time          time.Time
	CorrelationID string
	UserID        string
	ClientID      string
	Operation     Operation
	// API is the surface the request came in on: "native", "openai", "anthropic".
	API        string
	Provider   string
	Model      string
	Deployment string
	// Attempt numbers the upstream calls of one request from 1; Final marks
	// the attempt whose outcome the client saw.
	Attempt int
	Final   bool
	Stream  bool
	Usage   Usage
	// Cost is nil when the model is unpriced; a priced free call has a
	// non-nil zero Cost.
	Cost            *Cost
	Latency         time.Duration
	UpstreamLatency time.Duration
	// Status is the HTTP status the client got (or would have got).
	Status    int
	ErrorCode ErrorCode
}

// Ledger accepts records without blocking the request that produced them.
type Ledger interface {
	Record(r Record)
}

// LedgerStore is the durable side of the ledger.
type LedgerStore interface {
	// InsertRecords writes a batch of records in one transaction.
	InsertRecords(ctx context.Context, rs []Record) error
	// Usage aggregates records over a time range.
	Usage(ctx context.Context, q UsageQuery) ([]UsageRow, error)
	Close() error
}

// UsageGroup is the dimension usage totals are grouped by.
type UsageGroup string

// The groupings of usage totals.
const (
	GroupClient   UsageGroup = "client"
	GroupUser     UsageGroup = "user"
	GroupModel    UsageGroup = "model"
	GroupProvider UsageGroup = "provider"
	GroupDay      UsageGroup = "day"
)

// UsageQuery selects ledger records in [From, To) and groups them.
type UsageQuery struct {
	From, To time.Time
	GroupBy  UsageGroup
	// ClientID and UserID, when not empty, keep only that client's or user's records.
	ClientID string
	UserID   string
}

// UsageRow is the totals of one group. Requests counts client requests (final
// attempts); Attempts counts every upstream call.
type UsageRow struct {
	Key              string
	Requests         int64
	Attempts         int64
	Errors           int64
	PromptTokens     int64
	CompletionTokens int64
	TotalTokens      int64
	CachedTokens     int64
	// Cost sums the priced requests; Unpriced counts the others.
	Cost     Money
	Currency string
	Unpriced int64
}
