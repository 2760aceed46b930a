package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/ledger/ledgertest"
	"github.com/llmgate/llmgate/internal/sqlite"
)

// mustOpen opens the database at path and closes it when tb ends.
func mustOpen(tb testing.TB, path string) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(path)
	if err != nil {
		tb.Fatalf("Open(%q): %v", path, err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestContractFile(t *testing.T) {
	ledgertest.Run(t, func(t *testing.T) llmgate.LedgerStore {
		return mustOpen(t, filepath.Join(t.TempDir(), "nested", "dir", "ledger.db"))
	})
}

func TestContractMemory(t *testing.T) {
	ledgertest.Run(t, func(t *testing.T) llmgate.LedgerStore {
		return mustOpen(t, sqlite.MemoryPath)
	})
}

var sample = llmgate.Record{
	Time: time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC), ClientID: "c", UserID: "u",
	Provider: "p", Model: "m", Attempt: 1, Final: true,
	Cost: &llmgate.Cost{Currency: "USD", Total: 42},
}

var all = llmgate.UsageQuery{GroupBy: llmgate.GroupClient}

func TestReopenKeepsRowsAndMigratesOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	ctx := context.Background()

	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.InsertRecords(ctx, []llmgate.Record{sample, sample}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Opening again must not re-run 0001 (CREATE TABLE would fail) and
	// must see the rows.
	for range 2 {
		s, err = sqlite.Open(path)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		rows, err := s.Usage(ctx, all)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].Requests != 2 || rows[0].Cost != 84 {
			t.Errorf("after reopen Usage = %+v, want 2 requests costing 84", rows)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if n, want := migrationsApplied(t, path), embeddedMigrations(t); n != want {
		t.Errorf("schema_migrations has %d rows, want %d (one per migration)", n, want)
	}
}

// migrationsApplied counts the rows of schema_migrations in the file.
func migrationsApplied(t *testing.T, path string) int {
	t.Helper()
	n, err := sqlite.MigrationsApplied(path)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// embeddedMigrations counts the migrations the package embeds.
func embeddedMigrations(t *testing.T) int {
	t.Helper()
	n, err := sqlite.EmbeddedMigrations()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestConcurrentOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			s, err := sqlite.Open(path)
			if err == nil {
				err = s.InsertRecords(context.Background(), []llmgate.Record{sample})
				s.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Errorf("concurrent Open: %v", err)
		}
	}
	s := mustOpen(t, path)
	rows, err := s.Usage(context.Background(), all)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Requests != 4 {
		t.Errorf("Usage = %+v, want 4 requests", rows)
	}
}

func TestOpenRejectsBadPath(t *testing.T) {
	for _, p := range []string{"", filepath.Join(t.TempDir(), "a?b.db")} {
		if s, err := sqlite.Open(p); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", p)
		}
	}
}

func records(n int) []llmgate.Record {
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

func BenchmarkSQLiteInsertBatch(b *testing.B) {
	for _, n := range []int{64, 256, 1024, 4096} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			s := mustOpen(b, filepath.Join(b.TempDir(), "ledger.db"))
			rs := records(n)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := s.InsertRecords(ctx, rs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rs)), "ns/row")
		})
	}
}

// BenchmarkUsage1M times Usage over a million-row ledger, for each grouping
// over the whole range and over one day, and with a client filter.
func BenchmarkUsage1M(b *testing.B) {
	if testing.Short() {
		b.Skip("skipping the million-row ledger under -short")
	}
	const n = 1_000_000
	s := mustOpen(b, filepath.Join(b.TempDir(), "ledger.db"))
	ctx := context.Background()
	rs := records(n)
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
		// The shape of GET /v1/usage's default, the last 30 days up to now:
		// both ends fall inside an hour and a day.
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

// TestMigrationBackfillsRollups opens a database at schema version 1, whose
// ledger has records but no rollups, with the current code: the migration
// must build the rollups from the ledger, and later inserts add to them.
func TestMigrationBackfillsRollups(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	ctx := context.Background()
	const seed = 7
	rs := ledgertest.RandomRecords(seed, 2000)
	old, err := sqlite.OpenAtVersion(path, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 1500; i += 500 {
		if err := old.InsertLedgerOnly(ctx, rs[i:i+500]); err != nil {
			t.Fatal(err)
		}
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	s := mustOpen(t, path)
	ledgertest.CheckRandomQueries(t, s, rs[:1500], seed)
	if err := s.InsertRecords(ctx, rs[1500:]); err != nil {
		t.Fatal(err)
	}
	ledgertest.CheckRandomQueries(t, s, rs, seed+1)
}
