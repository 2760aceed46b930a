// Package postgres is the PostgreSQL ledger store, on pgx. It suits
// several gateway instances sharing one ledger.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/ledger/buckets"
	"github.com/llmgate/llmgate/internal/ledger/schema"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the key of the session advisory lock held while
// migrating, so that gateway instances starting together migrate one after
// the other. It spells "llmgate" in ASCII.
const migrationLock int64 = 0x6c6c6d67617465

// Store is a llmgate.LedgerStore in a PostgreSQL database. It is safe for
// concurrent use.
type Store struct {
	pool *pgxpool.Pool
}

var _ llmgate.LedgerStore = (*Store)(nil)

// Open connects to the database at url (a postgres:// URL or a key=value
// connection string, as pgx accepts; a search_path parameter selects the
// schema) and applies the migrations it lacks.
func Open(ctx context.Context, url string) (*Store, error) {
	return open(ctx, url, math.MaxInt)
}

// open is Open applying the migrations up to version upTo only.
func open(ctx context.Context, url string, upTo int) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's parse errors can quote the URL, password included.
		return nil, errors.New("postgres: open: invalid connection URL")
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	s := &Store{pool: pool}
	if err := s.migrate(ctx, upTo); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	return s, nil
}

// Close closes the connection pool. Using the Store afterwards returns
// errors.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// loadMigrations reads the embedded migrations, ordered by version.
func loadMigrations() ([]schema.Migration, error) { return schema.Load(migrations, "migrations") }

