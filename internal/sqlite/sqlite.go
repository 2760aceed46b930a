// Package sqlite is the SQLite ledger store, on the pure-Go driver
// modernc.org/sqlite. It is the default store: a single file next to the
// gateway, in WAL mode.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/ledger/buckets"
	"github.com/llmgate/llmgate/internal/ledger/schema"
	"modernc.org/sqlite" // also registers the "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrations embed.FS

// MemoryPath is the path Open takes for a private in-memory database.
const MemoryPath = ":memory:"

// The connection settings every connection gets. busy_timeout comes first
// so that the others wait for a lock instead of failing; _txlock=immediate
// makes every transaction take the write lock at BEGIN, so that two writers
// wait for each other instead of failing to upgrade a read lock. A 2 MiB
// page cache per connection holds the pages a batch of ledger rows touches
// (the tail of the table and its index, the rollups' rows) and the rollups
// usage reads; it is memory outside the Go heap that stays once filled, so
// it is small (BenchmarkSQLiteInsertBatch and BenchmarkUsage1M are no
// slower than with 32 MiB).
const pragmas = "_pragma=busy_timeout(10000)" +
	"&_pragma=journal_mode(WAL)" +
	"&_pragma=synchronous(NORMAL)" +
	"&_pragma=foreign_keys(1)" +
	"&_pragma=cache_size(-2048)" +
	"&_txlock=immediate"

// Store is a llmgate.LedgerStore in a SQLite database. It is safe for
// concurrent use.
type Store struct {
	db *sql.DB
}

var _ llmgate.LedgerStore = (*Store)(nil)

// Open opens the SQLite database at path, creating it and its parent
// directory when missing, and applies the migrations it lacks. The path
// MemoryPath (":memory:") opens a private in-memory database, for tests.
func Open(path string) (*Store, error) {
	return open(path, math.MaxInt)
}

// open is Open applying the migrations up to version upTo only.
func open(path string, upTo int) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: open: empty path")
	}
	// The driver reads everything after '?' as connection parameters.
	if strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("sqlite: open %q: path must not contain '?'", path)
	}
	memory := path == MemoryPath
	if !memory {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
		}
	}
	db, err := sql.Open("sqlite", path+"?"+pragmas)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	if memory {
		// Every connection to :memory: is a database of its own: keep
		// exactly one, forever.
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
	} else {
		// WAL lets readers run beside the one writer.
		db.SetMaxOpenConns(4)
		db.SetMaxIdleConns(4)
	}
	s := &Store{db: db}
	if err := s.migrateWhenFree(context.Background(), upTo); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	return s, nil
}

// Close closes the database. Using the Store afterwards returns errors.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// loadMigrations reads the embedded migrations, ordered by version.
func loadMigrations() ([]schema.Migration, error) { return schema.Load(migrations, "migrations") }

// openWait bounds how long open retries a migration that found the
// database locked: busy_timeout's ten seconds.
const openWait = 10 * time.Second

// migrateWhenFree runs migrate, and runs it again while it fails because
// another connection holds the database. busy_timeout waits for most
// locks, but SQLite refuses at once, rather than risk a deadlock, some of
// the lock changes that turning a new file to WAL makes: several processes
// opening a new ledger together can meet them (TestConcurrentOpen did,
// a few times in a hundred on a busy machine).
func (s *Store) migrateWhenFree(ctx context.Context, upTo int) error {
	deadline := time.Now().Add(openWait)
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		err := s.migrate(ctx, upTo)
		if !isBusy(err) || time.Now().Add(wait).After(deadline) {
			return err
		}
		time.Sleep(wait)
	}
}

