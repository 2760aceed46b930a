package postgres

import "context"

// EmbeddedMigrations counts the migrations the package embeds.
func EmbeddedMigrations() (int, error) {
	ms, err := loadMigrations()
	return len(ms), err
}

// OpenAtVersion opens the database at url like Open, but applies only the
// migrations up to version, for the tests of later migrations' backfills.
func OpenAtVersion(ctx context.Context, url string, version int) (*Store, error) {
	return open(ctx, url, version)
}
