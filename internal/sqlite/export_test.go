package sqlite

import (
	"context"

	"github.com/llmgate/llmgate"
)

// MigrationsApplied counts the rows of schema_migrations in the database at
// path, for the tests of migration idempotence.
func MigrationsApplied(path string) (int, error) {
	s, err := Open(path)
	if err != nil {
		return 0, err
	}
	defer s.Close()
	var n int
	err = s.db.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n)
	return n, err
}

// EmbeddedMigrations counts the migrations the package embeds.
func EmbeddedMigrations() (int, error) {
	ms, err := loadMigrations()
	return len(ms), err
}

// OpenAtVersion opens the database at path like Open, but applies only the
// migrations up to version, for the tests of later migrations' backfills.
func OpenAtVersion(path string, version int) (*Store, error) {
	return open(path, version)
}

// InsertLedgerOnly writes rs to the ledger table alone, as a store of
// schema version 1 did, without the rollups.
func (s *Store) InsertLedgerOnly(ctx context.Context, rs []llmgate.Record) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := insertLedger(ctx, tx, rs); err != nil {
		return err
	}
	return tx.Commit()
}