// isBusy reports whether err is SQLite's SQLITE_BUSY, of any extended kind.
func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// migrate applies, in one transaction, the migrations up to version upTo
// that schema_migrations does not list. The transaction takes the write
// lock at BEGIN, so two processes opening the same file apply them once.
func (s *Store) migrate(ctx context.Context, upTo int) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrating: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at TEXT NOT NULL
	)`); err != nil {
		return fmt.Errorf("creating schema_migrations: %w", err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("reading schema version: %w", err)
	}
	for _, m := range ms {
		if m.Version <= current || m.Version > upTo {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("applying migration %s: %w", m.Name, err)
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
			m.Version, time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
			return fmt.Errorf("recording migration %s: %w", m.Name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing migrations: %w", err)
	}
	return nil
}

// columns are the ledger columns InsertRecords fills, in the order of
// recordArgs.
const columns = "ts, correlation_id, user_id, client_id, operation, api, provider, model, deployment, " +
	"attempt, final, stream, prompt_tokens, completion_tokens, total_tokens, cached_tokens, " +
	"cache_write_tokens, reasoning_tokens, estimated, cost_input, cost_output, cost_total, currency, " +
	"latency_us, upstream_latency_us, status, error_code"

const numColumns = 27

// rowsPerInsert is the number of rows one INSERT statement carries: many
// rows per statement cut the per-statement overhead, and 64 × 27 parameters
// stay far below SQLite's limit of 32766.
const rowsPerInsert = 64

// insertSQL returns an INSERT of n rows.
func insertSQL(n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO ledger (" + columns + ") VALUES ")
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", numColumns), ",") + ")"
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(row)
	}
	return b.String()
}

var insertManySQL = insertSQL(rowsPerInsert)

// InsertRecords writes rs, and adds them to the usage rollups, in one
// transaction.
func (s *Store) InsertRecords(ctx context.Context, rs []llmgate.Record) error {
	if len(rs) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: inserting %d records: %w", len(rs), err)
	}
	defer tx.Rollback()
	if err := insertLedger(ctx, tx, rs); err != nil {
		return fmt.Errorf("sqlite: inserting %d records: %w", len(rs), err)
	}
	if err := upsertRollups(ctx, tx, rollUp(rs)); err != nil {
		return fmt.Errorf("sqlite: inserting %d records: %w", len(rs), err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: committing records: %w", err)
	}
	return nil
}

// insertLedger writes rs to the ledger table within tx.
func insertLedger(ctx context.Context, tx *sql.Tx, rs []llmgate.Record) error {
	args := make([]any, 0, rowsPerInsert*numColumns)
	if len(rs) >= rowsPerInsert {
		stmt, err := tx.PrepareContext(ctx, insertManySQL)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for len(rs) >= rowsPerInsert {
			args = args[:0]
			for i := range rowsPerInsert {
				args = appendRecordArgs(args, &rs[i])
			}
			if _, err := stmt.ExecContext(ctx, args...); err != nil {
				return err
			}
			rs = rs[rowsPerInsert:]
		}
	}
	if len(rs) > 0 {
		args = args[:0]
		for i := range rs {
			args = appendRecordArgs(args, &rs[i])
		}
		if _, err := tx.ExecContext(ctx, insertSQL(len(rs)), args...); err != nil {
			return err
		}
	}
	return nil
}

// appendRecordArgs appends the column values of r, in the order of columns,
// as int64 rather than int: database/sql converts an int through
// reflection, a measurable cost over a million rows.
func appendRecordArgs(args []any, r *llmgate.Record) []any {
	var costIn, costOut, costTotal, currency any
	if c := r.Cost; c != nil {
		costIn, costOut, costTotal, currency = int64(c.Input), int64(c.Output), int64(c.Total), c.Currency
	}
	u := &r.Usage
	return append(args,
		unixNano(r.Time), r.CorrelationID, r.UserID, r.ClientID, string(r.Operation), r.API,
		r.Provider, r.Model, r.Deployment,
		int64(r.Attempt), r.Final, r.Stream,
		int64(u.PromptTokens), int64(u.CompletionTokens), int64(u.TotalTokens), int64(u.CachedTokens),
		int64(u.CacheWriteTokens), int64(u.ReasoningTokens), u.Estimated,
		costIn, costOut, costTotal, currency,
		r.Latency.Microseconds(), r.UpstreamLatency.Microseconds(), int64(r.Status), string(r.ErrorCode),
	)
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

// keyExprs are the SQL expressions each grouping groups by, in the ledger,
// usage_hourly and usage_daily. Days are floor divisions, so that times
// before 1970 fall on the right day, written without overflow: SQLite's /
// truncates toward zero.
var keyExprs = map[llmgate.UsageGroup]struct{ raw, hourly, daily string }{
	llmgate.GroupClient:   {"client_id", "client_id", "client_id"},
	llmgate.GroupUser:     {"user_id", "user_id", "user_id"},
	llmgate.GroupModel:    {"provider || '/' || model", "provider || '/' || model", "provider || '/' || model"},
	llmgate.GroupProvider: {"provider", "provider", "provider"},
	llmgate.GroupDay: {
		"ts / 86400000000000 - (ts % 86400000000000 < 0)",
		"bucket / 24 - (bucket % 24 < 0)",
		"bucket",
	},
}

// The columns each part of a usage query yields, from the ledger and from
// a rollup. The ledger's rows are summed as the rollups sum them.
const (
	rawUsageColumns = `final AS requests, 1 AS attempts,
		(final = 1 AND error_code <> '') AS errors,
		CASE WHEN final = 1 THEN prompt_tokens ELSE 0 END AS prompt_tokens,
		CASE WHEN final = 1 THEN completion_tokens ELSE 0 END AS completion_tokens,
		CASE WHEN final = 1 THEN total_tokens ELSE 0 END AS total_tokens,
		CASE WHEN final = 1 THEN cached_tokens ELSE 0 END AS cached_tokens,
		CASE WHEN final = 1 AND cost_total IS NOT NULL THEN cost_total >> 32 ELSE 0 END AS cost_hi,
		CASE WHEN final = 1 AND cost_total IS NOT NULL THEN cost_total & 4294967295 ELSE 0 END AS cost_lo,
		(final = 1 AND cost_total IS NOT NULL) AS priced,
		(final = 1 AND cost_total IS NULL) AS unpriced,
		COALESCE(currency, '') AS currency`
	rollupUsageColumns = `requests, attempts, errors, prompt_tokens, completion_tokens, total_tokens,
		cached_tokens, cost_hi, cost_lo, priced, unpriced, currency`
)

// Usage aggregates the records in [q.From, q.To). A zero From or To leaves
// that end of the range open. Whole days of the range are read from
// a daily rollup, whole hours from an hourly one and the rest from the ledger,
// and all are summed in one GROUP BY. Rows are ordered by Key, byte-wise. A
// group whose priced requests cost more than Money holds (about 9.2 million
// units of the currency) fails with an EInternal *llmgate.Error rather than
// a wrong total; so does a group whose priced requests mix currencies.
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
	var filter string
	var filterArgs []any
	if q.ClientID != "" {
		filter += " AND client_id = ?"
		filterArgs = append(filterArgs, q.ClientID)
	}
	if q.UserID != "" {
		filter += " AND user_id = ?"
		filterArgs = append(filterArgs, q.UserID)
	}
	var parts []string
	var args []any
	addParts := func(spans []buckets.Span, selectFrom, column string) {
		for _, sp := range spans {
			parts = append(parts, selectFrom+" WHERE "+column+" >= ? AND "+column+" <= ?"+filter)
			args = append(append(args, sp.First, sp.Last), filterArgs...)
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
	query := `SELECT k, SUM(requests), SUM(attempts), SUM(errors),
		SUM(prompt_tokens), SUM(completion_tokens), SUM(total_tokens), SUM(cached_tokens),
		SUM(cost_hi), SUM(cost_lo), SUM(unpriced),
		MIN(CASE WHEN priced > 0 THEN currency END),
		MAX(CASE WHEN priced > 0 THEN currency END)
		FROM (` + strings.Join(parts, " UNION ALL ") + `) GROUP BY k`
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: usage: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			r              llmgate.UsageRow
			k              any
			costHi, costLo int64
			curMin, curMax sql.NullString
		)
		if err := rows.Scan(&k, &r.Requests, &r.Attempts, &r.Errors,
			&r.PromptTokens, &r.CompletionTokens, &r.TotalTokens, &r.CachedTokens,
			&costHi, &costLo, &r.Unpriced, &curMin, &curMax); err != nil {
			return nil, fmt.Errorf("sqlite: reading usage: %w", err)
		}
		r.Key = formatKey(q.GroupBy, k)
		if r.Cost, ok = joinCost(costHi, costLo); !ok {
			return nil, costOverflow(r.Key)
		}
		if curMin.String != curMax.String {
			return nil, mixedCurrencies(r.Key, curMin.String, curMax.String)
		}
		r.Currency = curMin.String
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: usage: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// formatKey turns a grouping value into a UsageRow key.
func formatKey(g llmgate.UsageGroup, k any) string {
	switch v := k.(type) {
	case int64:
		if g == llmgate.GroupDay {
			return time.Unix(v*86400, 0).UTC().Format(time.DateOnly)
		}
		return strconv.FormatInt(v, 10)
	case string:
		return v
	case []byte:
		return string(v)
	case nil:
		return ""
	}
	return fmt.Sprint(k)
}

// costOverflow is the error for a group whose cost total does not fit in
// Money.
func costOverflow(key string) error {
	return &llmgate.Error{
		Code: llmgate.EInternal,
		Message: fmt.Sprintf("the cost total of usage group %q exceeds the range of Money (about 9.2 million); "+
			"query a shorter time range", key),
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
