package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/ledger/ledgertest"
	"github.com/llmgate/llmgate/internal/postgres"
)

// testSchemaURL creates a schema of its own for tb in the database named by
// LLMGATE_TEST_POSTGRES_URL, drops it when tb ends, and returns a URL whose
// search_path selects it. It skips tb when the variable is unset.
func testSchemaURL(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv("LLMGATE_TEST_POSTGRES_URL")
	if base == "" {
		tb.Skip("LLMGATE_TEST_POSTGRES_URL not set: skipping PostgreSQL ledger tests")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("connecting to LLMGATE_TEST_POSTGRES_URL: %v", err)
	}
	defer conn.Close(ctx)
	schema := "t_" + hex.EncodeToString(randomBytes(tb, 8))
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("creating schema %s: %v", schema, err)
	}
	tb.Cleanup(func() {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			tb.Errorf("connecting to drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("LLMGATE_TEST_POSTGRES_URL must be a URL: %v", err)
	}
	v := u.Query()
	v.Set("search_path", schema)
	u.RawQuery = v.Encode()
	return u.String()
}

func randomBytes(tb testing.TB, n int) []byte {
	tb.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return b
}

func mustOpen(tb testing.TB, u string) *postgres.Store {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := postgres.Open(ctx, u)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestContract(t *testing.T) {
	ledgertest.Run(t, func(t *testing.T) llmgate.LedgerStore {
		return mustOpen(t, testSchemaURL(t))
	})
}

var sample = llmgate.Record{
	Time: time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC), ClientID: "c", UserID: "u",
	Provider: "p", Model: "m", Attempt: 1, Final: true,
	Cost: &llmgate.Cost{Currency: "USD", Total: 42},
}

func TestReopenKeepsRowsAndMigratesOnce(t *testing.T) {
	u := testSchemaURL(t)
	ctx := context.Background()
	s := mustOpen(t, u)
	if err := s.InsertRecords(ctx, []llmgate.Record{sample, sample}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = mustOpen(t, u)
	rows, err := s.Usage(ctx, llmgate.UsageQuery{GroupBy: llmgate.GroupClient})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Requests != 2 || rows[0].Cost != 84 {
		t.Errorf("after reopen Usage = %+v, want 2 requests costing 84", rows)
	}
	if got, want := countMigrations(t, u), embeddedMigrations(t); got != want {
		t.Errorf("schema_migrations has %d rows, want %d (one per migration)", got, want)
	}
}

func countMigrations(t *testing.T, u string) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// embeddedMigrations counts the migrations the package embeds.
func embeddedMigrations(t *testing.T) int {
	t.Helper()
	n, err := postgres.EmbeddedMigrations()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestConcurrentOpen(t *testing.T) {
	// Instances starting together on an empty schema: the advisory lock
	// makes one migrate and the others find the work done.
	u := testSchemaURL(t)
	const n = 4
	errs := make(chan error, n)
	for range n {
		go func() {
			s, err := postgres.Open(context.Background(), u)
			if err == nil {
				err = s.InsertRecords(context.Background(), []llmgate.Record{sample})
				s.Close()
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("concurrent Open: %v", err)
		}
	}
	if got, want := countMigrations(t, u), embeddedMigrations(t); got != want {
		t.Errorf("schema_migrations has %d rows, want %d (one per migration)", got, want)
	}
	s := mustOpen(t, u)
	rows, err := s.Usage(context.Background(), llmgate.UsageQuery{GroupBy: llmgate.GroupUser})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Requests != n {
		t.Errorf("Usage = %+v, want %d requests", rows, n)
	}
}

func TestOpenBadURL(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := postgres.Open(ctx, "postgres://user:hunter2@[::1")
	if err == nil {
		s.Close()
		t.Fatal("Open with a malformed URL succeeded")
	}
	if got := err.Error(); strings.Contains(got, "hunter2") {
		t.Errorf("Open error leaks the password: %s", got)
	}
}

// TestMigrationBackfillsRollups opens a schema at version 1, whose ledger
// has records but no rollups, with the current code: the migration must
// build the rollups from the ledger, and later inserts add to them.
func TestMigrationBackfillsRollups(t *testing.T) {
	u := testSchemaURL(t)
	ctx := context.Background()
	const seed = 7
	rs := ledgertest.RandomRecords(seed, 2000)
	old, err := postgres.OpenAtVersion(ctx, u, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 1500; i += 500 {
		if err := old.InsertRecords(ctx, rs[i:i+500]); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()
	s := mustOpen(t, u)
	ledgertest.CheckRandomQueries(t, s, rs[:1500], seed)
	if err := s.InsertRecords(ctx, rs[1500:]); err != nil {
		t.Fatal(err)
	}
	ledgertest.CheckRandomQueries(t, s, rs, seed+1)
	// Opening again runs no migration: the rollups are not built twice.
	mustOpen(t, u).Close()
	ledgertest.CheckRandomQueries(t, s, rs, seed+2)
}

func benchRecords(n int) []llmgate.Record {
	rs := make([]llmgate.Record, n)
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range rs {
		rs[i] = llmgate.Record{
			Time:          base.Add(time.Duration(i) * 2600 * time.Millisecond), // 1M rows span ~30 days
			CorrelationID: fmt.Sprintf("%08d-0000-4000-8000-000000000000", i/2),
			ClientID:      fmt.Sprintf("client-%d", i%20),
			UserID:        fmt.Sprintf("user-%d", i%1000),
			Operation:     llmgate.OpChat, API: "native",
			Provider: fmt.Sprintf("provider-%d", i%4), Model: fmt.Sprintf("model-%d", i%10),
			Deployment: "eastus", Attempt: 1 + i%2, Final: i%2 == 1,
			Usage:   llmgate.Usage{PromptTokens: 100, CompletionTokens: 50, TotalTokens: 150},
			Latency: 800 * time.Millisecond, UpstreamLatency: 700 * time.Millisecond, Status: 200,
		}
		if i%10 != 0 {
			rs[i].Cost = &llmgate.Cost{Currency: "USD", Input: 300_000_000, Output: 600_000_000, Total: 900_000_000}
		}
	}
	return rs
}

func BenchmarkInsertBatch(b *testing.B) {
	s := mustOpen(b, testSchemaURL(b))
	rs := benchRecords(256)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := s.InsertRecords(ctx, rs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rs)), "ns/row")
}

// BenchmarkUsage1M times Usage over a million-row ledger, for each grouping
// over the whole range, over 30 days not aligned to hours, over one day,
// and with a client filter.
func BenchmarkUsage1M(b *testing.B) {
	if testing.Short() {
		b.Skip("skipping the million-row ledger under -short")
	}
	const n = 1_000_000
	s := mustOpen(b, testSchemaURL(b))
	ctx := context.Background()
	rs := benchRecords(n)
	start := time.Now()
	for i := 0; i < n; i += 10_000 {
		if err := s.InsertRecords(ctx, rs[i:i+10_000]); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("inserted %d rows in %v", n, time.Since(start))
	base := rs[0].Time
	ranges := []struct {
		name     string
		from, to time.Time
		client   string
	}{
		{"all", base, base.Add(31 * 24 * time.Hour), ""},
		{"30d-unaligned", base.Add(90*time.Minute + 7), base.Add(30*24*time.Hour + 90*time.Minute + 7), ""},
		{"day", base.Add(10 * 24 * time.Hour), base.Add(11 * 24 * time.Hour), ""},
		{"client", base, base.Add(31 * 24 * time.Hour), "client-7"},
	}
	for _, r := range ranges {
		for _, g := range []llmgate.UsageGroup{llmgate.GroupClient, llmgate.GroupUser, llmgate.GroupModel, llmgate.GroupProvider, llmgate.GroupDay} {
			b.Run(r.name+"/"+string(g), func(b *testing.B) {
				q := llmgate.UsageQuery{From: r.from, To: r.to, GroupBy: g, ClientID: r.client}
				for b.Loop() {
					rows, err := s.Usage(ctx, q)
					if err != nil {
						b.Fatal(err)
					}
					if len(rows) == 0 {
						b.Fatal("no rows")
					}
				}
			})
		}
	}
}
