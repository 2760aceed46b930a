package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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
	if n := countMigrations(t, u); n != 1 {
		t.Errorf("schema_migrations has %d rows, want 1", n)
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
	if got := countMigrations(t, u); got != 1 {
		t.Errorf("schema_migrations has %d rows, want 1", got)
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
