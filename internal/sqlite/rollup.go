package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/ledger/buckets"
)

// The rollup buckets: usage_hourly counts hours since the Unix epoch,
// usage_daily days, both floored, so that times before 1970 land in the
// bucket that holds them.
const (
	nanosPerHour = buckets.NanosPerHour
	hoursPerDay  = buckets.HoursPerDay
)

// bucketKey identifies a rollup row: a bucket and the dimensions Usage
// groups and filters by. currency is "" for unpriced records.
type bucketKey struct {
	bucket                                  int64
	clientID, userID, provider, model, curr string
}

// bucketSums are the totals of a rollup row, in the columns' order.
type bucketSums struct {
	requests, attempts, errors        int64
	prompt, completion, total, cached int64
	costHi, costLo                    int64
	priced, unpriced                  int64
}

// add counts r, as the ledger columns sum it in Usage.
func (s *bucketSums) add(r *llmgate.Record) {
	s.attempts++
	if !r.Final {
		return
	}
	s.requests++
	if r.ErrorCode != "" {
		s.errors++
	}
	s.prompt += int64(r.Usage.PromptTokens)
	s.completion += int64(r.Usage.CompletionTokens)
	s.total += int64(r.Usage.TotalTokens)
	s.cached += int64(r.Usage.CachedTokens)
	if r.Cost == nil {
		s.unpriced++
		return
	}
	s.priced++
	s.costHi += int64(r.Cost.Total) >> 32
	s.costLo += int64(r.Cost.Total) & (1<<32 - 1)
}

func (s *bucketSums) merge(o *bucketSums) {
	s.requests += o.requests
	s.attempts += o.attempts
	s.errors += o.errors
	s.prompt += o.prompt
	s.completion += o.completion
	s.total += o.total
	s.cached += o.cached
	s.costHi += o.costHi
	s.costLo += o.costLo
	s.priced += o.priced
	s.unpriced += o.unpriced
}

// bucketRow is one row of a rollup.
type bucketRow struct {
	key  bucketKey
	sums bucketSums
}

// joinCost is the exact cost hi·2³² + lo of a rollup's two cost sums, and
// whether it fits in Money. lo is never negative: it sums low halves.
func joinCost(hi, lo int64) (llmgate.Money, bool) {
	hi += lo >> 32
	lo &= 1<<32 - 1
	if hi < -1<<31 || hi >= 1<<31 {
		return 0, false
	}
	return llmgate.Money(hi<<32 | lo), true
}

// rollups are a batch's rows of the four rollup tables, each sorted by key,
// so that a batch upserts each bucket and key once.
type rollups struct {
	hours, days                 []bucketRow
	hoursAllUsers, daysAllUsers []bucketRow
}

// rollUp sums rs into the rows of the rollup tables.
func rollUp(rs []llmgate.Record) rollups {
	byHour := make(map[bucketKey]*bucketSums)
	for i := range rs {
		r := &rs[i]
		k := bucketKey{
			bucket:   buckets.FloorDiv(unixNano(r.Time), nanosPerHour),
			clientID: r.ClientID, userID: r.UserID, provider: r.Provider, model: r.Model,
		}
		if r.Cost != nil {
			k.curr = r.Cost.Currency
		}
		s := byHour[k]
		if s == nil {
			s = new(bucketSums)
			byHour[k] = s
		}
		s.add(r)
	}
	byDay := make(map[bucketKey]*bucketSums)
	byHourAll := make(map[bucketKey]*bucketSums)
	byDayAll := make(map[bucketKey]*bucketSums)
	for k, s := range byHour {
		add := func(m map[bucketKey]*bucketSums, k bucketKey) {
			d := m[k]
			if d == nil {
				d = new(bucketSums)
				m[k] = d
			}
			d.merge(s)
		}
		day := k
		day.bucket = buckets.FloorDiv(k.bucket, hoursPerDay)
		add(byDay, day)
		k.userID, day.userID = "", ""
		add(byHourAll, k)
		add(byDayAll, day)
	}
	return rollups{
		hours: sortedRows(byHour), days: sortedRows(byDay),
		hoursAllUsers: sortedRows(byHourAll), daysAllUsers: sortedRows(byDayAll),
	}
}

