package sqlite

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