// migrate applies the migrations up to version upTo that
// schema_migrations does not list, each in its own transaction, while
// holding an advisory lock: a second instance starting at the same time
// waits, then finds nothing to do.
func (s *Store) migrate(ctx context.Context, upTo int) (err error) {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrating: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("taking the migration lock: %w", err)
	}
	defer func() {
		// The lock belongs to the session: release it even when ctx is done,
		// or the pooled connection would keep it.
		unlockCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if _, uerr := conn.Exec(unlockCtx, `SELECT pg_advisory_unlock($1)`, migrationLock); uerr != nil {
			conn.Conn().Close(unlockCtx) // closing the session releases the lock
			if err == nil {
				err = fmt.Errorf("releasing the migration lock: %w", uerr)
			}
		}
	}()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
	)`); err != nil {
		return fmt.Errorf("creating schema_migrations: %w", err)
	}
	var current int
	if err := conn.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("reading schema version: %w", err)
	}
	for _, m := range ms {
		if m.Version <= current || m.Version > upTo {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, m.Version)
			return err
		})
		if err != nil {
			return fmt.Errorf("applying migration %s: %w", m.Name, err)
		}
	}
	return nil
}

// columns are the ledger columns InsertRecords fills, in the order of
// recordValues.
var columns = []string{
	"ts", "correlation_id", "user_id", "client_id", "operation", "api", "provider", "model", "deployment",
	"attempt", "final", "stream", "prompt_tokens", "completion_tokens", "total_tokens", "cached_tokens",
	"cache_write_tokens", "reasoning_tokens", "estimated", "cost_input", "cost_output", "cost_total", "currency",
	"latency_us", "upstream_latency_us", "status", "error_code",
}

// InsertRecords writes rs with one COPY, which is atomic; the ledger's
// trigger adds them to the usage rollups within it.
func (s *Store) InsertRecords(ctx context.Context, rs []llmgate.Record) error {
	if len(rs) == 0 {
		return nil
	}
	n, err := s.pool.CopyFrom(ctx, pgx.Identifier{"ledger"}, columns,
		pgx.CopyFromSlice(len(rs), func(i int) ([]any, error) { return recordValues(&rs[i]), nil }))
	if err != nil {
		return fmt.Errorf("postgres: inserting %d records: %w", len(rs), err)
	}
	if n != int64(len(rs)) {
		return fmt.Errorf("postgres: inserting %d records: copied %d", len(rs), n)
	}
	return nil
}

// recordValues returns the column values of r, in the order of columns.
func recordValues(r *llmgate.Record) []any {
	var costIn, costOut, costTotal, currency any
	if c := r.Cost; c != nil {
		costIn, costOut, costTotal, currency = int64(c.Input), int64(c.Output), int64(c.Total), c.Currency
	}
	u := &r.Usage
	return []any{
		unixNano(r.Time), r.CorrelationID, r.UserID, r.ClientID, string(r.Operation), r.API,
		r.Provider, r.Model, r.Deployment,
		int32(r.Attempt), r.Final, r.Stream,
		int64(u.PromptTokens), int64(u.CompletionTokens), int64(u.TotalTokens), int64(u.CachedTokens),
		int64(u.CacheWriteTokens), int64(u.ReasoningTokens), u.Estimated,
		costIn, costOut, costTotal, currency,
		r.Latency.Microseconds(), r.UpstreamLatency.Microseconds(), int32(r.Status), string(r.ErrorCode),
	}
}

// unixNano is t in Unix nanoseconds, clamped to the range int64 holds
// (years 1678 to 2262) instead of overflowing.
func unixNano(t time.Time) int64 {
	switch {
	case t.Before(minTime):
		return math.MinInt64
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// The rollup buckets: the hourly tables count hours since the Unix epoch,
// the daily ones days, both floored.
const (
	nanosPerHour = buckets.NanosPerHour
	hoursPerDay  = buckets.HoursPerDay
)

// keyExprs are the SQL expressions each grouping groups by, in the ledger,
// an hourly rollup and a daily one. Days are floor divisions, so that times
// before 1970 fall on the right day, written without overflow: PostgreSQL's
// / truncates toward zero.
var keyExprs = map[llmgate.UsageGroup]struct{ raw, hourly, daily string }{
	llmgate.GroupClient:   {"client_id", "client_id", "client_id"},
	llmgate.GroupUser:     {"user_id", "user_id", "user_id"},
	llmgate.GroupModel:    {"provider || '/' || model", "provider || '/' || model", "provider || '/' || model"},
	llmgate.GroupProvider: {"provider", "provider", "provider"},
	llmgate.GroupDay: {
		"(ts / 86400000000000 - (ts % 86400000000000 < 0)::int)::text",
		"(bucket / 24 - (bucket % 24 < 0)::int)::text",
		"bucket::text",
	},
}

// The columns each part of a usage query yields, from the ledger and from
// a rollup. The ledger's rows are summed as the rollups sum them.
const (
	rawUsageColumns = `final::int AS requests, 1 AS attempts,
		(final AND error_code <> '')::int AS errors,
		CASE WHEN final THEN prompt_tokens ELSE 0 END AS prompt_tokens,
		CASE WHEN final THEN completion_tokens ELSE 0 END AS completion_tokens,
		CASE WHEN final THEN total_tokens ELSE 0 END AS total_tokens,
		CASE WHEN final THEN cached_tokens ELSE 0 END AS cached_tokens,
		CASE WHEN final THEN COALESCE(cost_total, 0) ELSE 0 END::numeric AS cost,
		(final AND cost_total IS NOT NULL)::int AS priced,
		(final AND cost_total IS NULL)::int AS unpriced,
		COALESCE(currency, '') AS currency`
	rollupUsageColumns = `requests, attempts, errors, prompt_tokens, completion_tokens, total_tokens,
		cached_tokens, cost, priced, unpriced, currency`
)

// Usage aggregates the records in [q.From, q.To). A zero From or To leaves
// that end of the range open. Whole days of the range are read from a daily
// rollup, whole hours from an hourly one and the rest from the ledger, and
// all are summed in one GROUP BY. Rows are ordered by Key, byte-wise (not in
// the database's collation). Costs are summed as NUMERIC, so totals are
// exact; a group whose priced requests cost more than Money holds (about
// 9.2 million units of the currency) fails with an EInternal *llmgate.Error
// rather than a wrong total, and so does a group whose priced requests mix
// currencies.
func (s *Store) Usage(ctx context.Context, q llmgate.UsageQuery) ([]llmgate.UsageRow, error) {
	keys, ok := keyExprs[q.GroupBy]
	if !ok {
		return nil, llmgate.Errorf(llmgate.EInvalidRequest, "unknown usage grouping %q", q.GroupBy)
	}
	first, last := int64(math.MinInt64), int64(math.MaxInt64)
	if !q.From.IsZero() {
		first = unixNano(q.From)
	}
	if !q.To.IsZero() {
		to := unixNano(q.To)
		if to == math.MinInt64 {
			return []llmgate.UsageRow{}, nil
		}
		last = to - 1
	}
	plan := buckets.PlanRange(first, last)
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	var parts []string
	addParts := func(spans []buckets.Span, selectFrom, column string) {
		for _, sp := range spans {
			part := selectFrom + " WHERE " + column + " >= " + arg(sp.First) + " AND " + column + " <= " + arg(sp.Last)
			if q.ClientID != "" {
				part += " AND client_id = " + arg(q.ClientID)
			}
			if q.UserID != "" {
				part += " AND user_id = " + arg(q.UserID)
			}
			parts = append(parts, part)
		}
	}
	// Queries that neither group nor filter by user read the rollups that
	// sum all users, which have far fewer rows.
	hourly, daily := "usage_hourly", "usage_daily"
	if q.GroupBy != llmgate.GroupUser && q.UserID == "" {
		hourly, daily = "usage_hourly_all_users", "usage_daily_all_users"
	}
	addParts(plan.Raw, "SELECT "+keys.raw+" AS k, "+rawUsageColumns+" FROM ledger", "ts")
	addParts(plan.Hours, "SELECT "+keys.hourly+" AS k, "+rollupUsageColumns+" FROM "+hourly, "bucket")
	addParts(plan.Days, "SELECT "+keys.daily+" AS k, "+rollupUsageColumns+" FROM "+daily, "bucket")
	out := []llmgate.UsageRow{}
	if len(parts) == 0 {
		return out, nil
	}
	query := `SELECT k, SUM(requests)::bigint, SUM(attempts)::bigint, SUM(errors)::bigint,
		SUM(prompt_tokens)::bigint, SUM(completion_tokens)::bigint, SUM(total_tokens)::bigint,
		SUM(cached_tokens)::bigint, SUM(cost)::text, SUM(unpriced)::bigint,
		MIN(currency) FILTER (WHERE priced > 0),
		MAX(currency) FILTER (WHERE priced > 0)
		FROM (` + strings.Join(parts, " UNION ALL ") + `) AS parts GROUP BY k`
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: usage: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			r              llmgate.UsageRow
			cost           string
			curMin, curMax *string
		)
		if err := rows.Scan(&r.Key, &r.Requests, &r.Attempts, &r.Errors,
			&r.PromptTokens, &r.CompletionTokens, &r.TotalTokens, &r.CachedTokens,
			&cost, &r.Unpriced, &curMin, &curMax); err != nil {
			return nil, fmt.Errorf("postgres: reading usage: %w", err)
		}
		if q.GroupBy == llmgate.GroupDay {
			day, err := strconv.ParseInt(r.Key, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("postgres: reading usage day %q: %w", r.Key, err)
			}
			r.Key = time.Unix(day*86400, 0).UTC().Format(time.DateOnly)
		}
		// The sum of picodollars is an integer; ParseInt fails exactly when
		// it leaves Money's range.
		v, err := strconv.ParseInt(cost, 10, 64)
		if err != nil {
			return nil, costOverflow(r.Key, err)
		}
		r.Cost = llmgate.Money(v)
		if deref(curMin) != deref(curMax) {
			return nil, mixedCurrencies(r.Key, deref(curMin), deref(curMax))
		}
		r.Currency = deref(curMin)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: usage: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// costOverflow is the error for a group whose cost total does not fit in
// Money.
func costOverflow(key string, err error) error {
	return &llmgate.Error{
		Code: llmgate.EInternal,
		Message: fmt.Sprintf("the cost total of usage group %q exceeds the range of Money (about 9.2 million); "+
			"query a shorter time range", key),
		Err: err,
	}
}

// mixedCurrencies is the error for a group whose priced requests were
// priced in more than one currency: their costs cannot be summed.
func mixedCurrencies(key, a, b string) error {
	return &llmgate.Error{
		Code:    llmgate.EInternal,
		Message: fmt.Sprintf("usage group %q mixes currencies %q and %q; its costs cannot be summed", key, a, b),
	}
}