// sortedRows are the rows of m sorted by key: sorted keys walk the primary
// key's B-tree in order.
func sortedRows(m map[bucketKey]*bucketSums) []bucketRow {
	rows := make([]bucketRow, 0, len(m))
	for k, s := range m {
		rows = append(rows, bucketRow{k, *s})
	}
	slices.SortFunc(rows, compareRows)
	return rows
}

func compareRows(a, b bucketRow) int {
	return cmp.Or(
		cmp.Compare(a.key.bucket, b.key.bucket),
		strings.Compare(a.key.clientID, b.key.clientID),
		strings.Compare(a.key.userID, b.key.userID),
		strings.Compare(a.key.provider, b.key.provider),
		strings.Compare(a.key.model, b.key.model),
		strings.Compare(a.key.curr, b.key.curr),
	)
}

const rollupColumns = "bucket, client_id, user_id, provider, model, currency, " +
	"requests, attempts, errors, prompt_tokens, completion_tokens, total_tokens, cached_tokens, " +
	"cost_hi, cost_lo, priced, unpriced"

const numRollupColumns = 17

// rowsPerUpsert is the number of rollup rows one upsert carries.
const rowsPerUpsert = 64

// upsertSQL returns an upsert of n rows into table, adding to the sums of
// the rows already there.
func upsertSQL(table string, n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + rollupColumns + ") VALUES ")
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", numRollupColumns), ",") + ")"
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(row)
	}
	b.WriteString(" ON CONFLICT (bucket, client_id, user_id, provider, model, currency) DO UPDATE SET ")
	for i, c := range strings.Split(rollupColumns, ", ")[6:] {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c + " = " + c + " + excluded." + c)
	}
	return b.String()
}

// upsertManySQL is upsertSQL(table, rowsPerUpsert) for each rollup table.
var upsertManySQL = map[string]string{}

func init() {
	for _, t := range []string{"usage_hourly", "usage_daily", "usage_hourly_all_users", "usage_daily_all_users"} {
		upsertManySQL[t] = upsertSQL(t, rowsPerUpsert)
	}
}

// upsertRollups adds r to the rollup tables' sums within tx.
func upsertRollups(ctx context.Context, tx *sql.Tx, r rollups) error {
	for _, u := range []struct {
		table string
		rows  []bucketRow
	}{
		{"usage_hourly", r.hours},
		{"usage_daily", r.days},
		{"usage_hourly_all_users", r.hoursAllUsers},
		{"usage_daily_all_users", r.daysAllUsers},
	} {
		if err := upsertRollup(ctx, tx, u.table, u.rows); err != nil {
			return err
		}
	}
	return nil
}

// upsertRollup adds rows to table's sums within tx.
func upsertRollup(ctx context.Context, tx *sql.Tx, table string, rows []bucketRow) error {
	args := make([]any, 0, rowsPerUpsert*numRollupColumns)
	appendRow := func(args []any, r *bucketRow) []any {
		k, s := &r.key, &r.sums
		return append(args, k.bucket, k.clientID, k.userID, k.provider, k.model, k.curr,
			s.requests, s.attempts, s.errors, s.prompt, s.completion, s.total, s.cached,
			s.costHi, s.costLo, s.priced, s.unpriced)
	}
	if len(rows) >= rowsPerUpsert {
		stmt, err := tx.PrepareContext(ctx, upsertManySQL[table])
		if err != nil {
			return fmt.Errorf("updating %s: %w", table, err)
		}
		defer stmt.Close()
		for len(rows) >= rowsPerUpsert {
			args = args[:0]
			for i := range rowsPerUpsert {
				args = appendRow(args, &rows[i])
			}
			if _, err := stmt.ExecContext(ctx, args...); err != nil {
				return fmt.Errorf("updating %s: %w", table, err)
			}
			rows = rows[rowsPerUpsert:]
		}
	}
	if len(rows) > 0 {
		args = args[:0]
		for i := range rows {
			args = appendRow(args, &rows[i])
		}
		if _, err := tx.ExecContext(ctx, upsertSQL(table, len(rows)), args...); err != nil {
			return fmt.Errorf("updating %s: %w", table, err)
		}
	}
	return nil
}
